namespace ZtnetInfra.Core.Settings;

/// <summary>What a setting is: its key, default, meaning, a good example and how it is read.</summary>
public sealed record SettingKey(
    string Name,
    string Default,
    string Description,
    string Example,
    bool Required = false,
    bool Secret = false,
    bool ConnectionOnly = false,
    string? Alternate = null)
{
    /// <summary>Values to compare against when working out what a change of this setting touches.</summary>
    public IEnumerable<string> ComparisonValues => new[] { Alternate, Example, Default }.OfType<string>();

    public const string Namespace = "ztnet";

    public string FullKey => $"{Namespace}:{Name}";
}

/// <summary>The catalogue of every setting a stack can have, in the order the README lists them.</summary>
public static class SettingKeys
{
    /// <summary>A second host key, to compare against when working out what a host-key change touches.</summary>
    private const string OtherHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIELcT3+8dEBul1pFZx4zgGXuFoJ7wIfYdbibINNGCPP4";

    public static readonly SettingKey Host = new("host", "(required)", "Address of the server: DNS name or IP address.", "203.0.113.10", Required: true, ConnectionOnly: true, Alternate: "198.51.100.7");
    public static readonly SettingKey SshPort = new("sshPort", "22", "SSH port of the server.", "22", ConnectionOnly: true, Alternate: "2222");
    public static readonly SettingKey SshUser = new("sshUser", "root", "SSH login: root, or a user with passwordless sudo.", "admin", ConnectionOnly: true, Alternate: "deploy");
    public static readonly SettingKey SshHostKey = new("sshHostKey", "(none: not checked, with a warning)", "The server's SSH host key, pinned (a line of /etc/ssh/ssh_host_ed25519_key.pub).", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo", ConnectionOnly: true, Alternate: OtherHostKey);
    public static readonly SettingKey SshPrivateKey = new("sshPrivateKey", "(none: the SSH agent)", "Private key for the SSH login, set with --secret.", "pulumi config set --secret ztnet:sshPrivateKey < ~/.ssh/id_ed25519", Secret: true, ConnectionOnly: true);
    public static readonly SettingKey BastionHost = new("bastionHost", "(none)", "Optional jump host the SSH connection goes through.", "bastion.example.org", ConnectionOnly: true, Alternate: "jump.example.org");
    public static readonly SettingKey BastionPort = new("bastionPort", "22", "SSH port of the jump host.", "22", ConnectionOnly: true, Alternate: "2222");
    public static readonly SettingKey BastionHostKey = new("bastionHostKey", "(none: not checked, with a warning)", "The jump host's SSH host key, pinned.", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo", ConnectionOnly: true, Alternate: OtherHostKey);
    public static readonly SettingKey BastionUser = new("bastionUser", "(sshUser)", "Login on the jump host.", "jump", ConnectionOnly: true, Alternate: "jump2");
    public static readonly SettingKey ServiceUser = new("serviceUser", "ztnet", "Unprivileged user that owns the pod and runs it rootless.", "ztnet", Alternate: "zt-service");
    public static readonly SettingKey DataDir = new("dataDir", "/opt/ztnet-data", "Directory holding the database, ZeroTier identity and Caddy certificates.", "/srv/ztnet");
    public static readonly SettingKey Domain = new("domain", "(required)", "Public DNS name of the ZTNet UI, served by Caddy; with tlsMode internal also an IPv4 address (LAN).", "ztnet.example.org", Required: true, Alternate: "ztnet2.example.org");
    public static readonly SettingKey TlsMode = new("tlsMode", "acme", "acme: public certificate (domain must resolve here, port 80 or 443 reachable); internal: Caddy's local CA for LAN use.", "internal");
    public static readonly SettingKey AcmeEmail = new("acmeEmail", "(none)", "With tlsMode acme: the ACME account's contact address (the CA's expiry and problem notices). With it and no acmeCa, Caddy asks Let's Encrypt and falls back to ZeroSSL, as Caddy does given an e-mail.", "admin@example.org", Alternate: "ops@example.org");
    public static readonly SettingKey AcmeCa = new("acmeCa", "(Let's Encrypt, Caddy's default)", "With tlsMode acme: the ACME directory URL of another CA (https://; a private step-ca, Pebble or corporate CA), or staging for Let's Encrypt's staging directory (untrusted test certificates, high rate limits).", "https://ca.example.lan/acme/acme/directory", Alternate: "staging");
    public static readonly SettingKey AcmeCaRoot = new("acmeCaRoot", "(none: the public roots)", "With acmeCa: the CA's root certificate(s), PEM, given inline or as a file path on the workstation (relative to the project directory). Caddy trusts them when it talks to the CA, and the health gate checks the served certificate against them.", "./lan-ca-root.pem");
    public static readonly SettingKey HttpPort = new("httpPort", "80", "Host port for HTTP (redirects and ACME challenges).", "80", Alternate: "8080");
    public static readonly SettingKey HttpsPort = new("httpsPort", "443", "Host port for HTTPS.", "443", Alternate: "8443");
    public static readonly SettingKey ZerotierPort = new("zerotierPort", "9993", "Host UDP port for ZeroTier.", "9993", Alternate: "9994");
    public static readonly SettingKey PostgresImage = new("postgresImage", Defaults.PostgresImage, "PostgreSQL image: major version 15 (ZTNet ships a 15 client; a data directory of another major is refused), repository named postgres.", "docker.io/library/postgres:15.19-alpine", Alternate: "docker.io/library/postgres:15.18-alpine");
    public static readonly SettingKey ZerotierImage = new("zerotierImage", Defaults.ZerotierImage, "ZeroTier image.", "docker.io/zyclonite/zerotier:1.14.2", Alternate: "docker.io/zyclonite/zerotier:1.14.0");
    public static readonly SettingKey ZtnetImage = new("ztnetImage", Defaults.ZtnetImage, "ZTNet image.", "docker.io/sinamics/ztnet:0.8.2", Alternate: "docker.io/sinamics/ztnet:0.8.1");
    public static readonly SettingKey CaddyImage = new("caddyImage", Defaults.CaddyImage, "Caddy image.", "docker.io/library/caddy:2.11.4-alpine", Alternate: "docker.io/library/caddy:2.10.2-alpine");
    public static readonly SettingKey ZtnetHealthPath = new("ztnetHealthPath", "/api/auth/ok", "Path that answers when ZTNet is up (/api/auth/session for releases before 0.8).", "/api/auth/session");
    public static readonly SettingKey AutoUpdate = new("autoUpdate", "true", "Label the containers for podman auto-update and enable ztnet-auto-update.timer (daily: a backup, then podman auto-update, rolled back when the pod does not settle).", "false");
    public static readonly SettingKey ZerotierJoinNetworks = new("zerotierJoinNetworks", "false", "Let the ZeroTier container join networks (adds /dev/net/tun, NET_ADMIN, SYS_ADMIN); a controller alone needs none.", "true");
    public static readonly SettingKey RetainDataOnDestroy = new("retainDataOnDestroy", "true", "Keep the data directory and the service user on destroy; false purges both.", "false");
    public static readonly SettingKey AllowPortsBelow80 = new("allowPortsBelow80", "false", "Accept a published port (httpPort, httpsPort, zerotierPort) below 80. Publishing one lowers net.ipv4.ip_unprivileged_port_start host-wide to it, so every local user may bind the ports from there up, sshd's 22 among them when sshd is down; refused unless this is true.", "true");
    public static readonly SettingKey HealthTimeoutSeconds = new("healthTimeoutSeconds", "300", "How long the final health gate waits for ZTNet through Caddy.", "600");
    public static readonly SettingKey BackupSchedule = new("backupSchedule", "daily", "When ztnet-backup.timer takes a backup (the database and the ZeroTier controller, into DATA/backups): a systemd OnCalendar= expression, or off for no timer (the backups before an image change and the take-one-now command still work).", "*-*-* 03:30:00", Alternate: "hourly");
    public static readonly SettingKey BackupsToKeep = new("backupsToKeep", "5", "How many backups of each kind DATA/backups keeps (the backup archives; the dumps before a PostgreSQL image change): 1 to 100. Only what the stack recorded making is ever removed; a restic repository keeps every snapshot.", "10");
    public static readonly SettingKey BackupRepository = new("backupRepository", "(none: backups stay on the host)", "A restic repository each backup is copied to (sftp:, s3:, rest:, b2:, or an absolute path on another disk); needs backupRepositoryPassword.", "sftp:backup@backup.example.org:/srv/restic/ztnet", Alternate: "/mnt/offsite/restic-ztnet");
    public static readonly SettingKey BackupCheckSchedule = new("backupCheckSchedule", "weekly", "When `restic check` verifies the repository (only with backupRepository): an OnCalendar= expression, or off.", "Sun *-*-* 04:00:00", Alternate: "monthly");
    public static readonly SettingKey BackupRepositoryPassword = new("backupRepositoryPassword", "(required with backupRepository)", "The restic repository's password, set with --secret: one line. Keep a copy off the host: without it the repository cannot be read.", "pulumi config set --secret ztnet:backupRepositoryPassword \"$(openssl rand -base64 32)\"", Secret: true);
    public static readonly SettingKey BackupRepositoryEnvironment = new("backupRepositoryEnvironment", "(none)", "The repository backend's credentials for restic, NAME=value lines (AWS_ACCESS_KEY_ID=..., B2_ACCOUNT_KEY=..., RESTIC_REST_PASSWORD=...), set with --secret.", "pulumi config set --secret ztnet:backupRepositoryEnvironment \"$(printf 'AWS_ACCESS_KEY_ID=%s\\nAWS_SECRET_ACCESS_KEY=%s' \"$ID\" \"$KEY\")\"", Secret: true);
    public static readonly SettingKey RestoreFrom = new("restoreFrom", "(none: a new, empty ZTNet)", "Restore a backup onto this stack's new data directory, before ZeroTier and ZTNet first start: restic:latest or restic:SNAPSHOT (the newest ztnet-infra backup, or one snapshot, in backupRepository), file:PATH (an archive on this workstation, absolute or relative to the project directory, sent to the server by the stack), or host:/PATH (an archive on the server, root's): a ztnet-infra backup .tar, or the .tar.gz ZTNet's admin page downloads. Refused on a data directory that already holds data.", "restic:latest", Alternate: "host:/root/ztnet-backup.tar.gz");
    public static readonly SettingKey PostgresPassword = new("postgresPassword", "(generated)", "Database password, set with --secret: letters and digits only, at least 16.", "pulumi config set --secret ztnet:postgresPassword <letters-and-digits>", Secret: true);
    public static readonly SettingKey AuthSecret = new("authSecret", "(generated)", "ZTNet session secret (NEXTAUTH_SECRET), set with --secret: at least 32 characters, one line.", "pulumi config set --secret ztnet:authSecret \"$(openssl rand -base64 48)\"", Secret: true);

    public static IReadOnlyList<SettingKey> All { get; } =
    [
        Host, SshPort, SshUser, SshHostKey, SshPrivateKey, BastionHost, BastionPort, BastionUser, BastionHostKey,
        ServiceUser, DataDir, Domain, TlsMode, AcmeEmail, AcmeCa, AcmeCaRoot, HttpPort, HttpsPort, ZerotierPort,
        PostgresImage, ZerotierImage, ZtnetImage, CaddyImage, ZtnetHealthPath,
        AutoUpdate, ZerotierJoinNetworks, RetainDataOnDestroy, AllowPortsBelow80, HealthTimeoutSeconds,
        BackupSchedule, BackupsToKeep, BackupRepository, BackupCheckSchedule, RestoreFrom,
        PostgresPassword, AuthSecret, BackupRepositoryPassword, BackupRepositoryEnvironment,
    ];

    public static SettingKey? Find(string fullKey) => All.FirstOrDefault(k => k.FullKey == fullKey);
}
