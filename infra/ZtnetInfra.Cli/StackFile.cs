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
    /// <summary>
    /// Reads a file a setting names (ztnet:acmeCaRoot), a relative path from the stack file's
    /// directory: the project directory, where `pulumi` resolves it too (infra/ZtnetInfra's ProjectFiles).
    /// </summary>
    public static Func<string, string> ReaderBeside(string stackFile) =>
        path => File.ReadAllText(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(stackFile))!, path));

    public static IReadOnlyDictionary<string, ConfigValue> ReadConfig(string path)
    {
        var root = Load(path, Decode(path, ReadBytes(path)));
        if (root is null || !root.Children.TryGetValue(new YamlScalarNode("config"), out var configNode))
            throw Bad($"{path}: has no config: block, so it holds no settings. A stack file keeps them under config: (pulumi config set writes them there), e.g.\n"
                + "config:\n  ztnet:host: 203.0.113.10");
        if (configNode is YamlScalarNode empty && IsNull(empty)) return new Dictionary<string, ConfigValue>();
        if (configNode is not YamlMappingNode config)
            throw Bad($"{At(path, configNode.Start)}: config: must be a mapping of keys to values (key: value, one per line)");

        var project = ProjectName(path);
        var result = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (keyNode, valueNode) in config.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } written })
                throw Bad($"{At(path, keyNode.Start)}: a key in config: must be a name such as ztnet:host");
            if (ConfigKey(written, project) is not { } key)
            {
                problems.Add($"{At(path, keyNode.Start)}: {written} is not a configuration key, which the Pulumi CLI refuses: write it <namespace>:<name>, e.g. ztnet:host");
                continue;
            }
            switch (valueNode)
            {
                case YamlScalarNode scalar:
                    var read = PulumiYamlScalar.Read(scalar.Value ?? "", scalar.Style is ScalarStyle.Plain or ScalarStyle.Any, scalar.Tag.IsEmpty ? null : scalar.Tag.Value);
                    if (read.Problem is not null)
                    {
                        problems.Add($"{At(path, valueNode.Start)}: {key} {read.Problem}");
                        break;
                    }
                    // Pulumi reads a YAML null as an empty string (and warns): name it rather than pass that on.
                    if (read.Type == PulumiYamlScalar.ScalarType.Null && key.StartsWith(SettingKey.Namespace + ":", StringComparison.Ordinal))
                        problems.Add($"{At(path, valueNode.Start)}: {key} is a YAML null ({(scalar.Value is { Length: > 0 } v ? v : "no value")}): give it a value, or delete the line to take the default");
                    result[key] = ConfigValue.Plain(read.Text);
                    break;
                // object.go (isSecureValue): a mapping of exactly one key, secure, holding a string.
                case YamlMappingNode map when map.Children.Count == 1 && map.Children.TryGetValue(new YamlScalarNode("secure"), out var secure) && secure is YamlScalarNode:
                    result[key] = ConfigValue.Secure();
                    break;
                default:
                    // Structured values are not settings of this program; keep them so validation can name them.
                    result[key] = ConfigValue.Plain("(structured value)");
                    break;
            }
        }
        if (problems.Count > 0) throw Bad(string.Join('\n', problems));
        return result;
    }

    /// <summary>
    /// The key as the program sees it. The Pulumi CLI puts a key without a namespace under the
    /// project's name (sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject), and reads
    /// namespace:config:name as namespace:name (sdk/go/common/resource/config/key.go, ParseKey);
    /// any other key with colons is refused. Null for a key it refuses.
    /// </summary>
    private static string? ConfigKey(string key, string? project)
    {
        var parts = key.Split(':');
        return parts.Length switch
        {
            1 => project is null ? key : $"{project}:{key}",
            2 => key,
            3 when parts[1] == "config" && parts[0].Length > 0 && parts[2].Length > 0 => $"{parts[0]}:{parts[2]}",
            _ => null,
        };
    }

    /// <summary>The name in Pulumi.yaml beside the stack file (the project the CLI loads with it), or null when there is none to read.</summary>
    private static string? ProjectName(string stackFile)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(stackFile)) ?? ".";
        foreach (var name in new[] { "Pulumi.yaml", "Pulumi.yml" })
        {
            var file = Path.Combine(dir, name);
            if (!File.Exists(file)) continue;
            try
            {
                var yaml = new YamlStream();
                using (var reader = new StreamReader(file)) yaml.Load(reader);
                if (yaml.Documents.Count > 0 && yaml.Documents[0].RootNode is YamlMappingNode project
                    && project.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: { Length: > 0 } value })
                    return value;
            }
            catch (Exception e) when (e is YamlException or IOException or UnauthorizedAccessException)
            {
                // The Pulumi CLI would stop on such a project file; the render reads keys without a project.
            }
            return null;
        }
        return null;
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
            throw Bad($"{At(path, e.Start)}: YAML error: {Friendly(MarkPrefix().Replace(e.InnerException?.Message ?? e.Message, ""))}");
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

    /// <summary>
    /// The parser's message, with what to change in front for the mistakes hand-edited stack files
    /// have (YamlDotNet's wording; yaml.v3, which the Pulumi CLI uses, refuses the same files).
    /// </summary>
    public static string Friendly(string parser)
    {
        var fix = parser switch
        {
            _ when parser.Contains("tab", StringComparison.OrdinalIgnoreCase) =>
                "a tab where YAML allows only spaces: indent with spaces (two under config:), and put a space, not a tab, after the colon",
            _ when parser.Contains("did not find expected key", StringComparison.Ordinal) =>
                "this line is not indented like the keys above it: put every setting under config: at the same indentation (two spaces), one key: value per line",
            _ when parser.Contains("found invalid mapping", StringComparison.Ordinal) || parser.Contains("mapping values are not allowed", StringComparison.Ordinal) =>
                "a second ': ' on one line, or a line indented deeper than the key above it: quote a value that holds ': ' ('a: b'), and align each key with the others",
            _ when parser.Contains("block sequence entries are not allowed", StringComparison.Ordinal) || parser.Contains("did not find expected '-'", StringComparison.Ordinal) =>
                "a '- ' list item where a key: value is expected: settings are key: value lines; quote a value that starts with '-'",
            _ when parser.Contains("quoted scalar", StringComparison.Ordinal) && parser.Contains("end of stream", StringComparison.Ordinal) =>
                "a quoted value is not closed: add the closing quote on the same line",
            _ when parser.Contains("cannot start any token", StringComparison.Ordinal) =>
                "a value starts with a character YAML reserves (@, ` or %): put the value in quotes",
            _ when parser.StartsWith("Duplicate key", StringComparison.Ordinal) =>
                $"{parser[("Duplicate key".Length)..].Trim()} is set twice under config: (the Pulumi CLI refuses that too): keep one line",
            _ => null,
        };
        return fix is null ? parser : $"{fix} ({parser.TrimEnd('.')})";
    }

    private static string At(string path, Mark mark) => $"{path}:{mark.Line}:{mark.Column}";

    private static CliException Bad(string message) => new(ExitCodes.InvalidSettings, message);

    // YamlDotNet puts "(Line: 3, Col: 5, Idx: 30) - (Line: 3, Col: 6, Idx: 31): " in front of its messages; the position is given once, by At.
    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
