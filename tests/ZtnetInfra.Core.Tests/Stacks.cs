using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>Stack configs the tests use: the shipped example and varied ones that exercise every branch.</summary>
public static class Stacks
{
    public static Dictionary<string, ConfigValue> Minimal() => new()
    {
        ["ztnet:host"] = ConfigValue.Plain("203.0.113.10"),
        ["ztnet:domain"] = ConfigValue.Plain("ztnet.example.org"),
    };

    public static Dictionary<string, ConfigValue> With(params (string Key, string Value)[] values)
    {
        var c = Minimal();
        foreach (var (k, v) in values) c["ztnet:" + k] = ConfigValue.Plain(v);
        return c;
    }

    /// <summary>A config with secret keys set (as `pulumi config set --secret` leaves them: encrypted, the value unknown here).</summary>
    public static Dictionary<string, ConfigValue> Secret(Dictionary<string, ConfigValue> config, params string[] keys)
    {
        foreach (var k in keys) config["ztnet:" + k] = ConfigValue.Secure();
        return config;
    }

    /// <summary>Named stacks, varied so that every optional step and unit branch appears in at least one.</summary>
    public static IReadOnlyDictionary<string, Dictionary<string, ConfigValue>> Varied { get; } = new Dictionary<string, Dictionary<string, ConfigValue>>
    {
        ["default"] = Minimal(),
        ["lan-high-ports"] = With(("tlsMode", "internal"), ("domain", "ztnet"), ("httpPort", "8080"), ("httpsPort", "8443"), ("zerotierPort", "19993"), ("autoUpdate", "false")),
        ["join-purge"] = With(("serviceUser", "zt-svc"), ("dataDir", "/srv/ztnet_2"), ("zerotierJoinNetworks", "true"), ("retainDataOnDestroy", "false")),
        ["pinned-digests"] = With(("postgresImage", "registry.example.org:5000/mirror/postgres@sha256:" + new string('a', 64)),
            ("ztnetImage", "ghcr.io/example/ztnet:0.7.18"), ("ztnetHealthPath", "/api/auth/session"), ("healthTimeoutSeconds", "900")),
        ["sudo-bastion-ipv6"] = With(("host", "2001:db8::10"), ("sshUser", "admin"), ("sshPort", "2222"), ("bastionHost", "jump.example.org"),
            ("bastionUser", "jump"), ("sshHostKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo root@host")),
        ["https-only-acme"] = With(("httpPort", "8080"), ("zerotierPort", "9994"), ("caddyImage", "docker.io/library/caddy:2.10.2-alpine")),
        ["low-port-internal"] = With(("tlsMode", "internal"), ("httpPort", "81"), ("httpsPort", "444"), ("zerotierPort", "99")),
        // A LAN stack on an IPv4 address: Caddy's internal CA certifies the IP itself.
        ["lan-ip-internal"] = With(("tlsMode", "internal"), ("domain", "192.168.1.10"), ("httpsPort", "8443")),
        // Backups copied off the host with backend credentials, on a schedule of their own; and none on a timer.
        ["offsite-backups"] = Secret(With(("backupRepository", "s3:https://s3.example.org/ztnet-backups"), ("backupSchedule", "*-*-* 03:30:00"),
            ("backupCheckSchedule", "Sun *-*-* 04:00:00"), ("backupsToKeep", "14")), "backupRepositoryPassword", "backupRepositoryEnvironment"),
        // A private ACME CA with its root inline and an account e-mail; and Let's Encrypt with an e-mail (ZeroSSL as fallback).
        ["private-acme"] = With(("acmeCa", "https://ca.example.lan:9000/acme/acme/directory"), ("acmeCaRoot", TestCertificates.RootPem("ztnet-tests private CA")),
            ("acmeEmail", "ops@example.org")),
        ["acme-email"] = With(("acmeEmail", "admin@example.org")),
        ["no-backup-timer"] = Secret(With(("backupSchedule", "off"), ("backupRepository", "/mnt/offsite/restic"), ("backupCheckSchedule", "off")), "backupRepositoryPassword"),
        // A new server recovered from the repository's newest backup; one brought over from ZTNet's own admin backup.
        ["restore-restic"] = Secret(With(("backupRepository", "sftp:backup@backup.example.org:/srv/restic/ztnet"), ("restoreFrom", "restic:latest")), "backupRepositoryPassword"),
        ["restore-ztnet-archive"] = With(("restoreFrom", "host:/root/ztnet_backup_2026-12-01.tar.gz"), ("serviceUser", "zt-svc"), ("dataDir", "/srv/ztnet")),
        ["restore-workstation"] = With(("restoreFrom", "file:../backups/ztnet-backup-20261201T030000Z.tar"), ("sshUser", "deploy")),
    };

    public static DeploymentPlan Plan(Dictionary<string, ConfigValue> config) => Planner.Build(SettingsReader.Read(config));

    public static IEnumerable<object[]> VariedNames() => Varied.Keys.Select(k => new object[] { k });
}
