using Pulumi;
using Pulumi.Random;
using Xunit;
using ZtnetInfra.Tests.Harness;
using Remote = Pulumi.Command.Remote;

namespace ZtnetInfra.Tests;

/// <summary>What `pulumi preview` lists: one component holding one command per plan step and the generated secrets.</summary>
public class ResourceTreeTests
{
    [Fact]
    public async Task One_component_parents_a_command_per_plan_step_and_both_generated_secrets()
    {
        var config = TestConfig.Minimal;
        var plan = config.Plan();
        var run = await ProgramRun.RunAsync(config);

        var component = Assert.Single(run.Resources.OfType<ZtnetStack>());
        Assert.Single(run.Registered, r => r.Type == ZtnetStack.TypeToken);

        var commands = run.Built.Where(b => b.Resource is Remote.Command).ToList();
        Assert.Equal(plan.Steps.Select(s => s.Name).Order(), commands.Select(c => c.Resource.GetResourceName()).Order());
        Assert.Equal(plan.Steps.Length, run.RegisteredCommands.Count());

        var passwords = run.Built.Where(b => b.Resource is RandomPassword).ToList();
        Assert.Equal([ZtnetStack.AuthSecretName, ZtnetStack.PostgresPasswordName], passwords.Select(p => p.Resource.GetResourceName()).Order());

        foreach (var child in commands.Concat(passwords))
            Assert.Same(component, child.Options.Parent);
        Assert.Equal(commands.Count + passwords.Count + 1, run.Registered.Count);
    }

    [Fact]
    public async Task Each_command_runs_exactly_the_plan_scripts_and_logs_nothing_for_secret_steps()
    {
        var config = TestConfig.Minimal;
        var plan = config.Plan();
        var run = await ProgramRun.RunAsync(config);

        foreach (var step in plan.Steps)
        {
            var inputs = run.RegisteredCommand(step.Name).Inputs;
            Assert.Equal(step.Create.Command, inputs["create"]);
            Assert.Equal(step.Update?.Command, inputs.GetValueOrDefault("update"));
            Assert.Equal(step.Delete?.Command, inputs.GetValueOrDefault("delete"));
            Assert.Equal(step.Quiet ? "none" : "stdoutAndStderr", inputs["logging"]);
            // Previous output would go through SSH setenv, which sshd refuses without AcceptEnv.
            Assert.Equal(false, inputs["addPreviousOutputInEnv"]);
            // A trigger change replaces (Delete, then Create): only identity (the service user) may
            // trigger; content changes must update in place.
            // (ReplacementTests: the values that come from the service-user command's output, which the mock tags.)
            Assert.Equal(step.ReplaceOn, Values.Strings(inputs.GetValueOrDefault("triggers")).Where(v => !v.StartsWith("output-of:", StringComparison.Ordinal)));
            // Every replacement deletes first, a targeted `pulumi up --replace` too (the fix `ztnet-infra status` prints).
            Assert.True(((CustomResourceOptions)run.BuiltCommand(step.Name).Options).DeleteBeforeReplace ?? false, step.Name);
            Assert.Empty(Values.Strings(inputs.GetValueOrDefault("environment")));
        }
        Assert.Contains(plan.Steps, s => s.Quiet);
        Assert.Contains(plan.Steps, s => s.Update is not null);
        Assert.Contains(plan.Steps, s => s.ReplaceOn.IsEmpty);
        Assert.Contains(plan.Steps, s => !s.ReplaceOn.IsEmpty);
    }

    [Fact]
    public async Task Each_command_depends_on_exactly_the_steps_the_plan_names()
    {
        var config = TestConfig.Minimal;
        var plan = config.Plan();
        var run = await ProgramRun.RunAsync(config);

        foreach (var step in plan.Steps)
        {
            var dependsOn = await Values.Of(run.BuiltCommand(step.Name).Options.DependsOn);
            Assert.All(dependsOn, d => Assert.IsType<Remote.Command>(d));
            Assert.Equal(step.DependsOn.Order(), dependsOn.Select(d => d.GetResourceName()).Order());
        }
        Assert.Contains(plan.Steps, s => s.DependsOn.Length > 1);
    }

    [Theory]
    [InlineData("ztnet:restoreFrom", "host:/root/backup.tar")]
    [InlineData("ztnet:httpPort", "8080")]
    public async Task Settings_that_change_the_plan_change_the_resources_with_it(string key, string value)
    {
        var config = TestConfig.Minimal.With(key, value).With("ztnet:tlsMode", "internal").With("ztnet:httpsPort", "8443");
        var plan = config.Plan();
        Assert.NotEqual(TestConfig.Minimal.Plan().Steps.Select(s => s.Name), plan.Steps.Select(s => s.Name));
        var run = await ProgramRun.RunAsync(config);

        Assert.Equal(plan.Steps.Select(s => s.Name).Order(), run.RegisteredCommands.Select(c => c.Name!).Order());
        foreach (var step in plan.Steps)
            Assert.Equal(step.DependsOn.Order(), (await Values.Of(run.BuiltCommand(step.Name).Options.DependsOn)).Select(d => d.GetResourceName()).Order());
    }

    [Fact]
    public async Task Stack_outputs_are_the_url_host_service_user_and_unit_names()
    {
        var config = TestConfig.Minimal.With("ztnet:serviceUser", "ztsvc").With("ztnet:httpsPort", "8443").With("ztnet:tlsMode", "internal");
        var plan = config.Plan();
        var run = await ProgramRun.RunAsync(config);

        Assert.Equal("https://ztnet.example.org:8443", await Values.Of(run.Program.Url));
        Assert.Equal(plan.Url, await Values.Of(run.Program.Url));
        Assert.Equal("203.0.113.10", await Values.Of(run.Program.Host));
        Assert.Equal("ztsvc", await Values.Of(run.Program.ServiceUser));
        Assert.Equal(plan.UnitNames, await Values.Of(run.Program.UnitNames));
    }
}
