using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>The README is what users read first: its settings table must match the code.</summary>
public class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(RenderCommandTests.RepoRoot(), "README.md"));

    [Fact]
    public void Every_setting_is_in_the_readme_table_with_its_default()
    {
        var missing = SettingKeys.All.Where(k => !Readme.Contains($"| `{k.FullKey}` | {k.Default} |")).Select(k => k.FullKey);

        Assert.Empty(missing);
    }

    [Fact]
    public void The_readme_gives_the_render_command()
    {
        Assert.Contains("dotnet run --project infra/ZtnetInfra.Cli -- render --stack-file Pulumi.dev.yaml --out render", Readme);
    }

    [Fact]
    public void The_readme_set_up_and_test_commands_are_what_ci_runs_character_for_character()
    {
        var readme = ReadmeTestCommands(Readme);
        var ci = CiCommands(File.ReadAllText(Path.Combine(RenderCommandTests.RepoRoot(), ".ci", "run")));

        Assert.Equal(
            ["apt-get update", "apt-get install -y shellcheck podman systemd postgresql-15 busybox restic", "tests/testhost/fetch-caddy.sh", "dotnet test ZtnetInfra.sln", "dotnet test ZtnetInfra.Core.slnf"],
            readme);
        Assert.Equal(readme, ci);
    }

    [Fact]
    public void The_comparison_sees_a_drifted_command()
    {
        var drifted = Readme.Replace("apt-get install -y shellcheck podman systemd", "apt-get install shellcheck podman systemd");

        Assert.NotEqual(ReadmeTestCommands(Readme), ReadmeTestCommands(drifted));
    }

    /// <summary>The command lines of the sh blocks in README.md's "## Tests" section, before the VM host tests.</summary>
    internal static List<string> ReadmeTestCommands(string readme)
    {
        var start = readme.IndexOf("\n## Tests\n", StringComparison.Ordinal);
        var end = readme.IndexOf("\n### On a real (virtual) host", start, StringComparison.Ordinal);
        var section = readme[start..end];
        var commands = new List<string>();
        var inSh = false;
        foreach (var line in section.Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) { inSh = line == "```sh" && !inSh; continue; }
            if (inSh && line.Trim().Length > 0 && !line.TrimStart().StartsWith('#')) commands.Add(line);
        }
        return commands;
    }

    /// <summary>The lines of .ci/run that install Debian packages or tools, or run the tests, as written there.</summary>
    internal static List<string> CiCommands(string script) =>
        [.. script.Split('\n').Where(l => l.TrimStart().StartsWith("apt-get ", StringComparison.Ordinal) || l.TrimStart().StartsWith("dotnet test ", StringComparison.Ordinal)
            || l.TrimStart().StartsWith("tests/testhost/fetch-caddy.sh", StringComparison.Ordinal))];
}
