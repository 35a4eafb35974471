using System.Text;
using System.Text.RegularExpressions;

namespace ZtnetInfra.Core.Shell;

/// <summary>
/// The generated part of a script: one assignment per value, every value through <see cref="Sh.Quote"/>.
/// It is the only shell text C# writes; what runs is the static <c>.sh</c> files after it.
/// </summary>
public sealed partial class Prelude
{
    private readonly StringBuilder _text = new();
    private readonly Dictionary<string, bool> _names = new(StringComparer.Ordinal);

    /// <summary>Assigned names, each with whether it is an array.</summary>
    public IReadOnlyDictionary<string, bool> Names => _names;

    /// <summary>Names set to an empty value (or an empty array).</summary>
    public IReadOnlySet<string> Empty => _empty;

    private readonly HashSet<string> _empty = new(StringComparer.Ordinal);

    public Prelude Var(string name, string value) => Assign(name, false, [value], Sh.Quote(value, always: true));

    public Prelude Var(string name, int value) => Var(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Prelude Array(string name, IEnumerable<string> values)
    {
        var list = values.ToList();
        return Assign(name, true, list, "(" + string.Join(' ', list.Select(v => Sh.Quote(v, always: true))) + ")");
    }

    private const string TextEnd = "ZTNET_TEXT_END";

    /// <summary>
    /// A file's text (a unit, a configuration), kept readable in a preview: a quoted here-document read
    /// whole into <paramref name="name"/> (nothing in it expands), ending with exactly one newline.
    /// </summary>
    public Prelude Text(string name, string content)
    {
        var body = content.EndsWith('\n') ? content[..^1] : content;
        if (body.Split('\n').Any(l => l == TextEnd)) throw new InvalidOperationException($"the text of {name} holds the here-document delimiter {TextEnd}");
        return Assign(name, false, [content], null, $"IFS= read -r -d '' {name} <<'{TextEnd}' || true\n{body}\n{TextEnd}\n");
    }

    public string Rendered => _text.ToString();

    private Prelude Assign(string name, bool array, IReadOnlyList<string> values, string? quoted, string? statement = null)
    {
        if (!NamePattern().IsMatch(name)) throw new ArgumentException($"not a script variable name: {name}", nameof(name));
        if (!_names.TryAdd(name, array)) throw new InvalidOperationException($"the prelude sets {name} twice");
        if (values.Count == 0 || values.All(v => v.Length == 0)) _empty.Add(name);
        if (statement is not null)
        {
            _text.Append(statement);
            return this;
        }
        // A quoted value never expands: tell shellcheck so where it would think otherwise.
        if (values.Any(v => v.Contains('$') || v.Contains('`'))) _text.Append("# shellcheck disable=SC2016\n");
        _text.Append(name).Append('=').Append(quoted).Append('\n');
        return this;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex NamePattern();
}
