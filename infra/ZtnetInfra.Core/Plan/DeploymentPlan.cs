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
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    }
}
