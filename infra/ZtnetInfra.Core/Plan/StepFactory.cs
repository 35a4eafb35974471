using System.Collections.Immutable;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Plan;

/// <summary>Assembles a <see cref="RemoteStep"/> from script bodies, wrapping each in the launcher.</summary>
internal sealed class StepFactory(StackSettings settings)
{
    public const string ServiceUserStep = AccountSteps.LingerStep;

    public RemoteStep Make(string name, string title, StepAccount account, Script create, Script? update = null, Script? delete = null,
        IEnumerable<string>? dependsOn = null, IEnumerable<PlanSecret>? secrets = null, bool retainOnDelete = false) => new()
    {
        Name = name,
        Title = title,
        RunsAs = account,
        Create = Wrap(name, ScriptKind.Create, account, create),
        Update = update is null ? null : Wrap(name, ScriptKind.Update, account, update),
        Delete = delete is null ? null : Wrap(name, ScriptKind.Delete, account, delete),
        DependsOn = [.. dependsOn ?? []],
        SecretStdin = [.. secrets ?? []],
        RetainOnDelete = retainOnDelete,
        // Steps that act for the service user belong to that user: another user means undo, then redo.
        ReplaceOn = account == StepAccount.ServiceUser || name is AccountSteps.AccountStep or AccountSteps.LingerStep ? [$"serviceUser={settings.ServiceUser}"] : [],
        // Their Deletes run inside the old user's manager (or need the old account): they must be
        // undone while it still runs, so each takes the identity of the step it runs under as an
        // input, not only an order (the account's, for the linger step).
        IdentityFrom = account == StepAccount.ServiceUser ? [ServiceUserStep] : name == AccountSteps.LingerStep ? [AccountSteps.AccountStep] : [],
    };

    private StepScript Wrap(string name, ScriptKind kind, StepAccount account, Script script) =>
        new(kind, script.Body, Launcher.Wrap(name, kind, account, settings.ServiceUser, script.Body))
        {
            Sources = [.. script.Files, .. Launcher.Files(account)],
        };
}
