using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// Any input change re-runs a step (the SSH connection is an input of every step): a re-run
/// with the same text must leave the running stack alone. The bodies run here for real, with
/// fake `systemctl` and `podman` on PATH that record how they were called.
/// </summary>
public class RerunTests
{
    private sealed class FakeHost : IDisposable
    {
        public string Home { get; } = Tools.TempDir();
        private string Bin => Path.Combine(Home, "fakebin");
        public string CallLog => Path.Combine(Home, "calls.log");

        public FakeHost()
        {
            Directory.CreateDirectory(Bin);
            foreach (var tool in new[] { "systemctl", "podman" })
            {
                var path = Path.Combine(Bin, tool);
                // `podman secret inspect` succeeds once a secret was "created".
                File.WriteAllText(path, $$"""
                    #!/bin/sh
                    echo "{{tool}} $*" >> "{{CallLog}}"
                    if [ "$1 $2" = "secret create" ]; then for a in "$@"; do name=${last:-}; last=$a; done; cat > "{{Home}}/secret-$name"; fi
                    if [ "$1" = exec ]; then cat >> "{{Home}}/exec-stdin.log"; fi
                    if [ "$1 $2" = "secret inspect" ]; then [ -f "{{Home}}/secret-$3" ]; exit $?; fi
                    # systemctl is-active exits 3 for a unit that is not running (systemd's
                    # src/systemctl/systemctl-is-active.c, EXIT_PROGRAM_NOT_RUNNING): here when "inactive" exists.
                    if [ "$1 $2" = "--user is-active" ] && [ -e "{{Home}}/inactive" ]; then exit 3; fi
                    if [ "$1 $2" = "--user is-enabled" ]; then echo enabled; fi
                    exit 0
                    """);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        /// <summary>Where files the scripts write into the data directory (/opt/ztnet-data) land: never the real one.</summary>
        public string Data => Path.Combine(Home, "data");

        public Tools.Result Run(StepScript script, string stdin = "") =>
            Tools.Run("bash", ["-c", script.Body.Replace("config_file='/opt/ztnet-data/", $"config_file='{Data}/", StringComparison.Ordinal)], stdin: stdin, env: new Dictionary<string, string>
            {
                ["HOME"] = Home,
                ["PATH"] = Bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            });

        public string[] Calls() => File.Exists(CallLog) ? File.ReadAllLines(CallLog) : [];

        public void ClearCalls() => File.Delete(CallLog);

        public void Dispose() => Directory.Delete(Home, recursive: true);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_unit_step_run_again_with_the_same_text_restarts_nothing()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("unit-caddy");
        // As data-dirs made it: private to the service user.
        var caddyConfig = Directory.CreateDirectory(Path.Combine(host.Data, "caddy_config")).FullName;
        File.SetUnixFileMode(caddyConfig, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The unit runs (enable-units' record aside): a changed text reloads the manager and restarts it.
        var first = host.Run(step.Create);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(["systemctl --user is-active --quiet container-caddy.service", "systemctl --user daemon-reload", "systemctl --user try-restart container-caddy.service"], host.Calls());
        var written = File.ReadAllText(Path.Combine(host.Home, ".config/systemd/user/container-caddy.service"));
        Assert.Equal(Stacks.Plan(Stacks.Minimal()).Units.Single(u => u.Name == "container-caddy.service").Render(), written);

        host.ClearCalls();
        var again = host.Run(step.Create);
        Assert.Equal(0, again.ExitCode);
        Assert.Empty(host.Calls());
        Assert.Contains("unchanged", again.Output);

        host.ClearCalls();
        var edited = Stacks.Plan(Stacks.With(("caddyImage", "docker.io/library/caddy:2.10.2-alpine"))).Step("unit-caddy");
        Assert.Equal(0, host.Run(edited.Create).ExitCode);
        Assert.Equal(["systemctl --user is-active --quiet container-caddy.service", "systemctl --user daemon-reload", "systemctl --user try-restart container-caddy.service"], host.Calls());
        // No temp file left behind: the directory holds the unit and nothing else.
        Assert.Equal(["container-caddy.service"], Directory.GetFiles(Path.Combine(host.Home, ".config/systemd/user")).Select(Path.GetFileName));
        Assert.Equal(["ztnet-infra-caddy.json"], Directory.GetFiles(Path.Combine(host.Data, "caddy_config")).Select(Path.GetFileName));
        // Writing the configuration leaves the directory's mode as data-dirs set it.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(caddyConfig));

        // Only Caddy's configuration changes (the unit does not name the domain): Caddy restarts all the same.
        host.ClearCalls();
        var domain = Stacks.Plan(Stacks.With(("caddyImage", "docker.io/library/caddy:2.10.2-alpine"), ("domain", "other.example.org"))).Step("unit-caddy");
        Assert.Equal(0, host.Run(domain.Create).ExitCode);
        Assert.Equal(["systemctl --user is-active --quiet container-caddy.service", "systemctl --user daemon-reload", "systemctl --user try-restart container-caddy.service"], host.Calls());
        Assert.Contains("\"other.example.org\"", File.ReadAllText(Path.Combine(host.Data, "caddy_config", "ztnet-infra-caddy.json")));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void On_a_fresh_host_a_unit_step_only_writes_and_enable_units_loads_them_all_with_one_reload()
    {
        using var host = new FakeHost();
        var plan = Stacks.Plan(Stacks.Minimal());
        Directory.CreateDirectory(Path.Combine(host.Data, "caddy_config"));
        File.WriteAllText(Path.Combine(host.Home, "inactive"), "");

        // Nothing started yet, no record of enable-units: the file is written, the manager is not reloaded.
        var first = host.Run(plan.Step("unit-caddy").Create);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(["systemctl --user is-active --quiet container-caddy.service"], host.Calls());
        Assert.Contains("container-caddy.service written (enable-units loads and starts it)", first.Output);
        Assert.True(File.Exists(Path.Combine(host.Home, ".config/systemd/user/container-caddy.service")));

        // enable-units: `systemctl enable` links the units and then reloads the manager itself
        // (systemd src/systemctl/systemctl-enable.c, verb_enable), which loads every unit file
        // written before: one reload in all, no daemon-reload of its own; then start.
        host.ClearCalls();
        Assert.Equal(0, host.Run(plan.Step("enable-units").Create).ExitCode);
        var units = string.Join(' ', plan.Units.Select(u => u.Name));
        Assert.Equal([$"systemctl --user enable {units}", $"systemctl --user start {units}"], host.Calls().Take(2));
        Assert.DoesNotContain("systemctl --user daemon-reload", host.Calls());

        // With enable-units' record there, a changed text reloads and restarts, whatever is-active says.
        host.ClearCalls();
        var edited = Stacks.Plan(Stacks.With(("caddyImage", "docker.io/library/caddy:2.10.2-alpine"))).Step("unit-caddy");
        Assert.Equal(0, host.Run(edited.Create).ExitCode);
        Assert.Equal(["systemctl --user daemon-reload", "systemctl --user is-enabled container-caddy.service", "systemctl --user try-restart container-caddy.service"], host.Calls());
    }

    [Fact]
    public void The_secrets_step_replaces_only_when_a_secret_changed_and_restarts_nothing()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("podman-secrets");
        const string stdin = "Pg0123456789abcdefXYZ\nAuth-0123456789-0123456789-0123456789\n";

        Assert.Equal(0, host.Run(step.Create, stdin).ExitCode);
        Assert.Equal("Pg0123456789abcdefXYZ", File.ReadAllText(Path.Combine(host.Home, "secret-ztnet-postgres-password")));
        Assert.Equal("Auth-0123456789-0123456789-0123456789", File.ReadAllText(Path.Combine(host.Home, "secret-ztnet-auth-secret")));
        Assert.Contains("podman secret create ztnet-postgres-password -", host.Calls());
        Assert.DoesNotContain(host.Calls(), c => c.Contains("Pg0123456789"));

        host.ClearCalls();
        Assert.Equal(0, host.Run(step.Update!, stdin).ExitCode);
        Assert.DoesNotContain(host.Calls(), c => c.StartsWith("podman secret create") || c.StartsWith("systemctl"));

        host.ClearCalls();
        Assert.Equal(0, host.Run(step.Update!, "NewPassword0123456789\nAuth-0123456789-0123456789-0123456789\n").ExitCode);
        Assert.Contains("podman secret create --replace ztnet-postgres-password -", host.Calls());
        // ZTNet restarts only once the database accepts the new password (the database-password step).
        Assert.DoesNotContain(host.Calls(), c => c.StartsWith("systemctl"));
        Assert.DoesNotContain("NewPassword", File.ReadAllText(Path.Combine(host.Home, ".config/ztnet-infra/secrets.sha256")));
    }

    [Fact]
    public void A_rotation_puts_the_password_into_effect_before_ZTNet_restarts_and_a_first_run_restarts_nothing()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("database-password");
        // It waits for the real server, over TCP: the first-start server answers on the socket, then stops.
        Assert.Contains("pg_isready -q -h 127.0.0.1", step.Create.Body);
        const string stdin = "Pg0123456789abcdefXYZ\nAuth-0123456789-0123456789-0123456789\n";

        var first = host.Run(step.Create, stdin);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.DoesNotContain(host.Calls(), c => c.StartsWith("systemctl"));
        var sql = File.ReadAllText(Path.Combine(host.Home, "exec-stdin.log"));
        Assert.Contains("SET log_statement = none;", sql);
        Assert.Contains("SET log_min_error_statement = panic;", sql);
        Assert.True(sql.IndexOf("log_min_error_statement", StringComparison.Ordinal) < sql.IndexOf("ALTER ROLE ztnet WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD 'Pg0123456789abcdefXYZ';", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Calls(), c => c.Contains("Pg0123456789"));

        host.ClearCalls();
        Assert.Equal(0, host.Run(step.Create, stdin).ExitCode);
        Assert.DoesNotContain(host.Calls(), c => c.StartsWith("systemctl"));

        host.ClearCalls();
        Assert.Equal(0, host.Run(step.Create, "NewPassword0123456789\nAuth-0123456789-0123456789-0123456789\n").ExitCode);
        var calls = host.Calls().ToList();
        var alter = calls.FindLastIndex(c => c.StartsWith("podman exec -i postgres psql", StringComparison.Ordinal));
        var restart = calls.IndexOf("systemctl --user try-restart container-ztnet.service");
        Assert.True(alter >= 0 && restart > alter, string.Join("\n", calls));
    }

    [Fact]
    public void ZTNet_gets_an_ordinary_role_that_owns_schema_public_and_the_superuser_keeps_no_password()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("database-password");

        var r = host.Run(step.Create, "Pg0123456789abcdefXYZ\nAuth-0123456789-0123456789-0123456789\n");

        Assert.True(r.ExitCode == 0, r.Output);
        // As the superuser over the container's socket: role statements in the maintenance
        // database, the hand-over in ztnet's; ZTNet's login (and password) last, so ZTNet, waiting
        // for its login, never finds the role before its schema and what an older ZTNet made are
        // its own (PostgresPrivilegeTests runs this against a real server).
        var psql = host.Calls().Where(c => c.StartsWith("podman exec -i postgres psql", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "podman exec -i postgres psql -q -X -v ON_ERROR_STOP=1 -v VERBOSITY=terse -U postgres -d postgres",
            "podman exec -i postgres psql -q -X -v ON_ERROR_STOP=1 -v VERBOSITY=terse -U postgres -d ztnet",
            "podman exec -i postgres psql -q -X -v ON_ERROR_STOP=1 -v VERBOSITY=terse -U postgres -d postgres",
        ], psql);
        var sql = File.ReadAllText(Path.Combine(host.Home, "exec-stdin.log"));
        string[] order =
        [
            "SET search_path = pg_catalog, pg_temp;",
            "SET log_min_error_statement = panic;",
            "FROM pg_catalog.pg_db_role_setting s",
            "CREATE ROLE ztnet NOLOGIN;",
            // Only while schema public is not ZTNet's yet: later objects of an administrator stay theirs.
            "IF (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public') = 'ztnet'::pg_catalog.regrole THEN RETURN; END IF;",
            "OWNER TO ztnet', r.name)",
            "'ALTER TYPE %s OWNER TO ztnet'",
            "ALTER SCHEMA public OWNER TO ztnet;",
            "ALTER DATABASE ztnet OWNER TO postgres;",
            "GRANT CONNECT, TEMPORARY, CREATE ON DATABASE ztnet TO ztnet;",
            "ALTER ROLE ztnet WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD 'Pg0123456789abcdefXYZ';",
            "ALTER ROLE postgres WITH PASSWORD NULL;",
        ];
        var at = order.Select(x => sql.IndexOf(x, StringComparison.Ordinal)).ToList();
        Assert.All(at, i => Assert.True(i >= 0, sql));
        Assert.Equal(at.Order(), at);
        // Only ZTNet's schema, never an extension's members (pgcrypto's functions).
        Assert.Contains("n.nspname = 'public'", sql);
        Assert.Contains("d.deptype = 'e'", sql);
        Assert.Contains("ztnet-infra: database password in effect; ZTNet logs in as ztnet, owner of schema public", r.Output);
    }

    [Fact]
    public void The_secrets_step_refuses_a_password_that_would_break_the_database_url_without_echoing_it()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("podman-secrets");

        var r = host.Run(step.Create, "p@ss:word/0123456789\nAuth-0123456789-0123456789-0123456789\n");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:postgresPassword must hold letters and digits only", r.Output);
        Assert.DoesNotContain("p@ss", r.Output);
        Assert.Empty(host.Calls());
    }
}
