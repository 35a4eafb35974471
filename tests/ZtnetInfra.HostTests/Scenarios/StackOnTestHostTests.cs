using System.Diagnostics;
using Xunit.Abstractions;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;
using ZtnetInfra.HostTests.Executor;
using ZtnetInfra.HostTests.TestHost;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// The deployment on a real host: the core's plan applied over SSH to the disposable VM of
/// tests/testhost (systemd, rootless podman 5, pasta), scenario after scenario on the same VM.
/// Each scenario that needs a deployed stack deploys it if an earlier one did not.
/// </summary>
[Trait("Category", "TestHost")]
[TestCaseOrderer(ScenarioOrderer.Name, ScenarioOrderer.Assembly)]
public sealed partial class StackOnTestHostTests(TestHostFixture host, ITestOutputHelper output) : IClassFixture<TestHostFixture>
{
    private static readonly TimeSpan Minutes5 = TimeSpan.FromMinutes(5);
    private static readonly string UnitList = string.Join(' ', ServiceCatalogue.UnitNames);

    [Fact, Scenario(1)]
    public void Apply_against_a_wrong_pinned_host_key_fails_before_running_anything()
    {
        var since = host.Guest.RootOk("date +%s.%N").Trim();
        using var stack = host.NewStack(hostKey: NewHostKey());

        var e = Assert.Throws<StepFailedException>(() => stack.Apply());

        Assert.Equal("host-os", e.Record.Step);
        Assert.True(e.Record.Result.SshFailed, $"ssh itself must refuse (exit 255), got {e.Record.Result.ExitCode}");
        Assert.Contains("Host key verification failed", e.Record.Result.Stderr, StringComparison.Ordinal);
        Assert.Single(stack.Executor.Records);
        Assert.True(stack.Executor.State.IsEmpty);
        // On the host: no step's script ran (each one prints "ztnet-infra: ..."), no session but this check's own.
        // The pattern is written so that this command's own journal entry (sudo logs it) does not match it.
        var journal = host.Guest.RootOk($"journalctl --no-pager -o cat --since @{since}");
        Assert.DoesNotMatch("ztnet-infra[:]", journal.Replace("ztnet-infra[:]", "", StringComparison.Ordinal));
        Assert.True(CountOf(journal, "Accepted publickey") <= 1, "only the checking session may have logged in:\n" + journal);
        if (!host.Applied)
            Assert.NotEqual(0, host.Guest.Root($"id -u {host.Stack.Settings.ServiceUser}").ExitCode);
    }

    [Fact, Scenario(2)]
    public async Task Fresh_apply_starts_every_unit_on_pasta_and_serves_ZTNet_over_HTTPS_from_outside()
    {
        Assert.False(host.Applied, "the fresh apply must be the first deployment on this VM");
        var plan = host.Stack.Plan;
        var watch = Stopwatch.StartNew();
        var run = host.Apply();
        output.WriteLine($"fresh apply: {watch.Elapsed.TotalSeconds:0} s, {run.Count} remote commands");
        foreach (var r in run) output.WriteLine($"  {r.Step,-22} {r.Result.Duration.TotalSeconds,6:0.0} s");

        // Parallel mode: every step once, in an order the engine may pick (the executor keeps each after its dependencies).
        Assert.Equal(plan.Steps.Select(s => s.Name).Order(StringComparer.Ordinal), run.Select(r => r.Step).Order(StringComparer.Ordinal));
        Assert.All(run, r => Assert.Equal(ScriptKind.Create, r.Kind));
        Assert.Contains("ZTNet answers", run.Single(r => r.Step == "health-gate").Result.Stdout, StringComparison.Ordinal);

        var active = host.Guest.UserSystemctl($"is-active {UnitList}");
        Assert.Equal(Enumerable.Repeat("active", ServiceCatalogue.UnitNames.Count), active.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var network = host.Guest.AsServiceUserOk(
            "podman inspect --format '{{.HostConfig.NetworkMode}}' \"$(podman pod inspect --format '{{.InfraContainerID}}' " + ServiceCatalogue.PodName + ")\"");
        Assert.Equal("pasta", network.Trim());
        Assert.Equal("80", host.Guest.RootOk("sysctl -n net.ipv4.ip_unprivileged_port_start").Trim());

        var (status, body) = await host.WaitForHttpsAsync(Minutes5);
        Assert.Equal(200, status);
        Assert.Equal("{\"ok\":true}", body); // better-auth's static answer, as the stand-in gives it
    }

    [Fact, Scenario(3)]
    public void Second_apply_with_the_same_settings_runs_no_remote_command()
    {
        host.EnsureApplied();
        var before = host.Stack.Executor.Records.Count;
        var watch = Stopwatch.StartNew();

        var run = host.Stack.Apply();

        output.WriteLine($"no-op apply: {watch.Elapsed.TotalSeconds:0.00} s, {run.Count} remote commands");
        Assert.Empty(run);
        Assert.Equal(before, host.Stack.Executor.Records.Count);
    }

    [Fact, Scenario(4)]
    public void Secrets_are_in_no_unit_file_process_list_journal_or_executor_log()
    {
        host.EnsureApplied();
        var user = host.Stack.Settings.ServiceUser;
        var units = host.Guest.RootOk($"cat \"$(getent passwd {user} | cut -d: -f6)\"/.config/systemd/user/*.service");
        var processes = host.Guest.RootOk("ps -e -ww -o user,pid,args");
        var journal = host.Guest.RootOk("journalctl --no-pager -o json");
        var log = ReadShared(host.ExecutorLogPath);
        Assert.Contains("--secret", units, StringComparison.Ordinal);
        Assert.Contains("conmon", processes, StringComparison.Ordinal);

        foreach (var (name, secret) in host.Stack.Secrets)
        {
            Assert.False(units.Contains(secret, StringComparison.Ordinal), $"{name} is in a unit file");
            Assert.False(processes.Contains(secret, StringComparison.Ordinal), $"{name} is in the process list");
            Assert.False(journal.Contains(secret, StringComparison.Ordinal), $"{name} is in the journal");
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"{name} is in the executor's log");
        }
        // They did arrive: as podman secrets, which ZTNet's health (a database login) depends on.
        var stored = host.Guest.AsServiceUserOk("podman secret ls --format '{{.Name}}'");
        Assert.Contains(ServiceCatalogue.PostgresSecret, stored, StringComparison.Ordinal);
        Assert.Contains(ServiceCatalogue.AuthSecret, stored, StringComparison.Ordinal);
    }

    [Fact, Scenario(5)]
    public async Task A_killed_container_comes_back_by_itself()
    {
        host.EnsureApplied();
        var before = host.Containers();
        var commands = host.Stack.Executor.Records.Count;
        var pid = host.Guest.AsServiceUserOk("podman inspect --format '{{.State.Pid}}' ztnet").Trim();

        host.Guest.RootOk($"kill -KILL {pid}");

        var back = await Until(Minutes5, () =>
        {
            var now = host.Containers();
            return now.TryGetValue("ztnet", out var z) && z != before["ztnet"]
                && host.Guest.UserSystemctl("is-active container-ztnet.service").Stdout.Trim() == "active";
        });
        Assert.True(back, "container-ztnet.service did not start a new ztnet container");
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        var after = host.Containers();
        Assert.Equal(before["postgres"], after["postgres"]);
        Assert.Equal(before["zerotier"], after["zerotier"]);
        Assert.Equal(commands, host.Stack.Executor.Records.Count);
    }

    [Fact, Scenario(6)]
    public async Task Changing_the_Caddy_image_runs_only_its_steps_and_restarts_no_other_container()
    {
        host.EnsureApplied();
        var before = host.Containers();
        var planBefore = host.Stack.Plan;
        host.Stack.Set(SettingKeys.CaddyImage, TestHostFixture.SecondCaddyImage);
        var expected = BlastRadius.Between(planBefore, host.Stack.Plan);
        Assert.Equal(["health-gate", "images", "unit-caddy"], expected);

        var watch = Stopwatch.StartNew();
        IReadOnlyList<CommandRecord> run;
        TimeSpan outage;
        using (var probe = host.Probe())
        {
            await using var monitor = new DowntimeMonitor(probe, host.Stack.Settings.ZtnetHealthPath, TimeSpan.FromMilliseconds(500));
            run = host.Stack.Apply();
            await monitor.StopAsync();
            outage = monitor.LongestOutage();
            output.WriteLine($"caddy image change: {watch.Elapsed.TotalSeconds:0} s, {run.Count} remote commands; "
                             + $"HTTPS outage {outage.TotalSeconds:0.0} s ({monitor.Failures}/{monitor.Samples} probes failed)");
        }

        Assert.Equal(expected, run.Select(r => r.Step).Order(StringComparer.Ordinal));
        Assert.Equal(ScriptKind.Create, run.Single(r => r.Step == "unit-caddy").Kind);
        // The new image is pulled before the old container stops.
        Assert.True(run.ToList().FindIndex(r => r.Step == "images") < run.ToList().FindIndex(r => r.Step == "unit-caddy"));
        var after = host.Containers();
        foreach (var name in new[] { "postgres", "zerotier", "ztnet" })
            Assert.Equal(before[name], after[name]);
        Assert.NotEqual(before["caddy"], after["caddy"]);
        Assert.Equal(TestHostFixture.SecondCaddyImage, host.Guest.AsServiceUserOk("podman inspect --format '{{.ImageName}}' caddy").Trim());
        Assert.NotEqual(TimeSpan.MaxValue, outage);
    }

    [Fact, Scenario(20)]
    public async Task After_a_reboot_the_whole_stack_comes_back_by_itself()
    {
        host.EnsureApplied();
        var boot = host.Guest.BootId();
        var commands = host.Stack.Executor.Records.Count;

        host.Guest.Root("systemctl reboot");

        var rebooted = await Until(TimeSpan.FromMinutes(10), () => host.Guest.Root("cat /proc/sys/kernel/random/boot_id") is { ExitCode: 0 } r && r.Stdout.Trim() != boot);
        Assert.True(rebooted, "the VM did not come back from the reboot");
        var (status, body) = await host.WaitForHttpsAsync(TimeSpan.FromMinutes(15));
        Assert.True(status == 200, $"no answer through Caddy after the reboot: {status} {body}");
        var active = host.Guest.UserSystemctl($"is-active {UnitList}");
        Assert.Equal(Enumerable.Repeat("active", ServiceCatalogue.UnitNames.Count), active.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(commands, host.Stack.Executor.Records.Count);
    }

    [Fact, Scenario(30)]
    public async Task Destroy_removes_units_pod_and_secrets_but_keeps_the_data_that_a_new_stack_reuses()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;
        host.Guest.AsServiceUserOk("podman exec -i postgres psql -q -v ON_ERROR_STOP=1 -U postgres -d ztnet",
            "CREATE TABLE IF NOT EXISTS testhost_kept (note text);\nINSERT INTO testhost_kept VALUES ('written before destroy');\n"
            // Made the old way: ZTNet was the superuser, so the superuser owned its database and tables.
            + "ALTER DATABASE ztnet OWNER TO postgres;\n"
            // and schema public was the database owner's, as PostgreSQL 15's initdb leaves it.
            + "ALTER SCHEMA public OWNER TO pg_database_owner;\n");
        var sysctlFound = host.Guest.RootOk($"sed -n 's/^found=//p' {Ownership.SysctlRecord}").Trim();
        Assert.Matches("^[0-9]+$", sysctlFound);
        // Retained steps (the kept account and data directory) leave the state without running anything.
        var stored = host.Stack.Executor.State.Steps.Where(x => x.Delete is not null && !x.RetainOnDelete).Select(x => (x.Name, x.Delete)).ToList();

        // Destroy must not get stuck when the service user's manager is down: the deletes start it.
        host.Guest.RootOk($"systemctl stop \"user@$(id -u {s.ServiceUser}).service\"");

        var destroyed = host.Stack.Destroy();

        Assert.Equal(stored.Select(x => x.Name).Order(), destroyed.Select(r => r.Step).Order());
        Assert.All(destroyed, r => Assert.Equal(stored.Single(x => x.Name == r.Step).Delete, r.Command));
        Assert.True(host.Stack.Executor.State.IsEmpty);
        var left = host.Guest.RootOk(
            $"home=$(getent passwd {s.ServiceUser} | cut -d: -f6)\n"
            + $"for u in {UnitList}; do if [ -e \"$home/.config/systemd/user/$u\" ]; then echo \"unit $u\"; fi; done\n"
            // Linger is off and the user manager stopped: start it briefly (as a login would) to ask podman.
            // logind may still be stopping the manager after linger went off: try the start again then.
            + $"uid=$(id -u {s.ServiceUser}); for i in 1 2 3 4 5; do if systemctl start \"user@$uid.service\"; then break; fi; sleep 5; done\n"
            + $"p() {{ runuser -u {s.ServiceUser} -- env -i HOME=\"$home\" PATH=/usr/bin:/bin XDG_RUNTIME_DIR=\"/run/user/$uid\" podman \"$@\"; }}\n"
            + $"if p pod exists {ServiceCatalogue.PodName}; then echo pod; fi\n"
            + "p ps -a --format 'container {{.Names}}'\n"
            + "p secret ls --noheading --format 'secret {{.Name}}'\n"
            + "systemctl stop \"user@$uid.service\" \"user-runtime-dir@$uid.service\" || echo \"systemctl stop exit $?\" >&2\n"
            + $"if pgrep -u {s.ServiceUser} >/dev/null; then echo processes; ps -u {s.ServiceUser} -o pid,args; fi");
        Assert.Equal("", left.Trim());
        // The privileged-port floor is back where the first apply found it, and its record is gone.
        Assert.Equal(sysctlFound, host.Guest.RootOk($"sysctl -n net.ipv4.ip_unprivileged_port_start; test ! -e {Ownership.SysctlRecord}").Trim());
        host.Guest.RootOk($"test -s {s.DataDir}/postgres-data/PG_VERSION && test -s {s.DataDir}/zerotier/authtoken.secret && test -s {s.DataDir}/caddy_data/caddy/pki/authorities/local/root.crt");

        // Kept data made the old way: the official image's initdb (no -A) trusted TCP from 127.0.0.1.
        host.Guest.RootOk($"f={s.DataDir}/postgres-data/pg_hba.conf; sed -i -E '/^[[:space:]]*host/ s/scram-sha-256[[:space:]]*$/trust/' \"$f\"; grep -q trust \"$f\"");

        // Kept data as an upgraded deployment has it: DATA the service user's own (0700), as stacks
        // before root-owned DATA left an adopted directory. The new stack must give it to root.
        host.Guest.RootOk($"chown {s.ServiceUser}:{s.ServiceUser} {s.DataDir} && chmod 0700 {s.DataDir}");
        // The host's admin has a floor of their own now: the new stack records it and a destroy puts it back (scenario 40).
        host.Guest.RootOk("sysctl -q -w net.ipv4.ip_unprivileged_port_start=1000");

        var next = host.NewStack();
        Assert.NotEqual(host.Stack.Secrets[PlanSecret.PostgresPassword], next.Secrets[PlanSecret.PostgresPassword]);
        host.Replace(next);
        var run = host.Apply();

        Assert.All(run, r => Assert.Equal(ScriptKind.Create, r.Kind));
        Assert.Equal(next.Plan.Steps.Select(x => x.Name).Order(StringComparer.Ordinal), run.Select(r => r.Step).Order(StringComparer.Ordinal));
        Assert.Contains("is now root's", run.Single(r => r.Step == "data-dirs").Result.Stdout, StringComparison.Ordinal);
        Assert.Equal($"root:{s.ServiceUser} 750", host.Guest.RootOk($"stat -c '%U:%G %a' {s.DataDir}").Trim());
        Assert.Equal("1000", host.Guest.RootOk($"sed -n 's/^found=//p' {Ownership.SysctlRecord}").Trim());
        var note = host.Guest.AsServiceUserOk("podman exec postgres psql -tA -U postgres -d ztnet -c 'SELECT note FROM testhost_kept'");
        Assert.Equal("written before destroy", note.Trim());
        var none = host.Guest.AsServiceUser(NoPasswordLogin(ServiceCatalogue.DatabaseUser));
        Assert.True(none.ExitCode != 0, "a TCP login without the password still works on the kept data: " + none.Stdout);
        // The old way ZTNet was the superuser and made its tables as it: now its own role owns them (and schema public).
        Assert.Equal("ztnet", host.Guest.AsServiceUserOk(AdminQuery("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'testhost_kept'")).Trim());
        // ZTNet's role owns schema public, not the database: it cannot set per-database settings the superuser's sessions would inherit.
        Assert.Equal("postgres", host.Guest.AsServiceUserOk(AdminQuery("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ztnet'")).Trim());
        Assert.Equal("ztnet", host.Guest.AsServiceUserOk(AdminQuery("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")).Trim());
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
    }

    private static async Task<bool> Until(TimeSpan timeout, Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            try
            {
                if (condition()) return true;
            }
            catch (InvalidOperationException)
            {
                // the host is between states (a container being replaced, a reboot): ask again
            }
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        return false;
    }

    private static int CountOf(string text, string what) =>
        (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    private static string ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(f);
        return r.ReadToEnd();
    }

    /// <summary>A valid ed25519 public key that is not the VM's.</summary>
    private static string NewHostKey()
    {
        var dir = Directory.CreateTempSubdirectory("ztnet-wrongkey-").FullName;
        try
        {
            var key = Path.Combine(dir, "key");
            using var p = Process.Start(new ProcessStartInfo("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.WaitForExit();
            var parts = File.ReadAllText(key + ".pub").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts[0] + " " + parts[1];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
