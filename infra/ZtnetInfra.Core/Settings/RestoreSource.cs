using System.Text.RegularExpressions;

namespace ZtnetInfra.Core.Settings;

public enum RestoreKind
{
    /// <summary>A snapshot the backup program wrote to ztnet:backupRepository.</summary>
    Restic,

    /// <summary>An archive already on the server (root's file).</summary>
    HostFile,

    /// <summary>An archive on the workstation, sent to the server by the stack (Pulumi.Command's CopyToRemote).</summary>
    WorkstationFile,
}

/// <summary>
/// ztnet:restoreFrom, parsed: restic:latest, restic:ID (8 to 64 hex digits, restic's snapshot ID
/// or its prefix), host:/PATH (an absolute path on the server: letters, digits, '.', '_', '-'
/// and '/', no '..' component, ending .tar, .tar.gz or .tgz), or file:PATH (an archive on the
/// workstation, absolute or relative to the project directory, of the same characters and
/// endings; '.' and '..' allowed: it never reaches the host as a path). Everything else is refused before
/// anything reaches a host, so the value can be carried into a script verbatim.
/// </summary>
public sealed partial record RestoreSource(RestoreKind Kind, string Value)
{
    public const string Latest = "latest";

    /// <summary>The setting as the user writes it (also what the host records as restored).</summary>
    public override string ToString() => Kind switch
    {
        RestoreKind.Restic => "restic:",
        RestoreKind.HostFile => "host:",
        _ => "file:",
    } + Value;

    public static RestoreSource Parse(string v) =>
        Problem(v) is { } p ? throw new ArgumentException(p, nameof(v))
        : v.StartsWith("restic:", StringComparison.Ordinal) ? new RestoreSource(RestoreKind.Restic, v["restic:".Length..])
        : v.StartsWith("file:", StringComparison.Ordinal) ? new RestoreSource(RestoreKind.WorkstationFile, v["file:".Length..])
        : new RestoreSource(RestoreKind.HostFile, v["host:".Length..]);

    private static string? ArchiveEnding(string path) =>
        path.EndsWith(".tar", StringComparison.Ordinal) || path.EndsWith(".tar.gz", StringComparison.Ordinal) || path.EndsWith(".tgz", StringComparison.Ordinal) ? null
            : "must name a .tar (a ztnet-infra backup) or a .tar.gz / .tgz (ZTNet's admin backup) archive";

    public static string? Problem(string v)
    {
        const string forms = "restic:latest, restic:SNAPSHOT-ID (from `restic snapshots`), file:backups/ztnet-backup.tar.gz (an archive on this workstation, sent to the server), or host:/root/ztnet-backup.tar.gz (an archive already on the server)";
        if (v.StartsWith("restic:", StringComparison.Ordinal))
        {
            var id = v["restic:".Length..];
            return id == Latest || SnapshotRegex().IsMatch(id) ? null
                : $"names the restic snapshot \"{Printable(id)}\", which is neither latest nor a snapshot ID (8 to 64 hex digits, as `restic snapshots` prints them)";
        }
        if (v.StartsWith("host:", StringComparison.Ordinal))
        {
            var path = v["host:".Length..];
            if (!PathRegex().IsMatch(path) || path.Split('/').Any(p => p is "." or ".."))
                return "must name an absolute path on the server of letters, digits, '.', '_', '-' and '/' (no . or .. component), e.g. host:/root/ztnet-backup.tar.gz";
            return ArchiveEnding(path);
        }
        if (v.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = v["file:".Length..];
            if (!WorkstationPathRegex().IsMatch(path))
                return "must name a file on this workstation, absolute or relative to the project directory (the one holding Pulumi.yaml), of letters, digits, '.', '_', '-' and '/', e.g. file:backups/ztnet-backup.tar.gz";
            return ArchiveEnding(path);
        }
        if (v.StartsWith("./", StringComparison.Ordinal) || v.StartsWith('/'))
            return $"names a file without saying where it is: file:PATH for an archive on this workstation, host:/PATH for one already on the server. The forms: {forms}";
        return $"must be {forms}";
    }

    private static string Printable(string s) => s.Length > 40 || s.Any(char.IsControl) ? "(not shown)" : s;

    [GeneratedRegex("^[0-9a-f]{8,64}\\z")]
    private static partial Regex SnapshotRegex();

    [GeneratedRegex("^/[A-Za-z0-9._/-]{1,400}\\z")]
    private static partial Regex PathRegex();

    [GeneratedRegex("^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,399}\\z|^/[A-Za-z0-9._/-]{1,400}\\z")]
    private static partial Regex WorkstationPathRegex();
}
