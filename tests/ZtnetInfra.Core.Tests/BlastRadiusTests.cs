using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// For each setting, exactly which steps change when it alone changes: only those run on the
/// next `pulumi up`. A change here is a change in what users see in `pulumi preview`.
/// </summary>
public class BlastRadiusTests
{
    private const string Gate = "health-gate";

    public static IEnumerable<object[]> Cases() => new (string Key, string Value, string[] Steps)[]
    {
        ("serviceUser", "zt-service", ["data-dirs", "database-password", "enable-units", Gate, "images", "podman-secrets", "podman-socket",
            "service-account", "service-user", "unit-caddy", "unit-postgres", "unit-zerotier", "unit-ztnet", "unit-ztnet-pod", "backups", "image-backup"]),
        ("dataDir", "/srv/ztnet", ["data-dirs", Gate, "unit-caddy", "unit-postgres", "unit-zerotier", "unit-ztnet", "backups"]),
        ("domain", "ztnet2.example.org", [Gate, "unit-caddy", "unit-ztnet"]),
        ("tlsMode", "internal", [Gate, "unit-caddy"]),
        // Caddy's JSON (the acme issuers) and the gate (the CA its report names).
        ("acmeEmail", "ops@example.org", [Gate, "unit-caddy"]),
        ("acmeCa", "staging", [Gate, "unit-caddy"]),
        ("httpPort", "8080", [Gate, "unit-ztnet-pod", "unprivileged-ports"]),
        ("httpsPort", "8443", [Gate, "unit-ztnet", "unit-ztnet-pod"]),
        ("zerotierPort", "9994", [Gate, "unit-ztnet-pod"]),
        // A backup runs before a running PostgreSQL or ZTNet container moves to another image.
        ("postgresImage", "docker.io/library/postgres:15.18-alpine", [Gate, "image-backup", "images", "unit-postgres"]),
        ("zerotierImage", "docker.io/zyclonite/zerotier:1.14.0", [Gate, "images", "unit-zerotier"]),
        ("ztnetImage", "docker.io/sinamics/ztnet:0.8.1", [Gate, "image-backup", "images", "unit-ztnet"]),
        ("caddyImage", "docker.io/library/caddy:2.10.2-alpine", [Gate, "images", "unit-caddy"]),
        ("ztnetHealthPath", "/api/auth/session", [Gate, "unit-ztnet"]),
        // The label on each container, and the backups step's ztnet-auto-update units.
        ("autoUpdate", "false", ["backups", Gate, "unit-caddy", "unit-postgres", "unit-zerotier", "unit-ztnet"]),
        ("zerotierJoinNetworks", "true", [Gate, "unit-zerotier"]),
        ("retainDataOnDestroy", "false", ["data-dirs", "service-account"]),
        // The gate, and the auto-update's own wait for the pod to settle (the backup program).
        ("healthTimeoutSeconds", "600", [Gate, "backups"]),
        // Validation only: it decides whether low ports are accepted, not what lands.
        ("allowPortsBelow80", "true", []),
        // Read by the backup program and by the PostgreSQL unit step's dump (the gate's digest covers both).
        ("backupsToKeep", "10", ["backups", Gate, "unit-postgres"]),
        ("backupSchedule", "hourly", ["backups", Gate]),
        ("backupSchedule", "off", ["backups", Gate]),
        // A restore step appears between the unit steps and enable-units, which waits for it.
        ("restoreFrom", "host:/root/ztnet-backup.tar.gz", ["enable-units", Gate, "restore"]),
        // From the workstation: also the inbox it is sent into, and the upload itself (a CopyToRemote).
        ("restoreFrom", "file:backups/ztnet-backup.tar.gz", ["enable-units", Gate, "restore", "restore-inbox", "restore-upload"]),
        // No step's text changes; the SSH connection, an input of every step, does: every step
        // runs again (PlanDocumentTests holds plan.md to that).
        ("host", "198.51.100.7", []),
        ("sshPort", "2222", []),
        ("sshUser", "admin", []),
        ("sshHostKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo", []),
        ("bastionHost", "jump.example.org", []),
    }.Select(c => new object[] { c.Key, c.Value, c.Steps });

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_setting_changes_exactly_its_steps(string key, string value, string[] expected)
    {
        var before = Stacks.Plan(Stacks.Minimal());
        var after = Stacks.Plan(Stacks.With((key, value)));

        Assert.Equal(expected.Order(StringComparer.Ordinal), BlastRadius.Between(before, after));
    }

    /// <summary>Settings of a stack that copies its backups to a restic repository (they need one, and its password).</summary>
    public static IEnumerable<object[]> RepositoryCases() => new (string Key, string Value, string[] Steps)[]
    {
        // restic is installed only for a repository; the backups step writes the program and units again.
        ("backupRepository", "sftp:backup@backup.example.org:/srv/restic/ztnet", ["backups", Gate]),
        ("backupCheckSchedule", "monthly", ["backups", Gate]),
        ("backupCheckSchedule", "off", ["backups", Gate]),
        ("restoreFrom", "restic:latest", ["enable-units", Gate, "restore"]),
    }.Select(c => new object[] { c.Key, c.Value, c.Steps });

    private static Dictionary<string, ConfigValue> WithRepository(params (string, string)[] values) =>
        Stacks.Secret(Stacks.With([("backupRepository", "/mnt/offsite/restic"), .. values]), "backupRepositoryPassword");

    [Theory]
    [MemberData(nameof(RepositoryCases))]
    public void A_repository_setting_changes_exactly_its_steps(string key, string value, string[] expected)
    {
        var before = Stacks.Plan(WithRepository());
        var after = Stacks.Plan(WithRepository((key, value)));

        Assert.Equal(expected.Order(StringComparer.Ordinal), BlastRadius.Between(before, after));
    }

    [Fact]
    public void A_private_CA_root_changes_only_Caddy_and_the_gate()
    {
        var ca = Stacks.With(("acmeCa", "https://ca.example.lan/acme/acme/directory"));
        var withRoot = Stacks.With(("acmeCa", "https://ca.example.lan/acme/acme/directory"), ("acmeCaRoot", TestCertificates.RootPem("blast radius root")));
        var otherRoot = Stacks.With(("acmeCa", "https://ca.example.lan/acme/acme/directory"), ("acmeCaRoot", TestCertificates.RootPem("blast radius root 2")));

        Assert.Equal([Gate, "unit-caddy"], BlastRadius.Between(Stacks.Plan(ca), Stacks.Plan(withRoot)));
        Assert.Equal([Gate, "unit-caddy"], BlastRadius.Between(Stacks.Plan(withRoot), Stacks.Plan(otherRoot)));
    }

    [Fact]
    public void A_first_repository_installs_restic_and_changes_only_the_backups_step()
    {
        Assert.Equal(["backups", Gate, "host-packages"], BlastRadius.Between(Stacks.Plan(Stacks.Minimal()), Stacks.Plan(WithRepository())));
        Assert.Contains("restic", Stacks.Plan(WithRepository()).Step("host-packages").Create.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("restic", Stacks.Plan(Stacks.Minimal()).Step("host-packages").Create.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_setting_has_a_stated_blast_radius()
    {
        var stated = Cases().Concat(RepositoryCases()).Select(c => "ztnet:" + (string)c[0]).ToHashSet();
        // acmeCaRoot needs acmeCa: A_private_CA_root_changes_only_Caddy_and_the_gate states it.
        var unstated = SettingKeys.All.Where(k => !k.Secret && !stated.Contains(k.FullKey) && k != SettingKeys.AcmeCaRoot && k != SettingKeys.BastionPort && k != SettingKeys.BastionUser && k != SettingKeys.BastionHostKey);

        Assert.Empty(unstated);
    }

    [Fact]
    public void The_render_command_reports_the_same_radius_as_the_table()
    {
        foreach (var c in Cases().Where(c => (string)c[0] is "domain" or "caddyImage" or "retainDataOnDestroy"))
        {
            var key = SettingKeys.Find("ztnet:" + (string)c[0])!;
            Assert.Equal(((string[])c[2]).Order(StringComparer.Ordinal), BlastRadius.Of(Stacks.Minimal(), key));
        }
    }
}
