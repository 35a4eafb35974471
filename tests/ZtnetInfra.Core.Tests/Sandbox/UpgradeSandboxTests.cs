using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// The upgrade path: a DATA an older deployment made as the service user (install -d -m 0700 -o
/// ztnet) is refused until marked, the refusal's commands are safe to paste even with links the
/// service user planted, and the next run gives DATA to root with its data as it was. An empty
/// directory of someone else is taken over and given back as found on purge.
/// </summary>
[Trait("Category", "Sandbox")]
public class UpgradeSandboxTests
{
    [SandboxFact]
    public void An_old_DATA_owned_by_the_service_user_becomes_roots_with_the_pasted_fix_and_keeps_its_data() => HostSandbox.Use(box =>
    {
        var plan = Stacks.Plan(Stacks.With(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false")));
        Assert.Equal(0, box.Run(plan.Step("service-account").Create, "service-account").ExitCode);
        box.Ok("""
            install -d -m 0755 /srv/canary && printf 'root:secret:1::::::\n' > /srv/canary/shadow && chmod 0640 /srv/canary/shadow
            install -d -m 0700 -o ztnet -g ztnet /srv/ztnet
            for s in postgres-data zerotier caddy_data caddy_config backups ztnet-backups; do install -d -m 0700 -o ztnet -g ztnet "/srv/ztnet/$s"; done
            printf '15\n' > /srv/ztnet/postgres-data/PG_VERSION && chown ztnet: /srv/ztnet/postgres-data/PG_VERSION
            # The service user plants the marker's name as a link to a root file before the operator marks DATA.
            setpriv --reuid ztnet --regid ztnet --clear-groups -- ln -s /srv/canary/shadow /srv/ztnet/.ztnet-infra
            """);
        var canary = box.Snapshot("/srv/canary");
        var data = box.Snapshot("/srv/ztnet/postgres-data");

        var refused = box.Run(plan.Step("data-dirs").Create, "data-dirs");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("is not this stack's marker (a link", refused.Output);
        // Without the planted link, the refusal names the fix; pasted (as root: without sudo), it goes through no link.
        box.Ok("rm /srv/ztnet/.ztnet-infra && setpriv --reuid ztnet --regid ztnet --clear-groups -- ln -s /srv/canary/shadow /srv/ztnet/.ztnet-infra.planted");
        box.Ok("mv /srv/ztnet/.ztnet-infra.planted /srv/ztnet/.ztnet-infra.x");
        var refusal = box.Run(plan.Step("data-dirs").Create, "data-dirs");
        var fix = System.Text.RegularExpressions.Regex.Match(refusal.Output, @"safe to paste: only root can then change its entries\): (.*)$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(fix.Success, refusal.Output);
        // The service user plants the link again just before the paste: the paste's rm -f removes it after the chown.
        box.Ok("rm -f /srv/ztnet/.ztnet-infra.x && ln -s /srv/canary/shadow /srv/ztnet/.ztnet-infra && chown -h ztnet: /srv/ztnet/.ztnet-infra");
        box.Ok(fix.Groups[1].Value.Replace("sudo ", "", StringComparison.Ordinal));
        Assert.Equal(canary, box.Snapshot("/srv/canary"));

        var r = box.Run(plan.Step("data-dirs").Create, "data-dirs");

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("/srv/ztnet is this stack's data directory (for ztnet)", r.Output);
        Assert.Equal("root:ztnet 750\n", box.Ok("stat -c '%U:%G %a' /srv/ztnet"));
        Assert.Equal("root 644\n", box.Ok("stat -c '%U %a' /srv/ztnet/.ztnet-infra"));
        Assert.Equal(data, box.Snapshot("/srv/ztnet/postgres-data"));
        Assert.Equal(canary, box.Snapshot("/srv/canary"));
    });

    [SandboxFact]
    public void An_empty_directory_of_another_owner_is_taken_over_and_given_back_as_found_on_purge() => HostSandbox.Use(box =>
    {
        box.Ok("useradd alice && install -d -m 0755 -o alice -g alice /srv/prepared");
        var plan = Stacks.Plan(Stacks.With(("dataDir", "/srv/prepared"), ("retainDataOnDestroy", "false")));
        Assert.Equal(0, box.Run(plan.Step("service-account").Create, "service-account").ExitCode);
        var before = box.Snapshot("/srv/prepared");

        var r = box.Run(plan.Step("data-dirs").Create, "data-dirs");

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal("root:ztnet 750\n", box.Ok("stat -c '%U:%G %a' /srv/prepared"));
        Assert.Contains("directory=existing\nfound=", box.Ok("cat /srv/prepared/.ztnet-infra"));
        var purge = box.Run(plan.Step("data-dirs").Delete!, "data-dirs");
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Contains("kept /srv/prepared: it existed before this stack", purge.Output);
        Assert.Equal(before, box.Snapshot("/srv/prepared"));
    });
}
