using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// Settings the host would refuse mid-apply, or that would land wrongly, are refused offline with
/// the key, the problem and a fix (issue 21): ports compared after defaults, data directories in
/// homes or system places, images not pinned, and settings written under another namespace.
/// Their allowed neighbours stay allowed.
/// </summary>
public class SettingRefusalTests
{
    private static IReadOnlyList<SettingError> Errors(params (string Key, string Value)[] values) =>
        SettingsReader.TryRead(Stacks.With(values)).Errors;

    private static SettingError SingleError(params (string Key, string Value)[] values) => Assert.Single(Errors(values));

    // Ports: a key left out counts with its default.

    [Theory]
    [InlineData("httpPort", "79")]
    [InlineData("httpsPort", "1")]
    [InlineData("zerotierPort", "22")]
    public void A_published_port_below_80_is_refused_unless_allowed_by_name(string key, string port)
    {
        var e = SingleError((key, port));

        Assert.Equal("ztnet:" + key, e.Key);
        Assert.Contains("below 80", e.Problem);
        Assert.Contains("pulumi config set ztnet:allowPortsBelow80 true", e.Problem);
        Assert.Empty(Errors((key, port), ("allowPortsBelow80", "true")));
        Assert.Equal(int.Parse(port), SettingsReader.Read(Stacks.With((key, port), ("allowPortsBelow80", "true"))).LowestPublishedPort);
    }

    [Theory]
    [InlineData("httpPort", "80")]
    [InlineData("httpPort", "81")]
    [InlineData("zerotierPort", "99")]
    public void Ports_from_80_up_need_no_permission(string key, string port)
    {
        Assert.Empty(Errors((key, port)));
    }

    [Fact]
    public void Http_port_443_with_the_default_https_port_is_refused_naming_httpPort()
    {
        var e = SingleError(("httpPort", "443"));

        Assert.Equal("ztnet:httpPort", e.Key);
        Assert.Contains("ztnet:httpsPort also is by default", e.Problem);
        Assert.Equal("pulumi config set ztnet:httpPort 80", e.Example);
    }

    [Fact]
    public void Https_port_80_with_the_default_http_port_is_refused_naming_httpsPort()
    {
        var e = SingleError(("httpsPort", "80"));

        Assert.Equal("ztnet:httpsPort", e.Key);
        Assert.Contains("ztnet:httpPort also is by default", e.Problem);
    }

    [Theory]
    [InlineData("sshPort", "443", "ztnet:httpsPort")]
    [InlineData("sshPort", "80", "ztnet:httpPort")]
    public void A_web_port_on_the_ssh_port_is_refused_naming_the_web_port(string key, string value, string blamed)
    {
        var e = SingleError((key, value));

        Assert.Equal(blamed, e.Key);
        Assert.Contains("sshd holds that TCP port", e.Problem);
        Assert.Contains("ztnet:sshPort", e.Problem);
    }

    [Fact]
    public void A_web_port_set_to_the_default_ssh_port_is_refused()
    {
        var e = SingleError(("httpPort", "22"), ("tlsMode", "internal"), ("allowPortsBelow80", "true"));

        Assert.Equal("ztnet:httpPort", e.Key);
        Assert.Contains("ztnet:sshPort", e.Problem);
    }

    [Theory]
    [InlineData("8080", "8443", "9993", "22")]
    [InlineData("80", "443", "443", "22")] // ZeroTier is UDP, the web ports TCP: no clash on the host
    [InlineData("80", "443", "80", "2222")]
    [InlineData("81", "444", "99", "443")] // sshd on 443 is fine while the pod publishes 444
    public void Distinct_ports_are_accepted(string http, string https, string zerotier, string ssh)
    {
        Assert.Empty(Errors(("httpPort", http), ("httpsPort", https), ("zerotierPort", zerotier), ("sshPort", ssh), ("tlsMode", "internal")));
    }

    // Data directories: homes and system places are refused with the reason; directories of their own are allowed.

    [Theory]
    [InlineData("/home", "must not be /home: home directories")]
    [InlineData("/home/ztnet/data", "must not be under /home: home directories")]
    [InlineData("/home/alice", "must not be under /home")]
    [InlineData("/root/ztnet", "root's home")]
    [InlineData("/usr", "installed system")]
    [InlineData("/usr/local/bin", "must not be under /usr")]
    [InlineData("/usr/local/ztnet", "must not be under /usr")]
    [InlineData("/etc", "configuration")]
    [InlineData("/etc/ssh", "must not be under /etc")]
    [InlineData("/var/lib", "must not be /var/lib itself")]
    [InlineData("/var/lib/dpkg/ztnet", "package manager")]
    [InlineData("/var/lib/ztnet-infra", "this stack's own records")]
    [InlineData("/boot/ztnet", "kernels")]
    [InlineData("/bin/ztnet", "installed system")]
    [InlineData("/sbin", "installed system")]
    [InlineData("/lib/ztnet", "installed system")]
    [InlineData("/lib64", "installed system")]
    [InlineData("/proc/1", "kernel file system")]
    [InlineData("/sys", "kernel file system")]
    [InlineData("/dev/shm/ztnet", "must not be under /dev")]
    [InlineData("/run/ztnet", "emptied at boot")]
    [InlineData("/tmp/ztnet", "must not be under /tmp")]
    [InlineData("/var/tmp/ztnet", "systemd-tmpfiles")]
    [InlineData("/var/log/ztnet", "logs")]
    [InlineData("/var/cache/ztnet", "cache")]
    [InlineData("/var/spool/ztnet", "queues")]
    [InlineData("/var/run/ztnet", "link to /run")]
    [InlineData("/var", "must not be /var itself")]
    [InlineData("/opt", "must not be /opt itself")]
    [InlineData("/srv", "must not be /srv itself")]
    [InlineData("/mnt", "must not be /mnt itself")]
    [InlineData("/media", "removable media")]
    [InlineData("/media/usb/ztnet", "removable media")]
    [InlineData("/snap/ztnet", "snapd")]
    public void A_home_or_system_directory_is_refused_with_the_reason(string dataDir, string reason)
    {
        var e = SingleError(("dataDir", dataDir));

        Assert.Equal("ztnet:dataDir", e.Key);
        Assert.Contains(reason, e.Problem);
        Assert.Equal("/srv/ztnet", e.Example);
    }

    [Theory]
    [InlineData("/srv/ztnet")]
    [InlineData("/srv/ztnet/data")]
    [InlineData("/opt/ztnet")]
    [InlineData("/opt/ztnet-data")]
    [InlineData("/var/lib/ztnet")]
    [InlineData("/var/lib/ztnet/data")]
    [InlineData("/mnt/data")]
    [InlineData("/mnt/data/ztnet")]
    [InlineData("/data/ztnet")]
    [InlineData("/ztnet")]
    [InlineData("/homes/ztnet")]
    [InlineData("/usrdata/ztnet")]
    [InlineData("/var/lib/dpkg-ztnet")]
    [InlineData("/var/www/ztnet")]
    public void A_directory_of_its_own_stays_allowed(string dataDir)
    {
        Assert.Empty(Errors(("dataDir", dataDir)));
    }

    [Fact]
    public void Every_rule_in_the_table_has_a_reason_and_a_normalised_path()
    {
        Assert.All(DataDirectoryRules.All, r =>
        {
            Assert.False(string.IsNullOrWhiteSpace(r.Reason));
            Assert.StartsWith("/", r.Path);
            Assert.True(r.Path == "/" || !r.Path.EndsWith('/'));
        });
        Assert.Equal(DataDirectoryRules.All.Count, DataDirectoryRules.All.Select(r => r.Path).Distinct().Count());
        Assert.Null(DataDirectoryRules.Refusing(new StackSettings { Host = "h", Domain = "d" }.DataDir));
    }

    // Images: pinned by a release tag or by digest, for every image setting.

    public static TheoryData<string> ImageKeys => new() { "postgresImage", "zerotierImage", "ztnetImage", "caddyImage" };

    private static string Repository(string key) => key switch
    {
        "postgresImage" => "docker.io/library/postgres",
        "zerotierImage" => "docker.io/zyclonite/zerotier",
        "ztnetImage" => "docker.io/sinamics/ztnet",
        _ => "docker.io/library/caddy",
    };

    [Theory]
    [MemberData(nameof(ImageKeys))]
    public void An_image_tagged_latest_or_untagged_is_refused(string key)
    {
        foreach (var image in new[] { Repository(key) + ":latest", Repository(key) + ":LATEST", Repository(key) })
        {
            var e = SingleError((key, image));

            Assert.Equal("ztnet:" + key, e.Key);
            Assert.Contains("must be pinned", e.Problem);
            Assert.Contains("@sha256:", e.Problem);
            Assert.DoesNotContain("latest", e.Example);
        }
    }

    [Theory]
    [MemberData(nameof(ImageKeys))]
    public void An_image_pinned_by_a_release_tag_or_a_digest_is_accepted(string key)
    {
        var digest = "@sha256:" + new string('a', 64);
        var tag = key == "postgresImage" ? ":15.19-alpine" : ":1.2.3";
        foreach (var image in new[] { Repository(key) + tag, Repository(key) + digest, Repository(key) + tag + digest })
            Assert.Empty(Errors((key, image)));
        // A digest pins the image whatever the tag says (the PostgreSQL tag must still name major 15).
        if (key != "postgresImage") Assert.Empty(Errors((key, Repository(key) + ":latest" + digest)));
    }

    [Fact]
    public void The_default_images_are_pinned()
    {
        foreach (var image in new[] { Defaults.PostgresImage, Defaults.ZerotierImage, Defaults.ZtnetImage, Defaults.CaddyImage })
        {
            Assert.DoesNotContain(":latest", image);
            Assert.Contains(':', image[(image.LastIndexOf('/') + 1)..]);
        }
        Assert.NotNull(SettingsReader.Read(Stacks.Minimal()));
    }

    // Namespaces: a setting under another namespace is named, with the right key suggested.

    [Theory]
    [InlineData("ztnet-infra:domain", "is in the namespace ztnet-infra", "ztnet:domain")]
    [InlineData("domain", "has no namespace", "ztnet:domain")]
    [InlineData("zt:dataDir", "is in the namespace zt", "ztnet:dataDir")]
    [InlineData("Ztnet:httpPort", "is in the namespace Ztnet", "ztnet:httpPort")]
    [InlineData("ztnet-infra:datadir", "is in the namespace ztnet-infra", "ztnet:dataDir")]
    public void A_setting_in_another_namespace_is_named_with_the_right_key(string key, string where, string right)
    {
        var config = Stacks.Minimal();
        config.Remove(right);
        config[key] = ConfigValue.Plain("/srv/ztnet");

        var e = Assert.Single(SettingsReader.TryRead(config).Errors);

        Assert.Equal(key, e.Key);
        Assert.Contains(where, e.Problem);
        Assert.Contains($"did you mean {right}?", e.Problem);
        Assert.StartsWith($"pulumi config rm {key} && pulumi config set {right} ", e.Example);
    }

    [Fact]
    public void A_required_setting_in_the_project_namespace_is_reported_once_as_misplaced()
    {
        var config = new Dictionary<string, ConfigValue>
        {
            ["ztnet:host"] = ConfigValue.Plain("203.0.113.10"),
            ["ztnet-infra:domain"] = ConfigValue.Plain("ztnet.example.org"),
        };

        var e = Assert.Single(SettingsReader.TryRead(config).Errors);

        Assert.Equal("ztnet-infra:domain", e.Key);
        Assert.Contains("did you mean ztnet:domain?", e.Problem);
    }

    [Fact]
    public void A_misplaced_leftover_beside_the_right_key_is_named_with_its_removal()
    {
        var config = Stacks.Minimal();
        config["ztnet-infra:domain"] = ConfigValue.Plain("old.example.org");

        var e = Assert.Single(SettingsReader.TryRead(config).Errors);

        Assert.Equal("ztnet-infra:domain", e.Key);
        Assert.Contains("ztnet:domain is set too and is the one in effect", e.Problem);
        Assert.Equal("pulumi config rm ztnet-infra:domain", e.Example);
    }

    [Fact]
    public void A_misplaced_secret_is_named_without_its_value_and_with_the_secret_command()
    {
        var config = Stacks.Minimal();
        config["ztnet-infra:postgresPassword"] = ConfigValue.Secure();

        var e = Assert.Single(SettingsReader.TryRead(config).Errors);

        Assert.Equal("ztnet-infra:postgresPassword", e.Key);
        Assert.Contains("pulumi config set --secret ztnet:postgresPassword", e.Example);
    }

    [Theory]
    [InlineData("aws:region")]
    [InlineData("pulumi:template")]
    [InlineData("ztnet-infra:notes")]
    public void Other_namespaces_keys_that_are_not_settings_are_left_alone(string key)
    {
        var config = Stacks.Minimal();
        config[key] = ConfigValue.Plain("x");

        Assert.Empty(SettingsReader.TryRead(config).Errors);
    }
}
