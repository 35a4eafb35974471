using YamlDotNet.RepresentationModel;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Cli;

/// <summary>Reads the `config:` block of a Pulumi stack file (Pulumi.&lt;stack&gt;.yaml).</summary>
public static class StackFile
{
    public static IReadOnlyDictionary<string, ConfigValue> ReadConfig(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }
        var result = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) return result;
        if (!root.Children.TryGetValue(new YamlScalarNode("config"), out var configNode)) return result;
        if (configNode is not YamlMappingNode config) throw new FormatException($"{path}: `config:` must be a mapping of keys to values");

        foreach (var (keyNode, valueNode) in config.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            result[key] = valueNode switch
            {
                YamlScalarNode scalar => ConfigValue.Plain(scalar.Value ?? ""),
                YamlMappingNode map when map.Children.ContainsKey(new YamlScalarNode("secure")) => ConfigValue.Secure(),
                // Structured values are not settings of this program; keep them so validation can name them.
                _ => ConfigValue.Plain("(structured value)"),
            };
        }
        return result;
    }
}
