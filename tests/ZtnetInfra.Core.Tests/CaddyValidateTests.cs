using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// Every Caddy JSON variant passes `caddy validate` (which provisions every module, the acme
/// issuer's root files included: caddy.go Validate, acmeissuer.go Provision) with the lab's Caddy,
/// the 2.11.4 binary of the Caddy stand-in (Debian forky's package, put in place by
/// tests/testhost/fetch-caddy.sh, which .ci/run runs).
/// </summary>
public class CaddyValidateTests
{
    /// <summary>Where fetch-caddy.sh puts the binary; ZTNET_CADDY overrides it.</summary>
    private static string CaddyBinary() =>
        Environment.GetEnvironmentVariable("ZTNET_CADDY") is { Length: > 0 } path ? path
        : Path.Combine(Environment.GetEnvironmentVariable("TESTHOST_CACHE") is { Length: > 0 } cache ? cache : "/var/cache/ztnet-testhost", "tools", "caddy");

    [Theory]
    [InlineData("default")]
    [InlineData("acme-email")]
    [InlineData("private-acme")]
    [InlineData("lan-high-ports")]
    [InlineData("lan-ip-internal")]
    public void Caddy_validates_the_json(string stack)
    {
        var caddy = CaddyBinary();
        Assert.True(File.Exists(caddy), $"{caddy} is missing: run `sudo tests/testhost/fetch-caddy.sh` (or set ZTNET_CADDY to a Caddy 2.11.4 binary)");
        var settings = SettingsReader.Read(Stacks.Varied[stack]);
        var dir = Tools.TempDir();
        try
        {
            // The container's /config is DATA/caddy_config: here, a folder of the test's own.
            var config = Path.Combine(dir, "config");
            Directory.CreateDirectory(config);
            File.WriteAllText(Path.Combine(config, CaddyConfig.FileName), CaddyConfig.Json(settings).Replace("\"/config/", $"\"{config}/", StringComparison.Ordinal));
            if (settings.AcmeCaRootPem is { } root) File.WriteAllText(Path.Combine(config, CaddyConfig.CaRootFileName), root);

            var result = Tools.Run(caddy, ["validate", "--config", Path.Combine(config, CaddyConfig.FileName)],
                env: new Dictionary<string, string> { ["HOME"] = dir, ["XDG_DATA_HOME"] = Path.Combine(dir, "data"), ["XDG_CONFIG_HOME"] = config });

            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains("Valid configuration", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Caddy_refuses_a_root_file_that_is_not_there()
    {
        // The check above is not a formality: the acme issuer reads its roots while provisioning.
        var caddy = CaddyBinary();
        Assert.True(File.Exists(caddy), $"{caddy} is missing: run `sudo tests/testhost/fetch-caddy.sh`");
        var dir = Tools.TempDir();
        try
        {
            var json = Path.Combine(dir, CaddyConfig.FileName);
            File.WriteAllText(json, CaddyConfig.Json(SettingsReader.Read(Stacks.Varied["private-acme"])).Replace("\"/config/", $"\"{dir}/missing/", StringComparison.Ordinal));
            var result = Tools.Run(caddy, ["validate", "--config", json], env: new Dictionary<string, string> { ["HOME"] = dir, ["XDG_DATA_HOME"] = dir, ["XDG_CONFIG_HOME"] = dir });

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("loading trusted root CA's PEM file", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
