using System.Text;

namespace ZtnetInfra.Core.Shell;

/// <summary>
/// A step's bash body: <c>set -euo pipefail</c>, a comment saying what it is for, the prelude (the
/// values, quoted), then the libraries its sources use and the sources themselves, static files of
/// <c>Scripts/</c>. The prelude must set exactly the inputs the sources name.
/// </summary>
public sealed class Script
{
    private readonly string _purpose;
    private readonly List<string> _notes = [];
    private readonly List<ScriptSource> _sources;
    private readonly Prelude _prelude = new();

    /// <param name="purpose">One line for the reader of a preview.</param>
    /// <param name="sources">Files under Scripts/ (e.g. <c>host-os.create.sh</c>), run in this order.</param>
    public Script(string purpose, params string[] sources)
    {
        if (sources.Length == 0) throw new ArgumentException("a script needs at least one source", nameof(sources));
        _purpose = purpose.Replace('\n', ' ');
        _sources = [.. sources.Select(ScriptSource.Get)];
    }

    /// <summary>The files the body is made of, in order: the libraries the sources use, then the sources.</summary>
    public IReadOnlyList<string> Files => [.. _sources.SelectMany(s => s.Uses).Distinct(), .. _sources.Select(s => s.Name)];

    /// <summary>A comment line after the purpose (never a value a script reads).</summary>
    public Script Note(string comment)
    {
        _notes.Add(comment.Replace('\n', ' '));
        return this;
    }

    public Script Var(string name, string value)
    {
        _prelude.Var(name, value);
        return this;
    }

    public Script Var(string name, int value)
    {
        _prelude.Var(name, value);
        return this;
    }

    /// <summary>A file's text, kept readable in a preview (<see cref="Prelude.Text"/>).</summary>
    public Script Text(string name, string content)
    {
        _prelude.Text(name, content);
        return this;
    }

    /// <summary>A text value, or the empty string when there is none (the script tells the two apart with -n).</summary>
    public Script OptionalText(string name, string? content) => content is null ? Var(name, "") : Text(name, content);

    public Script Array(string name, IEnumerable<string> values)
    {
        _prelude.Array(name, values);
        return this;
    }

    public string Body
    {
        get
        {
            CheckInputs();
            var sb = new StringBuilder("set -euo pipefail\n");
            sb.Append("# ").Append(_purpose).Append('\n');
            foreach (var n in _notes) sb.Append("# ").Append(n).Append('\n');
            sb.Append(_prelude.Rendered);
            foreach (var file in Files) sb.Append(ScriptSource.Get(file).Code);
            return sb.ToString();
        }
    }

    public override string ToString() => Body;

    private void CheckInputs()
    {
        var wanted = new Dictionary<string, ScriptInput>(StringComparer.Ordinal);
        foreach (var input in _sources.SelectMany(s => s.Inputs)) wanted.TryAdd(input.Name, input);
        var names = string.Join(", ", _sources.Select(s => s.Name));
        var missing = wanted.Keys.Where(k => !_prelude.Names.ContainsKey(k)).ToList();
        var extra = _prelude.Names.Keys.Where(k => !wanted.ContainsKey(k)).ToList();
        var shape = wanted.Values.Where(i => _prelude.Names.TryGetValue(i.Name, out var isArray) && isArray != i.IsArray).Select(i => i.Name).ToList();
        var empty = wanted.Values.Where(i => !i.MayBeEmpty && _prelude.Empty.Contains(i.Name)).Select(i => i.Name).ToList();
        if (missing.Count + extra.Count + shape.Count + empty.Count > 0)
            throw new InvalidOperationException($"the prelude of {names} does not match its inputs: missing [{string.Join(' ', missing)}], not read [{string.Join(' ', extra)}], array or not [{string.Join(' ', shape)}], empty [{string.Join(' ', empty)}]");
    }
}
