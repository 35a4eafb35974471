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

    /// <summary>ztnet:domain: a DNS name, or an IPv4 address (dotted quad) for a LAN stack; whether ACME allows it is checked across settings.</summary>
    public static string? Domain(string v) =>
        IsIPv4(v) ? null
        : IPAddress.TryParse(v, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? "must be a DNS name or an IPv4 address: an IPv6 address is not supported here (URLs would need [brackets])"
        : Hostname(v);

    /// <summary>Four decimal parts, as Caddy and browsers write an IPv4 host; IPAddress.TryParse alone would take "10.1" or "0x0a000001".</summary>
    public static bool IsIPv4(string v) =>
        v.Count(c => c == '.') == 3 && v.All(c => c == '.' || char.IsAsciiDigit(c))
        && IPAddress.TryParse(v, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork && ip.ToString() == v;

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

    /// <summary>
    /// Exactly as Pulumi's own Config.GetBoolean reads a value (pulumi/pulumi-dotnet
    /// sdk/Pulumi/Config.cs, GetBooleanImpl: "true" is true, "false" is false, anything else
    /// throws ConfigTypeException), so the program and the render command agree with Pulumi.
    /// </summary>
    public static string? Boolean(string v, out bool value)
    {
        value = false;
        switch (v)
        {
            case "true": value = true; return null;
            case "false": return null;
            default:
                return v.Trim().ToLowerInvariant() is "true" or "false"
                    ? "must be true or false in lower case, as Pulumi's Config.GetBoolean reads it"
                    : "must be true or false";
        }
    }

    public static string? UserName(string v) =>
        UserRegex().IsMatch(v) ? null : "must be a Linux user name: a lower-case letter or _, then up to 31 lower-case letters, digits, _ or -";

    public static string? DataDirectory(string v)
    {
        if (v.Length > 200) return "must be at most 200 characters";
        if (!PathRegex().IsMatch(v)) return "must be an absolute path of letters, digits, '.', '_', '-' and '/', without a trailing '/'";
        var segments = v.Split('/')[1..];
        if (segments.Any(s => s is "" or "." or "..")) return "must not hold empty, '.' or '..' parts";
        var rule = DataDirectoryRules.Refusing(v);
        return rule is null ? null : DataDirectoryRules.Problem(v, rule);
    }

    public static string? Image(string v)
    {
        if (v.Length > 255) return "must be at most 255 characters";
        var m = ImageRegex().Match(v);
        if (!m.Success) return "must be a fully qualified image reference: registry/path:tag or registry/path@sha256:digest, in lower case";
        var last = v[(v.LastIndexOf('/') + 1)..];
        var at = last.IndexOf('@');
        var digest = at >= 0;
        var nameAndTag = digest ? last[..at] : last;
        var colon = nameAndTag.IndexOf(':');
        var tag = colon < 0 ? null : nameAndTag[(colon + 1)..];
        if (digest) return null;
        if (tag is null) return "must be pinned: name a tag other than latest (a release, such as :1.2.3) or a digest (@sha256:...); without a tag podman takes :latest";
        // latest moves with every release: the stack would run whatever was newest on the day of each pull,
        // a database image could change major version under its data, and the README promises pinned images.
        // Registries compare tags exactly; any spelling of latest is refused as the same intent.
        if (tag.Equals("latest", StringComparison.OrdinalIgnoreCase))
            return $"must be pinned: :{tag} moves with every release, so what runs would depend on the day of the pull; name a release tag (such as :1.2.3) or a digest (@sha256:...)";
        return null;
    }

    /// <summary>The PostgreSQL major this stack runs: ZTNet's image ships its client, and a data directory is tied to one major.</summary>
    public const string PostgresMajor = "15";

    /// <summary>A PostgreSQL image: the repository is named postgres, and a tag names major 15 (a digest alone is checked on the host).</summary>
    public static string? PostgresImage(string v)
    {
        var at = v.IndexOf('@');
        var name = at < 0 ? v : v[..at];
        var slash = name.LastIndexOf('/');
        var colon = name.IndexOf(':', slash + 1);
        var repository = colon < 0 ? name[(slash + 1)..] : name[(slash + 1)..colon];
        if (repository != "postgres")
            return "must be a PostgreSQL image: a repository named postgres (the database container runs the official image's entrypoint)";
        if (colon < 0) return null;
        var tag = name[(colon + 1)..];
        var major = new string(tag.TakeWhile(char.IsAsciiDigit).ToArray());
        if (major != PostgresMajor)
            return $"must be PostgreSQL {PostgresMajor} (the tag says {(major.Length == 0 ? "no version" : major)}): a data directory cannot move to another major version in place; upgrade with a dump and restore (README, 'PostgreSQL upgrades and dumps')";
        return null;
    }

    /// <summary>
    /// An OnCalendar= expression (systemd.time(7): daily, hourly, "Mon..Fri *-*-* 03:00:00",
    /// "*:0/15", with an optional time zone) or "off". The characters are checked here; the
    /// backups step has the host's `systemd-analyze calendar` parse it before anything is written.
    /// </summary>
    public static string? Schedule(string v)
    {
        const string problem = "must be off or a systemd OnCalendar= expression (daily, hourly, weekly, \"*-*-* 03:30:00\", \"Mon *-*-* 04:00:00\"; see man systemd.time)";
        if (v == "off" || CalendarShorthands.Contains(v)) return null;
        if (v.Length > 100 || !ScheduleRegex().IsMatch(v)) return problem;
        // Tokens: weekdays, then date and/or time, then an optional time zone (systemd.time(7), "CALENDAR EVENTS").
        var tokens = v.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i];
            var ok = WeekdaysRegex().IsMatch(t) || DateTimeRegex().IsMatch(t) || (i == tokens.Length - 1 && i > 0 && TimeZoneRegex().IsMatch(t));
            if (!ok) return problem;
        }
        return null;
    }

    private static readonly HashSet<string> CalendarShorthands = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually"];

    /// <summary>
    /// A restic repository as `restic -r` takes it (restic doc 030_preparing_a_new_repo: a local
    /// path, or local:, sftp:, rest:, s3:, b2:, azure:, gs:, swift:, rclone:). One line, no option
    /// (a leading '-'), and no password inside a URL: that would sit in the stack file in plain text
    /// and on the host's command lines; restic reads RESTIC_REST_USERNAME/PASSWORD instead.
    /// </summary>
    public static string? ResticRepository(string v)
    {
        if (v.Length is 0 or > 500 || v.Any(char.IsControl) || v.Trim() != v)
            return "must be one line of 1 to 500 characters without surrounding spaces";
        if (v.StartsWith('-')) return "must not start with '-'";
        if (CredentialInUrlRegex().IsMatch(v))
            return "holds a user:password in its URL, which would be stored and shown in plain text; put RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD (or the backend's own variables) into ztnet:backupRepositoryEnvironment instead";
        var scheme = RepositorySchemeRegex().Match(v);
        if (scheme.Success)
            return KnownRepositorySchemes.Contains(scheme.Groups[1].Value) ? null : $"names the backend {scheme.Groups[1].Value}:, which restic does not have (local, sftp, rest, s3, b2, azure, gs, swift, rclone)";
        return v.StartsWith('/') ? null : "must be an absolute path or a restic backend URL such as sftp:user@host:/path, s3:https://host/bucket, rest:https://host/";
    }

    /// <summary>ztnet:restoreFrom: restic:latest, restic:SNAPSHOT-ID, file:PATH or host:/PATH to an archive.</summary>
    public static string? RestoreSource(string v) => Settings.RestoreSource.Problem(v);

    private static readonly HashSet<string> KnownRepositorySchemes = ["local", "sftp", "rest", "s3", "b2", "azure", "gs", "swift", "rclone"];

    /// <summary>The directory of a repository on this host's own file system (a plain path or local:PATH), else null.</summary>
    public static string? LocalRepositoryPath(string v)
    {
        var path = v.StartsWith("local:", StringComparison.Ordinal) ? v["local:".Length..] : v;
        return path.StartsWith('/') ? path.TrimEnd('/') : null;
    }

    /// <summary>
    /// ztnet:acmeEmail: one plain address (local part of the characters RFC 5322's dot-atom allows,
    /// less the quotes, backtick, dollar sign, pipe and apostrophe; @ a DNS name with a dot). Caddy passes it
    /// to the CA as the account's mailto: contact (caddytls/acmeissuer.go, Email).
    /// </summary>
    public static string? Email(string v)
    {
        const string problem = "must be one e-mail address, such as admin@example.org";
        if (v.Length > 254) return problem + " (at most 254 characters)";
        var at = v.LastIndexOf('@');
        if (at <= 0 || at > 64 || !EmailLocalRegex().IsMatch(v[..at])) return problem;
        var domain = v[(at + 1)..];
        return Hostname(domain) is null && domain.Contains('.') ? null : problem;
    }

    /// <summary>Let's Encrypt's staging directory: ztnet:acmeCa staging.</summary>
    public const string LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory";

    /// <summary>ztnet:acmeCa: "staging", or an https:// directory URL (host a DNS name or IPv4 address, optional port and path), nothing Caddy or a shell would read otherwise.</summary>
    public static string? AcmeDirectory(string v)
    {
        const string problem = "must be staging or an https:// ACME directory URL, such as https://ca.example.lan/acme/acme/directory";
        if (v == "staging") return null;
        if (v.Length > 500 || !AcmeUrlRegex().IsMatch(v)) return problem;
        if (!Uri.TryCreate(v, UriKind.Absolute, out var uri) || uri.Scheme != "https" || !string.IsNullOrEmpty(uri.UserInfo)) return problem;
        var host = uri.Host;
        return IsIPv4(host) || Hostname(host) is null ? null : problem;
    }

    /// <summary>
    /// ztnet:acmeCaRoot's content: one or more PEM CERTIFICATE blocks and nothing else, each an
    /// X.509 certificate .NET can read, at most 64 KiB. Returned in one form (LF line ends, one
    /// trailing newline) so the same certificates give the same bytes on the host.
    /// </summary>
    public static string? CertificatePem(string v, out string normalised)
    {
        normalised = "";
        const string problem = "must be PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----) and nothing else";
        if (v.Length > 65536) return "must be at most 64 KiB of PEM";
        var text = v.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        var blocks = PemBlockRegex().Matches(text);
        if (blocks.Count == 0 || PemBlockRegex().Replace(text, "").Trim().Length > 0) return problem;
        var sb = new StringBuilder();
        foreach (Match b in blocks)
        {
            var body = b.Groups[1].Value.Replace("\n", "", StringComparison.Ordinal).Trim();
            var der = new byte[body.Length];
            if (!Convert.TryFromBase64String(body, der, out var length)) return problem + ": a block is not valid base64";
            try
            {
                using var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der.AsSpan(0, length));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                return problem + ": a block is not an X.509 certificate";
            }
            sb.Append("-----BEGIN CERTIFICATE-----\n");
            var b64 = Convert.ToBase64String(der, 0, length);
            for (var i = 0; i < b64.Length; i += 64) sb.Append(b64.AsSpan(i, Math.Min(64, b64.Length - i))).Append('\n');
            sb.Append("-----END CERTIFICATE-----\n");
        }
        normalised = sb.ToString();
        return null;
    }

    /// <summary>Whether an ztnet:acmeCaRoot value is PEM text (else it names a file on the workstation).</summary>
    public static bool IsInlinePem(string v) => v.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal);

    public static string? HttpPath(string v) =>
        v.Length <= 200 && HttpPathRegex().IsMatch(v) ? null : "must be an absolute URL path of letters, digits and '/', '.', '_', '~', '-'";

    public static string? SshHostKey(string v)
    {
        if (v.Length > 16384) return "must be at most 16384 characters";
        if (!HostKeyRegex().IsMatch(v)) return "must be one public host key line: key type, a space and the base64 key (as in /etc/ssh/ssh_host_ed25519_key.pub), without a host name in front";
        return HostKeyBlob(v);
    }

    public const string RsaHostKeyType = "ssh-rsa";

    /// <summary>
    /// What the provider does with the line: pulumi-command v1.2.1
    /// (provider/pkg/provider/remote/connection.go) parses it with ssh.ParseAuthorizedKey
    /// (golang.org/x/crypto/ssh keys.go), which fails on a blob that does not decode, is cut short,
    /// has bytes after the key, or whose inner type is not the declared one (every step would then
    /// fail during `up` while `preview` passes): <see cref="SshPublicKey"/> reads it the same way.
    /// It then offers only that key's algorithm (HostKeyAlgorithms = [key.Type()]).
    /// </summary>
    private static string? HostKeyBlob(string v)
    {
        var parts = v.Split(' ');
        var (declared, base64) = (parts[0], parts[1]);
        var blob = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, blob, out var length))
            return "the key after the type is not valid base64: copy the whole line of /etc/ssh/ssh_host_ed25519_key.pub from the server";
        var problem = SshPublicKey.Check(declared, blob[..length]);
        if (problem is not null) return problem;
        if (declared == RsaHostKeyType)
            return "is an ssh-rsa key: with it the SSH provider offers only the SHA-1 ssh-rsa signature, which OpenSSH 8.8 and later refuse by default, "
                + "so every step would fail to connect. Pin the host's ed25519 or ECDSA key instead: the line of /etc/ssh/ssh_host_ed25519_key.pub "
                + "(or ssh_host_ecdsa_key.pub) on the server";
        return null;
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

    [GeneratedRegex(@"^[A-Za-z0-9*:/.,~+_][A-Za-z0-9*:/.,~+_ -]*\z")]
    private static partial Regex ScheduleRegex();

    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*((\.\.|,)(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*)*\z")]
    private static partial Regex WeekdaysRegex();

    [GeneratedRegex(@"^[0-9*][0-9*:/.,~+-]*\z")]
    private static partial Regex DateTimeRegex();

    [GeneratedRegex(@"^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+)+)\z")]
    private static partial Regex TimeZoneRegex();

    [GeneratedRegex(@"://[^/@\s]*:[^/@\s]*@")]
    private static partial Regex CredentialInUrlRegex();

    [GeneratedRegex(@"^([a-z0-9]+):")]
    private static partial Regex RepositorySchemeRegex();

    [GeneratedRegex(@"^[A-Za-z0-9!#%&*+/=?^_{}~-]+(\.[A-Za-z0-9!#%&*+/=?^_{}~-]+)*\z")]
    private static partial Regex EmailLocalRegex();

    [GeneratedRegex(@"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?\z")]
    private static partial Regex AcmeUrlRegex();

    [GeneratedRegex(@"-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=\n ]+?)-----END CERTIFICATE-----")]
    private static partial Regex PemBlockRegex();
}
