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
    public const string DatabaseUser = "postgres";

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
    public static IReadOnlyList<string> DataSubdirectories { get; } = ["postgres-data", "zerotier", "caddy_data", "caddy_config", BackupsDirectory];

    /// <summary>Database dumps taken before a PostgreSQL image change (the last ztnet:backupsToKeep).</summary>
    public const string BackupsDirectory = "backups";

    public static string DataPath(StackSettings s, string sub) => $"{s.DataDir}/{sub}";
}

public sealed record ContainerService(string Name, string Description)
{
    public string Unit => $"container-{Name}.service";
}
