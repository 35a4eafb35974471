using ZtnetInfra.Cli;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// A stack file means the same to `render` as to `pulumi up`. The expected texts below were
/// produced by running gopkg.in/yaml.v3 v3.0.1 (Debian's golang-gopkg-yaml.v3-dev, the version the
/// Pulumi CLI pins) through the Pulumi CLI's path for a config value: decode to Go values, encode
/// with two-space indentation, decode into a value whose UnmarshalYAML turns bool, int, uint64 and
/// float64 into encoding/json text and a time.Time into its String() (pulumi/pulumi
/// sdk/go/common/workspace/loaders.go LoadProjectStackBytes; sdk/go/common/resource/config/object.go
/// unmarshalObject and MarshalString; value.go UnmarshalYAML), with the Go machine in UTC.
/// </summary>
public class StackFileScalarTests
{
    private static string Dir() => Tools.TempDir();

    /// <summary>The text the program receives for `other:k: YAML`.</summary>
    private static string Read(string yaml)
    {
        var dir = Dir();
        try
        {
            var stack = Path.Combine(dir, "Pulumi.test.yaml");
            File.WriteAllText(stack, $"config:\n  other:k: {yaml}\n");
            var config = StackFile.ReadConfig(stack);
            var value = config["other:k"];
            Assert.False(value.IsSecure);
            return value.Text!;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Refused(string yaml)
    {
        var dir = Dir();
        try
        {
            var stack = Path.Combine(dir, "Pulumi.test.yaml");
            File.WriteAllText(stack, $"config:\n  other:k: {yaml}\n");
            var e = Assert.Throws<CliException>(() => StackFile.ReadConfig(stack));
            Assert.Equal(ExitCodes.InvalidSettings, e.ExitCode);
            Assert.Single(e.Message.Split('\n'));
            return e.Message.Replace(stack, "STACK");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("true", "true")]
    [InlineData("True", "true")]
    [InlineData("TRUE", "true")]
    [InlineData("tRUE", "tRUE")]
    [InlineData("false", "false")]
    [InlineData("False", "false")]
    [InlineData("FALSE", "false")]
    [InlineData("yes", "yes")]
    [InlineData("Yes", "Yes")]
    [InlineData("no", "no")]
    [InlineData("on", "on")]
    [InlineData("off", "off")]
    [InlineData("y", "y")]
    [InlineData("n", "n")]
    [InlineData("~", "")]
    [InlineData("null", "")]
    [InlineData("Null", "")]
    [InlineData("NULL", "")]
    [InlineData("nULL", "nULL")]
    [InlineData("", "")]
    [InlineData("''", "")]
    [InlineData("\"\"", "")]
    [InlineData("'True'", "True")]
    [InlineData("\"true\"", "true")]
    [InlineData("!!str true", "true")]
    [InlineData("!!str 0x10", "0x10")]
    [InlineData("!!bool True", "true")]
    [InlineData("!!int 0x10", "16")]
    [InlineData("!!float 1", "1")]
    [InlineData("!!float 1.5", "1.5")]
    [InlineData("!!null ~", "")]
    [InlineData("! 12", "12")]
    [InlineData("!foo 12", "12")]
    [InlineData("0x10", "16")]
    [InlineData("0X10", "16")]
    [InlineData("0x1F", "31")]
    [InlineData("0o10", "8")]
    [InlineData("0o17", "15")]
    [InlineData("0O17", "15")]
    [InlineData("0b101", "5")]
    [InlineData("0B101", "5")]
    [InlineData("010", "8")]
    [InlineData("017", "15")]
    [InlineData("08", "8")]
    [InlineData("09", "9")]
    [InlineData("0", "0")]
    [InlineData("00", "0")]
    [InlineData("-0", "0")]
    [InlineData("+0", "0")]
    [InlineData("+12", "12")]
    [InlineData("-12", "-12")]
    [InlineData("1_000", "1000")]
    [InlineData("1__0", "10")]
    [InlineData("_1", "_1")]
    [InlineData("1_", "1")]
    [InlineData("0x_1F", "31")]
    [InlineData("0o-7", "-7")]
    [InlineData("0b-1", "-1")]
    [InlineData("-0b11", "-3")]
    [InlineData("-0o17", "-15")]
    [InlineData("1e3", "1000")]
    [InlineData("1E3", "1000")]
    [InlineData("1e+3", "1000")]
    [InlineData("1e-3", "0.001")]
    [InlineData("1.", "1")]
    [InlineData("1.5", "1.5")]
    [InlineData("-1.5", "-1.5")]
    [InlineData("+1.5", "1.5")]
    [InlineData(".5", "0.5")]
    [InlineData("-.5", "-0.5")]
    [InlineData("+.5", "0.5")]
    [InlineData(".5e3", "500")]
    [InlineData(".", ".")]
    [InlineData("..", "..")]
    [InlineData(".e3", ".e3")]
    [InlineData("1e400", "1e400")]
    [InlineData("-1e400", "-1e400")]
    [InlineData("1e-400", "0")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("1e-6", "0.000001")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("1.5e-7", "1.5e-7")]
    [InlineData("123456789.123", "123456789.123")]
    [InlineData("0.1", "0.1")]
    [InlineData("-0.0", "0")]
    [InlineData("0.0", "0")]
    [InlineData("inf", "inf")]
    [InlineData("nan", "nan")]
    [InlineData("Infinity", "Infinity")]
    [InlineData("9223372036854775807", "9223372036854775807")]
    [InlineData("9223372036854775808", "9223372036854775808")]
    [InlineData("-9223372036854775808", "-9223372036854775808")]
    [InlineData("-9223372036854775809", "-9223372036854776000")]
    [InlineData("18446744073709551615", "18446744073709551615")]
    [InlineData("18446744073709551616", "18446744073709552000")]
    [InlineData("0xFFFFFFFFFFFFFFFF", "18446744073709551615")]
    [InlineData("0x10000000000000000", "0x10000000000000000")]
    [InlineData("2001-12-14", "2001-12-14 00:00:00 +0000 UTC")]
    [InlineData("2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.1 -0500 -0500")]
    [InlineData("2001-12-14T21:59:43.10Z", "2001-12-14 21:59:43.1 +0000 UTC")]
    [InlineData("2001-12-14T21:59:43Z", "2001-12-14 21:59:43 +0000 UTC")]
    [InlineData("2001-12-14 21:59:43.10", "2001-12-14 21:59:43.1 +0000 UTC")]
    [InlineData("2001-12-14 21:59:43", "2001-12-14 21:59:43 +0000 UTC")]
    [InlineData("2002-12-14T21:59:43+00:00", "2002-12-14 21:59:43 +0000 UTC")]
    [InlineData("2001-2-3", "2001-02-03 00:00:00 +0000 UTC")]
    [InlineData("2001-02-30", "2001-02-30")]
    [InlineData("2001-12-14T21:59:43", "2001-12-14T21:59:43")]
    [InlineData("12:30", "12:30")]
    [InlineData("1:20", "1:20")]
    [InlineData("1,000", "1,000")]
    [InlineData("0x", "0x")]
    [InlineData("0b", "0b")]
    [InlineData("0o", "0o")]
    [InlineData("+", "+")]
    [InlineData("-.", "-.")]
    [InlineData("1e", "1e")]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("ztnet.example.org", "ztnet.example.org")]
    [InlineData("203.0.113.10", "203.0.113.10")]
    [InlineData("8080", "8080")]
    [InlineData("22", "22")]
    [InlineData("443", "443")]
    public void A_scalar_reads_as_the_pulumi_cli_reads_it(string yaml, string expected)
    {
        Assert.Equal(expected, Read(yaml));
    }

    [Theory]
    [InlineData(".inf", "infinity")]
    [InlineData(".Inf", "infinity")]
    [InlineData(".INF", "infinity")]
    [InlineData("+.inf", "infinity")]
    [InlineData("-.inf", "infinity")]
    [InlineData(".nan", "NaN")]
    [InlineData(".NaN", "NaN")]
    [InlineData(".NAN", "NaN")]
    public void An_infinity_or_nan_is_refused_as_the_pulumi_cli_refuses_it(string yaml, string what)
    {
        var message = Refused(yaml);

        Assert.StartsWith("STACK:2:12: other:k is ", message);
        Assert.Contains($"a YAML 1.2 float {what}, which the Pulumi CLI cannot load", message);
        Assert.Contains("quote it", message);
    }

    [Theory]
    [InlineData("!!bool yes", "is tagged !!bool but `yes` is a !!str")]
    [InlineData("!!int 1.5", "is tagged !!int but `1.5` is a !!float")]
    [InlineData("!!timestamp 12", "is tagged !!timestamp but `12` is a !!int")]
    public void A_tag_that_does_not_fit_the_value_is_refused(string yaml, string problem)
    {
        Assert.Contains(problem, Refused(yaml));
    }

    [Theory]
    [InlineData("True", "true")]
    [InlineData("FALSE", "false")]
    [InlineData("'True'", null)]
    [InlineData("\"TRUE\"", null)]
    [InlineData("yes", null)]
    [InlineData("on", null)]
    public void A_plain_True_is_a_boolean_and_a_quoted_one_is_refused_by_the_boolean_setting(string yaml, string? read)
    {
        var dir = Dir();
        var stack = Path.Combine(dir, "Pulumi.test.yaml");
        File.WriteAllText(stack, $"config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: ztnet.example.org\n  ztnet:autoUpdate: {yaml}\n");

        var (settings, errors) = SettingsReader.TryRead(StackFile.ReadConfig(stack));
        Directory.Delete(dir, recursive: true);

        if (read is null)
        {
            var e = Assert.Single(errors);
            Assert.Equal("ztnet:autoUpdate", e.Key);
        }
        else
        {
            Assert.Empty(errors);
            Assert.Equal(read == "true", settings!.AutoUpdate);
        }
    }

    [Fact]
    public void Numbers_in_other_bases_reach_the_port_settings_as_decimal()
    {
        var dir = Dir();
        var stack = Path.Combine(dir, "Pulumi.test.yaml");
        File.WriteAllText(stack, "config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: ztnet.example.org\n  ztnet:httpPort: 0x1F90\n  ztnet:httpsPort: 8_443\n  ztnet:tlsMode: internal\n");

        var settings = SettingsReader.Read(StackFile.ReadConfig(stack));
        Directory.Delete(dir, recursive: true);

        Assert.Equal((8080, 8443), (settings.HttpPort, settings.HttpsPort));
    }

    [Fact]
    public void A_key_without_a_namespace_takes_the_project_name_from_Pulumi_yaml_and_is_named_as_misplaced()
    {
        var dir = Dir();
        File.WriteAllText(Path.Combine(dir, "Pulumi.yaml"), "name: ztnet-infra\nruntime: dotnet\n");
        var stack = Path.Combine(dir, "Pulumi.dev.yaml");
        File.WriteAllText(stack, "config:\n  ztnet:host: 203.0.113.10\n  domain: ztnet.example.org\n  ztnet:config:sshUser: admin\n");

        var config = StackFile.ReadConfig(stack);
        var (_, errors) = SettingsReader.TryRead(config);
        Directory.Delete(dir, recursive: true);

        Assert.Equal(["ztnet-infra:domain", "ztnet:host", "ztnet:sshUser"], config.Keys.Order(StringComparer.Ordinal));
        var e = Assert.Single(errors);
        Assert.Equal("ztnet-infra:domain", e.Key);
        Assert.Contains("did you mean ztnet:domain?", e.Problem);
    }

    [Theory]
    [InlineData("a:b:c")]
    [InlineData("ztnet:settings:host")]
    public void A_key_the_pulumi_cli_cannot_parse_is_named(string key)
    {
        var dir = Dir();
        var stack = Path.Combine(dir, "Pulumi.test.yaml");
        File.WriteAllText(stack, $"config:\n  {key}: x\n");

        var e = Assert.Throws<CliException>(() => StackFile.ReadConfig(stack));
        Directory.Delete(dir, recursive: true);

        Assert.Contains($"{key} is not a configuration key", e.Message);
        Assert.Contains("<namespace>:<name>", e.Message);
    }

    [Theory]
    [InlineData("config:\n\tztnet:host: x\n", "a tab where YAML allows only spaces")]
    [InlineData("config:\n  ztnet:host: x\n\tztnet:domain: y\n", "a tab where YAML allows only spaces")]
    [InlineData("config:\n  ztnet:host: x\n ztnet:domain: y\n", "not indented like the keys above it")]
    [InlineData("config:\n  ztnet:host: a: b\n", "quote a value that holds ': '")]
    [InlineData("config:\n  ztnet:host: x\n    ztnet:domain: y\n", "align each key")]
    [InlineData("config:\n  ztnet:host: \"x\n", "add the closing quote")]
    [InlineData("config:\n  ztnet:host: @x\n", "put the value in quotes")]
    [InlineData("config:\n  ztnet:host: x\n  ztnet:host: y\n", "ztnet:host is set twice")]
    public void A_parser_error_is_one_friendly_line_with_line_column_and_the_fix(string yaml, string fix)
    {
        var dir = Dir();
        var stack = Path.Combine(dir, "Pulumi.test.yaml");
        File.WriteAllText(stack, yaml);

        var e = Assert.Throws<CliException>(() => StackFile.ReadConfig(stack));
        Directory.Delete(dir, recursive: true);

        var message = e.Message.Replace(stack, "STACK");
        Assert.Matches(@"^STACK:\d+:\d+: YAML error: ", message);
        Assert.Contains(fix, message);
        Assert.Single(message.Split('\n'));
    }
}
