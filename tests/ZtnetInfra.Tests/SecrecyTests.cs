using Pulumi;
using Pulumi.Random;
using Xunit;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Tests.Harness;
using Remote = Pulumi.Command.Remote;

namespace ZtnetInfra.Tests;

/// <summary>Secrets reach the host on stdin only, and Pulumi stores and shows them as secrets.</summary>
public class SecrecyTests
{
    private const string UserAuthSecret = "UserSetAuthSecret-zq9X-0123456789-abcdefghij";
    private const string UserSshKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nUserSetSshKeyZq9Xb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----\n";

    /// <summary>A stack with a user-set auth secret and SSH key; the database password is generated.</summary>
    private static TestConfig Config => TestConfig.Minimal
        .WithSecret("ztnet:authSecret", UserAuthSecret)
        .WithSecret("ztnet:sshPrivateKey", UserSshKey);

    private static string GeneratedPostgresPassword => EngineMocks.Generated(ZtnetStack.PostgresPasswordName, ZtnetStack.GeneratedPasswordLength);

    [Fact]
    public async Task Connection_and_stdin_are_sent_as_secrets_and_stored_as_secret_outputs()
    {
        var plan = Config.Plan();
        var run = await ProgramRun.RunAsync(Config);

        foreach (var step in plan.Steps)
        {
            var built = run.BuiltCommand(step.Name);
            var args = (Remote.CommandArgs)built.Args;
            Assert.True(await Values.IsSecret(args.Connection!), $"{step.Name}: the connection is not a secret input");
            Assert.Contains("connection", ((CustomResourceOptions)built.Options).AdditionalSecretOutputs);
            if (step.SecretStdin.IsEmpty)
            {
                Assert.Null(args.Stdin);
                continue;
            }
            Assert.True(await Values.IsSecret(args.Stdin!), $"{step.Name}: stdin is not a secret input");
            Assert.Contains("stdin", ((CustomResourceOptions)built.Options).AdditionalSecretOutputs);
        }
        Assert.Contains(plan.Steps, s => !s.SecretStdin.IsEmpty);
    }

    [Fact]
    public async Task Generated_secrets_are_random_passwords_whose_result_is_a_secret_output()
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal);

        var passwords = run.Built.Where(b => b.Resource is RandomPassword).ToList();
        Assert.Equal(2, passwords.Count);
        foreach (var p in passwords)
            Assert.Contains("result", ((CustomResourceOptions)p.Options).AdditionalSecretOutputs);
    }

    [Fact]
    public async Task Generated_database_password_is_letters_and_digits_and_long_enough()
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal);

        var pg = run.Registered.Single(r => r.Type == EngineMocks.RandomPasswordType && r.Name == ZtnetStack.PostgresPasswordName).Inputs;
        Assert.True(Convert.ToDouble(pg["length"]) >= 32);
        Assert.Equal(false, pg["special"]);
        Assert.False(pg.ContainsKey("overrideSpecial"));
        var auth = run.Registered.Single(r => r.Type == EngineMocks.RandomPasswordType && r.Name == ZtnetStack.AuthSecretName).Inputs;
        Assert.True(Convert.ToDouble(auth["length"]) >= SecretRules.MinimumAuthSecretLength);
    }

    [Fact]
    public async Task No_secret_value_appears_in_any_input_but_stdin_and_the_connection_key()
    {
        var run = await ProgramRun.RunAsync(Config);
        string[] secrets = [UserAuthSecret, UserSshKey, GeneratedPostgresPassword];

        foreach (var command in run.RegisteredCommands)
        {
            foreach (var (name, value) in command.Inputs.Where(kv => kv.Key is not "stdin" and not "connection"))
            foreach (var text in Values.Strings(value))
                Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.Ordinal));

            var connection = Values.Map(command.Inputs["connection"]);
            Assert.Equal(UserSshKey, connection["privateKey"]);
            foreach (var (name, value) in connection.Where(kv => kv.Key != "privateKey"))
            foreach (var text in Values.Strings(value))
                Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.Ordinal));
        }

        var component = run.Registered.Single(r => r.Type == ZtnetStack.TypeToken);
        Assert.DoesNotContain(Values.Strings(component.Inputs), t => secrets.Any(s => t.Contains(s, StringComparison.Ordinal)));
        var outputs = new[] { await Values.Of(run.Program.Url), await Values.Of(run.Program.Host), await Values.Of(run.Program.ServiceUser) }
            .Concat(await Values.Of(run.Program.UnitNames));
        Assert.DoesNotContain(outputs, t => secrets.Any(s => t.Contains(s, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Secrets_reach_exactly_the_steps_that_read_them_on_stdin()
    {
        var plan = Config.Plan();
        var run = await ProgramRun.RunAsync(Config);
        var values = new Dictionary<PlanSecret, string>
        {
            [PlanSecret.PostgresPassword] = GeneratedPostgresPassword,
            [PlanSecret.AuthSecret] = UserAuthSecret,
        };

        foreach (var step in plan.Steps)
        {
            var inputs = run.RegisteredCommand(step.Name).Inputs;
            if (step.SecretStdin.IsEmpty)
                Assert.False(inputs.ContainsKey("stdin"), $"{step.Name} gets stdin but reads no secret");
            else
                Assert.Equal(DeploymentPlan.ComposeStdin(step, values), inputs["stdin"]);
        }
        Assert.Equal(GeneratedPostgresPassword + "\n" + UserAuthSecret + "\n", run.RegisteredCommand("podman-secrets").Inputs["stdin"]);
    }
}
