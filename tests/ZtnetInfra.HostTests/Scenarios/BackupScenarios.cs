using System.Text.RegularExpressions;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// Backups on the VM: the timer takes one by itself (a short test schedule) and the archive reaches
/// a restic repository in the guest; the take-one-now command works; a ZTNet image change is
/// preceded by a backup; the archive holds the controller's identity and its networks and members
/// as the ZeroTier stand-in persists them; the repository's password is nowhere in logs or files
/// it does not belong in. The schedule goes back to daily at the end, for the scenarios after.
/// </summary>
public sealed partial class StackOnTestHostTests
{
    private const string GuestRepository = "/srv/restic-offsite";
    private const string ResticPassword = "testhost-restic-password-0123456789";

    private int ArchiveCount() =>
        host.Guest.RootOk($"test -f {BackupSteps.ArchiveRecord} && wc -l < {BackupSteps.ArchiveRecord} || echo 0").Trim() is var n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 0;

    private int SnapshotCount() => int.Parse(host.Guest.RootOk(
        $"RESTIC_PASSWORD_FILE={BackupSteps.SecretsDirectory}/restic-password restic --repo {GuestRepository} --no-cache snapshots --tag ztnet-infra --json "
        + "| python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private string NewestArchive() => host.Guest.RootOk($"tail -n 1 {BackupSteps.ArchiveRecord}").Trim();

    [Fact, Scenario(16)]
    public async Task Backups_run_on_their_timer_and_on_demand_reach_restic_and_precede_a_ZTNet_image_change()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;
        var backups = ServiceCatalogue.DataPath(s, ServiceCatalogue.BackupsDirectory);

        // A network with a member on the controller, persisted as FileDB does.
        var nwid = NetworkWithMember("backup-test");
        // One of ZTNet's own admin backups, where ZTNet writes it (/app/tmp/backups, adminRoute.ts
        // createBackup) and as whom: the container's root, ZTNet's user in its image.
        var ztnetBackups = ServiceCatalogue.DataPath(s, ServiceCatalogue.ZtnetBackupsDirectory);
        host.Guest.AsServiceUserOk("podman exec ztnet sh -c 'mkdir -p /app/tmp/backups && printf in-app-backup > /app/tmp/backups/ztnet_backup_vm.tar.gz'");
        Assert.Equal($"{s.ServiceUser} in-app-backup", host.Guest.RootOk($"stat -c %U {ztnetBackups}/ztnet_backup_vm.tar.gz && cat {ztnetBackups}/ztnet_backup_vm.tar.gz").Replace('\n', ' ').Trim());

        // Every two minutes, copies to a repository in the guest, two archives kept.
        host.Guest.RootOk($"install -d -m 0700 {GuestRepository}");
        var before = host.Stack.Plan;
        host.Stack.Set([(SettingKeys.BackupSchedule, "*:0/2"), (SettingKeys.BackupRepository, GuestRepository), (SettingKeys.BackupsToKeep, "2")],
            [(SettingKeys.BackupRepositoryPassword, PlanSecret.ResticPassword, ResticPassword)]);
        var expected = BlastRadius.Between(before, host.Stack.Plan);
        var run = host.Stack.Apply();
        output.WriteLine("backup settings ran: " + string.Join(", ", run.Select(r => r.Step)));
        Assert.Equal(expected, run.Select(r => r.Step).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains($"initialised the restic repository {GuestRepository}", run.Single(r => r.Step == BackupSteps.BackupsStep).Result.Stdout, StringComparison.Ordinal);

        // The timer, by itself (bounded: a schedule of 2 minutes on a slow emulated host). An earlier
        // scenario's image change may have made an archive already: a new one is waited for.
        var earlier = ArchiveCount() > 0 ? NewestArchive() : "";
        Assert.True(await Until(TimeSpan.FromMinutes(8), () => ArchiveCount() > 0 && NewestArchive() != earlier
                && host.Guest.Root($"systemctl show -P Result {BackupUnits.Service}").Stdout.Trim() == "success"
                && host.Guest.Root($"systemctl is-active {BackupUnits.Service}").Stdout.Trim() != "activating"),
            "no scheduled backup: " + host.Guest.Root($"systemctl status --no-pager {BackupUnits.Timer} {BackupUnits.Service}; journalctl --no-pager -n 40 -u {BackupUnits.Service}").Stdout);
        var scheduled = NewestArchive();
        Assert.Equal("service", ManifestField(backups, scheduled, "reason"));
        Assert.True(SnapshotCount() >= 1);

        // The archive holds the controller's identity, its network and member, and the dump.
        var inside = host.Guest.RootOk($"tar -xOf {backups}/{scheduled} zerotier.tar | tar -t; tar -tf {backups}/{scheduled}");
        foreach (var f in new[] { "./identity.secret", "./identity.public", "./authtoken.secret", $"./controller.d/network/{nwid}.json", $"./controller.d/network/{nwid}/member/1122334455.json", "database.dump", "manifest.json", "ztnet-backups.tar" })
            Assert.Contains(f + "\n", inside, StringComparison.Ordinal);
        Assert.Equal("in-app-backup", host.Guest.RootOk($"tar -xOf {backups}/{scheduled} ztnet-backups.tar | tar -xOf - ./ztnet_backup_vm.tar.gz"));
        Assert.Equal(nwid[..10], ManifestField(backups, scheduled, "controller"));

        // The schedule goes back to daily before anything else, so no timer run races what follows.
        host.Stack.Remove(SettingKeys.BackupSchedule);
        host.Stack.Apply();
        Assert.True(await Until(Minutes5, () => host.Guest.Root($"systemctl is-active {BackupUnits.Service}").Stdout.Trim() != "activating"));

        // Take one now, the README's command.
        var count = SnapshotCount();
        host.Guest.RootOk($"systemctl start {BackupUnits.Service}");
        Assert.NotEqual(scheduled, NewestArchive());
        Assert.Equal(count + 1, SnapshotCount());

        // A ZTNet image change: a backup first, then the new image.
        var newestBefore = NewestArchive();
        host.Stack.Set(SettingKeys.ZtnetImage, TestHostFixture.SecondZtnetImage);
        var change = host.Stack.Apply();
        output.WriteLine("ztnet image change ran: " + string.Join(", ", change.Select(r => r.Step)));
        var steps = change.Select(r => r.Step).ToList();
        Assert.True(steps.IndexOf(BackupSteps.ImageBackupStep) >= 0 && steps.IndexOf(BackupSteps.ImageBackupStep) < steps.IndexOf("unit-ztnet"), string.Join(", ", steps));
        Assert.Contains("backup before the image change (ztnet: docker.io/sinamics/ztnet:0.8.2 -> " + TestHostFixture.SecondZtnetImage + ")",
            change.Single(r => r.Step == BackupSteps.ImageBackupStep).Result.Stdout, StringComparison.Ordinal);
        var preChange = NewestArchive();
        Assert.NotEqual(newestBefore, preChange);
        Assert.Equal("image-change", ManifestField(backups, preChange, "reason"));
        Assert.Contains("docker.io/sinamics/ztnet:0.8.2\"", host.Guest.RootOk($"tar -xOf {backups}/{preChange} manifest.json"), StringComparison.Ordinal);
        Assert.Equal(TestHostFixture.SecondZtnetImage, host.Guest.AsServiceUserOk("podman inspect --format '{{.ImageName}}' ztnet").Trim());
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        // ZTNet's admin backup outlived its container (a new one, on the new image).
        Assert.Equal("in-app-backup", host.Guest.AsServiceUserOk("podman exec ztnet cat /app/tmp/backups/ztnet_backup_vm.tar.gz"));

        // Retention kept the newest two archives the program made, and the dumps of postgres-guard.
        var archives = host.Guest.RootOk($"ls -1 {backups} | grep '^ztnet-backup-' || true").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, archives.Length);
        Assert.Contains(preChange, archives);

        // The repository's password: only in its root-only file.
        Assert.Equal("root 600", host.Guest.RootOk($"stat -c '%U %a' {BackupSteps.SecretsDirectory}/restic-password").Trim());
        // Looked for without putting it on a command line (sudo logs those to the journal): grep
        // reads it on stdin, and the journal is searched here.
        var inFiles = host.Guest.RootOk($"grep -rlF -f - /etc/systemd /usr/local/lib/ztnet-infra /var/lib/ztnet-infra {backups} \"$(getent passwd {s.ServiceUser} | cut -d: -f6)\"/.config /tmp /root 2>/dev/null || true", ResticPassword + "\n");
        Assert.Equal("", inFiles.Trim());
        Assert.DoesNotContain(ResticPassword, host.Guest.RootOk("journalctl --no-pager -o cat"), StringComparison.Ordinal);
        Assert.DoesNotContain(ResticPassword, ReadShared(host.ExecutorLogPath), StringComparison.Ordinal);
    }

    private string ManifestField(string backups, string archive, string field)
    {
        var manifest = host.Guest.RootOk($"tar -xOf {backups}/{archive} manifest.json");
        var m = Regex.Match(manifest, $"\"{field}\": \"([^\"]*)\"");
        Assert.True(m.Success, manifest);
        return m.Groups[1].Value;
    }
}
