using System.Text;

namespace ZtnetInfra.Core.Units;

/// <summary>
/// A value in a unit file, made of literal text (where '%' is escaped) and systemd specifiers
/// such as %n or %t (kept as they are).
/// </summary>
public sealed class UnitValue
{
    private readonly IReadOnlyList<(bool IsSpecifier, string Text)> _parts;

    private UnitValue(IReadOnlyList<(bool, string)> parts) => _parts = parts;

    public static UnitValue Literal(string text)
    {
        if (text.Contains('\n') || text.Contains('\r') || text.Contains('\0'))
            throw new ArgumentException("a unit value cannot hold a line break or NUL", nameof(text));
        return new UnitValue(new[] { (false, text) });
    }

    /// <summary>A systemd specifier such as 'n' (unit name) or 't' (runtime directory).</summary>
    public static UnitValue Specifier(char c) => new(new[] { (true, "%" + c) });

    public static UnitValue Concat(params UnitValue[] values) =>
        new(values.SelectMany(v => v._parts).ToArray());

    public static implicit operator UnitValue(string literal) => Literal(literal);

    /// <summary>Text for a plain key=value line: '%' doubled in literal parts.</summary>
    public string RenderPlain()
    {
        var sb = new StringBuilder();
        foreach (var (isSpec, text) in _parts) sb.Append(isSpec ? text : text.Replace("%", "%%"));
        return sb.ToString();
    }

    /// <summary>
    /// Text for one argument of an Exec line: '%' doubled, '$' doubled (no variable expansion),
    /// and double-quoted with C escapes when it holds anything systemd would split or interpret.
    /// </summary>
    public string RenderExecArgument()
    {
        var plain = new StringBuilder();
        foreach (var (isSpec, text) in _parts)
            plain.Append(isSpec ? text : text.Replace("%", "%%").Replace("$", "$$"));
        var s = plain.ToString();
        var needsQuotes = s.Length == 0 || s == ";" || s.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' || char.IsControl(c))
                          || s[0] is '@' or '+' or '!' or ':';
        if (!needsQuotes) return s;
        var q = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': q.Append("\\\""); break;
                case '\\': q.Append("\\\\"); break;
                case '\t': q.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) q.Append($"\\x{(int)c:x2}");
                    else q.Append(c);
                    break;
            }
        }
        q.Append('"');
        return q.ToString();
    }

    public override string ToString() => RenderPlain();
}
