using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>The executor's lifecycle against a fake SSH runner: fast, no VM needed.</summary>
[Trait("Category", "Executor")]
public sealed class PlanExecutorTests
{
    private sealed class FakeSsh : ISshRunner
    {
        public List<(string Command, string Stdin)> Calls { get; } = [];
        public Func<string, int> ExitCode { get; set; } = _ => 0;
        public string Target => "fake@host:22";

        public SshResult Run(string command, string stdin, TimeSpan timeout)
        {
            Calls.Add((command, stdin));
            return new SshResult(ExitCode(command), "out\n", "", TimeSpan.Zero);
        }
    }

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

    private static (PlanExecutor Executor, FakeSsh Ssh, StringWriter Log) New()
    {
        var ssh = new FakeSsh();
        var log = new StringWriter();
        return (new PlanExecutor(ssh, new ExecutorState(), log), ssh, log);
    }

    [Fact]
    public void Fresh_apply_runs_every_create_once_in_dependency_order()
    {
        var (ex, ssh, _) = New();
        var plan = Plan();
        var run = ex.Apply(plan, Secrets);

        Assert.Equal(plan.Steps.Select(s => s.Name).Order(), run.Select(r => r.Step).Order());
        Assert.All(run, r => Assert.Equal(ScriptKind.Create, r.Kind));
        Assert.Equal(run.Select(r => r.Command), ssh.Calls.Select(c => c.Command));
        var position = run.Select((r, i) => (r.Step, i)).ToDictionary(x => x.Step, x => x.i);
        foreach (var step in plan.Steps)
        foreach (var dep in step.DependsOn)
            Assert.True(position[dep] < position[step.Name], $"{dep} must run before {step.Name}");
    }

    [Fact]
    public void Second_apply_with_the_same_plan_runs_nothing()
    {
        var (ex, ssh, _) = New();
        ex.Apply(Plan(), Secrets);
        var calls = ssh.Calls.Count;

        Assert.Empty(ex.Apply(Plan(), Secrets));
        Assert.Equal(calls, ssh.Calls.Count);
    }

    [Fact]
    public void A_changed_step_runs_its_update_or_else_its_create_and_nothing_else()
    {
        var (ex, _, _) = New();
        ex.Apply(Plan(), Secrets);
        var rotated = new Dictionary<PlanSecret, string>(Secrets) { [PlanSecret.PostgresPassword] = "NewPassword0123456789xyz" };

        var run = ex.Apply(Plan(), rotated);

        // podman-secrets has an Update; database-password has none, so its Create runs again in place.
        Assert.Equal(["podman-secrets", "database-password"], run.Select(r => r.Step));
        Assert.Equal([ScriptKind.Update, ScriptKind.Create], run.Select(r => r.Kind));
    }

    [Fact]
    public void One_setting_change_runs_exactly_the_steps_whose_inputs_changed()
    {
        var (ex, _, _) = New();
        var before = Plan();
        ex.Apply(before, Secrets);
        var after = Plan(("ztnet:caddyImage", "docker.io/library/caddy:2.11.4-alpine-testhost2"));

        var run = ex.Apply(after, Secrets);

        Assert.Equal(BlastRadius.Between(before, after), run.Select(r => r.Step).Order(StringComparer.Ordinal));
        Assert.Contains("unit-caddy", run.Select(r => r.Step));
        Assert.DoesNotContain(run, r => r.Step is "unit-ztnet" or "unit-postgres" or "unit-zerotier" or "unit-ztnet-pod");
    }

    [Fact]
    public void A_step_that_leaves_the_plan_runs_its_stored_delete()
    {
        var (ex, _, _) = New();
        var before = Plan();
        ex.Apply(before, Secrets);

        var run = ex.Apply(Plan(("ztnet:autoUpdate", "false")), Secrets);

        var delete = Assert.Single(run, r => r.Kind == ScriptKind.Delete);
        Assert.Equal("auto-update", delete.Step);
        Assert.Equal(before.Step("auto-update").Delete!.Command, delete.Command);
        Assert.Same(delete, run[^1]);
        Assert.Null(ex.State.Find("auto-update"));
    }

    [Fact]
    public void Destroy_runs_the_stored_deletes_dependents_first_even_when_settings_changed_since()
    {
        var (ex, _, _) = New();
        var applied = Plan();
        ex.Apply(applied, Secrets);

        var run = ex.Destroy();

        var withDelete = applied.Steps.Where(s => s.Delete is not null && !s.RetainOnDelete).ToList();
        Assert.Equal(withDelete.Select(s => s.Name).Order(), run.Select(r => r.Step).Order());
        Assert.All(run, r => Assert.Equal(applied.Step(r.Step).Delete!.Command, r.Command));
        var position = run.Select((r, i) => (r.Step, i)).ToDictionary(x => x.Step, x => x.i);
        foreach (var step in withDelete)
        foreach (var dep in step.DependsOn.Where(position.ContainsKey))
            Assert.True(position[step.Name] < position[dep], $"{step.Name} must be deleted before {dep}");
        Assert.True(ex.State.IsEmpty);
    }

    [Fact]
    public void Secrets_travel_only_on_stdin_and_the_log_holds_only_their_digest()
    {
        var (ex, ssh, log) = New();
        ex.Apply(Plan(), Secrets);

        foreach (var secret in Secrets.Values)
        {
            Assert.DoesNotContain(ssh.Calls, c => c.Command.Contains(secret, StringComparison.Ordinal));
            Assert.Contains(ssh.Calls, c => c.Stdin.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, log.ToString(), StringComparison.Ordinal);
        }
        Assert.All(ssh.Calls.Where(c => c.Stdin.Length > 0), c =>
            Assert.Contains(ex.Records, r => r.Command == c.Command && (r.Step is "podman-secrets" or "database-password")));
    }

    [Fact]
    public void Destroy_runs_nothing_for_a_step_stored_with_retain_on_delete_and_a_purge_runs_their_deletes()
    {
        var (kept, _, keptLog) = New();
        kept.Apply(Plan(), Secrets);
        var keptRun = kept.Destroy();
        Assert.DoesNotContain(keptRun, r => r.Step is "service-account" or "data-dirs");
        Assert.Contains(keptRun, r => r.Step == "service-user");
        Assert.Contains("service-account delete: retained on delete", keptLog.ToString());
        Assert.True(kept.State.IsEmpty);

        // The option is the stored one: a purge setting takes effect only once applied.
        var (purged, _, _) = New();
        purged.Apply(Plan(), Secrets);
        purged.Apply(Plan(("ztnet:retainDataOnDestroy", "false")), Secrets);
        var purgeRun = purged.Destroy();
        Assert.Equal(["data-dirs", "service-account"], purgeRun.Where(r => r.Step is "service-account" or "data-dirs").Select(r => r.Step).ToArray());
        Assert.Equal("service-account", purgeRun[^1].Step);
    }

    [Fact]
    public void A_changed_identity_replaces_the_step_stored_delete_first_then_create()
    {
        var (ex, _, _) = New();
        var before = Plan();
        ex.Apply(before, Secrets);
        var after = Plan(("ztnet:serviceUser", "ztnet2"));

        var run = ex.Apply(after, Secrets);

        var replaced = before.Steps.Where(s => !s.ReplaceOn.IsEmpty).Select(s => s.Name).ToList();
        Assert.Contains("service-user", replaced);
        var deletes = run.TakeWhile(r => r.Kind == ScriptKind.Delete).ToList();
        Assert.All(deletes, d => Assert.Equal(before.Step(d.Step).Delete!.Command, d.Command));
        Assert.Contains(deletes, d => d.Step == "service-user");
        Assert.Equal("service-user", deletes[^1].Step);
        Assert.All(replaced, name => Assert.Contains(run.Skip(deletes.Count), r => r.Step == name && r.Kind == ScriptKind.Create));
        Assert.All(run.Skip(deletes.Count), r => Assert.NotEqual(ScriptKind.Delete, r.Kind));
        Assert.Empty(ex.Apply(after, Secrets));
    }

    [Fact]
    public void A_failed_create_stops_the_apply_is_not_stored_and_runs_again_next_time()
    {
        var (ex, ssh, _) = New();
        var plan = Plan();
        var failing = plan.Step("data-dirs").Create.Command;
        ssh.ExitCode = c => c == failing ? 1 : 0;

        var e = Assert.Throws<StepFailedException>(() => ex.Apply(plan, Secrets));
        Assert.Equal("data-dirs", e.Record.Step);
        Assert.Null(ex.State.Find("data-dirs"));
        Assert.Null(ex.State.Find("unit-postgres"));

        ssh.ExitCode = _ => 0;
        var run = ex.Apply(plan, Secrets);
        Assert.Equal("data-dirs", run[0].Step);
        Assert.DoesNotContain(run, r => r.Step is "host-os" or "service-user");
    }
}
