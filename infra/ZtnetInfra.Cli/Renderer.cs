using System.Text;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Cli;

/// <summary>Writes a plan to a folder for review: unit files, every step's scripts, plan.md.</summary>
public static class Renderer
{
    public static void Write(DeploymentPlan plan, IReadOnlyDictionary<string, ConfigValue> config, string outDir)
    {
        var units = Path.Combine(outDir, "units");
        var steps = Path.Combine(outDir, "steps");
        // A fresh render replaces an earlier one: stale step folders would mislead a reviewer.
        if (Directory.Exists(units)) Directory.Delete(units, recursive: true);
        if (Directory.Exists(steps)) Directory.Delete(steps, recursive: true);
        Directory.CreateDirectory(units);
        Directory.CreateDirectory(steps);

        foreach (var unit in plan.Units) WriteText(Path.Combine(units, unit.Name), unit.Render());
        for (var i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            var dir = Path.Combine(steps, StepFolder(i, step));
            Directory.CreateDirectory(dir);
            foreach (var script in step.Scripts)
                WriteText(Path.Combine(dir, script.Kind.ToString().ToLowerInvariant() + ".sh"), script.Command);
        }
        WriteText(Path.Combine(outDir, "plan.md"), PlanDocument(plan, config));
    }

    public static string StepFolder(int index, RemoteStep step) => $"{index + 1:00}-{step.Name}";

    public static string PlanDocument(DeploymentPlan plan, IReadOnlyDictionary<string, ConfigValue> config)
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
            sb.Append(st.SecretStdin.IsEmpty ? "-" : string.Join(", ", st.SecretStdin)).Append(" | ");
            sb.Append(string.Join(", ", st.Scripts.Select(x => x.Kind.ToString().ToLowerInvariant())));
            sb.Append(st.RetainOnDelete ? " (retained on delete: destroy runs nothing)" : "").Append(" | ");
            sb.Append(st.Title.Replace("|", "\\|")).Append(" |\n");
        }

        sb.Append("\n## Units\n\n");
        foreach (var u in plan.Units) sb.Append($"- `units/{u.Name}` in `~{s.ServiceUser}/.config/systemd/user/`\n");

        sb.Append("\n## What each setting affects\n\nThe steps whose text changes when the setting alone changes; only those run on the next `pulumi up`.\n\n");
        sb.Append("| setting | value | steps that change |\n|---|---|---|\n");
        foreach (var key in SettingKeys.All)
        {
            var value = key.Secret
                ? (config.ContainsKey(key.FullKey) ? "(secret, set)" : key.Default)
                : config.TryGetValue(key.FullKey, out var v) ? $"`{v.Text}`" : $"default `{key.Default}`";
            string affects;
            if (key.Secret)
                affects = key == SettingKeys.SshPrivateKey ? "the SSH connection only" : "standard input of " + string.Join(", ", plan.Steps.Where(st => st.SecretStdin.Contains(SecretOf(key))).Select(st => $"`{st.Name}`"));
            else if (key.ConnectionOnly)
                affects = "the SSH connection only";
            else
            {
                var radius = BlastRadius.Of(config, key);
                affects = radius is null ? "(no other valid value to compare)" : radius.Count == 0 ? "none" : string.Join(", ", radius.Select(n => $"`{n}`"));
            }
            sb.Append($"| `{key.FullKey}` | {value.Replace("|", "\\|")} | {affects} |\n");
        }
        return sb.ToString();
    }

    private static PlanSecret SecretOf(SettingKey key) =>
        key == SettingKeys.PostgresPassword ? PlanSecret.PostgresPassword : PlanSecret.AuthSecret;

    private static void WriteText(string path, string text) =>
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
}
