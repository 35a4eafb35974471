using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The health gate's loop against stand-ins for podman, curl and systemctl: it passes only after
/// its rounds in a row span the stable window with no container started again, and a service that
/// restarts between passing rounds never passes.
/// </summary>
public class HealthGateLoopTests
{
    /// <summary>The stable window the plan gives the gate (HealthGate.StableSeconds), read from its prelude.</summary>
    private static readonly int StableSeconds = int.Parse(System.Text.RegularExpressions.Regex.Match(
        Stacks.Plan(Stacks.Minimal()).Step("health-gate").Create.Body, @"\nwindow='(\d+)'\n").Groups[1].Value);

    /// <summary>
    /// A healthy pod as the gate's checks see it. podman: the ZeroTier API answers from the ZTNet
    /// container; `inspect {{.Name}} {{.State.StartedAt.Unix}}` gives each container's start
    /// (2000000000, after the token's mtime; one second later at every call when $HOME/flap
    /// exists); PostgreSQL refuses a login without the password, accepts ztnet's, refuses the
    /// superuser over TCP, and its superuser session reads rolsuper f. curl answers 200 with
    /// {"ok":true}. Every podman call is logged to $HOME/calls.
    /// </summary>
    private static (FakeBin Bin, string Body) Host(int timeout, bool flap, string? restoredController = null, string status = "")
    {
        var bin = new FakeBin();
        var token = Path.Combine(bin.Home, "authtoken.secret");
        File.WriteAllText(token, "abcdefghijklmnopqrstuvwx\n");
        File.SetLastWriteTimeUtc(token, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        if (flap) File.WriteAllText(Path.Combine(bin.Home, "flap"), "");
        bin.Tool("podman", $$$"""
            h={{{bin.Home}}}
            echo "podman $*" >> "$h/calls"
            case "$*" in
              "inspect --format {{.Name}} {{.State.StartedAt.Unix}} "*)
                n=0; if [ -e "$h/flap" ]; then n=$(( $(cat "$h/n" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$h/n"; fi
                for c in "${@:4}"; do echo "$c $((2000000000 + n))"; done ;;
              "exec -i ztnet sh -c "*) cat >/dev/null; cat "$h/status" ;;
              "exec postgres psql "*) exit 2 ;;
              "exec -i postgres sh -c "*) cat >/dev/null; [ "$8" = ztnet ] || exit 2 ;;
              "exec -i postgres psql "*) cat >/dev/null; echo f ;;
              "container exists "*) ;;
              *) echo "unexpected podman $*" >&2; exit 2 ;;
            esac
            """);
        bin.Tool("curl", """
            while [ $# -gt 0 ]; do case "$1" in --output) printf '{"ok":true}' > "$2"; shift 2 ;; *) shift ;; esac; done
            printf 200
            """);
        bin.Tool("systemctl", "echo 0");
        File.WriteAllText(Path.Combine(bin.Home, "status"), status);
        // DATA's marker, as data-dirs writes it and a restore adds to it.
        var marker = Path.Combine(bin.Home, "marker");
        File.WriteAllText(marker, "service-user=ztnet\ndirectory=created\n" + (restoredController is null ? "" : $"restored-from=restic:latest\nrestored-controller={restoredController}\n"));
        var body = Stacks.Plan(Stacks.Minimal()).Step("health-gate").Create.Body
            .Replace("token='/opt/ztnet-data/zerotier/authtoken.secret'\n", $"token='{token}'\n", StringComparison.Ordinal)
            .Replace("timeout='300'\n", $"timeout='{timeout}'\n", StringComparison.Ordinal)
            .Replace("marker='/opt/ztnet-data/.ztnet-infra'\n", $"marker='{marker}'\n", StringComparison.Ordinal);
        return (bin, body);
    }

    private static Tools.Result Run(FakeBin bin, string body) =>
        Tools.Run("bash", ["-c", body], stdin: "password1234567890\nsecret\n", env: new Dictionary<string, string>
        {
            ["HOME"] = bin.Home,
            ["PATH"] = bin.Bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        });

    [Fact]
    public void A_steady_pod_passes_after_its_rounds_span_the_stable_window()
    {
        var (bin, body) = Host(timeout: 120, flap: false);
        using (bin)
        {
            Assert.True(StableSeconds >= 10, "the gate's rounds must span at least the 10 s its 5 s pauses used to give");
            var r = Run(bin, body);

            Assert.True(r.ExitCode == 0, r.Output);
            var span = int.Parse(System.Text.RegularExpressions.Regex.Match(r.Output, @"rounds in a row over (\d+) s").Groups[1].Value);
            Assert.True(span >= StableSeconds, r.Output);
            Assert.Contains("no container restarted", r.Output);
            // The configuration checks ran in the series' first round only; the others checked what can stop working.
            var calls = File.ReadAllLines(Path.Combine(bin.Home, "calls"));
            Assert.Equal(1, calls.Count(c => c.StartsWith("podman exec postgres psql -X -w", StringComparison.Ordinal)));
            Assert.True(calls.Count(c => c.StartsWith("podman exec -i ztnet", StringComparison.Ordinal)) >= 3, r.Output);
        }
    }

    [Fact]
    public void A_pod_whose_containers_start_again_between_rounds_never_passes()
    {
        var (bin, body) = Host(timeout: 15, flap: true);
        using (bin)
        {
            var r = Run(bin, body);

            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("failed check: a container started again between two passing rounds (it flaps)", r.Output);
            // After each restart the next series starts with a full round again.
            Assert.True(File.ReadAllLines(Path.Combine(bin.Home, "calls")).Count(c => c.StartsWith("podman exec postgres psql -X -w", StringComparison.Ordinal)) > 1);
        }
    }

    /// <summary>ZeroTier's /status as zerotier-one answers it (service/OneService.cpp: the node's address, pretty-printed JSON).</summary>
    private static string Status(string address) => $"{{\n \"address\": \"{address}\",\n \"online\": true\n}}\n";

    [Fact]
    public void A_restored_controller_must_answer_with_the_address_it_was_restored_with()
    {
        var (bin, body) = Host(timeout: 8, flap: false, restoredController: "8056c2e21c", status: Status("1234567890"));
        using (bin)
        {
            var r = Run(bin, body);

            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("the ZeroTier controller answers as 1234567890, not as the controller 8056c2e21c restored from the backup", r.Output);
        }
        var (same, sameBody) = Host(timeout: 120, flap: false, restoredController: "8056c2e21c", status: Status("8056c2e21c"));
        using (same) Assert.Equal(0, Run(same, sameBody).ExitCode);
    }
}
