using System.Text;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// Turns a step's bash body into the command sent over SSH: a POSIX sh prelude (the body, the
/// step's name, PATH, and for service-user steps the user and the script's kind), then
/// <c>Scripts/launcher/common.sh</c> and <c>root.sh</c> or <c>service-user.sh</c>, which say how
/// the body reaches root or the service user's manager.
/// </summary>
public static class Launcher
{
    public const string Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static string Wrap(string stepName, ScriptKind kind, StepAccount account, string serviceUser, string body)
    {
        var kindName = kind.ToString().ToLowerInvariant();
        var who = account == StepAccount.Root ? "root" : $"the service user {serviceUser}";
        var prelude = new Prelude()
            .Var("ztnet_script", body)
            .Var("ztnet_step", stepName)
            .Var("ztnet_path", Path);
        if (account == StepAccount.ServiceUser) prelude.Var("ztnet_user", serviceUser).Var("ztnet_kind", kindName);
        var sources = Files(account).Select(ScriptSource.Get).ToList();
        var wanted = sources.SelectMany(s => s.Inputs).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        if (!wanted.SetEquals(prelude.Names.Keys))
            throw new InvalidOperationException($"the launcher's prelude ({string.Join(' ', prelude.Names.Keys)}) does not match its inputs ({string.Join(' ', wanted)})");

        var sb = new StringBuilder("#!/bin/sh\n");
        sb.Append($"# ztnet-infra step {stepName} ({kindName}): runs as {who}\n");
        sb.Append("set -eu\n");
        sb.Append(prelude.Rendered);
        foreach (var s in sources) sb.Append(s.Code);
        return sb.ToString();
    }

    /// <summary>The launcher's files under Scripts/ for a step run as <paramref name="account"/>.</summary>
    public static IReadOnlyList<string> Files(StepAccount account) =>
        ["launcher/common.sh", account == StepAccount.Root ? "launcher/root.sh" : "launcher/service-user.sh"];
}
