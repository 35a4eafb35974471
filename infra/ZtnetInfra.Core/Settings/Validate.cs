using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace ZtnetInfra.Core.Settings;

/// <summary>Checks for single values. Each returns null when the value is good, else the problem.</summary>
internal static partial class Validate
{
    public static string? Hostname(string v)
    {
        if (v.Length is 0 or > 253) return "must be a DNS name of 1 to 253 characters";
        var labels = v.Split('.');
        foreach (var l in labels)
        {
            if (!LabelRegex().IsMatch(l)) return "must be a DNS name: labels of letters, digits and inner hyphens, separated by dots";
        }
        if (labels[^1].All(char.IsAsciiDigit)) return "must be a DNS name, not a number";
        return null;
    }

    public static string? HostOrAddress(string v)
    {
        if (IPAddress.TryParse(v, out var ip) && (ip.AddressFamily == AddressFamily.InterNetworkV6 ? !v.Contains('%') : v.Count(c => c == '.') == 3))
            return null;
        return Hostname(v) is null ? null : "must be a DNS name or an IP address";
    }

    public static string? Port(string v, out int port)
    {
        port = 0;
        if (!AsciiDigitsRegex().IsMatch(v) || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            return "must be a port number from 1 to 65535";
        return null;
    }

    public static string? Integer(string v, int min, int max, out int value)
    {
        value = 0;
        if (!AsciiDigitsRegex().IsMatch(v) || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < min || value > max)
            return $"must be a whole number from {min} to {max}";
        return null;
    }

    public static string? Boolean(string v, out bool value)
    {
        value = false;
        switch (v)
        {
            case "true": value = true; return null;
            case "false": return null;
            default: return "must be true or false";
        }
    }

    public static string? UserName(string v) =>
        UserRegex().IsMatch(v) ? null : "must be a Linux user name: a lower-case letter or _, then up to 31 lower-case letters, digits, _ or -";

    private static readonly string[] SystemDirectories =
    [
        "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/media", "/mnt", "/opt", "/proc", "/root", "/run",
        "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var", "/var/lib", "/var/tmp",
    ];

    public static string? DataDirectory(string v)
    {
        if (v.Length > 200) return "must be at most 200 characters";
        if (!PathRegex().IsMatch(v)) return "must be an absolute path of letters, digits, '.', '_', '-' and '/', without a trailing '/'";
        var segments = v.Split('/')[1..];
        if (segments.Any(s => s is "" or "." or "..")) return "must not hold empty, '.' or '..' parts";
        if (SystemDirectories.Contains(v)) return "must be a directory of its own, not a system directory (a purge removes it whole)";
        var volatileRoot = VolatileDirectories.FirstOrDefault(p => v == p || v.StartsWith(p + "/", StringComparison.Ordinal));
        if (volatileRoot is not null)
            return $"must not be under {volatileRoot}: that place is emptied at boot or is not a real directory, and the database and the ZeroTier identity would be lost";
        return null;
    }

    // Emptied at boot (tmpfs on systemd hosts) or kernel file systems: never a place for data.
    // /var/run and /var/lock are links into /run.
    private static readonly string[] VolatileDirectories = ["/run", "/var/run", "/var/lock", "/tmp", "/var/tmp", "/dev", "/proc", "/sys"];

    public static string? Image(string v)
    {
        if (v.Length > 255) return "must be at most 255 characters";
        var m = ImageRegex().Match(v);
        if (!m.Success) return "must be a fully qualified image reference: registry/path:tag or registry/path@sha256:digest, in lower case";
        var last = v[(v.LastIndexOf('/') + 1)..];
        if (!last.Contains(':') && !last.Contains('@')) return "must be pinned: name a tag or a digest";
        return null;
    }

    public static string? HttpPath(string v) =>
        v.Length <= 200 && HttpPathRegex().IsMatch(v) ? null : "must be an absolute URL path of letters, digits and '/', '.', '_', '~', '-'";

    public static string? SshHostKey(string v)
    {
        if (v.Length > 16384) return "must be at most 16384 characters";
        return HostKeyRegex().IsMatch(v) ? null : "must be one public host key line: key type, a space and the base64 key (as in /etc/ssh/ssh_host_ed25519_key.pub), without a host name in front";
    }

    /// <summary>A value as it may be shown back to the user: short, one line, control characters escaped.</summary>
    public static string Show(string v)
    {
        var sb = new StringBuilder();
        foreach (var c in v.Take(60))
        {
            if (char.IsControl(c)) sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        if (v.Length > 60) sb.Append($"... ({v.Length} characters)");
        return sb.ToString();
    }

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\z")]
    private static partial Regex LabelRegex();

    [GeneratedRegex(@"^[0-9]{1,5}\z")]
    private static partial Regex AsciiDigitsRegex();

    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\z")]
    private static partial Regex UserRegex();

    [GeneratedRegex(@"^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]\z")]
    private static partial Regex PathRegex();

    // registry (with a dot or a port, or localhost) / path components : tag and/or @sha256:digest
    [GeneratedRegex(@"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+(?::[0-9]{1,5})?|localhost(?::[0-9]{1,5})?)(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?\z")]
    private static partial Regex ImageRegex();

    [GeneratedRegex(@"^/[A-Za-z0-9._~/-]*\z")]
    private static partial Regex HttpPathRegex();

    [GeneratedRegex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+={0,3}( [\\x21-\\x7e][\\x20-\\x7e]*)?\\z")]
    private static partial Regex HostKeyRegex();
}
