using Pulumi;
using Xunit;
using ZtnetInfra.Tests.Harness;

namespace ZtnetInfra.Tests;

/// <summary>
/// Config reaches the program through Pulumi's config API only, as in an Automation API inline
/// program; and host keys the provider could not use are refused before anything is registered.
/// </summary>
public class ConfigApiTests
{
    private const string UserPostgresPassword = "ApiOnlyPostgresPw0123456789zq9X";

    [Fact]
    public async Task The_program_runs_with_config_given_through_the_pulumi_config_api_only()
    {
        var config = TestConfig.Minimal
            .With("ztnet:sshPort", "2222")
            .With("ztnet:serviceUser", "ztapi")
            .With("ztnet:autoUpdate", "false")
            .WithSecret("ztnet:postgresPassword", UserPostgresPassword);
        var plan = config.Plan();

        var run = await ProgramRun.RunAsync<ApiOnlyProgram>(config);

        // Had the program read PULUMI_CONFIG itself it would have found no host and no domain.
        Assert.True(ApiOnlyProgram.HidVariables);
        Assert.Equal(plan.Steps.Select(s => s.Name), run.RegisteredCommands.Select(c => c.Name!));
        foreach (var step in plan.Steps)
        {
            var inputs = run.RegisteredCommand(step.Name).Inputs;
            Assert.Equal(step.Create.Command, inputs["create"]);
            Assert.Equal(2222.0, Values.Map(inputs["connection"])["port"]);
        }
        Assert.Equal("ztapi", await Values.Of(run.Program.ServiceUser));
        // The user's secret came through the API (as a secret output) and no password was generated for it.
        Assert.Equal(UserPostgresPassword, ((string)run.RegisteredCommand("podman-secrets").Inputs["stdin"]).Split('\n')[0]);
        Assert.DoesNotContain(run.Registered, r => r.Type == EngineMocks.RandomPasswordType && r.Name == ZtnetStack.PostgresPasswordName);
    }

    [Fact]
    public async Task Through_the_config_api_only_bad_values_are_still_refused_before_any_resource()
    {
        var config = TestConfig.Minimal.With("ztnet:sshPort", "70000").With("ztnet:sshHostKey", HostKeys.Rsa);

        var (error, registered, _) = await ProgramRun.FailAsync<ApiOnlyProgram>(config);

        var message = Assert.IsType<RunException>(error).Message;
        Assert.Contains("ztnet:sshPort:", message);
        Assert.Contains("ztnet:sshHostKey: is an ssh-rsa key", message);
        Assert.Empty(registered);
    }

    [Theory]
    [InlineData("ztnet:sshHostKey", "ssh-ed25519 AAAAC", "not valid base64")]
    [InlineData("ztnet:sshHostKey", "ssh-ed25519 " + HostKeys.EcdsaBlob, "the line says ssh-ed25519 but the key itself is ecdsa-sha2-nistp256")]
    [InlineData("ztnet:sshHostKey", HostKeys.Rsa, "OpenSSH 8.8 and later refuse")]
    [InlineData("ztnet:bastionHostKey", "ssh-ed25519 AAAAC", "not valid base64")]
    [InlineData("ztnet:bastionHostKey", "ssh-ed25519 " + HostKeys.EcdsaBlob, "the line says ssh-ed25519 but the key itself is ecdsa-sha2-nistp256")]
    [InlineData("ztnet:bastionHostKey", HostKeys.Rsa, "OpenSSH 8.8 and later refuse")]
    public async Task A_host_key_the_provider_cannot_use_fails_before_any_resource_is_registered(string key, string value, string problem)
    {
        var config = TestConfig.Minimal.With("ztnet:bastionHost", "bastion.example.org").With(key, value);

        var (error, registered, _) = await ProgramRun.FailAsync(config);

        var message = Assert.IsType<RunException>(error).Message;
        Assert.Contains($"{key}: ", message);
        Assert.Contains(problem, message);
        Assert.Empty(registered);
    }

    [Fact]
    public async Task An_ecdsa_host_key_is_pinned_in_every_connection()
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal.With("ztnet:sshHostKey", HostKeys.Ecdsa));

        foreach (var command in run.RegisteredCommands)
            Assert.Equal(HostKeys.Ecdsa, Values.Map(command.Inputs["connection"])["hostKey"]);
    }
}

/// <summary>Real public host key lines (made with ssh-keygen for these tests).</summary>
internal static class HostKeys
{
    public const string EcdsaBlob = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBApIAzqaxEVcYIU03Y6nX007bY+rmC+324YouWpzUIN5EjgNV9VzNE+ayJJ5cXNjwjxPnlYnrRXXYLuQXxYrw6Y=";
    public const string Ecdsa = "ecdsa-sha2-nistp256 " + EcdsaBlob;
    public const string Rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDFr2K2D/YcM81mvwyoaxRiEKo1K+6RpygHgB3iJGpahWb/PB2DoahXESGnk+1JF/fWXPLYZO4u+LFKxLUVl+b1jyQE3N45//w5Svb8Ed1OlYBndg58K2+tmaaM9wOHHsFXg4xGe8YV9X9CrTEFy3COzTVHCc0w44CWhk+6dHwfBw==";
}
