using System.Collections.Immutable;
using Pulumi;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra;

/// <summary>
/// The Pulumi program: config → validated settings → plan → one <see cref="ZtnetStack"/>.
/// Every configuration problem is reported in one message before any resource of ours is
/// registered; a failed run deletes nothing that an earlier run created.
/// </summary>
public class ZtnetProgram : Stack
{
    public ZtnetProgram() : this(null)
    {
    }

    /// <summary>For tests: stack options (e.g. a transformation that records what is registered).</summary>
    protected ZtnetProgram(StackOptions? options) : base(options)
    {
        var config = new Config(SettingKey.Namespace);
        var values = StackConfig.Read(config);
        var (settings, errors) = SettingsReader.TryRead(values, ProjectFiles.Read);

        // The core sees only that a secret is set; its content rules are checked here, now, so a
        // bad user-set secret is reported with the other problems and never reaches a host.
        var problems = errors.ToList();
        problems.AddRange(CheckUserSecret(config, values, SettingKeys.PostgresPassword, PlanSecret.PostgresPassword));
        problems.AddRange(CheckUserSecret(config, values, SettingKeys.AuthSecret, PlanSecret.AuthSecret));
        problems.AddRange(CheckUserSecret(config, values, SettingKeys.BackupRepositoryPassword, PlanSecret.ResticPassword));
        problems.AddRange(CheckUserSecret(config, values, SettingKeys.BackupRepositoryEnvironment, PlanSecret.ResticEnvironment));
        problems.AddRange(CheckWorkstationFile(settings));
        if (settings is null || problems.Count > 0)
            throw new RunException(new InvalidSettingsException(problems).Message);

        var plan = Planner.Build(settings);
        var ztnet = new ZtnetStack("ztnet", new ZtnetStackArgs
        {
            Plan = plan,
            SshPrivateKey = UserSecret(config, SettingKeys.SshPrivateKey, settings.SshPrivateKeySet),
            PostgresPassword = UserSecret(config, SettingKeys.PostgresPassword, settings.PostgresPasswordSet),
            AuthSecret = UserSecret(config, SettingKeys.AuthSecret, settings.AuthSecretSet),
            BackupRepositoryPassword = UserSecret(config, SettingKeys.BackupRepositoryPassword, settings.BackupRepositoryPasswordSet),
            BackupRepositoryEnvironment = UserSecret(config, SettingKeys.BackupRepositoryEnvironment, settings.BackupRepositoryEnvironmentSet),
        });

        Url = ztnet.Url;
        Host = ztnet.Host;
        ServiceUser = ztnet.ServiceUser;
        UnitNames = ztnet.UnitNames;
    }

    [Output("url")]
    public Output<string> Url { get; private set; }

    [Output("host")]
    public Output<string> Host { get; private set; }

    [Output("serviceUser")]
    public Output<string> ServiceUser { get; private set; }

    [Output("unitNames")]
    public Output<ImmutableArray<string>> UnitNames { get; private set; }

    private static Input<string>? UserSecret(Config config, SettingKey key, bool set) =>
        set ? (Input<string>)config.RequireSecret(key.Name) : null;

    /// <summary>ztnet:restoreFrom file:PATH must name a file here, now: the engine would fail only when it reaches the upload.</summary>
    private static IEnumerable<SettingError> CheckWorkstationFile(StackSettings? settings)
    {
        if (settings?.RestoreFrom is not { Kind: RestoreKind.WorkstationFile } from) yield break;
        var full = ProjectFiles.FullPath(from.Value);
        if (!File.Exists(full))
            yield return new SettingError(SettingKeys.RestoreFrom.FullKey,
                $"is {from}, but {full} is not a file on this workstation (a relative path is read from the project directory, the one holding Pulumi.yaml)",
                "pulumi config set ztnet:restoreFrom file:backups/ztnet-backup.tar.gz");
    }

    private static IEnumerable<SettingError> CheckUserSecret(Config config, IReadOnlyDictionary<string, ConfigValue> values, SettingKey key, PlanSecret secret)
    {
        if (!values.TryGetValue(key.FullKey, out var value) || !value.IsSecure) yield break;
        // Config.Get returns the decrypted text; it is checked and dropped, never shown.
        var problem = SecretRules.Check(secret, config.Get(key.Name) ?? "");
        if (problem is not null) yield return problem;
    }
}
