using System.Text;
using ZtnetInfra.Cli;

namespace ZtnetInfra.Core.Tests;

/// <summary>The command line as a user meets it: help, version, usage errors, and a render that owns its --out.</summary>
public class CliTests
{
    private const string StackYaml = "config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: ztnet.example.org\n";

    private static (int Code, string Stdout, string Stderr) Run(params string[] args) => RenderCommandTests.Run(args);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("render", "--help")]
    [InlineData("render", "-h")]
    public void Help_goes_to_stdout_with_exit_0(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("render", stdout);
        if (args[0] == "render")
        {
            Assert.Contains("--stack-file", stdout);
            Assert.Contains("--out", stdout);
            Assert.Contains("Exit codes: 0 rendered; 2 ", stdout);
        }
    }

    [Fact]
    public void Version_goes_to_stdout_with_exit_0()
    {
        var (code, stdout, stderr) = Run("--version");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public void The_real_executable_prints_help_on_stdout()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ztnet-infra.dll");

        var result = Tools.Run("dotnet", [dll, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("render", result.Output);
    }

    [Fact]
    public void An_unknown_command_is_named_and_exits_64()
    {
        var (code, stdout, stderr) = Run("rendr", "--out", "x");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.Contains("'rendr'", stderr);
    }

    [Fact]
    public void A_missing_option_is_named_and_exits_64()
    {
        var (code, _, stderr) = Run("render", "--stack-file", "Pulumi.dev.yaml");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("Option '--out' is required", stderr);
        Assert.Equal(ExitCodes.Usage, Run("render", "--out").Code);
        Assert.Equal(ExitCodes.Usage, Run().Code);
        Assert.Contains("--bogus", Run("render", "--bogus").Stderr);
    }

    [Fact]
    public void Out_at_a_directory_the_render_did_not_write_is_refused_and_left_byte_for_byte()
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);
        var foreign = Path.Combine(dir, "home");
        Directory.CreateDirectory(Path.Combine(foreign, "units"));
        Directory.CreateDirectory(Path.Combine(foreign, "steps", "old"));
        File.WriteAllText(Path.Combine(foreign, "units", "mine.service"), "[Unit]\n");
        File.WriteAllBytes(Path.Combine(foreign, "steps", "old", "data.bin"), [0, 1, 2, 255]);
        File.WriteAllText(Path.Combine(foreign, "plan.md"), "my notes");
        var before = Snapshot(foreign);

        var (code, stdout, stderr) = Run("render", "--stack-file", stack, "--out", foreign);

        Assert.Equal(ExitCodes.OutputRefused, code);
        Assert.Equal("", stdout);
        Assert.Contains("was not written by ztnet-infra render", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        AssertSame(before, Snapshot(foreign));
        Assert.Equal(new[] { "Pulumi.test.yaml", "home" }, Entries(dir));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Out_at_a_file_is_one_line_without_a_stack_trace()
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);
        var file = Path.Combine(dir, "notes.txt");
        File.WriteAllText(file, "keep me");

        var (code, stdout, stderr) = Run("render", "--stack-file", stack, "--out", file);

        Assert.Equal(ExitCodes.OutputRefused, code);
        Assert.Equal("", stdout);
        Assert.Equal($"--out {file}: is a file, not a directory: give a new directory, e.g. --out render.\n", stderr);
        Assert.Equal("keep me", File.ReadAllText(file));
        Assert.Equal(new[] { "Pulumi.test.yaml", "notes.txt" }, Entries(dir));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_rerender_replaces_the_previous_render_whole()
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);
        var outDir = Path.Combine(dir, "render");
        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", outDir).Code);
        Assert.Contains(Directory.GetDirectories(Path.Combine(outDir, "steps")), d => d.EndsWith("-unprivileged-ports", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(outDir, RenderOutput.MarkerName)));

        File.WriteAllText(stack, StackYaml + "  ztnet:httpPort: \"8080\"\n  ztnet:httpsPort: \"8443\"\n  ztnet:zerotierPort: \"9994\"\n  ztnet:tlsMode: internal\n");
        var (code, _, stderr) = Run("render", "--stack-file", stack, "--out", outDir);

        Assert.Equal(0, code);
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(outDir, "steps")), d => d.Contains("unprivileged-ports"));
        Assert.Contains("8443", File.ReadAllText(Path.Combine(outDir, "plan.md")));
        Assert.Equal(new[] { "Pulumi.test.yaml", "render" }, Entries(dir));
        Assert.DoesNotContain("error", stderr);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_render_with_a_file_added_or_changed_is_not_replaced()
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);
        var outDir = Path.Combine(dir, "render");
        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", outDir).Code);
        File.WriteAllText(Path.Combine(outDir, "units", "review-notes.txt"), "mine");
        var before = Snapshot(outDir);

        var added = Run("render", "--stack-file", stack, "--out", outDir);
        File.Delete(Path.Combine(outDir, "units", "review-notes.txt"));
        File.AppendAllText(Path.Combine(outDir, "plan.md"), "\nmy comment\n");
        var edited = Run("render", "--stack-file", stack, "--out", outDir);

        Assert.Equal(ExitCodes.OutputRefused, added.Code);
        Assert.Contains("review-notes.txt", added.Stderr);
        Assert.Equal(ExitCodes.OutputRefused, edited.Code);
        Assert.Contains("plan.md, changed since the render wrote it", edited.Stderr);
        Assert.EndsWith("\nmy comment\n", File.ReadAllText(Path.Combine(outDir, "plan.md")));
        Assert.Equal(before.Count - 1, Snapshot(outDir).Count);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_failed_render_writes_nothing_new_and_leaves_no_stale_render()
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);
        var outDir = Path.Combine(dir, "render");
        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", outDir).Code);

        File.WriteAllText(stack, StackYaml + "  ztnet:httpsPort: \"99999\"\n");
        var (code, _, stderr) = Run("render", "--stack-file", stack, "--out", outDir);
        var fresh = Run("render", "--stack-file", stack, "--out", Path.Combine(dir, "fresh"));

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Contains("ztnet:httpsPort", stderr);
        Assert.Contains("removed the earlier render", stderr);
        Assert.False(Directory.Exists(outDir));
        Assert.Equal(ExitCodes.InvalidSettings, fresh.Code);
        Assert.Equal(new[] { "Pulumi.test.yaml" }, Entries(dir));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void An_empty_directory_may_be_rendered_into()
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);
        var outDir = Path.Combine(dir, "render");
        Directory.CreateDirectory(outDir);

        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", outDir).Code);
        Assert.True(File.Exists(Path.Combine(outDir, "plan.md")));
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("no-such-parent/render")]
    public void Out_that_cannot_be_a_render_is_one_line(string outDir)
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);

        var (code, _, stderr) = Run("render", "--stack-file", stack, "--out", outDir == "/" ? "/" : Path.Combine(dir, outDir));

        Assert.Equal(ExitCodes.OutputRefused, code);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", stderr);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void The_host_key_warning_goes_to_stderr()
    {
        var (dir, stack) = RenderCommandTests.Stack(StackYaml);

        var (code, stdout, stderr) = Run("render", "--stack-file", stack, "--out", Path.Combine(dir, "r"));

        Assert.Equal(0, code);
        Assert.StartsWith("rendered ", stdout);
        Assert.DoesNotContain("warning", stdout);
        Assert.StartsWith("warning: ztnet:sshHostKey is not set", stderr);
        Directory.Delete(dir, recursive: true);
    }

    internal static SortedDictionary<string, byte[]> Snapshot(string dir) =>
        new(Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => File.Exists(f) ? File.ReadAllBytes(f) : Encoding.UTF8.GetBytes("(directory)")), StringComparer.Ordinal);

    private static void AssertSame(SortedDictionary<string, byte[]> a, SortedDictionary<string, byte[]> b)
    {
        Assert.Equal(a.Keys, b.Keys);
        foreach (var k in a.Keys) Assert.True(a[k].SequenceEqual(b[k]), $"{k} changed");
    }

    private static string[] Entries(string dir) =>
        [.. Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
}
