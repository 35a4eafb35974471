using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Status;

/// <summary>What a file the stack writes is, for a drift finding.</summary>
public enum FileRole
{
    /// <summary>A unit file in ~/.config/systemd/user: content compared.</summary>
    Unit,

    /// <summary>A configuration file written with a unit (Caddy's): content compared.</summary>
    Config,

    /// <summary>The sysctl.d file: content compared.</summary>
    Sysctl,

    /// <summary>The data directory's marker: root-owned, names the service user.</summary>
    Marker,

    /// <summary>The account record: root-owned, has origin=.</summary>
    AccountRecord,

    /// <summary>The value of the sysctl found before the stack: root-owned, has found=.</summary>
    SysctlRecord,

    /// <summary>The backup program and its system units: root-owned, content compared.</summary>
    Backup,
}

/// <summary>A file the stack writes on the host, what it should hold, and the step that writes it.</summary>
/// <param name="Digest">SHA-256 (lower-case hex) of the content the current settings render; null where the content is the host's (records, markers).</param>
/// <param name="Step">The plan step that writes it (the one a `pulumi up --replace` of puts it back).</param>
public sealed record ExpectedFile(string Path, FileRole Role, string? Digest, string Step, bool RootOwned)
{
    public static string DigestOf(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}

/// <summary>
/// The read-only round trip of `ztnet-infra status` (Scripts/status.sh, run as root through the same
/// launcher as the root steps) and what its answers are compared with: every file the stack writes,
/// with the digest the current settings render, and every unit, container and image.
/// </summary>
public sealed record StatusProbe
{
    public const string StepName = "status";

    public required DeploymentPlan Plan { get; init; }

    /// <summary>The exact command sent over SSH (POSIX sh; reads nothing on stdin).</summary>
    public required string Command { get; init; }

    /// <summary>The files of Scripts/ the command is made of.</summary>
    public required ImmutableArray<string> Sources { get; init; }

    public required ImmutableArray<ExpectedFile> Files { get; init; }

    /// <summary>The pod's units, in start order, then podman.socket (the service user's manager).</summary>
    public required ImmutableArray<string> Units { get; init; }

    /// <summary>The timers the backups step enables in root's manager.</summary>
    public required ImmutableArray<string> SystemTimers { get; init; }

    /// <summary>The timers the backups step enables in root's manager, as the settings ask for them.</summary>
    public static IReadOnlyList<string> TimersOf(Settings.StackSettings s)
    {
        var timers = new List<string>();
        if (s.BackupSchedule is not null) timers.Add(BackupUnits.Timer);
        if (s.BackupRepository is not null && s.BackupCheckSchedule is not null) timers.Add(BackupUnits.CheckTimer);
        if (s.AutoUpdate) timers.Add(BackupUnits.AutoUpdateTimer);
        return timers;
    }

    /// <summary>The list of dumps Scripts/postgres-guard.sh keeps in DATA/backups (rotation removes only those).</summary>
    public const string DumpList = ".ztnet-infra-dumps";

    public const string PodmanSocket = "podman.socket";

    /// <summary>The plan step that enables a unit (and whose replacement starts it again).</summary>
    public static string StepOfUnit(string unit) => unit switch
    {
        PodmanSocket => "podman-socket",
        ServiceCatalogue.PodUnit => "unit-ztnet-pod",
        _ => "unit-" + ServiceCatalogue.Containers.Single(c => c.Unit == unit).Name,
    };

    public static StatusProbe For(DeploymentPlan plan)
    {
        var s = plan.Settings;
        var files = new List<ExpectedFile>();
        foreach (var unit in plan.Units)
            files.Add(new ExpectedFile("~/.config/systemd/user/" + unit.Name, FileRole.Unit, ExpectedFile.DigestOf(FileText(unit.Render())), StepOfUnit(unit.Name), false));
        files.Add(new ExpectedFile(CaddyConfig.HostPath(s), FileRole.Config, ExpectedFile.DigestOf(FileText(CaddyConfig.Json(s))), "unit-" + ServiceCatalogue.Caddy.Name, false));
        if (s.AcmeCaRootPem is { } root)
            files.Add(new ExpectedFile(CaddyConfig.CaRootHostPath(s), FileRole.Config, ExpectedFile.DigestOf(FileText(root)), "unit-" + ServiceCatalogue.Caddy.Name, false));
        var hasPorts = plan.Steps.Any(st => st.Name == "unprivileged-ports");
        if (hasPorts) files.Add(new ExpectedFile(HostSteps.SysctlFile, FileRole.Sysctl, ExpectedFile.DigestOf(HostSteps.SysctlContent(s)), "unprivileged-ports", true));
        files.Add(new ExpectedFile($"{s.DataDir}/{Ownership.MarkerName}", FileRole.Marker, null, DataDirSteps.StepName, true));
        files.Add(new ExpectedFile($"{Ownership.AccountRecords}/{s.ServiceUser}", FileRole.AccountRecord, null, AccountSteps.AccountStep, true));
        if (hasPorts) files.Add(new ExpectedFile(Ownership.SysctlRecord, FileRole.SysctlRecord, null, "unprivileged-ports", true));
        files.Add(new ExpectedFile(BackupUnits.Program, FileRole.Backup, ExpectedFile.DigestOf(BackupSteps.ProgramText(s)), BackupSteps.BackupsStep, true));
        foreach (var unit in BackupUnits.UnitsFor(s))
            files.Add(new ExpectedFile($"{BackupUnits.UnitDirectory}/{unit.Name}", FileRole.Backup, ExpectedFile.DigestOf(unit.Render()), BackupSteps.BackupsStep, true));

        var units = new List<string>(ServiceCatalogue.UnitNames) { PodmanSocket };
        var timers = TimersOf(s);
        string[] images = [s.PostgresImage, s.ZerotierImage, s.ZtnetImage, s.CaddyImage];

        var script = new Script("ztnet-infra status: read what the stack wrote and what runs; changes nothing, reads no secret", "status.sh")
            .Var("service_user", s.ServiceUser)
            .Var("data_dir", s.DataDir)
            .Array("root_files", files.Where(f => f.RootOwned).Select(f => f.Path))
            .Array("units", units)
            .Array("unit_files", plan.Units.Select(u => u.Name))
            .Array("user_files", files.Where(f => f.Role == FileRole.Config).Select(f => f.Path))
            .Array("containers", ServiceCatalogue.Containers.Select(c => c.Name))
            .Array("images", images)
            .Var("pod_name", ServiceCatalogue.PodName)
            .Var("backups", ServiceCatalogue.DataPath(s, ServiceCatalogue.BackupsDirectory))
            .Var("dump_list", ServiceCatalogue.DataPath(s, ServiceCatalogue.BackupsDirectory) + "/" + DumpList)
            .Var("https_port", s.HttpsPort)
            .Var("domain", s.DomainIsIpAddress ? "" : s.Domain)
            .Var("backup_service", BackupUnits.Service)
            .Var("archive_record", BackupSteps.ArchiveRecord)
            .Var("auto_update_service", s.AutoUpdate ? BackupUnits.AutoUpdateService : "")
            .Var("system_timers", string.Join(' ', timers));
        return new StatusProbe
        {
            Plan = plan,
            Command = Launcher.Wrap(StepName, ScriptKind.Read, StepAccount.Root, s.ServiceUser, script.Body),
            Sources = [.. script.Files, .. Launcher.Files(StepAccount.Root)],
            Files = [.. files],
            Units = [.. units],
            SystemTimers = [.. timers],
        };
    }

    /// <summary>A text as the unit step writes it: the here-document ends it with exactly one newline (<see cref="Prelude.Text"/>).</summary>
    private static string FileText(string content) => content.EndsWith('\n') ? content : content + "\n";
}
