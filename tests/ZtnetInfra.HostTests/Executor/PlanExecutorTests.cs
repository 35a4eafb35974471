using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>
/// One test per engine rule the executor models, each on made-up steps against a fake SSH runner
/// (no VM, not our plan): the "Models" trait names the upstream file of the rule.
/// </summary>
[Trait("Category", "Executor")]
public sealed class PlanExecutorTests
{
    private const string StepGenerator = "pulumi/pulumi pkg/resource/deploy/step_generator.go";
    private const string StepExecutor = "pulumi/pulumi pkg/resource/deploy/step_executor.go";
    private const string DeploymentExecutor = "pulumi/pulumi pkg/resource/deploy/deployment_executor.go";
    private const string Step = "pulumi/pulumi pkg/resource/deploy/step.go";
    private const string UpCommand = "pulumi/pulumi pkg/cmd/pulumi/operations/up.go";
    private const string CommandController = "pulumi/pulumi-command v1.2.1 provider/pkg/provider/remote/commandController.go";
    private const string CommandInputs = "pulumi/pulumi-command v1.2.1 provider/pkg/provider/common/inputs.go";

    [Fact, Trait("Models", CommandController)]
    public void A_new_step_runs_its_create_once()
    {
        var (ex, ssh) = New();

        var run = ex.Apply(Plan(S("a"), S("b", deps: ["a"])), NoSecrets);

        Assert.Equal(["create a v1", "create b v1"], ssh.Commands);
        Assert.All(run, r => Assert.Equal(ScriptKind.Create, r.Kind));
        Assert.NotNull(ex.State.Find("b"));
        Assert.Empty(ex.Apply(Plan(S("a"), S("b", deps: ["a"])), NoSecrets));
    }

    [Fact, Trait("Models", Step)]
    public void An_unchanged_step_runs_nothing_but_its_new_options_are_stored()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("a"), S("b")), NoSecrets);

        // Same inputs, a new dependency and RetainOnDelete: a same step, no command.
        var run = ex.Apply(Plan(S("a"), S("b", deps: ["a"], retain: true)), NoSecrets);

        Assert.Empty(run);
        Assert.Equal(2, ssh.Calls.Count);
        Assert.True(ex.State.Find("b")!.RetainOnDelete);
        Assert.Equal(["a"], ex.State.Find("b")!.DependsOn.ToArray());
    }

    [Fact, Trait("Models", CommandController)]
    public void Changed_inputs_run_the_new_update_in_place()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("a", update: true)), NoSecrets);

        var run = ex.Apply(Plan(S("a", update: true, version: "2")), NoSecrets);

        Assert.Equal(["update a v2"], run.Select(r => r.Command));
        Assert.DoesNotContain("delete a v1", ssh.Commands);
        Assert.Equal("delete a v2", ex.State.Find("a")!.Delete);
    }

    [Fact, Trait("Models", CommandController)]
    public void Changed_inputs_without_an_update_run_the_new_create_again_in_place()
    {
        var (ex, _) = New();
        ex.Apply(Plan(S("a")), NoSecrets);

        var run = ex.Apply(Plan(S("a", version: "2")), NoSecrets);

        var only = Assert.Single(run);
        Assert.Equal((ScriptKind.Create, "create a v2"), (only.Kind, only.Command));
    }

    [Fact, Trait("Models", CommandController)]
    public void A_failed_update_keeps_the_old_state_and_runs_again_next_time()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("a", update: true)), NoSecrets);
        ssh.ExitCode = c => c == "update a v2" ? 1 : 0;

        Assert.Throws<StepFailedException>(() => ex.Apply(Plan(S("a", update: true, version: "2")), NoSecrets));
        Assert.Equal("create a v1", ex.State.Find("a")!.Create);

        ssh.ExitCode = _ => 0;
        Assert.Equal(["update a v2"], ex.Apply(Plan(S("a", update: true, version: "2")), NoSecrets).Select(r => r.Command));
    }

    [Fact, Trait("Models", CommandInputs + "; " + StepGenerator)]
    public void Changed_triggers_replace_the_step_its_stored_delete_first_then_the_new_create()
    {
        var (ex, _) = New();
        ex.Apply(Plan(S("a", update: true, replaceOn: "id=1")), NoSecrets);

        var run = ex.Apply(Plan(S("a", update: true, replaceOn: "id=2", version: "2")), NoSecrets);

        Assert.Equal(["delete a v1", "create a v2"], run.Select(r => r.Command));
        Assert.Equal(["id=2"], ex.State.Find("a")!.ReplaceOn.ToArray());
    }

    [Fact, Trait("Models", StepGenerator + " isTargetedReplace")]
    public void A_targeted_replace_runs_the_stored_delete_then_the_create_without_any_input_change_and_leaves_the_rest()
    {
        var (ex, _) = New();
        ex.Apply(Plan(S("a"), S("b", deps: ["a"]), S("c")), NoSecrets);

        // `pulumi up --replace URN(b)`: replaced whatever its diff; deleteBeforeReplace (set on every step by the program).
        var run = ex.Apply(Plan(S("a"), S("b", deps: ["a"]), S("c")), NoSecrets, new HashSet<string> { "b" });

        Assert.Equal(["delete b v1", "create b v1"], run.Select(r => r.Command));
        Assert.Empty(ex.Apply(Plan(S("a"), S("b", deps: ["a"]), S("c")), NoSecrets));
    }

    [Fact, Trait("Models", StepGenerator + " calculateDependentReplacements")]
    public void A_replacement_deletes_first_only_the_dependents_that_take_an_input_from_it()
    {
        // root <- viaInput (its triggers hold root's output) <- chained (the same, from viaInput);
        // root <- orderOnly (dependsOn only).
        var (ex, ssh) = New();
        RemoteStep[] Steps(string id) =>
        [
            S("root", replaceOn: id),
            S("viaInput", identityFrom: ["root"]),
            S("chained", identityFrom: ["viaInput"]),
            S("orderOnly", deps: ["root"]),
        ];
        ex.Apply(Plan(Steps("id=1")), NoSecrets);
        ssh.Calls.Clear();

        ex.Apply(Plan(Steps("id=2")), NoSecrets);

        Assert.Equal(["delete chained v1", "delete viaInput v1", "delete root v1", "create root v1"], ssh.Commands.Take(4));
        Assert.Equal(["create chained v1", "create viaInput v1"], ssh.Commands.Skip(4).Order(StringComparer.Ordinal));
        Assert.True(ssh.Of("create viaInput v1").End < ssh.Of("create chained v1").Start);
        Assert.DoesNotContain(ssh.Commands, c => c.Contains("orderOnly", StringComparison.Ordinal));
    }

    [Fact, Trait("Models", StepGenerator + " calculateDependentReplacements")]
    public void A_dependent_through_dependsOn_only_is_undone_after_the_replaced_step_is_back()
    {
        // Both are replaced (their own triggers changed), but the edge only orders: the engine
        // deletes the dependent when it registers, after the root was deleted and created again.
        var (ex, ssh) = New();
        ex.Apply(Plan(S("root", replaceOn: "id=1"), S("dependent", deps: ["root"], replaceOn: "id=1")), NoSecrets);
        ssh.Calls.Clear();

        ex.Apply(Plan(S("root", replaceOn: "id=2"), S("dependent", deps: ["root"], replaceOn: "id=2")), NoSecrets);

        Assert.Equal(["delete root v1", "create root v1", "delete dependent v1", "create dependent v1"], ssh.Commands);
    }

    [Fact, Trait("Models", StepGenerator + " calculateDependentReplacements (the last snapshot's dependencies)")]
    public void Property_dependencies_count_once_stored_so_a_replacement_in_the_same_run_does_not_see_new_ones()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("root", replaceOn: "id=1"), S("dep", deps: ["root"], replaceOn: "id=1")), NoSecrets);
        ssh.Calls.Clear();

        // The property dependency arrives together with the replacement: the stored graph has none yet.
        ex.Apply(Plan(S("root", replaceOn: "id=2"), S("dep", identityFrom: ["root"], replaceOn: "id=2")), NoSecrets);
        Assert.Equal(["delete root v1", "create root v1", "delete dep v1", "create dep v1"], ssh.Commands);

        // Stored by that run, it counts for the next replacement.
        ssh.Calls.Clear();
        ex.Apply(Plan(S("root", replaceOn: "id=3"), S("dep", identityFrom: ["root"], replaceOn: "id=3")), NoSecrets);
        Assert.Equal(["delete dep v1", "delete root v1", "create root v1", "create dep v1"], ssh.Commands);
    }

    [Fact, Trait("Models", DeploymentExecutor + " performPostSteps; " + CommandController)]
    public void A_step_that_left_the_plan_runs_its_stored_delete_after_every_other_step()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("a"), S("gone", deps: ["a"]), S("b", deps: ["a"])), NoSecrets);
        ssh.Calls.Clear();

        var run = ex.Apply(Plan(S("a"), S("b", deps: ["a"], version: "2")), NoSecrets);

        Assert.Equal(["create b v2", "delete gone v1"], run.Select(r => r.Command));
        Assert.Null(ex.State.Find("gone"));
    }

    [Fact, Trait("Models", CommandController)]
    public void A_step_without_a_delete_leaves_the_state_running_nothing()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("a", delete: false)), NoSecrets);

        Assert.Empty(ex.Destroy());
        Assert.Single(ssh.Calls);
        Assert.True(ex.State.IsEmpty);
    }

    [Fact, Trait("Models", StepGenerator + " ScheduleDeletes; " + DeploymentExecutor)]
    public void Destroy_deletes_with_the_stored_text_dependents_first_in_parallel_antichains()
    {
        var (ex, ssh) = New(parallel: 4);
        ex.Apply(Plan(S("a"), S("b", deps: ["a"]), S("c", identityFrom: ["b"]), S("x")), NoSecrets);
        ssh.Calls.Clear();
        ssh.Delay = _ => TimeSpan.FromMilliseconds(150);

        var run = ex.Destroy();

        Assert.Equal(["delete a v1", "delete b v1", "delete c v1", "delete x v1"], run.Select(r => r.Command).Order(StringComparer.Ordinal));
        Assert.True(ssh.Of("delete c v1").End < ssh.Of("delete b v1").Start);
        Assert.True(ssh.Of("delete b v1").End < ssh.Of("delete a v1").Start);
        // x has no dependent: it goes in the first antichain, with c.
        Assert.True(ssh.Of("delete x v1").Start < ssh.Of("delete c v1").End && ssh.Of("delete c v1").Start < ssh.Of("delete x v1").End);
        Assert.True(ex.State.IsEmpty);
    }

    [Fact, Trait("Models", Step + " DeleteStep.Apply (RetainOnDelete)")]
    public void A_retained_step_is_dropped_from_the_state_without_running_its_delete()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("kept", retain: true), S("other", retain: true), S("plain")), NoSecrets);
        ssh.Calls.Clear();

        ex.Apply(Plan(S("other", retain: true), S("plain")), NoSecrets);
        Assert.Null(ex.State.Find("kept"));
        var run = ex.Destroy();

        Assert.Equal(["delete plain v1"], run.Select(r => r.Command));
        Assert.Equal(["delete plain v1"], ssh.Commands);
        Assert.True(ex.State.IsEmpty);
    }

    [Fact, Trait("Models", StepExecutor + " cancelDueToError; " + CommandController)]
    public void A_failure_stops_its_dependents_lets_running_steps_finish_starts_nothing_new_and_is_reported_at_the_end()
    {
        var (ex, ssh) = New(parallel: 4);
        ssh.Delay = c => c.StartsWith("create slow", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(400) : TimeSpan.Zero;
        ssh.ExitCode = c => c == "create bad v1" ? 1 : 0;
        var plan = Plan(S("slow"), S("bad"), S("afterBad", deps: ["bad"]), S("afterSlow", deps: ["slow"]));

        var e = Assert.Throws<StepFailedException>(() => ex.Apply(plan, NoSecrets));

        Assert.Equal("bad", e.Record.Step);
        Assert.Contains("create slow v1", ssh.Commands);
        Assert.True(ssh.Of("create bad v1").End < ssh.Of("create slow v1").End, "the independent step was already running and finished");
        Assert.DoesNotContain("create afterBad v1", ssh.Commands);
        Assert.DoesNotContain("create afterSlow v1", ssh.Commands);
        Assert.NotNull(ex.State.Find("slow"));
        Assert.Null(ex.State.Find("bad"));

        // A failed create stored nothing: the next apply creates it again, and what waited for it.
        ssh.ExitCode = _ => 0;
        Assert.Equal(["create afterBad v1", "create afterSlow v1", "create bad v1"], ex.Apply(plan, NoSecrets).Select(r => r.Command).Order(StringComparer.Ordinal));
    }

    [Fact, Trait("Models", StepExecutor + " cancelDueToError (--continue-on-error)")]
    public void With_continue_on_error_a_failure_stops_only_its_dependents()
    {
        var (ex, ssh) = New(parallel: 4, continueOnError: true);
        ssh.Delay = c => c.StartsWith("create slow", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(200) : TimeSpan.Zero;
        ssh.ExitCode = c => c == "create bad v1" ? 1 : 0;

        var e = Assert.Throws<StepFailedException>(() =>
            ex.Apply(Plan(S("slow"), S("bad"), S("afterBad", deps: ["bad"]), S("afterAfterBad", identityFrom: ["afterBad"]), S("afterSlow", deps: ["slow"])), NoSecrets));

        Assert.Equal(["bad"], e.Failures.Select(f => f.Step));
        Assert.Equal(["create afterSlow v1", "create bad v1", "create slow v1"], ssh.Commands.Order(StringComparer.Ordinal));
    }

    [Theory, Trait("Models", StepExecutor + "; " + UpCommand)]
    [InlineData(1)]
    [InlineData(3)]
    public void Independent_steps_run_at_the_same_time_up_to_the_parallel_degree(int parallel)
    {
        var (ex, ssh) = New(parallel);
        ssh.Delay = _ => TimeSpan.FromMilliseconds(100);

        ex.Apply(Plan([.. Enumerable.Range(1, 6).Select(i => S($"s{i}"))]), NoSecrets);

        Assert.Equal(parallel, ssh.MaxRunning);
        Assert.Equal(6, ssh.Calls.Count);
    }

    [Fact, Trait("Models", UpCommand + " defaultParallel")]
    public void The_default_degree_is_pulumi_ups_four_per_cpu()
    {
        Assert.Equal(4 * Environment.ProcessorCount, ExecutorOptions.DefaultParallel);
        Assert.Equal(ExecutorOptions.DefaultParallel, new PlanExecutor(new FakeSsh(), new ExecutorState(), TextWriter.Null).Options.Parallel);
    }

    [Fact, Trait("Models", StepExecutor)]
    public void A_step_starts_only_when_every_step_it_depends_on_or_takes_an_input_from_is_done()
    {
        var (ex, ssh) = New(parallel: 8);
        ssh.Delay = c => c.Contains(" slow", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(200) : TimeSpan.Zero;

        ex.Apply(Plan(S("slow"), S("fast"), S("input", identityFrom: ["slow"]), S("both", deps: ["fast", "input"])), NoSecrets);

        Assert.True(ssh.Of("create slow v1").End < ssh.Of("create input v1").Start);
        Assert.True(ssh.Of("create input v1").End < ssh.Of("create both v1").Start);
        Assert.True(ssh.Of("create fast v1").End < ssh.Of("create both v1").Start);
        Assert.True(ssh.Of("create fast v1").Start < ssh.Of("create slow v1").End, "independent steps run side by side");
    }

    [Fact, Trait("Models", CommandController + " (stdin)")]
    public void Secrets_travel_only_on_stdin_and_the_log_holds_only_their_digest()
    {
        var (ex, ssh, log) = NewWithLog();
        const string password = "Pg0123456789abcdefABCDEF";
        var secrets = new Dictionary<PlanSecret, string> { [PlanSecret.PostgresPassword] = password, [PlanSecret.AuthSecret] = "auth-secret-0123456789-abcdefghijklmnop-XYZ" };

        ex.Apply(Plan(S("reader", secrets: [PlanSecret.PostgresPassword]), S("other")), secrets);

        Assert.Equal(password + "\n", ssh.Of("create reader v1").Stdin);
        Assert.Equal("", ssh.Of("create other v1").Stdin);
        Assert.DoesNotContain(ssh.Calls, c => c.Command.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(password, log.ToString(), StringComparison.Ordinal);
        Assert.Contains(StoredStep.Digest(password + "\n"), log.ToString(), StringComparison.Ordinal);
    }

    [Fact, Trait("Models", StepGenerator + " ScheduleDeletes; " + StepExecutor)]
    public void A_failed_delete_keeps_the_step_and_what_it_depends_on_and_the_next_destroy_runs_them()
    {
        var (ex, ssh) = New();
        ex.Apply(Plan(S("a"), S("b", deps: ["a"])), NoSecrets);
        ssh.ExitCode = c => c == "delete b v1" ? 1 : 0;

        var e = Assert.Throws<StepFailedException>(() => ex.Destroy());

        Assert.Equal("b", e.Record.Step);
        Assert.DoesNotContain("delete a v1", ssh.Commands);
        Assert.NotNull(ex.State.Find("a"));
        Assert.NotNull(ex.State.Find("b"));
        ssh.ExitCode = _ => 0;
        Assert.Equal(["delete b v1", "delete a v1"], ex.Destroy().Select(r => r.Command));
    }

    private static readonly Dictionary<PlanSecret, string> NoSecrets = [];

    private static readonly StackSettings Settings = SettingsReader.Read(new Dictionary<string, ConfigValue>
    {
        ["ztnet:host"] = ConfigValue.Plain("192.0.2.10"),
        ["ztnet:domain"] = ConfigValue.Plain("ztnet.test"),
    });

    private static DeploymentPlan Plan(params RemoteStep[] steps) => new(Settings, [.. steps], []);

    private const string CopyController = "pulumi/pulumi-command v1.2.1 provider/pkg/provider/remote/copy.go, copyController.go";

    [Fact, Trait("Models", CopyController)]
    public void A_file_from_the_workstation_is_copied_once_again_only_when_it_changes_and_left_on_destroy()
    {
        var (ex, ssh) = New();
        var file = Path.Combine(Path.GetTempPath(), $"ztnet-upload-{Guid.NewGuid():N}.tar");
        // Long enough that a wrapping encoder would wrap it (with \r\n, which GNU base64 -d refuses).
        File.WriteAllBytes(file, [.. Enumerable.Range(0, 300).Select(i => (byte)i)]);
        try
        {
            var upload = new PlanUpload { Name = "up", Title = "up", LocalPath = file, RemotePath = "/inbox/archive", DependsOn = ["a"] };
            DeploymentPlan WithUpload() => Plan(S("a"), S("b", deps: ["up"])) with { Uploads = [upload] };

            ex.Apply(WithUpload(), NoSecrets);

            // After what it depends on, before what depends on it; the bytes on stdin, not in the command.
            Assert.Equal("create a v1", ssh.Commands[0]);
            Assert.Equal("create b v1", ssh.Commands[2]);
            var copy = ssh.Calls.Single(c => c.Command.Contains("/inbox/archive", StringComparison.Ordinal));
            Assert.Equal(Convert.ToBase64String(File.ReadAllBytes(file)) + "\n", copy.Stdin);
            Assert.DoesNotContain('\r', copy.Stdin);
            Assert.Contains("mkdir -p", copy.Command, StringComparison.Ordinal);
            // Same content and path: nothing; new content: copied again, in place.
            Assert.Empty(ex.Apply(WithUpload(), NoSecrets));
            File.WriteAllBytes(file, [9, 9]);
            var again = Assert.Single(ex.Apply(WithUpload(), NoSecrets));
            Assert.Equal(("up", ScriptKind.Update), (again.Step, again.Kind));
            // No delete of its own: a destroy runs the steps' deletes and nothing for the copy.
            ssh.Calls.Clear();
            ex.Destroy();
            Assert.Equal(["delete b v1", "delete a v1"], ssh.Commands);
            Assert.True(ex.State.IsEmpty);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A made-up step whose commands name it and its version ("create a v1").</summary>
    private static RemoteStep S(string name, string[]? deps = null, string[]? identityFrom = null, string? replaceOn = null,
        bool update = false, bool delete = true, string version = "1", bool retain = false, PlanSecret[]? secrets = null) => new()
    {
        Name = name,
        Title = name,
        RunsAs = StepAccount.Root,
        Create = new StepScript(ScriptKind.Create, "", $"create {name} v{version}"),
        Update = update ? new StepScript(ScriptKind.Update, "", $"update {name} v{version}") : null,
        Delete = delete ? new StepScript(ScriptKind.Delete, "", $"delete {name} v{version}") : null,
        DependsOn = [.. deps ?? []],
        IdentityFrom = [.. identityFrom ?? []],
        ReplaceOn = replaceOn is null ? [] : [replaceOn],
        RetainOnDelete = retain,
        SecretStdin = [.. secrets ?? []],
    };

    private static (PlanExecutor, FakeSsh) New(int parallel = 1, bool continueOnError = false)
    {
        var ssh = new FakeSsh();
        return (new PlanExecutor(ssh, new ExecutorState(), TextWriter.Null, new ExecutorOptions { Parallel = parallel, ContinueOnError = continueOnError }), ssh);
    }

    private static (PlanExecutor, FakeSsh, StringWriter) NewWithLog()
    {
        var ssh = new FakeSsh();
        var log = new StringWriter();
        return (new PlanExecutor(ssh, new ExecutorState(), log, new ExecutorOptions { Parallel = 1 }), ssh, log);
    }
}

/// <summary>
/// An SSH runner that runs nothing: it records each command with logical start and end ticks (a
/// command ends before another starts when its End is smaller), and how many ran at once.
/// </summary>
internal sealed class FakeSsh : ISshRunner
{
    public sealed record Call(string Command, string Stdin, int Start, int End);

    private readonly Lock _lock = new();
    private int _clock;
    private int _running;

    public List<Call> Calls { get; } = [];

    public int MaxRunning { get; private set; }

    public Func<string, int> ExitCode { get; set; } = _ => 0;

    public Func<string, TimeSpan> Delay { get; set; } = _ => TimeSpan.Zero;

    public string Target => "fake@host:22";

    /// <summary>The commands in the order they finished.</summary>
    public IReadOnlyList<string> Commands
    {
        get { lock (_lock) return Calls.OrderBy(c => c.End).Select(c => c.Command).ToList(); }
    }

    public Call Of(string command)
    {
        lock (_lock) return Calls.Single(c => c.Command == command);
    }

    public SshResult Run(string command, string stdin, TimeSpan timeout)
    {
        int start;
        lock (_lock)
        {
            start = ++_clock;
            MaxRunning = Math.Max(MaxRunning, ++_running);
        }
        Thread.Sleep(Delay(command));
        lock (_lock)
        {
            _running--;
            Calls.Add(new Call(command, stdin, start, ++_clock));
        }
        return new SshResult(ExitCode(command), "out\n", "", TimeSpan.Zero);
    }
}
