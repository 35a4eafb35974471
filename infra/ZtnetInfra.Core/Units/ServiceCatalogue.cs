using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Units;

/// <summary>The four containers of the pod, and the names everything else refers to.</summary>
public static class ServiceCatalogue
{
    public const string PodName = "ztnet-pod";
    public const string PodUnit = "ztnet-pod.service";
    public const string PostgresSecret = "ztnet-postgres-password";
    public const string AuthSecret = "ztnet-auth-secret";
    public const string DatabaseName = "ztnet";
    /// <summary>
    /// The superuser the PostgreSQL image's entrypoint creates (POSTGRES_USER). Used only over the
    /// container's own socket (`podman exec`); it has no password, so no TCP login reaches it.
    /// </summary>
    public const string DatabaseSuperuser = "postgres";

    /// <summary>
    /// ZTNet's own role: LOGIN without superuser, owner of schema public (not of the database, which
    /// stays the superuser's, so the role can set no per-database setting), with CONNECT, TEMPORARY
    /// and CREATE on the database. ZTNet's migrations (sinamics/ztnet v0.8.2 prisma/migrations)
    /// create only tables, indexes, sequences and enum types in schema public, plus `CREATE
    /// EXTENSION IF NOT EXISTS pgcrypto`, a trusted extension (PostgreSQL 13+) that a role with
    /// CREATE on the database may create.
    /// </summary>
    public const string DatabaseUser = "ztnet";

    /// <summary>Where podman mounts the database password secret in the PostgreSQL container (type=mount, default target /run/secrets/NAME).</summary>
    public const string PostgresPasswordFile = "/run/secrets/" + PostgresSecret;

    public static readonly ContainerService Postgres = new("postgres", "PostgreSQL for ZTNet");
    public static readonly ContainerService Zerotier = new("zerotier", "ZeroTier controller");
    public static readonly ContainerService Ztnet = new("ztnet", "ZTNet web UI");
    public static readonly ContainerService Caddy = new("caddy", "Caddy TLS reverse proxy for ZTNet");

    /// <summary>Start order: each after the ones before it.</summary>
    public static IReadOnlyList<ContainerService> Containers { get; } = [Postgres, Zerotier, Ztnet, Caddy];

    public static IReadOnlyList<string> UnitNames { get; } = [PodUnit, .. Containers.Select(c => c.Unit)];

    /// <summary>Directories under the data directory, each owned by the service user.</summary>
    public static IReadOnlyList<string> DataSubdirectories { get; } = ["postgres-data", "zerotier", "caddy_data", "caddy_config", BackupsDirectory, ZtnetBackupsDirectory];

    /// <summary>Database dumps taken before a PostgreSQL image change (the last ztnet:backupsToKeep).</summary>
    public const string BackupsDirectory = "backups";

    /// <summary>
    /// ZTNet's own admin backups (its admin page's Backup tab): written to /app/tmp/backups, the
    /// ZTNet process's cwd + tmp/backups (sinamics/ztnet v0.8.2 adminRoute.ts createBackup), kept
    /// here so they outlive the container and go into this stack's backups.
    /// </summary>
    public const string ZtnetBackupsDirectory = "ztnet-backups";

    /// <summary>Where ZTNet writes its admin backups in its container.</summary>
    public const string ZtnetBackupsMount = "/app/tmp/backups";

    public static string DataPath(StackSettings s, string sub) => $"{s.DataDir}/{sub}";
}

public sealed record ContainerService(string Name, string Description)
{
    public string Unit => $"container-{Name}.service";
}
