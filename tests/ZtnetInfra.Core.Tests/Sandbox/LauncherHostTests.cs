using System.Diagnostics;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// The launcher as sent over SSH, run for real: a destroy never waits on a stopped user manager,
/// and a login whose sudo wants a password stops at once with sudo's own message.
/// </summary>
[Trait("Category", "Sandbox")]
public class LauncherHostTests
{
    [SandboxFact]
    public void A_sudo_that_wants_a_password_fails_at_once_with_its_own_message()
    {
        var bin = Tools.TempDir();
        try
        {
            var sudo = Path.Combine(bin, "sudo");
            File.WriteAllText(sudo, "#!/bin/sh\necho \"sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\" >&2\nexit 1\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(sudo, (UnixFileMode)0b111_101_101);
            var plan = Stacks.Plan(Stacks.With(("sshUser", "admin")));

            foreach (var script in new[] { plan.Step("service-account").Create, plan.Step("unit-caddy").Create, plan.Step("unit-caddy").Delete! })
            {
                var clock = Stopwatch.StartNew();
                // An unprivileged login, as `nobody`.
                var r = Tools.Run("runuser", ["-u", "nobody", "--", "env", "-i", $"PATH={bin}:/usr/bin:/bin", "sh", "-c", script.Command]);

                Assert.Equal(1, r.ExitCode);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
                Assert.Contains("the SSH login nobody (ztnet:sshUser) cannot become root without a password; sudo -n said: sudo: a terminal is required", r.Output);
                Assert.Contains("NOPASSWD", r.Output);
            }
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    /// <summary>
    /// A command whose SSH session dropped runs on (no terminal, so nothing signals it); the next
    /// `pulumi up` sends the same step again at once. The second run waits for the first to end.
    /// </summary>
    [SandboxFact]
    public void Two_runs_of_one_step_never_interleave_the_second_waits_for_the_first() => HostSandbox.Use(box =>
    {
        var log = "/run/lock-test.log";
        var body = $"echo \"start $$\" >> {log}; sleep 3; echo \"end $$\" >> {log}";
        var command = Launcher.Wrap("lock-test", ScriptKind.Create, StepAccount.Root, "ztnet", body);

        // The first in the background (as an interrupted run left on the host), the second at once.
        var r = box.Bash($"sh -c {Sh.Quote(command)} & sleep 0.5; sh -c {Sh.Quote(command)}; wait; cat {log}");

        Assert.True(r.ExitCode == 0, r.Output);
        var lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("start ", StringComparison.Ordinal) || l.StartsWith("end ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, lines.Count);
        // start A, end A, start B, end B: the runs follow each other.
        Assert.Equal(lines[0][6..], lines[1][4..]);
        Assert.Equal(lines[2][6..], lines[3][4..]);
        Assert.StartsWith("end ", lines[1]);
        Assert.StartsWith("start ", lines[2]);
        // Another step is not held up by it: it runs while the first holds its lock.
        var other = Launcher.Wrap("other-step", ScriptKind.Create, StepAccount.Root, "ztnet", $"echo other >> {log}");
        r = box.Bash($": > {log}; sh -c {Sh.Quote(command)} & sleep 0.5; sh -c {Sh.Quote(other)}; wait; cat {log}");
        Assert.Equal(["start", "other", "end"], r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Where(w => w is "start" or "other" or "end"));
    });

    [SandboxFact]
    public void A_service_user_delete_starts_a_stopped_user_manager() => HostSandbox.Use(box =>
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        Assert.Equal(0, box.Run(plan.Step("service-account").Create, "service-account").ExitCode);
        var uid = box.Ok("id -u ztnet").Trim();

        var clock = Stopwatch.StartNew();
        var r = box.Bash("sh -c " + Sh.Quote(plan.Step("unit-caddy").Delete!.Command));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains($"starting user@{uid}.service for this delete", r.Output);
        Assert.Contains($"systemctl start user@{uid}.service", box.Calls());
        Assert.Contains(box.Calls(), c => c.StartsWith("runuser -u ztnet --", StringComparison.Ordinal) && c.Contains($"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{uid}/bus"));
    });

    [SandboxFact]
    public void A_service_user_delete_without_any_user_manager_goes_on_with_podman_directly() => HostSandbox.Use(box =>
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        Assert.Equal(0, box.Run(plan.Step("service-account").Create, "service-account").ExitCode);
        File.WriteAllText(box.NoUserManagerFlag, "");
        var delete = plan.Step("unit-caddy").Delete!;

        var clock = Stopwatch.StartNew();
        var launched = box.Bash("sh -c " + Sh.Quote(delete.Command));

        Assert.True(launched.ExitCode == 0, launched.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("warning: no user manager for ztnet: deleting with podman directly", launched.Output);
        var runuser = Assert.Single(box.Calls(), c => c.StartsWith("runuser -u ztnet --", StringComparison.Ordinal));
        Assert.DoesNotContain("DBUS_SESSION_BUS_ADDRESS", runuser);

        // The body itself, where every `systemctl --user` fails: it finishes, warns, and removes the container.
        var body = box.Run(delete, "unit-caddy");
        Assert.True(body.ExitCode == 0, body.Output);
        Assert.Contains("warning: systemctl --user daemon-reload failed", body.Output);
        Assert.Contains(box.Calls(), c => c.StartsWith("podman rm --force --ignore", StringComparison.Ordinal));
    });
}
