namespace ZtnetInfra.Core.Settings;

/// <summary>Every setting a stack can have, validated. Built only by <see cref="SettingsReader"/>.</summary>
public sealed record StackSettings
{
    public required string Host { get; init; }
    public int SshPort { get; init; } = 22;
    public string SshUser { get; init; } = "root";
    public string? SshHostKey { get; init; }
    public string? BastionHost { get; init; }
    public int BastionPort { get; init; } = 22;
    public string? BastionUser { get; init; }
    public string? BastionHostKey { get; init; }
    public string ServiceUser { get; init; } = "ztnet";
    public string DataDir { get; init; } = "/opt/ztnet-data";
    public required string Domain { get; init; }
    public TlsMode TlsMode { get; init; } = TlsMode.Acme;

    /// <summary>ztnet:acmeEmail: the ACME account's contact address, or null.</summary>
    public string? AcmeEmail { get; init; }

    /// <summary>ztnet:acmeCa: the ACME directory URL ("staging" already expanded), or null for Caddy's default issuers.</summary>
    public string? AcmeCa { get; init; }

    /// <summary>ztnet:acmeCaRoot: the CA's root certificates as normalised PEM (read from the workstation file when a path was given), or null.</summary>
    public string? AcmeCaRootPem { get; init; }
    public int HttpPort { get; init; } = 80;
    public int HttpsPort { get; init; } = 443;
    public int ZerotierPort { get; init; } = 9993;
    public string PostgresImage { get; init; } = Defaults.PostgresImage;
    public string ZerotierImage { get; init; } = Defaults.ZerotierImage;
    public string ZtnetImage { get; init; } = Defaults.ZtnetImage;
    public string CaddyImage { get; init; } = Defaults.CaddyImage;
    public string ZtnetHealthPath { get; init; } = "/api/auth/ok";
    public bool AutoUpdate { get; init; } = true;
    public bool ZerotierJoinNetworks { get; init; }
    public bool RetainDataOnDestroy { get; init; } = true;

    /// <summary>ztnet:allowPortsBelow80: validation accepted a published port below 80 (nothing else reads it).</summary>
    public bool AllowPortsBelow80 { get; init; }
    public int HealthTimeoutSeconds { get; init; } = 300;
    public int BackupsToKeep { get; init; } = 5;

    /// <summary>ztnet:backupSchedule: an OnCalendar= expression, or null for no timer ("off").</summary>
    public string? BackupSchedule { get; init; } = "daily";

    /// <summary>ztnet:backupRepository: the restic repository, or null (backups stay on the host).</summary>
    public string? BackupRepository { get; init; }

    /// <summary>ztnet:backupCheckSchedule: when `restic check` runs (with a repository), or null ("off").</summary>
    public string? BackupCheckSchedule { get; init; } = "weekly";

    /// <summary>ztnet:restoreFrom: what to restore onto a new data directory, or null (nothing).</summary>
    public RestoreSource? RestoreFrom { get; init; }

    /// <summary>True when the stack sets ztnet:backupRepositoryPassword (as a secret).</summary>
    public bool BackupRepositoryPasswordSet { get; init; }

    /// <summary>True when the stack sets ztnet:backupRepositoryEnvironment (as a secret).</summary>
    public bool BackupRepositoryEnvironmentSet { get; init; }

    /// <summary>True when the stack sets ztnet:postgresPassword itself (as a secret); else one is generated.</summary>
    public bool PostgresPasswordSet { get; init; }

    /// <summary>True when the stack sets ztnet:authSecret itself (as a secret); else one is generated.</summary>
    public bool AuthSecretSet { get; init; }

    /// <summary>True when the stack sets ztnet:sshPrivateKey (as a secret); else the SSH agent is used.</summary>
    public bool SshPrivateKeySet { get; init; }

    /// <summary>The address users open in a browser; ZTNet's NEXTAUTH_URL must be exactly this.</summary>
    public string PublicUrl => HttpsPort == 443 ? $"https://{Domain}" : $"https://{Domain}:{HttpsPort}";

    /// <summary>True when ztnet:domain is an IPv4 address (a LAN stack with Caddy's internal CA).</summary>
    public bool DomainIsIpAddress => Validate.IsIPv4(Domain);

    /// <summary>The lowest port the pod publishes on the host.</summary>
    public int LowestPublishedPort => Math.Min(HttpPort, Math.Min(HttpsPort, ZerotierPort));
}

public static class Defaults
{
    public const string PostgresImage = "docker.io/library/postgres:15.19-alpine";
    public const string ZerotierImage = "docker.io/zyclonite/zerotier:1.14.2";
    public const string ZtnetImage = "docker.io/sinamics/ztnet:0.8.2";
    public const string CaddyImage = "docker.io/library/caddy:2.11.4-alpine";
}
