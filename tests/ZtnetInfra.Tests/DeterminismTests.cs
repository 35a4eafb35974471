using Xunit;
using ZtnetInfra.Tests.Harness;

namespace ZtnetInfra.Tests;

/// <summary>A second `pulumi up` with the same config must change nothing: same resources, same inputs.</summary>
public class DeterminismTests
{
    [Theory]
    [MemberData(nameof(Configs))]
    public async Task Two_runs_with_the_same_config_register_identical_inputs(string label, TestConfig config)
    {
        var first = await ProgramRun.RunAsync(config);
        var second = await ProgramRun.RunAsync(config);

        Assert.False(string.IsNullOrEmpty(label));
        Assert.Equal(Snapshot(first), Snapshot(second));
        Assert.Equal(first.Registered.Count, Snapshot(first).Count);
    }

    public static TheoryData<string, TestConfig> Configs => new()
    {
        { "minimal, generated secrets", TestConfig.Minimal },
        { "user secrets, bastion, no host key", TestConfig.Minimal
            .Without("ztnet:sshHostKey")
            .With("ztnet:bastionHost", "bastion.example.org")
            .WithSecret("ztnet:postgresPassword", "UserSetPostgresPw0123456789zq9X")
            .WithSecret("ztnet:authSecret", "UserSetAuthSecret-zq9X-0123456789-abcdefghij")
            .WithSecret("ztnet:sshPrivateKey", "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n") },
    };

    private static SortedDictionary<string, string> Snapshot(ProgramRun run) =>
        new(run.Registered.ToDictionary(r => $"{r.Type}::{r.Name}", r => Values.Canonical(r.Inputs)), StringComparer.Ordinal);
}
