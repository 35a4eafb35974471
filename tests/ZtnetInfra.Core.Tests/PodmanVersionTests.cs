using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The secrets step against stand-in `podman` programs that behave like the versions we claim:
/// 4.9.3 (Ubuntu 24.04), whose `secret create --replace` of a secret that does not exist fails
/// (containers/common pkg/secrets/secrets.go, SecretsManager.Store, vendored in 4.7 to 5.0), and
/// 5.x, which ignores the missing secret. Both must pass a first create and a rotation.
/// </summary>
public class PodmanVersionTests
{
    private const string Stdin = "Pg0123456789abcdefXYZ\nAuth-0123456789-0123456789-0123456789\n";
    private const string Rotated = "NewPassword0123456789\nAuth-9876543210-9876543210-9876543210\n";

    /// <summary>A fake podman keeping secrets as files; `--replace` of a missing one fails as 4.9.3 does when told to.</summary>
    private sealed class FakePodman : IDisposable
    {
        private readonly FakeBin _bin = new();

        public string Home => _bin.Home;

        public string Bin => _bin.Bin;

        public FakePodman(bool replaceNeedsExisting) => _bin.Tool("podman", $$"""
            store={{Home}}/secrets
            mkdir -p "$store"
            echo "podman $*" >> {{Home}}/calls.log
            case "$1 $2" in
              "secret inspect") [ -f "$store/$3" ]; exit $? ;;
              "secret rm") rm -f "$store/$3"; exit 0 ;;
              "secret create")
                shift 2
                replace=0
                if [ "$1" = --replace ]; then replace=1; shift; fi
                name=$1
                if [ -f "$store/$name" ] && [ "$replace" -eq 0 ]; then echo "Error: $name: secret name in use" >&2; exit 125; fi
                if [ "$replace" -eq 1 ] && [ ! -f "$store/$name" ] && [ {{(replaceNeedsExisting ? 1 : 0)}} -eq 1 ]; then
                  echo "Error: deleting secret : : no secret data with ID" >&2; exit 125
                fi
                cat > "$store/$name.new" && mv "$store/$name.new" "$store/$name"
                exit 0 ;;
            esac
            exit 0
            """);

        public Tools.Result Run(StepScript script, string stdin) => _bin.Run(script, stdin);

        public string Secret(string name) => File.ReadAllText(Path.Combine(Home, "secrets", name));

        public void Dispose() => _bin.Dispose();
    }

    [Theory]
    [InlineData("4.9.3", true)]
    [InlineData("5.4.2", false)]
    public void The_secrets_step_creates_and_rotates_on_each_podman_we_claim(string version, bool replaceNeedsExisting)
    {
        using var podman = new FakePodman(replaceNeedsExisting);
        var step = Stacks.Plan(Stacks.Minimal()).Step("podman-secrets");

        var first = podman.Run(step.Create, Stdin);
        Assert.True(first.ExitCode == 0, $"first create on podman {version}: {first.Output}");
        Assert.Equal("Pg0123456789abcdefXYZ", podman.Secret("ztnet-postgres-password"));

        var rotation = podman.Run(step.Update!, Rotated);
        Assert.True(rotation.ExitCode == 0, $"rotation on podman {version}: {rotation.Output}");
        Assert.Equal("NewPassword0123456789", podman.Secret("ztnet-postgres-password"));
        Assert.Equal("Auth-9876543210-9876543210-9876543210", podman.Secret("ztnet-auth-secret"));
        // A rotation replaces in place: the secret is never removed first, so a container starting meanwhile finds one.
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(podman.Home, "calls.log")), c => c.StartsWith("podman secret rm", StringComparison.Ordinal));
    }

    [Fact]
    public void The_stand_in_for_podman_4_9_3_fails_as_4_9_3_does_so_the_test_above_can_fail()
    {
        using var podman = new FakePodman(replaceNeedsExisting: true);
        var r = Tools.Run("bash", ["-c", "printf x | podman secret create --replace missing -"], env: new Dictionary<string, string>
        {
            ["PATH"] = podman.Bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        });
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("no secret data with ID", r.Output);
    }
}
