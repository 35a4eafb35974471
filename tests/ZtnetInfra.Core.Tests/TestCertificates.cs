using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZtnetInfra.Core.Tests;

/// <summary>CA certificates made for the tests (a private ACME CA's root), one per name and run.</summary>
public static class TestCertificates
{
    private static readonly Dictionary<string, string> Made = [];

    /// <summary>A self-signed CA certificate, PEM, with the given common name (the same text for the same name within a run).</summary>
    public static string RootPem(string commonName)
    {
        lock (Made)
        {
            if (Made.TryGetValue(commonName, out var pem)) return pem;
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
            pem = cert.ExportCertificatePem() + "\n";
            Made[commonName] = pem;
            return pem;
        }
    }
}
