using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Cli;

/// <summary>The render command: check --out, read and validate the stack file, write the render.</summary>
public static class Render
{
    public static int Run(string stackFile, string outDir, TextWriter stdout, TextWriter stderr)
    {
        // --out first: a refused directory stops everything before anything is read or written.
        var target = RenderOutput.Inspect(outDir);

        IReadOnlyDictionary<string, ConfigValue> config;
        try
        {
            config = StackFile.ReadConfig(stackFile);
        }
        catch (CliException)
        {
            RemoveStale(target, stderr);
            throw;
        }

        var readFile = StackFile.ReaderBeside(stackFile);
        var (settings, errors) = SettingsReader.TryRead(config, readFile);
        if (settings is null)
        {
            foreach (var e in errors) stderr.WriteLine(e.ToString());
            RemoveStale(target, stderr);
            return ExitCodes.InvalidSettings;
        }

        var plan = Planner.Build(settings);
        RenderOutput.Replace(target, Renderer.Files(plan, config, readFile));
        stdout.WriteLine($"rendered {plan.Units.Length} units and {plan.Steps.Length} steps to {outDir} (see {Path.Combine(outDir, "plan.md")})");
        foreach (var w in Warnings(settings)) stderr.WriteLine("warning: " + w);
        return ExitCodes.Ok;
    }

    /// <summary>The same cautions the Pulumi program logs (infra/ZtnetInfra/SshConnection.cs), for the settings alone.</summary>
    public static IEnumerable<string> Warnings(StackSettings s)
    {
        if (s.SshHostKey is null)
            yield return $"{SettingKeys.SshHostKey.FullKey} is not set: the SSH host key of {s.Host} will not be checked. "
                + $"Pin it with the line from the server's /etc/ssh/ssh_host_ed25519_key.pub: pulumi config set {SettingKeys.SshHostKey.FullKey} 'ssh-ed25519 AAAA...'";
        if (s.BastionHost is not null && s.BastionHostKey is null)
            yield return $"{SettingKeys.BastionHostKey.FullKey} is not set: the jump host's key will not be checked. Pin it: pulumi config set {SettingKeys.BastionHostKey.FullKey} 'ssh-ed25519 AAAA...'";
    }

    /// <summary>A failed render must not leave an earlier one looking current.</summary>
    private static void RemoveStale(RenderOutput.Target target, TextWriter stderr)
    {
        if (target.State != RenderOutput.State.PreviousRender) return;
        RenderOutput.Remove(target);
        stderr.WriteLine($"ztnet-infra: removed the earlier render in {target.Path}: it no longer matches the stack file.");
    }
}
