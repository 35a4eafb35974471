using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>The last step: ZTNet must answer through Caddy over HTTPS, or the deployment fails.</summary>
internal static class HealthGate
{
    public static RemoteStep Make(StepFactory f, StackSettings st, IReadOnlyList<RemoteStep> before, IEnumerable<string> dependsOn)
    {
        var port = st.HttpsPort.ToString(CultureInfo.InvariantCulture);
        var s = new Script($"ZTNet must answer {st.PublicUrl}{st.ZtnetHealthPath} through Caddy within {st.HealthTimeoutSeconds} s")
            // The gate runs again after any change that reaches the host: this line carries a digest of what every step before it does.
            .Line($"# deployment digest: {Digest(before)}");
        // An IP as domain is reached at that IP, not through --resolve to 127.0.0.1: curl sends
        // no SNI for an IP, so Caddy picks the certificate by the address the connection arrived on.
        if (!st.DomainIsIpAddress) s.Var("domain", st.Domain).Var("port", port);
        s.Var("url", $"{st.PublicUrl}{st.ZtnetHealthPath}")
         .Var("timeout", st.HealthTimeoutSeconds.ToString(CultureInfo.InvariantCulture))
         .Var("user", st.ServiceUser)
         .Line(st.DomainIsIpAddress
             ? "args=(--silent --show-error --fail --max-time 10)"
             : "args=(--silent --show-error --fail --max-time 10 --resolve \"$domain:$port:127.0.0.1\")");
        if (st.TlsMode == TlsMode.Internal)
        {
            s.Var("ca", $"{ServiceCatalogue.DataPath(st, "caddy_data")}/caddy/pki/authorities/local/root.crt")
             .Line("args+=(--cacert \"$ca\")");
        }
        s.Line("deadline=$((SECONDS + timeout))")
         .Line("last=\"no answer yet\"")
         .Line("while :; do");
        if (st.TlsMode == TlsMode.Internal)
            s.Line("  if [ ! -f \"$ca\" ]; then last=\"Caddy has not created its local CA ($ca) yet\";")
             .Line("  elif out=$(curl \"${args[@]}\" -o /dev/null \"$url\" 2>&1); then break; else last=$out; fi");
        else
            s.Line("  if out=$(curl \"${args[@]}\" -o /dev/null \"$url\" 2>&1); then break; else last=$out; fi");
        s.Line("  if [ \"$SECONDS\" -ge \"$deadline\" ]; then")
         .Line("    echo \"ztnet-infra: ZTNet did not answer $url through Caddy within $timeout s.\" >&2")
         .Line("    echo \"ztnet-infra: last error: $last\" >&2")
         .Line($"    systemctl --user -M \"$user@\" --no-pager is-active {string.Join(' ', ServiceCatalogue.UnitNames)} >&2 || true")
         .Line("    echo \"ztnet-infra: look at: sudo journalctl _UID=$(id -u \"$user\") -n 100; sudo systemctl --user -M $user@ status 'container-*'\" >&2")
         .Line("    exit 1")
         .Line("  fi")
         .Line("  sleep 5")
         .Line("done")
         .Line("echo \"ztnet-infra: ZTNet answers $url through Caddy\"");
        return f.Make("health-gate", "ZTNet answers through Caddy", StepAccount.Root, s, dependsOn: dependsOn);
    }

    private static string Digest(IReadOnlyList<RemoteStep> steps)
    {
        var sb = new StringBuilder();
        foreach (var step in steps)
        foreach (var script in new[] { step.Create, step.Update }.OfType<StepScript>())
            sb.Append(step.Name).Append('\0').Append(script.Command).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..16];
    }
}
