using System.Text.Json.Nodes;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Tests;

/// <summary>A LAN stack on an IP address with Caddy's internal CA, and booleans read as Pulumi reads them.</summary>
public class LanSettingsTests
{
    private const string Ip = "192.168.1.10";

    [Fact]
    public void An_ip_domain_with_internal_tls_renders_valid_units_for_the_ip()
    {
        var plan = Stacks.Plan(Stacks.With(("domain", Ip), ("tlsMode", "internal")));
        var dir = Tools.TempDir();
        foreach (var u in plan.Units) File.WriteAllText(Path.Combine(dir, u.Name), u.Render());

        var verify = Tools.VerifyUnits(dir, plan.Units.Select(u => u.Name));

        Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0, verify.Output);
        var caddy = plan.Units.Single(u => u.Name == "container-caddy.service").Render();
        Assert.Contains("caddy run --config /config/ztnet-infra-caddy.json", caddy);
        var config = JsonNode.Parse(CaddyConfig.Json(SettingsReader.Read(Stacks.With(("domain", Ip), ("tlsMode", "internal")))))!;
        Assert.Equal(Ip, (string?)config["apps"]!["http"]!["servers"]!["proxy"]!["routes"]![0]!["match"]![0]!["host"]![0]);
        Assert.Equal(Ip, (string?)config["apps"]!["tls"]!["automation"]!["policies"]![0]!["subjects"]![0]);
        Assert.Contains($"NEXTAUTH_URL=https://{Ip} ", plan.Units.Single(u => u.Name == "container-ztnet.service").Render());
        Assert.Equal($"https://{Ip}", plan.Url);
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("443", "https://192.168.1.10/api/auth/ok")]
    [InlineData("8443", "https://192.168.1.10:8443/api/auth/ok")]
    public void The_health_gate_asks_for_the_ip_through_loopback_and_passes_shellcheck(string httpsPort, string url)
    {
        var gate = Stacks.Plan(Stacks.With(("domain", Ip), ("tlsMode", "internal"), ("httpsPort", httpsPort))).Step("health-gate");
        var dir = Tools.TempDir();
        var file = Path.Combine(dir, "gate.sh");
        File.WriteAllText(file, gate.Create.Body);

        var check = Tools.Run("shellcheck", ["--shell=bash", "--severity=style", file]);

        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains($"url='{url}'\n", gate.Create.Body);
        Assert.Contains("domain=''\n", gate.Create.Body);
        Assert.Contains($"ip='{Ip}'\n", gate.Create.Body);
        Assert.Contains("--cacert \"$ca\"", gate.Create.Body);
        // A connection from the host to its own address on a port pasta publishes is reset (seen on
        // the VM, scenario 44): the gate goes to 127.0.0.1 and checks the certificate for the address.
        Assert.Contains("if [ -n \"$ip\" ]; then args+=(--connect-to \"$ip:$port:127.0.0.1:$port\"); fi", gate.Create.Body);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_dns_domain_keeps_the_resolve_to_loopback()
    {
        var gate = Stacks.Plan(Stacks.With(("domain", "ztnet.lan.example.org"), ("tlsMode", "internal"))).Step("health-gate");

        Assert.Contains("domain='ztnet.lan.example.org'\n", gate.Create.Body);
        Assert.Contains("if [ -n \"$domain\" ]; then args+=(--resolve \"$domain:$port:127.0.0.1\"); fi", gate.Create.Body);
        Assert.Contains("ip=''\n", gate.Create.Body);
    }

    [Fact]
    public void An_ip_domain_with_acme_is_refused_with_the_reason()
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(("domain", Ip)));

        Assert.Null(settings);
        var e = Assert.Single(errors);
        Assert.Equal("ztnet:domain", e.Key);
        Assert.Contains("ACME CAs issue no certificates for IP addresses", e.Problem);
        Assert.Contains("ztnet:tlsMode internal", e.Problem);
        Assert.Equal("pulumi config set ztnet:tlsMode internal", e.Example);
    }

    [Theory]
    [InlineData("2001:db8::10", "IPv6")]
    [InlineData("10.1", "DNS name")]
    [InlineData("192.168.001.010", "DNS name")]
    [InlineData("300.1.1.1", "DNS name")]
    public void Other_address_forms_are_refused_as_domain(string domain, string named)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(("domain", domain), ("tlsMode", "internal")));

        Assert.Null(settings);
        Assert.Contains(named, Assert.Single(errors).Problem);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Booleans_are_read_as_pulumi_reads_them(string value, bool expected)
    {
        Assert.Equal(expected, SettingsReader.Read(Stacks.With(("autoUpdate", value))).AutoUpdate);
    }

    [Theory]
    [InlineData("True", "lower case")]
    [InlineData("FALSE", "lower case")]
    [InlineData("yes", "must be true or false")]
    [InlineData("1", "must be true or false")]
    public void Other_boolean_spellings_are_refused_as_pulumi_refuses_them(string value, string reason)
    {
        // pulumi-dotnet Config.GetBoolean takes exactly "true" and "false" and throws on anything else.
        var (_, errors) = SettingsReader.TryRead(Stacks.With(("retainDataOnDestroy", value)));

        var e = Assert.Single(errors);
        Assert.Equal("ztnet:retainDataOnDestroy", e.Key);
        Assert.Contains(reason, e.Problem);
    }

    [Fact]
    public void A_typo_gives_a_real_example_of_the_fix()
    {
        var (_, errors) = SettingsReader.TryRead(Stacks.With(("hots", "x")));

        var e = Assert.Single(errors);
        Assert.Contains("did you mean ztnet:host?", e.Problem);
        Assert.Equal("pulumi config rm ztnet:hots && pulumi config set ztnet:host 203.0.113.10", e.Example);
    }
}
