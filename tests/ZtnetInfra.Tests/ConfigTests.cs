using Pulumi;
using Pulumi.Random;
using Xunit;
using ZtnetInfra.Tests.Harness;

namespace ZtnetInfra.Tests;

/// <summary>How the stack's config becomes the deployment, and how bad config is refused.</summary>
public class ConfigTests
{
    private const string UserPostgresPassword = "UserSetPostgresPw0123456789zq9X";
    private const string UserAuthSecret = "UserSetAuthSecret-zq9X-0123456789-abcdefghij";

    [Theory]
    [InlineData("ztnet:postgresPassword", UserPostgresPassword, ZtnetStack.PostgresPasswordName, ZtnetStack.AuthSecretName, 0)]
    [InlineData("ztnet:authSecret", UserAuthSecret, ZtnetStack.AuthSecretName, ZtnetStack.PostgresPasswordName, 1)]
    public async Task A_user_set_secret_is_used_and_none_is_generated_for_it(string key, string value, string notGenerated, string generated, int stdinLine)
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal.WithSecret(key, value));

        var randoms = run.Registered.Where(r => r.Type == EngineMocks.RandomPasswordType).Select(r => r.Name).ToList();
        Assert.Equal([generated], randoms);
        Assert.DoesNotContain(run.Resources.OfType<RandomPassword>(), r => r.GetResourceName() == notGenerated);

        var stdin = (string)run.RegisteredCommand("podman-secrets").Inputs["stdin"];
        Assert.Equal(value, stdin.Split('\n')[stdinLine]);
        var other = EngineMocks.Generated(generated, generated == ZtnetStack.PostgresPasswordName ? ZtnetStack.GeneratedPasswordLength : ZtnetStack.GeneratedAuthSecretLength);
        Assert.Equal(other, stdin.Split('\n')[1 - stdinLine]);
    }

    [Fact]
    public async Task Invalid_config_fails_before_any_resource_naming_every_problem_and_no_secret()
    {
        var config = TestConfig.Minimal
            .Without("ztnet:host")                                   // required
            .With("ztnet:sshPrt", "2222")                             // a typo
            .With("ztnet:sshPort", "70000")                           // out of range
            .WithSecret("ztnet:domain", "ztnet.example.org")          // encrypted, but not a secret
            .With("ztnet:postgresPassword", "PlainTextPassword0123")  // a secret in plain text
            .WithSecret("ztnet:authSecret", "TooShortSecretZq9");     // a user secret that breaks its rule

        var (error, registered, _) = await ProgramRun.FailAsync(config);

        var run = Assert.IsType<RunException>(error);
        foreach (var key in new[] { "ztnet:host", "ztnet:sshPrt", "ztnet:sshPort", "ztnet:domain", "ztnet:postgresPassword", "ztnet:authSecret" })
            Assert.Contains(key + ":", run.Message);
        Assert.Contains("did you mean ztnet:sshPort", run.Message);
        Assert.DoesNotContain("PlainTextPassword0123", run.Message);
        Assert.DoesNotContain("TooShortSecretZq9", run.Message);
        Assert.DoesNotContain(" at ZtnetInfra", run.Message);
        Assert.Empty(registered);
    }

    [Fact]
    public async Task A_database_password_the_database_url_cannot_carry_is_refused()
    {
        var (error, registered, _) = await ProgramRun.FailAsync(TestConfig.Minimal.WithSecret("ztnet:postgresPassword", "has@colon:and/slash0123456789"));

        Assert.Contains("ztnet:postgresPassword: must be at least 16 letters and digits", Assert.IsType<RunException>(error).Message);
        Assert.Empty(registered);
    }

    [Fact]
    public async Task An_absent_host_key_is_warned_about_and_the_connection_pins_none()
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal.Without("ztnet:sshHostKey"));

        Assert.Contains(WarningLines(run.Log), l => l.Contains("ztnet:sshHostKey is not set: the SSH host key of 203.0.113.10 is not checked", StringComparison.Ordinal));
        foreach (var command in run.RegisteredCommands)
            Assert.False(Values.Map(command.Inputs["connection"]).ContainsKey("hostKey"));
    }

    [Fact]
    public async Task A_pinned_host_key_is_in_every_connection_and_nothing_is_warned()
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal);

        Assert.Empty(WarningLines(run.Log));
        foreach (var command in run.RegisteredCommands)
            Assert.Equal(TestConfig.HostKey, Values.Map(command.Inputs["connection"])["hostKey"]);
    }

    [Fact]
    public async Task Without_a_private_key_the_provider_uses_the_ssh_agent()
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal.With("ztnet:sshUser", "admin").With("ztnet:sshPort", "2222"));

        foreach (var command in run.RegisteredCommands)
        {
            var connection = Values.Map(command.Inputs["connection"]);
            Assert.Equal("203.0.113.10", connection["host"]);
            Assert.Equal(2222.0, connection["port"]);
            Assert.Equal("admin", connection["user"]);
            // No key: the provider signs with the agent at its own SSH_AUTH_SOCK. A socket path in
            // the inputs would differ per login and show every step as changed.
            Assert.False(connection.ContainsKey("privateKey"));
            Assert.False(connection.ContainsKey("agentSocketPath"));
            Assert.False(connection.ContainsKey("proxy"));
        }
    }

    [Fact]
    public async Task Without_a_private_key_or_an_agent_the_run_warns_that_the_login_will_fail()
    {
        var withoutAgent = await ProgramRun.RunAsync(TestConfig.Minimal with { SshAgentSocket = null });
        var withKey = await ProgramRun.RunAsync(TestConfig.Minimal.WithSecret("ztnet:sshPrivateKey", "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n") with { SshAgentSocket = null });

        Assert.Contains(WarningLines(withoutAgent.Log), l => l.Contains("no SSH agent is running (SSH_AUTH_SOCK is empty): the SSH login will fail", StringComparison.Ordinal));
        Assert.Empty(WarningLines(withKey.Log));
    }

    [Fact]
    public async Task A_bastion_becomes_the_connection_proxy_with_the_same_login_key()
    {
        const string key = "-----BEGIN OPENSSH PRIVATE KEY-----\nBastionTestKey\n-----END OPENSSH PRIVATE KEY-----\n";
        var config = TestConfig.Minimal
            .With("ztnet:bastionHost", "bastion.example.org")
            .With("ztnet:bastionPort", "2200")
            .With("ztnet:bastionUser", "jump")
            .WithSecret("ztnet:sshPrivateKey", key);
        var run = await ProgramRun.RunAsync(config);

        foreach (var command in run.RegisteredCommands)
        {
            var proxy = Values.Map(Values.Map(command.Inputs["connection"])["proxy"]);
            Assert.Equal("bastion.example.org", proxy["host"]);
            Assert.Equal(2200.0, proxy["port"]);
            Assert.Equal("jump", proxy["user"]);
            Assert.Equal(key, proxy["privateKey"]);
        }
        Assert.Contains(WarningLines(run.Log), l => l.Contains("jump host bastion.example.org is not checked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pinned_bastion_host_key_is_checked_and_silences_its_warning()
    {
        const string hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo";
        var config = TestConfig.Minimal
            .With("ztnet:bastionHost", "bastion.example.org")
            .With("ztnet:bastionHostKey", hostKey);
        var run = await ProgramRun.RunAsync(config);

        Assert.All(run.RegisteredCommands, command => Assert.Equal(hostKey, Values.Map(Values.Map(command.Inputs["connection"])["proxy"])["hostKey"]));
        Assert.DoesNotContain(WarningLines(run.Log), l => l.Contains("jump host", StringComparison.Ordinal));
    }

    /// <summary>Warnings as the SDK's logger printed them (Log.Warn goes to it and to the engine).</summary>
    private static IEnumerable<string> WarningLines(string log) =>
        log.Split('\n').Where(l => l.Contains(" WRN] ", StringComparison.Ordinal));
}
