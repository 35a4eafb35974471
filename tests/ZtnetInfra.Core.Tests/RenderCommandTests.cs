using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>The offline render command, as a user runs it against a stack file.</summary>
public class RenderCommandTests
{
    private const string StackYaml = """
        config:
          ztnet:host: 203.0.113.10
          ztnet:domain: ztnet.example.org
          ztnet:httpPort: "80"
          ztnet:postgresPassword:
            secure: v1:Zm9vYmFyYmF6cXV4:CIPHERTEXT-MUST-NOT-BE-PRINTED
          other:setting: kept out
        """;

    [Fact]
    public void Render_writes_units_step_scripts_and_a_plan()
    {
        var (dir, stack) = Stack(StackYaml);
        var outDir = Path.Combine(dir, "out");

        var (code, stdout, stderr) = Run("render", "--stack-file", stack, "--out", outDir);

        Assert.Equal(0, code);
        Assert.StartsWith("warning: ztnet:sshHostKey is not set", stderr);
        Assert.DoesNotContain("warning", stdout);
        Assert.Equal(new[] { "container-caddy.service", "container-postgres.service", "container-zerotier.service", "container-ztnet.service", "ztnet-pod.service" },
            Directory.GetFiles(Path.Combine(outDir, "units")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // Caddy's configuration as the unit-caddy step writes it.
        var caddy = File.ReadAllText(Path.Combine(outDir, "files", "ztnet-infra-caddy.json"));
        Assert.Contains(caddy.TrimEnd('\n'), File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(outDir, "steps"), "*-unit-caddy").Single(), "create.sh")), StringComparison.Ordinal);
        var steps = Directory.GetDirectories(Path.Combine(outDir, "steps")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal("01-host-os", steps[0]);
        Assert.Equal("19-health-gate", steps[^1]);
        Assert.True(File.Exists(Path.Combine(outDir, "steps", "07-podman-secrets", "update.sh")));
        Assert.False(File.Exists(Path.Combine(outDir, "steps", "01-host-os", "delete.sh")));
        var plan = File.ReadAllText(Path.Combine(outDir, "plan.md"));
        Assert.Contains("| `ztnet:domain` | `ztnet.example.org` | `health-gate`, `unit-caddy`, `unit-ztnet` |", plan);
        Assert.Contains("| `ztnet:postgresPassword` | (secret, set) |", plan);
        Assert.DoesNotContain("CIPHERTEXT", string.Concat(Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Select(File.ReadAllText)) + stdout);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Rendering_twice_gives_byte_identical_output()
    {
        var (dir, stack) = Stack(StackYaml);

        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", Path.Combine(dir, "a")).Code);
        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", Path.Combine(dir, "b")).Code);

        var a = Snapshot(Path.Combine(dir, "a"));
        var b = Snapshot(Path.Combine(dir, "b"));
        Assert.Equal(a.Keys, b.Keys);
        foreach (var k in a.Keys) Assert.True(a[k].SequenceEqual(b[k]), $"{k} differs");
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Invalid_settings_exit_2_list_each_problem_on_stderr_and_write_nothing()
    {
        var (dir, stack) = Stack("""
            config:
              ztnet:host: "bad host"
              ztnet:httpsPort: "99999"
              ztnet:authSecret: in-plain-text-oops
            """);
        var outDir = Path.Combine(dir, "out");

        var (code, stdout, stderr) = Run("render", "--stack-file", stack, "--out", outDir);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("ztnet:host: "));
        Assert.Contains(lines, l => l.StartsWith("ztnet:httpsPort: "));
        Assert.Contains(lines, l => l.StartsWith("ztnet:domain: is required"));
        Assert.Contains(lines, l => l.StartsWith("ztnet:authSecret: ") && l.Contains("--secret") && !l.Contains("oops"));
        Assert.False(Directory.Exists(outDir));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_missing_stack_file_or_bad_arguments_are_clear_errors()
    {
        Assert.Equal(2, Run("render", "--stack-file", "/nonexistent/Pulumi.x.yaml", "--out", "/tmp/never").Code);
        Assert.Equal(64, Run("render", "--out").Code);
        Assert.Equal(64, Run().Code);
        Assert.Equal(64, Run("frobnicate").Code);
    }

    [Fact]
    public void The_shipped_example_stack_renders_cleanly()
    {
        var root = RepoRoot();
        var outDir = Tools.TempDir();

        var (code, _, stderr) = Run("render", "--stack-file", Path.Combine(root, "Pulumi.dev.yaml"), "--out", outDir);

        Assert.Equal(0, code);
        Assert.DoesNotContain("error", stderr);
        Directory.Delete(outDir, recursive: true);
    }

    [Fact]
    public void A_rerender_replaces_step_folders_that_left_the_plan()
    {
        var (dir, stack) = Stack(StackYaml);
        var outDir = Path.Combine(dir, "out");
        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", outDir).Code);
        Assert.True(Directory.Exists(Path.Combine(outDir, "steps", "05-unprivileged-ports")));

        File.WriteAllText(stack, StackYaml.Replace("ztnet:httpPort: \"80\"", "ztnet:httpPort: \"8080\"\n  ztnet:httpsPort: \"8443\"\n  ztnet:zerotierPort: \"9994\"\n  ztnet:tlsMode: internal"));
        Assert.Equal(0, Run("render", "--stack-file", stack, "--out", outDir).Code);

        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(outDir, "steps")), d => d.Contains("unprivileged-ports"));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_ca_root_file_named_in_the_stack_is_read_beside_the_stack_file_and_rendered()
    {
        var root = TestCertificates.RootPem("render root");
        var (dir, stack) = Stack(StackYaml + "\n  ztnet:acmeCa: https://ca.example.lan/acme/acme/directory\n  ztnet:acmeCaRoot: certs/lan-root.pem\n");
        Directory.CreateDirectory(Path.Combine(dir, "certs"));
        File.WriteAllText(Path.Combine(dir, "certs", "lan-root.pem"), root);
        var outDir = Path.Combine(dir, "out");

        // Rendered from another working directory: the path is the project's, not the shell's.
        var (code, _, stderr) = Run("render", "--stack-file", stack, "--out", outDir);

        Assert.True(code == 0, stderr);
        Assert.Equal(root, File.ReadAllText(Path.Combine(outDir, "files", "ztnet-infra-acme-ca-root.pem")));
        Assert.Contains("files/ztnet-infra-acme-ca-root.pem", File.ReadAllText(Path.Combine(outDir, "plan.md")), StringComparison.Ordinal);

        File.Delete(Path.Combine(dir, "certs", "lan-root.pem"));
        var missing = Run("render", "--stack-file", stack, "--out", outDir);
        Assert.Equal(2, missing.Code);
        Assert.Contains("ztnet:acmeCaRoot: names a file that cannot be read", missing.Stderr, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    internal static (string Dir, string Stack) Stack(string yaml)
    {
        var dir = Tools.TempDir();
        var stack = Path.Combine(dir, "Pulumi.test.yaml");
        File.WriteAllText(stack, yaml);
        return (dir, stack);
    }

    internal static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = ZtnetInfra.Cli.Cli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    internal static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "ZtnetInfra.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static SortedDictionary<string, byte[]> Snapshot(string dir) =>
        new(Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes), StringComparer.Ordinal);
}
