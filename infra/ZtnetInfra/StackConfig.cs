using System.Text.Json;
using Pulumi;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra;

/// <summary>
/// Reads the stack's <c>ztnet:*</c> config once into the core's <see cref="ConfigValue"/> form.
/// </summary>
/// <remarks>
/// Pulumi's <see cref="Config"/> can neither list keys nor tell whether a key was stored
/// encrypted, and the core needs both: it reports unknown <c>ztnet:</c> keys (typos) and secrets
/// written in plain text. The .NET language host hands the stack config to the program in two
/// environment variables, the same ones <c>Deployment</c> parses at start-up:
/// <c>PULUMI_CONFIG</c> (a JSON object "namespace:key" → value, secrets already decrypted) and
/// <c>PULUMI_CONFIG_SECRET_KEYS</c> (a JSON array of the keys stored with <c>secure:</c>).
/// The key names and secret flags come from there; plain values are read with
/// <see cref="Config.Get"/>; a secret key becomes <see cref="ConfigValue.Secure"/> (set, value
/// unseen by the core), and its value is only ever taken as a secret output.
/// </remarks>
public static class StackConfig
{
    public const string ConfigVariable = "PULUMI_CONFIG";
    public const string SecretKeysVariable = "PULUMI_CONFIG_SECRET_KEYS";

    public static IReadOnlyDictionary<string, ConfigValue> Read(Config config)
    {
        var prefix = SettingKey.Namespace + ":";
        var secretKeys = SecretKeys();
        var result = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        foreach (var key in KeyNames().Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            result[key] = secretKeys.Contains(key)
                ? ConfigValue.Secure()
                : ConfigValue.Plain(config.Get(key[prefix.Length..]) ?? "");
        }
        return result;
    }

    private static IEnumerable<string> KeyNames()
    {
        var json = Environment.GetEnvironmentVariable(ConfigVariable);
        if (string.IsNullOrEmpty(json)) return [];
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject().Select(p => CleanKey(p.Name)).ToList();
    }

    private static HashSet<string> SecretKeys()
    {
        var json = Environment.GetEnvironmentVariable(SecretKeysVariable);
        if (string.IsNullOrEmpty(json)) return [];
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
