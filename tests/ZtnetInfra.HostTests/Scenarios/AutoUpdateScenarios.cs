using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Status;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// Auto-update on the VM (ztnet:autoUpdate, the default): a new build of the Caddy tag in the
/// guest's registry is picked up by ztnet-auto-update.service after a backup, and the pod serves
/// on it; a build that cannot start is rolled back and the stack keeps serving on the one before.
/// The registry fixture's tag is moved by TestHost/testhost-retag.py, as a push of a new build
/// would, and put back at the end.
/// </summary>
public sealed partial class StackOnTestHostTests
{
    private string Retag(string arguments)
    {
        using var stream = typeof(StackOnTestHostTests).Assembly.GetManifestResourceStream("testhost-retag.py")!;
        var program = new StreamReader(stream).ReadToEnd();
        var id = host.Guest.RootOk($"python3 - {arguments}", program).Trim();
        host.Guest.RootOk("systemctl restart testhost-registry.service && for i in $(seq 1 60); do curl -fsS -o /dev/null http://127.0.0.1:5000/v2/ && exit 0; sleep 1; done; exit 1");
        return id;
    }

    private string CaddyImageId() => host.Guest.AsServiceUserOk("podman container inspect --format '{{.Image}}' caddy").Trim();

    private (int Exit, string Journal) RunAutoUpdate(string since)
    {
        var run = host.Guest.Root($"systemctl start {BackupUnits.AutoUpdateService}");
        var journal = host.Guest.RootOk($"journalctl --no-pager -o cat -u {BackupUnits.AutoUpdateService} --since '{since}'");
        output.WriteLine($"auto-update (exit {run.ExitCode}):\n{journal}");
        return (run.ExitCode, journal);
    }

    [Fact, Scenario(17)]
    public async Task Auto_update_takes_a_backup_then_picks_up_a_new_build_and_rolls_back_one_that_cannot_start()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;
        var backups = ServiceCatalogue.DataPath(s, ServiceCatalogue.BackupsDirectory);
        Assert.True(s.AutoUpdate);

        // Root's timer, podman's user timer not in use (ours takes a backup first).
        Assert.Equal("active enabled", host.Guest.RootOk($"echo $(systemctl is-active {BackupUnits.AutoUpdateTimer}) $(systemctl is-enabled {BackupUnits.AutoUpdateTimer})").Trim());
        Assert.NotEqual("enabled", host.Guest.UserSystemctl("is-enabled podman-auto-update.timer").Stdout.Trim());

        // Nothing new in the registry: nothing done, no backup.
        var since = host.Guest.RootOk("date '+%Y-%m-%d %H:%M:%S'").Trim();
        var archives = ArchiveCount() > 0 ? NewestArchive() : "";
        var (exit, journal) = RunAutoUpdate(since);
        Assert.Equal(0, exit);
        Assert.Contains("no labelled container has a newer build", journal, StringComparison.Ordinal);
        Assert.Equal(archives, ArchiveCount() > 0 ? NewestArchive() : "");

        try
        {
            // A new build of the Caddy tag the stack runs: a backup, then the update, and the pod
            // serves on it. The other Caddy build of the registry is the "new" one (an earlier
            // scenario may have left the stack on the second tag).
            var original = CaddyImageId();
            var other = s.CaddyImage == TestHostFixture.SecondCaddyImage ? Defaults.CaddyImage : TestHostFixture.SecondCaddyImage;
            var newBuild = Retag($"{s.CaddyImage} {other}");
            Assert.NotEqual(original, newBuild);
            since = host.Guest.RootOk("date '+%Y-%m-%d %H:%M:%S'").Trim();
            (exit, journal) = RunAutoUpdate(since);
            Assert.Equal(0, exit);
            Assert.Equal(newBuild, CaddyImageId());
            var backup = NewestArchive();
            Assert.Equal("auto-update", ManifestField(backups, backup, "reason"));
            Assert.Contains(original, host.Guest.RootOk($"tar -xOf {backups}/{backup} manifest.json"), StringComparison.Ordinal);
            var backedUp = journal.IndexOf($"backup {backups}/{backup}", StringComparison.Ordinal);
            var updated = journal.IndexOf("podman auto-update: caddy", StringComparison.Ordinal);
            Assert.True(backedUp >= 0 && updated > backedUp, "the backup must come before the update");
            Assert.Contains("now runs the new build, every container healthy", journal, StringComparison.Ordinal);
            Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
            StatusReport? report = null;
            Assert.True(await Until(Minutes5, () => (report = Status()).ExitCode == StatusReport.Ok), "status after the update: " + StatusOutput.Text(report!));

            // A build that cannot start: rolled back, the stack serves on the build before it, and
            // status shows the failed update with its journal.
            var broken = Retag($"{s.CaddyImage} --broken");
            since = host.Guest.RootOk("date '+%Y-%m-%d %H:%M:%S'").Trim();
            (exit, journal) = RunAutoUpdate(since);
            Assert.NotEqual(0, exit);
            Assert.Contains("rolling back", journal, StringComparison.Ordinal);
            Assert.Contains("rolled back, the old image runs again and every container is healthy", journal, StringComparison.Ordinal);
            Assert.Equal(newBuild, CaddyImageId());
            Assert.NotEqual(broken, CaddyImageId());
            Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
            report = Status();
            var finding = Assert.Single(report.Findings, f => f.Subject == BackupUnits.AutoUpdateService);
            Assert.Equal(FindingKind.Unhealthy, finding.Kind);
            Assert.DoesNotContain(report.Findings, f => f.Subject.StartsWith("container ", StringComparison.Ordinal));
        }
        finally
        {
            // The registry as built, for the fresh applies after (the stack keeps the build it
            // runs: no scenario after this one compares Caddy's build with the registry's).
            Retag("--restore");
            host.Guest.Root($"systemctl reset-failed {BackupUnits.AutoUpdateService}");
        }
    }
}
