using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;

namespace ZtnetInfra.Core.Shell;

/// <summary>A variable a script reads from its prelude: <c>: "${name:?}"</c> (a value), <c>"${name?}"</c> (may be empty), <c>"${name[0]:?}"</c> (an array).</summary>
public sealed record ScriptInput(string Name, bool IsArray, bool MayBeEmpty);

/// <summary>
/// One <c>.sh</c> file of <c>infra/ZtnetInfra.Core/Scripts</c>, embedded in this assembly. The file is
/// static shell: it names its inputs in its <c>: "${name:?}"</c> lines (which also fail the script
/// when the prelude did not set one) and the libraries it needs in a <c># uses: lib.sh ...</c> line;
/// the values reach it only through the prelude that <see cref="Script"/> writes before it.
/// </summary>
public sealed partial record ScriptSource(string Name, string Text, ImmutableArray<ScriptInput> Inputs, ImmutableArray<string> Uses)
{
    private const string Prefix = "Scripts/";

    private static readonly Lazy<ImmutableDictionary<string, ScriptSource>> Sources = new(Load);

    /// <summary>Every embedded script, by its path under Scripts/ (e.g. <c>host-os.create.sh</c>, <c>lib/ownership.sh</c>).</summary>
    public static IReadOnlyDictionary<string, ScriptSource> All => Sources.Value;

    public static ScriptSource Get(string name) =>
        Sources.Value.TryGetValue(name, out var s) ? s : throw new InvalidOperationException($"no script Scripts/{name} is embedded");

    /// <summary>The file without its shebang line: what is concatenated into a step's body.</summary>
    public string Code => Text.StartsWith("#!", StringComparison.Ordinal) ? Text[(Text.IndexOf('\n') + 1)..] : Text;

    private static ImmutableDictionary<string, ScriptSource> Load()
    {
        var assembly = typeof(ScriptSource).Assembly;
        var result = ImmutableDictionary.CreateBuilder<string, ScriptSource>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var name = resource[Prefix.Length..];
            result[name] = Parse(name, reader.ReadToEnd());
        }
        return result.ToImmutable();
    }

    internal static ScriptSource Parse(string name, string text)
    {
        var inputs = new List<ScriptInput>();
        var uses = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(": \"${", StringComparison.Ordinal))
            {
                foreach (Match m in InputPattern().Matches(line))
                    inputs.Add(new ScriptInput(m.Groups["name"].Value, m.Groups["array"].Success, m.Groups["check"].Value == "?"));
            }
            else if (line.StartsWith("# uses:", StringComparison.Ordinal))
            {
                uses.AddRange(line["# uses:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(u => "lib/" + u));
            }
        }
        return new ScriptSource(name, text, [.. inputs], [.. uses]);
    }

    [GeneratedRegex(@"""\$\{(?<name>[a-z_][a-z0-9_]*)(?<array>\[0\])?(?<check>:?\?)\}""")]
    private static partial Regex InputPattern();
}
