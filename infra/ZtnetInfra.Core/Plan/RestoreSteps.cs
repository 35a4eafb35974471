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

    /// <summary>The step that makes <see cref="Inbox"/> (only for file:).</summary>
    public const string InboxStep = "restore-inbox";

    /// <summary>The upload of the workstation's archive (only for file:): a CopyToRemote, not a command.</summary>
    public const string UploadName = "restore-upload";

    /// <summary>Where the workstation's archive is sent: the SSH login's 0700 directory in root's state directory.</summary>
    public const string Inbox = Ownership.StateDirectory + "/incoming";

    /// <summary>The archive's name in <see cref="Inbox"/> (what it is is read from its content, not its name).</summary>
    public const string UploadFile = "restore-archive";

    /// <summary>enable-units' record (relative to the service user's home): newer than a pending restore, the pod started on it.</summary>
    public const string PodStartedRecord = PodSteps.EnabledRecord;

    /// <summary>The inbox the workstation's archive is sent into (file: only).</summary>
    internal static RemoteStep? InboxDirectory(StepFactory f, StackSettings s)
    {
        if (s.RestoreFrom is not { Kind: RestoreKind.WorkstationFile }) return null;
        var create = new Script($"the directory {Inbox} the workstation's archive is sent into: the SSH login's, 0700", "restore-inbox.create.sh")
            .Var("inbox", Inbox);
        var delete = new Script($"remove the archive the stack sent into {Inbox}, and the directory once empty", "restore-inbox.delete.sh")
            .Var("inbox", Inbox)
            .Var("upload", UploadFile);
        return f.Make(InboxStep, $"Inbox {Inbox} for the archive from the workstation", StepAccount.Root, create, delete: delete, dependsOn: ["host-os"]);
    }

    /// <summary>The workstation's archive, sent into the inbox (file: only).</summary>
    internal static PlanUpload? Upload(StackSettings s) =>
        s.RestoreFrom is { Kind: RestoreKind.WorkstationFile } from
            ? new PlanUpload
            {
                Name = UploadName,
                Title = $"Send {from.Value} from the workstation to {Inbox}/{UploadFile}",
                LocalPath = from.Value,
                RemotePath = $"{Inbox}/{UploadFile}",
                DependsOn = [InboxStep],
            }
            : null;

    internal static RemoteStep? Restore(StepFactory f, StackSettings s, IEnumerable<string> dependsOn)
    {
        if (s.RestoreFrom is not { } from) return null;
        if (from.Kind == RestoreKind.WorkstationFile) dependsOn = dependsOn.Append(UploadName);
        var create = new Script($"restore {from} onto the new data directory {s.DataDir} (refused where it already holds data), before ZeroTier and ZTNet first start", "restore.create.sh")
            .Var("data", s.DataDir)
            .Var("marker_name", Ownership.MarkerName)
            .Var("service_user", s.ServiceUser)
            .Var("kind", from.Kind switch { RestoreKind.Restic => "restic", RestoreKind.HostFile => "host", _ => "upload" })
            .Var("source", from.ToString())
            .Var("snapshot", from.Kind == RestoreKind.Restic ? from.Value : "")
            .Var("archive_path", from.Kind switch { RestoreKind.HostFile => from.Value, RestoreKind.WorkstationFile => $"{Inbox}/{UploadFile}", _ => "" })
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
