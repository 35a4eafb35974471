using System.Diagnostics;

namespace ZtnetInfra.Core.Tests;

/// <summary>Runs the real validators (systemd-analyze, shellcheck, bash) the way a reviewer would.</summary>
public static class Tools
{
    public sealed record Result(int ExitCode, string Output);

    public static Result Run(string file, IEnumerable<string> args, string? stdin = null, IDictionary<string, string>? env = null, string? workDir = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workDir is not null) psi.WorkingDirectory = workDir;
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in {limit.TotalSeconds:0} s");
        }
        return new Result(p.ExitCode, stdout.Result + stderr.Result);
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "ztnet-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Runs `systemd-analyze --user verify` (or, for root's units, `systemd-analyze verify`) on unit files in a folder.</summary>
    public static Result VerifyUnits(string dir, IEnumerable<string> names, bool system = false)
    {
        var runtime = TempDir();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(runtime, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            return Run("systemd-analyze", [.. system ? Array.Empty<string>() : ["--user"], "verify", .. names.Select(n => Path.Combine(dir, n))],
                env: new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = runtime, ["SYSTEMD_LOG_LEVEL"] = "notice" }, workDir: dir);
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
        }
    }
}

/// <summary>
/// A throw-away folder whose bin/ holds stand-in programs, first on PATH when a script body runs:
/// the way the step scripts are run here against fake systemctl, podman, apt and friends.
/// </summary>
public sealed class FakeBin : IDisposable
{
    public string Home { get; } = Tools.TempDir();

    public string Bin => Path.Combine(Home, "bin");

    public FakeBin() => Directory.CreateDirectory(Bin);

    /// <summary>Writes an executable bash stand-in for <paramref name="tool"/>.</summary>
    public void Tool(string tool, string body)
    {
        var path = Path.Combine(Bin, tool);
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Runs a step script's body with HOME here and the stand-ins first on PATH.</summary>
    public Tools.Result Run(ZtnetInfra.Core.Plan.StepScript script, string stdin = "") =>
        Tools.Run("bash", ["-c", script.Body], stdin: stdin, env: new Dictionary<string, string>
        {
            ["HOME"] = Home,
            ["PATH"] = Bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        });

    public void Dispose() => Directory.Delete(Home, recursive: true);
}
