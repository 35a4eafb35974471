using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Cli;

/// <summary>
/// Reads the `config:` block of a Pulumi stack file (Pulumi.&lt;stack&gt;.yaml). Every problem
/// is one line naming the file, and the line and column where YAML places it.
/// </summary>
public static partial class StackFile
{
    public static IReadOnlyDictionary<string, ConfigValue> ReadConfig(string path)
    {
        var root = Load(path, Decode(path, ReadBytes(path)));
        if (root is null || !root.Children.TryGetValue(new YamlScalarNode("config"), out var configNode))
            throw Bad($"{path}: has no config: block, so it holds no settings. A stack file keeps them under config: (pulumi config set writes them there), e.g.\n"
                + "config:\n  ztnet:host: 203.0.113.10");
        if (configNode is YamlScalarNode empty && IsNull(empty)) return new Dictionary<string, ConfigValue>();
        if (configNode is not YamlMappingNode config)
            throw Bad($"{At(path, configNode.Start)}: config: must be a mapping of keys to values (key: value, one per line)");

        var result = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        var nulls = new List<string>();
        foreach (var (keyNode, valueNode) in config.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
                throw Bad($"{At(path, keyNode.Start)}: a key in config: must be a name such as ztnet:host");
            switch (valueNode)
            {
                case YamlScalarNode scalar when IsNull(scalar):
                    // Pulumi reads a YAML null as an empty string: name it rather than pass that on.
                    if (key.StartsWith(SettingKey.Namespace + ":", StringComparison.Ordinal))
                        nulls.Add($"{At(path, valueNode.Start)}: {key} is a YAML null ({(scalar.Value is { Length: > 0 } v ? v : "no value")}): give it a value, or delete the line to take the default");
                    result[key] = ConfigValue.Plain("");
                    break;
                case YamlScalarNode scalar:
                    result[key] = ConfigValue.Plain(scalar.Value ?? "");
                    break;
                case YamlMappingNode map when map.Children.ContainsKey(new YamlScalarNode("secure")):
                    result[key] = ConfigValue.Secure();
                    break;
                default:
                    // Structured values are not settings of this program; keep them so validation can name them.
                    result[key] = ConfigValue.Plain("(structured value)");
                    break;
            }
        }
        if (nulls.Count > 0) throw Bad(string.Join('\n', nulls));
        return result;
    }

    private static byte[] ReadBytes(string path)
    {
        if (Directory.Exists(path)) throw Bad($"{path}: is a directory, not a stack file: give the Pulumi.<stack>.yaml file in it");
        if (!File.Exists(path)) throw Bad($"{path}: no such file: give the stack's Pulumi.<stack>.yaml (beside Pulumi.yaml)");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Bad($"{path}: cannot be read: {e.Message}");
        }
    }

    /// <summary>Pulumi writes stack files in UTF-8; anything else is named, not read as garbage or as empty.</summary>
    private static string Decode(string path, byte[] bytes)
    {
        if (bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
            throw Bad($"{path}: is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8, as pulumi writes it");
        if (Array.IndexOf(bytes, (byte)0) is var nul and >= 0)
            throw Bad($"{path}: holds a NUL byte at offset {nul}: it is not UTF-8 text (UTF-16 without a byte order mark?); save it as UTF-8");
        var offset = bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, offset, bytes.Length - offset);
        }
        catch (DecoderFallbackException e)
        {
            throw Bad($"{path}: is not valid UTF-8 (at byte {e.Index + offset}); save it as UTF-8");
        }
    }

    private static YamlMappingNode? Load(string path, string text)
    {
        var yaml = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            yaml.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw Bad($"{At(path, e.Start)}: YAML error: {MarkPrefix().Replace(e.InnerException?.Message ?? e.Message, "")}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this, without a position, for a file that ends inside a [ ] or { } list.
            throw Bad($"{At(path, scanner.CurrentPosition)}: YAML error: the file ends inside a [ ] or {{ }} collection or a quoted value: close it");
        }
        if (yaml.Documents.Count == 0) return null;
        var root = yaml.Documents[0].RootNode;
        if (root is YamlScalarNode s && IsNull(s)) return null;
        return root as YamlMappingNode
            ?? throw Bad($"{At(path, root.Start)}: is not a stack file: its top level must be a mapping holding a config: block");
    }

    /// <summary>The YAML 1.2 core schema's null: an empty plain scalar, ~, null, Null or NULL.</summary>
    private static bool IsNull(YamlScalarNode s) =>
        s.Style is ScalarStyle.Plain or ScalarStyle.Any && s.Tag.IsEmpty && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static string At(string path, Mark mark) => $"{path}:{mark.Line}:{mark.Column}";

    private static CliException Bad(string message) => new(ExitCodes.InvalidSettings, message);

    // YamlDotNet puts "(Line: 3, Col: 5, Idx: 30) - (Line: 3, Col: 6, Idx: 31): " in front of its messages; the position is given once, by At.
    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
