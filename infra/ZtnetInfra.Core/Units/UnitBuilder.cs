using ZtnetInfra.Core.Settings;
using static ZtnetInfra.Core.Units.UnitValue;

namespace ZtnetInfra.Core.Units;

/// <summary>
/// Builds the pod unit and the four container units: the guide's units, corrected (see
/// facts.md section 1), in the shape `podman generate systemd --new` gives for a pod.
/// </summary>
public static class UnitBuilder
{
    private const string Podman = "/usr/bin/podman";
    private static readonly UnitValue PodIdFile = Concat(Specifier('t'), Literal("/ztnet-pod.pod-id"));
    private static readonly UnitValue PodPidFile = Concat(Specifier('t'), Literal("/ztnet-pod.pid"));
    private static readonly UnitValue CidFile = Concat(Specifier('t'), Literal("/"), Specifier('n'), Literal(".ctr-id"));

    public static IReadOnlyList<UnitFile> All(StackSettings s) =>
        [Pod(s), Postgres(s), Zerotier(s), Ztnet(s), Caddy(s)];

    public static UnitFile Pod(StackSettings s)
    {
        var u = new UnitFile(ServiceCatalogue.PodUnit);
        var unit = u.Section("Unit")
            .Add("Description", "ZTNet pod (rootless, pasta network)")
            .Add("Wants", "network-online.target")
            .Add("After", "network-online.target")
            .Add("RequiresMountsFor", Concat(Specifier('t'), Literal("/containers")));
        var containerUnits = string.Join(' ', ServiceCatalogue.Containers.Select(c => c.Unit));
        unit.Add("Wants", containerUnits).Add("Before", containerUnits);

        u.Section("Service")
            // podman auto-update restarts the unit recorded on the pod's infra container.
            .Add("Environment", Concat(Literal("PODMAN_SYSTEMD_UNIT="), Specifier('n')))
            .Add("Restart", "on-failure")
            .Add("TimeoutStopSec", Seconds(PostgresStopSeconds + 60))
            .AddExec("ExecStartPre", new ExecCommand("", Podman, "pod", "create")
                .Then(Concat(Literal("--infra-conmon-pidfile="), PodPidFile))
                .Then(Concat(Literal("--pod-id-file="), PodIdFile))
                .Then("--exit-policy=stop", "--replace")
                .Then("--name", ServiceCatalogue.PodName)
                .Then("--network", "pasta")
                .Then("--publish", $"{s.HttpPort}:80/tcp")
                .Then("--publish", $"{s.HttpsPort}:443/tcp")
                .Then("--publish", $"{s.ZerotierPort}:9993/udp"))
            .AddExec("ExecStart", new ExecCommand("", Podman, "pod", "start", Concat(Literal("--pod-id-file="), PodIdFile)))
            .AddExec("ExecStop", new ExecCommand("", Podman, "pod", "stop", "--ignore", "--time", Seconds(PostgresStopSeconds), Concat(Literal("--pod-id-file="), PodIdFile)))
            .AddExec("ExecStopPost", new ExecCommand("", Podman, "pod", "rm", "--ignore", "--force", Concat(Literal("--pod-id-file="), PodIdFile)))
            .Add("PIDFile", PodPidFile)
            .Add("Type", "forking");
        Install(u);
        return u;
    }

    public static UnitFile Postgres(StackSettings s)
    {
        var c = ServiceCatalogue.Postgres;
        var run = RunCommand(s, c)
            .Then("--volume", $"{ServiceCatalogue.DataPath(s, "postgres-data")}:/var/lib/postgresql/data")
            .Then("--env", $"POSTGRES_USER={ServiceCatalogue.DatabaseSuperuser}")
            .Then("--env", $"POSTGRES_DB={ServiceCatalogue.DatabaseName}")
            // The official image's initdb runs without -A: pg_hba.conf would trust every TCP login
            // from 127.0.0.1, which is every container of the pod (docker-library/postgres
            // docker-entrypoint.sh). New data directories get SCRAM for TCP instead; the
            // database-password step brings kept ones to the same rule.
            .Then("--env", "POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256")
            // A mounted file, not an environment variable: before Podman 5.3 `podman inspect`
            // shows type=env secret values (containers/podman #23788, fixed by #23959).
            .Then("--secret", $"{ServiceCatalogue.PostgresSecret},type=mount")
            .Then("--env", $"POSTGRES_PASSWORD_FILE={ServiceCatalogue.PostgresPasswordFile}")
            // Over TCP: the entrypoint's first-start server listens on the socket only, so this
            // does not pass while initdb runs.
            .Then("--health-cmd", $"pg_isready -q -h 127.0.0.1 -U {ServiceCatalogue.DatabaseSuperuser} -d {ServiceCatalogue.DatabaseName}")
            // Never killed on a failed check: a kill during the first initdb leaves a data
            // directory without its databases, and PostgreSQL exits by itself when it fails.
            .Then(HealthOptions(onFailure: "none"));
        return ContainerUnit(s, c, run, [ServiceCatalogue.DataPath(s, "postgres-data")], after: [], stopSeconds: PostgresStopSeconds);
    }

    public static UnitFile Zerotier(StackSettings s)
    {
        var c = ServiceCatalogue.Zerotier;
        var run = RunCommand(s, c)
            .Then("--volume", $"{ServiceCatalogue.DataPath(s, "zerotier")}:/var/lib/zerotier-one")
            .Then("--env", "ZT_OVERRIDE_LOCAL_CONF=true")
            .Then("--env", "ZT_PRIMARY_PORT=9993");
        // No ZT_ALLOW_MANAGEMENT_FROM: loopback (every container of the pod) may always manage,
        // and an address without /bits would mean every address (ZeroTierOne node/InetAddress.cpp).
        if (s.ZerotierJoinNetworks)
        {
            // Joining networks needs a TUN device and these capabilities; a controller alone needs neither.
            run.Then("--device", "/dev/net/tun").Then("--cap-add", "NET_ADMIN").Then("--cap-add", "SYS_ADMIN");
        }
        run.Then("--health-cmd", "zerotier-cli info").Then(HealthOptions(onFailure: "kill"));
        return ContainerUnit(s, c, run, [ServiceCatalogue.DataPath(s, "zerotier")], after: []);
    }

    public static UnitFile Ztnet(StackSettings s)
    {
        var c = ServiceCatalogue.Ztnet;
        var run = RunCommand(s, c)
            .Then("--volume", $"{ServiceCatalogue.DataPath(s, "zerotier")}:/var/lib/zerotier-one")
            // ZTNet runs as the container's root (its Dockerfile leaves USER nextjs commented out),
            // which is the service user here: its admin backups land in a directory of that user.
            .Then("--volume", $"{ServiceCatalogue.DataPath(s, ServiceCatalogue.ZtnetBackupsDirectory)}:{ServiceCatalogue.ZtnetBackupsMount}")
            // Next.js binds to $HOSTNAME. In a pod that shares its UTS namespace podman replaces
            // HOSTNAME with the pod's host name (seen with podman 5.4), so ZTNet gets a UTS
            // namespace of its own, and with it the HOSTNAME given here.
            .Then("--uts", "private")
            .Then("--env", "HOSTNAME=0.0.0.0")
            .Then("--env", "PORT=3000")
            .Then("--env", $"NEXTAUTH_URL={s.PublicUrl}")
            .Then("--env", "POSTGRES_HOST=127.0.0.1")
            .Then("--env", "POSTGRES_PORT=5432")
            // Its own role, not the superuser: made, and given its database, by the database-password step.
            .Then("--env", $"POSTGRES_USER={ServiceCatalogue.DatabaseUser}")
            .Then("--env", $"POSTGRES_DB={ServiceCatalogue.DatabaseName}")
            .Then("--env", "ZT_ADDR=http://127.0.0.1:9993")
            .Then("--secret", $"{ServiceCatalogue.PostgresSecret},type=env,target=POSTGRES_PASSWORD")
            .Then("--secret", $"{ServiceCatalogue.AuthSecret},type=env,target=NEXTAUTH_SECRET")
            .Then("--health-cmd", $"curl -fsS -o /dev/null http://127.0.0.1:3000{s.ZtnetHealthPath}")
            .Then(HealthOptions(onFailure: "kill"));
        // ZTNet reads ZeroTier's token once, at start (src/utils/ztApi.ts, module scope): it must
        // not start before ZeroTier has written it on a first start (the unit order only says the
        // ZeroTier container runs). Waited for, bounded; a start that times out fails and is retried
        // (Restart=on-failure).
        var token = $"{ServiceCatalogue.DataPath(s, "zerotier")}/authtoken.secret";
        var waitForToken = new ExecCommand("", "/usr/bin/timeout", Seconds(TokenWaitSeconds), "/bin/sh", "-c", "until [ -s \"$0\" ]; do sleep 1; done", token);
        return ContainerUnit(s, c, run, [ServiceCatalogue.DataPath(s, "zerotier"), ServiceCatalogue.DataPath(s, ServiceCatalogue.ZtnetBackupsDirectory)],
            after: [ServiceCatalogue.Postgres, ServiceCatalogue.Zerotier], startPre: waitForToken);
    }

    /// <summary>How long ZTNet's start waits for ZeroTier's token on a first start (well inside TimeoutStartSec).</summary>
    public const int TokenWaitSeconds = 300;

    public static UnitFile Caddy(StackSettings s)
    {
        var c = ServiceCatalogue.Caddy;
        var run = RunCommand(s, c)
            .Then("--volume", $"{ServiceCatalogue.DataPath(s, "caddy_data")}:/data")
            .Then("--volume", $"{ServiceCatalogue.DataPath(s, "caddy_config")}:/config")
            // Caddy runs without its admin API (CaddyConfig): probe the HTTP listener instead,
            // with busybox wget, which every alpine tag has (curl only from 2.11, caddy-docker
            // #435). Caddy answers every host on :80 with a redirect to HTTPS, and busybox wget
            // cannot be told not to follow it: the check reads the first status line (-S) and
            // names a host that does not resolve, so the redirect is never followed off the pod.
            .Then("--health-cmd", "wget -S -T 20 -O /dev/null --header 'Host: health.invalid' http://127.0.0.1:80/ 2>&1 | grep -q 'HTTP/[0-9.]* [23][0-9][0-9]'")
            .Then(HealthOptions(onFailure: "kill"));
        run.Then(s.CaddyImage);
        // The configuration `caddy reverse-proxy` would build, without its trust-store install
        // at every start (CaddyConfig); written beside the unit by the unit-caddy step.
        run.Then("caddy", "run", "--config", CaddyConfig.ContainerPath);
        return ContainerUnit(s, c, run, [ServiceCatalogue.DataPath(s, "caddy_data"), ServiceCatalogue.DataPath(s, "caddy_config")], after: [ServiceCatalogue.Ztnet], imageAdded: true);
    }

    /// <summary>Seconds PostgreSQL gets to finish a fast shutdown (the image warns that 10 s may be too short).</summary>
    public const int PostgresStopSeconds = 90;

    /// <summary>Seconds the other containers get to stop.</summary>
    public const int StopSeconds = 20;

    /// <summary>
    /// Health checks that hold on a slow host (a small server pulling images, or emulation):
    /// a check may take 60 s, failures count only after a 10-minute start period, and a
    /// container is killed (then restarted by systemd) only after 5 failures in a row, at least
    /// 5 minutes of not answering.
    /// </summary>
    private static UnitValue[] HealthOptions(string onFailure) =>
        ["--health-interval", "60s", "--health-timeout", "60s", "--health-retries", "5", "--health-start-period", "600s", "--health-on-failure", onFailure];

    /// <summary>The parts of `podman run` every container shares.</summary>
    private static ExecCommand RunCommand(StackSettings s, ContainerService c)
    {
        var run = new ExecCommand("", Podman, "run")
            .Then(Concat(Literal("--cidfile="), CidFile))
            .Then("--cgroups=no-conmon", "--rm", "--sdnotify=conmon", "--detach", "--replace")
            .Then(Concat(Literal("--pod-id-file="), PodIdFile))
            .Then("--name", c.Name)
            .Then("--log-driver", "journald");
        if (s.AutoUpdate) run.Then("--label", "io.containers.autoupdate=registry");
        return run;
    }

    private static UnitFile ContainerUnit(StackSettings s, ContainerService c, ExecCommand run, IReadOnlyList<string> mounts,
        IReadOnlyList<ContainerService> after, bool imageAdded = false, int stopSeconds = StopSeconds, ExecCommand? startPre = null)
    {
        if (!imageAdded) run.Then(Image(s, c));
        var u = new UnitFile(c.Unit);
        var unit = u.Section("Unit")
            .Add("Description", c.Description)
            .Add("BindsTo", ServiceCatalogue.PodUnit)
            .Add("After", ServiceCatalogue.PodUnit)
            .Add("RequiresMountsFor", string.Join(' ', mounts));
        // Wants (not Requires): restarting one container must not restart the others.
        if (after.Count > 0)
        {
            var names = string.Join(' ', after.Select(a => a.Unit));
            unit.Add("Wants", names).Add("After", names);
        }
        u.Section("Service")
            .Add("Environment", Concat(Literal("PODMAN_SYSTEMD_UNIT="), Specifier('n')))
            .Add("Restart", "on-failure")
            .Add("RestartSec", "5")
            // The images step pulls before any unit starts, so this covers a start, not a pull.
            .Add("TimeoutStartSec", "600")
            .Add("TimeoutStopSec", Seconds(stopSeconds + 30));
        if (startPre is not null) u.Section("Service").AddExec("ExecStartPre", startPre);
        u.Section("Service")
            .AddExec("ExecStart", run)
            .AddExec("ExecStop", new ExecCommand("", Podman, "stop", "--ignore", "--time", Seconds(stopSeconds), Concat(Literal("--cidfile="), CidFile)))
            .AddExec("ExecStopPost", new ExecCommand("", Podman, "rm", "--force", "--ignore", "--time", Seconds(stopSeconds), Concat(Literal("--cidfile="), CidFile)))
            .Add("Type", "notify")
            .Add("NotifyAccess", "all")
            .Add("SyslogIdentifier", Specifier('N'));
        Install(u);
        return u;
    }

    private static string Image(StackSettings s, ContainerService c) => c.Name switch
    {
        "postgres" => s.PostgresImage,
        "zerotier" => s.ZerotierImage,
        "ztnet" => s.ZtnetImage,
        "caddy" => s.CaddyImage,
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    private static string Seconds(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void Install(UnitFile u) => u.Section("Install").Add("WantedBy", "default.target");
}
