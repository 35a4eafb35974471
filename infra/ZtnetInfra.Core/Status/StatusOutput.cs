using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZtnetInfra.Core.Status;

/// <summary>A status report as a compact plain-text table, or as JSON for monitoring (schema <see cref="Schema"/>).</summary>
public static class StatusOutput
{
    public const string Schema = "ztnet-infra-status/1";

    public static string Text(StatusReport r)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"ztnet-infra status: stack {r.Identity.Stack} on {r.Host}: {r.Outcome.ToUpperInvariant()} (exit {r.ExitCode})\n");
        if (r.Reach != Reach.Answered)
        {
            sb.Append(r.Error).Append('\n');
            return sb.ToString();
        }
        var a = r.Answer!;
        if (a.UserExists && a.Manager == "active")
        {
            sb.Append('\n');
            Table(sb, ["UNIT", "STATE", "ENABLED", "RESTARTS"],
                r.Units.Select(n => a.Units.FirstOrDefault(u => u.Name == n) is { } u
                    ? new[] { n, $"{u.Active}/{u.Sub}", u.FileState, u.Restarts }
                    : [n, "not reported", "-", "-"]));
            sb.Append('\n');
            Table(sb, ["CONTAINER", "STATE", "HEALTH", "IMAGE"],
                a.Containers.Select(c => new[] { c.Name, c.State, c.Health, c.State == "missing" ? "-" : $"{c.ImageName} ({StatusReport.Short(c.ImageId)})" }));
            sb.Append('\n');
            sb.Append(CultureInfo.InvariantCulture, $"pod {a.Pod}; linger {(a.Linger ? "on" : "off")}\n");
        }
        if (a.UserExists)
        {
            sb.Append("backup: ").Append(a.BackupAt is { } at ? $"newest {a.BackupName}, {StatusReport.Age(a.Now - at)} old" : "none yet").Append('\n');
            sb.Append("certificate: ").Append(a.CertExpiry is { } exp
                ? $"{a.CertIssuer}, {(exp > a.Now ? "expires in " + StatusReport.Age(exp - a.Now) : "EXPIRED")}"
                : "not read").Append('\n');
            if (a.DiskAvailable is { } avail && a.DiskSize is { } size)
                sb.Append(CultureInfo.InvariantCulture, $"disk: {StatusReport.Bytes(avail)} free of {StatusReport.Bytes(size)}\n");
        }
        var shown = r.Findings.Where(f => f.Kind != FindingKind.Note).Concat(r.Findings.Where(f => f.Kind == FindingKind.Note)).ToList();
        sb.Append('\n').Append(shown.Count == 0 ? "no findings: nothing differs from the stack, everything runs\n" : "FINDINGS\n");
        foreach (var f in shown)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{Kind(f.Kind),-10} {f.Subject}: {f.Message}\n");
            if (f.Fix is not null) sb.Append("           fix:  ").Append(f.Fix).Append('\n');
            if (f.Look is not null) sb.Append("           look: ").Append(f.Look).Append('\n');
        }
        return sb.ToString();
    }

    public static string Json(StatusReport r)
    {
        var a = r.Answer;
        var o = new JsonObject
        {
            ["schema"] = Schema,
            ["stack"] = r.Identity.Stack,
            ["project"] = r.Identity.Project,
            ["host"] = r.Host,
            ["outcome"] = r.Outcome,
            ["exitCode"] = r.ExitCode,
            ["reachable"] = r.Reach == Reach.Answered,
            ["drift"] = r.HasDrift,
            ["healthy"] = r.Reach == Reach.Answered && !r.IsUnhealthy,
            ["error"] = r.Error,
            ["checkedAt"] = a is null ? null : a.Now,
            ["findings"] = new JsonArray([.. r.Findings.Select(f => (JsonNode)new JsonObject
            {
                ["kind"] = Kind(f.Kind),
                ["subject"] = f.Subject,
                ["message"] = f.Message,
                ["fix"] = f.Fix,
                ["look"] = f.Look,
            })]),
            ["units"] = new JsonArray([.. (a?.Units ?? []).Select(u => (JsonNode)new JsonObject
            {
                ["name"] = u.Name,
                ["active"] = u.Active,
                ["sub"] = u.Sub,
                ["enabled"] = u.FileState,
                ["restarts"] = int.TryParse(u.Restarts, CultureInfo.InvariantCulture, out var n) ? n : null,
            })]),
            ["containers"] = new JsonArray([.. (a?.Containers ?? []).Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["state"] = c.State,
                ["health"] = c.Health == "-" ? null : c.Health,
                ["restarts"] = int.TryParse(c.Restarts, CultureInfo.InvariantCulture, out var n) ? n : null,
                ["image"] = c.ImageName == "-" ? null : c.ImageName,
                ["imageId"] = c.ImageId == "-" ? null : c.ImageId,
            })]),
            ["pod"] = a?.Pod,
            ["linger"] = a?.Linger,
            ["manager"] = a?.Manager,
            ["lastBackup"] = a?.BackupAt is { } at ? new JsonObject { ["name"] = a.BackupName, ["at"] = at, ["ageSeconds"] = a.Now - at } : null,
            ["certificate"] = a?.CertExpiry is { } exp ? new JsonObject { ["issuer"] = a.CertIssuer, ["expiresAt"] = exp, ["secondsLeft"] = exp - a.Now } : null,
            ["disk"] = a?.DiskAvailable is { } avail ? new JsonObject { ["availableBytes"] = avail, ["sizeBytes"] = a.DiskSize } : null,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string Kind(FindingKind k) => k switch
    {
        FindingKind.Drift => "drift",
        FindingKind.Unhealthy => "unhealthy",
        _ => "note",
    };

    private static void Table(StringBuilder sb, string[] head, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { head };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, head.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
            sb.Append(string.Join("  ", row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i])))).Append('\n');
    }
}
