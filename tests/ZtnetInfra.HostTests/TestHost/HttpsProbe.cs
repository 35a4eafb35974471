using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace ZtnetInfra.HostTests.TestHost;

/// <summary>
/// A browser's view from outside the VM: https://DOMAIN/ (port 443 in the URL, so the Host header
/// and SNI are exactly what a user sends), the TCP connection going to the forwarded loopback port,
/// the certificate checked against Caddy's local root CA and the domain name.
/// </summary>
public sealed class HttpsProbe : IDisposable
{
    private readonly HttpClient _client;
    private readonly string _domain;

    public HttpsProbe(string domain, int forwardedPort, X509Certificate2 caddyRoot)
    {
        _domain = domain;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, forwardedPort, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionLifetime = TimeSpan.Zero,
            // The server's intermediate comes with the handshake; only Caddy's root is trusted; the name must match.
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { caddyRoot },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        };
        _client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <summary>GET a path; the status and body, or the error as text (status 0).</summary>
    public async Task<(int Status, string Body)> GetAsync(string path, CancellationToken ct = default)
    {
        try
        {
            using var r = await _client.GetAsync($"https://{_domain}{path}", ct);
            return ((int)r.StatusCode, await r.Content.ReadAsStringAsync(ct));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (0, e.GetBaseException().Message);
        }
    }

    /// <summary>
    /// The leaf certificate served on the forwarded port to a client that sends <paramref name="sni"/>
    /// (none for an IP address), not checked: for comparing what is served over time.
    /// </summary>
    public static async Task<X509Certificate2> ServedCertificateAsync(string sni, int forwardedPort)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, forwardedPort);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = sni });
        var served = tls.RemoteCertificate ?? throw new InvalidOperationException("no certificate served");
        return X509CertificateLoader.LoadCertificate(served.GetRawCertData());
    }

    public void Dispose() => _client.Dispose();
}
