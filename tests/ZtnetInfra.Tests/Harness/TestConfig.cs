using System.Collections.Immutable;
using System.Text.Json;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Tests.Harness;

/// <summary>A stack's config as `pulumi config set [--secret]` leaves it, for the program and for the core.</summary>
public sealed record TestConfig(ImmutableSortedDictionary<string, string> Values, ImmutableSortedSet<string> SecretKeys)
{
    /// <summary>The workstation's SSH agent (SSH_AUTH_SOCK) during the run; null: none.</summary>
    public string? SshAgentSocket { get; init; } = "/run/user/1000/test-ssh-agent.socket";

    public const string HostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo";

    /// <summary>A valid stack with a pinned host key and the SSH agent.</summary>
    public static TestConfig Minimal { get; } = new TestConfig(ImmutableSortedDictionary<string, string>.Empty, [])
        .With("ztnet:host", "203.0.113.10")
        .With("ztnet:domain", "ztnet.example.org")
        .With("ztnet:sshHostKey", HostKey);

    public TestConfig With(string key, string value) => this with { Values = Values.SetItem(key, value), SecretKeys = SecretKeys.Remove(key) };

    public TestConfig WithSecret(string key, string value) => this with { Values = Values.SetItem(key, value), SecretKeys = SecretKeys.Add(key) };

    public TestConfig Without(string key) => this with { Values = Values.Remove(key), SecretKeys = SecretKeys.Remove(key) };

    public string ConfigJson => JsonSerializer.Serialize(Values);

    public string SecretKeysJson => JsonSerializer.Serialize(SecretKeys);

    /// <summary>The same config as the core's render command would read it from the stack file.</summary>
    public IReadOnlyDictionary<string, ConfigValue> ForCore() =>
        Values.ToDictionary(kv => kv.Key, kv => SecretKeys.Contains(kv.Key) ? ConfigValue.Secure() : ConfigValue.Plain(kv.Value));

    /// <summary>The plan the core makes of this config: what the program must map, step for step.</summary>
    public DeploymentPlan Plan() => Planner.Build(SettingsReader.Read(ForCore()));
}
