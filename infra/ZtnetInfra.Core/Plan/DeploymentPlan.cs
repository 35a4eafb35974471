using System.Collections.Immutable;
using System.Text;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>Everything that lands on the host, in order: the single source the adapters map.</summary>
public sealed record DeploymentPlan(StackSettings Settings, ImmutableArray<RemoteStep> Steps, ImmutableArray<UnitFile> Units)
{
    public string Url => Settings.PublicUrl;

    public IReadOnlyList<string> UnitNames => ServiceCatalogue.UnitNames;

    public RemoteStep Step(string name) => Steps.Single(s => s.Name == name);

    /// <summary>Files sent from the workstation (ztnet:restoreFrom file:); steps may depend on them by name.</summary>
    public ImmutableArray<PlanUpload> Uploads { get; init; } = [];

    /// <summary>
    /// The text a step reads on standard input: its secrets, one per line, in its order.
    /// Secrets are checked here too, so a bad user-set value fails before reaching a host.
    /// </summary>
    public static string ComposeStdin(RemoteStep step, IReadOnlyDictionary<PlanSecret, string> secrets)
    {
        var sb = new StringBuilder();
        foreach (var name in step.SecretStdin)
        {
            if (!secrets.TryGetValue(name, out var value)) throw new ArgumentException($"secret {name} is needed by step {step.Name}");
            var problem = SecretRules.Check(name, value);
            if (problem is not null) throw new InvalidSettingsException([problem]);
            sb.Append(value).Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>What a secret value must look like (checked without ever printing it).</summary>
public static class SecretRules
{
    /// <summary>Variables the backup program sets itself: a line naming one is refused, not silently overridden.</summary>
    public static readonly string[] ResticOwnVariables = ["RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE", "RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"];

    /// <summary>
    /// NAME=value lines, NAME an environment variable name (the backup program exports each line
    /// as it is, never evaluating it: lib/restic.sh). Only the offending line's number and name are shown.
    /// </summary>
    private static SettingError? ResticEnvironment(string value)
    {
        var key = SettingKeys.BackupRepositoryEnvironment;
        var lines = value.Split('\n');
        if (value.Length == 0 || value.Contains('\0') || value.Contains('\r') || value.Length > 16384)
            return new SettingError(key.FullKey, "must be NAME=value lines, at most 16384 characters in all (the value is not shown)", key.Example);
        for (var i = 0; i < lines.Length; i++)
        {
            var eq = lines[i].IndexOf('=');
            var name = eq < 0 ? "" : lines[i][..eq];
            if (eq <= 0 || !System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Z_][A-Z0-9_]*\\z"))
                return new SettingError(key.FullKey, $"line {i + 1} is not NAME=value with NAME in capitals, digits and '_' (the value is not shown)", key.Example);
            if (ResticOwnVariables.Contains(name))
                return new SettingError(key.FullKey, $"line {i + 1} sets {name}, which the stack sets itself (from ztnet:backupRepository and ztnet:backupRepositoryPassword)", key.Example);
        }
        return null;
    }

    public const int MinimumPasswordLength = 16;
    public const int MinimumAuthSecretLength = 32;

    public static SettingError? Check(PlanSecret name, string value)
    {
        switch (name)
        {
            case PlanSecret.PostgresPassword:
                if (value.Length < MinimumPasswordLength || !value.All(char.IsAsciiLetterOrDigit))
                    return new SettingError(SettingKeys.PostgresPassword.FullKey,
                        $"must be at least {MinimumPasswordLength} letters and digits, nothing else: ZTNet puts it into a database URL unencoded (the value is not shown)",
                        SettingKeys.PostgresPassword.Example);
                return null;
            case PlanSecret.AuthSecret:
                if (value.Length < MinimumAuthSecretLength || value.Any(c => c is '\n' or '\r' or '\0'))
                    return new SettingError(SettingKeys.AuthSecret.FullKey,
                        $"must be one line of at least {MinimumAuthSecretLength} characters (the value is not shown)",
                        SettingKeys.AuthSecret.Example);
                return null;
            case PlanSecret.ResticPassword:
                if (value.Length == 0 || value.Any(c => c is '\n' or '\r' or '\0'))
                    return new SettingError(SettingKeys.BackupRepositoryPassword.FullKey, "must be one line, not empty (the value is not shown)", SettingKeys.BackupRepositoryPassword.Example);
                return null;
            case PlanSecret.ResticEnvironment:
                return ResticEnvironment(value);
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    }
}
