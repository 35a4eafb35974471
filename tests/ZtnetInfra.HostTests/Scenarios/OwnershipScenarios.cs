using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.HostTests.Executor;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// The stack owns only what it made, on the VM: a serviceUser change is refused while the data
/// belongs to the old user and the stack comes back when it is set back; a purge removes exactly
/// what the stack made. After the destroy-and-recreate scenario (30).
/// </summary>
public sealed partial class StackOnTestHostTests
{
    [Fact, Scenario(35), Trait(ScenarioSuite.Trait, ScenarioSuite.Extended)]
    public async Task A_service_user_change_is_refused_while_the_data_is_the_old_users_and_setting_it_back_restores_the_stack()
    {
        host.EnsureApplied();
        var old = host.Stack.Settings.ServiceUser;
        host.Stack.Set(SettingKeys.ServiceUser, "ztnet2");

        var e = Assert.Throws<StepFailedException>(() => host.Stack.Apply());

        Assert.Equal("data-dirs", e.Record.Step);
        Assert.Contains($"holds the data of the service user {old}", e.Record.Result.Stderr, StringComparison.Ordinal);
        Assert.Contains("set ztnet:serviceUser back", e.Record.Result.Stderr, StringComparison.Ordinal);
        // The old user's files are untouched: still its own.
        Assert.Equal(old, host.Guest.RootOk($"stat -c %U {host.Stack.Settings.DataDir}/zerotier").Trim());

        host.Stack.Set(SettingKeys.ServiceUser, old);
        var back = host.Stack.Apply();
        output.WriteLine("set back: " + string.Join(", ", back.Select(r => $"{r.Step} {r.Kind}")));
        Assert.Contains(back, r => r.Step == "health-gate");
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        var note = host.Guest.AsServiceUserOk("podman exec postgres psql -tA -U postgres -d ztnet -c 'SELECT note FROM testhost_kept'");
        Assert.Equal("written before destroy", note.Trim());
    }

    [Fact, Scenario(40)]
    public void A_purge_removes_exactly_what_the_stack_made_and_a_second_destroy_changes_nothing()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;
        const string foreign = "notes of the host's admin, not the stack's\n";
        host.Guest.RootOk($"printf '%s' {Sh.Quote(foreign)} > {s.DataDir}/ADMIN-NOTES.txt");
        var accountsBefore = host.Guest.RootOk("grep -v '^ztnet:' /etc/passwd; grep -v '^ztnet:' /etc/group");
        // The login user's account and every file of its home (not `..`: /home itself changes when the
        // purge removes the service user's home).
        const string deployState = "getent passwd deploy; find /home/deploy -printf '%P %u:%g %m %s %T@\\n' | sort | sha256sum";
        var deployBefore = host.Guest.RootOk(deployState);

        var sysctlFound = host.Guest.RootOk($"sed -n 's/^found=//p' {Ownership.SysctlRecord}").Trim();
        Assert.Matches("^[0-9]+$", sysctlFound);
        host.Stack.Set(SettingKeys.RetainDataOnDestroy, "false");
        host.Stack.Apply();
        var run = host.Stack.Destroy();
        output.WriteLine(string.Join("\n", run.Select(r => $"{r.Step}: {r.Result.Stdout.Trim()}")));

        var left = host.Guest.RootOk(
            $"ls -A {s.DataDir}; if id -u {s.ServiceUser} >/dev/null 2>&1; then echo account; fi; "
            + $"if grep -q '^{s.ServiceUser}:' /etc/subuid /etc/subgid; then echo subids; fi; "
            + $"ls -A {Ownership.AccountRecords} 2>/dev/null | grep -E '^{s.ServiceUser}(\\.|$)' || true");
        Assert.Equal(["ADMIN-NOTES.txt"], left.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(foreign, host.Guest.RootOk($"cat {s.DataDir}/ADMIN-NOTES.txt"));
        Assert.Equal(accountsBefore, host.Guest.RootOk("grep -v '^ztnet:' /etc/passwd; grep -v '^ztnet:' /etc/group"));
        Assert.Equal(deployBefore, host.Guest.RootOk(deployState));
        Assert.Equal(sysctlFound, host.Guest.RootOk("sysctl -n net.ipv4.ip_unprivileged_port_start").Trim());
        Assert.True(host.Stack.Executor.State.IsEmpty);
        Assert.Empty(host.Stack.Destroy());
    }
}
