using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// The backup program (Scripts/backup.sh, as the backups step installs it) run for real as root in
/// the host sandbox: real runuser, tar, sha256sum and restic (a local repository), a stand-in
/// podman for the two containers it reaches (see <see cref="Podman"/>). An archive holds the dump,
/// the controller's identity and controller.d; retention removes only recorded archives; a failed
/// dump or copy fails the run.
/// </summary>
[Trait("Category", "Sandbox")]
public class BackupSandboxTests
{
    private const string Data = "/srv/ztnet-data";
    private const string Repo = "/srv/offsite/restic";
    private const string Node = "8056c2e21c";
    private const string Network = Node + "000001";
    private const string Password = "correct horse battery staple";

    /// <summary>podman as the backup uses it (<see cref="SandboxPodman"/>).</summary>
    private static string Podman(string area) => SandboxPodman.Script(area, $"{Data}/zerotier", Network);

    private static ZtnetInfra.Core.Settings.StackSettings Settings(params (string Key, string)[] extra) =>
        ZtnetInfra.Core.Settings.SettingsReader.Read(extra.Any(e => e.Key == "backupRepository")
            ? Stacks.Secret(Stacks.With([("dataDir", Data), .. extra]), "backupRepositoryPassword")
            : Stacks.With([("dataDir", Data), .. extra]));

    /// <summary>A host after a deploy: the service user, DATA with a controller (identity, a network, a member) and the program installed.</summary>
    private static void Deployed(HostSandbox box, ZtnetInfra.Core.Settings.StackSettings s)
    {
        box.StandIn("podman", Podman(box.Area));
        box.StandIn("runuser", "exec /usr/sbin/runuser \"$@\"");
        box.Ok($$"""
            useradd -m ztnet
            install -d -m 0750 -o root -g ztnet {{Data}}
            for d in postgres-data zerotier backups ztnet-backups; do install -d -m 0700 -o ztnet -g ztnet {{Data}}/$d; done
            {{SandboxPodman.Controller(Data, Node, Network)}}
            runuser -u ztnet -- sh -c 'cd {{Data}}/ztnet-backups && printf "in-app backup\n" > ztnet_backup_2026-11-30.tar.gz && mkdir -p temp/1764500000000 extract/1764500000001 && echo half > temp/1764500000000/database_dump.sql && echo half > extract/1764500000001/database_dump.sql'

            mkdir -p {{box.Area}}/containers && chmod 755 {{box.Area}}/containers
            printf 'docker.io/library/postgres:15.19-alpine\nsha256:1111\n' > {{box.Area}}/containers/postgres
            printf 'docker.io/sinamics/ztnet:0.8.2\nsha256:2222\n' > {{box.Area}}/containers/ztnet
            chmod 644 {{box.Area}}/containers/*
            install -d -m 0755 /srv/program
            """);
        File.WriteAllText(Path.Combine(box.Area, "program"), BackupSteps.ProgramText(s));
        box.Ok($"install -m 0644 {Sh.Quote(Path.Combine(box.Area, "program"))} /srv/program/backup");
    }

    private static Tools.Result Backup(HostSandbox box) => box.Bash("bash /srv/program/backup run service", "backup", TimeSpan.FromMinutes(2));

    [SandboxFact]
    public void A_backup_holds_the_dump_and_the_controller_and_reaches_the_restic_repository() => HostSandbox.Use(box =>
    {
        var s = Settings(("backupRepository", Repo));
        Deployed(box, s);
        box.Ok($"install -d -m 0700 /etc/ztnet-infra && printf '%s\\n' {Sh.Quote(Password)} > /etc/ztnet-infra/restic-password && RESTIC_PASSWORD_FILE=/etc/ztnet-infra/restic-password restic --repo {Repo} init -q");

        var r = Backup(box);

        Assert.True(r.ExitCode == 0, r.Output);
        var name = box.Ok($"cat {BackupSteps.ArchiveRecord}").Trim();
        Assert.Matches("^ztnet-backup-[0-9]{8}T[0-9]{6}Z[.]tar$", name);
        Assert.Equal("root 644\n", box.Ok($"stat -c '%U %a' {BackupSteps.ArchiveRecord}"));
        Assert.Equal("ztnet 600\n", box.Ok($"stat -c '%U %a' {Data}/backups/{name}"));
        var listing = box.Ok($"cd /srv && rm -rf x && mkdir x && cd x && tar -xf {Data}/backups/{name} && tar -tf zerotier.tar | sort && cat manifest.json && sha256sum database.dump zerotier.tar ztnet-backups.tar");
        foreach (var f in new[] { "./identity.secret", "./identity.public", "./authtoken.secret", $"./controller.d/network/{Network}.json", $"./controller.d/network/{Network}/member/1122334455.json" })
            Assert.Contains(f + "\n", listing);
        Assert.Contains($"\"controller\": \"{Node}\"", listing);
        Assert.Contains("\"image\": \"docker.io/sinamics/ztnet:0.8.2\", \"id\": \"sha256:2222\"", listing);
        Assert.Contains("\"reason\": \"service\"", listing);
        // The manifest's checksums are those of the files beside it.
        foreach (var f in new[] { "database.dump", "zerotier.tar", "ztnet-backups.tar" })
        {
            var sum = System.Text.RegularExpressions.Regex.Match(listing, $"([0-9a-f]{{64}})  {f}").Groups[1].Value;
            Assert.Contains($"\"path\": \"{f}\", \"sha256\": \"{sum}\"", listing);
        }
        // ZTNet's own admin backups, without the directories ZTNet works in while it makes or restores one.
        Assert.Equal("./\n./ztnet_backup_2026-11-30.tar.gz\n", box.Ok($"cd /srv/x && tar -tf ztnet-backups.tar | sort"));
        Assert.Equal(box.Ok($"sha256sum < {Data}/ztnet-backups/ztnet_backup_2026-11-30.tar.gz"), box.Ok("cd /srv/x && tar -xOf ztnet-backups.tar ./ztnet_backup_2026-11-30.tar.gz | sha256sum"));
        // The repository holds the archive byte for byte.
        var inRepo = box.Ok($"RESTIC_PASSWORD_FILE=/etc/ztnet-infra/restic-password restic --repo {Repo} --no-cache dump latest /{name} | sha256sum");
        Assert.Equal(box.Ok($"sha256sum < {Data}/backups/{name}"), inRepo);
        Assert.Contains("snapshot", box.Ok($"RESTIC_PASSWORD_FILE=/etc/ztnet-infra/restic-password restic --repo {Repo} --no-cache snapshots --tag ztnet-infra"));
        Assert.Equal(0, box.Bash("bash /srv/program/backup check").ExitCode);
    });

    [SandboxFact]
    public void Retention_removes_only_recorded_archives_and_never_a_foreign_file() => HostSandbox.Use(box =>
    {
        var s = Settings(("backupsToKeep", "2"));
        Deployed(box, s);
        // Three older archives the program made (recorded), one of the same pattern it did not make,
        // a dump of postgres-guard, and a recorded name whose run failed (no file).
        box.Ok($$"""
            install -d -m 0755 /var/lib/ztnet-infra
            for t in 20250101T000000Z 20250102T000000Z 20250103T000000Z; do
              runuser -u ztnet -- sh -c "echo old > {{Data}}/backups/ztnet-backup-$t.tar"; echo "ztnet-backup-$t.tar" >> {{BackupSteps.ArchiveRecord}}
            done
            echo ztnet-backup-20250104T000000Z.tar >> {{BackupSteps.ArchiveRecord}}
            runuser -u ztnet -- sh -c 'echo foreign > {{Data}}/backups/ztnet-backup-20240101T000000Z.tar; echo dump > {{Data}}/backups/ztnet-20240101T000000Z.dump'
            """);

        var r = Backup(box);

        Assert.True(r.ExitCode == 0, r.Output);
        var left = box.Ok($"ls {Data}/backups").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var made = box.Ok($"grep -v ^ztnet-backup-2025 {BackupSteps.ArchiveRecord}").Trim();
        Assert.Equal(new[] { "ztnet-20240101T000000Z.dump", "ztnet-backup-20240101T000000Z.tar", "ztnet-backup-20250103T000000Z.tar", made }.Order(StringComparer.Ordinal), left.Order(StringComparer.Ordinal));
        Assert.Equal($"ztnet-backup-20250103T000000Z.tar\n{made}\n", box.Ok($"cat {BackupSteps.ArchiveRecord}"));
        Assert.Contains("removed the old backup ztnet-backup-20250101T000000Z.tar", r.Output);
    });

    [SandboxFact]
    public void A_failed_dump_fails_the_run_and_leaves_every_archive_as_it_was() => HostSandbox.Use(box =>
    {
        var s = Settings(("backupsToKeep", "1"));
        Deployed(box, s);
        box.Ok($"install -d -m 0755 /var/lib/ztnet-infra && runuser -u ztnet -- sh -c 'echo old > {Data}/backups/ztnet-backup-20250101T000000Z.tar' && echo ztnet-backup-20250101T000000Z.tar > {BackupSteps.ArchiveRecord} && touch {box.Area}/fail-dump");
        var before = box.Snapshot($"{Data}/backups");

        var r = Backup(box);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("pg_dump of the database ztnet in the container postgres failed: no backup was made", r.Output);
        Assert.Equal(before, box.Snapshot($"{Data}/backups"));
    });

    [SandboxFact]
    public void A_copy_the_repository_refuses_fails_the_run_and_keeps_the_archive_on_the_host() => HostSandbox.Use(box =>
    {
        var s = Settings(("backupRepository", Repo));
        Deployed(box, s);
        // The repository exists with another password than the one the host holds.
        box.Ok($"install -d -m 0700 /etc/ztnet-infra && printf 'other password\\n' > /srv/p && RESTIC_PASSWORD_FILE=/srv/p restic --repo {Repo} init -q && printf '%s\\n' {Sh.Quote(Password)} > /etc/ztnet-infra/restic-password");

        var r = Backup(box);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"the copy of ztnet-backup-", r.Output);
        Assert.Contains($"to the restic repository {Repo} failed; the archive is on the host", r.Output);
        Assert.Single(box.Ok($"ls {Data}/backups").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(Password, r.Output);
    });

    [SandboxFact]
    public void A_controller_that_writes_during_the_dump_is_copied_again_so_copy_and_dump_belong_together() => HostSandbox.Use(box =>
    {
        var s = Settings();
        Deployed(box, s);
        box.Ok($"touch {box.Area}/change-once");

        var r = Backup(box);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("the controller changed its files during the backup (attempt 1): taking it again", r.Output);
        var name = box.Ok($"cat {BackupSteps.ArchiveRecord}").Trim();
        Assert.Contains("{\"id\":\"changed\"}", box.Ok($"cd /srv && rm -rf y && mkdir y && cd y && tar -xf {Data}/backups/{name} && tar -xOf zerotier.tar ./controller.d/network/{Network}/member/1122334455.json"));
    });

    [SandboxFact]
    public void A_local_repository_where_the_service_user_can_change_the_way_is_refused_before_anything_is_written() => HostSandbox.Use(box =>
    {
        var s = Settings(("backupRepository", "/srv/shared/restic"));
        var step = Planner.Build(s).Step(BackupSteps.BackupsStep);
        var stdin = DeploymentPlan.ComposeStdin(step, new Dictionary<PlanSecret, string> { [PlanSecret.ResticPassword] = Password });
        Deployed(box, s);
        box.Ok("mount -t tmpfs tmpfs /usr/local && install -d -m 0775 -o root -g ztnet /srv/shared");
        var before = box.Snapshot("/etc/systemd/system", "/srv/shared", "/var/lib/ztnet-infra");

        var r = box.Bash(step.Create.Body, "backups", TimeSpan.FromMinutes(1), stdin);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:backupRepository (/srv/shared/restic) lies under /srv/shared", r.Output);
        Assert.Equal(before, box.Snapshot("/etc/systemd/system", "/srv/shared", "/var/lib/ztnet-infra"));
        Assert.Equal("", box.Ok("ls -A /usr/local"));
    });

    [SandboxFact]
    public void The_backups_step_installs_only_under_recorded_names_refuses_a_foreign_unit_and_its_delete_removes_exactly_those() => HostSandbox.Use(box =>
    {
        var s = Settings(("backupRepository", Repo), ("backupSchedule", "*-*-* 03:30:00"));
        var plan = Planner.Build(s);
        var step = plan.Step(BackupSteps.BackupsStep);
        var stdin = DeploymentPlan.ComposeStdin(step, new Dictionary<PlanSecret, string> { [PlanSecret.ResticPassword] = Password });
        Deployed(box, s);
        // /usr/local is the real machine's: a tmpfs over it in the sandbox's mount namespace.
        box.Ok($"mount -t tmpfs tmpfs /usr/local && install -d -m 0755 /srv/offsite && printf '# the admin own\\n' > {BackupUnits.UnitDirectory}/{BackupUnits.Service}");
        var etc = box.Snapshot("/etc/systemd/system");

        var refused = box.Bash(step.Create.Body, "backups", TimeSpan.FromMinutes(1), stdin);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"{BackupUnits.UnitDirectory}/{BackupUnits.Service} exists and the stack did not make it", refused.Output);
        Assert.Equal(etc, box.Snapshot("/etc/systemd/system"));
        Assert.False(Directory.Exists(Repo));

        box.Ok($"rm {BackupUnits.UnitDirectory}/{BackupUnits.Service}");
        var r = box.Bash(step.Create.Body, "backups", TimeSpan.FromMinutes(1), stdin);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains($"initialised the restic repository {Repo}", r.Output);
        Assert.Equal("root 600\n", box.Ok($"stat -c '%U %a' {BackupSteps.SecretsDirectory}/restic-password"));
        Assert.Equal("700\n", box.Ok($"stat -c '%a' {BackupSteps.SecretsDirectory}"));
        Assert.Contains("OnCalendar=*-*-* 03:30:00", box.Ok($"cat {BackupUnits.UnitDirectory}/{BackupUnits.Timer}"));
        Assert.Equal(BackupSteps.ProgramText(s), box.Ok($"cat {BackupUnits.Program}"));
        // Both timers in one enable, which reloads the manager once (systemctl-enable.c, verb_enable).
        var enable = Assert.Single(box.Calls(), c => c.StartsWith("systemctl enable", StringComparison.Ordinal));
        Assert.StartsWith($"systemctl enable --now {BackupUnits.Timer} {BackupUnits.CheckTimer}", enable);
        Assert.DoesNotContain(Password, r.Output);
        // A second run with the same text: the repository opens, nothing else changes.
        var again = box.Bash(step.Create.Body, "backups", TimeSpan.FromMinutes(1), stdin);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("opens with ztnet:backupRepositoryPassword", again.Output);

        box.Ok($"printf 'keep me\\n' > {BackupUnits.ProgramDirectory}/admin-note && runuser -u ztnet -- sh -c 'echo a > {Data}/backups/ztnet-backup-20250101T000000Z.tar'");
        var d = box.Run(step.Delete!, "backups");

        Assert.True(d.ExitCode == 0, d.Output);
        Assert.Equal("admin-note\n", box.Ok($"ls {BackupUnits.ProgramDirectory}"));
        Assert.Equal("", box.Ok($"ls {BackupUnits.UnitDirectory} | grep ztnet-backup || true"));
        Assert.False(box.Bash($"test -e {BackupSteps.SecretsDirectory}").ExitCode == 0);
        Assert.Contains("ztnet-backup-20250101T000000Z.tar", box.Ok($"ls {Data}/backups"));
        Assert.True(box.Bash($"test -f {Repo}/config").ExitCode == 0, "the repository is never touched");
    });
    private const string CaddyRef = "docker.io/library/caddy:2.11.4-alpine";

    /// <summary>
    /// podman as the auto-update uses it, before the backup stand-in (<see cref="Podman"/>):
    /// - `auto-update [--dry-run] --format T`: one line a labelled container, T over the fields of
    ///   autoUpdateOutput (cmd/podman/auto-update.go); Updated (pkg/autoupdate/autoupdate.go,
    ///   updateRegistry) is "pending" under --dry-run when the registry's digest differs, "false"
    ///   when not, "true" once pulled and its unit restarted. The flag file newer: the registry has
    ///   a new Caddy build; updated: it was pulled (the tag names it).
    /// - `tag ID NAME`: NAME names ID again (the rollback); `image prune -f`: nothing to show.
    /// - `container inspect --format T A B ...` (several names, the settle check): a line a running
    ///   container; one that does not exist is an error on stderr and exit 125, the others printed
    ///   (podman inspects each name). With the flag broken, the new Caddy build cannot start, so
    ///   while it is tagged its container does not exist.
    /// The backups on disk when each auto-update call ran are kept, to tell what came first. Flags,
    /// notes and the calls (run as the service user, who cannot write the sandbox's own call log)
    /// are in the folder au, open to it.
    /// </summary>
    private static string AutoUpdatePodman(string area) => $$$"""
        au={{{Sh.Quote(area)}}}/au
        echo "podman $*" >> "$au/calls"
        case "$1" in
          auto-update)
            if [ "$2" = --dry-run ]; then
              ls {{{Data}}}/backups > "$au/backups-at-dry-run"
              if [ -e "$au/newer" ] && [ ! -e "$au/updated" ]; then caddy=pending; else caddy=false; fi
            else
              ls {{{Data}}}/backups > "$au/backups-at-update"
              touch "$au/updated"; caddy=true
            fi
            # A container in a pod is updated by restarting the pod's unit (podman 4.5 and later):
            # every container of the pod is then reported "true", as the VM's podman 5.4 does.
            if [ "$caddy" = true ]; then others=true; else others=false; fi
            printf '%s\n' "postgres docker.io/library/postgres:15.19-alpine $others" "zerotier docker.io/zyclonite/zerotier:1.14.2 $others" "ztnet docker.io/sinamics/ztnet:0.8.2 $others" "caddy {{{CaddyRef}}} $caddy"
            exit 0 ;;
          tag) rm -f "$au/updated"; exit 0 ;;
          image) exit 0 ;;
          container)
            if [ "$#" -gt 5 ]; then
              shift 4; rc=0
              for n in "$@"; do
                if [ "$n" = caddy ] && [ -e "$au/broken" ] && [ -e "$au/updated" ]; then echo "Error: no such container caddy" >&2; rc=125; continue; fi
                echo "$n true healthy 2026-12-03 10:00:00.000000000 +0000 UTC"
              done
              exit "$rc"
            fi ;;
        esac
        """;

    /// <summary>
    /// systemctl --user as the settle check and the rollback use it: `show -p NRestarts --value
    /// UNITS` prints each unit's value on its own line, an empty line between units
    /// (systemd src/systemctl/systemctl-show.c); `is-active UNITS` prints one state a line and
    /// exits 0 when any is active (systemctl(1)); a unit whose container cannot start is
    /// "activating" and started again by Restart=on-failure (NRestarts climbs); `restart`: done.
    /// </summary>
    private static string UserSystemctl(string area) => $$$"""
        au={{{Sh.Quote(area)}}}/au
        echo "systemctl $*" >> "$au/calls"
        broken() { [ "$1" = container-caddy.service ] && [ -e "$au/broken" ] && [ -e "$au/updated" ]; }
        case "$1 $2" in
          "--user show")
            shift 6; first=1
            for u in "$@"; do
              if [ "$first" = 0 ]; then echo; fi; first=0
              if broken "$u"; then echo 4; else echo 0; fi
            done ;;
          "--user is-active")
            shift 3; rc=3
            for u in "$@"; do if broken "$u"; then echo activating; else echo active; rc=0; fi; done
            exit "$rc" ;;
        esac
        exit 0
        """;

    private static string Calls(HostSandbox box) => box.Ok($"cat {box.Area}/au/calls");

    private static Tools.Result AutoUpdate(HostSandbox box, ZtnetInfra.Core.Settings.StackSettings s, params string[] flags)
    {
        box.StandIn("podman", AutoUpdatePodman(box.Area) + "\n" + Podman(box.Area));
        box.StandIn("systemctl", UserSystemctl(box.Area));
        box.Ok($"printf '{CaddyRef}\\nsha256:3333\\n' > {box.Area}/containers/caddy && chmod 644 {box.Area}/containers/caddy && install -d -m 0777 {box.Area}/au && install -m 0666 /dev/null {box.Area}/au/calls"
            + string.Concat(flags.Select(f => f == "fail-dump" ? $" && touch {box.Area}/{f}" : $" && touch {box.Area}/au/{f}")));
        // The looks at the pod a second apart instead of 15: the same checks, sooner.
        var program = BackupSteps.ProgramText(s);
        var quick = program.Replace($"settle_poll='{BackupSteps.SettlePollSeconds}'", "settle_poll='1'", StringComparison.Ordinal);
        Assert.NotEqual(program, quick);
        File.WriteAllText(Path.Combine(box.Area, "program"), quick);
        box.Ok($"install -m 0644 {Sh.Quote(Path.Combine(box.Area, "program"))} /srv/program/backup");
        return box.Bash("bash /srv/program/backup auto-update", "auto-update", TimeSpan.FromMinutes(2));
    }

    [SandboxFact]
    public void Auto_update_with_nothing_newer_takes_no_backup_and_updates_nothing() => HostSandbox.Use(box =>
    {
        var s = Settings();
        Deployed(box, s);

        var r = AutoUpdate(box, s);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("nothing to do", r.Output);
        Assert.False(box.Bash($"test -s {BackupSteps.ArchiveRecord}").ExitCode == 0);
        Assert.Contains("podman auto-update --dry-run", Calls(box));
        Assert.DoesNotContain("podman auto-update --format", Calls(box));
    });

    [SandboxFact]
    public void Auto_update_of_a_newer_build_takes_a_backup_first_then_updates_and_prunes() => HostSandbox.Use(box =>
    {
        var s = Settings();
        Deployed(box, s);

        var r = AutoUpdate(box, s, "newer");

        Assert.True(r.ExitCode == 0, r.Output);
        var name = box.Ok($"cat {BackupSteps.ArchiveRecord}").Trim();
        Assert.Matches("^ztnet-backup-[0-9]{8}T[0-9]{6}Z[.]tar$", name);
        Assert.Contains("\"reason\": \"auto-update\"", box.Ok($"tar -xOf {Data}/backups/{name} manifest.json"));
        Assert.DoesNotContain(name, box.Ok($"cat {box.Area}/au/backups-at-dry-run"));
        Assert.Contains(name, box.Ok($"cat {box.Area}/au/backups-at-update"));
        Assert.Contains($"caddy ({CaddyRef}) now runs the new build, every container healthy", r.Output);
        Assert.Contains("podman image prune -f", Calls(box));
        Assert.DoesNotContain("podman tag", Calls(box));
    });

    [SandboxFact]
    public void Auto_update_of_a_build_that_cannot_start_tags_the_old_image_again_and_restarts_the_pod() => HostSandbox.Use(box =>
    {
        var s = Settings();
        Deployed(box, s);

        var r = AutoUpdate(box, s, "newer", "broken");

        Assert.True(r.ExitCode == 1, r.Output);
        Assert.True(r.Output.Contains("container-caddy.service was restarted 4 times", StringComparison.Ordinal), r.Output + Calls(box));
        Assert.Contains("container-caddy.service was restarted 4 times: its container does not start", r.Output);
        Assert.Contains($"podman tag sha256:3333 {CaddyRef}", Calls(box));
        Assert.Contains("systemctl --user restart -- ztnet-pod.service", Calls(box));
        Assert.Contains("rolled back, the old image runs again and every container is healthy", r.Output);
        Assert.Contains($"the new build of caddy ({CaddyRef}) did not start", r.Output);
        Assert.DoesNotContain("podman image prune", Calls(box));
        Assert.False(box.Bash("test -e /var/lib/ztnet-infra/auto-update").ExitCode == 0, "the record goes once the rollback is done");
        Assert.Single(box.Ok($"ls {Data}/backups").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    });

    [SandboxFact]
    public void An_auto_update_cut_off_before_the_pod_settled_is_rolled_back_by_the_next_run_from_its_record() => HostSandbox.Use(box =>
    {
        var s = Settings();
        Deployed(box, s);
        // The earlier run recorded the image Caddy ran, pulled a build that cannot start, and was
        // killed before it could check: the tag names the new build, Caddy's unit keeps restarting.
        box.Ok($"install -d -m 0755 /var/lib/ztnet-infra && printf 'sha256:3333 {CaddyRef}\\n' > /var/lib/ztnet-infra/auto-update");

        var r = AutoUpdate(box, s, "broken", "updated");

        Assert.True(r.ExitCode == 1, r.Output);
        Assert.Contains("an earlier auto-update was cut off before the pod settled", r.Output);
        Assert.Contains($"podman tag sha256:3333 {CaddyRef}", Calls(box));
        Assert.Contains("rolled back, the old image runs again and every container is healthy", r.Output);
        Assert.False(box.Bash("test -e /var/lib/ztnet-infra/auto-update").ExitCode == 0);
        Assert.DoesNotContain("podman auto-update", Calls(box));
    });

    [SandboxFact]
    public void Auto_update_whose_backup_fails_updates_nothing() => HostSandbox.Use(box =>
    {
        var s = Settings();
        Deployed(box, s);

        var r = AutoUpdate(box, s, "newer", "fail-dump");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("no backup was made", r.Output);
        Assert.DoesNotContain("podman auto-update --format", Calls(box));
    });
}
