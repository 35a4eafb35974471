using System.Text.Json.Nodes;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// ztnet:acmeEmail, ztnet:acmeCa and ztnet:acmeCaRoot: what Caddy's JSON carries for each, in the
/// fields of Caddy's own acme issuer (caddyserver/caddy v2.11.4 modules/caddytls/acmeissuer.go:
/// module "acme", ca, email, trusted_roots_pem_files), what the gate checks the served certificate
/// against, and every bad value refused offline with its key named.
/// </summary>
public class AcmeSettingsTests
{
    private const string PrivateCa = "https://ca.example.lan:9000/acme/acme/directory";

    private static JsonNode Json(params (string, string)[] values) => JsonNode.Parse(CaddyConfig.Json(SettingsReader.Read(Stacks.With(values))))!;

    private static JsonArray Issuers(JsonNode config)
    {
        var policy = config["apps"]!["tls"]!["automation"]!["policies"]![0]!;
        Assert.Equal("ztnet.example.org", (string?)policy["subjects"]![0]);
        Assert.Single(policy["subjects"]!.AsArray());
        return policy["issuers"]!.AsArray();
    }

    [Fact]
    public void Without_acme_settings_Caddy_keeps_its_default_issuers()
    {
        var config = Json();
        // A policy without issuers gets Let's Encrypt alone, with no e-mail (caddytls/automation.go,
        // DefaultIssuersProvisioned): so no tls app at all.
        Assert.Null(config["apps"]!["tls"]);
    }

    [Fact]
    public void An_email_alone_gives_the_two_issuers_Caddy_uses_with_an_email()
    {
        // caddytls/automation.go DefaultIssuers(email): Let's Encrypt, then ZeroSSL's ACME
        // directory (certmagic ZeroSSLProductionCA), both with the e-mail; the JSON has no
        // top-level e-mail, so they are listed (as `caddy adapt` does for a global email).
        var issuers = Issuers(Json(("acmeEmail", "ops@example.org")));

        Assert.Equal(2, issuers.Count);
        Assert.Equal("acme", (string?)issuers[0]!["module"]);
        Assert.Equal("ops@example.org", (string?)issuers[0]!["email"]);
        Assert.Null(issuers[0]!["ca"]);
        Assert.Equal("acme", (string?)issuers[1]!["module"]);
        Assert.Equal("https://acme.zerossl.com/v2/DV90", (string?)issuers[1]!["ca"]);
        Assert.Equal("ops@example.org", (string?)issuers[1]!["email"]);
    }

    [Fact]
    public void A_private_CA_is_the_only_issuer_and_its_root_is_a_file_beside_the_json()
    {
        var root = TestCertificates.RootPem("acme settings root");
        var settings = SettingsReader.Read(Stacks.With(("acmeCa", PrivateCa), ("acmeCaRoot", root), ("acmeEmail", "ops@example.org")));
        var issuers = Issuers(JsonNode.Parse(CaddyConfig.Json(settings))!);

        var issuer = Assert.Single(issuers)!;
        Assert.Equal("acme", (string?)issuer["module"]);
        Assert.Equal(PrivateCa, (string?)issuer["ca"]);
        Assert.Equal("ops@example.org", (string?)issuer["email"]);
        Assert.Equal("/config/ztnet-infra-acme-ca-root.pem", (string?)issuer["trusted_roots_pem_files"]![0]);

        // The unit-caddy step writes the root beside the JSON (DATA/caddy_config is the container's /config),
        // and the gate checks the served certificate against it.
        var plan = Planner.Build(settings);
        var caddy = plan.Step("unit-caddy");
        Assert.Contains("root_file='/opt/ztnet-data/caddy_config/ztnet-infra-acme-ca-root.pem'\n", caddy.Create.Body);
        Assert.Contains(root.Split('\n')[1], caddy.Create.Body);
        Assert.Contains("root_file='/opt/ztnet-data/caddy_config/ztnet-infra-acme-ca-root.pem'\n", caddy.Delete!.Body);
        // The gate carries the roots itself: the file beside the JSON is in Caddy's /config, which
        // the container can rewrite, so it must not be what the gate trusts.
        var gate = plan.Step("health-gate").Create.Body;
        Assert.Contains("ca=''\n", gate);
        Assert.Contains(root.Split('\n')[1], gate);
        Assert.Contains("if [ -n \"$ca_pem\" ]; then printf '%s' \"$ca_pem\" > \"$roots\"; args+=(--cacert \"$roots\"); fi", gate);
        Assert.DoesNotContain("ztnet-infra-acme-ca-root.pem", gate);
        Assert.Contains($"acme_ca='{PrivateCa}'\n", gate);
        Assert.Contains("unverified=''\n", gate);

        // status compares the root file on the host with what the settings render.
        var expected = Assert.Single(ZtnetInfra.Core.Status.StatusProbe.For(plan).Files, f => f.Path.EndsWith("/ztnet-infra-acme-ca-root.pem", StringComparison.Ordinal));
        Assert.Equal(ZtnetInfra.Core.Status.ExpectedFile.DigestOf(root), expected.Digest);
        Assert.Equal("unit-caddy", expected.Step);
    }

    [Fact]
    public void A_private_CA_without_a_root_is_checked_against_the_hosts_store_and_writes_no_root()
    {
        var plan = Stacks.Plan(Stacks.With(("acmeCa", PrivateCa)));
        var issuer = Assert.Single(Issuers(JsonNode.Parse(CaddyConfig.Json(plan.Settings))!))!;

        Assert.Null(issuer["trusted_roots_pem_files"]);
        Assert.Null(issuer["email"]);
        // The step still names the root's path with no text: a root taken out of the stack is removed.
        Assert.Contains("root_text=''\n", plan.Step("unit-caddy").Create.Body);
        Assert.Contains("ca=''\n", plan.Step("health-gate").Create.Body);
        Assert.Contains("ca_pem=''\n", plan.Step("health-gate").Create.Body);
        Assert.DoesNotContain(ZtnetInfra.Core.Status.StatusProbe.For(plan).Files, f => f.Path.EndsWith("/ztnet-infra-acme-ca-root.pem", StringComparison.Ordinal));
    }

    [Fact]
    public void Staging_is_lets_encrypts_staging_directory_and_the_gate_says_it_did_not_check_the_certificate()
    {
        var plan = Stacks.Plan(Stacks.With(("acmeCa", "staging")));
        var issuer = Assert.Single(Issuers(JsonNode.Parse(CaddyConfig.Json(plan.Settings))!))!;

        Assert.Equal("https://acme-staging-v02.api.letsencrypt.org/directory", (string?)issuer["ca"]);
        var gate = plan.Step("health-gate").Create.Body;
        Assert.Contains("unverified='1'\n", gate);
        Assert.Contains("if [ -n \"$unverified\" ]; then args+=(--insecure); fi", gate);
    }

    [Fact]
    public void The_default_gate_names_lets_encrypt_and_trusts_the_hosts_store()
    {
        var gate = Stacks.Plan(Stacks.Minimal()).Step("health-gate").Create.Body;

        Assert.Contains("acme_ca='https://acme-v02.api.letsencrypt.org/directory (Caddy default)'\n", gate);
        Assert.Contains("ca=''\n", gate);
        // With Caddy's local CA there is no ACME CA to name.
        Assert.Contains("acme_ca=''\n", Stacks.Plan(Stacks.With(("tlsMode", "internal"))).Step("health-gate").Create.Body);
    }

    [Fact]
    public void Http3_is_off_in_every_mode_and_udp_443_is_not_published()
    {
        // The pod publishes 443 over TCP only: announcing h3 (Caddy's default h1 h2 h3,
        // caddyhttp/server.go) would send browsers to a QUIC port that is not there.
        foreach (var name in new[] { "default", "lan-ip-internal", "private-acme", "acme-email" })
        {
            var settings = SettingsReader.Read(Stacks.Varied[name]);
            var server = JsonNode.Parse(CaddyConfig.Json(settings))!["apps"]!["http"]!["servers"]!["proxy"]!;
            Assert.Equal(["h1", "h2"], server["protocols"]!.AsArray().Select(p => (string?)p));
            var pod = Planner.Build(settings).Units.Single(u => u.Name == "ztnet-pod.service").Render();
            Assert.DoesNotContain($"{settings.HttpsPort}:443/udp", pod);
            Assert.Contains($"--publish {settings.HttpsPort}:443/tcp", pod);
        }
    }

    [Fact]
    public void A_root_file_on_the_workstation_is_read_relative_to_the_project()
    {
        var root = TestCertificates.RootPem("acme file root");
        var asked = new List<string>();
        var settings = SettingsReader.Read(Stacks.With(("acmeCa", PrivateCa), ("acmeCaRoot", "certs/lan-root.pem")),
            path => { asked.Add(path); return root.Replace("\n", "\r\n", StringComparison.Ordinal); });

        Assert.Equal(["certs/lan-root.pem"], asked);
        // The same certificate gives the same bytes, whatever line ends the file had.
        Assert.Equal(root, settings.AcmeCaRootPem);
    }

    [Fact]
    public void Two_roots_in_one_pem_are_both_kept()
    {
        var both = TestCertificates.RootPem("bundle one") + TestCertificates.RootPem("bundle two");
        var settings = SettingsReader.Read(Stacks.With(("acmeCa", PrivateCa), ("acmeCaRoot", both)));

        Assert.Equal(2, settings.AcmeCaRootPem!.Split("-----BEGIN CERTIFICATE-----").Length - 1);
    }

    public static IEnumerable<object[]> BadValues() => new (string Key, string Value, string Problem)[]
    {
        ("acmeEmail", "ops", "e-mail address"),
        ("acmeEmail", "ops@localhost", "e-mail address"),
        ("acmeEmail", "a b@example.org", "e-mail address"),
        ("acmeEmail", "ops@example.org\nx", "e-mail address"),
        ("acmeEmail", "$(reboot)@example.org", "e-mail address"),
        ("acmeEmail", "\"quoted\"@example.org", "e-mail address"),
        ("acmeCa", "http://ca.example.lan/directory", "https://"),
        ("acmeCa", "https://user:pw@ca.example.lan/directory", "https://"),
        ("acmeCa", "https://ca.example.lan/dir?x=1", "https://"),
        ("acmeCa", "https://ca.example.lan/dir\"}", "https://"),
        ("acmeCa", "Staging", "https://"),
        ("acmeCa", "ca.example.lan", "https://"),
    }.Select(c => new object[] { c.Key, c.Value, c.Problem });

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Bad_values_are_refused_naming_the_key(string key, string value, string problem)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With((key, value)));

        Assert.Null(settings);
        var error = Assert.Single(errors);
        Assert.Equal("ztnet:" + key, error.Key);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> BadRoots() => new (string Value, string Problem)[]
    {
        ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n", "not an X.509 certificate"),
        ("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "PEM certificates"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "PEM certificates"),
        (TestCertificates.RootPem("with junk") + "junk", "and nothing else"),
    }.Select(c => new object[] { c.Value, c.Problem });

    [Theory]
    [MemberData(nameof(BadRoots))]
    public void A_bad_root_is_refused_naming_the_key(string value, string problem)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(("acmeCa", PrivateCa), ("acmeCaRoot", value)));

        Assert.Null(settings);
        var error = Assert.Single(errors);
        Assert.Equal("ztnet:acmeCaRoot", error.Key);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_root_file_that_cannot_be_read_or_is_not_pem_is_refused_naming_the_key()
    {
        var missing = SettingsReader.TryRead(Stacks.With(("acmeCa", PrivateCa), ("acmeCaRoot", "missing.pem")),
            path => throw new FileNotFoundException($"Could not find file '{path}'."));
        var notPem = SettingsReader.TryRead(Stacks.With(("acmeCa", PrivateCa), ("acmeCaRoot", "key.pem")), _ => "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        // The core alone (no workstation: `BlastRadius`, the tests) reads no file.
        var noReader = SettingsReader.TryRead(Stacks.With(("acmeCa", PrivateCa), ("acmeCaRoot", "root.pem")));

        Assert.Contains("cannot be read", Assert.Single(missing.Errors).Problem, StringComparison.Ordinal);
        Assert.Contains("missing.pem", Assert.Single(missing.Errors).Problem, StringComparison.Ordinal);
        Assert.Contains("whose content must be PEM certificates", Assert.Single(notPem.Errors).Problem, StringComparison.Ordinal);
        Assert.Contains("give the PEM text itself", Assert.Single(noReader.Errors).Problem, StringComparison.Ordinal);
        Assert.All(new[] { missing, notPem, noReader }, r => Assert.Equal("ztnet:acmeCaRoot", Assert.Single(r.Errors).Key));
    }

    [Theory]
    [InlineData("acmeEmail", "ops@example.org")]
    [InlineData("acmeCa", PrivateCa)]
    public void Acme_settings_with_the_internal_ca_are_refused(string key, string value)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(("tlsMode", "internal"), (key, value)));

        Assert.Null(settings);
        var error = Assert.Single(errors);
        Assert.Equal("ztnet:" + key, error.Key);
        Assert.Contains("tlsMode is internal", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_root_without_a_ca_is_refused()
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(("acmeCaRoot", TestCertificates.RootPem("no ca"))));

        Assert.Null(settings);
        Assert.Equal("ztnet:acmeCaRoot", Assert.Single(errors).Key);
        Assert.Contains("ztnet:acmeCa is not", errors[0].Problem, StringComparison.Ordinal);
    }
}
