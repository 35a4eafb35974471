using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>Steps that run as the service user, in its systemd user manager.</summary>
internal static class PodSteps
{
    public static RemoteStep Secrets(StepFactory f)
    {
        var create = SecretNames(ReadsSecrets(new Script("podman secrets for the database password and the ZTNet auth secret, from standard input", "podman-secrets.create.sh")));
        var update = SecretNames(ReadsSecrets(new Script("replace the podman secrets when they changed (the database-password step then puts them into effect)", "podman-secrets.create.sh")));
        var delete = SecretNames(new Script("remove the podman secrets", "podman-secrets.delete.sh"));
        return f.Make("podman-secrets", "Podman secrets (values on stdin only)", StepAccount.ServiceUser, create, update, delete,
            dependsOn: ["service-user"], secrets: [PlanSecret.PostgresPassword, PlanSecret.AuthSecret]);
    }

    private static Script SecretNames(Script s) => s
        .Var("postgres_secret", ServiceCatalogue.PostgresSecret)
        .Var("auth_secret_name", ServiceCatalogue.AuthSecret);

    /// <summary>The limits lib/read-secrets.sh checks the secrets from stdin against (<see cref="SecretRules"/>).</summary>
    private static Script ReadsSecrets(Script s) => s
        .Var("min_password_length", SecretRules.MinimumPasswordLength)
        .Var("min_auth_secret_length", SecretRules.MinimumAuthSecretLength);

    public static RemoteStep PodmanSocket(StepFactory f)
    {
        var create = new Script("the service user's podman API socket (for `podman --remote` checks)", "podman-socket.create.sh");
        var delete = new Script("stop the podman API socket", "podman-socket.delete.sh");
        return f.Make("podman-socket", "Service user's podman.socket", StepAccount.ServiceUser, create, delete: delete, dependsOn: ["service-user"]);
    }

    public static RemoteStep Unit(StepFactory f, UnitFile unit, string stepName, IEnumerable<string> dependsOn, string? containerName,
        StackSettings? postgresGuard = null, (string HostPath, string Content)? configFile = null, (string HostPath, string? Content)? rootFile = null)
    {
        var purpose = $"write {unit.Name}{(configFile is null ? "" : " and its configuration file")}; when either text changed, restart it if it runs (an edit takes effect, nothing else moves)";
        var create = postgresGuard is null
            ? new Script(purpose, "unit.create.sh")
            : PostgresGuard(new Script(purpose, "postgres-guard.sh", "unit.create.sh"), postgresGuard);
        create.Var("unit_name", unit.Name)
            .Array("units", ServiceCatalogue.UnitNames)
            .Var("enabled_record", EnabledRecord)
            .Text("unit_text", unit.Render())
            .Var("config_file", configFile?.HostPath ?? "");
        create.OptionalText("config_text", configFile?.Content);
        create.Var("root_file", rootFile?.HostPath ?? "").OptionalText("root_text", rootFile?.Content);
        var delete = new Script($"stop, disable and remove {unit.Name}", "unit.delete.sh")
            .Var("unit_name", unit.Name)
            .Var("config_file", configFile?.HostPath ?? "")
            .Var("root_file", rootFile?.HostPath ?? "")
            .Var("container", containerName ?? "")
            .Var("pod_name", ServiceCatalogue.PodName);
        return f.Make(stepName, $"Unit {unit.Name}", StepAccount.ServiceUser, create, delete: delete, dependsOn: dependsOn);
    }

    /// <summary>
    /// Before the PostgreSQL unit changes (Scripts/postgres-guard.sh): the kept data directory must
    /// be of the image's major version, and a dump lands in DATA/backups before a running container
    /// moves to another image.
    /// </summary>
    private static Script PostgresGuard(Script s, StackSettings st) => s
        .Var("image", st.PostgresImage)
        .Var("pgdata", ServiceCatalogue.DataPath(st, "postgres-data"))
        .Var("backups", ServiceCatalogue.DataPath(st, ServiceCatalogue.BackupsDirectory))
        .Var("keep", st.BackupsToKeep)
        .Var("pg_container", ServiceCatalogue.Postgres.Name)
        .Var("db_superuser", ServiceCatalogue.DatabaseSuperuser)
        .Var("db_name", ServiceCatalogue.DatabaseName);

    /// <summary>enable-units' record, relative to the service user's home: the units were enabled and started.</summary>
    public const string EnabledRecord = ".local/state/ztnet-infra/units-enabled";

    public static RemoteStep Enable(StepFactory f, IEnumerable<string> unitSteps)
    {
        var create = new Script("enable the pod and its containers at boot (linger) and start them now", "enable-units.create.sh")
            .Array("units", ServiceCatalogue.UnitNames)
            .Var("enabled_record", EnabledRecord);
        var delete = new Script("stop and disable the pod and its containers", "enable-units.delete.sh")
            .Array("units", ServiceCatalogue.UnitNames)
            .Var("enabled_record", EnabledRecord);
        return f.Make("enable-units", "Enable and start the pod and containers", StepAccount.ServiceUser, create, delete: delete, dependsOn: unitSteps);
    }

    public static RemoteStep DatabasePassword(StepFactory f)
    {
        var create = ReadsSecrets(new Script("the database requires the current password over TCP; ZTNet has its own non-superuser role; ZTNet restarts after a rotation", "database-password.create.sh"))
            .Var("pg_container", ServiceCatalogue.Postgres.Name)
            .Var("pg_unit", ServiceCatalogue.Postgres.Unit)
            .Var("ztnet_unit", ServiceCatalogue.Ztnet.Unit);
        var delete = new Script("forget which secrets ZTNet runs with", "database-password.delete.sh");
        return f.Make("database-password", "Database requires the current password; ZTNet restarts after a rotation", StepAccount.ServiceUser, create,
            delete: delete, dependsOn: ["enable-units"], secrets: [PlanSecret.PostgresPassword, PlanSecret.AuthSecret]);
    }

    public static RemoteStep Images(StepFactory f, StackSettings st)
    {
        string[] images = [st.PostgresImage, st.ZerotierImage, st.ZtnetImage, st.CaddyImage];
        var s = new Script("pull the four images (only those not present yet, in one podman pull that fetches each image's layers at once), before any container uses them", "images.create.sh")
            .Array("images", images);
        var delete = new Script("remove the images this stack pulled, where no container uses them any more", "images.delete.sh")
            .Array("images", images);
        return f.Make("images", "Pull the container images", StepAccount.ServiceUser, s, delete: delete, dependsOn: ["service-user"]);
    }
}
