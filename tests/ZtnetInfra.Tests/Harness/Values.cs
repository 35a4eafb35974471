using System.Collections;
using System.Collections.Immutable;
using System.Text;
using Pulumi;

namespace ZtnetInfra.Tests.Harness;

public static class Values
{
    /// <summary>The value of an output of a finished (non-preview) run.</summary>
    public static async Task<T> Of<T>(Output<T> output)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        output.Apply(v => { done.TrySetResult(v); return v; });
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public static Task<T> Of<T>(Input<T> input) => Of(input.ToOutput());

    public static Task<bool> IsSecret<T>(Input<T> input) => Output.IsSecretAsync(input.ToOutput());

    /// <summary>Inputs as one text with sorted keys: equal text, equal inputs.</summary>
    public static string Canonical(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case string s:
                sb.Append('"').Append(s.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
                break;
            case IDictionary d:
                sb.Append('{');
                foreach (var key in d.Keys.Cast<object>().Select(k => k.ToString()!).Order(StringComparer.Ordinal))
                {
                    sb.Append('"').Append(key).Append("\":");
                    Write(sb, d[key]);
                    sb.Append(',');
                }
                sb.Append('}');
                break;
            case IEnumerable e:
                sb.Append('[');
                foreach (var item in e)
                {
                    Write(sb, item);
                    sb.Append(',');
                }
                sb.Append(']');
                break;
            case IFormattable f:
                sb.Append(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                sb.Append(value);
                break;
        }
    }

    /// <summary>Every string anywhere inside a (nested) input value.</summary>
    public static IEnumerable<string> Strings(object? value) => value switch
    {
        string s => [s],
        IDictionary d => d.Values.Cast<object?>().SelectMany(Strings),
        IEnumerable e => e.Cast<object?>().SelectMany(Strings),
        _ => [],
    };

    public static ImmutableDictionary<string, object> Map(object value) =>
        ((IDictionary<string, object>)value).ToImmutableDictionary();
}
