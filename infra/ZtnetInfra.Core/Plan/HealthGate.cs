using System.Security.Cryptography;
using System.Text;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// The last step: what a user needs must work, several times in a row, or the deployment fails
/// naming the check that failed and where to look. ZTNet must answer its health path through
/// Caddy over HTTPS with the expected body; ZeroTier must answer its authenticated API inside
/// the pod; ZTNet must have started after ZeroTier's token existed (ZTNet reads it once, at
/// start: sinamics/ztnet src/utils/ztApi.ts); PostgreSQL must refuse a TCP login without the
/// password and accept the current one.
/// </summary>
internal static class HealthGate
{
    /// <summary>Consecutive rounds in which every check passes.</summary>
    public const int RoundsInARow = 3;

    /// <summary>
    /// The least time the passing rounds span (first to last), with no container started again in
    /// between: as long as the 5 s pauses between rounds used to guarantee on a fast host.
    /// </summary>
    public const int StableSeconds = 10;

    public static RemoteStep Make(StepFactory f, StackSettings st, IReadOnlyList<RemoteStep> before, IEnumerable<string> dependsOn)
    {
        var s = new Script($"ZTNet answers {st.PublicUrl}{st.ZtnetHealthPath} through Caddy, the controller answers, the database needs its password: {RoundsInARow} rounds in a row within {st.HealthTimeoutSeconds} s", "health-gate.create.sh")
            // The gate runs again after any change that reaches the host: this line carries a
            // digest of what every step before it does, and its stdin (the secrets) changes with
            // a rotation.
            .Note($"deployment digest: {Digest(before)}")
            .Var("url", $"{st.PublicUrl}{st.ZtnetHealthPath}")
            // A name goes to 127.0.0.1 with --resolve, an IP address with --connect-to (curl takes
            // no --resolve for an address).
            .Var("domain", st.DomainIsIpAddress ? "" : st.Domain)
            .Var("ip", st.DomainIsIpAddress ? st.Domain : "")
            .Var("port", st.HttpsPort)
            .Var("ca", st.TlsMode == TlsMode.Internal ? $"{ServiceCatalogue.DataPath(st, "caddy_data")}/caddy/pki/authorities/local/root.crt" : "")
            // ztnet:acmeCaRoot travels in this script: its file beside Caddy's JSON is in the
            // container's /config, which the container could rewrite to vouch for itself.
            .OptionalText("ca_pem", st.AcmeCaRootPem)
            // Let's Encrypt's staging roots are in no trust store: its certificates are not checked (the gate says so).
            .Var("unverified", st.AcmeCa == Validate.LetsEncryptStaging ? "1" : "")
            .Var("acme_ca", st.TlsMode == TlsMode.Internal ? "" : st.AcmeCa ?? DefaultIssuersName)
            .Var("caddy_container", ServiceCatalogue.Caddy.Name)
            .Var("timeout", st.HealthTimeoutSeconds)
            .Var("rounds", RoundsInARow)
            .Var("window", StableSeconds)
            .Var("token", $"{ServiceCatalogue.DataPath(st, "zerotier")}/authtoken.secret")
            .Array("units", ServiceCatalogue.UnitNames)
            .Array("containers", ServiceCatalogue.Containers.Select(c => c.Name))
            .Var("pg_container", ServiceCatalogue.Postgres.Name)
            .Var("ztnet_container", ServiceCatalogue.Ztnet.Name)
            .Var("ztnet_unit", ServiceCatalogue.Ztnet.Unit)
            .Var("db_role", ServiceCatalogue.DatabaseUser)
            .Var("db_superuser", ServiceCatalogue.DatabaseSuperuser)
            .Var("db_name", ServiceCatalogue.DatabaseName)
            .Var("marker", $"{st.DataDir}/{Ownership.MarkerName}");
        return f.Make("health-gate", "ZTNet answers through Caddy; controller and database checked", StepAccount.ServiceUser, s,
            dependsOn: dependsOn, secrets: [PlanSecret.PostgresPassword, PlanSecret.AuthSecret]);
    }

    /// <summary>How the report names the CA when ztnet:acmeCa is not set.</summary>
    public const string DefaultIssuersName = "https://acme-v02.api.letsencrypt.org/directory (Caddy default)";

    private static string Digest(IReadOnlyList<RemoteStep> steps)
    {
        var sb = new StringBuilder();
        foreach (var step in steps)
        foreach (var script in new[] { step.Create, step.Update }.OfType<StepScript>())
            sb.Append(step.Name).Append('\0').Append(script.Command).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..16];
    }
}
