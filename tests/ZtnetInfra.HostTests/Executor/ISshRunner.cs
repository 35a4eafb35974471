namespace ZtnetInfra.HostTests.Executor;

/// <summary>What one SSH command gave back.</summary>
public sealed record SshResult(int ExitCode, string Stdout, string Stderr, TimeSpan Duration)
{
    /// <summary>OpenSSH's own failures (connection, authentication, host key) exit with 255.</summary>
    public bool SshFailed => ExitCode == 255;
}

/// <summary>Runs one command on the target over a new SSH connection, like one Pulumi.Command resource does.</summary>
public interface ISshRunner
{
    /// <summary>The connection as a user would name it (user@host:port), for messages.</summary>
    string Target { get; }

    SshResult Run(string command, string stdin, TimeSpan timeout);
}
