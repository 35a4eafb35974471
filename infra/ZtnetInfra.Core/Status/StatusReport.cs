using System.Collections.Immutable;
using System.Globalization;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Status;

/// <summary>What a finding means for the exit status.</summary>
public enum FindingKind
{
    /// <summary>Something the stack wrote differs from what the current settings render, or is gone.</summary>
    Drift,

    /// <summary>Something that should run does not, or will soon stop working.</summary>
    Unhealthy,

    /// <summary>Worth knowing, changes nothing.</summary>
    Note,
}

public sealed record Finding(FindingKind Kind, string Subject, string Message, string? Fix = null, string? Look = null);

/// <summary>How the round trip went.</summary>
public enum Reach
{
    Answered,

    /// <summary>SSH failed, root was refused, or the answer was cut short.</summary>
    Unreachable,

    /// <summary>The host's key is not the pinned ztnet:sshHostKey (OpenSSH stopped before the login).</summary>
    HostKeyMismatch,
}

/// <summary>The stack, as Pulumi names it: the stack (Pulumi.&lt;stack&gt;.yaml) and the project (Pulumi.yaml's name).</summary>
public sealed record StackIdentity(string Stack, string Project)
{
    /// <summary>The type of the component the program registers every step under (infra/ZtnetInfra/ZtnetStack.cs).</summary>
    public const string ComponentType = "ztnet:index:ZtnetStack";

    /// <summary>The type token of a remote command (pulumi-command's Command resource).</summary>
    public const string CommandType = "command:remote:Command";

    /// <summary>
    /// A step's URN: urn:pulumi:STACK::PROJECT::QUALIFIED-TYPE::NAME, where the qualified type is the
    /// parent's type, '$', then the resource's own (pulumi/pulumi sdk/go/common/resource/urn.go, NewURN;
    /// the parent ZtnetStack sits directly under the stack, whose own type pulumi:pulumi:Stack is left out).
    /// </summary>
    public string Urn(string step) => $"urn:pulumi:{Stack}::{Project}::{ComponentType}${CommandType}::{step}";

    /// <summary>The command that runs the step's Delete, then its Create (every step is delete-before-replace).</summary>
    public string Replace(params string[] steps) =>
        $"pulumi up --stack {Stack} " + string.Join(' ', steps.Select(s => $"--replace '{Urn(s)}'"));
}

/// <summary>The findings of one `ztnet-infra status`, and its exit code.</summary>
public sealed record StatusReport
{
    public const int Ok = 0;
    public const int Drift = 10;
    public const int Unhealthy = 11;
    public const int Unreachable = 12;
    public const int HostKeyMismatch = 13;

    public const string ExitCodeHelp = "Exit codes: 0 no drift and healthy; 2 the stack file or a setting is invalid (nothing sent); "
        + "10 drift (something the stack wrote differs or is gone), nothing unhealthy; 11 unhealthy (with or without drift; --json says which); "
        + "12 unreachable (SSH failed, root refused, or the answer was cut short); 13 the host key is not ztnet:sshHostKey (nothing sent after the key exchange); "
        + "64 unknown command or option; 70 internal error.";

    /// <summary>Below this much free space on the data directory's file system, or this share, the host is unhealthy.</summary>
    public const long MinimumFreeBytes = 1L << 30;
    public const double MinimumFreeShare = 0.05;

    public required string Host { get; init; }
    public required StackIdentity Identity { get; init; }
    public required Reach Reach { get; init; }
    public string? Error { get; init; }
    public HostAnswer? Answer { get; init; }
    public ImmutableArray<Finding> Findings { get; init; } = [];
    public ImmutableArray<string> Units { get; init; } = [];

    public bool HasDrift => Findings.Any(f => f.Kind == FindingKind.Drift);
    public bool IsUnhealthy => Findings.Any(f => f.Kind == FindingKind.Unhealthy);

    public int ExitCode => Reach switch
    {
        Reach.HostKeyMismatch => HostKeyMismatch,
        Reach.Unreachable => Unreachable,
        _ when IsUnhealthy => Unhealthy,
        _ when HasDrift => Drift,
        _ => Ok,
    };

    public string Outcome => ExitCode switch
    {
        Ok => "ok",
        Drift => "drift",
        Unhealthy => HasDrift ? "unhealthy+drift" : "unhealthy",
        Unreachable => "unreachable",
        _ => "host-key-mismatch",
    };

    public static StatusReport Failed(StatusProbe probe, StackIdentity id, Reach reach, string error) => new()
    {
        Host = probe.Plan.Settings.Host,
        Identity = id,
        Reach = reach,
        Error = error,
        Units = probe.Units,
    };

    /// <summary>Compares the probe's answer with what the current settings render.</summary>
    public static StatusReport Evaluate(StatusProbe probe, StackIdentity id, HostAnswer a)
    {
        var s = probe.Plan.Settings;
        var findings = new List<Finding>();
        var asUser = a.Uid is null ? $"sudo -u {s.ServiceUser}" : $"sudo -u {s.ServiceUser} XDG_RUNTIME_DIR=/run/user/{a.Uid}";

        if (!a.UserExists)
        {
            findings.Add(new Finding(FindingKind.Unhealthy, $"user {s.ServiceUser}",
                $"the service user {s.ServiceUser} (ztnet:serviceUser) does not exist: the stack is not deployed on this host, or was purged",
                $"pulumi up --stack {id.Stack}"));
            return Report(probe, id, a, findings);
        }

        // Drift: every file the stack writes.
        foreach (var f in probe.Files)
        {
            var got = a.File(f.Path);
            var shown = f.Path;
            if (got is null)
            {
                findings.Add(new Finding(FindingKind.Drift, shown, "not reported by the host", id.Replace(f.Step)));
                continue;
            }
            if (!got.Present)
            {
                findings.Add(FileGone(f, got, s, id));
                continue;
            }
            if (f.RootOwned && got.Owner != "0")
            {
                findings.Add(new Finding(FindingKind.Drift, shown, $"owned by uid {got.Owner}, not root: the stack no longer trusts it", ManualRecordFix(f, s, id)));
                continue;
            }
            if (f.Digest is not null && got.Digest != f.Digest)
            {
                findings.Add(new Finding(FindingKind.Drift, shown,
                    $"differs from what the stack renders (sha256 {Short(got.Digest)} on the host, {Short(f.Digest)} rendered): a hand edit, or settings changed since the last pulumi up",
                    id.Replace(f.Step)));
                continue;
            }
            switch (f.Role)
            {
                case FileRole.Marker when got.Keys.GetValueOrDefault("service-user") != s.ServiceUser:
                    findings.Add(new Finding(FindingKind.Drift, shown, $"names service user {got.Keys.GetValueOrDefault("service-user") ?? "(none)"}, not {s.ServiceUser} (ztnet:serviceUser)", ManualRecordFix(f, s, id)));
                    break;
                case FileRole.AccountRecord when !got.Keys.ContainsKey("origin"):
                    findings.Add(new Finding(FindingKind.Drift, shown, "has no origin= line", ManualRecordFix(f, s, id)));
                    break;
            }
        }

        // The data directory itself: root's, group of the service user, 0750.
        if (a.DataKind != "directory")
            findings.Add(new Finding(FindingKind.Unhealthy, s.DataDir, $"the data directory (ztnet:dataDir) is {a.DataKind.Replace('-', ' ')}", $"restore it from a backup, then: pulumi up --stack {id.Stack}"));
        else if (a.DataOwner != "0" || a.DataGroup != a.Gid || a.DataMode != "750")
            findings.Add(new Finding(FindingKind.Drift, s.DataDir, $"is {a.DataOwner}:{a.DataGroup} mode {a.DataMode}; the stack keeps it root:{a.Group} 750 (the service user may not rename or replace what root works in)",
                $"sudo chown root:{a.Group} {Sh(s.DataDir)} && sudo chmod 0750 {Sh(s.DataDir)}"));

        if (!a.Linger)
            findings.Add(new Finding(FindingKind.Drift, $"linger {s.ServiceUser}", "linger is off: the pod stops when the last session of the user ends and does not start at boot",
                $"sudo loginctl enable-linger {s.ServiceUser}"));
        if (a.Manager != "active")
        {
            findings.Add(new Finding(FindingKind.Unhealthy, $"user@{a.Uid}.service", $"the service user's systemd manager is {a.Manager}: nothing of the pod can run",
                $"sudo loginctl enable-linger {s.ServiceUser} && sudo systemctl start user@{a.Uid}.service", $"sudo journalctl -u user@{a.Uid}.service -n 100 --no-pager"));
            return Report(probe, id, a, findings);
        }

        foreach (var name in probe.Units)
        {
            var u = a.Units.FirstOrDefault(x => x.Name == name);
            var look = $"{asUser} journalctl --user -u {name} -n 100 --no-pager";
            var step = StatusProbe.StepOfUnit(name);
            if (u is null || u.Load != "loaded")
            {
                findings.Add(new Finding(FindingKind.Drift, name, $"not loaded in the user manager ({u?.Load ?? "not reported"})", id.Replace(step), look));
                continue;
            }
            if (u.FileState is not ("enabled" or "static" or "generated"))
                findings.Add(new Finding(FindingKind.Drift, name, $"is {u.FileState}, not enabled: it does not start at boot", id.Replace(step)));
            if (u.Active != "active")
                findings.Add(new Finding(FindingKind.Unhealthy, name, $"is {u.Active} ({u.Sub})",
                    $"{asUser} systemctl --user start {name}   (or, to write and start it as the stack would: {id.Replace(step)})", look));
        }

        if (a.Pod != "Running")
            findings.Add(new Finding(FindingKind.Unhealthy, ServiceCatalogue.PodName, $"the pod is {a.Pod}", id.Replace("unit-ztnet-pod"),
                $"{asUser} journalctl --user -u {ServiceCatalogue.PodUnit} -n 100 --no-pager"));

        string[] refs = [s.PostgresImage, s.ZerotierImage, s.ZtnetImage, s.CaddyImage];
        foreach (var (c, reference) in ServiceCatalogue.Containers.Zip(refs))
        {
            var got = a.Containers.FirstOrDefault(x => x.Name == c.Name);
            var look = $"{asUser} journalctl --user -u {c.Unit} -n 100 --no-pager";
            if (got is null || got.State == "missing") continue; // its unit's finding says it
            if (got.State != "running")
                findings.Add(new Finding(FindingKind.Unhealthy, $"container {c.Name}", $"is {got.State}", $"{asUser} systemctl --user restart {c.Unit}", look));
            else if (got.Health == "starting")
                findings.Add(new Finding(FindingKind.Note, $"container {c.Name}", "its health check has not passed yet (it started recently)", null, look));
            else if (got.Health is not ("healthy" or "-"))
                findings.Add(new Finding(FindingKind.Unhealthy, $"container {c.Name}", $"health check: {got.Health}", $"{asUser} systemctl --user restart {c.Unit}", look));
            if (!SameReference(got.ImageName, reference))
                findings.Add(new Finding(FindingKind.Drift, $"container {c.Name}", $"runs {got.ImageName}, the stack says {reference}", id.Replace("unit-" + c.Name)));
            else if (a.Images.GetValueOrDefault(reference) is { } current && current != "missing" && got.ImageId != current)
                findings.Add(new Finding(FindingKind.Note, $"container {c.Name}", $"runs image {Short(got.ImageId)}; {reference} now names {Short(current)} (pulled since it started): its next restart uses it"));
        }

        if (a.CertExpiry is { } expiry)
        {
            if (expiry <= a.Now)
                findings.Add(new Finding(FindingKind.Unhealthy, "certificate", $"the certificate served on port {s.HttpsPort} expired {Age(a.Now - expiry)} ago ({a.CertIssuer})",
                    $"{asUser} systemctl --user restart {ServiceCatalogue.Caddy.Unit}", $"{asUser} journalctl --user -u {ServiceCatalogue.Caddy.Unit} -n 200 --no-pager"));
        }
        else
        {
            findings.Add(new Finding(FindingKind.Unhealthy, "certificate", a.CertIssuer.Length > 0 ? a.CertIssuer : $"no certificate read on port {s.HttpsPort}",
                null, $"{asUser} journalctl --user -u {ServiceCatalogue.Caddy.Unit} -n 200 --no-pager"));
        }

        if (a.DiskAvailable is { } avail && a.DiskSize is { } size && size > 0 && (avail < MinimumFreeBytes || (double)avail / size < MinimumFreeShare))
            findings.Add(new Finding(FindingKind.Unhealthy, "disk", $"{Bytes(avail)} free of {Bytes(size)} on the file system of {s.DataDir}: PostgreSQL stops when it is full", "free space, or move ztnet:dataDir to a larger disk"));

        if (a.BackupRunResult is { } result && result is not ("success" or "-" or ""))
            findings.Add(new Finding(FindingKind.Unhealthy, BackupUnits.Service, $"the last backup failed ({result}): nothing newer than {a.BackupName ?? "(none)"} is on the host",
                $"sudo systemctl start {BackupUnits.Service} (once the cause is fixed)", $"sudo journalctl -u {BackupUnits.Service} -n 100 --no-pager"));
        foreach (var timer in probe.SystemTimers)
        {
            var (active, fileState) = a.SystemTimers.TryGetValue(timer, out var t) ? t : ("not reported", "-");
            if (active != "active" || fileState != "enabled")
                findings.Add(new Finding(FindingKind.Unhealthy, timer, $"is {active} ({fileState}), not an enabled running timer: what it runs does not happen",
                    $"sudo systemctl enable --now {timer}   (or, to write and start it as the stack would: {id.Replace(BackupSteps.BackupsStep)})", $"sudo systemctl status {timer} --no-pager"));
        }
        if (a.AutoUpdateRunResult is { } updateResult && updateResult is not ("success" or "-" or ""))
            findings.Add(new Finding(FindingKind.Unhealthy, BackupUnits.AutoUpdateService, $"the last auto-update failed or was rolled back ({updateResult}): the containers run the images they ran before it",
                $"sudo systemctl start {BackupUnits.AutoUpdateService} (once the cause is fixed; it takes a backup first)", $"sudo journalctl -u {BackupUnits.AutoUpdateService} -n 100 --no-pager"));
        if (a.BackupAt is null)
            findings.Add(new Finding(FindingKind.Note, "backup", $"no backup on the host yet ({(s.BackupSchedule is null ? "ztnet:backupSchedule is off" : $"the timer runs on {s.BackupSchedule}")}; take one now: sudo systemctl start {BackupUnits.Service})"));

        return Report(probe, id, a, findings);
    }

    private static StatusReport Report(StatusProbe probe, StackIdentity id, HostAnswer a, List<Finding> findings) => new()
    {
        Host = probe.Plan.Settings.Host,
        Identity = id,
        Reach = Reach.Answered,
        Answer = a,
        Findings = [.. findings],
        Units = probe.Units,
    };

    private static Finding FileGone(ExpectedFile f, FileAnswer got, StackSettings s, StackIdentity id)
    {
        var what = got.Digest switch
        {
            "missing" => "is missing",
            "link" => "is a symbolic link (the stack writes a plain file here)",
            "not-a-file" => "is not a plain file",
            "not-root-owned" => "is in a directory that is not root's: not read",
            _ => "cannot be read",
        };
        return f.Role switch
        {
            FileRole.Unit or FileRole.Config or FileRole.Sysctl or FileRole.Backup => new Finding(FindingKind.Drift, f.Path, what, id.Replace(f.Step)),
            _ => new Finding(FindingKind.Drift, f.Path, what, ManualRecordFix(f, s, id)),
        };
    }

    /// <summary>Records and markers hold what the host had; the stack cannot write them back from settings.</summary>
    private static string ManualRecordFix(ExpectedFile f, StackSettings s, StackIdentity id) => f.Role switch
    {
        FileRole.Marker => $"the data directory is no longer marked as the stack's: a purge (ztnet:retainDataOnDestroy false) would refuse it. If it is the stack's, {id.Replace(f.Step)} takes it over again (marked as found, so a purge gives it back rather than removing it)",
        // The same adoption the service-account step's refusal prints (Scripts/service-account.create.sh).
        FileRole.AccountRecord => $"without this record every run refuses {s.ServiceUser} as an account the stack did not make (ztnet:serviceUser). If the account is the stack's, adopt it on the host (an adopted account is never deleted): sudo install -d -m 0755 {Ownership.AccountRecords} && printf 'origin=adopted\\nuid=%s\\n' \"$(id -u {s.ServiceUser})\" | sudo tee {f.Path}",
        FileRole.SysctlRecord => $"the value found before the stack is lost: a destroy cannot put it back. Write it as root: echo found=1024 | sudo install -m 0644 /dev/stdin {f.Path} (1024 is the kernel's default), then {id.Replace(f.Step)}",
        _ => id.Replace(f.Step),
    };

    private static bool SameReference(string running, string wanted) =>
        running == wanted || running == wanted.Replace("docker.io/library/", "docker.io/", StringComparison.Ordinal);

    private static string Sh(string path) => Shell.Sh.Quote(path);

    public static string Short(string digest) => digest.Length > 12 ? digest.Replace("sha256:", "", StringComparison.Ordinal)[..12] : digest;

    public static string Age(long seconds) => seconds switch
    {
        < 120 => $"{seconds} s",
        < 7200 => $"{seconds / 60} min",
        < 172800 => $"{seconds / 3600} h",
        _ => $"{seconds / 86400} d",
    };

    public static string Bytes(long b) => b >= 1L << 30
        ? ((double)b / (1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
        : (b / (1L << 20)).ToString(CultureInfo.InvariantCulture) + " MiB";
}
