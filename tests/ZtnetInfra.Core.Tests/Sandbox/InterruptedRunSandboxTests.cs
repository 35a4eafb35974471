using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// Records before effects: a root step killed right after an effect (a stand-in first on PATH runs
/// the real tool, then SIGKILLs the step's shell, as a dropped SSH session would end it) is
/// finished by the next normal run, and the purge then removes exactly what the records list:
/// the host's account files end byte for byte as they were, sub-id lines that were there before
/// included.
/// </summary>
[Trait("Category", "Sandbox")]
public class InterruptedRunSandboxTests
{
    private static DeploymentPlan Plan() => Stacks.Plan(Stacks.With(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false")));

    /// <summary>Runs a step with TOOL replaced by a wrapper that runs the real one (or not) and then kills the step.</summary>
    private static Tools.Result RunKilledAfter(HostSandbox box, StepScript script, string tool, bool runReal)
    {
        var dir = Path.Combine(box.Area, "kill-" + tool);
        Directory.CreateDirectory(dir);
        var body = Path.Combine(dir, "step.sh");
        File.WriteAllText(body, script.Body);
        var wrapper = Path.Combine(dir, tool);
        // `useradd -D` only reads the defaults: not the effect the kill is meant to follow.
        var real = Tools.Run("sh", ["-c", $"command -v {tool}"]).Output.Trim();
        File.WriteAllText(wrapper, $"#!/bin/bash\nif [ \"$1\" = -D ]; then exec {real} \"$@\"; fi\n{(runReal ? $"{real} \"$@\"\n" : "")}kill -KILL \"$PPID\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return box.Bash($"PATH={Sh.Quote(dir)}:$PATH bash {Sh.Quote(body)}");
    }

    [SandboxFact]
    public void A_service_account_killed_right_after_useradd_is_finished_by_the_next_run() => HostSandbox.Use(box =>
    {
        // Lines that were there before the stack, one naming the future account: they must survive the purge.
        box.Ok("printf 'ztnet:300000:65536\\nold:400000:65536\\n' >> /etc/subuid && printf 'old:400000:65536\\n' >> /etc/subgid");
        var plan = Plan();
        var before = box.Accounts();

        var killed = RunKilledAfter(box, plan.Step("service-account").Create, "useradd", runReal: true);

        Assert.NotEqual(0, killed.ExitCode);
        box.Ok("id ztnet");
        Assert.DoesNotContain("uid=", box.Ok("cat /var/lib/ztnet-infra/accounts/ztnet"));
        var again = box.Run(plan.Step("service-account").Create, "service-account");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("an earlier run was interrupted after useradd", again.Output);
        var record = box.Ok("cat /var/lib/ztnet-infra/accounts/ztnet");
        Assert.Contains($"uid={box.Ok("id -u ztnet").Trim()}\n", record);
        // The subuid line that named ztnet before is its range (no new one added); a subgid range was added and recorded.
        Assert.DoesNotContain("subuid=", record);
        Assert.Contains("subgid=", record);

        var purge = box.Run(plan.Step("service-account").Delete!, "service-account");
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Equal(before, box.Accounts());
    });

    [SandboxFact]
    public void A_sub_id_range_recorded_but_not_added_is_added_by_the_next_run_and_removed_exactly() => HostSandbox.Use(box =>
    {
        var plan = Plan();
        var before = box.Accounts();

        var killed = RunKilledAfter(box, plan.Step("service-account").Create, "usermod", runReal: false);

        Assert.NotEqual(0, killed.ExitCode);
        var recorded = box.Ok("sed -n 's/^subuid=//p' /var/lib/ztnet-infra/accounts/ztnet").Trim();
        Assert.NotEqual("", recorded);
        Assert.DoesNotContain("ztnet:", box.Ok("cat /etc/subuid"));
        var again = box.Run(plan.Step("service-account").Create, "service-account");
        Assert.True(again.ExitCode == 0, again.Output);
        var start = recorded.Split('-')[0];
        Assert.Contains($"ztnet:{start}:65536\n", box.Ok("cat /etc/subuid"));
        Assert.Single(box.Ok("grep '^subuid=' /var/lib/ztnet-infra/accounts/ztnet").Trim().Split('\n'));

        var purge = box.Run(plan.Step("service-account").Delete!, "service-account");
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Equal(before, box.Accounts());
    });

    [SandboxFact]
    public void A_data_dirs_create_killed_before_the_rename_leaves_no_unmarked_DATA_and_is_finished() => HostSandbox.Use(box =>
    {
        var plan = Plan();
        Assert.Equal(0, box.Run(plan.Step("service-account").Create, "service-account").ExitCode);

        // Killed at its first mv (the marker, inside the temporary directory; the rename of DATA comes after): no DATA yet, only root's temporary directory.
        var killed = RunKilledAfter(box, plan.Step("data-dirs").Create, "mv", runReal: false);

        Assert.NotEqual(0, killed.ExitCode);
        box.Ok("test ! -e /srv/ztnet && test -d /srv/.ztnet.ztnet-infra-new");
        var again = box.Run(plan.Step("data-dirs").Create, "data-dirs");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("created /srv/ztnet\n", again.Output);
        Assert.Contains("directory=created", box.Ok("cat /srv/ztnet/.ztnet-infra"));
        box.Ok("test ! -e /srv/.ztnet.ztnet-infra-new");
        Assert.Equal("root:ztnet 750\n", box.Ok("stat -c '%U:%G %a' /srv/ztnet"));
    });

    [SandboxFact]
    public void An_account_created_before_sub_ids_were_recorded_loses_the_ranges_useradd_gave_it() => HostSandbox.Use(box =>
    {
        var plan = Plan();
        var before = box.Accounts();
        // As an older version made it: useradd's own ranges, a record without subids=recorded.
        box.Ok("""
            useradd --create-home --user-group --shell /usr/sbin/nologin --comment 'ZTNet rootless pod' -K SUB_UID_COUNT=65536 -K SUB_GID_COUNT=65536 ztnet
            install -d -m 0755 /var/lib/ztnet-infra/accounts && printf 'origin=created\nuid=%s\n' "$(id -u ztnet)" > /var/lib/ztnet-infra/accounts/ztnet
            grep -q '^ztnet:' /etc/subuid
            """);

        var purge = box.Run(plan.Step("service-account").Delete!, "service-account");

        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Equal(before, box.Accounts());
    });
}
