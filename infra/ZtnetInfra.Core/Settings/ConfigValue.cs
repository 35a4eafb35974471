namespace ZtnetInfra.Core.Settings;

/// <summary>
/// One value from a stack's config block. A secure (encrypted) value is only known to be set:
/// its text never reaches the core.
/// </summary>
public sealed record ConfigValue(string? Text, bool IsSecure)
{
    public static ConfigValue Plain(string text) => new(text, false);

    public static ConfigValue Secure() => new(null, true);
}

/// <summary>A problem with one setting: which key, what is wrong, and a value that would be right.</summary>
public sealed record SettingError(string Key, string Problem, string Example)
{
    public override string ToString() => $"{Key}: {Problem.TrimEnd('.')}{(Problem.EndsWith('?') ? "" : ".")} Example: {Example}";
}

public sealed class InvalidSettingsException(IReadOnlyList<SettingError> errors)
    : Exception("invalid stack settings:\n" + string.Join('\n', errors.Select(e => "  " + e)))
{
    public IReadOnlyList<SettingError> Errors { get; } = errors;
}
