using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>Every script the plan sends passes shellcheck and a syntax check, body and launcher alike.</summary>
public class ScriptCheckTests
{
    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void Every_script_passes_shellcheck_and_syntax_checks(string stack)
    {
        var plan = Stacks.Plan(Stacks.Varied[stack]);
        var dir = Tools.TempDir();
        var failures = new List<string>();
        foreach (var step in plan.Steps)
        foreach (var script in step.Scripts)
        {
            var name = $"{step.Name}-{script.Kind}";
            var body = Path.Combine(dir, name + ".body.sh");
            File.WriteAllText(body, "#!/usr/bin/env bash\n" + script.Body);
            var command = Path.Combine(dir, name + ".sh");
            File.WriteAllText(command, script.Command);

            Check(failures, name + " body", Tools.Run("shellcheck", ["--shell=bash", "--severity=style", body]));
            Check(failures, name + " body", Tools.Run("bash", ["-n", body]));
            Check(failures, name + " command", Tools.Run("shellcheck", ["--shell=sh", "--severity=style", command]));
            Check(failures, name + " command (sh)", Tools.Run("sh", ["-n", command]));
            Check(failures, name + " command (bash)", Tools.Run("bash", ["-n", command]));
        }
        // The backup program the backups step installs on the host.
        var program = Path.Combine(dir, "backup-program.sh");
        File.WriteAllText(program, ZtnetInfra.Core.Plan.BackupSteps.ProgramText(plan.Settings));
        Check(failures, "backup program", Tools.Run("shellcheck", ["--shell=bash", "--severity=style", program]));
        Check(failures, "backup program", Tools.Run("bash", ["-n", program]));
        Directory.Delete(dir, recursive: true);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Shellcheck_is_real_and_catches_an_unquoted_variable()
    {
        var dir = Tools.TempDir();
        var file = Path.Combine(dir, "bad.sh");
        File.WriteAllText(file, "#!/usr/bin/env bash\nrm -rf $dir/x\n");

        Assert.NotEqual(0, Tools.Run("shellcheck", [file]).ExitCode);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Every_body_starts_in_strict_mode()
    {
        foreach (var step in Stacks.Plan(Stacks.Minimal()).Steps)
        foreach (var script in step.Scripts)
            Assert.StartsWith("set -euo pipefail\n", script.Body);
    }

    private static void Check(List<string> failures, string what, Tools.Result r)
    {
        if (r.ExitCode != 0) failures.Add($"{what}:\n{r.Output}");
    }
}
