using System.Diagnostics;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;
using ZtnetInfra.HostTests.Executor;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// What the real images would do to a deployment, shown on the VM with stand-ins that keep their
/// contracts: the database enforces its password, image changes are safe, a rotation is checked,
/// and the health gate sees a broken controller. Between the Caddy change (6) and the reboot (20).
/// </summary>
public sealed partial class StackOnTestHostTests
{
    private static readonly TimeSpan GateTimeout = TimeSpan.FromMinutes(15);

    /// <summary>A TCP login from inside the pod (the containers share one network namespace) without a password.</summary>
    private static string NoPasswordLogin(string role) => $"podman exec postgres psql -X -w -h 127.0.0.1 -U {role} -d ztnet -Atc 'SELECT 1'";

    /// <summary>As the superuser over the PostgreSQL container's socket (the official image trusts it).</summary>
    private static string AdminQuery(string sql) => $"podman exec postgres psql -X -tA -U postgres -d ztnet -c {Sh.Quote(sql)}";

    [Fact, Scenario(9)]
    public void The_database_refuses_a_TCP_login_without_the_password_from_inside_the_pod_and_ZTNet_is_no_superuser()
    {
        host.EnsureApplied();

        foreach (var role in new[] { ServiceCatalogue.DatabaseUser, ServiceCatalogue.DatabaseSuperuser })
        {
            var none = host.Guest.AsServiceUser(NoPasswordLogin(role));
            Assert.NotEqual(0, none.ExitCode);
            Assert.Matches("no password supplied|password authentication failed", none.Stderr);
        }
        var pg = host.Guest.AsServiceUserOk("podman exec --user postgres postgres sh -c 'grep -E \"^[[:space:]]*host\" \"$PGDATA/pg_hba.conf\"'");
        Assert.DoesNotContain("trust", pg);
        // ZTNet migrated as its own ordinary role: it owns schema public and every table in it.
        Assert.Equal("f", host.Guest.AsServiceUserOk(AdminQuery("SELECT rolsuper FROM pg_roles WHERE rolname = 'ztnet'")).Trim());
        // ZTNet's role owns schema public, not the database: it cannot set per-database settings the superuser's sessions would inherit.
        Assert.Equal("postgres", host.Guest.AsServiceUserOk(AdminQuery("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ztnet'")).Trim());
        Assert.Equal("ztnet", host.Guest.AsServiceUserOk(AdminQuery("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")).Trim());
        Assert.Equal("ztnet", host.Guest.AsServiceUserOk(AdminQuery("SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")).Trim());
        // The superuser has no password: the one ZTNet holds does not open it over TCP.
        var super = host.Guest.AsServiceUser(
            "podman exec postgres sh -c 'PGPASSWORD=$(cat /run/secrets/ztnet-postgres-password) exec psql -X -w -h 127.0.0.1 -U postgres -d ztnet -Atc \"SELECT 1\"'");
        Assert.NotEqual(0, super.ExitCode);
        Assert.Contains("password authentication failed", super.Stderr, StringComparison.Ordinal);
    }

    [Fact, Scenario(10)]
    public async Task A_pull_of_a_missing_tag_fails_the_images_step_and_the_old_Caddy_still_answers()
    {
        host.EnsureApplied();
        var before = host.Containers();
        var current = host.Stack.Settings.CaddyImage;
        host.Stack.Set(SettingKeys.CaddyImage, "docker.io/library/caddy:0.0.0-missing");
        try
        {
            var e = Assert.Throws<StepFailedException>(() => host.Stack.Apply());
            Assert.Equal("images", e.Record.Step);
            Assert.Contains("cannot pull docker.io/library/caddy:0.0.0-missing", e.Record.Result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(host.Stack.Executor.Records, r => r.Step == "unit-caddy" && r.Command.Contains("0.0.0-missing", StringComparison.Ordinal));
            Assert.Equal(before["caddy"], host.Containers()["caddy"]);
            Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        }
        finally
        {
            host.Stack.Set(SettingKeys.CaddyImage, current);
        }
        // The failed update left the stored state as it was: back at the old value, nothing runs.
        Assert.Empty(host.Stack.Apply());
    }

    [Fact, Scenario(11)]
    public async Task A_secret_rotation_runs_the_gate_and_ZTNet_answers_afterwards()
    {
        host.EnsureApplied();
        var before = host.Containers();
        host.Stack.RotateSecrets();

        var run = host.Stack.Apply();

        var steps = run.Select(r => r.Step).ToList();
        output.WriteLine("rotation ran: " + string.Join(", ", steps));
        Assert.Equal(["database-password", "health-gate", "podman-secrets"], steps.Order(StringComparer.Ordinal));
        Assert.True(steps.IndexOf("database-password") < steps.IndexOf("health-gate"));
        Assert.Contains("ZTNet restarted with the new secrets", run.Single(r => r.Step == "database-password").Result.Stdout, StringComparison.Ordinal);
        var after = host.Containers();
        Assert.NotEqual(before["ztnet"], after["ztnet"]);
        Assert.Equal(before["postgres"], after["postgres"]);
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
    }

    [Fact, Scenario(12), Trait(ScenarioSuite.Trait, ScenarioSuite.Extended)]
    public void The_gate_fails_naming_the_controller_when_ZeroTier_is_stopped()
    {
        host.EnsureApplied();
        var gate = host.Stack.PlanWith(SettingKeys.HealthTimeoutSeconds, "60");
        host.Guest.UserSystemctl($"stop {ServiceCatalogue.Zerotier.Unit}");
        try
        {
            var r = host.Stack.RunStep(gate, "health-gate", GateTimeout);
            output.WriteLine(r.Stderr);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("failed check: the ZeroTier controller does not answer", r.Stderr, StringComparison.Ordinal);
            Assert.Contains($"{ServiceCatalogue.Zerotier.Unit}: inactive", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            host.Guest.UserSystemctl($"start {ServiceCatalogue.Zerotier.Unit}");
        }
        var again = host.Stack.RunStep(host.Stack.Plan, "health-gate", GateTimeout);
        Assert.True(again.ExitCode == 0, again.Stderr);
    }

    [Fact, Scenario(13), Trait(ScenarioSuite.Trait, ScenarioSuite.Extended)]
    public void The_gate_fails_when_ZTNet_started_before_ZeroTier_wrote_its_token()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;
        var gate = host.Stack.PlanWith(SettingKeys.HealthTimeoutSeconds, "60");
        // ZTNet reads the token once, at start (sinamics/ztnet src/utils/ztApi.ts). Its unit waits
        // for a token before a start, so the case left is a token ZeroTier writes anew while ZTNet
        // runs (its file lost, say): ZTNet keeps the old one.
        host.Guest.UserSystemctl($"stop {ServiceCatalogue.Zerotier.Unit}");
        host.Guest.RootOk($"rm -f {ServiceCatalogue.DataPath(s, "zerotier")}/authtoken.secret");
        host.Guest.UserSystemctl($"start {ServiceCatalogue.Zerotier.Unit}");
        Assert.Equal("active", host.Guest.UserSystemctl($"is-active {ServiceCatalogue.Ztnet.Unit}").Stdout.Trim());

        var r = host.Stack.RunStep(gate, "health-gate", GateTimeout);
        output.WriteLine(r.Stderr);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ZTNet started before ZeroTier wrote its current token", r.Stderr, StringComparison.Ordinal);

        // The way out the message names: restart ZTNet.
        host.Guest.UserSystemctl($"restart {ServiceCatalogue.Ztnet.Unit}");
        var again = host.Stack.RunStep(host.Stack.Plan, "health-gate", GateTimeout);
        Assert.True(again.ExitCode == 0, again.Stderr);
    }

    [Fact, Scenario(14)]
    public void A_PostgreSQL_image_change_leaves_a_dump_in_the_backups_that_restores_into_a_fresh_database()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;
        host.Guest.AsServiceUserOk("podman exec -i postgres psql -q -v ON_ERROR_STOP=1 -U postgres -d ztnet",
            "CREATE TABLE IF NOT EXISTS testhost_backup (note text);\nINSERT INTO testhost_backup VALUES ('before the image change');\n");
        host.Stack.Set(SettingKeys.PostgresImage, TestHostFixture.SecondPostgresImage);

        var run = host.Stack.Apply();

        output.WriteLine("postgres image change ran: " + string.Join(", ", run.Select(r => r.Step)));
        Assert.Contains("database dumped to", run.Single(r => r.Step == "unit-postgres").Result.Stdout, StringComparison.Ordinal);
        var backups = ServiceCatalogue.DataPath(s, ServiceCatalogue.BackupsDirectory);
        var dump = host.Guest.RootOk($"ls -1 {backups}/ztnet-*.dump | tail -n 1").Trim();
        Assert.StartsWith(backups + "/ztnet-", dump, StringComparison.Ordinal);
        Assert.Equal(TestHostFixture.SecondPostgresImage, host.Guest.AsServiceUserOk("podman inspect --format '{{.ImageName}}' postgres").Trim());

        // The README's restore command, into a fresh database.
        host.Guest.AsServiceUserOk("podman exec postgres createdb -U postgres restore_check");
        host.Guest.RootOk($"cat {dump} | runuser -u {s.ServiceUser} -- env -C / XDG_RUNTIME_DIR=/run/user/$(id -u {s.ServiceUser}) "
                          + "podman exec -i postgres pg_restore -U postgres -d restore_check --no-owner");
        var note = host.Guest.AsServiceUserOk("podman exec postgres psql -tA -U postgres -d restore_check -c 'SELECT note FROM testhost_backup'");
        Assert.Equal("before the image change", note.Trim());
        host.Guest.AsServiceUserOk("podman exec postgres dropdb -U postgres restore_check");
    }
}
