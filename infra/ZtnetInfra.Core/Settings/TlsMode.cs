namespace ZtnetInfra.Core.Settings;

/// <summary>How Caddy gets its certificate.</summary>
public enum TlsMode
{
    /// <summary>A public certificate from an ACME CA (Let's Encrypt/ZeroSSL): the domain must resolve to the host and port 80 or 443 must be reachable.</summary>
    Acme,

    /// <summary>Caddy's own local CA, for LAN use: browsers warn until its root is trusted.</summary>
    Internal,
}
