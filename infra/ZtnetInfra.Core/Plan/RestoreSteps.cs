using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// ztnet:restoreFrom (Scripts/restore.create.sh): a backup restored onto the stack's new data
/// directory after the unit files are written and before enable-units first starts ZeroTier and
/// ZTNet. The step is there only while the setting is; its record is DATA's marker, so a purge
/// takes it with the data, and deleting the step changes nothing on the host.
/// </summary>
public static class RestoreSteps
{
    public const string StepName = "restore";

    /// <summary>Root's staging directory for the archive (emptied and removed by each run).</summary>
    public const string Stage = Ownership.StateDirectory + "/restore";

    /// <summary>The service user's staging directory, in DATA/backups (removed when the restore is done).</summary>
    public const string UserStageName = ".ztnet-infra-restore";

    /// <summary>enable-units' record (relative to the service user's home): newer than a pending restore, the pod started on it.</summary>
    public const string PodStartedRecord = PodSteps.EnabledRecord;

    internal static RemoteStep? Restore(StepFactory f, StackSettings s, IEnumerable<string> dependsOn)
    {
        if (s.RestoreFrom is not { } from) return null;
        var create = new Script($"restore {from} onto the new data directory {s.DataDir} (refused where it already holds data), before ZeroTier and ZTNet first start", "restore.create.sh")
            .Var("data", s.DataDir)
            .Var("marker_name", Ownership.MarkerName)
            .Var("service_user", s.ServiceUser)
            .Var("kind", from.Kind == RestoreKind.Restic ? "restic" : "host")
            .Var("source", from.ToString())
            .Var("snapshot", from.Kind == RestoreKind.Restic ? from.Value : "")
            .Var("archive_path", from.Kind == RestoreKind.HostFile ? from.Value : "")
            .Var("repository", s.BackupRepository ?? "")
            .Var("secrets_dir", BackupSteps.SecretsDirectory)
            .Var("stage", Stage)
            .Var("controller_dir", ServiceCatalogue.DataPath(s, "zerotier"))
            .Var("ztnet_backups", ServiceCatalogue.DataPath(s, ServiceCatalogue.ZtnetBackupsDirectory))
            .Var("user_stage", ServiceCatalogue.DataPath(s, ServiceCatalogue.BackupsDirectory) + "/" + UserStageName)
            .Var("pg_container", ServiceCatalogue.Postgres.Name)
            .Var("pg_unit", ServiceCatalogue.Postgres.Unit)
            .Var("enabled_record", PodStartedRecord);
        return f.Make(StepName, $"Restore {from} (only onto a new data directory)", StepAccount.Root, create, dependsOn: dependsOn);
    }
}
