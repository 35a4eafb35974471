using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// What a container can write is never read through a link nor echoed raw, removals follow the
/// stack's records, and host-wide settings go back as found: postgres-guard's PG_VERSION read and
/// backup rotation, and the unprivileged-port sysctl, run for real against stand-ins (podman,
/// sysctl) that keep their state in files.
/// </summary>
public class ContainerWrittenFilesTests
{
    private const string Secret = "sEcReT-do-not-print";

    // podman: `unshare` runs its command here (the user namespace is not what is tested), the image
    // says PG_MAJOR=15, a container exists on another image, and pg_dump prints a dump.
    private static void StandInPodman(FakeBin bin) => bin.Tool("podman", """
        case "$1" in
          image) echo PG_MAJOR=15 ;;
          unshare) shift; exec "$@" ;;
          container) exit 0 ;;
          inspect) echo docker.io/library/postgres:14-alpine ;;
          exec) echo dump ;;
        esac
        """);

    private static Tools.Result Guard(FakeBin bin, string data, int keep = 2)
    {
        var s = new Script("test", "postgres-guard.sh")
            .Var("image", "docker.io/library/postgres:15.19-alpine")
            .Var("pgdata", Path.Combine(data, "postgres-data"))
            .Var("backups", Path.Combine(data, "backups"))
            .Var("keep", keep)
            .Var("pg_container", "postgres")
            .Var("db_superuser", "postgres")
            .Var("db_name", "ztnet");
        return Tools.Run("bash", ["-c", s.Body], env: new Dictionary<string, string> { ["HOME"] = bin.Home, ["PATH"] = bin.Bin + ":" + Environment.GetEnvironmentVariable("PATH") });
    }

    [Fact]
    public void A_PG_VERSION_link_is_refused_without_printing_what_it_points_at()
    {
        using var bin = new FakeBin();
        StandInPodman(bin);
        var data = Path.Combine(bin.Home, "data");
        Directory.CreateDirectory(Path.Combine(data, "postgres-data"));
        var target = Path.Combine(bin.Home, "secretsdata.json");
        File.WriteAllText(target, Secret + "\n");
        File.CreateSymbolicLink(Path.Combine(data, "postgres-data", "PG_VERSION"), target);

        var r = Guard(bin, data);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("PG_VERSION is not a plain file holding a PostgreSQL major version", r.Output);
        Assert.DoesNotContain(Secret, r.Output);
        Assert.False(Directory.Exists(Path.Combine(data, "backups")));

        // A plain file with other content: refused the same way, its content not shown either.
        File.Delete(Path.Combine(data, "postgres-data", "PG_VERSION"));
        File.WriteAllText(Path.Combine(data, "postgres-data", "PG_VERSION"), Secret + "\n");
        r = Guard(bin, data);
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain(Secret, r.Output);

        // The real thing: a mismatch is named with the version, which is digits.
        File.WriteAllText(Path.Combine(data, "postgres-data", "PG_VERSION"), "14\n");
        r = Guard(bin, data);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("holds a PostgreSQL 14 database but ztnet:postgresImage is PostgreSQL 15", r.Output);
    }

    [Fact]
    public void Rotation_removes_only_the_dumps_this_script_recorded()
    {
        using var bin = new FakeBin();
        StandInPodman(bin);
        var data = Path.Combine(bin.Home, "data");
        var backups = Path.Combine(data, "backups");
        Directory.CreateDirectory(Path.Combine(data, "postgres-data"));
        File.WriteAllText(Path.Combine(data, "postgres-data", "PG_VERSION"), "15\n");
        Directory.CreateDirectory(backups);
        // An administrator's copies, named like ours and older than any: never ours to remove.
        File.WriteAllText(Path.Combine(backups, "ztnet-20000101T000000Z.dump"), "admin's\n");
        File.WriteAllText(Path.Combine(backups, "ztnet-before-upgrade.dump"), "admin's\n");
        // Three recorded dumps, older than the one the run writes now.
        var ours = new[] { "ztnet-20200101T000000Z.dump", "ztnet-20210101T000000Z.dump", "ztnet-20220101T000000Z.dump" };
        foreach (var o in ours) File.WriteAllText(Path.Combine(backups, o), "ours\n");
        File.WriteAllText(Path.Combine(backups, ".ztnet-infra-dumps"), string.Join('\n', ours) + "\n");

        var r = Guard(bin, data, keep: 2);

        Assert.True(r.ExitCode == 0, r.Output);
        var left = Directory.GetFiles(backups).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        string[] before = ["ztnet-20000101T000000Z.dump", "ztnet-before-upgrade.dump", .. ours];
        var written = left.Single(f => f!.EndsWith(".dump", StringComparison.Ordinal) && !before.Contains(f));
        Assert.Equal(new[] { ".ztnet-infra-dumps", "ztnet-20000101T000000Z.dump", "ztnet-20220101T000000Z.dump", written, "ztnet-before-upgrade.dump" }.Order(StringComparer.Ordinal), left);
        Assert.Equal($"ztnet-20220101T000000Z.dump\n{written}\n", File.ReadAllText(Path.Combine(backups, ".ztnet-infra-dumps")));
        Assert.Contains("removed the old backup ztnet-20210101T000000Z.dump", r.Output);
        Assert.DoesNotContain("ztnet-20000101T000000Z.dump", r.Output);
    }

    [Theory]
    [InlineData("1024")]
    [InlineData("443")]
    [InlineData("0")]
    public void The_sysctl_value_found_is_put_back_on_delete(string found)
    {
        if (Tools.Run("id", ["-u"]).Output.Trim() != "0") return; // install -o root needs root, as on a host
        using var bin = new FakeBin();
        var value = Path.Combine(bin.Home, "sysctl-value");
        File.WriteAllText(value, found + "\n");
        // sysctl: keeps the one key in a file (-n reads it, -w key=V writes it); --system changes nothing here.
        bin.Tool("sysctl", $$"""
            v={{Sh.Quote(value)}}
            for a in "$@"; do
              case "$a" in
                net.ipv4.ip_unprivileged_port_start=*) printf '%s\n' "${a#*=}" > "$v" ;;
                net.ipv4.ip_unprivileged_port_start) cat "$v" ;;
              esac
            done
            """);
        var state = Path.Combine(bin.Home, "state");
        var record = Path.Combine(state, "unprivileged-ports");
        var file = Path.Combine(bin.Home, "60-ztnet-unprivileged-ports.conf");
        var env = new Dictionary<string, string> { ["HOME"] = bin.Home, ["PATH"] = bin.Bin + ":" + Environment.GetEnvironmentVariable("PATH") };
        string Run(Script s)
        {
            var r = Tools.Run("bash", ["-c", s.Body], env: env);
            Assert.True(r.ExitCode == 0, r.Output);
            return r.Output;
        }
        Script Create(int want) => new Script("test", "unprivileged-ports.create.sh").Var("file", file)
            .Text("content", ZtnetInfra.Core.Plan.HostSteps.SysctlContent(ZtnetInfra.Core.Settings.SettingsReader.Read(Stacks.With(("tlsMode", "internal"), ("httpPort", want.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("allowPortsBelow80", "true")))))
            .Var("want", want).Var("state", state).Var("record", record);

        Run(Create(80));
        // The file holds exactly the text `ztnet-infra status` compares it with.
        Assert.Equal("# written by ztnet-infra: rootless podman publishes the ZTNet ports\nnet.ipv4.ip_unprivileged_port_start = 80\n", File.ReadAllText(file));
        Assert.Equal(int.Parse(found, System.Globalization.CultureInfo.InvariantCulture) > 80 ? "80\n" : found + "\n", File.ReadAllText(value));
        // A re-run (and a second port setting) never records the lowered value as the one found.
        Run(Create(80));
        Run(Create(81));
        Assert.Contains($"found={found}\n", File.ReadAllText(record));
        Run(new Script("test", "unprivileged-ports.delete.sh").Var("file", file).Var("record", record));

        Assert.Equal(found + "\n", File.ReadAllText(value));
        Assert.False(File.Exists(file));
        Assert.False(File.Exists(record));
    }
}
