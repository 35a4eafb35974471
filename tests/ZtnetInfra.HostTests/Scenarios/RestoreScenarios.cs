using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;
using ZtnetInfra.HostTests.TestHost;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// Recovery onto a new server (ztnet:restoreFrom), both in the extended suite (CI's 90 minutes:
/// the README's suite table). 46: the server of scenarios 41-44 takes a
/// backup to a restic repository that then leaves the VM, the VM's disk is reset (a new server:
/// nothing of the old one is left), the repository comes back as a backup server would serve it,
/// and a new stack with restoreFrom restic:latest comes up with the same controller, network,
/// member and database row, and ZTNet's own admin backups. 47, extended: a backup made the way
/// ZTNet's own admin page makes it on a docker-compose install (a dump by the postgres superuser),
/// downloaded to the workstation, is brought in the same way onto the purged host: sent by the
/// stack (restoreFrom file:, a CopyToRemote as the sudo login into its inbox), and gone from the
/// host once restored.
/// </summary>
public sealed partial class StackOnTestHostTests
{
    private const string Member = "1122334455";

    /// <summary>A network with an authorised member, made through the controller's API and persisted by it (FileDB); its ID.</summary>
    private string NetworkWithMember(string name)
    {
        var nwid = ControllerApi($$"""
            addr = call('/status')['address']
            net = call('/controller/network/%s______' % addr, {'name': '{{name}}'})
            call('/controller/network/%s/member/{{Member}}' % net['id'], {'authorized': True})
            print(net['id'])
            """).Trim();
        Assert.Matches("^[0-9a-f]{16}$", nwid);
        return nwid;
    }

    /// <summary>Python run in the ZeroTier container with call(path[, body]) bound to its authenticated API.</summary>
    private string ControllerApi(string body) => host.Guest.AsServiceUserOk("podman exec -i zerotier python3 -", """
        import json, urllib.request
        tok = open('/var/lib/zerotier-one/authtoken.secret').read().strip()
        def call(path, body=None):
            req = urllib.request.Request('http://127.0.0.1:9993' + path, data=None if body is None else json.dumps(body).encode(),
                                         headers={'X-ZT1-Auth': tok}, method='GET' if body is None else 'POST')
            return json.load(urllib.request.urlopen(req))
        """ + "\n" + body);

    /// <summary>What a user would check after a recovery: the controller's address, the network, its member, and the row.</summary>
    private void AssertSameControllerAndData(string nwid, string table, string note)
    {
        var seen = ControllerApi($"""
            print(call('/status')['address'])
            print(call('/controller/network/{nwid}')['id'])
            print(call('/controller/network/{nwid}/member/{Member}')['authorized'])
            """).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([nwid[..10], nwid, "True"], seen);
        Assert.Equal(note, host.Guest.AsServiceUserOk(AdminQuery($"SELECT note FROM public.{table}")).Trim());
        // Every table and sequence in ZTNet's schema is its role's, whoever owned it where the dump was made.
        Assert.Equal("0", host.Guest.AsServiceUserOk(AdminQuery(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') AND c.relowner <> 'ztnet'::regrole")).Trim());
        Assert.NotEqual("0", host.Guest.AsServiceUserOk(AdminQuery("SELECT count(*) FROM public.\"_prisma_migrations\"")).Trim());
    }

    /// <summary>A row as ZTNet writes it: by its own role, in its schema.</summary>
    private void RowByZtnet(string table, string note) =>
        host.Guest.AsServiceUserOk("podman exec -i postgres psql -q -X -v ON_ERROR_STOP=1 -U postgres -d ztnet",
            $"SET ROLE ztnet;\nCREATE TABLE public.{table} (note text);\nINSERT INTO public.{table} VALUES ('{note}');\n");

    private string ControllerFiles(string data) =>
        host.Guest.RootOk($"cd {data}/zerotier && find identity.secret identity.public authtoken.secret controller.d -type f -exec sha256sum {{}} + | sort -k 2");

    [Fact, Scenario(46), Trait(ScenarioSuite.Trait, ScenarioSuite.Extended)]
    public async Task A_lost_server_is_recovered_onto_a_new_one_from_an_off_host_backup_with_one_setting()
    {
        var old = host.AcmeStack ?? throw new InvalidOperationException("not run: scenario 41 deploys the server this scenario loses");
        var nwid = NetworkWithMember("recovered");
        RowByZtnet("testhost_recovered", "written on the old server");
        var files = ControllerFiles(old.Settings.DataDir);
        // One of ZTNet's own admin backups (its /app/tmp/backups, written by the container's root).
        host.Guest.AsServiceUserOk("podman exec ztnet sh -c 'mkdir -p /app/tmp/backups && printf made-on-the-old-server > /app/tmp/backups/ztnet_backup_old.tar.gz'");

        // The old server's backups go to a restic repository (scenario 16 made it, with its own backups in it).
        host.Guest.RootOk($"install -d -m 0700 {GuestRepository}");
        old.Set([(SettingKeys.BackupRepository, GuestRepository)], [(SettingKeys.BackupRepositoryPassword, PlanSecret.ResticPassword, ResticPassword)]);
        old.Apply();
        host.Guest.RootOk($"systemctl start {BackupUnits.Service}");
        var newest = NewestArchive();
        Assert.Equal(nwid[..10], ManifestField(ServiceCatalogue.DataPath(old.Settings, ServiceCatalogue.BackupsDirectory), newest, "controller"));
        // The repository leaves the server, as it would live on a backup server.
        var repository = host.Guest.RootOk($"tar -C {Path.GetDirectoryName(GuestRepository)} -czf - {Path.GetFileName(GuestRepository)} | base64 -w0").Trim();
        output.WriteLine($"repository: {repository.Length * 3 / 4} bytes, newest backup {newest}");

        // The server is lost: a new one from the image, nothing of the old one left.
        var lost = System.Diagnostics.Stopwatch.StartNew();
        host.Env.ResetDisk();
        output.WriteLine($"new server up in {lost.Elapsed.TotalSeconds:F0} s");
        host.AcmeStack = null;
        host.Guest.RootOk($"test ! -e {old.Settings.DataDir} && ! id -u {old.Settings.ServiceUser} >/dev/null 2>&1 && test ! -e {GuestRepository}");
        // The backup server, reachable from the new one.
        host.Guest.RootOk($"base64 -d | tar -C {Path.GetDirectoryName(GuestRepository)} -xzf - && chown -R root:root {GuestRepository} && chmod 0700 {GuestRepository}", repository);

        // A new stack: the repository, its password, and one setting.
        var next = host.NewStack();
        next.Set([(SettingKeys.BackupRepository, GuestRepository), (SettingKeys.RestoreFrom, "restic:latest")],
            [(SettingKeys.BackupRepositoryPassword, PlanSecret.ResticPassword, ResticPassword)]);
        host.Replace(next);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var run = host.Apply();
        output.WriteLine($"fresh apply with the restore: {watch.Elapsed.TotalSeconds:F0} s; restore step: {run.Single(r => r.Step == RestoreSteps.StepName).Result.Stdout.Trim()}");

        var restore = run.Single(r => r.Step == RestoreSteps.StepName).Result.Stdout;
        Assert.Contains($"read {newest} from the snapshot", restore, StringComparison.Ordinal);
        Assert.Contains($"is a ztnet-infra backup of the controller {nwid[..10]}", restore, StringComparison.Ordinal);
        // The restore ran before anything of ZeroTier or ZTNet started.
        var order = run.Select(r => r.Step).ToList();
        Assert.True(order.IndexOf(RestoreSteps.StepName) < order.IndexOf("enable-units"), string.Join(", ", order));
        AssertSameControllerAndData(nwid, "testhost_recovered", "written on the old server");
        Assert.Equal(files, ControllerFiles(next.Settings.DataDir));
        // ZTNet's own admin backups came back with the rest, where ZTNet looks for them.
        Assert.Equal("made-on-the-old-server", host.Guest.AsServiceUserOk("podman exec ztnet cat /app/tmp/backups/ztnet_backup_old.tar.gz"));
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        Assert.Empty(next.Apply());
        Assert.DoesNotContain(ResticPassword, ReadShared(host.ExecutorLogPath), StringComparison.Ordinal);
    }

    [Fact, Scenario(47), Trait(ScenarioSuite.Trait, ScenarioSuite.Extended)]
    public async Task ZTNets_own_backup_from_a_docker_compose_install_is_brought_in_with_one_setting()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;
        var nwid = NetworkWithMember("imported");
        RowByZtnet("testhost_imported", "written under docker-compose");
        var files = ControllerFiles(s.DataDir);

        // ZTNet's createBackup (v0.8.2 adminRoute.ts) on a docker-compose install, where ZTNet logs in
        // as the postgres superuser, so its objects are postgres's (here: a copy of this database
        // made without owners, by postgres): pg_dump --clean --if-exists in plain SQL, zerotier/ a
        // cp -r of the controller's directory, backup_metadata.json, all packed with tar -czf NAME .
        const string archive = "/root/ztnet-backup-2026-12-04T12-00-00-000Z.tar.gz";
        host.Guest.AsServiceUserOk("""
            podman exec postgres psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres -c 'CREATE DATABASE compose_ztnet'
            podman exec postgres sh -c 'pg_dump -U postgres -d ztnet --format=custom | pg_restore -U postgres -d compose_ztnet --no-owner --no-privileges --exit-on-error'
            """);
        Assert.Equal("postgres", host.Guest.AsServiceUserOk("podman exec postgres psql -X -tA -U postgres -d compose_ztnet -c \"SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'testhost_imported'\"").Trim());
        host.Guest.RootOk($$"""
            stage=$(mktemp -d) && chmod 0755 "$stage" && cd "$stage"
            runuser -u {{s.ServiceUser}} -- env -C / XDG_RUNTIME_DIR=/run/user/$(id -u {{s.ServiceUser}}) podman exec postgres pg_dump -U postgres -d compose_ztnet --verbose --clean --if-exists 2>/dev/null > database_dump.sql
            grep -q 'OWNER TO postgres;' database_dump.sql
            cp -r {{s.DataDir}}/zerotier zerotier
            printf '{\n  "created": "2026-12-04T12:00:00.000Z",\n  "version": "v0.8.2",\n  "includeDatabase": true,\n  "includeZerotier": true,\n  "docker": true\n}' > backup_metadata.json
            tar -czf {{archive}} .
            chmod 0600 {{archive}}
            cd / && rm -rf "$stage"
            """);
        output.WriteLine(host.Guest.RootOk($"tar -tzvf {archive} | sed -n 1,8p"));
        // Downloaded from ZTNet's admin page to the workstation; nothing of it stays on the server.
        var workstation = Directory.CreateTempSubdirectory("ztnet-workstation-").FullName;
        var local = Path.Combine(workstation, Path.GetFileName(archive));
        File.WriteAllBytes(local, Convert.FromBase64String(host.Guest.RootOk($"base64 -w0 {archive} && rm -f {archive}").Trim()));

        // The compose install is left behind: this host is purged and a new stack brings the archive in.
        host.Stack.Set(SettingKeys.RetainDataOnDestroy, "false");
        host.Stack.Apply();
        host.Stack.Destroy();
        host.Guest.RootOk($"test ! -e {s.DataDir}");
        var next = host.NewStack();
        next.Set(SettingKeys.RestoreFrom, "file:" + local);
        host.Replace(next);
        var run = host.Apply();

        // Sent from the workstation (CopyToRemote, as the sudo login, into its own inbox), read there, and gone once restored.
        var order = run.Select(r => r.Step).ToList();
        Assert.True(order.IndexOf(RestoreSteps.InboxStep) < order.IndexOf(RestoreSteps.UploadName) && order.IndexOf(RestoreSteps.UploadName) < order.IndexOf(RestoreSteps.StepName), string.Join(", ", order));
        Assert.Contains($"is a ztnet backup of the controller {nwid[..10]}", run.Single(r => r.Step == RestoreSteps.StepName).Result.Stdout, StringComparison.Ordinal);
        Assert.Equal($"{host.Env.Login} 700 0", host.Guest.RootOk($"stat -c '%U %a' {RestoreSteps.Inbox} && ls -A {RestoreSteps.Inbox} | wc -l").Replace('\n', ' ').Trim());
        AssertSameControllerAndData(nwid, "testhost_imported", "written under docker-compose");
        Assert.Equal(files, ControllerFiles(next.Settings.DataDir));
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        // A second apply sends nothing again; removing the setting takes the inbox away, and nothing else.
        Assert.Empty(next.Apply());
        next.Remove(SettingKeys.RestoreFrom);
        var removal = next.Apply();
        output.WriteLine("restoreFrom removed ran: " + string.Join(", ", removal.Select(r => $"{r.Step} {r.Kind}")));
        Assert.Contains(removal, r => r.Step == RestoreSteps.InboxStep && r.Kind == ScriptKind.Delete);
        Assert.DoesNotContain(removal, r => r.Step.StartsWith("unit-", StringComparison.Ordinal) || r.Step == RestoreSteps.UploadName || r.Step == RestoreSteps.StepName);
        host.Guest.RootOk($"test ! -e {RestoreSteps.Inbox}");
        AssertSameControllerAndData(nwid, "testhost_imported", "written under docker-compose");
        Directory.Delete(workstation, recursive: true);
    }
}
