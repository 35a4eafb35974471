using System.Globalization;
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

    public static RemoteStep Make(StepFactory f, StackSettings st, IReadOnlyList<RemoteStep> before, IEnumerable<string> dependsOn)
    {
        var port = st.HttpsPort.ToString(CultureInfo.InvariantCulture);
        var units = string.Join(' ', ServiceCatalogue.UnitNames);
        var containers = string.Join(' ', ServiceCatalogue.Containers.Select(c => c.Name));
        var s = new Script($"ZTNet answers {st.PublicUrl}{st.ZtnetHealthPath} through Caddy, the controller answers, the database needs its password: {RoundsInARow} rounds in a row within {st.HealthTimeoutSeconds} s")
            // The gate runs again after any change that reaches the host: this line carries a
            // digest of what every step before it does, and its stdin (the secrets) changes with
            // a rotation.
            .Line($"# deployment digest: {Digest(before)}")
            .Line("IFS= read -r pg_password || true")
            .Line("IFS= read -r _ || true");
        // An IP as domain is reached at that IP, not through --resolve to 127.0.0.1: curl sends
        // no SNI for an IP, so Caddy picks the certificate by the address the connection arrived on.
        if (!st.DomainIsIpAddress) s.Var("domain", st.Domain).Var("port", port);
        s.Var("url", $"{st.PublicUrl}{st.ZtnetHealthPath}")
         .Var("timeout", st.HealthTimeoutSeconds.ToString(CultureInfo.InvariantCulture))
         .Var("token", $"{ServiceCatalogue.DataPath(st, "zerotier")}/authtoken.secret")
         .Line("body=$(mktemp)")
         .Line("trap 'rm -f \"$body\"' EXIT")
         .Line(st.DomainIsIpAddress
             ? "args=(--silent --show-error --max-time 20 --output \"$body\" --write-out '%{http_code}')"
             : "args=(--silent --show-error --max-time 20 --resolve \"$domain:$port:127.0.0.1\" --output \"$body\" --write-out '%{http_code}')");
        if (st.TlsMode == TlsMode.Internal)
            s.Var("ca", $"{ServiceCatalogue.DataPath(st, "caddy_data")}/caddy/pki/authorities/local/root.crt")
             .Line("args+=(--cacert \"$ca\")");
        // A TCP login from inside the pod with the current password, as ROLE, running SQL. The
        // password reaches psql on stdin and lives only in that process's environment.
        s.Line("tcp_login() {")
         .Line($"  printf '%s\\n' \"$pg_password\" | podman exec -i {ServiceCatalogue.Postgres.Name} sh -c 'IFS= read -r PGPASSWORD; export PGPASSWORD; exec psql -X -w -h 127.0.0.1 -U \"$1\" -d {ServiceCatalogue.DatabaseName} -Atc \"$2\"' sh \"$1\" \"$2\"")
         .Line("}")
         .Line("check() {")
         .Line("  local code zt_started token_time");
        if (st.TlsMode == TlsMode.Internal)
            s.Line("  if [ ! -f \"$ca\" ]; then last=\"Caddy has not created its local CA ($ca) yet\"; where=caddy; return 1; fi");
        s.Line("  if ! code=$(curl \"${args[@]}\" \"$url\" 2>&1); then last=\"HTTPS through Caddy: $code\"; where=caddy; return 1; fi")
         .Line("  if [ \"$code\" != 200 ]; then last=\"HTTPS through Caddy answered $code (want 200): $(head -c 200 \"$body\")\"; where=ztnet; return 1; fi")
         .Line("  if ! grep -Eq '\"ok\" *: *true' \"$body\"; then last=\"$url answered 200 without {\\\"ok\\\":true}: $(head -c 200 \"$body\")\"; where=ztnet; return 1; fi")
         // The token goes to curl on its standard input (a config line), never on a command line.
         .Line($"  if ! podman exec -i {ServiceCatalogue.Ztnet.Name} sh -c 'IFS= read -r t; printf \"header = \\\"X-ZT1-Auth: %s\\\"\\n\" \"$t\" | curl -fsS --max-time 20 -o /dev/null -K - \"$ZT_ADDR/status\"' < \"$token\" >/dev/null 2>\"$body\"; then")
         .Line("    last=\"the ZeroTier controller does not answer its authenticated API at ZT_ADDR/status from the ZTNet container: $(head -c 200 \"$body\")\"; where=zerotier; return 1")
         .Line("  fi")
         .Line($"  zt_started=$(podman inspect --format '{{{{.State.StartedAt.Unix}}}}' {ServiceCatalogue.Ztnet.Name})")
         .Line("  token_time=$(stat -c %Y \"$token\")")
         .Line("  if [ \"$token_time\" -gt \"$zt_started\" ]; then")
         .Line($"    last=\"ZTNet started before ZeroTier wrote its current token ($token) and reads it only at start: restart it (systemctl --user restart {ServiceCatalogue.Ztnet.Unit} as the service user)\"; where=ztnet; return 1")
         .Line("  fi")
         .Line($"  if podman exec {ServiceCatalogue.Postgres.Name} psql -X -w -h 127.0.0.1 -U {ServiceCatalogue.DatabaseUser} -d {ServiceCatalogue.DatabaseName} -Atc 'SELECT 1' >/dev/null 2>&1; then")
         .Line("    last=\"PostgreSQL accepts a TCP login from the pod without a password (pg_hba.conf trusts it): the database-password step enforces scram-sha-256\"; where=postgres; return 1")
         .Line("  fi")
         .Line($"  if ! super=$(tcp_login {ServiceCatalogue.DatabaseUser} 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user' 2>\"$body\"); then")
         .Line($"    last=\"PostgreSQL refuses ZTNet's role {ServiceCatalogue.DatabaseUser} with the current password over TCP: $(head -c 200 \"$body\")\"; where=postgres; return 1")
         .Line("  fi")
         .Line("  if [ \"$super\" != f ]; then")
         .Line($"    last=\"ZTNet's database role {ServiceCatalogue.DatabaseUser} is a superuser (rolsuper: $super): the database-password step makes it an ordinary role\"; where=postgres; return 1")
         .Line("  fi")
         // The superuser has no password: the one ZTNet holds must not open it over TCP.
         .Line($"  if tcp_login {ServiceCatalogue.DatabaseSuperuser} 'SELECT 1' >/dev/null 2>&1; then")
         .Line($"    last=\"the PostgreSQL superuser {ServiceCatalogue.DatabaseSuperuser} accepts ZTNet's password over TCP: the database-password step removes its password\"; where=postgres; return 1")
         .Line("  fi")
         .Line("  return 0")
         .Line("}")
         .Line("report() {")
         .Line("  echo \"ztnet-infra: the deployment is not healthy after $timeout s.\" >&2")
         .Line("  echo \"ztnet-infra: failed check: $last\" >&2")
         .Line($"  for u in {units}; do")
         .Line("    echo \"ztnet-infra:   $u: $(systemctl --user show -p ActiveState --value \"$u\"), restarted $(systemctl --user show -p NRestarts --value \"$u\") times\" >&2")
         .Line("  done")
         // State.Health is nil on podman 5 for a container without a check (containers/podman #21388): guarded.
         .Line($"  for c in {containers}; do")
         .Line("    if podman container exists \"$c\"; then")
         .Line("      echo \"ztnet-infra:   container $c: health $(podman inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' \"$c\" 2>/dev/null || echo unknown); last check output: $(podman inspect --format '{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' \"$c\" 2>/dev/null | tail -n 2 | tr '\\n' ' ')\" >&2")
         .Line("    else")
         .Line("      echo \"ztnet-infra:   container $c: not running\" >&2")
         .Line("    fi")
         .Line("  done")
         .Line("  echo \"ztnet-infra: look at: journalctl --user -u container-$where.service -n 100 (as the service user), or sudo journalctl _UID=$(id -u) -n 100\" >&2")
         .Line("}")
         .Line("deadline=$((SECONDS + timeout))")
         .Line("last=\"no check ran yet\"")
         .Line("where=ztnet")
         .Line("passed=0")
         .Line("while :; do")
         .Line("  if check; then")
         .Line("    passed=$((passed + 1))")
         .Line($"    if [ \"$passed\" -ge {RoundsInARow} ]; then break; fi")
         .Line("  else")
         .Line("    passed=0")
         .Line("  fi")
         .Line("  if [ \"$SECONDS\" -ge \"$deadline\" ]; then report; exit 1; fi")
         .Line("  sleep 5")
         .Line("done")
         .Line($"echo \"ztnet-infra: ZTNet answers $url through Caddy; the controller and the database answer as they should ({RoundsInARow} rounds in a row)\"");
        return f.Make("health-gate", "ZTNet answers through Caddy; controller and database checked", StepAccount.ServiceUser, s,
            dependsOn: dependsOn, secrets: [PlanSecret.PostgresPassword, PlanSecret.AuthSecret]);
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
