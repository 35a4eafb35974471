using System.Text.Json;
using Pulumi;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra;

/// <summary>
/// Reads the stack's <c>ztnet:*</c> config once into the core's <see cref="ConfigValue"/> form.
/// </summary>
/// <remarks>
/// Every value is read through Pulumi's <see cref="Config"/>, so the program runs the same under
/// the pulumi CLI's .NET language host and as an Automation API inline program (which hands the
/// config to the SDK directly: no environment variable is set there). The API can neither list
/// keys nor tell whether a key was stored encrypted, and the core wants both (it reports unknown
/// <c>ztnet:</c> keys with "did you mean", and secrets written in plain text). So:
/// <list type="bullet">
/// <item>every key the stack knows (<see cref="SettingKeys.All"/>) is asked for by name;</item>
/// <item>a key of another namespace whose name is a setting's (ztnet-infra:domain) is passed on by
/// name only, with no value, so the core names it as misplaced;</item>
/// <item>under the language host, which also puts the config into <c>PULUMI_CONFIG</c> (a JSON
/// object "namespace:key" → value) and <c>PULUMI_CONFIG_SECRET_KEYS</c> (the keys stored with
/// <c>secure:</c>; "[]" when none: pulumi/pulumi-dotnet pulumi-language-dotnet/main.go,
/// constructConfigSecretKeys), the key names and secret flags come from there, so typos and
/// plain-text secrets are reported; only names and flags are taken from it, never a value;</item>
/// <item>without them (inline), a secret setting counts as encrypted (its value is only ever read
/// as a secret output) and an unknown key cannot be seen: the API has no way to list keys.</item>
/// </list>
/// </remarks>
public static class StackConfig
{
    public const string ConfigVariable = "PULUMI_CONFIG";
    public const string SecretKeysVariable = "PULUMI_CONFIG_SECRET_KEYS";

    public static IReadOnlyDictionary<string, ConfigValue> Read(Config config)
    {
        var prefix = SettingKey.Namespace + ":";
        var listed = LanguageHostKeyNames();
        var secretKeys = LanguageHostSecretKeys();
        var result = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        var names = SettingKeys.All.Select(k => k.FullKey)
            .Concat(listed.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            .Distinct(StringComparer.Ordinal);
        foreach (var key in names)
        {
            var value = config.Get(key[prefix.Length..]);
            if (value is null) continue;
            var secure = secretKeys?.Contains(key) ?? SettingKeys.Find(key)?.Secret ?? false;
            result[key] = secure ? ConfigValue.Secure() : ConfigValue.Plain(value);
        }
        // A setting's name under another namespace (ztnet-infra:domain, which `pulumi config set domain`
        // writes in this project) is reported by the core as misplaced: only its name is passed on.
        foreach (var key in listed.Where(k => !k.StartsWith(prefix, StringComparison.Ordinal) && IsSettingName(k)))
            result[key] = secretKeys?.Contains(key) == true ? ConfigValue.Secure() : ConfigValue.Plain("");
        return result;
    }

    private static bool IsSettingName(string key)
    {
        var name = key[(key.IndexOf(':') + 1)..];
        return SettingKeys.All.Any(k => k.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
    }

    private static IReadOnlyList<string> LanguageHostKeyNames()
    {
        var json = Environment.GetEnvironmentVariable(ConfigVariable);
        if (string.IsNullOrEmpty(json)) return [];
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject().Select(p => CleanKey(p.Name)).ToList();
    }

    /// <summary>Null when no language host said which keys are encrypted.</summary>
    private static HashSet<string>? LanguageHostSecretKeys()
    {
        var json = Environment.GetEnvironmentVariable(SecretKeysVariable);
        if (string.IsNullOrEmpty(json)) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => CleanKey(e.GetString() ?? "")).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Older engines send "ztnet:config:host"; the SDK strips ":config" the same way.</summary>
    private static string CleanKey(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && key.AsSpan(colon + 1).StartsWith("config:", StringComparison.Ordinal)
            ? string.Concat(key.AsSpan(0, colon), ":", key.AsSpan(colon + 1 + "config:".Length))
            : key;
    }
}
