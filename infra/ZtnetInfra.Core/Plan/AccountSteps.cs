using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// The service account (kept with the data, or purged) and its linger (undone on every destroy):
/// two steps, because Pulumi's RetainOnDelete is per resource.
/// </summary>
public static class AccountSteps
{
    public const string AccountStep = "service-account";

    /// <summary>Linger and a running user manager: the step every service-user step depends on.</summary>
    public const string LingerStep = "service-user";

    internal static RemoteStep ServiceAccount(StepFactory f, StackSettings st)
    {
        var s = new Script($"service account {st.ServiceUser}: created and recorded by this stack, or refused; its subordinate ids", "service-account.create.sh")
            .Var("user", st.ServiceUser)
            .Var("state", Ownership.StateDirectory)
            .Var("records", Ownership.AccountRecords);
        var d = st.RetainDataOnDestroy
            ? new Script($"keep the account {st.ServiceUser}: it owns the kept data (the step is retained on delete: Pulumi runs nothing)", "service-account.keep.sh")
                .Var("user", st.ServiceUser)
            : new Script($"purge: remove {st.ServiceUser}, its home and subordinate ids, only if this stack created it and no data of it is left", "service-account.delete.sh")
                .Var("user", st.ServiceUser)
                .Var("records", Ownership.AccountRecords)
                .Var("marker_name", Ownership.MarkerName);
        return f.Make(AccountStep, $"Service account {st.ServiceUser} (made and recorded by the stack), subuid/subgid", StepAccount.Root, s, delete: d,
            dependsOn: ["host-packages"], retainOnDelete: st.RetainDataOnDestroy);
    }

    internal static RemoteStep Linger(StepFactory f, StackSettings st)
    {
        var s = new Script($"linger for {st.ServiceUser}: its systemd user manager runs without a login", "service-user.create.sh")
            .Var("user", st.ServiceUser)
            .Var("records", Ownership.AccountRecords);
        var d = new Script($"linger off for {st.ServiceUser}, if this stack turned it on", "service-user.delete.sh")
            .Var("user", st.ServiceUser)
            .Var("records", Ownership.AccountRecords);
        return f.Make(LingerStep, $"Linger and user manager for {st.ServiceUser}", StepAccount.Root, s, delete: d, dependsOn: [AccountStep]);
    }
}
