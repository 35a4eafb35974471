using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

public class PlanTests
{
    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void Steps_form_an_acyclic_graph_listed_in_dependency_order(string stack)
    {
        var plan = Stacks.Plan(Stacks.Varied[stack]);
        var seen = new HashSet<string>();
        foreach (var step in plan.Steps)
        {
            // A file sent from the workstation (a CopyToRemote) counts once what it waits for has run.
            foreach (var u in plan.Uploads.Where(u => u.DependsOn.All(seen.Contains))) seen.Add(u.Name);
            Assert.All(step.DependsOn, d => Assert.True(seen.Contains(d), $"{step.Name} depends on {d}, which is not before it"));
            Assert.True(seen.Add(step.Name), $"step {step.Name} appears twice");
        }
    }

    [Fact]
    public void Pod_comes_before_containers_and_secrets_and_directories_before_the_units_that_use_them()
    {
        var plan = Stacks.Plan(Stacks.Minimal());

        foreach (var c in new[] { "unit-postgres", "unit-zerotier", "unit-ztnet", "unit-caddy" })
        {
            Assert.True(DependsTransitively(plan, c, "unit-ztnet-pod"), $"{c} must come after the pod unit");
            Assert.True(DependsTransitively(plan, c, "data-dirs"), $"{c} must come after the data directories");
        }
        Assert.Contains("podman-secrets", plan.Step("unit-postgres").DependsOn);
        Assert.Contains("podman-secrets", plan.Step("unit-ztnet").DependsOn);
        Assert.Contains("unprivileged-ports", plan.Step("unit-ztnet-pod").DependsOn);
        Assert.Equal("health-gate", plan.Steps[^1].Name);
        Assert.All(plan.Steps.Take(plan.Steps.Length - 1), s => Assert.True(DependsTransitively(plan, "health-gate", s.Name) || s.Name is "host-os",
            $"the health gate must wait for {s.Name}"));
    }

    [Fact]
    public void Steps_that_depend_on_the_linger_run_after_the_service_user()
    {
        var plan = Stacks.Plan(Stacks.Minimal());

        Assert.All(plan.Steps.Where(s => s.RunsAs == StepAccount.ServiceUser),
            s => Assert.True(DependsTransitively(plan, s.Name, "service-user"), s.Name));
    }

    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void Building_twice_gives_identical_steps_and_units(string stack)
    {
        var a = Stacks.Plan(Stacks.Varied[stack]);
        var b = Stacks.Plan(Stacks.Varied[stack]);

        Assert.Empty(BlastRadius.Between(a, b));
        Assert.Equal(a.Units.Select(u => u.Render()), b.Units.Select(u => u.Render()));
    }

    [Fact]
    public void Optional_steps_follow_their_settings()
    {
        var minimal = Stacks.Plan(Stacks.Minimal());
        var names = minimal.Steps.Select(s => s.Name).ToList();
        Assert.Contains("unprivileged-ports", names);
        Assert.Contains("Description=ZTNet auto-update schedule", Backups(minimal));

        var lanPlan = Stacks.Plan(Stacks.Varied["lan-high-ports"]);
        var lan = lanPlan.Steps.Select(s => s.Name).ToList();
        Assert.DoesNotContain("unprivileged-ports", lan);
        Assert.False(lanPlan.Settings.AutoUpdate);
        Assert.DoesNotContain("Description=ZTNet auto-update schedule", Backups(lanPlan));

        static string Backups(DeploymentPlan p) => p.Steps.Single(s => s.Name == "backups").Create.Body;
    }

    [Fact]
    public void Unprivileged_port_start_is_the_lowest_published_port()
    {
        var step = Stacks.Plan(Stacks.Varied["low-port-internal"]).Step("unprivileged-ports");

        Assert.Contains("want='81'\n", step.Create.Body);
        Assert.Contains("/etc/sysctl.d/", step.Create.Body);
        Assert.Contains("rm -f \"$file\"", step.Delete!.Body);
    }

    [Fact]
    public void Destroy_keeps_data_and_the_account_unless_the_stack_asks_to_purge()
    {
        var keep = Stacks.Plan(Stacks.Minimal());
        // Kept: Pulumi drops the data-holding steps from the state and runs nothing; linger is undone on every destroy.
        Assert.Equal(new[] { "data-dirs", "service-account" }, keep.Steps.Where(s => s.RetainOnDelete).Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("rm -rf", keep.Step("data-dirs").Delete!.Body);
        Assert.DoesNotContain("userdel", keep.Step("service-account").Delete!.Body);
        Assert.Contains("disable-linger", keep.Step("service-user").Delete!.Body);
        Assert.False(keep.Step("service-user").RetainOnDelete);

        var purge = Stacks.Plan(Stacks.With(("retainDataOnDestroy", "false")));
        Assert.DoesNotContain(purge.Steps, s => s.RetainOnDelete);
        Assert.Contains("rm -rf --one-file-system -- \"$d\"", purge.Step("data-dirs").Delete!.Body);
        Assert.Contains("userdel --remove", purge.Step("service-account").Delete!.Body);
        Assert.Contains("disable-linger", purge.Step("service-user").Delete!.Body);
    }

    [Fact]
    public void The_account_and_the_data_directory_are_made_before_linger_and_the_units()
    {
        var plan = Stacks.Plan(Stacks.Minimal());

        Assert.Equal(["host-packages"], plan.Step("service-account").DependsOn.ToArray());
        Assert.Equal(["service-account"], plan.Step("service-user").DependsOn.ToArray());
        Assert.Equal(["service-account"], plan.Step("data-dirs").DependsOn.ToArray());
    }

    [Fact]
    public void Every_step_that_creates_something_on_the_host_can_undo_it()
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        var withoutDelete = plan.Steps.Where(s => s.Delete is null).Select(s => s.Name).Order(StringComparer.Ordinal);

        // Checks and package installs leave nothing to undo (packages may serve other things on the
        // host); the backup before an image change leaves an archive, which is data and stays.
        Assert.Equal(new[] { "health-gate", "host-os", "host-packages", "image-backup" }, withoutDelete);
    }

    [Fact]
    public void Only_steps_that_need_secrets_read_them_and_they_are_quiet()
    {
        var plan = Stacks.Plan(Stacks.Minimal());

        Assert.Equal(new[] { PlanSecret.PostgresPassword, PlanSecret.AuthSecret }, plan.Step("podman-secrets").SecretStdin);
        // database-password restarts ZTNet after a rotation of either; the gate checks the password
        // over TCP, and its stdin makes a rotation run it again.
        Assert.Equal(new[] { PlanSecret.PostgresPassword, PlanSecret.AuthSecret }, plan.Step("database-password").SecretStdin);
        Assert.Equal(new[] { PlanSecret.PostgresPassword, PlanSecret.AuthSecret }, plan.Step("health-gate").SecretStdin);
        Assert.Equal(3, plan.Steps.Count(s => !s.SecretStdin.IsEmpty));
        Assert.All(plan.Steps, s => Assert.Equal(!s.SecretStdin.IsEmpty, s.Quiet));
    }

    [Fact]
    public void Stdin_holds_one_secret_a_line_in_the_step_order()
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        var secrets = new Dictionary<PlanSecret, string>
        {
            [PlanSecret.PostgresPassword] = "Pg0123456789abcdefXYZ",
            [PlanSecret.AuthSecret] = "auth secret with spaces and $(symbols) 0123456789",
        };

        Assert.Equal("Pg0123456789abcdefXYZ\nauth secret with spaces and $(symbols) 0123456789\n", DeploymentPlan.ComposeStdin(plan.Step("podman-secrets"), secrets));
        Assert.Equal("Pg0123456789abcdefXYZ\nauth secret with spaces and $(symbols) 0123456789\n", DeploymentPlan.ComposeStdin(plan.Step("database-password"), secrets));
        Assert.Equal("", DeploymentPlan.ComposeStdin(plan.Step("unit-caddy"), secrets));
    }

    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void Steps_that_change_the_user_manager_or_the_packages_never_run_at_the_same_time(string stack)
    {
        // The engine runs every two steps that do not depend on each other at once (pulumi up's
        // default --parallel). Reloads, enables and restarts of one user manager, and apt, are kept
        // in one order: each pair is ordered through dependsOn or a property dependency.
        var plan = Stacks.Plan(Stacks.Varied[stack]);
        var manager = new System.Text.RegularExpressions.Regex(@"systemctl --user (daemon-reload|enable|disable|start|stop|restart|try-restart|reset-failed)");
        // A file's text the step only writes (the backup program's here-document) runs later, not in the step.
        var written = new System.Text.RegularExpressions.Regex("<<'ZTNET_TEXT_END' \\|\\| true\n.*?\nZTNET_TEXT_END\n", System.Text.RegularExpressions.RegexOptions.Singleline);
        var touching = plan.Steps.Where(st => st.Scripts.Any(x => manager.IsMatch(written.Replace(x.Body, "")))).Select(st => st.Name).ToList();
        var apt = plan.Steps.Where(st => st.Scripts.Any(x => x.Body.Contains("apt-get", StringComparison.Ordinal))).Select(st => st.Name).ToList();
        Assert.Contains("database-password", touching);
        Assert.Contains("unit-caddy", touching);
        Assert.Equal(["host-packages"], apt);
        foreach (var group in new[] { touching, apt })
        foreach (var a in group)
        foreach (var b in group.Where(b => string.CompareOrdinal(a, b) < 0))
            Assert.True(Ordered(plan, a, b) || Ordered(plan, b, a), $"{a} and {b} may run at the same time");
    }

    private static bool Ordered(DeploymentPlan plan, string from, string on) => DependsTransitively(plan, from, on, withProperties: true);

    private static bool DependsTransitively(DeploymentPlan plan, string from, string on, bool withProperties = false)
    {
        IEnumerable<string> Edges(string n) =>
            plan.Uploads.FirstOrDefault(u => u.Name == n) is { } upload ? upload.DependsOn
            : withProperties ? plan.Step(n).DependsOn.Concat(plan.Step(n).IdentityFrom) : plan.Step(n).DependsOn;
        var todo = new Stack<string>(Edges(from));
        var seen = new HashSet<string>();
        while (todo.Count > 0)
        {
            var n = todo.Pop();
            if (n == on) return true;
            if (seen.Add(n)) foreach (var d in Edges(n)) todo.Push(d);
        }
        return false;
    }
}

public class ReplacementTests
{
    [Fact]
    public void Steps_of_the_service_user_are_replaced_not_updated_when_the_user_changes()
    {
        var plan = Stacks.Plan(Stacks.Minimal());

        foreach (var step in plan.Steps)
        {
            var owned = step.RunsAs == StepAccount.ServiceUser || step.Name is "service-user" or "service-account";
            Assert.Equal(owned ? ["serviceUser=ztnet"] : [], step.ReplaceOn.ToArray());
        }
        var moved = Stacks.Plan(Stacks.With(("serviceUser", "zt-service")));
        Assert.Equal(["serviceUser=zt-service"], moved.Step("unit-caddy").ReplaceOn.ToArray());
        Assert.Empty(moved.Step("data-dirs").ReplaceOn);
    }

    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void Every_step_undone_inside_the_user_manager_takes_the_service_users_identity_as_an_input(string stack)
    {
        // Pulumi deletes a dependent before a delete-before-replace only through an input property
        // (pulumi/pulumi pkg/resource/deploy/step_generator.go, calculateDependentReplacements):
        // without it, the old service-user step (linger off, or the account purged) is undone first.
        var plan = Stacks.Plan(Stacks.Varied[stack]);
        var seen = new HashSet<string>();
        foreach (var step in plan.Steps)
        {
            // The linger step itself takes the account's identity: linger goes before the account does.
            string[] expected = step.RunsAs == StepAccount.ServiceUser ? ["service-user"] : step.Name == "service-user" ? ["service-account"] : [];
            Assert.Equal(expected, step.IdentityFrom.ToArray());
            Assert.All(step.IdentityFrom, d =>
            {
                Assert.True(seen.Contains(d), $"{step.Name} takes {d}'s identity, which is not before it");
                Assert.False(plan.Step(d).ReplaceOn.IsEmpty, $"{d} has no identity to take");
                // The program takes these values from that step's output instead of writing them.
                Assert.Subset(step.ReplaceOn.ToHashSet(), plan.Step(d).ReplaceOn.ToHashSet());
            });
            seen.Add(step.Name);
        }
        Assert.Contains(plan.Steps, s => s.Name == "enable-units" && s.Delete is not null && s.IdentityFrom.Contains("service-user"));
    }
}
