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
    public void The_readme_gives_the_render_and_test_commands_ci_uses()
    {
        Assert.Contains("dotnet run --project infra/ZtnetInfra.Cli -- render --stack-file Pulumi.dev.yaml --out render", Readme);
        Assert.Contains("dotnet test ZtnetInfra.sln", Readme);
        Assert.Contains("dotnet test \"$target\"", File.ReadAllText(Path.Combine(RenderCommandTests.RepoRoot(), ".ci", "run")));
    }
}
