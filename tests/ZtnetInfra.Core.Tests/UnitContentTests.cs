using System.Text.Json.Nodes;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Tests;

/// <summary>The units are the guide's, corrected: what each one must carry for the pod to work.</summary>
public class UnitContentTests
{
    private static UnitFile Unit(string name, params (string Key, string Value)[] settings) =>
        Stacks.Plan(Stacks.With(settings)).Units.Single(u => u.Name == name);

    private static string ExecStart(UnitFile u) => Assert.Single(u.Values("Service", "ExecStart"));

    [Fact]
    public void The_pod_runs_on_pasta_publishes_the_three_ports_and_records_its_unit_for_auto_update()
    {
        var pod = Unit(ServiceCatalogue.PodUnit, ("httpPort", "8080"), ("httpsPort", "443"), ("zerotierPort", "9994"));
        var create = Assert.Single(pod.Values("Service", "ExecStartPre"));

        Assert.Contains("--network pasta", create);
        Assert.Contains("--publish 8080:80/tcp", create);
        Assert.Contains("--publish 443:443/tcp", create);
        Assert.Contains("--publish 9994:9993/udp", create);
        Assert.Contains("PODMAN_SYSTEMD_UNIT=%n", pod.Values("Service", "Environment"));
        Assert.Equal(["default.target"], pod.Values("Install", "WantedBy"));
    }

    [Fact]
    public void ZTNet_starts_only_once_ZeroTier_has_written_its_token_and_the_wait_really_waits()
    {
        var ztnet = Unit(ServiceCatalogue.Ztnet.Unit, ("dataDir", "/srv/ztnet"));
        var pre = Assert.Single(ztnet.Values("Service", "ExecStartPre"));
        Assert.Equal("/usr/bin/timeout 300 /bin/sh -c \"until [ -s \\\"$$0\\\" ]; do sleep 1; done\" /srv/ztnet/zerotier/authtoken.secret", pre);
        var keys = ztnet.Sections.Single(x => x.Name == "Service").Entries.Select(e => e.Key).ToList();
        Assert.True(keys.IndexOf("ExecStartPre") < keys.IndexOf("ExecStart"));
        Assert.Empty(Unit(ServiceCatalogue.Zerotier.Unit).Values("Service", "ExecStartPre"));

        // The same command as systemd runs it ($$ is a literal $): it returns once the token is there, not before.
        var dir = Tools.TempDir();
        var token = Path.Combine(dir, "authtoken.secret");
        var run = Tools.Run("bash", ["-c", $"(sleep 2; printf tok > {token}) & start=$SECONDS; timeout 30 /bin/sh -c 'until [ -s \"$0\" ]; do sleep 1; done' {token}; echo $? $((SECONDS - start))"]);
        var parts = run.Output.Trim().Split(' ');
        Assert.Equal("0", parts[0]);
        Assert.True(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) >= 1, run.Output);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Containers_belong_to_the_pod_publish_nothing_and_restart_on_failure()
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        foreach (var u in plan.Units.Where(u => u.Name != ServiceCatalogue.PodUnit))
        {
            var run = ExecStart(u);
            Assert.Equal([ServiceCatalogue.PodUnit], u.Values("Unit", "BindsTo"));
            Assert.Contains(ServiceCatalogue.PodUnit, u.Values("Unit", "After"));
            Assert.Empty(u.Values("Unit", "Requires"));
            Assert.Contains("--pod-id-file=%t/ztnet-pod.pod-id", run);
            Assert.DoesNotContain("--publish", run);
            Assert.Contains("--health-cmd", run);
            // A slow host must not see a healthy container killed: long timeouts, a start period, 5 failures in a row.
            Assert.Contains("--health-timeout 60s", run);
            Assert.Contains("--health-retries 5", run);
            Assert.Contains("--health-start-period 600s", run);
            // The database is never killed by a check (a kill during its first initdb leaves it without its databases).
            Assert.Contains(u.Name == ServiceCatalogue.Postgres.Unit ? "--health-on-failure none" : "--health-on-failure kill", run);
            Assert.Equal(["on-failure"], u.Values("Service", "Restart"));
            Assert.Equal(["notify"], u.Values("Service", "Type"));
            Assert.Contains("PODMAN_SYSTEMD_UNIT=%n", u.Values("Service", "Environment"));
            Assert.Contains("--label io.containers.autoupdate=registry", run);
        }
    }

    [Fact]
    public void PostgreSQL_requires_scram_over_TCP_reads_its_password_from_a_file_and_gets_time_for_a_fast_shutdown()
    {
        var u = Unit(ServiceCatalogue.Postgres.Unit);
        var run = ExecStart(u);

        Assert.Contains("--env POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256", run);
        Assert.Contains("--env POSTGRES_PASSWORD_FILE=/run/secrets/ztnet-postgres-password", run);
        // Over TCP, which the entrypoint's first-start server (socket only) does not answer.
        Assert.Contains("pg_isready -q -h 127.0.0.1", run);
        var stop = Assert.Single(u.Values("Service", "ExecStop"));
        Assert.Contains($"--time {UnitBuilder.PostgresStopSeconds}", stop);
        Assert.True(UnitBuilder.PostgresStopSeconds >= 60);
        Assert.True(int.Parse(Assert.Single(u.Values("Service", "TimeoutStopSec")), System.Globalization.CultureInfo.InvariantCulture) > UnitBuilder.PostgresStopSeconds);
        var pod = Unit(ServiceCatalogue.PodUnit);
        Assert.Contains($"pod stop --ignore --time {UnitBuilder.PostgresStopSeconds}", Assert.Single(pod.Values("Service", "ExecStop")));
    }

    [Fact]
    public void ZTNet_logs_in_with_its_own_role_and_only_the_database_image_knows_the_superuser()
    {
        var ztnet = ExecStart(Unit(ServiceCatalogue.Ztnet.Unit));
        var postgres = ExecStart(Unit(ServiceCatalogue.Postgres.Unit));

        Assert.Contains("--env POSTGRES_USER=ztnet", ztnet);
        Assert.DoesNotContain("POSTGRES_USER=postgres", ztnet);
        Assert.Contains("--env POSTGRES_DB=ztnet", ztnet);
        // The entrypoint creates the superuser (and database ztnet) with this name.
        Assert.Contains("--env POSTGRES_USER=postgres", postgres);
    }

    [Fact]
    public void ZeroTier_gets_no_management_allow_list_loopback_may_always_manage()
    {
        // An address without /bits would allow every address (ZeroTierOne node/InetAddress.cpp).
        Assert.DoesNotContain("ZT_ALLOW_MANAGEMENT_FROM", Unit(ServiceCatalogue.Zerotier.Unit).Render());
    }

    [Fact]
    public void Caddy_is_checked_with_busybox_wget_which_every_alpine_tag_has()
    {
        var run = ExecStart(Unit(ServiceCatalogue.Caddy.Unit));

        Assert.Contains("--health-cmd \"wget -S -T 20 -O /dev/null --header 'Host: health.invalid' http://127.0.0.1:80/ 2>&1 | grep -q 'HTTP/[0-9.]* [23][0-9][0-9]'\"", run);
        Assert.DoesNotContain("curl", run);
    }

    [Fact]
    public void Ztnet_listens_on_all_addresses_and_reaches_its_neighbours_on_the_pod_loopback()
    {
        var run = ExecStart(Unit(ServiceCatalogue.Ztnet.Unit, ("httpsPort", "8443"), ("tlsMode", "internal")));

        Assert.Contains("--env HOSTNAME=0.0.0.0", run);
        // Without its own UTS namespace podman overwrites HOSTNAME with the pod's name.
        Assert.Contains("--uts private", run);
        Assert.Contains("--env NEXTAUTH_URL=https://ztnet.example.org:8443", run);
        Assert.Contains("--env POSTGRES_HOST=127.0.0.1", run);
        Assert.Contains("--env ZT_ADDR=http://127.0.0.1:9993", run);
        Assert.Contains("--volume /opt/ztnet-data/zerotier:/var/lib/zerotier-one \\", run);
        Assert.Contains("http://127.0.0.1:3000/api/auth/ok", run);
        Assert.DoesNotContain("ztnet-pod:3000", run);
    }

    [Fact]
    public void ZTNets_own_admin_backups_land_in_the_data_directory_and_outlive_the_container()
    {
        var unit = Unit(ServiceCatalogue.Ztnet.Unit);

        // process.cwd() + tmp/backups in sinamics/ztnet v0.8.2 adminRoute.ts; WORKDIR /app in its Dockerfile.
        Assert.Contains("--volume /opt/ztnet-data/ztnet-backups:/app/tmp/backups \\", ExecStart(unit));
        Assert.Equal(["/opt/ztnet-data/zerotier /opt/ztnet-data/ztnet-backups"], unit.Values("Unit", "RequiresMountsFor"));
        Assert.Contains("ztnet-backups", ServiceCatalogue.DataSubdirectories);
    }

    [Fact]
    public void Caddy_proxies_the_domain_to_the_pod_loopback_with_the_chosen_certificates()
    {
        var acme = ExecStart(Unit(ServiceCatalogue.Caddy.Unit));
        Assert.EndsWith("docker.io/library/caddy:2.11.4-alpine \\\n    caddy run --config /config/ztnet-infra-caddy.json", acme);
        Assert.Contains("--volume /opt/ztnet-data/caddy_config:/config", acme);

        var config = JsonNode.Parse(CaddyConfig.Json(SettingsReader.Read(Stacks.Minimal())))!;
        // What `caddy reverse-proxy --from https://DOMAIN --to 127.0.0.1:3000` builds.
        Assert.True((bool)config["admin"]!["disabled"]!);
        Assert.False((bool)config["admin"]!["config"]!["persist"]!);
        var server = config["apps"]!["http"]!["servers"]!["proxy"]!;
        Assert.Equal(":443", (string?)server["listen"]![0]);
        var route = server["routes"]![0]!;
        Assert.Equal("ztnet.example.org", (string?)route["match"]![0]!["host"]![0]);
        Assert.Equal("reverse_proxy", (string?)route["handle"]![0]!["handler"]);
        Assert.Equal("127.0.0.1:3000", (string?)route["handle"]![0]!["upstreams"]![0]!["dial"]);
        // ACME: Caddy's default issuers, and no local CA to trust.
        Assert.Null(config["apps"]!["tls"]);
        Assert.Null(config["apps"]!["pki"]);

        var internalCa = JsonNode.Parse(CaddyConfig.Json(SettingsReader.Read(Stacks.With(("tlsMode", "internal")))))!;
        var policy = internalCa["apps"]!["tls"]!["automation"]!["policies"]![0]!;
        Assert.Equal("ztnet.example.org", (string?)policy["subjects"]![0]);
        Assert.Equal("internal", (string?)policy["issuers"]![0]!["module"]);
        // The container's trust store is thrown away at every restart: never installed into.
        Assert.False((bool)internalCa["apps"]!["pki"]!["certificate_authorities"]!["local"]!["install_trust"]!);
    }

    [Fact]
    public void The_caddy_step_writes_its_configuration_beside_the_unit_and_removes_it_on_delete()
    {
        var step = Stacks.Plan(Stacks.With(("tlsMode", "internal"))).Step("unit-caddy");

        Assert.Contains("config_file='/opt/ztnet-data/caddy_config/ztnet-infra-caddy.json'\n", step.Create.Body);
        Assert.Contains("\"install_trust\": false", step.Create.Body);
        Assert.Contains("config_file='/opt/ztnet-data/caddy_config/ztnet-infra-caddy.json'\n", step.Delete!.Body);
        Assert.Contains("if [ -n \"$config_file\" ]; then rm -f \"$config_file\"; fi", step.Delete!.Body);
        // A changed configuration alone restarts Caddy.
        Assert.Contains("if [ \"$config_changed\" -eq 1 ]; then changed=1; fi", step.Create.Body);
    }

    [Fact]
    public void A_controller_that_joins_no_network_gets_no_device_and_no_capabilities()
    {
        var controller = ExecStart(Unit(ServiceCatalogue.Zerotier.Unit));
        Assert.DoesNotContain("/dev/net/tun", controller);
        Assert.DoesNotContain("--cap-add", controller);

        var joining = ExecStart(Unit(ServiceCatalogue.Zerotier.Unit, ("zerotierJoinNetworks", "true")));
        Assert.Contains("--device /dev/net/tun", joining);
        Assert.Contains("--cap-add NET_ADMIN", joining);
        Assert.Contains("--cap-add SYS_ADMIN", joining);
    }

    [Fact]
    public void Without_auto_update_no_container_carries_the_label()
    {
        var plan = Stacks.Plan(Stacks.With(("autoUpdate", "false")));

        Assert.All(plan.Units, u => Assert.DoesNotContain("io.containers.autoupdate", u.Render()));
    }

    [Fact]
    public void One_container_restarting_does_not_stop_the_others()
    {
        // Wants= rather than Requires=: a Caddy-only change restarts Caddy alone.
        var ztnet = Unit(ServiceCatalogue.Ztnet.Unit);
        Assert.Equal(["container-postgres.service container-zerotier.service"], ztnet.Values("Unit", "Wants"));
        var caddy = Unit(ServiceCatalogue.Caddy.Unit);
        Assert.Equal(["container-ztnet.service"], caddy.Values("Unit", "Wants"));
    }

    [Fact]
    public void Unit_steps_restart_only_their_own_unit_after_an_edit()
    {
        var step = Stacks.Plan(Stacks.Minimal()).Step("unit-caddy");

        Assert.Contains("unit_name='container-caddy.service'\n", step.Create.Body);
        Assert.Contains("systemctl --user try-restart \"$unit_name\"", step.Create.Body);
        Assert.DoesNotContain(step.Create.Body.Split('\n'), l => l.StartsWith("systemctl", StringComparison.Ordinal) && l.Contains("container-ztnet.service", StringComparison.Ordinal));
        Assert.Contains(Unit(ServiceCatalogue.Caddy.Unit).Render().TrimEnd('\n'), step.Create.Body);
    }
}
