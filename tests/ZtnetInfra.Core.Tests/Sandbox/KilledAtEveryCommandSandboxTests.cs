using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// An interrupted `pulumi up` or `pulumi destroy` converges: each root step that changes accounts
/// or directories (service-account, service-user, data-dirs), its create and its purge delete, is
/// hung up before each of its commands in turn (a DEBUG trap counts the simple commands and sends
/// SIGHUP to the step's whole process group, as a dropped SSH session does to the remote shell and
/// what it started) and then run again normally. After every such pair the host (accounts byte for
/// byte, the stack's records, linger, homes, DATA) equals what an uninterrupted run leaves, and the
/// opposite run still brings it back to what it was before. That is what the engine does next
/// (pulumi/pulumi `pkg/resource/deploy/deployment_executor.go`: the next update warns "Attempting
/// to deploy or update resources with N pending operations from previous deployment" and goes on
/// from the snapshot's resources): a create that was pending is in none of them, so its create
/// runs again; an interrupted update or delete leaves the resource with its old state, so the
/// same update or delete runs again (facts.md section 4).
/// </summary>
[Trait("Category", "Sandbox")]
public class KilledAtEveryCommandSandboxTests
{
    private static readonly string[] CreateOrder = ["service-account", "service-user", "data-dirs"];

    [SandboxFact]
    public void Each_root_step_hung_up_before_any_of_its_commands_is_finished_by_the_next_run() => HostSandbox.Use(box =>
    {
        var output = Converge(box, "", CreateOrder);
        foreach (var name in CreateOrder) AssertHungUpThroughout(output, name);
    });

    [SandboxFact]
    public void A_purge_of_a_taken_over_DATA_hung_up_anywhere_gives_it_back_as_found() => HostSandbox.Use(box =>
    {
        // An empty directory prepared for the stack (a mount point's parent would do as well), not root's.
        var output = Converge(box, "install -d -o nobody -g nogroup -m 0755 /srv/ztnet", ["=service-account", "=service-user", "data-dirs"]);
        AssertHungUpThroughout(output, "data-dirs");
        Assert.Contains("nobody:nogroup 755", box.Ok("stat -c '%U:%G %a' /srv/ztnet"));
    });

    private static string Converge(HostSandbox box, string setup, string[] steps)
    {
        var plan = Stacks.Plan(Stacks.With(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false")));
        var dir = Path.Combine(box.Area, "every");
        Directory.CreateDirectory(dir);
        foreach (var name in CreateOrder)
        {
            var step = plan.Step(name);
            File.WriteAllText(Path.Combine(dir, $"{name}.create.sh"), step.Create.Body);
            File.WriteAllText(Path.Combine(dir, $"{name}.delete.sh"), step.Delete!.Body);
        }
        File.WriteAllText(Path.Combine(dir, "converge.sh"), Harness);
        // The records' directories stay after a purge (as in OwnershipSandboxTests): present from the start.
        box.Ok("install -d -m 0755 /var/lib/ztnet-infra/accounts /var/lib/systemd/linger");
        if (setup.Length > 0) box.Ok(setup);
        var before = box.Accounts() + box.Snapshot("/srv");

        var r = box.Bash($"bash {Sh.Quote(Path.Combine(dir, "converge.sh"))} {Sh.Quote(dir)} {string.Join(' ', steps)}", timeout: TimeSpan.FromMinutes(20));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal(before, box.Accounts() + box.Snapshot("/srv"));
        return r.Output;
    }

    private static void AssertHungUpThroughout(string output, string name)
    {
        foreach (var kind in new[] { "create", "delete" })
        {
            var m = System.Text.RegularExpressions.Regex.Match(output, $"{name}\\.{kind}\\.sh: hung up before each of (\\d+) commands");
            Assert.True(m.Success, output);
            // None or one would mean the trap counted nothing (the smallest, service-user's delete, runs 9).
            Assert.True(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 5, output);
        }
    }

    /// <summary>
    /// converge.sh DIR STEP...: creates in the given order, then deletes in reverse; for each
    /// script, hung up before command k = 1, 2, ... until a run ends by itself, each time followed by
    /// a normal run, compared with the uninterrupted result, and undone by the opposite script.
    /// </summary>
    private const string Harness = """
        #!/bin/bash
        set -u
        dir=$1; shift
        state() {
          for p in /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid /etc/subgid /var/lib/ztnet-infra /var/lib/systemd/linger /home /srv; do
            if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo "$p absent"; continue; fi
            find "$p" -printf '%p %y %m %u:%g %s %l\n' | LC_ALL=C sort
            find "$p" -type f -exec sha256sum {} + | LC_ALL=C sort -k 2
          done
        }
        fail() { echo "FAIL: $*"; exit 1; }
        same() { state > "$dir/now"; if ! cmp -s "$dir/now" "$dir/$1"; then diff "$dir/$1" "$dir/now" | head -n 20; fail "$2"; fi; }
        quiet() { bash "$dir/$1" > "$dir/out" 2>&1 || { cat "$dir/out"; fail "$2"; }; }
        # killed K SCRIPT: the script in a session of its own; before its K-th simple command (in
        # functions, subshells and command substitutions too) the whole process group gets SIGHUP.
        killed() {
          { printf 'set -T\nztnet_n=0\n'
            printf 'trap '\''ztnet_n=$((ztnet_n + 1)); if [ "$ztnet_n" -eq %s ]; then kill -HUP 0; fi'\'' DEBUG\n' "$1"
            cat "$dir/$2"; } > "$dir/killed.sh"
          setsid -w bash "$dir/killed.sh" > "$dir/out" 2>&1
        }
        # every SCRIPT UNDO: the state before SCRIPT is "pre"; after it, "post"
        every() {
          local k=1 st
          while :; do
            killed "$k" "$1" 2>/dev/null; st=$?
            if [ "$st" != 129 ]; then
              [ "$st" = 0 ] || { cat "$dir/out"; fail "$1 with a counting trap that never fired exited $st"; }
              same post "$1 run whole differs from the uninterrupted run"
              break
            fi
            quiet "$1" "$1 run again after a hang-up before command $k failed"
            same post "after $1 was hung up before command $k and run again, the host differs from an uninterrupted run"
            quiet "$2" "$2 after $1 (hung up before command $k, run again) failed"
            same pre "after $1 (hung up before command $k, run again) and $2, the host differs from before $1"
            k=$((k + 1))
          done
          echo "$1: hung up before each of $((k - 1)) commands"
        }
        for s in "$@"; do
          if [ "${s#=}" != "$s" ]; then quiet "${s#=}.create.sh" "${s#=}.create"; continue; fi
          state > "$dir/pre"; quiet "$s.create.sh" "$s.create"; state > "$dir/post"
          quiet "$s.delete.sh" "$s.delete"; same pre "$s.delete after $s.create"
          every "$s.create.sh" "$s.delete.sh"
        done
        rev=()
        for s in "$@"; do rev=("$s" "${rev[@]}"); done
        for s in "${rev[@]}"; do
          if [ "${s#=}" != "$s" ]; then quiet "${s#=}.delete.sh" "${s#=}.delete"; continue; fi
          state > "$dir/post"; quiet "$s.delete.sh" "$s.delete"; state > "$dir/pre"
          quiet "$s.create.sh" "$s.create"; same post "$s.create after $s.delete"
          # Here "pre" is the state after the delete and "post" before it: the roles swap.
          mv "$dir/pre" "$dir/tmp"; mv "$dir/post" "$dir/pre"; mv "$dir/tmp" "$dir/post"
          every "$s.delete.sh" "$s.create.sh"
          quiet "$s.delete.sh" "$s.delete"
        done
        """;
}
