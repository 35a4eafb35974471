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
        // The PostgreSQL round's own script runs (by the machine's sh) against a psql that answers as
        // the database-password step leaves the server: over TCP only ZTNet's role, with a password;
        // over the socket the superuser, whose session reads rolsuper f.
        var pgBin = Path.Combine(bin.Home, "pg-bin");
        Directory.CreateDirectory(pgBin);
        File.WriteAllText(Path.Combine(pgBin, "psql"), """
            #!/bin/sh
            # Flags in $HOME: trust (TCP logins need no password), super (ztnet is a superuser),
            # down (the server refuses every TCP login).
            case " $* " in
              *" -h 127.0.0.1 "*) if [ -e "$HOME/down" ]; then echo 'psql: error: connection to server at "127.0.0.1", port 5432 failed: Connection refused' >&2; exit 2; fi ;;
            esac
            case " $* " in
              *" -h 127.0.0.1 -U ztnet "*) [ -n "${PGPASSWORD:-}" ] || [ -e "$HOME/trust" ] || { echo 'psql: error: fe_sendauth: no password supplied' >&2; exit 2; }; echo 1 ;;
              *" -h 127.0.0.1 "*) echo 'psql: error: FATAL:  password authentication failed' >&2; exit 2 ;;
              *) cat >/dev/null; if [ -e "$HOME/super" ]; then echo t; else echo f; fi ;;
            esac
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(pgBin, "psql"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        bin.Tool("podman", $$$"""
            h={{{bin.Home}}}
            printf 'podman %s\n' "$(printf '%s' "$*" | tr '\n' ' ')" >> "$h/calls"
            case "$*" in
              "inspect --format {{.Name}} {{.State.StartedAt.Unix}} "*)
                n=0; if [ -e "$h/flap" ]; then n=$(( $(cat "$h/n" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$h/n"; fi
                for c in "${@:4}"; do echo "$c $((2000000000 + n))"; done ;;
              "exec -i ztnet sh -c "*) cat >/dev/null; cat "$h/status" ;;
              "exec -i postgres sh -c "*) shift 4; PATH={{{pgBin}}}:$PATH sh "$@" ;;
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
            Assert.Equal(1, calls.Count(FullPostgresRound));
            Assert.True(calls.Count(c => c.StartsWith("podman exec -i postgres sh -c", StringComparison.Ordinal)) >= 3, r.Output);
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
            Assert.True(File.ReadAllLines(Path.Combine(bin.Home, "calls")).Count(FullPostgresRound) > 1);
        }
    }

    [Theory]
    [InlineData("trust", "failed check: PostgreSQL accepts a TCP login from the pod without a password (pg_hba.conf trusts it)")]
    [InlineData("super", "failed check: ZTNet's database role ztnet is a superuser (rolsuper: t)")]
    [InlineData("down", "failed check: PostgreSQL refuses ZTNet's role ztnet with the current password over TCP: psql: error: connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")]
    public void A_database_check_that_fails_is_named_and_the_password_is_not_shown(string flag, string named)
    {
        var (bin, body) = Host(timeout: 3, flap: false);
        using (bin)
        {
            File.WriteAllText(Path.Combine(bin.Home, flag), "");
            var r = Run(bin, body);

            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(named, r.Output);
            Assert.DoesNotContain("password1234567890", r.Output);
            Assert.DoesNotContain("password1234567890", File.ReadAllText(Path.Combine(bin.Home, "calls")));
        }
    }

    /// <summary>A podman call of the gate's PostgreSQL round with the configuration checks (a full round).</summary>
    private static bool FullPostgresRound(string call) =>
        call.StartsWith("podman exec -i postgres sh -c", StringComparison.Ordinal) && call.EndsWith(" sh ztnet postgres ztnet full", StringComparison.Ordinal);

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
