using System.Diagnostics;
using System.Text;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>
/// Runs commands with the OpenSSH client: one connection per command, the host key checked
/// strictly against the pinned key only (no user or system known_hosts, no agent, no config
/// file), the command sent as one string for the login shell, stdin passed through and closed.
/// </summary>
public sealed class OpenSshRunner : ISshRunner, IDisposable
{
    private readonly SshTarget _target;
    private readonly string _dir;
    private readonly string _knownHosts;

    public OpenSshRunner(SshTarget target)
    {
        _target = target;
        _dir = Directory.CreateTempSubdirectory("ztnet-ssh-").FullName;
        _knownHosts = Path.Combine(_dir, "known_hosts");
        File.WriteAllText(_knownHosts, target.KnownHostsLine + "\n");
    }

    public string Target => _target.ToString();

    public SshResult Run(string command, string stdin, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "-F", "/dev/null", "-T", "-p", _target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-i", _target.PrivateKeyPath,
                     "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
                     "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + _knownHosts,
                     "-o", "GlobalKnownHostsFile=/dev/null", "-o", "CheckHostIP=no", "-o", "UpdateHostKeys=no",
                     "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=8",
                     "-o", "LogLevel=ERROR",
                     "-l", _target.User, _target.Host,
                     command,
                 })
        {
            psi.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ssh");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // ssh exited before reading its input (e.g. the host key was refused): its exit code says why.
        }
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new SshResult(124, stdout.Result, stderr.Result + $"\n(killed after {timeout.TotalSeconds:0} s)", watch.Elapsed);
        }
        p.WaitForExit();
        return new SshResult(p.ExitCode, stdout.Result, stderr.Result, watch.Elapsed);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
