using System.Diagnostics;
using System.Xml.Linq;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The CLI is a .NET tool: packed from the project, installed from that local package with
/// `dotnet tool install`, and run as `ztnet-infra`. The sources are copied to a throw-away folder
/// first, so the pack neither reads nor writes this checkout's bin/ and obj/; the install uses a
/// NuGet configuration holding only the local package folder and a packages folder of its own,
/// so neither the network nor a package cached by an earlier run is involved.
/// </summary>
[Trait("Category", "Pack")]
public class ToolPackageTests
{
    [Fact]
    public void The_packed_tool_installs_from_a_local_folder_and_prints_the_project_version()
    {
        var repo = RenderCommandTests.RepoRoot();
        var project = Path.Combine(repo, "infra", "ZtnetInfra.Cli", "ZtnetInfra.Cli.csproj");
        var xml = XDocument.Load(project);
        string Property(string name) => xml.Descendants(name).Single().Value;
        Assert.Equal("true", Property("PackAsTool"));
        Assert.Equal("ztnet-infra", Property("ToolCommandName"));
        var packageId = Property("PackageId");
        var version = Property("Version");

        var work = Tools.TempDir();
        try
        {
            var src = Path.Combine(work, "src");
            Copy(repo, src, "Directory.Build.props");
            CopyProject(Path.Combine(repo, "infra", "ZtnetInfra.Core"), Path.Combine(src, "infra", "ZtnetInfra.Core"));
            CopyProject(Path.Combine(repo, "infra", "ZtnetInfra.Cli"), Path.Combine(src, "infra", "ZtnetInfra.Cli"));
            var feed = Path.Combine(work, "feed");
            var tools = Path.Combine(work, "tools");

            var pack = Dotnet(work, null, "pack", Path.Combine(src, "infra", "ZtnetInfra.Cli"), "-o", feed, "-nologo");
            Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);
            Assert.True(File.Exists(Path.Combine(feed, $"{packageId}.{version}.nupkg")), "no package in the feed:\n" + pack.Output);

            var config = Path.Combine(work, "nuget.config");
            File.WriteAllText(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            var isolated = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") };
            var install = Dotnet(work, isolated, "tool", "install", "--tool-path", tools, "--configfile", config, "--add-source", feed, packageId);
            Assert.True(install.ExitCode == 0, "dotnet tool install failed:\n" + install.Output);

            var run = Run(Path.Combine(tools, "ztnet-infra"), work, null, "--version");

            Assert.Equal(0, run.ExitCode);
            var printed = run.Output.Trim();
            // The SDK appends the commit (+sha) when it knows it; the copy has no .git, so it may not.
            Assert.True(printed == version || printed.StartsWith(version + "+", StringComparison.Ordinal), $"--version printed '{printed}', the project says {version}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Copy(string fromDir, string toDir, string name)
    {
        Directory.CreateDirectory(toDir);
        File.Copy(Path.Combine(fromDir, name), Path.Combine(toDir, name));
    }

    /// <summary>A project's sources without its build output.</summary>
    private static void CopyProject(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj") continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static Tools.Result Dotnet(string workDir, IDictionary<string, string>? env, params string[] args) => Run("dotnet", workDir, env, args);

    /// <summary>Like <see cref="Tools.Run"/>, with room for a cold build on a busy machine (a guard against a hung process, not a timing assertion).</summary>
    private static Tools.Result Run(string file, string workDir, IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(15)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return new Tools.Result(p.ExitCode, stdout.Result + stderr.Result);
    }
}
