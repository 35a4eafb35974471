using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

public class ValidationTests
{
    [Fact]
    public void Defaults_match_the_documented_images_and_ports()
    {
        var s = SettingsReader.Read(Stacks.Minimal());

        Assert.Equal("ztnet", s.ServiceUser);
        Assert.Equal("/opt/ztnet-data", s.DataDir);
        Assert.Equal((80, 443, 9993), (s.HttpPort, s.HttpsPort, s.ZerotierPort));
        Assert.Equal(TlsMode.Acme, s.TlsMode);
        Assert.True(s.AutoUpdate && s.RetainDataOnDestroy && !s.ZerotierJoinNetworks);
        Assert.StartsWith("docker.io/library/postgres:15.", s.PostgresImage);
        Assert.Equal("docker.io/zyclonite/zerotier:1.14.2", s.ZerotierImage);
        Assert.Equal("https://ztnet.example.org", s.PublicUrl);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_key_and_an_example()
    {
        var config = new Dictionary<string, ConfigValue>
        {
            ["ztnet:httpPort"] = ConfigValue.Plain("80x"),
            ["ztnet:serviceUser"] = ConfigValue.Plain("root"),
            ["ztnet:dataDir"] = ConfigValue.Plain("/etc"),
            ["ztnet:ztnetImage"] = ConfigValue.Plain("sinamics/ztnet:latest"),
            ["ztnet:postgresPassword"] = ConfigValue.Plain("hunter2hunter2hunter2"),
            ["ztnet:domian"] = ConfigValue.Plain("x.example.org"),
            ["other:key"] = ConfigValue.Plain("ignored"),
        };

        var (settings, errors) = SettingsReader.TryRead(config);

        Assert.Null(settings);
        Assert.Equal(
            new[] { "ztnet:dataDir", "ztnet:domain", "ztnet:domian", "ztnet:host", "ztnet:httpPort", "ztnet:postgresPassword", "ztnet:serviceUser", "ztnet:ztnetImage" },
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Example)));
        Assert.Contains(errors, e => e.Key == "ztnet:domian" && e.Problem.Contains("did you mean ztnet:domain?"));
        // A secret typed in plain text is refused without echoing it.
        Assert.DoesNotContain(errors, e => e.ToString().Contains("hunter2"));
    }

    [Theory]
    [InlineData("host", "-oProxyCommand=x")]
    [InlineData("host", "300.1.1.1")]
    [InlineData("domain", "ztnet_example.org")]
    [InlineData("domain", "-ztnet.example.org")]
    [InlineData("sshPort", "0")]
    [InlineData("sshPort", "65536")]
    [InlineData("httpsPort", "+443")]
    [InlineData("sshUser", "Admin")]
    [InlineData("dataDir", "relative/dir")]
    [InlineData("dataDir", "/opt/ztnet/../etc")]
    [InlineData("dataDir", "/")]
    [InlineData("dataDir", "/opt/data/")]
    [InlineData("caddyImage", "docker.io/library/caddy")]
    [InlineData("caddyImage", "caddy:2.11.4-alpine")]
    [InlineData("caddyImage", "docker.io/Library/caddy:2")]
    [InlineData("tlsMode", "letsencrypt")]
    [InlineData("autoUpdate", "yes")]
    [InlineData("healthTimeoutSeconds", "5")]
    [InlineData("ztnetHealthPath", "api/auth/ok")]
    [InlineData("ztnetHealthPath", "/api?x=%41")]
    [InlineData("sshHostKey", "example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo")]
    public void A_bad_value_is_rejected_naming_its_key(string key, string value)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With((key, value)));

        Assert.Null(settings);
        var e = Assert.Single(errors);
        Assert.Equal("ztnet:" + key, e.Key);
        Assert.StartsWith("ztnet:" + key + ": ", e.ToString());
    }

    [Theory]
    [InlineData("host", "ztnet-host.example.org")]
    [InlineData("host", "2001:db8::1")]
    [InlineData("domain", "ZTNet.Example.org")]
    [InlineData("dataDir", "/srv/ztnet-data.2")]
    [InlineData("caddyImage", "localhost:5000/caddy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("healthTimeoutSeconds", "3600")]
    public void A_good_value_is_accepted(string key, string value)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With((key, value)));

        Assert.Empty(errors);
        Assert.NotNull(settings);
    }

    [Fact]
    public void Acme_needs_a_public_name_and_a_challenge_port()
    {
        var (_, errors) = SettingsReader.TryRead(Stacks.With(("domain", "ztnet"), ("httpPort", "8080"), ("httpsPort", "8443")));

        Assert.Equal(new[] { "ztnet:domain", "ztnet:tlsMode" }, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Empty(SettingsReader.TryRead(Stacks.With(("domain", "ztnet"), ("httpPort", "8080"), ("httpsPort", "8443"), ("tlsMode", "internal"))).Errors);
    }

    [Fact]
    public void Http_and_https_ports_must_differ()
    {
        var (_, errors) = SettingsReader.TryRead(Stacks.With(("httpPort", "8443"), ("httpsPort", "8443"), ("tlsMode", "internal")));

        Assert.Equal("ztnet:httpsPort", Assert.Single(errors).Key);
    }

    [Fact]
    public void An_encrypted_plain_setting_and_a_bastion_setting_without_bastion_are_errors()
    {
        var config = Stacks.Minimal();
        config["ztnet:domain"] = ConfigValue.Secure();
        config["ztnet:bastionUser"] = ConfigValue.Plain("jump");

        var (_, errors) = SettingsReader.TryRead(config);

        Assert.Equal(new[] { "ztnet:bastionUser", "ztnet:domain" }, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Secrets_set_by_the_user_are_known_to_be_set_but_never_read()
    {
        var config = Stacks.Minimal();
        config["ztnet:postgresPassword"] = ConfigValue.Secure();
        config["ztnet:sshPrivateKey"] = ConfigValue.Secure();

        var s = SettingsReader.Read(config);

        Assert.True(s.PostgresPasswordSet && s.SshPrivateKeySet && !s.AuthSecretSet);
    }

    [Theory]
    [InlineData(PlanSecret.PostgresPassword, "short1")]
    [InlineData(PlanSecret.PostgresPassword, "has@sign:and/slash0123456789")]
    [InlineData(PlanSecret.AuthSecret, "too-short")]
    [InlineData(PlanSecret.AuthSecret, "a-secret-with-a-line-break-in-it\nmore")]
    public void A_user_set_secret_that_would_break_the_host_is_refused_without_showing_it(PlanSecret name, string value)
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        var step = plan.Step("podman-secrets");
        var secrets = new Dictionary<PlanSecret, string>
        {
            [PlanSecret.PostgresPassword] = "Abcdefghij0123456789",
            [PlanSecret.AuthSecret] = new string('x', 40),
            [name] = value,
        };

        var e = Assert.Throws<InvalidSettingsException>(() => DeploymentPlan.ComposeStdin(step, secrets));

        Assert.DoesNotContain(value, e.Message);
        Assert.Contains(name == PlanSecret.PostgresPassword ? "ztnet:postgresPassword" : "ztnet:authSecret", e.Message);
    }
}
