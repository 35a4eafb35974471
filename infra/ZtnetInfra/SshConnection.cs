using Pulumi;
using ZtnetInfra.Core.Settings;
using Remote = Pulumi.Command.Remote;

namespace ZtnetInfra;

/// <summary>The SSH connection every step uses, built from the settings.</summary>
public static class SshConnection
{
    /// <summary>
    /// A secret connection (the program marks it so itself, whatever the provider does). Without
    /// a private key the provider authenticates with the SSH agent: it reads SSH_AUTH_SOCK from
    /// its own environment (inherited from the pulumi CLI). AgentSocketPath is deliberately not
    /// set: the socket path changes per login and would show as a change on every step.
    /// </summary>
    public static Output<Remote.Inputs.ConnectionArgs> Build(StackSettings s, Input<string>? privateKey)
    {
        var connection = new Remote.Inputs.ConnectionArgs
        {
            Host = s.Host,
            Port = s.SshPort,
            User = s.SshUser,
        };
        if (s.SshHostKey is not null) connection.HostKey = s.SshHostKey;
        if (privateKey is not null) connection.PrivateKey = privateKey;
        if (s.BastionHost is not null)
        {
            // The jump host takes the same login key (or the agent).
            var proxy = new Remote.Inputs.ProxyConnectionArgs
            {
                Host = s.BastionHost,
                Port = s.BastionPort,
                User = s.BastionUser ?? s.SshUser,
            };
            if (privateKey is not null) proxy.PrivateKey = privateKey;
            if (s.BastionHostKey is not null) proxy.HostKey = s.BastionHostKey;
            connection.Proxy = proxy;
        }
        return Output.CreateSecret(Output.Create(connection));
    }

    /// <summary>
    /// What the user should know about how the host is reached, as warnings. The provider runs
    /// with the pulumi CLI's environment, as this program does, so SSH_AUTH_SOCK here is the agent it will use.
    /// </summary>
    public static IEnumerable<string> Warnings(StackSettings s, string? agentSocket)
    {
        if (!s.SshPrivateKeySet && string.IsNullOrEmpty(agentSocket))
            yield return $"{SettingKeys.SshPrivateKey.FullKey} is not set and no SSH agent is running (SSH_AUTH_SOCK is empty): the SSH login will fail. "
                + $"Load your key with ssh-add, or: pulumi config set --secret {SettingKeys.SshPrivateKey.FullKey} < ~/.ssh/id_ed25519";
        if (s.SshHostKey is null)
            yield return $"{SettingKeys.SshHostKey.FullKey} is not set: the SSH host key of {s.Host} is not checked, so a machine in the middle could receive the secrets. "
                + $"Pin it with the line from the server's /etc/ssh/ssh_host_ed25519_key.pub: pulumi config set {SettingKeys.SshHostKey.FullKey} 'ssh-ed25519 AAAA...'";
        if (s.BastionHost is not null && s.BastionHostKey is null)
            yield return $"{SettingKeys.BastionHostKey.FullKey} is not set: the SSH host key of the jump host {s.BastionHost} is not checked. "
                + $"Pin it: pulumi config set {SettingKeys.BastionHostKey.FullKey} 'ssh-ed25519 AAAA...'";
    }
}
