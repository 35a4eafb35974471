using System.Text;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Cli;

/// <summary>Writes a plan to a folder for review: unit files, Caddy's configuration, every step's scripts, plan.md.</summary>
public static class Renderer
{
    /// <summary>Every file of a render, by path relative to the output directory.</summary>
    public static IReadOnlyDictionary<string, string> Files(DeploymentPlan plan, IReadOnlyDictionary<string, ConfigValue> config, Func<string, string>? readFile = null)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var unit in plan.Units) files[Path.Combine("units", unit.Name)] = unit.Render();
        files[Path.Combine("files", CaddyConfig.FileName)] = CaddyConfig.Json(plan.Settings);
        if (plan.Settings.AcmeCaRootPem is { } root) files[Path.Combine("files", CaddyConfig.CaRootFileName)] = root;
        foreach (var (name, text) in BackupFiles(plan.Settings)) files[Path.Combine("backup", name)] = text;
        for (var i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            foreach (var script in step.Scripts)
                files[Path.Combine("steps", StepFolder(i, step), script.Kind.ToString().ToLowerInvariant() + ".sh")] = script.Command;
        }
        // What `ztnet-infra status` sends (read-only), for review like every step's command.
        files[Path.Combine("status", "probe.sh")] = Core.Status.StatusProbe.For(plan).Command;
        files["plan.md"] = PlanDocument(plan, config, readFile);
        return files;
    }

    public static string StepFolder(int index, RemoteStep step) => $"{index + 1:00}-{step.Name}";

    /// <summary>What the backups step writes as root: the program and the system units this stack has.</summary>
    private static IEnumerable<(string Name, string Text)> BackupFiles(StackSettings s)
    {
        yield return ("backup", BackupSteps.ProgramText(s));
        foreach (var unit in BackupUnits.UnitsFor(s)) yield return (unit.Name, unit.Render());
    }

    public static string PlanDocument(DeploymentPlan plan, IReadOnlyDictionary<string, ConfigValue> config, Func<string, string>? readFile = null)
    {
        var s = plan.Settings;
        var sb = new StringBuilder();
        sb.Append("# ZTNet deployment plan\n\n");
        sb.Append($"Host `{s.Host}` (SSH `{s.SshUser}@{s.Host}:{s.SshPort}`");
        sb.Append(s.BastionHost is null ? "" : $" through `{s.BastionHost}`").Append("), ");
        sb.Append($"service user `{s.ServiceUser}`, data in `{s.DataDir}`, URL {s.PublicUrl} ({(s.TlsMode == TlsMode.Acme ? "ACME certificate" : "Caddy's internal CA")}).\n");
        if (s.SshHostKey is null) sb.Append("\n**Warning:** `ztnet:sshHostKey` is not set: the host key of the server is not checked.\n");
        sb.Append("\nEach step is one remote command resource. Its `create.sh` runs once; `update.sh` (or `create.sh` again, when it has none) runs when its text changes; ");
        sb.Append("`delete.sh` runs on destroy, or when the step leaves the plan, with the text stored when it was created. ");
        sb.Append("The files are the exact commands sent over SSH: a POSIX `sh` launcher that becomes root (`sudo -n` unless the login is root) ");
        sb.Append("or the service user (`runuser`, in its systemd user manager) and runs the bash body. Secrets arrive only on standard input. ");
        sb.Append("A step *retained on delete* (Pulumi's `RetainOnDelete`, for the data kept by `ztnet:retainDataOnDestroy`) is only dropped from the state on destroy: its `delete.sh` does not run.\n\n");

        sb.Append("## Steps\n\n| # | step | runs as | depends on | stdin | scripts | what it does |\n|---|---|---|---|---|---|---|\n");
        for (var i = 0; i < plan.Steps.Length; i++)
        {
            var st = plan.Steps[i];
            sb.Append($"| {i + 1} | `{st.Name}` | {(st.RunsAs == StepAccount.Root ? "root" : s.ServiceUser)} | ");
            sb.Append(st.DependsOn.IsEmpty ? "-" : string.Join(", ", st.DependsOn.Select(d => $"`{d}`"))).Append(" | ");
            sb.Append(st.SecretStdin.IsEmpty ? "-" : string.Join(", ", st.SecretStdin.Select(x => $"`{StepInputs.KeyOf(x).FullKey}`"))).Append(" | ");
            sb.Append(string.Join(", ", st.Scripts.Select(x => x.Kind.ToString().ToLowerInvariant())));
            sb.Append(st.RetainOnDelete ? " (retained on delete: destroy runs nothing)" : "").Append(" | ");
            sb.Append(st.Title.Replace("|", "\\|")).Append(" |\n");
        }

        if (!plan.Uploads.IsEmpty)
        {
            sb.Append("\n## Files sent from the workstation\n\n");
            sb.Append("Each is one `CopyToRemote` resource (Pulumi.Command): the file is sent over SFTP as the SSH login, again only when its content or the path on the host changes; a destroy leaves it on the host, so the step that made its directory removes it.\n\n");
            sb.Append("| name | file on this workstation | path on the host | depends on | what it is |\n|---|---|---|---|---|\n");
            foreach (var u in plan.Uploads)
                sb.Append($"| `{u.Name}` | `{u.LocalPath}` | `{u.RemotePath}` | {string.Join(", ", u.DependsOn.Select(d => $"`{d}`"))} | {u.Title.Replace("|", "\\|")} |\n");
        }

        sb.Append("\n## Where each script's shell comes from\n\n");
        sb.Append("Each body is `set -euo pipefail`, a comment, a prelude of quoted values, then these files of `infra/ZtnetInfra.Core/Scripts/` in this order ");
        sb.Append("(`lib/` files are shared functions); the launcher around it is `launcher/common.sh` and `launcher/root.sh` or `launcher/service-user.sh`.\n\n");
        sb.Append("| step | script | files |\n|---|---|---|\n");
        foreach (var st in plan.Steps)
        foreach (var script in st.Scripts)
            sb.Append($"| `{st.Name}` | {script.Kind.ToString().ToLowerInvariant()} | {string.Join(", ", script.Sources.Where(f => !f.StartsWith("launcher/", StringComparison.Ordinal)).Select(f => $"`{f}`"))} |\n");

        sb.Append("\n## Units\n\n");
        foreach (var u in plan.Units) sb.Append($"- `units/{u.Name}` in `~{s.ServiceUser}/.config/systemd/user/`\n");
        sb.Append($"- `files/{CaddyConfig.FileName}` at `{CaddyConfig.HostPath(s)}` (written by `unit-caddy`)\n");
        if (s.AcmeCaRootPem is not null)
            sb.Append($"- `files/{CaddyConfig.CaRootFileName}` at `{CaddyConfig.CaRootHostPath(s)}` (ztnet:acmeCaRoot; written by `unit-caddy`)\n");
        foreach (var (name, _) in BackupFiles(s))
            sb.Append($"- `backup/{name}` at `{(name == "backup" ? BackupUnits.Program : $"{BackupUnits.UnitDirectory}/{name}")}` (root's; written by `{BackupSteps.BackupsStep}`)\n");

        sb.Append($"\n## After the first `pulumi up`\n\nOpen {s.PublicUrl} and register at once: ZTNet makes the first account that signs up its administrator, ");
        sb.Append("and lets anyone sign up until registration is turned off in its admin settings.\n");

        sb.Append("\n## What each setting affects\n\nThe steps whose inputs (script text, standard input, SSH connection, triggers) change when the setting alone changes; only those run on the next `pulumi up`. ");
        sb.Append("The SSH connection is an input of every step, so a connection setting runs every step again (each is idempotent: unchanged units and secrets restart nothing).\n\n");
        sb.Append("| setting | value | steps that change |\n|---|---|---|\n");
        foreach (var key in SettingKeys.All)
        {
            var value = key.Secret
                ? (config.ContainsKey(key.FullKey) ? "(secret, set)" : key.Default)
                : config.TryGetValue(key.FullKey, out var v) ? $"`{v.Text}`" : $"default `{key.Default}`";
            var affects = Affects(plan, SettingRadius.Of(config, key, readFile), key);
            sb.Append($"| `{key.FullKey}` | {value.Replace("|", "\\|")} | {affects} |\n");
        }
        return sb.ToString();
    }

    /// <summary>The "steps that change" cell; <see cref="SettingRadius"/> works it out from every step's inputs.</summary>
    public static string Affects(DeploymentPlan plan, IReadOnlyList<string>? radius, SettingKey key)
    {
        if (radius is null) return key.ConnectionOnly && plan.Settings.BastionHost is null && key.Name.StartsWith("bastion", StringComparison.Ordinal)
            ? "(only with `ztnet:bastionHost` set; then every step: the SSH connection is an input of each)"
            : "(no other valid value to compare)";
        if (radius.Count == 0) return "none";
        var names = string.Join(", ", radius.Select(n => $"`{n}`"));
        if (radius.Count == plan.Steps.Length + plan.Uploads.Length && plan.Steps.All(s => radius.Contains(s.Name))) return key.ConnectionOnly ? "every step (the SSH connection is an input of each)" : "every step";
        return key.Secret ? $"standard input of {names}" : names;
    }
}
