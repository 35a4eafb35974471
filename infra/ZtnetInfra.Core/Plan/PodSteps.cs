using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>Steps that run as the service user, in its systemd user manager.</summary>
internal static class PodSteps
{
    private const string UnitDir = "$HOME/.config/systemd/user";

    private const string SecretsDigest = "$HOME/.config/ztnet-infra/secrets.sha256";

    public static RemoteStep Secrets(StepFactory f)
    {
        // A digest of the values (never the values) tells a re-run with the same secrets (any
        // input change re-runs a step, the SSH connection included) from a rotation.
        var create = StoreSecrets(ReadSecrets(new Script("podman secrets for the database password and the ZTNet auth secret, from standard input")), restart: false);
        var update = StoreSecrets(ReadSecrets(new Script("replace the podman secrets when they changed; then restart ZTNet, which reads them")), restart: true);
        var delete = new Script("remove the podman secrets")
            .Line($"for s in {ServiceCatalogue.PostgresSecret} {ServiceCatalogue.AuthSecret}; do")
            .Line("  if podman secret inspect \"$s\" >/dev/null 2>&1; then podman secret rm \"$s\" >/dev/null; fi")
            .Line("done")
            .Line($"rm -f \"{SecretsDigest}\"");
        return f.Make("podman-secrets", "Podman secrets (values on stdin only)", StepAccount.ServiceUser, create, update, delete,
            dependsOn: ["service-user"], secrets: [PlanSecret.PostgresPassword, PlanSecret.AuthSecret]);
    }

    private static Script StoreSecrets(Script s, bool restart)
    {
        s.Line($"digest_file=\"{SecretsDigest}\"")
         .Line("digest=$(printf '%s\\n%s\\n' \"$pg_password\" \"$auth_secret\" | sha256sum | cut -d' ' -f1)")
         .Line("if [ -f \"$digest_file\" ] && [ \"$(cat \"$digest_file\")\" = \"$digest\" ] \\")
         .Line($"  && podman secret inspect {ServiceCatalogue.PostgresSecret} >/dev/null 2>&1 && podman secret inspect {ServiceCatalogue.AuthSecret} >/dev/null 2>&1; then")
         .Line("  echo \"ztnet-infra: podman secrets unchanged\"")
         .Line("  exit 0")
         .Line("fi")
         .Line($"printf '%s' \"$pg_password\" | podman secret create --replace {ServiceCatalogue.PostgresSecret} - >/dev/null")
         .Line($"printf '%s' \"$auth_secret\" | podman secret create --replace {ServiceCatalogue.AuthSecret} - >/dev/null")
         .Line("install -d -m 0700 \"$(dirname \"$digest_file\")\"")
         .Line("printf '%s\\n' \"$digest\" > \"$digest_file\"");
        if (restart) s.Line($"systemctl --user try-restart {ServiceCatalogue.Ztnet.Unit}");
        return s.Line("echo \"ztnet-infra: podman secrets stored\"");
    }

    /// <summary>Reads the database password (line 1 of stdin) and refuses one that would break ZTNet's database URL.</summary>
    private static Script ReadPassword(Script s) => s
        .Line("IFS= read -r pg_password || true")
        .Line("case \"$pg_password\" in")
        .Line("  '') echo \"ztnet-infra: the database password did not arrive on standard input\" >&2; exit 1 ;;")
        .Line("  *[!A-Za-z0-9]*) echo \"ztnet-infra: ztnet:postgresPassword must hold letters and digits only: ZTNet puts it into a URL unencoded\" >&2; exit 1 ;;")
        .Line("esac")
        .Line($"if [ \"${{#pg_password}}\" -lt {SecretRules.MinimumPasswordLength} ]; then echo \"ztnet-infra: ztnet:postgresPassword must be at least {SecretRules.MinimumPasswordLength} characters\" >&2; exit 1; fi");

    /// <summary>Reads both secrets (one a line, in the step's stdin order) and checks them as <see cref="SecretRules"/> does.</summary>
    private static Script ReadSecrets(Script s) => ReadPassword(s)
        .Line("IFS= read -r auth_secret || true")
        .Line($"if [ \"${{#auth_secret}}\" -lt {SecretRules.MinimumAuthSecretLength} ]; then echo \"ztnet-infra: ztnet:authSecret must be at least {SecretRules.MinimumAuthSecretLength} characters\" >&2; exit 1; fi");

    public static RemoteStep PodmanSocket(StepFactory f)
    {
        var create = new Script("the service user's podman API socket (for `podman --remote` checks)")
            .Line("systemctl --user enable --now podman.socket");
        var delete = new Script("stop the podman API socket")
            .Line("systemctl --user disable --now podman.socket 2>/dev/null || true");
        return f.Make("podman-socket", "Service user's podman.socket", StepAccount.ServiceUser, create, delete: delete, dependsOn: ["service-user"]);
    }

    public static RemoteStep Unit(StepFactory f, UnitFile unit, string stepName, IEnumerable<string> dependsOn, string? containerName)
    {
        var text = unit.Render();
        var create = new Script($"write {unit.Name}; when its text changed, restart it if it runs (an edit takes effect, nothing else moves)")
            .Line($"unit_file=\"{UnitDir}/{unit.Name}\"")
            .WriteFile("unit_file", text, "0644")
            .Line("if [ \"$changed\" -eq 1 ]; then")
            .Line("  systemctl --user daemon-reload")
            .Line($"  systemctl --user try-restart {unit.Name}")
            .Line($"  echo \"ztnet-infra: {unit.Name} written\"")
            .Line("else")
            .Line($"  echo \"ztnet-infra: {unit.Name} unchanged\"")
            .Line("fi");
        var delete = new Script($"stop, disable and remove {unit.Name}")
            .Line($"systemctl --user disable --now {unit.Name} 2>/dev/null || true")
            .Line($"rm -f \"{UnitDir}/{unit.Name}\"")
            .Line("systemctl --user daemon-reload || echo \"ztnet-infra: warning: systemctl --user daemon-reload failed (no user manager?): the unit file is removed all the same\" >&2")
            .Line($"systemctl --user reset-failed {unit.Name} 2>/dev/null || true");
        delete.Line(containerName is null
            ? $"podman pod rm --force --ignore {ServiceCatalogue.PodName} >/dev/null"
            : $"podman rm --force --ignore {Sh.Quote(containerName)} >/dev/null");
        return f.Make(stepName, $"Unit {unit.Name}", StepAccount.ServiceUser, create, delete: delete, dependsOn: dependsOn);
    }

    public static RemoteStep Enable(StepFactory f, IEnumerable<string> unitSteps)
    {
        var units = string.Join(' ', ServiceCatalogue.UnitNames);
        var create = new Script("enable the pod and its containers at boot (linger) and start them now")
            .Line("systemctl --user daemon-reload")
            .Line($"systemctl --user enable {units}")
            .Line($"systemctl --user start {units}")
            .Line($"systemctl --user is-active {units} || true");
        var delete = new Script("stop and disable the pod and its containers")
            .Line($"systemctl --user disable --now {units} 2>/dev/null || true");
        return f.Make("enable-units", "Enable and start the pod and containers", StepAccount.ServiceUser, create, delete: delete, dependsOn: unitSteps);
    }

    public static RemoteStep DatabasePassword(StepFactory f)
    {
        // PostgreSQL reads POSTGRES_PASSWORD only when it creates its data directory: a kept
        // directory (a recreated stack) or a rotated password needs ALTER USER.
        var create = ReadPassword(new Script("make the database accept the current password (kept data, rotation)"))
            .Line("for _ in $(seq 1 120); do")
            .Line($"  if podman exec {ServiceCatalogue.Postgres.Name} pg_isready -q -U {ServiceCatalogue.DatabaseUser} >/dev/null 2>&1; then break; fi")
            .Line("  sleep 2")
            .Line("done")
            .Line($"printf \"ALTER USER {ServiceCatalogue.DatabaseUser} WITH PASSWORD '%s';\\n\" \"$pg_password\" \\")
            .Line($"  | podman exec -i {ServiceCatalogue.Postgres.Name} psql -q -v ON_ERROR_STOP=1 -U {ServiceCatalogue.DatabaseUser} -d postgres >/dev/null")
            .Line("echo \"ztnet-infra: database password in effect\"");
        return f.Make("database-password", "Database accepts the current password", StepAccount.ServiceUser, create,
            dependsOn: ["enable-units"], secrets: [PlanSecret.PostgresPassword]);
    }

    public static RemoteStep? AutoUpdate(StepFactory f, StackSettings st)
    {
        if (!st.AutoUpdate) return null;
        var create = new Script("daily podman auto-update of the labelled containers")
            .Line("systemctl --user enable --now podman-auto-update.timer")
            .Line("podman auto-update --dry-run || true");
        var delete = new Script("stop podman auto-update")
            .Line("systemctl --user disable --now podman-auto-update.timer 2>/dev/null || true");
        return f.Make("auto-update", "podman-auto-update.timer", StepAccount.ServiceUser, create, delete: delete, dependsOn: ["enable-units"]);
    }
}
