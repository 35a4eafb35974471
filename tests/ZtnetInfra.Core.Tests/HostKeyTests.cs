using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// A pinned host key must be one the SSH provider can use: pulumi-command v1.2.1 parses it with
/// ssh.ParseAuthorizedKey and offers only its algorithm (provider/pkg/provider/remote/connection.go).
/// A key it cannot parse fails every step during `up` while `preview` passes, so it is refused here.
/// </summary>
public class HostKeyTests
{
    public const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo";
    public const string Ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBApIAzqaxEVcYIU03Y6nX007bY+rmC+324YouWpzUIN5EjgNV9VzNE+ayJJ5cXNjwjxPnlYnrRXXYLuQXxYrw6Y=";
    public const string Rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDFr2K2D/YcM81mvwyoaxRiEKo1K+6RpygHgB3iJGpahWb/PB2DoahXESGnk+1JF/fWXPLYZO4u+LFKxLUVl+b1jyQE3N45//w5Svb8Ed1OlYBndg58K2+tmaaM9wOHHsFXg4xGe8YV9X9CrTEFy3COzTVHCc0w44CWhk+6dHwfBw==";

    public static TheoryData<string> KeySettings => new() { "sshHostKey", "bastionHostKey" };

    [Theory]
    [InlineData(Ed25519)]
    [InlineData(Ed25519 + " root@server")]
    [InlineData(Ecdsa)]
    public void An_ed25519_or_ecdsa_line_from_the_server_is_accepted(string key)
    {
        var settings = SettingsReader.Read(Stacks.With(("sshHostKey", key), ("bastionHost", "jump.example.org"), ("bastionHostKey", key)));

        Assert.Equal(key, settings.SshHostKey);
        Assert.Equal(key, settings.BastionHostKey);
    }

    [Theory]
    [MemberData(nameof(KeySettings))]
    public void Base64_that_does_not_decode_is_refused(string setting)
    {
        // The pattern allows it (base64 letters only), but 5 characters cannot decode.
        var e = SingleError(setting, "ssh-ed25519 AAAAC");

        Assert.Contains("not valid base64", e.Problem);
        Assert.Contains("/etc/ssh/ssh_host_ed25519_key.pub", e.Problem);
    }

    [Theory]
    [MemberData(nameof(KeySettings))]
    public void A_blob_whose_inner_type_is_not_the_declared_type_is_refused(string setting)
    {
        // An ECDSA key labelled as ed25519: the prefix `ssh-ed25519 AAAA` alone used to pass.
        var e = SingleError(setting, "ssh-ed25519 " + Ecdsa.Split(' ')[1]);

        Assert.Contains("the line says ssh-ed25519 but the key itself is ecdsa-sha2-nistp256", e.Problem);
    }

    [Theory]
    [MemberData(nameof(KeySettings))]
    public void Base64_that_is_no_ssh_key_blob_is_refused(string setting)
    {
        // "ssh-ed25519 AAAA" decodes to three zero bytes: no room for a type.
        Assert.Contains("not an SSH public key", SingleError(setting, "ssh-ed25519 AAAA").Problem);
        // A length prefix larger than the blob.
        Assert.Contains("not an SSH public key", SingleError(setting, "ssh-ed25519 AAAAIHNzaC1lZDI1NTE5").Problem);
    }

    [Theory]
    [MemberData(nameof(KeySettings))]
    public void An_rsa_host_key_is_refused_with_the_reason_and_the_fix(string setting)
    {
        var e = SingleError(setting, Rsa);

        Assert.Contains("SHA-1 ssh-rsa", e.Problem);
        Assert.Contains("OpenSSH 8.8 and later refuse", e.Problem);
        Assert.Contains("ed25519 or ECDSA key", e.Problem);
        Assert.Contains("/etc/ssh/ssh_host_ed25519_key.pub", e.Problem);
        Assert.StartsWith("ssh-ed25519 ", e.Example);
    }

    private static SettingError SingleError(string setting, string key)
    {
        var config = Stacks.With((setting, key));
        if (setting == "bastionHostKey") config["ztnet:bastionHost"] = ConfigValue.Plain("jump.example.org");
        var (settings, errors) = SettingsReader.TryRead(config);

        Assert.Null(settings);
        var e = Assert.Single(errors);
        Assert.Equal("ztnet:" + setting, e.Key);
        return e;
    }
}

/// <summary>
/// The blob is read field by field as golang.org/x/crypto/ssh's ParsePublicKey reads it (ssh/keys.go,
/// reached from pulumi-command's connection.go through ssh.ParseAuthorizedKey): a key cut short, with
/// bytes after it, or with a field of the wrong size is refused offline, naming the key.
/// </summary>
public class HostKeyBlobTests
{
    private static byte[] Blob(string line) => Convert.FromBase64String(line.Split(' ')[1]);

    private static byte[] Field(byte[] bytes) => [.. BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)bytes.Length)), .. bytes];

    private static byte[] Field(string text) => Field(System.Text.Encoding.ASCII.GetBytes(text));

    private static string Line(string type, byte[] blob) => $"{type} {Convert.ToBase64String(blob)}";

    /// <summary>The ECDSA test key's point field (length and bytes).</summary>
    private static byte[] EcdsaPoint()
    {
        var blob = Blob(HostKeyTests.Ecdsa);
        // type string (4 + 19), curve string (4 + 8), then the point string (4 + 65)
        return blob[(4 + 19 + 4 + 8)..];
    }

    private static byte[] Ed25519Key() => Blob(HostKeyTests.Ed25519)[(4 + 11 + 4)..];

    public static TheoryData<string, string, string> Refused => new()
    {
        // Bytes after a complete key: "ssh: trailing junk in public key".
        { "sshHostKey", Line("ssh-ed25519", [.. Blob(HostKeyTests.Ed25519), 0, 0, 0, 0]), "4 bytes after its last field" },
        { "bastionHostKey", Line("ecdsa-sha2-nistp256", [.. Blob(HostKeyTests.Ecdsa), 1]), "1 byte after its last field" },
        // Cut short: the 32-byte key's length says more than is there.
        { "sshHostKey", Line("ssh-ed25519", Blob(HostKeyTests.Ed25519)[..^3]), "cut short" },
        { "sshHostKey", Line("ssh-ed25519", [.. Field("ssh-ed25519")]), "cut short" },
        // A complete field of the wrong size.
        { "sshHostKey", Line("ssh-ed25519", [.. Field("ssh-ed25519"), .. Field(new byte[31])]), "31 bytes, an Ed25519 key is 32" },
        // ECDSA: curve name, point length, point on the curve.
        { "sshHostKey", Line("ecdsa-sha2-nistp256", [.. Field("ecdsa-sha2-nistp256"), .. Field("nistp384"), .. EcdsaPoint()]), "its curve is nistp384, the type says nistp256" },
        { "sshHostKey", Line("ecdsa-sha2-nistp384", [.. Field("ecdsa-sha2-nistp384"), .. Field("nistp384"), .. EcdsaPoint()]), "an uncompressed nistp384 point is 97" },
        { "sshHostKey", Line("ecdsa-sha2-nistp256", Blob(HostKeyTests.Ecdsa)[..^10]), "cut short" },
        { "sshHostKey", Line("ecdsa-sha2-nistp256", [.. Field("ecdsa-sha2-nistp256"), .. Field("nistp256"), .. Field([4, .. new byte[64]])]), "not on the curve" },
        { "sshHostKey", Line("ecdsa-sha2-nistp256", OffCurve()), "not on the curve" },
        // RSA: e and n are mpints; a key cut in its modulus is refused as such, before the SHA-1 refusal.
        { "sshHostKey", Line("ssh-rsa", Blob(HostKeyTests.Rsa)[..^20]), "its modulus is missing or incomplete" },
        { "sshHostKey", Line("ssh-rsa", [.. Field("ssh-rsa"), .. Field([2]), .. Field([0x00, 0xC5, 0x01])]), "exponent" },
        // Security-key types end with the application string.
        { "sshHostKey", Line("sk-ssh-ed25519@openssh.com", [.. Field("sk-ssh-ed25519@openssh.com"), .. Field(Ed25519Key())]), "application string" },
        { "sshHostKey", Line("sk-ecdsa-sha2-nistp256@openssh.com", [.. Field("sk-ecdsa-sha2-nistp256@openssh.com"), .. Field("nistp256"), .. EcdsaPoint()]), "application string" },
    };

    private static byte[] OffCurve()
    {
        var blob = Blob(HostKeyTests.Ecdsa);
        blob[^1] ^= 1; // the last byte of Y
        return blob;
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_key_the_provider_cannot_parse_is_refused_naming_the_setting(string setting, string line, string problem)
    {
        var config = Stacks.With((setting, line));
        if (setting == "bastionHostKey") config["ztnet:bastionHost"] = ConfigValue.Plain("jump.example.org");

        var (settings, errors) = SettingsReader.TryRead(config);

        Assert.Null(settings);
        var e = Assert.Single(errors);
        Assert.Equal("ztnet:" + setting, e.Key);
        Assert.Contains(problem, e.Problem);
        Assert.StartsWith("ssh-ed25519 ", e.Example);
    }

    [Fact]
    public void Complete_security_key_lines_are_accepted()
    {
        foreach (var line in new[]
        {
            Line("sk-ssh-ed25519@openssh.com", [.. Field("sk-ssh-ed25519@openssh.com"), .. Field(Ed25519Key()), .. Field("ssh:")]),
            Line("sk-ecdsa-sha2-nistp256@openssh.com", [.. Field("sk-ecdsa-sha2-nistp256@openssh.com"), .. Field("nistp256"), .. EcdsaPoint(), .. Field("ssh:")]),
        })
        {
            Assert.Empty(SettingsReader.TryRead(Stacks.With(("sshHostKey", line + " host"))).Errors);
        }
    }

    [Fact]
    public void A_complete_rsa_key_is_still_refused_for_its_sha1_signature()
    {
        var e = Assert.Single(SettingsReader.TryRead(Stacks.With(("sshHostKey", HostKeyTests.Rsa))).Errors);

        Assert.Contains("SHA-1 ssh-rsa", e.Problem);
    }
}
