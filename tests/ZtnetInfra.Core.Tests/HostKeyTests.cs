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
