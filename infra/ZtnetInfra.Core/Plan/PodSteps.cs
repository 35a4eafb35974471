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
        // input change re-runs a step, the SSH connection included) from a rotation. A rotation
        // restarts nothing here: the database-password step puts the new password into effect
        // first, then restarts ZTNet.
        var create = StoreSecrets(ReadSecrets(new Script("podman secrets for the database password and the ZTNet auth secret, from standard input")));
        var update = StoreSecrets(ReadSecrets(new Script("replace the podman secrets when they changed (the database-password step then puts them into effect)")));
        var delete = new Script("remove the podman secrets")
            .Line($"for s in {ServiceCatalogue.PostgresSecret} {ServiceCatalogue.AuthSecret}; do")
            .Line("  if podman secret inspect \"$s\" >/dev/null 2>&1; then podman secret rm \"$s\" >/dev/null; fi")
            .Line("done")
            .Line($"rm -f \"{SecretsDigest}\"");
        return f.Make("podman-secrets", "Podman secrets (values on stdin only)", StepAccount.ServiceUser, create, update, delete,
            dependsOn: ["service-user"], secrets: [PlanSecret.PostgresPassword, PlanSecret.AuthSecret]);
    }

    private static Script StoreSecrets(Script s) => s
        .Line($"digest_file=\"{SecretsDigest}\"")
        .Line("digest=$(printf '%s\\n%s\\n' \"$pg_password\" \"$auth_secret\" | sha256sum | cut -d' ' -f1)")
        .Line("if [ -f \"$digest_file\" ] && [ \"$(cat \"$digest_file\")\" = \"$digest\" ] \\")
        .Line($"  && podman secret inspect {ServiceCatalogue.PostgresSecret} >/dev/null 2>&1 && podman secret inspect {ServiceCatalogue.AuthSecret} >/dev/null 2>&1; then")
        .Line("  echo \"ztnet-infra: podman secrets unchanged\"")
        .Line("  exit 0")
        .Line("fi")
        // `secret create --replace` of a secret that does not exist fails on Podman 4.7 to 5.0
        // ("deleting secret : : no secret data with ID": containers/common pkg/secrets/secrets.go
        // Store deletes the empty ID of the missing secret). So --replace only for one that
        // exists; a new one is created plainly. The value goes through printf, a builtin, never argv.
        .Line("store_secret() {")
        .Line("  if podman secret inspect \"$1\" >/dev/null 2>&1; then")
        .Line("    printf '%s' \"$2\" | podman secret create --replace \"$1\" - >/dev/null")
        .Line("  else")
        .Line("    printf '%s' \"$2\" | podman secret create \"$1\" - >/dev/null")
        .Line("  fi")
        .Line("}")
        .Line($"store_secret {ServiceCatalogue.PostgresSecret} \"$pg_password\"")
        .Line($"store_secret {ServiceCatalogue.AuthSecret} \"$auth_secret\"")
        .Line("install -d -m 0700 \"$(dirname \"$digest_file\")\"")
        .Line("printf '%s\\n' \"$digest\" > \"$digest_file\"")
        .Line("echo \"ztnet-infra: podman secrets stored\"");

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

    public static RemoteStep Unit(StepFactory f, UnitFile unit, string stepName, IEnumerable<string> dependsOn, string? containerName,
        Action<Script>? beforeWrite = null, (string HostPath, string Content)? configFile = null)
    {
        var text = unit.Render();
        var create = new Script($"write {unit.Name}{(configFile is null ? "" : " and its configuration file")}; when either text changed, restart it if it runs (an edit takes effect, nothing else moves)");
        beforeWrite?.Invoke(create);
        if (configFile is { } cf)
        {
            create.Var("config_file", cf.HostPath)
                .WriteFile("config_file", cf.Content, "0644")
                .Line("config_changed=$changed");
        }
        create.Line($"unit_file=\"{UnitDir}/{unit.Name}\"")
            .WriteFile("unit_file", text, "0644");
        if (configFile is not null) create.Line("if [ \"$config_changed\" -eq 1 ]; then changed=1; fi");
        create.Line("if [ \"$changed\" -eq 1 ]; then")
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
        if (configFile is { } written) delete.Line($"rm -f {Sh.Quote(written.HostPath)}");
        delete.Line(containerName is null
            ? $"podman pod rm --force --ignore {ServiceCatalogue.PodName} >/dev/null"
            : $"podman rm --force --ignore {Sh.Quote(containerName)} >/dev/null");
        return f.Make(stepName, $"Unit {unit.Name}", StepAccount.ServiceUser, create, delete: delete, dependsOn: dependsOn);
    }

    /// <summary>
    /// Before the PostgreSQL unit changes: the kept data directory must be of the image's major
    /// version (PG_MAJOR, set by the official image), and a dump of the database lands in
    /// DATA/backups before a running container moves to another image.
    /// </summary>
    public static void PostgresGuard(Script s, StackSettings st)
    {
        var pg = ServiceCatalogue.Postgres.Name;
        s.Var("image", st.PostgresImage)
         .Var("pgdata", ServiceCatalogue.DataPath(st, "postgres-data"))
         .Var("backups", ServiceCatalogue.DataPath(st, ServiceCatalogue.BackupsDirectory))
         .Var("keep", st.BackupsToKeep.ToString(System.Globalization.CultureInfo.InvariantCulture))
         .Line("want=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' \"$image\" | sed -n 's/^PG_MAJOR=//p')")
         // The files belong to the container's postgres user (a subordinate id): read them in the user namespace.
         .Line("have=$(podman unshare sh -c 'if [ -f \"$1/PG_VERSION\" ]; then cat \"$1/PG_VERSION\"; fi' sh \"$pgdata\")")
         .Line("if [ -n \"$have\" ] && [ -n \"$want\" ] && [ \"${want%%.*}\" != \"$have\" ]; then")
         .Line("  echo \"ztnet-infra: $pgdata holds a PostgreSQL $have database but ztnet:postgresImage is PostgreSQL $want: nothing was changed. Set ztnet:postgresImage back to a $have image; to upgrade, restore a dump into a new data directory (see README, 'Backups and PostgreSQL upgrades').\" >&2")
         .Line("  exit 1")
         .Line("fi")
         .Line($"if podman container exists {pg} && [ \"$(podman inspect --format '{{{{.ImageName}}}}' {pg})\" != \"$image\" ]; then")
         .Line("  install -d -m 0700 \"$backups\"")
         .Line("  dump=\"$backups/ztnet-$(date -u +%Y%m%dT%H%M%SZ).dump\"")
         .Line($"  if ! podman exec {pg} pg_dump -U {ServiceCatalogue.DatabaseSuperuser} -d {ServiceCatalogue.DatabaseName} --format=custom > \"$dump.tmp\"; then")
         .Line("    rm -f \"$dump.tmp\"")
         .Line("    echo \"ztnet-infra: the backup before the PostgreSQL image change failed: the running database is untouched\" >&2")
         .Line("    exit 1")
         .Line("  fi")
         .Line("  mv \"$dump.tmp\" \"$dump\"")
         .Line("  echo \"ztnet-infra: database dumped to $dump before the image change\"")
         .Line("  find \"$backups\" -maxdepth 1 -name 'ztnet-*.dump' -type f -printf '%f\\n' | sort -r | tail -n +$((keep + 1)) \\")
         .Line("    | while IFS= read -r old; do rm -f -- \"$backups/$old\"; echo \"ztnet-infra: removed the old backup $old\"; done")
         .Line("fi");
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

    public const string AppliedSecretsDigest = "$HOME/.config/ztnet-infra/secrets-in-effect.sha256";

    public static RemoteStep DatabasePassword(StepFactory f)
    {
        var pg = ServiceCatalogue.Postgres.Name;
        var admin = ServiceCatalogue.DatabaseSuperuser;
        var role = ServiceCatalogue.DatabaseUser;
        var db = ServiceCatalogue.DatabaseName;
        // PostgreSQL reads its password only when it creates its data directory: a kept
        // directory (a recreated stack) or a rotated password needs ALTER ROLE. A kept directory
        // made by the official image's initdb trusts TCP logins from 127.0.0.1 (no -A): those
        // lines become scram-sha-256. ZTNet gets its own role, owner of its database and of what
        // an older stack's ZTNet made there as the superuser; the superuser loses its password,
        // so only `podman exec` over the container's socket reaches it. All in one transaction:
        // ZTNet (waiting for its login) never sees the role without its database. Then ZTNet
        // restarts if the secrets it runs with changed.
        var create = ReadSecrets(new Script("the database requires the current password over TCP; ZTNet has its own non-superuser role; ZTNet restarts after a rotation"))
            // Ready over TCP: the entrypoint's first-start server answers on the socket only, then
            // shuts down (seen on the VM: "the database system is shutting down").
            .Line("ready=0")
            .Line("for _ in $(seq 1 300); do")
            .Line($"  if podman exec {pg} pg_isready -q -h 127.0.0.1 -U {admin} >/dev/null 2>&1; then ready=1; break; fi")
            .Line("  sleep 2")
            .Line("done")
            .Line("if [ \"$ready\" -ne 1 ]; then")
            .Line($"  echo \"ztnet-infra: PostgreSQL did not become ready within 600 s; see: journalctl --user -u {ServiceCatalogue.Postgres.Unit}\" >&2")
            .Line("  exit 1")
            .Line("fi")
            // As the server's own user, so the rewritten file keeps its owner and mode.
            .Line($"changed=$(podman exec --user postgres {pg} sh -c '")
            .Line("  f=\"$PGDATA/pg_hba.conf\"")
            .Line("  if grep -Eq \"^[[:space:]]*host.*[[:space:]]trust[[:space:]]*\\$\" \"$f\"; then")
            .Line("    sed -i -E \"/^[[:space:]]*host/ s/[[:space:]]trust[[:space:]]*\\$/ scram-sha-256/\" \"$f\"")
            .Line("    echo 1")
            .Line("  fi')")
            // The statement that carries the password is kept out of the server log, even when it fails.
            .Line("{")
            .Line("  printf '%s\\n' 'SET log_statement = none;' 'SET log_min_error_statement = panic;' 'SET log_min_duration_statement = -1;'")
            .Line("  cat <<'SQL'")
            .Line(RoleSql(role))
            .Line("SQL")
            .Line($"  printf \"ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '%s';\\n\" \"$pg_password\"")
            .Line("  cat <<'SQL'")
            .Line($"ALTER ROLE {admin} WITH PASSWORD NULL;")
            .Line(OwnershipSql(role))
            .Line("SQL")
            .Line("  if [ -n \"$changed\" ]; then printf '%s\\n' 'SELECT pg_reload_conf();'; fi")
            .Line($"}} | podman exec -i {pg} psql -q -X -1 -v ON_ERROR_STOP=1 -U {admin} -d {db} >/dev/null")
            .Line("if [ -n \"$changed\" ]; then echo \"ztnet-infra: TCP logins to PostgreSQL now need the password (trust lines in pg_hba.conf replaced)\"; fi")
            .Line($"echo \"ztnet-infra: database password in effect; ZTNet logs in as {role}, owner of the database {db}, not a superuser\"")
            .Line($"digest_file=\"{AppliedSecretsDigest}\"")
            .Line("digest=$(printf '%s\\n%s\\n' \"$pg_password\" \"$auth_secret\" | sha256sum | cut -d' ' -f1)")
            .Line("if [ -f \"$digest_file\" ] && [ \"$(cat \"$digest_file\")\" != \"$digest\" ]; then")
            .Line($"  systemctl --user try-restart {ServiceCatalogue.Ztnet.Unit}")
            .Line("  echo \"ztnet-infra: ZTNet restarted with the new secrets\"")
            .Line("fi")
            .Line("install -d -m 0700 \"$(dirname \"$digest_file\")\"")
            .Line("printf '%s\\n' \"$digest\" > \"$digest_file\"");
        var delete = new Script("forget which secrets ZTNet runs with")
            .Line($"rm -f \"{AppliedSecretsDigest}\"");
        return f.Make("database-password", "Database requires the current password; ZTNet restarts after a rotation", StepAccount.ServiceUser, create,
            delete: delete, dependsOn: ["enable-units"], secrets: [PlanSecret.PostgresPassword, PlanSecret.AuthSecret]);
    }

    /// <summary>Creates ZTNet's role when it is missing (no password yet: the next statement sets it).</summary>
    internal static string RoleSql(string role) =>
        $"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role}; END IF; END $$;";

    /// <summary>
    /// Once, while the database still belongs to the superuser (a new one, or one an older stack's
    /// ZTNet used as `postgres`): hands ZTNet's role the tables, sequences and enum types in schema
    /// public (what ZTNet's migrations make; a column's sequence follows its table), then the
    /// database. Once the database is ZTNet's, nothing changes owner again: an object an
    /// administrator later makes there as `postgres` stays theirs. Extension members stay.
    /// </summary>
    internal static string OwnershipSql(string role) =>
        "DO $$ DECLARE r record; BEGIN "
        + $"IF (SELECT datdba FROM pg_database WHERE datname = current_database()) = '{role}'::regrole THEN RETURN; END IF; "
        + "FOR r IN SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') "
        + "AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') "
        + "ORDER BY c.relkind = 'S' LOOP "
        + $"IF (SELECT relowner FROM pg_class WHERE oid = r.oid) <> '{role}'::regrole THEN "
        + $"EXECUTE format(CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE %s' ELSE 'ALTER TABLE %s' END || ' OWNER TO {role}', r.name); END IF; END LOOP; "
        + "FOR r IN SELECT format('%I.%I', n.nspname, t.typname) AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        + $"WHERE n.nspname = 'public' AND t.typtype = 'e' AND t.typowner <> '{role}'::regrole "
        + "AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') LOOP "
        + $"EXECUTE format('ALTER TYPE %s OWNER TO {role}', r.name); END LOOP; "
        + $"EXECUTE format('ALTER DATABASE %I OWNER TO {role}', current_database()); END $$;";

    public static RemoteStep Images(StepFactory f, StackSettings st)
    {
        // Pulled by a step of their own, before any unit step: a changed image is present before
        // its container stops, a failed pull fails here with the old container still serving,
        // and a unit's start timeout never includes a pull.
        var images = new[] { st.PostgresImage, st.ZerotierImage, st.ZtnetImage, st.CaddyImage };
        var s = new Script("pull the four images (only those not present yet), before any container uses them")
            .Line($"images=({string.Join(' ', images.Select(Sh.Quote))})")
            .Line("for image in \"${images[@]}\"; do")
            .Line("  if podman image exists \"$image\"; then echo \"ztnet-infra: $image present\"; continue; fi")
            .Line("  for try in 1 2 3; do")
            .Line("    if podman pull --quiet \"$image\" >/dev/null; then break; fi")
            .Line("    if [ \"$try\" -eq 3 ]; then")
            .Line("      echo \"ztnet-infra: cannot pull $image (3 tries); the running containers are untouched. Check the image name and the host's access to its registry.\" >&2")
            .Line("      exit 1")
            .Line("    fi")
            .Line("    sleep $((try * 10))")
            .Line("  done")
            .Line("  echo \"ztnet-infra: pulled $image\"")
            .Line("done");
        var delete = new Script("remove the images this stack pulled, where no container uses them any more")
            .Line($"images=({string.Join(' ', images.Select(Sh.Quote))})")
            .Line("for image in \"${images[@]}\"; do")
            .Line("  if podman image exists \"$image\" && podman image rm \"$image\" >/dev/null 2>&1; then echo \"ztnet-infra: removed $image\"; fi")
            .Line("done");
        return f.Make("images", "Pull the container images", StepAccount.ServiceUser, s, delete: delete, dependsOn: ["service-user"]);
    }

    public static RemoteStep? AutoUpdate(StepFactory f, StackSettings st)
    {
        if (!st.AutoUpdate) return null;
        var create = new Script("daily podman auto-update of the labelled containers")
            .Line("systemctl --user enable --now podman-auto-update.timer")
            .Line("podman auto-update --dry-run || true");
        var delete = new Script("stop podman auto-update")
            .Line("systemctl --user disable --now podman-auto-update.timer 2>/dev/null || true");
        // After the password step, which may restart ZTNet: no two steps change the user manager at once.
        return f.Make("auto-update", "podman-auto-update.timer", StepAccount.ServiceUser, create, delete: delete, dependsOn: ["enable-units", "database-password"]);
    }
}
