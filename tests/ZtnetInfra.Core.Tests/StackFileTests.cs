using System.Text;
using ZtnetInfra.Cli;

namespace ZtnetInfra.Core.Tests;

/// <summary>A stack file the render cannot read is named, with the line and column where YAML places the problem.</summary>
public class StackFileTests
{
    private static (int Code, string Stderr, bool Wrote) Render(string yamlOrNull, Func<string, string>? make = null)
    {
        var dir = Tools.TempDir();
        var stack = Path.Combine(dir, "Pulumi.test.yaml");
        if (make is not null) stack = make(dir);
        else File.WriteAllText(stack, yamlOrNull);
        var outDir = Path.Combine(dir, "out");
        var (code, _, stderr) = RenderCommandTests.Run("render", "--stack-file", stack, "--out", outDir);
        var wrote = Directory.Exists(outDir);
        Directory.Delete(dir, recursive: true);
        return (code, stderr.Replace(stack, "STACK"), wrote);
    }

    [Fact]
    public void A_yaml_error_reports_file_line_and_column()
    {
        var (code, stderr, wrote) = Render("config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: \"unterminated\n");

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Matches(@"^STACK:3:\d+: YAML error: ", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(wrote);
    }

    [Fact]
    public void A_duplicate_key_reports_its_line()
    {
        var (_, stderr, _) = Render("config:\n  ztnet:host: a.example.org\n  ztnet:host: b.example.org\n");

        Assert.StartsWith("STACK:3:", stderr);
        Assert.Contains("ztnet:host", stderr);
    }

    [Fact]
    public void An_unclosed_list_is_a_yaml_error_not_a_crash()
    {
        var (code, stderr, _) = Render("config:\n  ztnet:host: [1\n  ztnet:domain: x\n");

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Matches(@"^STACK:\d+:\d+: YAML error: ", stderr);
    }

    [Theory]
    [InlineData("~", "(~)")]
    [InlineData("null", "(null)")]
    [InlineData("", "(no value)")]
    public void A_yaml_null_is_named_with_its_key_and_line(string value, string shown)
    {
        var (code, stderr, wrote) = Render($"config:\n  ztnet:domain: ztnet.example.org\n  ztnet:host: {value}\n");

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.StartsWith("STACK:3:", stderr);
        Assert.Contains($"ztnet:host is a YAML null {shown}", stderr);
        Assert.False(wrote);
    }

    [Fact]
    public void A_quoted_tilde_is_a_value_not_a_null()
    {
        var (code, stderr, _) = Render("config:\n  ztnet:domain: ztnet.example.org\n  ztnet:host: \"~\"\n");

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.StartsWith("ztnet:host: must be a DNS name or an IP address (got \"~\")", stderr);
    }

    [Theory]
    [InlineData("encryptionsalt: v1:abc\n")]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void A_file_without_a_config_block_is_named(string yaml)
    {
        var (code, stderr, wrote) = Render(yaml);

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.StartsWith("STACK: has no config: block", stderr);
        Assert.False(wrote);
    }

    [Fact]
    public void A_directory_is_named()
    {
        var (code, stderr, _) = Render("", dir => dir);

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Contains(": is a directory, not a stack file", stderr);
        Assert.DoesNotContain("denied", stderr);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_utf16_file_is_named(bool byteOrderMark)
    {
        var (code, stderr, wrote) = Render("", dir =>
        {
            var path = Path.Combine(dir, "Pulumi.test.yaml");
            var enc = new UnicodeEncoding(bigEndian: false, byteOrderMark: byteOrderMark);
            File.WriteAllBytes(path, [.. enc.GetPreamble(), .. enc.GetBytes("config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: ztnet.example.org\n")]);
            return path;
        });

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Contains("UTF-16", stderr);
        Assert.False(wrote);
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_read()
    {
        var (code, stderr, _) = Render("", dir =>
        {
            var path = Path.Combine(dir, "Pulumi.test.yaml");
            File.WriteAllText(path, "config:\n  ztnet:host: 203.0.113.10\n  ztnet:domain: ztnet.example.org\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
            return path;
        });

        Assert.Equal(0, code);
        Assert.DoesNotContain("error", stderr);
    }
}
