using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Plan;

/// <summary>The SSH connection as the Pulumi program builds it (infra/ZtnetInfra/SshConnection.cs): one input of every step.</summary>
public sealed record ConnectionInputs(
    string Host, int Port, string User, string? HostKey, string? PrivateKey,
    string? ProxyHost, int? ProxyPort, string? ProxyUser, string? ProxyHostKey, string? ProxyPrivateKey);

/// <summary>
/// Everything the Pulumi program gives one step's remote Command (infra/ZtnetInfra/ZtnetStack.cs):
/// create, update and delete text, stdin, the connection, triggers and logging; for an upload's
/// CopyToRemote, its file, remote path and connection. The engine
/// diffs these inputs: a step runs again when any of them changes (pulumi-command v1.2.1
/// provider/pkg/provider/remote: Update on a changed input, replace on changed Triggers).
/// Secret values stand for themselves by an opaque token, never the value.
/// </summary>
public sealed record StepInputs(
    string Create, string? Update, string? Delete, string Stdin, ConnectionInputs Connection, string Triggers, bool Quiet)
{
    /// <summary>The setting a stdin secret comes from: what a user sets and reads in plan.md.</summary>
    public static SettingKey KeyOf(PlanSecret secret) => secret switch
    {
        PlanSecret.PostgresPassword => SettingKeys.PostgresPassword,
        PlanSecret.AuthSecret => SettingKeys.AuthSecret,
        PlanSecret.ResticPassword => SettingKeys.BackupRepositoryPassword,
        PlanSecret.ResticEnvironment => SettingKeys.BackupRepositoryEnvironment,
        _ => throw new ArgumentOutOfRangeException(nameof(secret)),
    };

    /// <summary>Tokens for the stack's secrets as they stand: "set" when the stack sets one, "generated" (or none, for the SSH key) otherwise.</summary>
    public static Dictionary<SettingKey, string?> SecretTokens(StackSettings s) => new()
    {
        [SettingKeys.PostgresPassword] = s.PostgresPasswordSet ? "set" : "generated",
        [SettingKeys.AuthSecret] = s.AuthSecretSet ? "set" : "generated",
        [SettingKeys.SshPrivateKey] = s.SshPrivateKeySet ? "set" : null,
        [SettingKeys.BackupRepositoryPassword] = s.BackupRepositoryPasswordSet ? "set" : null,
        [SettingKeys.BackupRepositoryEnvironment] = s.BackupRepositoryEnvironmentSet ? "set" : null,
    };

    public static IReadOnlyDictionary<string, StepInputs> Of(DeploymentPlan plan, IReadOnlyDictionary<SettingKey, string?> secrets)
    {
        var s = plan.Settings;
        var key = secrets[SettingKeys.SshPrivateKey];
        var connection = new ConnectionInputs(s.Host, s.SshPort, s.SshUser, s.SshHostKey, key,
            s.BastionHost, s.BastionHost is null ? null : s.BastionPort, s.BastionHost is null ? null : s.BastionUser ?? s.SshUser,
            s.BastionHost is null ? null : s.BastionHostKey, s.BastionHost is null ? null : key);
        var inputs = plan.Steps.ToDictionary(step => step.Name, step => new StepInputs(
            step.Create.Command, step.Update?.Command, step.Delete?.Command,
            string.Join('\n', step.SecretStdin.Select(x => $"{KeyOf(x).FullKey}={secrets[KeyOf(x)]}")),
            connection, string.Join('\n', step.ReplaceOn), step.Quiet));
        // A CopyToRemote's inputs: its source (the file), its remote path and the same connection
        // (pulumi-command v1.2.1 remote/copy.go, CopyToRemoteInputs).
        foreach (var u in plan.Uploads)
            inputs.Add(u.Name, new StepInputs($"copy-to-remote {u.LocalPath} {u.RemotePath}", null, null, "", connection, "", false));
        return inputs;
    }

    /// <summary>Names of the steps whose inputs differ, or that exist on one side only.</summary>
    public static IReadOnlyList<string> Changed(IReadOnlyDictionary<string, StepInputs> before, IReadOnlyDictionary<string, StepInputs> after) =>
        before.Keys.Union(after.Keys)
            .Where(n => !before.TryGetValue(n, out var a) || !after.TryGetValue(n, out var b) || a != b)
            .Order(StringComparer.Ordinal)
            .ToList();
}

/// <summary>Which steps run again when one setting changes: the steps whose inputs change, as the engine sees them.</summary>
public static class SettingRadius
{
    /// <summary>Null when no other valid value of <paramref name="key"/> could be found to compare with.</summary>
    /// <param name="readFile">As <see cref="SettingsReader.TryRead"/>: reads the files settings name on the workstation.</param>
    public static IReadOnlyList<string>? Of(IReadOnlyDictionary<string, ConfigValue> config, SettingKey key, Func<string, string>? readFile = null)
    {
        // The repository's password, environment and check schedule mean something only with a
        // repository: on a stack without one they are compared on that stack with one.
        if ((key == SettingKeys.BackupRepositoryPassword || key == SettingKeys.BackupRepositoryEnvironment || key == SettingKeys.BackupCheckSchedule)
            && !config.ContainsKey(SettingKeys.BackupRepository.FullKey))
        {
            config = new Dictionary<string, ConfigValue>(config)
            {
                [SettingKeys.BackupRepository.FullKey] = ConfigValue.Plain(SettingKeys.BackupRepository.Example),
                [SettingKeys.BackupRepositoryPassword.FullKey] = ConfigValue.Secure(),
            };
        }
        var settings = SettingsReader.Read(config, readFile);
        var tokens = StepInputs.SecretTokens(settings);
        var before = StepInputs.Of(Planner.Build(settings), tokens);
        if (key.Secret)
        {
            // A new value, or a first one where the stack had none (generated, or the SSH agent).
            var changed = new Dictionary<string, ConfigValue>(config) { [key.FullKey] = ConfigValue.Secure() };
            var changedSettings = SettingsReader.Read(changed, readFile);
            var changedTokens = StepInputs.SecretTokens(changedSettings);
            changedTokens[key] = "changed";
            return StepInputs.Changed(before, StepInputs.Of(Planner.Build(changedSettings), changedTokens));
        }
        config.TryGetValue(key.FullKey, out var current);
        foreach (var candidate in key.ComparisonValues)
        {
            if (current?.Text == candidate) continue;
            var changed = new Dictionary<string, ConfigValue>(config) { [key.FullKey] = ConfigValue.Plain(candidate) };
            // A repository comes with its password (required with it).
            if (key == SettingKeys.BackupRepository) changed.TryAdd(SettingKeys.BackupRepositoryPassword.FullKey, ConfigValue.Secure());
            var (changedSettings, errors) = SettingsReader.TryRead(changed, readFile);
            if (changedSettings is null || errors.Count > 0 || changedSettings == settings) continue;
            return StepInputs.Changed(before, StepInputs.Of(Planner.Build(changedSettings), StepInputs.SecretTokens(changedSettings)));
        }
        return null;
    }
}
