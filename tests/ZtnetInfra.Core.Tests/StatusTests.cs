using System.Text;
using System.Text.Json.Nodes;
using ZtnetInfra.Cli;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Status;
using ZtnetInfra.Core.Units;
using StatusCommand = ZtnetInfra.Cli.Status;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// `ztnet-infra status`: what the host answers (fixtures in the probe's line format, as
/// Scripts/status.sh prints them), read back into findings, fixes, exit codes, text and JSON.
/// </summary>
public class StatusTests
{
    private static readonly StackIdentity Id = new("dev", "ztnet-infra");

    private static StatusProbe Probe(params (string Key, string Value)[] settings) => StatusProbe.For(Stacks.Plan(Stacks.With(settings)));

    private const long Now = 1_796_000_000;

    /// <summary>What a healthy host answers for the probe's stack: every file as rendered, everything running.</summary>
    private static List<string> Healthy(StatusProbe p)
    {
        var s = p.Plan.Settings;
        const string home = "/home/ztnet";
        var lines = new List<string>
        {
            "ztnet-status\t1", $"now\t{Now}", $"user\t{s.ServiceUser}\t1001\t1001\t{s.ServiceUser}\t{home}", "linger\tyes",
            "data\t0\t1001\t750\tdirectory", "disk\t53687091200\t107374182400",
        };
        foreach (var f in p.Files.Where(f => f.RootOwned))
        {
            var keys = f.Role switch
            {
                FileRole.Marker => $"service-user={s.ServiceUser};directory=created;",
                FileRole.AccountRecord => "origin=created;",
                FileRole.SysctlRecord => "found=1024;",
                _ => "",
            };
            lines.Add($"root-file\t{f.Path}\t{f.Digest ?? new string('0', 64)}\t0\t644\t{keys}");
        }
        lines.Add("manager\tactive");
        foreach (var f in p.Files.Where(f => !f.RootOwned))
            lines.Add($"user-file\t{f.Path.Replace("~", home, StringComparison.Ordinal)}\t{f.Digest}\t1001\t644");
        foreach (var u in p.Units) lines.Add($"unit\t{u}\tloaded\tactive\t{(u.EndsWith(".service", StringComparison.Ordinal) ? "running" : "listening")}\tenabled\t0");
        lines.Add("pod\tRunning");
        string[] refs = [s.PostgresImage, s.ZerotierImage, s.ZtnetImage, s.CaddyImage];
        foreach (var (c, r) in ServiceCatalogue.Containers.Zip(refs))
        {
            lines.Add($"container\t{c.Name}\trunning\thealthy\t0\t{r}\t{new string('a', 64)}");
            lines.Add($"image\t{r}\t{new string('a', 64)}");
        }
        lines.Add($"backup\t{Now - 7200}\tztnet-20261203T090000Z-postgres-15.19.sql.gz");
        lines.Add("backup-run\tsuccess\tinactive");
        if (s.AutoUpdate) lines.Add("auto-update-run\tsuccess\tinactive");
        foreach (var t in p.SystemTimers) lines.Add($"system-timer\t{t}\tactive\tenabled");
        lines.Add($"cert\t{Now + 40 * 86400}\tCN=Pebble Intermediate CA");
        lines.Add("end");
        return lines;
    }

    private static string Text(IEnumerable<string> lines) => string.Join('\n', lines) + "\n";

    private static StatusReport Report(StatusProbe p, IEnumerable<string> lines) =>
        StatusCommand.Classify(p, Id, new RoundTrip(0, Text(lines), ""), 120);

    private static List<string> Replace(List<string> lines, string startsWith, string line)
    {
        var i = lines.FindIndex(l => l.StartsWith(startsWith, StringComparison.Ordinal));
        Assert.True(i >= 0, "no line " + startsWith);
        lines[i] = line;
        return lines;
    }

    [Fact]
    public void A_healthy_host_without_drift_exits_0_and_says_so()
    {
        var p = Probe();
        var r = Report(p, Healthy(p));

        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Findings);
        var text = StatusOutput.Text(r);
        Assert.Contains("OK (exit 0)", text);
        Assert.Contains("no findings", text);
        Assert.Contains("container-caddy.service", text);
        Assert.Contains("newest ztnet-20261203T090000Z-postgres-15.19.sql.gz, 2 h old", text);
        Assert.Contains("CN=Pebble Intermediate CA, expires in 40 d", text);
    }

    [Fact]
    public void A_failed_backup_run_is_unhealthy_with_its_journal_and_the_take_one_now_command_and_the_newest_archive_is_the_last_backup()
    {
        var p = Probe();
        var lines = Healthy(p);
        Replace(lines, "backup-run\t", "backup-run\texit-code\tfailed");
        // An archive the backup program recorded, newer than the newest dump (an hour before Now).
        lines.Insert(lines.IndexOf("end"), "archive\tztnet-backup-20261129T235320Z.tar");

        var r = Report(p, lines);

        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        var failed = Assert.Single(r.Findings);
        Assert.Equal(BackupUnits.Service, failed.Subject);
        Assert.Contains("the last backup failed (exit-code): nothing newer than ztnet-backup-20261129T235320Z.tar", failed.Message);
        Assert.Contains("sudo systemctl start ztnet-backup.service", failed.Fix);
        Assert.Contains("journalctl -u ztnet-backup.service", failed.Look);
        Assert.Equal(Now - 3600, r.Answer!.BackupAt);
    }

    [Fact]
    public void A_failed_or_rolled_back_auto_update_is_unhealthy_with_its_journal_and_says_the_old_images_run()
    {
        var p = Probe();
        Assert.True(p.Plan.Settings.AutoUpdate);
        var lines = Replace(Healthy(p), "auto-update-run\t", "auto-update-run\texit-code\tfailed");

        var r = Report(p, lines);

        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        var failed = Assert.Single(r.Findings);
        Assert.Equal(BackupUnits.AutoUpdateService, failed.Subject);
        Assert.Contains("failed or was rolled back (exit-code): the containers run the images they ran before it", failed.Message);
        Assert.Contains("journalctl -u ztnet-auto-update.service", failed.Look);
    }

    [Fact]
    public void A_stopped_system_timer_is_unhealthy_with_the_command_that_starts_it()
    {
        var p = Probe();
        Assert.Contains(BackupUnits.AutoUpdateTimer, p.SystemTimers);
        Assert.Contains(BackupUnits.Timer, p.SystemTimers);
        var lines = Replace(Healthy(p), $"system-timer\t{BackupUnits.AutoUpdateTimer}\t", $"system-timer\t{BackupUnits.AutoUpdateTimer}\tinactive\tdisabled");

        var r = Report(p, lines);

        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        var stopped = Assert.Single(r.Findings);
        Assert.Equal(BackupUnits.AutoUpdateTimer, stopped.Subject);
        Assert.Contains("is inactive (disabled)", stopped.Message);
        Assert.StartsWith("sudo systemctl enable --now ztnet-auto-update.timer", stopped.Fix);
    }

    [Fact]
    public void A_hand_edited_backup_unit_is_drift_fixed_by_replacing_the_backups_step()
    {
        var p = Probe();
        var path = $"{BackupUnits.UnitDirectory}/{BackupUnits.Timer}";
        var lines = Replace(Healthy(p), $"root-file\t{path}\t", $"root-file\t{path}\t{new string('b', 64)}\t0\t644\t");

        var r = Report(p, lines);

        var drift = Assert.Single(r.Findings);
        Assert.Equal(FindingKind.Drift, drift.Kind);
        Assert.Equal(Id.Replace(BackupSteps.BackupsStep), drift.Fix);
    }

    [Fact]
    public void A_hand_edited_unit_and_Caddy_config_are_drift_each_with_the_replace_of_the_step_that_writes_it()
    {
        var p = Probe();
        var lines = Healthy(p);
        Replace(lines, "user-file\t/home/ztnet/.config/systemd/user/container-ztnet.service", $"user-file\t/home/ztnet/.config/systemd/user/container-ztnet.service\t{new string('b', 64)}\t1001\t644");
        var caddy = CaddyConfig.HostPath(p.Plan.Settings);
        Replace(lines, "user-file\t" + caddy, $"user-file\t{caddy}\tmissing\t-\t-");

        var r = Report(p, lines);

        Assert.Equal(StatusReport.Drift, r.ExitCode);
        Assert.True(r.HasDrift);
        Assert.False(r.IsUnhealthy);
        var unit = Assert.Single(r.Findings, f => f.Subject.EndsWith("container-ztnet.service", StringComparison.Ordinal));
        Assert.Equal(FindingKind.Drift, unit.Kind);
        Assert.Contains("differs from what the stack renders", unit.Message);
        Assert.Equal("pulumi up --stack dev --replace 'urn:pulumi:dev::ztnet-infra::ztnet:index:ZtnetStack$command:remote:Command::unit-ztnet'", unit.Fix);
        var config = Assert.Single(r.Findings, f => f.Subject == caddy);
        Assert.Equal("is missing", config.Message);
        Assert.Equal("pulumi up --stack dev --replace 'urn:pulumi:dev::ztnet-infra::ztnet:index:ZtnetStack$command:remote:Command::unit-caddy'", config.Fix);
        Assert.Contains("DRIFT (exit 10)", StatusOutput.Text(r));
    }

    [Fact]
    public void The_sysctl_file_and_the_records_are_compared_where_the_stack_writes_them()
    {
        var p = Probe(("httpPort", "80"));
        Assert.Contains(p.Files, f => f.Path == HostSteps.SysctlFile);
        var lines = Healthy(p);
        Replace(lines, "root-file\t" + HostSteps.SysctlFile, $"root-file\t{HostSteps.SysctlFile}\t{new string('c', 64)}\t0\t644\t");
        Replace(lines, "root-file\t" + Ownership.AccountRecords, $"root-file\t{Ownership.AccountRecords}/ztnet\tmissing\t-\t-\t");

        var r = Report(p, lines);

        Assert.Equal(StatusReport.Drift, r.ExitCode);
        Assert.Contains(r.Findings, f => f.Subject == HostSteps.SysctlFile && f.Fix!.EndsWith("Command::unprivileged-ports'", StringComparison.Ordinal));
        // A record holds what the host had: no replace can write it back, the fix says what to do by hand.
        var record = Assert.Single(r.Findings, f => f.Subject == Ownership.AccountRecords + "/ztnet");
        Assert.Contains("refuses ztnet as an account the stack did not make (ztnet:serviceUser)", record.Fix);
        Assert.EndsWith($"| sudo tee {Ownership.AccountRecords}/ztnet", record.Fix);
        Assert.DoesNotContain(Probe(("tlsMode", "internal"), ("httpPort", "8080"), ("httpsPort", "8443"), ("zerotierPort", "9993")).Files, f => f.Role == FileRole.Sysctl);
    }

    [Fact]
    public void A_failed_unit_is_unhealthy_with_its_journal_command_as_the_service_user()
    {
        var p = Probe();
        var lines = Healthy(p);
        Replace(lines, "unit\tcontainer-ztnet.service", "unit\tcontainer-ztnet.service\tloaded\tfailed\tfailed\tenabled\t5");
        Replace(lines, "container\tztnet", $"container\tztnet\texited\tunhealthy\t0\t{p.Plan.Settings.ZtnetImage}\t{new string('a', 64)}");

        var r = Report(p, lines);

        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        Assert.Equal("unhealthy", r.Outcome);
        var unit = Assert.Single(r.Findings, f => f.Subject == "container-ztnet.service");
        Assert.Equal("is failed (failed)", unit.Message);
        Assert.Equal("sudo -u ztnet XDG_RUNTIME_DIR=/run/user/1001 journalctl --user -u container-ztnet.service -n 100 --no-pager", unit.Look);
        Assert.Contains(r.Findings, f => f.Subject == "container ztnet" && f.Message == "is exited");
        var text = StatusOutput.Text(r);
        Assert.Contains("UNHEALTHY (exit 11)", text);
        Assert.Contains("container-ztnet.service", text);
        Assert.Contains("failed/failed", text);
    }

    [Fact]
    public void A_stopped_manager_an_expired_certificate_and_a_full_disk_are_unhealthy()
    {
        var p = Probe();
        var r = Report(p, Replace(Healthy(p), "manager", "manager\tinactive"));
        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        Assert.Contains(r.Findings, f => f.Subject == "user@1001.service" && f.Fix!.Contains("loginctl enable-linger ztnet"));

        var lines = Healthy(p);
        Replace(lines, "cert", $"cert\t{Now - 3600}\tCN=R11");
        Replace(lines, "disk", "disk\t104857600\t107374182400");
        r = Report(p, lines);
        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        Assert.Contains(r.Findings, f => f.Subject == "certificate" && f.Message.Contains("expired 60 min ago"));
        Assert.Contains(r.Findings, f => f.Subject == "disk" && f.Message.StartsWith("100 MiB free of 100.0 GiB", StringComparison.Ordinal));
    }

    [Fact]
    public void Drift_and_unhealthy_together_exit_with_unhealthy_and_the_json_says_both()
    {
        var p = Probe();
        var lines = Healthy(p);
        Replace(lines, "unit\tcontainer-caddy.service", "unit\tcontainer-caddy.service\tloaded\tinactive\tdead\tenabled\t0");
        Replace(lines, "linger", "linger\tno");

        var r = Report(p, lines);

        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        var json = JsonNode.Parse(StatusOutput.Json(r))!;
        Assert.Equal("unhealthy+drift", (string?)json["outcome"]);
        Assert.True((bool)json["drift"]!);
        Assert.False((bool)json["healthy"]!);
    }

    [Fact]
    public void A_host_where_the_stack_is_not_deployed_is_unhealthy_naming_the_service_user()
    {
        var p = Probe();
        var r = Report(p, ["ztnet-status\t1", $"now\t{Now}", "user\tztnet\t-", "linger\tno", "data\t-\t-\t-\tmissing", "end"]);

        Assert.Equal(StatusReport.Unhealthy, r.ExitCode);
        Assert.Contains(r.Findings, f => f.Message.Contains("the service user ztnet (ztnet:serviceUser) does not exist"));
    }

    public static TheoryData<int, string, string, int, string> Failures => new()
    {
        { 255, "", "ssh: connect to host 203.0.113.10 port 22: Connection refused\n", StatusReport.Unreachable, "ssh to root@203.0.113.10:22 failed: ssh: connect to host 203.0.113.10 port 22: Connection refused" },
        { 255, "", "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\nHost key for ztnet-infra-host has changed and you have requested strict checking.\nHost key verification failed.\n", StatusReport.HostKeyMismatch, "is not the one pinned in ztnet:sshHostKey" },
        { 1, "", "ztnet-infra: the SSH login admin (ztnet:sshUser) cannot become root without a password; sudo -n said: sudo: a password is required\n", StatusReport.Unreachable, "cannot become root without a password" },
        { 0, "ztnet-status\t1\nnow\t1796000000\nuser\tztnet\t1001\t1001\tztnet\t/home/ztnet\n", "", StatusReport.Unreachable, "was cut short" },
        { 0, "Welcome to Ubuntu 24.04\n", "", StatusReport.Unreachable, "is not a status answer" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void An_unreachable_host_or_a_wrong_host_key_has_its_own_exit_code_and_no_findings(int sshExit, string stdout, string stderr, int exitCode, string says)
    {
        var p = Probe(("sshHostKey", HostKeyTests.Ed25519));
        var r = StatusCommand.Classify(p, Id, new RoundTrip(sshExit, stdout, stderr), 120);

        Assert.Equal(exitCode, r.ExitCode);
        Assert.Empty(r.Findings);
        Assert.Contains(says, r.Error);
        Assert.Contains(says, StatusOutput.Text(r));
        var json = JsonNode.Parse(StatusOutput.Json(r))!;
        Assert.False((bool)json["reachable"]!);
        Assert.Equal(exitCode, (int)json["exitCode"]!);
    }

    [Fact]
    public void No_answer_within_the_timeout_is_unreachable()
    {
        var p = Probe();
        var r = StatusCommand.Classify(p, Id, new RoundTrip(-1, "", "", TimedOut: true), 30);
        Assert.Equal(StatusReport.Unreachable, r.ExitCode);
        Assert.Equal("no answer from 203.0.113.10 within 30 s (--timeout)", r.Error);
    }

    /// <summary>The JSON a monitoring check reads: these keys, these types, in every outcome.</summary>
    [Fact]
    public void The_json_has_the_same_schema_in_every_outcome()
    {
        var p = Probe();
        var failedUnit = Replace(Healthy(p), "unit\tcontainer-ztnet.service", "unit\tcontainer-ztnet.service\tloaded\tfailed\tfailed\tenabled\t5");
        var reports = new[]
        {
            Report(p, Healthy(p)),
            Report(p, failedUnit),
            StatusCommand.Classify(p, Id, new RoundTrip(255, "", "ssh: connect to host 203.0.113.10 port 22: No route to host"), 120),
        };
        string[] keys = ["schema", "stack", "project", "host", "outcome", "exitCode", "reachable", "drift", "healthy", "error", "checkedAt",
            "findings", "units", "containers", "pod", "linger", "manager", "lastBackup", "certificate", "disk"];
        foreach (var r in reports)
        {
            var o = JsonNode.Parse(StatusOutput.Json(r))!.AsObject();
            Assert.Equal(keys, o.Select(kv => kv.Key));
            Assert.Equal(StatusOutput.Schema, (string?)o["schema"]);
            Assert.Equal("dev", (string?)o["stack"]);
            Assert.IsType<JsonArray>(o["findings"]);
            foreach (var f in o["findings"]!.AsArray())
            {
                Assert.Equal(["kind", "subject", "message", "fix", "look"], f!.AsObject().Select(kv => kv.Key));
                Assert.Contains((string?)f["kind"], new[] { "drift", "unhealthy", "note" });
            }
            if (r.Reach == Reach.Answered)
            {
                Assert.Equal(Now, (long)o["checkedAt"]!);
                Assert.Equal(p.Units.Length, o["units"]!.AsArray().Count);
                Assert.Equal(4, o["containers"]!.AsArray().Count);
                Assert.Equal(7200, (long)o["lastBackup"]!["ageSeconds"]!);
                Assert.Equal(40 * 86400, (long)o["certificate"]!["secondsLeft"]!);
                Assert.Equal(53687091200, (long)o["disk"]!["availableBytes"]!);
            }
            else
            {
                Assert.Null(o["checkedAt"]);
                Assert.Empty(o["units"]!.AsArray());
            }
        }
    }

    private sealed class FixtureTransport(RoundTrip answer) : IStatusTransport
    {
        public string? Command { get; private set; }

        public RoundTrip Run(StackSettings settings, string command, string? identityFile, TimeSpan timeout)
        {
            Command = command;
            return answer;
        }
    }

    [Fact]
    public void The_command_line_takes_the_stack_from_the_file_name_the_project_from_Pulumi_yaml_and_exits_with_the_report()
    {
        var dir = Tools.TempDir();
        var stackFile = Path.Combine(dir, "Pulumi.prod.yaml");
        File.WriteAllText(stackFile, "config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: ztnet.example.org\n  ztnet:sshHostKey: " + HostKeyTests.Ed25519 + "\n  ztnet:postgresPassword:\n    secure: AAABAKx9c2VjcmV0\n");
        File.WriteAllText(Path.Combine(dir, "Pulumi.yaml"), "name: my-ztnet\nruntime: dotnet\n");
        var p = StatusProbe.For(Planner.Build(SettingsReader.Read(StackFile.ReadConfig(stackFile))));
        var lines = Replace(Healthy(p), "unit\tcontainer-caddy.service", "unit\tcontainer-caddy.service\tloaded\tinactive\tdead\tenabled\t0");
        var transport = new FixtureTransport(new RoundTrip(0, Text(lines), ""));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = Cli.Cli.Run(["status", "-s", stackFile, "--json"], stdout, stderr, transport);

        Assert.Equal(StatusReport.Unhealthy, code);
        Assert.Equal("", stderr.ToString());
        var json = JsonNode.Parse(stdout.ToString())!;
        Assert.Equal("prod", (string?)json["stack"]);
        Assert.Equal("my-ztnet", (string?)json["project"]);
        var fix = json["findings"]!.AsArray().Select(f => (string?)f!["fix"]).First(f => f!.Contains("unit-caddy"));
        Assert.Contains("pulumi up --stack prod --replace 'urn:pulumi:prod::my-ztnet::ztnet:index:ZtnetStack$command:remote:Command::unit-caddy'", fix);
        // The probe sent is the one for these settings; it carries no secret and reads nothing on stdin.
        Assert.Equal(p.Command, transport.Command);
        Assert.DoesNotContain("AAABAKx9c2VjcmV0", transport.Command);

        code = Cli.Cli.Run(["status", "-s", stackFile, "--stack", "other", "--project", "p2"], stdout = new StringWriter(), stderr, transport);
        Assert.Equal(StatusReport.Unhealthy, code);
        Assert.Contains("stack other on 203.0.113.10: UNHEALTHY (exit 11)", stdout.ToString());
        Assert.Contains("'urn:pulumi:other::p2::", stdout.ToString());
    }

    [Fact]
    public void Invalid_settings_are_refused_before_anything_is_sent()
    {
        var dir = Tools.TempDir();
        var stackFile = Path.Combine(dir, "Pulumi.dev.yaml");
        File.WriteAllText(stackFile, "config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: ztnet.example.org\n  ztnet:httpPort: 70000\n");
        var transport = new FixtureTransport(new RoundTrip(0, "", ""));
        var stderr = new StringWriter();

        var code = Cli.Cli.Run(["status", "-s", stackFile, "--project", "x"], new StringWriter(), stderr, transport);

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Contains("ztnet:httpPort", stderr.ToString());
        Assert.Null(transport.Command);
    }

    [Fact]
    public void Ssh_checks_the_pinned_host_key_only_strictly_and_the_jump_host_with_its_own_pin()
    {
        var dir = Tools.TempDir();
        var s = SettingsReader.Read(Stacks.With(("sshHostKey", HostKeyTests.Ed25519), ("sshUser", "admin"), ("sshPort", "2222"),
            ("bastionHost", "jump.example.org"), ("bastionHostKey", HostKeyTests.Ecdsa), ("bastionUser", "jump")));

        var args = OpenSshTransport.Arguments(s, dir, null, "CMD");

        Assert.Equal($"ztnet-infra-host {HostKeyTests.Ed25519}\nztnet-infra-bastion {HostKeyTests.Ecdsa}\n", File.ReadAllText(Path.Combine(dir, "known_hosts")));
        var joined = string.Join(' ', args);
        Assert.Contains("-o StrictHostKeyChecking=yes", joined);
        Assert.Contains("-o BatchMode=yes", joined);
        Assert.Contains($"-o UserKnownHostsFile={dir}/known_hosts -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=ztnet-infra-host", joined);
        var proxy = args.Single(a => a.StartsWith("ProxyCommand=", StringComparison.Ordinal));
        Assert.Contains($"-o HostKeyAlias=ztnet-infra-bastion", proxy);
        Assert.Contains("-o StrictHostKeyChecking=yes", proxy);
        Assert.Contains($"-o UserKnownHostsFile={dir}/known_hosts", proxy);
        Assert.EndsWith("-W %h:%p -p 22 -l jump jump.example.org", proxy);
        Assert.Equal(["-p", "2222", "-l", "admin", "203.0.113.10", "CMD"], args.TakeLast(6));

        // Without a pin: the user's known_hosts, still strictly (an unknown key fails, never accepted).
        var unpinned = OpenSshTransport.Arguments(SettingsReader.Read(Stacks.Minimal()), Tools.TempDir(), "/home/me/.ssh/id_ed25519", "CMD");
        Assert.DoesNotContain(unpinned, a => a.StartsWith("UserKnownHostsFile=", StringComparison.Ordinal));
        Assert.Contains("StrictHostKeyChecking=yes", unpinned);
        Assert.Contains("/home/me/.ssh/id_ed25519", unpinned);
    }

    /// <summary>The probe itself, run here as root for a service user that does not exist: it answers in its format and ends.</summary>
    [Sandbox.SandboxFact]
    public void The_probe_answers_in_its_line_format_on_a_host_without_the_stack()
    {
        var p = StatusProbe.For(Stacks.Plan(Stacks.With(("serviceUser", "zt-absent-user"), ("dataDir", "/nonexistent/ztnet-data"))));

        // stderr apart: the answer is stdout alone.
        var r = Tools.Run("sh", ["-c", "sh -c \"$1\" 2>/dev/null", "sh", p.Command], stdin: "");

        Assert.True(r.ExitCode == 0, r.Output);
        var answer = HostAnswer.Parse(r.Output);
        Assert.NotNull(answer);
        Assert.False(answer.UserExists);
        Assert.Equal("missing", answer.DataKind);
        Assert.Equal("missing", answer.File($"{Ownership.AccountRecords}/zt-absent-user")!.Digest);
        var report = StatusReport.Evaluate(p, Id, answer);
        Assert.Equal(StatusReport.Unhealthy, report.ExitCode);
    }
}
