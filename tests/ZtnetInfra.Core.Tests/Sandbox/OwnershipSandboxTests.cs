using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// The service-account, service-user (linger) and data-dirs scripts run as root against real
/// accounts and directories in a <see cref="HostSandbox"/>: the stack takes and removes only what
/// it made. Steps run in the engine's order: creates by dependency, deletes dependents first, and
/// a step retained on delete (Pulumi's RetainOnDelete) runs no delete at all.
/// </summary>
[Trait("Category", "Sandbox")]
public class OwnershipSandboxTests
{
    private static readonly string[] CreateOrder = ["service-account", "service-user", "data-dirs"];
    private static readonly string[] DeleteOrder = ["data-dirs", "service-user", "service-account"];
    private static readonly string[] StackPlaces = ["/var/lib/ztnet-infra", "/var/lib/systemd/linger", "/home", "/srv"];

    [SandboxFact]
    public void An_existing_users_home_given_as_dataDir_is_refused_and_left_untouched() => HostSandbox.Use(box =>
    {
        box.Ok("useradd --create-home alice && printf 'mine\\n' > /home/alice/notes && chown alice: /home/alice/notes");
        var plan = PlanInHome("/home/alice");
        Ok(box, plan, "service-account");
        var before = box.Snapshot("/home/alice");

        var r = box.Run(plan.Step("data-dirs").Create, "data-dirs");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:dataDir /home/alice is in the home directory of the account alice (/home/alice)", r.Output);
        Assert.Equal(before, box.Snapshot("/home/alice"));
        Destroy(box, plan);
        Assert.Equal(before, box.Snapshot("/home/alice"));
        box.Ok("id alice");

        // Inside a home, the service account's own included (a purge removes that home with the account).
        foreach (var (dataDir, owner) in new[] { ("/home/alice/ztnet", "alice (/home/alice)"), ("/home/ztnet/data", "ztnet (/home/ztnet)") })
        {
            var inside = PlanInHome(dataDir);
            Ok(box, inside, "service-account");
            var refused = box.Run(inside.Step("data-dirs").Create, "data-dirs");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains($"ztnet:dataDir {dataDir} is in the home directory of the account {owner}", refused.Output);
        }
        Assert.Equal(before, box.Snapshot("/home/alice"));
    });

    [SandboxFact]
    public void A_directory_holding_files_the_stack_did_not_make_is_refused_and_survives_a_purge() => HostSandbox.Use(box =>
    {
        box.Ok("mkdir -p /srv/shared/zerotier && printf 'theirs\\n' > /srv/shared/zerotier/identity.secret && printf 'x\\n' > /srv/shared/other");
        var plan = Plan(("dataDir", "/srv/shared"), ("retainDataOnDestroy", "false"));
        Ok(box, plan, "service-account");
        var before = box.Snapshot("/srv/shared");

        var r = box.Run(plan.Step("data-dirs").Create, "data-dirs");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:dataDir /srv/shared already exists and holds files this stack did not make", r.Output);
        var purge = box.Run(plan.Step("data-dirs").Delete!, "data-dirs");
        Assert.Equal(0, purge.ExitCode);
        Assert.Contains("has no marker of this stack", purge.Output);
        Assert.Equal(before, box.Snapshot("/srv/shared"));
    });

    [SandboxFact]
    public void An_existing_account_given_as_serviceUser_is_refused_and_left_untouched() => HostSandbox.Use(box =>
    {
        box.Ok("useradd --create-home bob && printf 'hello\\n' > /home/bob/file && loginctl enable-linger bob");
        var plan = Plan(("serviceUser", "bob"), ("dataDir", "/srv/bob"), ("retainDataOnDestroy", "false"));
        var before = box.Accounts() + box.Snapshot(StackPlaces);

        var r = box.Run(plan.Step("service-account").Create, "service-account");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:serviceUser: the account bob already exists and this stack did not create it", r.Output);
        Assert.Equal(before, box.Accounts() + box.Snapshot(StackPlaces));
        // A destroy of such a stack (with purging) deletes nothing of bob's, not even his linger.
        Destroy(box, plan);
        Assert.Equal(before, box.Accounts() + box.Snapshot(StackPlaces));
        Assert.DoesNotContain(box.Calls(), c => c.StartsWith("loginctl disable-linger", StringComparison.Ordinal) || c.StartsWith("loginctl terminate-user", StringComparison.Ordinal));
    });

    [SandboxFact]
    public void A_system_account_is_refused_even_with_an_adoption_record() => HostSandbox.Use(box =>
    {
        box.Ok("install -d /var/lib/ztnet-infra/accounts && printf 'origin=adopted\\nuid=%s\\n' \"$(id -u daemon)\" > /var/lib/ztnet-infra/accounts/daemon");
        var plan = Plan(("serviceUser", "daemon"));
        var before = box.Accounts();

        var r = box.Run(plan.Step("service-account").Create, "service-account");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:serviceUser: daemon is a system account", r.Output);
        Assert.Equal(before, box.Accounts());
    });

    [SandboxFact]
    public void A_symlinked_dataDir_or_a_link_in_its_path_is_refused_and_a_purge_does_not_follow_it() => HostSandbox.Use(box =>
    {
        box.Ok("mkdir -p /srv/real/postgres-data && printf 'db\\n' > /srv/real/postgres-data/PG_VERSION && ln -s /srv/real /srv/link");
        // A marker behind the link, as if the link pointed at a stack's data: still nothing is followed.
        box.Ok("printf 'service-user=ztnet\\ndirectory=created\\n' > /srv/real/.ztnet-infra");
        var before = box.Snapshot("/srv");

        foreach (var dataDir in new[] { "/srv/link", "/srv/link/ztnet" })
        {
            var plan = Plan(("dataDir", dataDir), ("retainDataOnDestroy", "false"));
            Ok(box, plan, "service-account");

            var r = box.Run(plan.Step("data-dirs").Create, "data-dirs");
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains($"ztnet:dataDir {dataDir} has a symbolic link in its path (/srv/link -> /srv/real)", r.Output);

            var purge = box.Run(plan.Step("data-dirs").Delete!, "data-dirs");
            Assert.Equal(0, purge.ExitCode);
            Assert.Contains("nothing removed", purge.Output);
            Assert.Equal(before, box.Snapshot("/srv"));
        }
    });

    [SandboxFact]
    public void A_dataDir_on_tmpfs_is_refused() => HostSandbox.Use(box =>
    {
        box.Ok("mkdir /srv/ram && mount -t tmpfs tmpfs /srv/ram");
        var plan = Plan(("dataDir", "/srv/ram/ztnet"));
        Ok(box, plan, "service-account");

        var r = box.Run(plan.Step("data-dirs").Create, "data-dirs");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:dataDir /srv/ram/ztnet is on tmpfs", r.Output);
        Assert.Equal("", box.Ok("ls -A /srv/ram"));
    });

    [SandboxFact]
    public void A_purge_removes_what_the_stack_made_and_keeps_a_file_it_did_not_write() => HostSandbox.Use(box =>
    {
        var plan = Plan(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false"));
        var accounts = box.Accounts();
        Create(box, plan);

        // What the stack made: a recorded account, a root-owned directory with a root-owned marker, the service user's subdirectories.
        Assert.Contains("origin=created", box.Ok("cat /var/lib/ztnet-infra/accounts/ztnet"));
        Assert.Contains("data=/srv/ztnet", box.Ok("cat /var/lib/ztnet-infra/accounts/ztnet"));
        Assert.Equal("root:ztnet 750\n", box.Ok("stat -c '%U:%G %a' /srv/ztnet"));
        Assert.Equal("root 644\n", box.Ok("stat -c '%U %a' /srv/ztnet/.ztnet-infra"));
        Assert.Contains("service-user=ztnet\ndirectory=created\n", box.Ok("cat /srv/ztnet/.ztnet-infra"));
        Assert.Equal("ztnet 700\n", box.Ok("stat -c '%U %a' /srv/ztnet/postgres-data"));
        box.Ok("printf '15\\n' > /srv/ztnet/postgres-data/PG_VERSION && chown ztnet: /srv/ztnet/postgres-data/PG_VERSION");
        box.Ok("printf 'written by the admin\\n' > /srv/ztnet/NOTES.txt");
        var notes = box.Snapshot("/srv/ztnet/NOTES.txt");

        var outputs = Destroy(box, plan);

        Assert.Contains("kept /srv/ztnet: it holds files this stack did not write", outputs["data-dirs"]);
        Assert.Equal("NOTES.txt\n", box.Ok("ls -A /srv/ztnet"));
        Assert.Equal(notes, box.Snapshot("/srv/ztnet/NOTES.txt"));
        Assert.Contains("removed the account ztnet", outputs["service-account"]);
        Assert.Equal(accounts, box.Accounts());
        Assert.Equal("/home absent\n", box.Snapshot("/home/ztnet").Replace("/home/ztnet", "/home"));
        Assert.Equal("", box.Ok("ls -A /var/lib/ztnet-infra/accounts /var/lib/systemd/linger | grep -v ':$' | grep . || true"));
    });

    [SandboxFact]
    public void A_purge_stops_at_a_subdirectory_holding_files_of_root_or_another_account_and_finishes_once_they_are_gone() => HostSandbox.Use(box =>
    {
        box.Ok("useradd alice");
        var plan = Plan(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false"));
        var accounts = box.Accounts();
        Create(box, plan);
        // As the containers write: the service user's own uid (a container's root) and a subordinate uid (postgres, uid 70 inside).
        box.Ok("sub=$(awk -F: '$1 == \"ztnet\" { print $2 + 69; exit }' /etc/subuid) && test -n \"$sub\" "
            + "&& install -d -o \"$sub\" /srv/ztnet/postgres-data/base && printf '15\\n' > /srv/ztnet/postgres-data/PG_VERSION && chown \"$sub\" /srv/ztnet/postgres-data/PG_VERSION "
            + "&& printf 'id\\n' > /srv/ztnet/zerotier/identity.secret && chown ztnet: /srv/ztnet/zerotier/identity.secret");
        // What the host's admin and another account put there: not the stack's to remove.
        box.Ok("install -d -o ztnet /srv/ztnet/caddy_data/caddy && printf 'admin copy\\n' > /srv/ztnet/caddy_data/caddy/ADMIN-COPY && printf 'x\\n' > /srv/ztnet/backups/alice.dump && chown alice /srv/ztnet/backups/alice.dump");
        var kept = box.Snapshot("/srv/ztnet/caddy_data") + box.Snapshot("/srv/ztnet/backups");

        var r = box.Run(plan.Step("data-dirs").Delete!, "data-dirs");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("kept /srv/ztnet/caddy_data: it holds files neither ztnet nor its containers wrote", r.Output);
        Assert.Contains("caddy/ADMIN-COPY (uid 0)", r.Output);
        Assert.Contains("alice.dump (uid ", r.Output);
        Assert.Contains("ztnet:retainDataOnDestroy is false, but /srv/ztnet/caddy_data /srv/ztnet/backups holds files this stack did not write", r.Output);
        Assert.Contains("removed /srv/ztnet/postgres-data", r.Output);
        Assert.Contains("removed /srv/ztnet/zerotier", r.Output);
        // The marker stays, so the account (whose files are in the kept subdirectories too) stays with it.
        Assert.Equal(".ztnet-infra\nbackups\ncaddy_data\n", box.Ok("ls -A /srv/ztnet | LC_ALL=C sort"));
        Assert.Equal(kept, box.Snapshot("/srv/ztnet/caddy_data") + box.Snapshot("/srv/ztnet/backups"));
        var account = box.Run(plan.Step("service-account").Delete!, "service-account");
        Assert.Contains("keeping the account ztnet: /srv/ztnet still holds its data", account.Output);
        box.Ok("id ztnet");

        // Once the admin moved them away, the next destroy finishes the purge.
        box.Ok("rm /srv/ztnet/caddy_data/caddy/ADMIN-COPY /srv/ztnet/backups/alice.dump");
        Destroy(box, plan);
        box.Ok("test ! -e /srv/ztnet");
        Assert.Equal(accounts, box.Accounts());
    });

    [SandboxFact]
    public void A_full_purge_leaves_the_host_as_it_was_and_a_second_destroy_is_a_no_op() => HostSandbox.Use(box =>
    {
        var plan = Plan(("dataDir", "/srv/ztnet"), ("retainDataOnDestroy", "false"));
        box.Ok("install -d -m 0755 /var/lib/ztnet-infra/accounts /var/lib/systemd/linger");
        var before = box.Accounts() + box.Snapshot(StackPlaces);
        Create(box, plan);

        Destroy(box, plan);
        Assert.Equal(before, box.Accounts() + box.Snapshot(StackPlaces));

        var again = Destroy(box, plan);
        Assert.Equal(before, box.Accounts() + box.Snapshot(StackPlaces));
        Assert.Contains("/srv/ztnet is already gone", again["data-dirs"]);
        Assert.Contains("no record", again["service-account"]);
    });

    [SandboxFact]
    public void A_mount_point_dataDir_is_used_and_a_purge_finishes_keeping_the_mount_point() => HostSandbox.Use(box =>
    {
        box.Ok($"mkdir /srv/vol && mount --bind {box.Area}/mnt /srv/vol");
        var plan = Plan(("dataDir", "/srv/vol"), ("retainDataOnDestroy", "false"));
        var before = box.Snapshot("/srv/vol");
        Create(box, plan);
        Assert.Contains("directory=existing", box.Ok("cat /srv/vol/.ztnet-infra"));
        box.Ok("printf 'x\\n' > /srv/vol/zerotier/identity.secret && chown ztnet: /srv/vol/zerotier/identity.secret");

        var outputs = Destroy(box, plan);

        Assert.Contains("kept /srv/vol: it is a mount point", outputs["data-dirs"]);
        box.Ok("mountpoint -q /srv/vol");
        Assert.Equal(before, box.Snapshot("/srv/vol"));
        var again = Destroy(box, plan);
        Assert.Contains("has no marker of this stack", again["data-dirs"]);
        Assert.Equal(before, box.Snapshot("/srv/vol"));
    });

    [SandboxFact]
    public void An_adopted_account_is_never_deleted_and_loses_only_the_sub_ids_the_stack_added() => HostSandbox.Use(box =>
    {
        box.Ok("useradd --create-home carol && sed -i '/^carol:/d' /etc/subuid /etc/subgid");
        var plan = Plan(("serviceUser", "carol"), ("dataDir", "/srv/carol"), ("retainDataOnDestroy", "false"));
        var refused = box.Run(plan.Step("service-account").Create, "service-account");
        // The adoption the refusal describes, done as it says (as root: without sudo).
        var fix = System.Text.RegularExpressions.Regex.Match(refused.Output, @"adopt it on the host: (.*) \(an adopted account is never deleted\)");
        Assert.True(fix.Success, refused.Output);
        box.Ok(fix.Groups[1].Value.Replace("sudo ", "", StringComparison.Ordinal) + " >/dev/null");
        Assert.Equal($"origin=adopted\nuid={box.Ok("id -u carol").Trim()}\n", box.Ok("cat /var/lib/ztnet-infra/accounts/carol"));
        var accounts = box.Accounts();

        Ok(box, plan, "service-account");
        Assert.Contains("carol:", box.Ok("cat /etc/subuid"));
        Assert.Contains("carol:", box.Ok("cat /etc/subgid"));
        // podman caches the old id mapping of an account it may have run for: the linger step migrates it once.
        box.Ok("test -f /var/lib/ztnet-infra/accounts/carol.migrate");
        Ok(box, plan, "service-user");
        Ok(box, plan, "data-dirs");
        box.Ok("test ! -e /var/lib/ztnet-infra/accounts/carol.migrate");
        Assert.Contains(box.Calls(), c => c.StartsWith("runuser -u carol --", StringComparison.Ordinal) && c.EndsWith("podman system migrate", StringComparison.Ordinal));

        var outputs = Destroy(box, plan);

        Assert.Contains("keeping the account carol: this stack adopted it", outputs["service-account"]);
        Assert.Equal(accounts, box.Accounts());
        box.Ok("test -d /home/carol && test ! -e /srv/carol");
    });

    [SandboxFact]
    public void A_new_service_user_is_refused_the_old_users_data_and_the_old_account_is_kept_while_its_data_is() => HostSandbox.Use(box =>
    {
        var old = Plan(("dataDir", "/srv/z"), ("retainDataOnDestroy", "false"));
        Create(box, old);
        var moved = Plan(("serviceUser", "zt-new"), ("dataDir", "/srv/z"), ("retainDataOnDestroy", "false"));
        var data = box.Snapshot("/srv/z");

        // Pulumi replaces the account step (delete with the stored text, then create) and updates data-dirs in place.
        var oldAccount = box.Run(old.Step("service-account").Delete!, "service-account");
        Ok(box, moved, "service-account");
        var r = box.Run(moved.Step("data-dirs").Create, "data-dirs");

        Assert.Contains("keeping the account ztnet: /srv/z still holds its data", oldAccount.Output);
        box.Ok("id ztnet");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:serviceUser is zt-new, but /srv/z holds the data of the service user ztnet", r.Output);
        Assert.Equal(data, box.Snapshot("/srv/z"));
    });

    [SandboxFact]
    public void A_kept_stack_is_destroyed_without_touching_its_data_and_a_new_stack_reuses_it() => HostSandbox.Use(box =>
    {
        var plan = Plan(("dataDir", "/srv/ztnet"));
        Create(box, plan);
        box.Ok("printf '15\\n' > /srv/ztnet/postgres-data/PG_VERSION");
        var kept = box.Accounts() + box.Snapshot("/srv/ztnet", "/var/lib/ztnet-infra/accounts/ztnet");

        var outputs = Destroy(box, plan);

        Assert.Equal(["service-user"], outputs.Keys.ToArray());
        Assert.Equal(kept, box.Accounts() + box.Snapshot("/srv/ztnet", "/var/lib/ztnet-infra/accounts/ztnet"));
        box.Ok("test ! -e /var/lib/systemd/linger/ztnet");
        var again = Create(box, plan);
        Assert.Contains("/srv/ztnet is this stack's data directory (for ztnet)", again["data-dirs"]);
        Assert.Equal(kept, box.Accounts() + box.Snapshot("/srv/ztnet", "/var/lib/ztnet-infra/accounts/ztnet"));
    });

    private static DeploymentPlan Plan(params (string Key, string Value)[] values) => Stacks.Plan(Stacks.With(values));

    /// <summary>
    /// A plan for a data directory that validation refuses offline (a home under /home): the host's
    /// own check is the defence for homes outside /home, and is proven here with the refused paths.
    /// </summary>
    private static DeploymentPlan PlanInHome(string dataDir) =>
        Planner.Build(SettingsReader.Read(Stacks.With(("retainDataOnDestroy", "false"))) with { DataDir = dataDir });


    private static string Ok(HostSandbox box, DeploymentPlan plan, string step)
    {
        var r = box.Run(plan.Step(step).Create, step);
        Assert.True(r.ExitCode == 0, $"{step} create failed ({r.ExitCode}):\n{r.Output}");
        return r.Output;
    }

    private static Dictionary<string, string> Create(HostSandbox box, DeploymentPlan plan) =>
        CreateOrder.ToDictionary(s => s, s => Ok(box, plan, s));

    /// <summary>A destroy by the engine's rules: dependents first, nothing run for a step retained on delete.</summary>
    private static Dictionary<string, string> Destroy(HostSandbox box, DeploymentPlan plan)
    {
        var outputs = new Dictionary<string, string>();
        foreach (var name in DeleteOrder)
        {
            var step = plan.Step(name);
            if (step.RetainOnDelete || step.Delete is null) continue;
            var r = box.Run(step.Delete, name);
            Assert.True(r.ExitCode == 0, $"{name} delete failed ({r.ExitCode}):\n{r.Output}");
            outputs[name] = r.Output;
        }
        return outputs;
    }
}
