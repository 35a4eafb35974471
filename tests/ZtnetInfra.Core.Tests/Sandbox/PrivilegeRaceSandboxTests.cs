using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// Races against root's data-dirs scripts in a <see cref="HostSandbox"/>: a hostile service user
/// (or a hostile owner of DATA's parent) runs a watcher loop, as that user (setpriv), that swaps
/// links in at every moment the step could give it: the marker's temporary file, the subdirectory
/// names between the step's checks and its mkdir/chown, the subdirectories and what is inside them
/// between the purge's checks and its rm, DATA itself under a parent it owns. Each race runs
/// <see cref="Rounds"/> times inside one sandbox (one bash loop, so the rounds cost only the
/// step's own time); after every round a canary outside DATA (a root-owned directory and a
/// stand-in shadow file) must be byte for byte as it was, and the accounts at the end as expected.
/// Nothing is timed: a lost race shows as a changed canary.
/// </summary>
[Trait("Category", "Sandbox")]
public class PrivilegeRaceSandboxTests
{
    /// <summary>Rounds per race: enough that a race won even one time in ten shows (the old scripts lose it within a few).</summary>
    public const int Rounds = 50;

    private static readonly string[] Subs = [.. ZtnetInfra.Core.Units.ServiceCatalogue.DataSubdirectories];

    // The canary: root's, outside DATA; what root must never chown, chmod, write or remove.
    private const string Canary = """
        install -d -m 0755 /srv/canary /srv/canary/dir
        printf 'root:secret:1::::::\n' > /srv/canary/shadow && chmod 0640 /srv/canary/shadow
        printf 'keep\n' > /srv/canary/dir/file
        snap() { find /srv/canary -printf '%p %y %m %u:%g %s %l\n' | LC_ALL=C sort; find /srv/canary -type f -exec sha256sum {} + | LC_ALL=C sort -k 2; }
        before=$(snap)
        install -d -m 1777 /run/watch
        # start_watcher USER SCRIPT ARGS...: runs a watcher as USER and waits until it is looping.
        start_watcher() {
          local u=$1; shift
          wu=$u
          rm -f /run/watch/ready
          setpriv --reuid "$u" --regid "$u" --clear-groups -- bash "$@" </dev/null >/dev/null 2>&1 &
          w=$!
          until [ -e /run/watch/ready ]; do :; done
        }
        # Every process of the watcher's user goes, its ln or mv still running included: one finishing
        # late would plant a link in the next round's fresh DATA before the harness's own install -d.
        stop_watcher() {
          kill "$w" 2>/dev/null || true; wait "$w" 2>/dev/null || true
          # (Zombies stay: the sandbox's PID 1 reaps nothing, and they do nothing.)
          while pkill -KILL -u "$wu" -r D,R,S,T 2>/dev/null; do sleep 0.05; done
        }
        check_canary() {
          if [ "$(snap)" != "$before" ]; then echo "LOST in round $1: the canary outside DATA changed"; diff <(echo "$before") <(snap); exit 1; fi
        }
        """;

    // The service user's watcher inside DATA while DATA is still its own (the old layout): the
    // marker's temporary files become links to the canary, and every subdirectory name flips
    // between absent, a link to the canary dir and a link to the shadow stand-in.
    private static readonly string OwnerWatcher = $$"""
        d=$1
        touch /run/watch/ready
        while :; do
          for f in "$d"/.ztnet-infra.?*; do
            if [ -e "$f" ] && [ ! -L "$f" ]; then rm -f "$f" 2>/dev/null; ln -s /srv/canary/shadow "$f" 2>/dev/null; fi
          done
          for s in {{string.Join(' ', Subs)}}; do
            if [ -d "$d/$s" ] && [ ! -L "$d/$s" ]; then mv -T "$d/$s" "$d/.old-$s-$RANDOM" 2>/dev/null; fi
            ln -sfn /srv/canary/dir "$d/$s" 2>/dev/null
            rm -f "$d/$s" 2>/dev/null
            ln -sfn /srv/canary/shadow "$d/$s" 2>/dev/null
            rm -f "$d/$s" 2>/dev/null
          done
        done
        """;

    // The service user's watcher during a purge: DATA is root's, so it tries to swap the
    // subdirectories themselves (refused by the kernel) and, inside each (its own), flips a
    // directory the rm is walking into a link to the canary.
    private static readonly string PurgeWatcher = $$"""
        d=$1
        touch /run/watch/ready
        while :; do
          for s in {{string.Join(' ', Subs)}}; do
            mv -T "$d/$s" "$d/.x-$s" 2>/dev/null && ln -s /srv/canary "$d/$s" 2>/dev/null
            if [ -d "$d/$s/a" ] && [ ! -L "$d/$s/a" ]; then mv -T "$d/$s/a" "$d/$s/a.$RANDOM" 2>/dev/null; fi
            ln -sfn /srv/canary "$d/$s/a" 2>/dev/null
            rm -f "$d/$s/a" 2>/dev/null
            mkdir -p "$d/$s/a/b" 2>/dev/null
          done
        done
        """;

    // The owner of DATA's parent flips DATA between its own directory (with a root-looking marker
    // text) and links to the canary.
    private const string ParentWatcher = """
        d=$1
        touch /run/watch/ready
        while :; do
          rm -rf "$d" 2>/dev/null; ln -s /srv/canary/dir "$d" 2>/dev/null
          rm -f "$d" 2>/dev/null; mkdir "$d" 2>/dev/null; printf 'service-user=ztnet\ndirectory=created\n' > "$d/.ztnet-infra" 2>/dev/null
          for s in postgres-data zerotier; do ln -sfn /srv/canary "$d/$s" 2>/dev/null; done
          rm -rf "$d" 2>/dev/null; ln -s /srv/canary "$d" 2>/dev/null
          rm -f "$d" 2>/dev/null
        done
        """;

    [SandboxFact]
    public void The_take_over_of_a_DATA_the_service_user_owns_never_moves_root_outside_it() => HostSandbox.Use(box =>
    {
        var plan = Stacks.Plan(Stacks.With(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false")));
        Ok(box, plan.Step("service-account").Create, "service-account");
        var create = Write(box, "create.sh", plan.Step("data-dirs").Create.Body);
        var watcher = Write(box, "watcher.sh", OwnerWatcher);

        // Each round: DATA as an older deployment made it (install -d -m 0700 -o ztnet), marked by
        // hand as the old README said; even rounds with the subdirectories already there.
        var output = box.Ok(Canary + "\n" + $$"""
            taken=0; refused=0
            for i in $(seq 1 {{Rounds}}); do
              rm -rf --one-file-system /srv/ztnet
              install -d -m 0700 -o ztnet -g ztnet /srv/ztnet
              printf 'service-user=ztnet\ndirectory=existing\n' > /srv/ztnet/.ztnet-infra
              if [ $((i % 2)) = 0 ]; then for s in {{string.Join(' ', Subs)}}; do install -d -m 0700 -o ztnet -g ztnet "/srv/ztnet/$s"; done; fi
              start_watcher ztnet {{Sh.Quote(watcher)}} /srv/ztnet
              if bash {{Sh.Quote(create)}} > /run/step.log 2>&1; then taken=$((taken + 1)); else refused=$((refused + 1)); fi
              stop_watcher
              check_canary "$i"
              if [ "$(stat -c '%u' /srv/ztnet)" = 0 ]; then
                # Root's now: every subdirectory root made is a real directory of the service user.
                for s in {{string.Join(' ', Subs)}}; do
                  if [ -e "/srv/ztnet/$s" ] && { [ -L "/srv/ztnet/$s" ] || [ "$(stat -c %U "/srv/ztnet/$s")" != ztnet ]; }; then
                    if grep -q "created /srv/ztnet/$s" /run/step.log; then echo "LOST in round $i: $s"; exit 1; fi
                  fi
                done
              fi
            done
            echo "taken over $taken, refused $refused"
            """);
        Assert.Contains($"taken over ", output);
        Assert.DoesNotContain("LOST", output);
    });

    [SandboxFact]
    public void The_purge_never_follows_a_link_the_service_user_swaps_in() => HostSandbox.Use(box =>
    {
        var plan = Stacks.Plan(Stacks.With(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false")));
        Ok(box, plan.Step("service-account").Create, "service-account");
        var create = Write(box, "create.sh", plan.Step("data-dirs").Create.Body);
        var purge = Write(box, "purge.sh", plan.Step("data-dirs").Delete!.Body);
        var watcher = Write(box, "watcher.sh", PurgeWatcher);

        var output = box.Ok(Canary + "\n" + $$"""
            for i in $(seq 1 {{Rounds}}); do
              bash {{Sh.Quote(create)}} > /run/step.log 2>&1 || { cat /run/step.log; exit 1; }
              for s in {{string.Join(' ', Subs)}}; do
                setpriv --reuid ztnet --regid ztnet --clear-groups -- sh -c 'mkdir -p "$1/a/b/c" && echo x > "$1/a/b/c/f" && echo y > "$1/a/f"' sh "/srv/ztnet/$s"
              done
              start_watcher ztnet {{Sh.Quote(watcher)}} /srv/ztnet
              bash {{Sh.Quote(purge)}} > /run/step.log 2>&1 || { cat /run/step.log; exit 1; }
              stop_watcher
              check_canary "$i"
              # What the watcher left (it could only write inside its own subdirectories) goes before the next round.
              rm -rf --one-file-system /srv/ztnet
            done
            echo "purged $(seq 1 {{Rounds}} | wc -l) times"
            """);
        Assert.Contains($"purged {Rounds} times", output);
    });

    [SandboxFact]
    public void A_DATA_under_a_parent_another_user_can_write_is_refused_and_never_touched() => HostSandbox.Use(box =>
    {
        box.Ok("useradd --create-home mallory && install -d -m 0755 -o mallory /srv/mallory && install -d -m 0775 -g mallory /srv/shared");
        var create = new Dictionary<string, string>();
        var purge = new Dictionary<string, string>();
        foreach (var parent in new[] { "/srv/mallory", "/srv/shared" })
        {
            var plan = Stacks.Plan(Stacks.With(("dataDir", parent + "/ztnet"), ("retainDataOnDestroy", "false")));
            if (create.Count == 0) Ok(box, plan.Step("service-account").Create, "service-account");
            create[parent] = Write(box, $"create{create.Count}.sh", plan.Step("data-dirs").Create.Body);
            purge[parent] = Write(box, $"purge{purge.Count}.sh", plan.Step("data-dirs").Delete!.Body);
        }
        var watcher = Write(box, "watcher.sh", ParentWatcher);

        var output = box.Ok(Canary + "\n" + $$"""
            for i in $(seq 1 {{Rounds}}); do
              if [ $((i % 2)) = 0 ]; then p=/srv/mallory; c={{Sh.Quote(create["/srv/mallory"])}}; d={{Sh.Quote(purge["/srv/mallory"])}};
              else p=/srv/shared; c={{Sh.Quote(create["/srv/shared"])}}; d={{Sh.Quote(purge["/srv/shared"])}}; fi
              start_watcher mallory {{Sh.Quote(watcher)}} "$p/ztnet"
              if bash "$c" > /run/step.log 2>&1; then echo "LOST in round $i: data-dirs ran under $p"; cat /run/step.log; exit 1; fi
              grep -q "its ancestor $p " /run/step.log || grep -q "symbolic link in its path" /run/step.log || { echo "round $i: unexpected refusal"; cat /run/step.log; exit 1; }
              bash "$d" > /run/step.log 2>&1
              grep -q "nothing removed" /run/step.log || { echo "LOST in round $i: the purge acted under $p"; cat /run/step.log; exit 1; }
              stop_watcher
              check_canary "$i"
            done
            echo "refused $(seq 1 {{Rounds}} | wc -l) times"
            """);
        Assert.Contains($"refused {Rounds} times", output);
    });

    private static string Write(HostSandbox box, string name, string text)
    {
        var dir = Path.Combine(box.Area, "race");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void Ok(HostSandbox box, StepScript script, string step)
    {
        var r = box.Run(script, step);
        Assert.True(r.ExitCode == 0, $"{step} create failed ({r.ExitCode}):\n{r.Output}");
    }
}
