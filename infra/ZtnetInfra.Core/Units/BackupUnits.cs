using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Units;

/// <summary>
/// The backup's system units (root's manager, /etc/systemd/system): the backup runs as root so
/// that its record of what it made is root's and the repository's credentials stay out of the
/// service user's reach (a compromised container or service user cannot read or delete the copies
/// off the host); the work inside the service user's directories is done as that user.
/// </summary>
public static class BackupUnits
{
    /// <summary>Root-owned directory of the backup program (created by the backups step, recorded).</summary>
    public const string ProgramDirectory = "/usr/local/lib/ztnet-infra";

    public const string Program = ProgramDirectory + "/backup";

    public const string Service = "ztnet-backup.service";
    public const string Timer = "ztnet-backup.timer";
    public const string CheckService = "ztnet-backup-check.service";
    public const string CheckTimer = "ztnet-backup-check.timer";

    /// <summary>ztnet:autoUpdate: podman auto-update, as the service user, after a backup (in place of the user's podman-auto-update.timer).</summary>
    public const string AutoUpdateService = "ztnet-auto-update.service";
    public const string AutoUpdateTimer = "ztnet-auto-update.timer";

    public const string UnitDirectory = "/etc/systemd/system";

    /// <summary>The program is a bash file read by bash (systemd needs no executable bit, and `systemd-analyze verify` finds /usr/bin/bash).</summary>
    private const string Bash = "/usr/bin/bash";

    /// <summary>How long one backup may take before systemd stops it (a oneshot has no start timeout by default).</summary>
    public const int TimeoutSeconds = 3 * 3600;

    /// <summary>The system units the backups step writes for these settings (the program aside).</summary>
    public static IEnumerable<UnitFile> UnitsFor(StackSettings s)
    {
        yield return BackupService(s);
        if (s.BackupSchedule is { } schedule) yield return BackupTimer(schedule);
        if (s.BackupRepository is not null) yield return RepositoryCheckService();
        if (s.BackupCheckSchedule is { } check) yield return RepositoryCheckTimer(check);
        if (s.AutoUpdate)
        {
            yield return AutoUpdateServiceUnit();
            yield return AutoUpdateTimerUnit();
        }
    }

    public static UnitFile BackupService(StackSettings s) => OneShot(Service,
        s.BackupRepository is null
            ? "ZTNet backup: database and ZeroTier controller into DATA/backups"
            : "ZTNet backup: database and ZeroTier controller into DATA/backups, then the restic repository",
        "run", "service");

    public static UnitFile BackupTimer(string schedule) => Timer_(Timer, "ZTNet backup schedule (ztnet:backupSchedule)", schedule);

    public static UnitFile AutoUpdateServiceUnit() => OneShot(AutoUpdateService,
        "ZTNet auto-update: a backup, then podman auto-update of the labelled containers (rolled back when a new build fails to start)", "auto-update");

    /// <summary>
    /// When podman's own podman-auto-update.timer runs (contrib/systemd/system/podman-auto-update.timer:
    /// OnCalendar=daily, RandomizedDelaySec=900, Persistent=true).
    /// </summary>
    public static UnitFile AutoUpdateTimerUnit()
    {
        var u = Timer_(AutoUpdateTimer, "ZTNet auto-update schedule (ztnet:autoUpdate)", "daily");
        u.Section("Timer").Add("RandomizedDelaySec", "900");
        return u;
    }

    public static UnitFile RepositoryCheckService() => OneShot(CheckService, "ZTNet backup: restic check of the repository", "check");

    /// <summary>A oneshot run of the program, after the network (a repository may be remote), gentle on the host's CPU and disk.</summary>
    private static UnitFile OneShot(string name, string description, params string[] arguments)
    {
        var u = new UnitFile(name);
        u.Section("Unit")
            .Add("Description", description)
            .Add("Wants", "network-online.target")
            .Add("After", "network-online.target");
        u.Section("Service")
            .Add("Type", "oneshot")
            .AddExec("ExecStart", new ExecCommand("", [Bash, Program, .. arguments.Select(a => (UnitValue)a)]))
            .Add("TimeoutStartSec", TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("Nice", "10")
            .Add("IOSchedulingClass", "idle");
        return u;
    }

    public static UnitFile RepositoryCheckTimer(string schedule) => Timer_(CheckTimer, "restic check schedule (ztnet:backupCheckSchedule)", schedule);

    private static UnitFile Timer_(string name, string description, string schedule)
    {
        var u = new UnitFile(name);
        u.Section("Unit").Add("Description", description);
        // Persistent: a run missed while the host was off happens at the next boot.
        u.Section("Timer").Add("OnCalendar", schedule).Add("Persistent", "true");
        u.Section("Install").Add("WantedBy", "timers.target");
        return u;
    }
}
