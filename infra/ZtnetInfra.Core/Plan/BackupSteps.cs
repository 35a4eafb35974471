using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// Backups (root): the program and system units that take them (<see cref="BackupUnits"/>), a
/// backup before a running PostgreSQL or ZTNet container moves to another image, and (ztnet:autoUpdate)
/// the auto-update that takes a backup before podman updates anything.
/// </summary>
public static class BackupSteps
{
    public const string BackupsStep = "backups";
    public const string ImageBackupStep = "image-backup";

    /// <summary>Root-owned: every file and directory the backups step made (its delete removes exactly these).</summary>
    public const string FilesRecord = Ownership.StateDirectory + "/backup-files";

    /// <summary>Root-owned: the archives the backup program made, one name a line (retention removes only these).</summary>
    public const string ArchiveRecord = Ownership.StateDirectory + "/backups";

    /// <summary>Root-only (0700): the restic repository's password and environment.</summary>
    public const string SecretsDirectory = "/etc/ztnet-infra";

    /// <summary>The containers a new image can migrate or rewrite data of: a backup runs before either moves.</summary>
    public static IReadOnlyList<ContainerService> GuardedContainers { get; } = [ServiceCatalogue.Postgres, ServiceCatalogue.Ztnet];

    /// <summary>Seconds between the auto-update's looks at the pod after an update (three alike in a row: settled).</summary>
    public const int SettlePollSeconds = 15;

    /// <summary>The text of <see cref="BackupUnits.Program"/>: Scripts/backup.sh with this stack's values.</summary>
    public static string ProgramText(StackSettings s) =>
        "#!/usr/bin/env bash\n# " + BackupUnits.Program + ": written by ztnet-infra (the backups step); run by ztnet-backup.service.\n" + Program(s).Body;

    /// <summary>The files of Scripts/ the program is made of (its libraries, then backup.sh).</summary>
    public static IReadOnlyList<string> ProgramFiles(StackSettings s) => Program(s).Files;

    private static Script Program(StackSettings s) =>
        new Script("the ZTNet backup program: backup run service|image-change, backup check, backup auto-update", "backup.sh")
            .Var("service_user", s.ServiceUser)
            .Var("backups", ServiceCatalogue.DataPath(s, ServiceCatalogue.BackupsDirectory))
            .Var("controller_dir", ServiceCatalogue.DataPath(s, "zerotier"))
            .Var("ztnet_backups", ServiceCatalogue.DataPath(s, ServiceCatalogue.ZtnetBackupsDirectory))
            .Var("pg_container", ServiceCatalogue.Postgres.Name)
            .Var("db_superuser", ServiceCatalogue.DatabaseSuperuser)
            .Var("db_name", ServiceCatalogue.DatabaseName)
            .Array("containers", ServiceCatalogue.Containers.Select(c => c.Name))
            .Var("pod_unit", ServiceCatalogue.PodUnit)
            .Array("container_units", ServiceCatalogue.Containers.Select(c => c.Unit))
            .Var("health_timeout", s.HealthTimeoutSeconds)
            .Var("settle_poll", SettlePollSeconds)
            .Var("keep", s.BackupsToKeep)
            .Var("state", Ownership.StateDirectory)
            .Var("record", ArchiveRecord)
            .Var("repository", s.BackupRepository ?? "")
            .Var("secrets_dir", SecretsDirectory);

    /// <summary>The secrets the backups step reads on stdin: the password, then the environment (may span lines, so last).</summary>
    public static IReadOnlyList<PlanSecret> Secrets(StackSettings s) =>
        s.BackupRepository is null ? []
        : s.BackupRepositoryEnvironmentSet ? [PlanSecret.ResticPassword, PlanSecret.ResticEnvironment]
        : [PlanSecret.ResticPassword];

    internal static RemoteStep Backups(StepFactory f, StackSettings s)
    {
        var create = new Script($"install the backup program and {BackupUnits.Service}; {(s.BackupSchedule is null ? "no timer (ztnet:backupSchedule off)" : $"{BackupUnits.Timer} on {s.BackupSchedule}")}{(s.BackupRepository is null ? "" : $"; copies to the restic repository {s.BackupRepository}")}{(s.AutoUpdate ? $"; {BackupUnits.AutoUpdateTimer}: daily podman auto-update after a backup" : "")}", "backups.create.sh")
            .Var("state", Ownership.StateDirectory)
            .Var("files_record", FilesRecord)
            .Var("program_dir", BackupUnits.ProgramDirectory)
            .Var("program", BackupUnits.Program)
            .Text("program_text", ProgramText(s))
            .Var("unit_dir", BackupUnits.UnitDirectory)
            .Var("service", BackupUnits.Service)
            .Text("service_text", BackupUnits.BackupService(s).Render())
            .Var("timer", BackupUnits.Timer)
            .Var("check_service", BackupUnits.CheckService)
            .Var("check_timer", BackupUnits.CheckTimer)
            .Var("auto_update_service", BackupUnits.AutoUpdateService)
            .Var("auto_update_timer", BackupUnits.AutoUpdateTimer)
            .Var("schedule", s.BackupSchedule ?? "")
            .Var("check_schedule", s.BackupCheckSchedule ?? "")
            .Var("repository", s.BackupRepository ?? "")
            .Var("secrets_dir", SecretsDirectory)
            .Var("environment_set", s.BackupRepository is not null && s.BackupRepositoryEnvironmentSet ? 1 : 0);
        create.OptionalText("timer_text", s.BackupSchedule is { } sched ? BackupUnits.BackupTimer(sched).Render() : null);
        create.OptionalText("check_service_text", s.BackupRepository is null ? null : BackupUnits.RepositoryCheckService().Render());
        create.OptionalText("auto_update_service_text", s.AutoUpdate ? BackupUnits.AutoUpdateServiceUnit().Render() : null);
        create.OptionalText("auto_update_timer_text", s.AutoUpdate ? BackupUnits.AutoUpdateTimerUnit().Render() : null);
        create.OptionalText("check_timer_text", s.BackupCheckSchedule is { } check ? BackupUnits.RepositoryCheckTimer(check).Render() : null);
        var delete = new Script($"disable the backup timers; remove the files {FilesRecord} lists (the archives stay)", "backups.delete.sh")
            .Var("files_record", FilesRecord)
            .Var("unit_dir", BackupUnits.UnitDirectory);
        return f.Make(BackupsStep, "Backups: program, ztnet-backup.service and its timers", StepAccount.Root, create, delete: delete,
            dependsOn: ["host-packages", "service-user", "data-dirs"], secrets: Secrets(s));
    }

    internal static RemoteStep ImageBackup(StepFactory f, StackSettings s)
    {
        var create = new Script("before a running PostgreSQL or ZTNet container moves to another image, take a backup (nothing when none moves)", "image-backup.create.sh")
            .Var("service_user", s.ServiceUser)
            .Var("program", BackupUnits.Program)
            .Array("containers", GuardedContainers.Select(c => c.Name))
            .Array("images", [s.PostgresImage, s.ZtnetImage]);
        return f.Make(ImageBackupStep, "Backup before an image change", StepAccount.Root, create, dependsOn: [BackupsStep]);
    }
}
