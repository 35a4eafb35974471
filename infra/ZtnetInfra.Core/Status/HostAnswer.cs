using System.Collections.Immutable;
using System.Globalization;

namespace ZtnetInfra.Core.Status;

public sealed record FileAnswer(string Path, string Digest, string Owner, string Mode, ImmutableDictionary<string, string> Keys)
{
    public bool Present => Digest is not ("missing" or "link" or "not-a-file" or "not-root-owned" or "unreadable");
}

public sealed record UnitAnswer(string Name, string Load, string Active, string Sub, string FileState, string Restarts);

public sealed record ContainerAnswer(string Name, string State, string Health, string Restarts, string ImageName, string ImageId);

/// <summary>What Scripts/status.sh printed, read back: one record a line, tab-separated, "end" last.</summary>
public sealed record HostAnswer
{
    public const string Header = "ztnet-status\t1";

    public long Now { get; init; }
    public string? User { get; init; }
    public string? Uid { get; init; }
    public string? Gid { get; init; }
    public string? Group { get; init; }
    public string? Home { get; init; }
    public bool UserExists => Uid is not null;
    public bool Linger { get; init; }
    public string Manager { get; init; } = "-";
    public string DataOwner { get; init; } = "-";
    public string DataGroup { get; init; } = "-";
    public string DataMode { get; init; } = "-";
    public string DataKind { get; init; } = "missing";
    public long? DiskAvailable { get; init; }
    public long? DiskSize { get; init; }
    public ImmutableDictionary<string, FileAnswer> Files { get; init; } = ImmutableDictionary<string, FileAnswer>.Empty;
    public ImmutableArray<UnitAnswer> Units { get; init; } = [];
    public string Pod { get; init; } = "-";
    public ImmutableArray<ContainerAnswer> Containers { get; init; } = [];
    public ImmutableDictionary<string, string> Images { get; init; } = ImmutableDictionary<string, string>.Empty;
    public long? BackupAt { get; init; }
    public string? BackupName { get; init; }

    /// <summary>ztnet-backup.service's Result (success, exit-code, ...; "-" when it never ran or is not there) and ActiveState.</summary>
    public string? BackupRunResult { get; init; }
    public string? BackupRunState { get; init; }

    /// <summary>ztnet-auto-update.service's Result and ActiveState (null: not asked, without ztnet:autoUpdate).</summary>
    public string? AutoUpdateRunResult { get; init; }
    public string? AutoUpdateRunState { get; init; }

    /// <summary>The stack's timers in root's manager: name to (ActiveState, UnitFileState).</summary>
    public ImmutableDictionary<string, (string Active, string FileState)> SystemTimers { get; init; } = ImmutableDictionary<string, (string, string)>.Empty;
    public long? CertExpiry { get; init; }
    public string CertIssuer { get; init; } = "";

    /// <summary>Reads the probe's output; null when it is not one (cut short, or something else answered).</summary>
    public static HostAnswer? Parse(string stdout)
    {
        var lines = stdout.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 2 || lines[0] != Header || lines[^1] != "end") return null;
        var a = new HostAnswer();
        var files = ImmutableDictionary.CreateBuilder<string, FileAnswer>(StringComparer.Ordinal);
        var units = ImmutableArray.CreateBuilder<UnitAnswer>();
        var containers = ImmutableArray.CreateBuilder<ContainerAnswer>();
        var images = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var line in lines[1..^1])
        {
            var f = line.Split('\t');
            string F(int i) => i < f.Length ? f[i] : "-";
            switch (f[0])
            {
                case "now": a = a with { Now = Long(F(1)) ?? 0 }; break;
                case "user":
                    a = a with { User = F(1) };
                    if (F(2) != "-") a = a with { Uid = F(2), Gid = F(3), Group = F(4), Home = F(5) };
                    break;
                case "linger": a = a with { Linger = F(1) == "yes" }; break;
                case "manager": a = a with { Manager = F(1) }; break;
                case "data": a = a with { DataOwner = F(1), DataGroup = F(2), DataMode = F(3), DataKind = F(4) }; break;
                case "disk": a = a with { DiskAvailable = Long(F(1)), DiskSize = Long(F(2)) }; break;
                case "root-file":
                case "user-file":
                    files[F(1)] = new FileAnswer(F(1), F(2), F(3), F(4), Keys(F(5)));
                    break;
                case "unit": units.Add(new UnitAnswer(F(1), F(2), F(3), F(4), F(5), F(6))); break;
                case "pod": a = a with { Pod = F(1) }; break;
                case "container": containers.Add(new ContainerAnswer(F(1), F(2), F(3), F(4), F(5), F(6))); break;
                case "image": images[F(1)] = F(2); break;
                case "backup":
                    if (Long(F(1)) is { } at) a = a with { BackupAt = at, BackupName = F(2) };
                    break;
                case "backup-run": a = a with { BackupRunResult = F(1), BackupRunState = F(2) }; break;
                case "auto-update-run": a = a with { AutoUpdateRunResult = F(1), AutoUpdateRunState = F(2) }; break;
                case "system-timer": a = a with { SystemTimers = a.SystemTimers.SetItem(F(1), (F(2), F(3))) }; break;
                case "archive":
                    // ztnet-backup-YYYYMMDDTHHMMSSZ.tar: newer than the newest dump, it is the last backup.
                    if (DateTime.TryParseExact(F(1), "'ztnet-backup-'yyyyMMdd'T'HHmmss'Z.tar'", System.Globalization.CultureInfo.InvariantCulture,
                            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var made)
                        && new DateTimeOffset(made, TimeSpan.Zero).ToUnixTimeSeconds() is var madeAt && (a.BackupAt is null || madeAt > a.BackupAt))
                        a = a with { BackupAt = madeAt, BackupName = F(1) };
                    break;
                case "cert": a = a with { CertExpiry = Long(F(1)), CertIssuer = F(2) }; break;
                default: break; // a newer probe's record: ignored
            }
        }
        return a with { Files = files.ToImmutable(), Units = units.ToImmutable(), Containers = containers.ToImmutable(), Images = images.ToImmutable() };
    }

    /// <summary>The answer for a file the stack writes (a path under "~/" is the service user's home).</summary>
    public FileAnswer? File(string path) =>
        Files.GetValueOrDefault(path.StartsWith("~/", StringComparison.Ordinal) && Home is not null ? Home + path[1..] : path);

    private static long? Long(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static ImmutableDictionary<string, string> Keys(string s) =>
        s.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0], StringComparer.Ordinal).ToImmutableDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
}
