using Pulumi;
using Xunit;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Tests.Harness;

namespace ZtnetInfra.Tests;

/// <summary>
/// A `ztnet:serviceUser` change replaces the service-user step with delete-before-replace. The
/// engine then deletes first only the dependents whose input properties depend on it
/// (pulumi/pulumi pkg/resource/deploy/step_generator.go, calculateDependentReplacements);
/// `dependsOn` only orders. So every step undone inside the user manager must take an output of
/// the service-user command as an input: its Triggers output, which changes only on replacement.
/// </summary>
public class ReplacementTests
{
    /// <summary>What must be undone while the old user's manager still runs: its pod, units, secrets, socket.</summary>
    private static readonly string[] UndoneInsideTheUserManager =
        ["podman-secrets", "podman-socket", "images", "unit-ztnet-pod", "unit-postgres", "unit-zerotier", "unit-ztnet", "unit-caddy", "enable-units", "database-password"];

    [Fact]
    public async Task Every_step_undone_inside_the_user_manager_has_a_property_dependency_on_the_service_user_command()
    {
        var config = TestConfig.Minimal;
        var plan = config.Plan();
        var run = await ProgramRun.RunAsync(config);

        var serviceUserOutput = Values.Strings(run.RegisteredCommand("service-user").Inputs["triggers"])
            .Append(EngineMocks.OutputTag("service-user")).ToList();
        foreach (var name in UndoneInsideTheUserManager)
        {
            Assert.NotNull(plan.Step(name).Delete);
            // The value is the service-user command's own output (the mock tags it), not a copy of its text.
            Assert.Equal(serviceUserOutput, Values.Strings(run.RegisteredCommand(name).Inputs["triggers"]));
            Assert.True(((CustomResourceOptions)run.BuiltCommand(name).Options).DeleteBeforeReplace);
        }
    }

    [Fact]
    public async Task A_stack_deployed_before_sees_the_same_triggers_text_so_the_upgrade_replaces_nothing()
    {
        // The provider echoes triggers unchanged; without the mock's tag the value is the literal of before.
        var config = TestConfig.Minimal.With("ztnet:serviceUser", "ztold");
        var plan = config.Plan();
        var run = await ProgramRun.RunAsync(config);

        foreach (var step in plan.Steps)
        {
            var text = Values.Strings(run.RegisteredCommand(step.Name).Inputs.GetValueOrDefault("triggers"))
                .Where(v => !v.StartsWith("output-of:", StringComparison.Ordinal));
            Assert.Equal(step.ReplaceOn, text);
        }
        Assert.Equal(["serviceUser=ztold"], plan.Step("unit-caddy").ReplaceOn.ToArray());
    }

    [Fact]
    public async Task Only_the_steps_of_the_service_user_take_its_output_and_nothing_takes_any_other_output()
    {
        var config = TestConfig.Minimal;
        var plan = config.Plan();
        var run = await ProgramRun.RunAsync(config);

        foreach (var step in plan.Steps)
        {
            var tags = Values.Strings(run.RegisteredCommand(step.Name).Inputs.GetValueOrDefault("triggers"))
                .Where(s => s.StartsWith("output-of:", StringComparison.Ordinal)).ToList();
            Assert.Equal(Chain(plan, step), tags);
            // The service user's steps take the linger step's output; the linger step takes the account's.
            Assert.Equal(step.RunsAs == StepAccount.ServiceUser || step.Name == "service-user", tags.Count > 0);
        }
        // Content still updates in place: the triggers hold only identity (the literal values and that output).
        foreach (var step in plan.Steps)
            Assert.Equal(step.ReplaceOn.Concat(Chain(plan, step)),
                Values.Strings(run.RegisteredCommand(step.Name).Inputs.GetValueOrDefault("triggers")));
        Assert.Empty(plan.Step("data-dirs").IdentityFrom);
    }

    /// <summary>
    /// The output tags a step's triggers carry: those of each step it takes identity from, then that
    /// step's own (the mock appends a tag to every command's triggers output, so they chain).
    /// </summary>
    private static List<string> Chain(ZtnetInfra.Core.Plan.DeploymentPlan plan, ZtnetInfra.Core.Plan.RemoteStep step) =>
        step.IdentityFrom.SelectMany(source => Chain(plan, plan.Step(source)).Append(EngineMocks.OutputTag(source))).ToList();
}
