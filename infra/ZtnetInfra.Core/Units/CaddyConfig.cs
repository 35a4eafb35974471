using System.Text.Json;
using System.Text.Json.Nodes;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Units;

/// <summary>
/// Caddy's JSON configuration: the one `caddy reverse-proxy --from https://DOMAIN --to
/// 127.0.0.1:3000 [--internal-certs]` builds (caddyserver/caddy v2.11.4
/// modules/caddyhttp/reverseproxy/command.go: admin off and not persisted, one server "proxy" on
/// :443 with a host-matched reverse_proxy route, automatic HTTPS with its HTTP redirects, and a tls
/// automation policy with the internal issuer for --internal-certs), plus one thing that command
/// cannot say: the local CA's root is not installed into the container's trust store.
/// </summary>
/// <remarks>
/// Caddy starts its apps one after the other in map order, which Go randomises (caddy.go, run),
/// and the pki app's Start installs the local root with update-ca-certificates and friends
/// (modules/caddypki/pki.go, ca.go installRoot) before returning. In a container that store is
/// thrown away at every restart, so the install ran at every start (230 s on the forky VM under
/// emulation), and when pki comes first the HTTPS server waits for it. Nothing in the container
/// uses that store.
/// </remarks>
public static class CaddyConfig
{
    /// <summary>The file's name in DATA/caddy_config, which the container sees as /config.</summary>
    public const string FileName = "ztnet-infra-caddy.json";

    public const string ContainerPath = "/config/" + FileName;

    public static string HostPath(StackSettings s) => $"{ServiceCatalogue.DataPath(s, "caddy_config")}/{FileName}";

    /// <summary>ztnet:acmeCaRoot's certificates, written beside the JSON (the acme issuer reads roots only from files).</summary>
    public const string CaRootFileName = "ztnet-infra-acme-ca-root.pem";

    public const string CaRootContainerPath = "/config/" + CaRootFileName;

    public static string CaRootHostPath(StackSettings s) => $"{ServiceCatalogue.DataPath(s, "caddy_config")}/{CaRootFileName}";

    /// <summary>ZeroSSL's ACME directory: Caddy's second default issuer when an e-mail is given.</summary>
    public const string ZeroSslDirectory = "https://acme.zerossl.com/v2/DV90";

    public static string Json(StackSettings s)
    {
        var route = new JsonObject
        {
            ["match"] = new JsonArray(new JsonObject { ["host"] = new JsonArray(s.Domain) }),
            ["handle"] = new JsonArray(new JsonObject
            {
                ["handler"] = "reverse_proxy",
                ["transport"] = new JsonObject { ["protocol"] = "http" },
                ["upstreams"] = new JsonArray(new JsonObject { ["dial"] = "127.0.0.1:3000" }),
            }),
        };
        var apps = new JsonObject
        {
            ["http"] = new JsonObject
            {
                ["servers"] = new JsonObject
                {
                    ["proxy"] = new JsonObject
                    {
                        ["listen"] = new JsonArray(":443"),
                        ["routes"] = new JsonArray(route),
                        // HTTP/3 off: the pod publishes 443 over TCP only, so a browser told of h3
                        // (Caddy's default is h1 h2 h3, caddyhttp/server.go) would try QUIC and fall back.
                        ["protocols"] = new JsonArray("h1", "h2"),
                    },
                },
            },
        };
        if (s.TlsMode == TlsMode.Acme && AcmeIssuers(s) is { } issuers)
        {
            apps["tls"] = new JsonObject
            {
                ["automation"] = new JsonObject
                {
                    ["policies"] = new JsonArray(new JsonObject { ["subjects"] = new JsonArray(s.Domain), ["issuers"] = issuers }),
                },
            };
        }
        if (s.TlsMode == TlsMode.Internal)
        {
            apps["tls"] = new JsonObject
            {
                ["automation"] = new JsonObject
                {
                    ["policies"] = new JsonArray(new JsonObject
                    {
                        ["subjects"] = new JsonArray(s.Domain),
                        ["issuers"] = new JsonArray(new JsonObject { ["module"] = "internal" }),
                    }),
                },
            };
            apps["pki"] = new JsonObject
            {
                ["certificate_authorities"] = new JsonObject { ["local"] = new JsonObject { ["install_trust"] = false } },
            };
        }
        var config = new JsonObject
        {
            ["admin"] = new JsonObject { ["disabled"] = true, ["config"] = new JsonObject { ["persist"] = false } },
            ["apps"] = apps,
        };
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>
    /// The acme issuers (caddytls/acmeissuer.go: module "acme", ca, email,
    /// trusted_roots_pem_files), or null for Caddy's defaults (no e-mail, no CA). With an e-mail
    /// alone, the two issuers Caddy itself uses given an e-mail: Let's Encrypt, then ZeroSSL's ACME
    /// directory (caddytls/automation.go, DefaultIssuers). With a CA, that CA alone: a private CA is
    /// named because the public ones cannot issue for its names.
    /// </summary>
    private static JsonArray? AcmeIssuers(StackSettings s)
    {
        if (s.AcmeCa is null && s.AcmeEmail is null) return null;
        JsonObject Issuer(string? ca)
        {
            var issuer = new JsonObject { ["module"] = "acme" };
            if (ca is not null) issuer["ca"] = ca;
            if (s.AcmeEmail is not null) issuer["email"] = s.AcmeEmail;
            return issuer;
        }
        if (s.AcmeCa is null) return new JsonArray(Issuer(null), Issuer(ZeroSslDirectory));
        var own = Issuer(s.AcmeCa);
        if (s.AcmeCaRootPem is not null) own["trusted_roots_pem_files"] = new JsonArray(CaRootContainerPath);
        return new JsonArray(own);
    }
}
