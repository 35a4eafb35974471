using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>
/// Our plan under the engine's rules (the executor, in parallel mode, against a fake SSH runner):
/// what `pulumi up` would run, in an order it may pick.
/// </summary>
[Trait("Category", "Executor")]
public sealed class PlanUnderEngineRulesTests
{
    private static readonly Dictionary<PlanSecret, string> Secrets = new()
    {
        [PlanSecret.PostgresPassword] = "Pg0123456789abcdefABCDEF",
        [PlanSecret.AuthSecret] = "auth-secret-0123456789-abcdefghijklmnop-XYZ",
    };

    private static DeploymentPlan Plan(params (string Key, string Value)[] changes)
    {
        var config = new Dictionary<string, ConfigValue>
        {
            ["ztnet:host"] = ConfigValue.Plain("192.0.2.10"),
            ["ztnet:sshUser"] = ConfigValue.Plain("deploy"),
            ["ztnet:sshHostKey"] = ConfigValue.Plain("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo"),
            ["ztnet:domain"] = ConfigValue.Plain("ztnet.test"),
            ["ztnet:tlsMode"] = ConfigValue.Plain("internal"),
        };
        foreach (var (k, v) in changes) config[k] = ConfigValue.Plain(v);
        return Planner.Build(SettingsReader.Read(config));
    }

    private static (PlanExecutor, FakeSsh) New()
    {
        var ssh = new FakeSsh { Delay = _ => TimeSpan.FromMilliseconds(5) };
        return (new PlanExecutor(ssh, new ExecutorState(), TextWriter.Null, new ExecutorOptions { Parallel = 8 }), ssh);
    }

    [Fact]
    public void A_fresh_apply_runs_every_create_once_each_after_what_it_depends_on()
    {
        var (ex, ssh) = New();
        var plan = Plan();

        var run = ex.Apply(plan, Secrets);

        Assert.Equal(plan.Steps.Select(s => s.Name).Order(), run.Select(r => r.Step).Order());
        Assert.All(run, r => Assert.Equal(ScriptKind.Create, r.Kind));
        foreach (var step in plan.Steps)
        foreach (var dep in step.DependsOn.Concat(step.IdentityFrom))
            Assert.True(ssh.Of(plan.Step(dep).Create.Command).End < ssh.Of(step.Create.Command).Start, $"{dep} must finish before {step.Name} starts");
        Assert.True(ssh.MaxRunning > 1, "independent steps of the plan run side by side");
        Assert.Empty(ex.Apply(plan, Secrets));
    }

    [Fact]
    public void One_setting_change_runs_exactly_the_steps_whose_inputs_changed()
    {
        var (ex, _) = New();
        var before = Plan();
        ex.Apply(before, Secrets);
        var after = Plan(("ztnet:caddyImage", "docker.io/library/caddy:2.11.4-alpine-testhost2"));

        var run = ex.Apply(after, Secrets);

        Assert.Equal(BlastRadius.Between(before, after), run.Select(r => r.Step).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(run, r => r.Kind == ScriptKind.Delete);
    }

    [Fact]
    public void A_service_user_change_undoes_every_step_of_the_old_user_before_the_old_service_user()
    {
        var (ex, ssh) = New();
        var before = Plan();
        ex.Apply(before, Secrets);
        ssh.Calls.Clear();

        var run = ex.Apply(Plan(("ztnet:serviceUser", "ztnet2")), Secrets);

        var userDelete = ssh.Of(before.Step("service-user").Delete!.Command);
        var undone = before.Steps.Where(s => s.RunsAs == StepAccount.ServiceUser && s.Delete is not null).ToList();
        Assert.NotEmpty(undone);
        foreach (var step in undone)
            Assert.True(ssh.Of(step.Delete!.Command).End < userDelete.Start, $"{step.Name} must be undone while the old user's manager runs");
        Assert.All(run.Where(r => r.Kind == ScriptKind.Delete), d => Assert.Equal(before.Step(d.Step).Delete!.Command, d.Command));
        Assert.Empty(ex.Apply(Plan(("ztnet:serviceUser", "ztnet2")), Secrets));
    }

    [Fact]
    public void Without_the_property_dependency_the_engine_would_undo_the_old_service_user_first()
    {
        // The plan as it was before IdentityFrom: dependsOn edges only. This is what made
        // `pulumi up` hang on a serviceUser change; the executor now shows it as the engine would.
        var (ex, ssh) = New();
        static DeploymentPlan OrderOnly(DeploymentPlan p) => p with { Steps = [.. p.Steps.Select(s => s with { IdentityFrom = [] })] };
        var before = OrderOnly(Plan());
        ex.Apply(before, Secrets);
        ssh.Calls.Clear();

        ex.Apply(OrderOnly(Plan(("ztnet:serviceUser", "ztnet2"))), Secrets);

        var userDelete = ssh.Of(before.Step("service-user").Delete!.Command);
        Assert.True(userDelete.End < ssh.Of(before.Step("unit-caddy").Delete!.Command).Start);
    }

    [Fact]
    public void Destroy_runs_the_stored_deletes_each_after_its_dependents()
    {
        var (ex, ssh) = New();
        var applied = Plan();
        ex.Apply(applied, Secrets);
        ssh.Calls.Clear();

        var run = ex.Destroy();

        // Steps retained on delete (the kept account and data directory) run nothing.
        var withDelete = applied.Steps.Where(s => s.Delete is not null && !s.RetainOnDelete).ToList();
        Assert.Contains(applied.Steps, s => s.RetainOnDelete);
        Assert.Equal(withDelete.Select(s => s.Name).Order(), run.Select(r => r.Step).Order());
        Assert.All(run, r => Assert.Equal(applied.Step(r.Step).Delete!.Command, r.Command));
        foreach (var step in withDelete)
        foreach (var dep in step.DependsOn.Concat(step.IdentityFrom).Where(d => applied.Step(d) is { Delete: not null, RetainOnDelete: false }))
            Assert.True(ssh.Of(step.Delete!.Command).End < ssh.Of(applied.Step(dep).Delete!.Command).Start, $"{step.Name} must be deleted before {dep}");
        Assert.True(ex.State.IsEmpty);
    }
}
