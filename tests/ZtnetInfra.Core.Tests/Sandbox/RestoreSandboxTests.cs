using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// ztnet:restoreFrom's step (Scripts/restore.create.sh) run for real as root in the host sandbox:
/// real runuser, tar, gzip, sha256sum and restic, a stand-in podman for PostgreSQL (see
/// <see cref="Podman"/>). The archive of the first test is made by the backup program itself, so
/// the restore reads the one format the backups write. What it holds us to: a restore goes only onto
/// a new data directory; an archive is recognised, or refused before anything is touched; the
/// controller's files arrive with their owners; the dump is loaded by ZTNet's role, never the
/// superuser, and ZTNet's plain SQL runs under psql's \restrict; a run cut off is finished by the next.
/// </summary>
[Trait("Category", "Sandbox")]
public class RestoreSandboxTests
{
    private const string OldData = "/srv/old-server";
    private const string Data = "/srv/ztnet-data";
    private const string Repo = "/srv/offsite/restic";
    private const string Node = "8056c2e21c";
    private const string Network = Node + "000001";
    private const string Password = "correct horse battery staple";

    /// <summary>podman as the backup and the restore use it (<see cref="SandboxPodman"/>).</summary>
    private static string Podman(string area) => SandboxPodman.Script(area, $"{OldData}/zerotier", Network);

    private static StackSettings Settings(string data, params (string Key, string)[] extra) =>
        SettingsReader.Read(extra.Any(e => e.Key == "backupRepository")
            ? Stacks.Secret(Stacks.With([("dataDir", data), .. extra]), "backupRepositoryPassword")
            : Stacks.With([("dataDir", data), .. extra]));

    /// <summary>
    /// The service user and a new DATA as data-dirs leaves it (root's, marked, six empty
    /// subdirectories); the stand-ins' call log open to the service user's calls too.
    /// </summary>
    private static void NewServer(HostSandbox box)
    {
        box.StandIn("podman", Podman(box.Area));
        box.StandIn("runuser", "exec /usr/sbin/runuser \"$@\"");
        box.Ok($$"""
            useradd -m ztnet
            mkdir -p {{box.Area}}/containers && chmod 755 {{box.Area}}/containers && chmod 777 {{box.Area}}
            touch {{box.Area}}/calls.log && chmod 666 {{box.Area}}/calls.log
            printf 'docker.io/library/postgres:15.19-alpine\nsha256:1111\n' > {{box.Area}}/containers/postgres
            chmod 644 {{box.Area}}/containers/*
            install -d -m 0750 -o root -g ztnet {{Data}}
            printf 'service-user=ztnet\ndirectory=created\n' > {{Data}}/.ztnet-infra
            for d in postgres-data zerotier caddy_data caddy_config backups ztnet-backups; do install -d -m 0700 -o ztnet -g ztnet {{Data}}/$d; done
            install -d -m 0700 /etc/ztnet-infra && printf '%s\n' {{Sh.Quote(Password)}} > /etc/ztnet-infra/restic-password
            """);
    }

    /// <summary>
    /// The old server's controller in OldData with one of ZTNet's own admin backups (and ZTNet's
    /// working directory of one being made, which no backup keeps), and a backup of it made by the
    /// backup program into the repository.
    /// </summary>
    private static string BackupOfTheOldServer(HostSandbox box)
    {
        var old = Settings(OldData, ("backupRepository", Repo));
        box.Ok($$"""
            install -d -m 0750 -o root -g ztnet {{OldData}}
            for d in postgres-data zerotier backups ztnet-backups; do install -d -m 0700 -o ztnet -g ztnet {{OldData}}/$d; done
            {{SandboxPodman.Controller(OldData, Node, Network)}}
            runuser -u ztnet -- sh -c 'cd {{OldData}}/ztnet-backups && printf "in-app backup\n" > ztnet_backup_2026-11-30.tar.gz && mkdir -p temp/1764500000000 && echo half > temp/1764500000000/database_dump.sql'

            RESTIC_PASSWORD_FILE=/etc/ztnet-infra/restic-password restic --repo {{Repo}} init -q
            install -d -m 0755 /srv/program
            """);
        File.WriteAllText(Path.Combine(box.Area, "program"), BackupSteps.ProgramText(old));
        box.Ok($"install -m 0644 {Sh.Quote(Path.Combine(box.Area, "program"))} /srv/program/backup && bash /srv/program/backup run service");
        return box.Ok($"tail -n 1 {BackupSteps.ArchiveRecord}").Trim();
    }

    private static Tools.Result Restore(HostSandbox box, StackSettings s) =>
        box.Run(Planner.Build(s).Step(RestoreSteps.StepName).Create, RestoreSteps.StepName);

    /// <summary>The inputs the stand-in saved, oldest first: (arguments, stdin).</summary>
    private static List<(string Args, string Input)> Saved(HostSandbox box, string tool) =>
        [.. Directory.GetFiles(box.Area, tool + ".*.args").Order(StringComparer.Ordinal)
            .Select(a => (File.ReadAllText(a).Trim(), File.ReadAllText(a[..^".args".Length])))];

    private static bool Execs(HostSandbox box) => box.Calls().Any(c => c.StartsWith("podman exec", StringComparison.Ordinal));

    [SandboxFact]
    public void The_newest_backup_in_the_repository_is_restored_onto_a_new_data_directory_and_a_second_run_does_nothing() => HostSandbox.Use(box =>
    {
        NewServer(box);
        var name = BackupOfTheOldServer(box);
        var s = Settings(Data, ("backupRepository", Repo), ("restoreFrom", "restic:latest"));
        var before = Saved(box, "sql").Count;

        var r = Restore(box, s);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains($"read {name} from the snapshot", r.Output);
        Assert.Contains($"is a ztnet-infra backup of the controller {Node}", r.Output);
        // The controller, file for file and owner for owner, as on the old server.
        Assert.Equal(box.Ok($"cd {OldData}/zerotier && find . -printf '%p %u %m\\n' | sort && find . -type f -exec sha256sum {{}} + | sort"),
            box.Ok($"cd {Data}/zerotier && find . -printf '%p %u %m\\n' | sort && find . -type f -exec sha256sum {{}} + | sort"));
        // ZTNet's own admin backups too, without the working directory of one that was being made.
        Assert.Equal(box.Ok($"cd {OldData}/ztnet-backups && find . -path ./temp -prune -o -printf '%p %u %m\\n' | sort && sha256sum ztnet_backup_2026-11-30.tar.gz"),
            box.Ok($"cd {Data}/ztnet-backups && find . -printf '%p %u %m\\n' | sort && sha256sum ztnet_backup_2026-11-30.tar.gz"));
        // The dump went to pg_restore as ZTNet's role, with no owner or privilege of the dump's; never as the superuser.
        var load = Assert.Single(Saved(box, "restore"));
        Assert.StartsWith("PGDMP", load.Input);
        Assert.Contains("-U ztnet -d ztnet --clean --if-exists --no-owner --no-privileges --single-transaction", load.Args);
        var sql = Saved(box, "sql").Skip(before).ToList();
        Assert.All(sql, q => Assert.Contains("-U postgres", q.Args));
        var login = sql.FindIndex(q => q.Input.Contains("ALTER ROLE ztnet WITH LOGIN PASSWORD NULL;"));
        var nologin = sql.FindIndex(q => q.Input.Contains("ALTER ROLE ztnet WITH NOLOGIN;"));
        Assert.True(login >= 0 && nologin > login, string.Join("\n---\n", sql.Select(q => q.Input)));
        Assert.Contains(sql, q => q.Input.Contains("ALTER SCHEMA public OWNER TO ztnet;"));
        Assert.True(box.Calls().Contains("systemctl --user start container-postgres.service"), string.Join("\n", box.Calls().Where(c => c.StartsWith("systemctl", StringComparison.Ordinal))));
        // Recorded in DATA's root-owned marker; nothing staged is left.
        Assert.Contains($"restored-from=restic:latest\nrestored-controller={Node}\n", box.Ok($"cat {Data}/.ztnet-infra"));
        Assert.Equal("", box.Ok($"ls -A {Data}/backups; ls -d {RestoreSteps.Stage} 2>/dev/null || true").Trim());

        var calls = box.Calls().Length;
        var again = Restore(box, s);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("was restored from restic:latest: nothing to do", again.Output);
        Assert.Equal(calls, box.Calls().Length);

        // Another source on the restored directory: refused, naming the setting.
        var other = Restore(box, Settings(Data, ("backupRepository", Repo), ("restoreFrom", "restic:0123abcd")));
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("ztnet:restoreFrom is restic:0123abcd, but /srv/ztnet-data was restored from restic:latest", other.Output);
    });

    [SandboxFact]
    public void A_restore_cut_off_is_finished_by_the_next_run() => HostSandbox.Use(box =>
    {
        NewServer(box);
        BackupOfTheOldServer(box);
        var s = Settings(Data, ("backupRepository", Repo), ("restoreFrom", "restic:latest"));
        box.Ok($"touch {box.Area}/fail-load");

        var failed = Restore(box, s);

        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("loading the database dump as ZTNet's role failed", failed.Output);
        // Recorded before anything was touched: the next run knows the half-restored data is its own.
        Assert.Contains("restore-pending=restic:latest\n", box.Ok($"cat {Data}/.ztnet-infra"));
        box.Ok($"rm {box.Area}/fail-load");
        // The account's pod was started before, on another data directory (enable-units' record, older).
        box.Ok($"runuser -u ztnet -- sh -c 'mkdir -p ~/.local/state/ztnet-infra && touch -d @1000000000 ~/{RestoreSteps.PodStartedRecord}'");

        var r = Restore(box, s);

        Assert.True(r.ExitCode == 0, r.Output);
        var marker = box.Ok($"cat {Data}/.ztnet-infra");
        Assert.DoesNotContain("restore-pending", marker);
        Assert.Contains("restored-from=restic:latest\n", marker);
        Assert.Equal(2, Saved(box, "restore").Count);
    });

    [SandboxFact]
    public void A_backup_made_before_ZTNets_own_backups_were_kept_restores_all_the_same() => HostSandbox.Use(box =>
    {
        NewServer(box);
        var name = BackupOfTheOldServer(box);
        // The archive as the backup program wrote it until then: no ztnet-backups.tar, two files in the manifest.
        box.Ok($$"""
            w=$(mktemp -d) && cd "$w" && tar -xf {{OldData}}/backups/{{name}}
            sed -i -e '/"path": "ztnet-backups.tar"/d' -e 's/^\(    {"path": "zerotier.tar".*}\),$/\1/' manifest.json
            tar -cf /root/older.tar manifest.json database.dump zerotier.tar && chmod 600 /root/older.tar
            rm -rf "$w"
            """);
        Assert.DoesNotContain("ztnet-backups", box.Ok("tar -xOf /root/older.tar manifest.json"));

        var r = Restore(box, Settings(Data, ("restoreFrom", "host:/root/older.tar")));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains($"is a ztnet-infra backup of the controller {Node}", r.Output);
        Assert.Contains("./identity.secret ztnet\n", box.Ok($"cd {Data}/zerotier && find . -printf '%p %u\\n'"));
        Assert.Equal("", box.Ok($"ls -A {Data}/ztnet-backups"));
        Assert.Single(Saved(box, "restore"));
    });

    /// <summary>A step's body run as root the way sudo runs it for the SSH login (SUDO_USER set), or as a root login.</summary>
    private static Tools.Result AsLogin(HostSandbox box, StepScript script, string step, string? sudoLogin) =>
        box.Bash((sudoLogin is null ? "" : $"export SUDO_USER={sudoLogin}\n") + script.Body, step);

    [SandboxFact]
    public void An_archive_sent_from_the_workstation_is_read_from_the_logins_inbox_and_removed_once_restored() => HostSandbox.Use(box =>
    {
        NewServer(box);
        var name = BackupOfTheOldServer(box);
        box.Ok("useradd -m deploy");
        var plan = Planner.Build(Settings(Data, ("restoreFrom", $"file:backups/{name}"), ("sshUser", "deploy")));
        var archive = $"{RestoreSteps.Inbox}/{RestoreSteps.UploadFile}";

        // The inbox, for the sudo login the steps run for: CopyToRemote writes as that login.
        var inbox = AsLogin(box, plan.Step(RestoreSteps.InboxStep).Create, RestoreSteps.InboxStep, "deploy");
        Assert.True(inbox.ExitCode == 0, inbox.Output);
        Assert.Equal("deploy 700\n", box.Ok($"stat -c '%U %a' {RestoreSteps.Inbox}"));
        // The copy, as the provider makes it: the login's new file, mode from the server's umask.
        box.Ok($"runuser -u deploy -- sh -c 'umask 022; cat > {archive}' < {OldData}/backups/{name}");

        var r = AsLogin(box, plan.Step(RestoreSteps.StepName).Create, RestoreSteps.StepName, "deploy");

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains($"is a ztnet-infra backup of the controller {Node}", r.Output);
        Assert.Equal(box.Ok($"cd {OldData}/zerotier && find . -type f -exec sha256sum {{}} + | sort"), box.Ok($"cd {Data}/zerotier && find . -type f -exec sha256sum {{}} + | sort"));
        Assert.Contains($"restored-from=file:backups/{name}\nrestored-controller={Node}\n", box.Ok($"cat {Data}/.ztnet-infra"));
        // The controller's secret identity does not stay behind in the inbox.
        Assert.Equal("", box.Ok($"ls -A {RestoreSteps.Inbox}"));
        // The inbox's delete (a destroy, or the setting removed) takes it away.
        var delete = AsLogin(box, plan.Step(RestoreSteps.InboxStep).Delete!, RestoreSteps.InboxStep, "deploy");
        Assert.True(delete.ExitCode == 0, delete.Output);
        Assert.Equal("absent\n", box.Ok($"test -e {RestoreSteps.Inbox} && echo present || echo absent"));
    });

    [SandboxFact]
    public void An_inbox_others_could_write_is_refused_before_anything_is_touched_and_its_delete_keeps_what_it_did_not_send() => HostSandbox.Use(box =>
    {
        NewServer(box);
        var name = BackupOfTheOldServer(box);
        var plan = Planner.Build(Settings(Data, ("restoreFrom", $"file:/home/me/{name}")));
        var archive = $"{RestoreSteps.Inbox}/{RestoreSteps.UploadFile}";
        Assert.Equal(0, AsLogin(box, plan.Step(RestoreSteps.InboxStep).Create, RestoreSteps.InboxStep, null).ExitCode);
        box.Ok($"cp {OldData}/backups/{name} {archive} && chmod 0777 {RestoreSteps.Inbox}");
        var before = box.Snapshot(Data);
        var execs = box.Calls().Count(c => c.StartsWith("podman exec", StringComparison.Ordinal));

        var r = AsLogin(box, plan.Step(RestoreSteps.StepName).Create, RestoreSteps.StepName, null);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"ztnet:restoreFrom: {RestoreSteps.Inbox} is root's with mode 777, not the SSH login's (root) with 0700", r.Output);
        Assert.Equal(before, box.Snapshot(Data));
        Assert.Equal(execs, box.Calls().Count(c => c.StartsWith("podman exec", StringComparison.Ordinal)));
        // The inbox step puts it right again, and the restore then goes through.
        Assert.Equal(0, AsLogin(box, plan.Step(RestoreSteps.InboxStep).Create, RestoreSteps.InboxStep, null).ExitCode);
        var again = AsLogin(box, plan.Step(RestoreSteps.StepName).Create, RestoreSteps.StepName, null);
        Assert.True(again.ExitCode == 0, again.Output);
        // A file the stack did not send stays, and the inbox with it.
        box.Ok($"echo mine > {RestoreSteps.Inbox}/notes.txt");
        var delete = AsLogin(box, plan.Step(RestoreSteps.InboxStep).Delete!, RestoreSteps.InboxStep, null);
        Assert.True(delete.ExitCode == 0, delete.Output);
        Assert.Equal("notes.txt\n", box.Ok($"ls -A {RestoreSteps.Inbox}"));
    });

    [SandboxFact]
    public void A_data_directory_that_holds_data_is_refused_naming_the_setting_and_nothing_changes() => HostSandbox.Use(box =>
    {
        NewServer(box);
        box.Ok($"runuser -u ztnet -- sh -c 'echo 15 > {Data}/postgres-data/PG_VERSION'");
        var s = Settings(Data, ("restoreFrom", "host:/root/backup.tar"));
        var before = box.Snapshot(Data);

        var r = Restore(box, s);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"ztnet:restoreFrom is host:/root/backup.tar, but {Data} already holds data ({Data}/postgres-data/PG_VERSION): a restore never overwrites", r.Output);
        Assert.Equal(before, box.Snapshot(Data));
        Assert.False(Execs(box));
    });

    /// <summary>
    /// ZTNet 0.8.2's admin backup as its adminRoute.ts (createBackup) writes it: its staging
    /// directory packed with `tar -czf NAME .` (so ./ names) holding backup_metadata.json (created,
    /// version, includeDatabase, includeZerotier, docker), database_dump.sql (`pg_dump --clean
    /// --if-exists`, plain SQL, as the user of DATABASE_URL: postgres in ZTNet's docker-compose.yml,
    /// so every object is owned by postgres; pg_dump 15.14+ adds \restrict and \unrestrict lines)
    /// and zerotier/, a `cp -r` of /var/lib/zerotier-one (the old process's pid file included).
    /// </summary>
    private static void ZtnetArchive(HostSandbox box, string path) => box.Ok($$"""
        w=$(mktemp -d) && cd "$w"
        mkdir -p zerotier/controller.d/network/{{Network}}/member
        printf '{{Node}}:0:pub\n' > zerotier/identity.public
        printf '{{Node}}:0:pub:secret\n' > zerotier/identity.secret
        printf token > zerotier/authtoken.secret
        printf '{"id":"{{Network}}"}' > zerotier/controller.d/network/{{Network}}.json
        printf '{"id":"1122334455"}' > zerotier/controller.d/network/{{Network}}/member/1122334455.json
        echo 7 > zerotier/zerotier-one.pid
        printf '{\n  "created": "2026-12-01T12:00:00.000Z",\n  "version": "0.8.2",\n  "includeDatabase": true,\n  "includeZerotier": true,\n  "docker": true\n}' > backup_metadata.json
        cat > database_dump.sql <<'SQL'
        \restrict dumpkey123
        SET statement_timeout = 0;
        SELECT pg_catalog.set_config('search_path', '', false);
        DROP TABLE IF EXISTS public."User";
        CREATE TABLE public."User" (id text NOT NULL, note text);
        ALTER TABLE public."User" OWNER TO postgres;
        COPY public."User" (id, note) FROM stdin;
        u1	ALTER TABLE x OWNER TO postgres;
        \.
        \unrestrict dumpkey123
        SQL
        tar -czf {{path}} .
        chmod 0600 {{path}}
        rm -rf "$w"
        """);

    [SandboxFact]
    public void ZTNets_admin_backup_is_recognised_and_loaded_by_ZTNets_role_with_no_meta_command_able_to_run() => HostSandbox.Use(box =>
    {
        NewServer(box);
        ZtnetArchive(box, "/root/ztnet_backup.tar.gz");
        var s = Settings(Data, ("restoreFrom", "host:/root/ztnet_backup.tar.gz"));

        var r = Restore(box, s);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains($"is a ztnet backup of the controller {Node}", r.Output);
        var files = box.Ok($"cd {Data}/zerotier && find . -printf '%p %u\\n' | sort");
        Assert.Contains($"./controller.d/network/{Network}/member/1122334455.json ztnet\n", files);
        Assert.Contains("./identity.secret ztnet\n", files);
        Assert.DoesNotContain("zerotier-one.pid", files);
        var load = Assert.Single(Saved(box, "sql"), q => q.Args.Contains("-U ztnet"));
        Assert.Contains("-v ON_ERROR_STOP=1 --single-transaction -U ztnet -d ztnet", load.Args);
        var lines = load.Input.Split('\n');
        // Our own \restrict first, with a key the file cannot know; the dump's own lines left out.
        Assert.Matches("^\\\\restrict [A-Za-z0-9]{32}$", lines[0]);
        Assert.DoesNotContain("dumpkey123", load.Input);
        Assert.DoesNotContain("ALTER TABLE public.\"User\" OWNER TO postgres;", load.Input);
        // COPY data is data, whatever it looks like.
        Assert.Contains("u1\tALTER TABLE x OWNER TO postgres;\n\\.\n", load.Input);
        Assert.Contains("CREATE TABLE public.\"User\"", load.Input);
        Assert.Contains($"restored-from=host:/root/ztnet_backup.tar.gz\nrestored-controller={Node}\n", box.Ok($"cat {Data}/.ztnet-infra"));
    });

    [SandboxFact]
    public void A_foreign_a_damaged_or_a_swappable_archive_is_refused_before_anything_is_touched() => HostSandbox.Use(box =>
    {
        NewServer(box);
        var name = BackupOfTheOldServer(box);
        box.Ok($$"""
            w=$(mktemp -d) && cd "$w" && echo hello > notes.txt && tar -czf /root/foreign.tar.gz notes.txt && chmod 600 /root/foreign.tar.gz
            tar -xf {{OldData}}/backups/{{name}} && printf 'PGDMP altered\n' > database.dump && tar -cf /root/damaged.tar manifest.json database.dump zerotier.tar ztnet-backups.tar && chmod 600 /root/damaged.tar
            tar -cf /root/short.tar manifest.json database.dump zerotier.tar && chmod 600 /root/short.tar
            head -c 100 {{OldData}}/backups/{{name}} > /root/truncated.tar && chmod 600 /root/truncated.tar
            install -d -m 0777 /srv/drop && cp {{OldData}}/backups/{{name}} /srv/drop/backup.tar
            rm -rf "$w"
            """);
        var before = box.Snapshot(Data);
        var calls = box.Calls().Count(c => c.StartsWith("podman exec", StringComparison.Ordinal));

        foreach (var (source, why) in new[]
        {
            ("host:/root/foreign.tar.gz", "is neither a ztnet-infra backup"),
            ("host:/root/damaged.tar", "is damaged: its database.dump does not match the sha256 in its manifest"),
            ("host:/root/truncated.tar", "is neither a ztnet-infra backup"),
            ("host:/root/short.tar", "is damaged: its manifest lists ztnet-backups.tar, which it does not hold"),
            ("host:/srv/drop/backup.tar", "lies under /srv/drop"),
            ("host:/root/missing.tar", "is not a file on this server"),
        })
        {
            var r = Restore(box, Settings(Data, ("restoreFrom", source)));
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("ztnet:restoreFrom: ", r.Output);
            Assert.Contains(source[5..], r.Output);
            Assert.Contains(why, r.Output);
            Assert.Equal(before, box.Snapshot(Data));
        }
        Assert.Equal(calls, box.Calls().Count(c => c.StartsWith("podman exec", StringComparison.Ordinal)));
    });

    [SandboxFact]
    public void A_restore_cut_off_is_not_finished_over_a_pod_that_started_on_it_since() => HostSandbox.Use(box =>
    {
        NewServer(box);
        BackupOfTheOldServer(box);
        var s = Settings(Data, ("backupRepository", Repo), ("restoreFrom", "restic:latest"));
        box.Ok($"touch {box.Area}/fail-load");
        Assert.NotEqual(0, Restore(box, s).ExitCode);
        box.Ok($"rm {box.Area}/fail-load");
        // The setting removed and applied: enable-units started the pod on the half-restored directory.
        box.Ok($"m=$(stat -c %Y {Data}/.ztnet-infra); runuser -u ztnet -- sh -c \"mkdir -p ~/.local/state/ztnet-infra && touch -d @$((m + 1)) ~/{RestoreSteps.PodStartedRecord}\"");
        var before = box.Snapshot(Data);

        var r = Restore(box, s);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("the pod has been started on that half-restored directory since", r.Output);
        Assert.Equal(before, box.Snapshot(Data));
    });
}
