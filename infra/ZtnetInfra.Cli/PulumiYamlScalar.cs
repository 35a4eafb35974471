using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace ZtnetInfra.Cli;

/// <summary>
/// What one scalar of a stack file's config: block means to the program, read as the Pulumi CLI
/// reads it, so that `render` and `pulumi up` agree on every value.
/// </summary>
/// <remarks>
/// <para>The Pulumi CLI reads a stack file with gopkg.in/yaml.v3 (v3.0.1; pulumi/pulumi
/// sdk/go/common/encoding/marshal.go), whose resolve.go applies YAML 1.2's core schema to plain
/// (unquoted, untagged) scalars: true/True/TRUE and false/False/FALSE are booleans (yes, no, on,
/// off, y, n are strings: YAML 1.1 booleans are gone), ""/~/null/Null/NULL are null, integers are
/// Go's strconv.ParseInt/ParseUint with base 0 after every '_' is removed (so 0x1F, 0o17, 0b101,
/// the YAML 1.1 octal 017, +12 and 1_000 are integers), floats match
/// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (or start with '.'), .inf/.nan and their
/// spellings are floats, and a plain value starting with YYYY- may be a timestamp. A quoted,
/// literal (|) or folded (&gt;) scalar, or one tagged !!str, is always a string.</para>
/// <para>sdk/go/common/workspace/loaders.go (LoadProjectStackBytes) decodes the file into plain Go
/// values, writes it back as YAML and decodes it again into config values; a float is written
/// with strconv.FormatFloat(f, 'g', -1, 64), so -0.0 comes back as the integer 0.
/// sdk/go/common/resource/config/object.go (unmarshalObject, MarshalString) then turns a bool, an
/// integer or a float into text with Go's encoding/json (true, 16, 1000, 1e+21, 1e-7), a
/// timestamp into Go's time.Time.String(), and fails on .inf and .nan (json: unsupported value).
/// A null becomes "" (loaders.go, checkForEmptyConfig, which warns about it).</para>
/// <para>Written from those rules, not from the Go code.</para>
/// </remarks>
public static partial class PulumiYamlScalar
{
    public enum ScalarType { Null, Bool, Int, Float, Timestamp, String }

    /// <summary>The scalar's YAML type, the text the program receives, or why the Pulumi CLI cannot load it.</summary>
    public sealed record Result(ScalarType Type, string Text, string? Problem = null);

    private const string CoreTagPrefix = "tag:yaml.org,2002:";

    /// <summary>A config value: its text as written, whether it was plain (unquoted), and its explicit tag (null or "" when none).</summary>
    public static Result Read(string value, bool plain, string? tag)
    {
        tag = ShortTag(tag);
        // yaml.v3 decode.go (indicatedString): !!str, or no specific tag and a non-plain style.
        if (tag == "!!str" || (tag is "" or "!" && !plain)) return new(ScalarType.String, value);
        // decode.go (scalar): !!binary is base64, decoded to its bytes.
        if (tag == "!!binary") return Binary(value);
        // resolve.go (resolvableTag): any tag other than the core ones leaves the text as it is.
        if (tag.Length > 0 && tag is not ("!!bool" or "!!int" or "!!float" or "!!null" or "!!timestamp")) return new(ScalarType.String, value);

        var (type, resolved) = Resolve(value, tag);
        if (tag.Length > 0 && TagOf(type) != tag)
        {
            if (tag == "!!float" && type == ScalarType.Int) (type, resolved) = (ScalarType.Float, (double)(BigInteger)resolved!);
            else return new(type, value, $"is tagged {tag} but `{value}` is a {TagOf(type)} in YAML 1.2 (the Pulumi CLI refuses it: cannot decode {TagOf(type)} as a {tag}); remove the tag");
        }
        return type switch
        {
            ScalarType.Null => new(type, ""),
            ScalarType.Bool => new(type, (bool)resolved! ? "true" : "false"),
            ScalarType.Int => new(type, ((BigInteger)resolved!).ToString(CultureInfo.InvariantCulture)),
            ScalarType.Float => FloatText((double)resolved!, value),
            ScalarType.Timestamp => new(type, (string)resolved!),
            _ => new(ScalarType.String, value),
        };
    }

    private static Result Binary(string value)
    {
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(value.Replace("\r", "").Replace("\n", "")));
            return new(ScalarType.String, text);
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return new(ScalarType.String, value, "is tagged !!binary but is not base64 of UTF-8 text: remove the tag, or fix the base64");
        }
    }

    private static string ShortTag(string? tag)
    {
        if (string.IsNullOrEmpty(tag) || tag == "?") return "";
        return tag.StartsWith(CoreTagPrefix, StringComparison.Ordinal) ? "!!" + tag[CoreTagPrefix.Length..] : tag;
    }

    private static string TagOf(ScalarType t) => t switch
    {
        ScalarType.Null => "!!null",
        ScalarType.Bool => "!!bool",
        ScalarType.Int => "!!int",
        ScalarType.Float => "!!float",
        ScalarType.Timestamp => "!!timestamp",
        _ => "!!str",
    };

    /// <summary>
    /// yaml.v3 resolve.go, resolve(): the first character chooses what to try (sign, digit, one of
    /// yYnNtTfFoO~, '.'), the fixed words come from a table, then timestamp, integer, unsigned
    /// integer, float, and the 0b/0o forms in that order; anything else is a string.
    /// </summary>
    public static (ScalarType Type, object? Value) Resolve(string value, string tag = "")
    {
        var hint = value.Length == 0 ? 'N' : value[0] switch
        {
            '+' or '-' => 'S',
            >= '0' and <= '9' => 'D',
            'y' or 'Y' or 'n' or 'N' or 't' or 'T' or 'f' or 'F' or 'o' or 'O' or '~' => 'M',
            '.' => '.',
            _ => '\0',
        };
        if (hint == '\0') return (ScalarType.String, value);
        switch (value)
        {
            case "true" or "True" or "TRUE": return (ScalarType.Bool, true);
            case "false" or "False" or "FALSE": return (ScalarType.Bool, false);
            case "" or "~" or "null" or "Null" or "NULL": return (ScalarType.Null, null);
            case ".nan" or ".NaN" or ".NAN": return (ScalarType.Float, double.NaN);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF": return (ScalarType.Float, double.PositiveInfinity);
            case "-.inf" or "-.Inf" or "-.INF": return (ScalarType.Float, double.NegativeInfinity);
        }
        switch (hint)
        {
            case '.':
                // strconv.ParseFloat on the raw text; after a leading '.' only digits and an exponent can follow.
                if (DotFloatRegex().IsMatch(value) && GoParseFloat(value.Replace("_", ""), out var dot)) return (ScalarType.Float, dot);
                break;
            case 'D' or 'S':
                if ((tag is "" or "!!timestamp") && Timestamp(value) is { } time) return (ScalarType.Timestamp, time);
                var plain = value.Replace("_", "");
                if (GoParseInt(plain, 0, signed: true) is { } i) return (ScalarType.Int, i);
                if (GoParseInt(plain, 0, signed: false) is { } u) return (ScalarType.Int, u);
                if (YamlFloatRegex().IsMatch(plain) && GoParseFloat(plain, out var f)) return (ScalarType.Float, f);
                if (plain.StartsWith("0b", StringComparison.Ordinal))
                {
                    if ((GoParseInt(plain[2..], 2, signed: true) ?? GoParseInt(plain[2..], 2, signed: false)) is { } b) return (ScalarType.Int, b);
                }
                else if (plain.StartsWith("-0b", StringComparison.Ordinal))
                {
                    if (GoParseInt("-" + plain[3..], 2, signed: true) is { } b) return (ScalarType.Int, b);
                }
                if (plain.StartsWith("0o", StringComparison.Ordinal))
                {
                    if ((GoParseInt(plain[2..], 8, signed: true) ?? GoParseInt(plain[2..], 8, signed: false)) is { } o) return (ScalarType.Int, o);
                }
                else if (plain.StartsWith("-0o", StringComparison.Ordinal))
                {
                    if (GoParseInt("-" + plain[3..], 8, signed: true) is { } o) return (ScalarType.Int, o);
                }
                break;
        }
        return (ScalarType.String, value);
    }

    /// <summary>
    /// Go's strconv.ParseInt (signed) or ParseUint with the given base; base 0 reads a 0x, 0o, 0b
    /// or a bare leading 0 (octal) prefix. ParseUint takes no sign. Null when Go would return an error
    /// (a bad digit, nothing to read, or a value outside int64 or uint64).
    /// </summary>
    private static BigInteger? GoParseInt(string s, int @base, bool signed)
    {
        if (s.Length == 0) return null;
        var negative = false;
        if (signed && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
            if (s.Length == 0) return null;
        }
        if (@base == 0)
        {
            @base = 10;
            if (s[0] == '0')
            {
                if (s.Length >= 3 && char.ToLowerInvariant(s[1]) is 'b' or 'o' or 'x')
                {
                    @base = char.ToLowerInvariant(s[1]) switch { 'b' => 2, 'o' => 8, _ => 16 };
                    s = s[2..];
                }
                else
                {
                    @base = 8;
                    s = s[1..];
                }
            }
        }
        BigInteger n = 0;
        foreach (var c in s)
        {
            var d = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                >= 'A' and <= 'Z' => c - 'A' + 10,
                _ => 99,
            };
            if (d >= @base) return null;
            n = n * @base + d;
        }
        if (negative) n = -n;
        var (min, max) = signed ? ((BigInteger)long.MinValue, (BigInteger)long.MaxValue) : (BigInteger.Zero, (BigInteger)ulong.MaxValue);
        return n < min || n > max ? null : n;
    }

    /// <summary>strconv.ParseFloat for the decimal forms the callers let through: an overflow to infinity is an error in Go.</summary>
    private static bool GoParseFloat(string s, out double value) =>
        double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value);

    /// <summary>
    /// A float as the program receives it: encoding/json's text for a float64 (object.go
    /// MarshalString); -0 was written as "-0" and read back as the integer 0 on the way
    /// (loaders.go); infinities and NaN make encoding/json fail, so the Pulumi CLI cannot load the file.
    /// </summary>
    private static Result FloatText(double f, string written)
    {
        if (!double.IsFinite(f))
            return new(ScalarType.Float, written, $"is `{written}`, a YAML 1.2 float {(double.IsNaN(f) ? "NaN" : "infinity")}, which the Pulumi CLI cannot load (json: unsupported value); quote it if it is meant as text");
        if (f == 0) return new(ScalarType.Float, "0");
        return new(ScalarType.Float, GoJsonFloat(f));
    }

    /// <summary>Go's encoding/json float64 text: shortest digits, %f from 1e-6 up to 1e21, else %e with e-07 written e-7.</summary>
    public static string GoJsonFloat(double f)
    {
        if (f == 0) return double.IsNegative(f) ? "-0" : "0";
        var (digits, point) = ShortestDigits(Math.Abs(f));
        var abs = Math.Abs(f);
        var sb = new StringBuilder(f < 0 ? "-" : "");
        if (abs < 1e-6 || abs >= 1e21)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            var exp = point - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+');
            var e = Math.Abs(exp);
            // strconv writes at least two exponent digits; encoding/json then drops the 0 of e-0X.
            sb.Append(e < 10 && exp >= 0 ? "0" + e : e.ToString(CultureInfo.InvariantCulture));
        }
        else if (point <= 0)
            sb.Append("0.").Append('0', -point).Append(digits);
        else if (point >= digits.Length)
            sb.Append(digits).Append('0', point - digits.Length);
        else
            sb.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        return sb.ToString();
    }

    /// <summary>The shortest decimal digits that read back as <paramref name="f"/> (.NET's "R", as Go's -1 precision), and where the point goes.</summary>
    private static (string Digits, int Point) ShortestDigits(double f)
    {
        var r = f.ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOfAny(['E', 'e']);
        var exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = e < 0 ? r : r[..e];
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var point = (dot < 0 ? mantissa.Length : dot) + exponent;
        var lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        point -= lead;
        digits = digits.TrimEnd('0');
        return (digits, point);
    }

    /// <summary>
    /// yaml.v3 resolve.go, parseTimestamp: four digits and '-', then Go's time.Parse with one of
    /// 2006-1-2T15:4:5.999999999Z07:00, the same with a lower-case t, 2006-1-2 15:4:5.999999999, or
    /// 2006-1-2. The text is what time.Time.String() gives after the round trip (an offset of 0
    /// reads back as UTC; another offset is shown as Go shows a zone without a name; Go would show a
    /// zone name instead if the machine running pulumi is in a zone with that offset).
    /// </summary>
    private static string? Timestamp(string s)
    {
        var m = TimestampRegex().Match(s);
        if (!m.Success) return null;
        int Num(string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        var (year, month, day) = (Num("y"), Num("mo"), Num("d"));
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year == 0 ? 2000 : year, month)) return null;
        var hasTime = m.Groups["h"].Success;
        var (hour, minute, second) = hasTime ? (Num("h"), Num("mi"), Num("s")) : (0, 0, 0);
        if (hour > 23 || minute > 59 || second > 59) return null;
        var fraction = m.Groups["f"].Success ? m.Groups["f"].Value[1..] : "";
        var nanos = fraction.Length == 0 ? "" : (fraction.Length > 9 ? fraction[..9] : fraction).PadRight(9, '0').TrimEnd('0');
        var offsetMinutes = 0;
        if (m.Groups["z"].Success && m.Groups["z"].Value != "Z")
        {
            var z = m.Groups["z"].Value;
            var (zh, zm) = (int.Parse(z[1..3], CultureInfo.InvariantCulture), int.Parse(z[4..6], CultureInfo.InvariantCulture));
            offsetMinutes = (z[0] == '-' ? -1 : 1) * (zh * 60 + zm);
        }
        var zone = offsetMinutes == 0 ? "+0000 UTC" : $"{(offsetMinutes < 0 ? '-' : '+')}{Math.Abs(offsetMinutes) / 60:00}{Math.Abs(offsetMinutes) % 60:00}";
        if (offsetMinutes != 0) zone += " " + zone;
        return $"{year:0000}-{month:00}-{day:00} {hour:00}:{minute:00}:{second:00}{(nanos.Length > 0 ? "." + nanos : "")} {zone}";
    }

    [GeneratedRegex(@"^\.[0-9]+([eE][-+]?[0-9]+)?\z")]
    private static partial Regex DotFloatRegex();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\z")]
    private static partial Regex YamlFloatRegex();

    // 2006-1-2; or with T or t, 15:4:5, an optional fraction and a required Z or ±hh:mm; or with a space, 15:4:5 and an optional fraction, no zone.
    [GeneratedRegex(@"^(?<y>[0-9]{4})-(?<mo>[0-9]{1,2})-(?<d>[0-9]{1,2})(?:[Tt](?<h>[0-9]{1,2}):(?<mi>[0-9]{1,2}):(?<s>[0-9]{1,2})(?<f>[.,][0-9]+)?(?<z>Z|[+-][0-9]{2}:[0-9]{2})| (?<h>[0-9]{1,2}):(?<mi>[0-9]{1,2}):(?<s>[0-9]{1,2})(?<f>[.,][0-9]+)?)?\z")]
    private static partial Regex TimestampRegex();
}
