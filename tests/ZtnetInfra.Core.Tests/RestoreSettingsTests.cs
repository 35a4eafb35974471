using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// ztnet:restoreFrom: the forms a restore can come from are read offline, every other value is
/// refused naming the key and a good value, and the plan puts the restore after the unit files and
/// before anything starts.
/// </summary>
public class RestoreSettingsTests
{
    private static IReadOnlyList<SettingError> Errors(Dictionary<string, ConfigValue> config) => SettingsReader.TryRead(config).Errors;

    private static Dictionary<string, ConfigValue> WithRepository(string restore) =>
        Stacks.Secret(Stacks.With(("backupRepository", "sftp:backup@backup.example.org:/srv/restic/ztnet"), ("restoreFrom", restore)), "backupRepositoryPassword");

    [Theory]
    [InlineData("restic:latest", RestoreKind.Restic, "latest")]
    [InlineData("restic:0123abcd", RestoreKind.Restic, "0123abcd")]
    [InlineData("restic:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", RestoreKind.Restic, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void A_backup_in_the_repository_is_read_with_the_repositorys_settings(string value, RestoreKind kind, string what)
    {
        var s = SettingsReader.Read(WithRepository(value));

        Assert.Equal(new RestoreSource(kind, what), s.RestoreFrom);
        Assert.Equal(value, s.RestoreFrom!.ToString());
    }

    [Theory]
    [InlineData("host:/root/ztnet-backup-20261201T030000Z.tar")]
    [InlineData("host:/root/ztnet_backup_2026-12-01.tar.gz")]
    [InlineData("host:/srv/imports/old.tgz")]
    public void An_archive_on_the_server_needs_no_repository(string value)
    {
        var s = SettingsReader.Read(Stacks.With(("restoreFrom", value)));

        Assert.Equal(RestoreKind.HostFile, s.RestoreFrom!.Kind);
        Assert.Equal(value["host:".Length..], s.RestoreFrom.Value);
    }

    [Theory]
    [InlineData("file:backups/ztnet-backup-20261201T030000Z.tar", "backups/ztnet-backup-20261201T030000Z.tar")]
    [InlineData("file:./ztnet_backup_2026-12-01.tar.gz", "./ztnet_backup_2026-12-01.tar.gz")]
    [InlineData("file:../exports/old.tgz", "../exports/old.tgz")]
    [InlineData("file:/home/me/ztnet_backup.tar.gz", "/home/me/ztnet_backup.tar.gz")]
    public void An_archive_on_the_workstation_needs_no_repository_and_is_sent_into_the_inbox_before_the_restore(string value, string path)
    {
        var s = SettingsReader.Read(Stacks.With(("restoreFrom", value)));
        var plan = Planner.Build(s);

        Assert.Equal(new RestoreSource(RestoreKind.WorkstationFile, path), s.RestoreFrom);
        Assert.Equal(value, s.RestoreFrom!.ToString());
        var upload = Assert.Single(plan.Uploads);
        Assert.Equal((RestoreSteps.UploadName, path, $"{RestoreSteps.Inbox}/{RestoreSteps.UploadFile}"), (upload.Name, upload.LocalPath, upload.RemotePath));
        Assert.Equal([RestoreSteps.InboxStep], upload.DependsOn.ToArray());
        // The inbox is root's step, with a delete (the provider leaves what it copied); the restore reads what arrived there.
        var inbox = plan.Step(RestoreSteps.InboxStep);
        Assert.Equal(StepAccount.Root, inbox.RunsAs);
        Assert.NotNull(inbox.Delete);
        var restore = plan.Step(RestoreSteps.StepName);
        Assert.Contains(RestoreSteps.UploadName, restore.DependsOn);
        Assert.Contains("kind='upload'\n", restore.Create.Body);
        Assert.Contains($"archive_path='{RestoreSteps.Inbox}/{RestoreSteps.UploadFile}'\n", restore.Create.Body);
        // The workstation's path never reaches the host, except as the record of what was restored.
        Assert.DoesNotContain(path, inbox.Create.Body);
        // No other restore sends anything.
        Assert.Empty(Planner.Build(SettingsReader.Read(Stacks.With(("restoreFrom", "host:/root/backup.tar")))).Uploads);
    }

    [Fact]
    public void A_restic_snapshot_without_a_repository_is_refused_naming_both_settings()
    {
        var e = Assert.Single(Errors(Stacks.With(("restoreFrom", "restic:latest"))));

        Assert.Equal("ztnet:restoreFrom", e.Key);
        Assert.Contains("ztnet:backupRepository is not set", e.Problem);
        Assert.Contains("pulumi config set ztnet:backupRepository", e.Example);
    }

    [Theory]
    [InlineData("restic:yesterday", "neither latest nor a snapshot ID")]
    [InlineData("restic:0123", "neither latest nor a snapshot ID")]
    [InlineData("restic:0123ABCD", "neither latest nor a snapshot ID")]
    [InlineData("host:root/backup.tar", "absolute path")]
    [InlineData("host:/root/../etc/shadow.tar", "no . or .. component")]
    [InlineData("host:/root/back up.tar", "absolute path")]
    [InlineData("host:/root/backup.tar;reboot", "absolute path")]
    [InlineData("host:/root/backup.zip", "must name a .tar")]
    [InlineData("./ztnet_backup.tar.gz", "file:PATH for an archive on this workstation")]
    [InlineData("/root/ztnet_backup.tar.gz", "host:/PATH for one already on the server")]
    [InlineData("file:C:\\backups\\ztnet.tar", "must name a file on this workstation")]
    [InlineData("file:backups/ztnet backup.tar", "must name a file on this workstation")]
    [InlineData("file:backups/ztnet.tar$(reboot)", "must name a file on this workstation")]
    [InlineData("file:backups/ztnet.zip", "must name a .tar")]
    [InlineData("file:", "must name a file on this workstation")]
    [InlineData("s3:https://s3.example.org/bucket", "must be restic:latest")]
    public void Any_other_value_is_refused_with_the_forms_it_may_take(string value, string why)
    {
        var e = Assert.Single(Errors(WithRepository(value)));

        Assert.Equal("ztnet:restoreFrom", e.Key);
        Assert.Contains(why, e.Problem);
    }

    [Fact]
    public void The_restore_runs_after_every_unit_file_and_before_anything_starts()
    {
        var plan = Stacks.Plan(WithRepository("restic:latest"));
        var restore = plan.Step(RestoreSteps.StepName);

        Assert.Equal(StepAccount.Root, restore.RunsAs);
        Assert.Equal(["data-dirs", "backups", "unit-caddy"], restore.DependsOn.ToArray());
        Assert.Contains(RestoreSteps.StepName, plan.Step("enable-units").DependsOn);
        // The unit steps are chained: the last one's dependencies reach every other (and images).
        var before = new HashSet<string>();
        void Walk(string n) { if (before.Add(n)) foreach (var d in plan.Step(n).DependsOn) Walk(d); }
        Walk(RestoreSteps.StepName);
        foreach (var n in new[] { "unit-ztnet-pod", "unit-postgres", "unit-zerotier", "unit-ztnet", "images", "podman-secrets" }) Assert.Contains(n, before);
        // Nothing reads a secret on the way: the repository's password is already on the host (backups).
        Assert.Empty(restore.SecretStdin);
        Assert.Null(restore.Delete);
        Assert.DoesNotContain(Stacks.Plan(Stacks.Minimal()).Steps, s => s.Name == RestoreSteps.StepName);
    }
}
