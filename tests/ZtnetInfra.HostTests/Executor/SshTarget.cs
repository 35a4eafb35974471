using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>
/// Where and how to connect: taken from the stack's settings (host, port, login, pinned host key)
/// plus the private key file (in a real stack the secret ztnet:sshPrivateKey).
/// </summary>
public sealed record SshTarget(string Host, int Port, string User, string HostKey, string PrivateKeyPath)
{
    public static SshTarget From(StackSettings s, string privateKeyPath) =>
        new(s.Host, s.SshPort, s.SshUser,
            s.SshHostKey ?? throw new ArgumentException("the test executor always pins the host key: set ztnet:sshHostKey"),
            privateKeyPath);

    /// <summary>The known_hosts line that pins <see cref="HostKey"/> for this host and port.</summary>
    public string KnownHostsLine => (Port == 22 ? Host : $"[{Host}]:{Port}") + " " + HostKey;

    public override string ToString() => $"{User}@{Host}:{Port}";
}
