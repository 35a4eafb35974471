using System.Text;

namespace ZtnetInfra.Core.Shell;

/// <summary>The one place where a value becomes shell text.</summary>
public static class Sh
{
    /// <summary>
    /// POSIX single-quoting: the result is one word whose value is exactly <paramref name="value"/>.
    /// A value of safe characters only stays bare unless <paramref name="always"/> (the prelude quotes
    /// every value, so that no bare word looks like arithmetic or an option to a reader or shellcheck).
    /// </summary>
    public static string Quote(string value, bool always = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!always && value.Length > 0 && value.All(IsSafe)) return value;
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('\'');
        foreach (var c in value)
        {
            if (c == '\'') sb.Append("'\\''");
            else sb.Append(c);
        }
        sb.Append('\'');
        return sb.ToString();
    }

    private static bool IsSafe(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.' or '/' or ':' or '=' or ',' or '@' or '+';
}
