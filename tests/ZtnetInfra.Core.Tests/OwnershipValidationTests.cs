using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// What can be known before a host is touched: a data directory in a volatile or kernel place,
/// a service account that is a login the stack runs through, and values with a final newline
/// (in .NET `$` matches before one; every pattern ends in `\z`).
/// </summary>
public class OwnershipValidationTests
{
    [Theory]
    [InlineData("/run/ztnet")]
    [InlineData("/run")]
    [InlineData("/var/run/ztnet")]
    [InlineData("/var/lock/ztnet")]
    [InlineData("/tmp/ztnet")]
    [InlineData("/var/tmp/ztnet/data")]
    [InlineData("/dev/shm/ztnet")]
    [InlineData("/proc/ztnet")]
    [InlineData("/sys/fs/ztnet")]
    [InlineData("/srv/ztnet/../../tmp")]
    [InlineData("/srv/./ztnet")]
    [InlineData("/srv//ztnet")]
    [InlineData("/srv/zt\tnet")]
    [InlineData("/srv/zt\u0001net")]
    [InlineData("/srv/ztnet\n")]
    [InlineData("/srv/zt\nnet")]
    public void A_data_directory_that_would_lose_data_or_escape_is_refused_naming_the_key(string value)
    {
        var e = SingleError(("dataDir", value));

        Assert.Equal("ztnet:dataDir", e.Key);
        Assert.DoesNotContain("\n", e.ToString());
    }

    [Fact]
    public void A_volatile_place_is_named_in_the_refusal()
    {
        var e = SingleError(("dataDir", "/dev/shm/ztnet"));

        Assert.Contains("must not be under /dev", e.Problem);
        Assert.Equal("/srv/ztnet", e.Example);
    }

    [Theory]
    [InlineData("/srv/tmp")]
    [InlineData("/srv/run/ztnet")]
    [InlineData("/runner")]
    [InlineData("/tmpdata/ztnet")]
    [InlineData("/var/lib/ztnet")]
    public void A_name_that_only_looks_like_a_volatile_place_is_accepted(string value)
    {
        Assert.Empty(SettingsReader.TryRead(Stacks.With(("dataDir", value))).Errors);
    }

    [Theory]
    [InlineData("serviceUser", "root\n")]
    [InlineData("serviceUser", "ztnet\n")]
    [InlineData("sshUser", "admin\n")]
    [InlineData("bastionUser", "jump\n")]
    [InlineData("domain", "ztnet.example.org\n")]
    [InlineData("host", "ztnet.example.org\n")]
    [InlineData("host", "203.0.113.10\n")]
    [InlineData("postgresImage", "docker.io/library/postgres:15.19-alpine\n")]
    [InlineData("zerotierImage", "docker.io/zyclonite/zerotier:1.14.2\n")]
    [InlineData("ztnetImage", "docker.io/sinamics/ztnet:0.8.2\n")]
    [InlineData("caddyImage", "docker.io/library/caddy:2.11.4-alpine\n")]
    [InlineData("ztnetHealthPath", "/api/auth/ok\n")]
    [InlineData("sshPort", "22\n")]
    [InlineData("healthTimeoutSeconds", "300\n")]
    [InlineData("sshHostKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo\n")]
    public void A_value_with_a_final_newline_is_a_validation_error_naming_the_key_not_an_exception(string key, string value)
    {
        var settings = Stacks.With((key, value));
        if (key == "bastionUser") settings["ztnet:bastionHost"] = ConfigValue.Plain("jump.example.org");

        var (result, errors) = SettingsReader.TryRead(settings);

        Assert.Null(result);
        var e = Assert.Single(errors);
        Assert.Equal("ztnet:" + key, e.Key);
        // The value is shown back escaped (and cut after 60 characters).
        if (value.Length <= 60) Assert.Contains("\\u000a", e.Problem);
    }

    [Fact]
    public void The_service_user_must_not_be_the_ssh_login()
    {
        var e = SingleError(("sshUser", "admin"), ("serviceUser", "admin"));

        Assert.Equal("ztnet:serviceUser", e.Key);
        Assert.Contains("ztnet:sshUser", e.Problem);
    }

    [Fact]
    public void The_default_service_user_counts_when_the_ssh_login_is_ztnet()
    {
        var e = SingleError(("sshUser", "ztnet"));

        Assert.Equal("ztnet:serviceUser", e.Key);
        Assert.Contains("both are ztnet", e.Problem);
    }

    [Fact]
    public void The_service_user_must_not_be_the_jump_host_login_given_or_inherited()
    {
        var given = SingleError(("bastionHost", "jump.example.org"), ("bastionUser", "zt-svc"), ("serviceUser", "zt-svc"), ("sshUser", "admin"));
        Assert.Equal("ztnet:serviceUser", given.Key);
        Assert.Contains("ztnet:bastionUser", given.Problem);

        // Without ztnet:bastionUser the jump host's login is ztnet:sshUser: one problem, reported once.
        var inherited = SingleError(("bastionHost", "jump.example.org"), ("sshUser", "zt-svc"), ("serviceUser", "zt-svc"));
        Assert.Equal("ztnet:serviceUser", inherited.Key);
        Assert.Contains("ztnet:sshUser", inherited.Problem);
    }

    [Fact]
    public void A_bad_ssh_user_is_reported_alone_not_compared_with_the_service_user()
    {
        var e = SingleError(("sshUser", "ztnet\n"));

        Assert.Equal("ztnet:sshUser", e.Key);
    }

    private static SettingError SingleError(params (string Key, string Value)[] values)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(values));
        Assert.Null(settings);
        return Assert.Single(errors);
    }
}
