using System.Text;

namespace ZtnetInfra.Core.Shell;

/// <summary>A bash script body: always starts with strict mode, built line by line.</summary>
public sealed class Script
{
    private readonly List<string> _lines = new();

    public Script(string purpose)
    {
        _lines.Add("set -euo pipefail");
        _lines.Add($"# {purpose.Replace('\n', ' ')}");
    }

    /// <summary>Adds shell lines written by this project (never user values: use <see cref="Sh.Quote"/>).</summary>
    public Script Line(string line)
    {
        if (line.Contains('\n'))
        {
            foreach (var l in line.Split('\n')) _lines.Add(l);
        }
        else _lines.Add(line);
        return this;
    }


    /// <summary>Assigns a shell variable from a value, quoted.</summary>
    public Script Var(string name, string value) => Line($"{name}={Sh.Quote(value)}");

    /// <summary>
    /// Writes <paramref name="content"/> to a file through a quoted here-document, atomically
    /// (temp file + rename), and sets <c>changed=1</c> only when the content differs from what
    /// the file held, so a re-run with the same content leaves everything as it is.
    /// </summary>
    public Script WriteFile(string pathVariable, string content, string mode)
    {
        const string delimiter = "ZTNET_FILE_END";
        if (content.Split('\n').Any(l => l == delimiter))
            throw new InvalidOperationException("file content contains the here-document delimiter");
        // Only a missing directory is made: an existing one keeps its mode (DATA/caddy_config is 0700,
        // made by data-dirs; `install -d -m` would chmod it on every write).
        Line($"if [ ! -d \"$(dirname \"${pathVariable}\")\" ]; then install -d -m 0755 \"$(dirname \"${pathVariable}\")\"; fi");
        Line($"tmp=$(mktemp \"${pathVariable}.XXXXXX\")");
        Line($"cat > \"$tmp\" <<\\{delimiter}");
        var body = content.EndsWith('\n') ? content[..^1] : content;
        foreach (var l in body.Split('\n')) _lines.Add(l);
        Line(delimiter);
        Line($"chmod {mode} \"$tmp\"");
        Line($"if cmp -s \"$tmp\" \"${pathVariable}\"; then");
        Line("  rm -f \"$tmp\"");
        Line("  changed=0");
        Line("else");
        Line($"  mv -f \"$tmp\" \"${pathVariable}\"");
        Line("  changed=1");
        Line("fi");
        return this;
    }

    public string Body
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var l in _lines) sb.Append(l).Append('\n');
            return sb.ToString();
        }
    }

    public override string ToString() => Body;
}
