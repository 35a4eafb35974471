using System.Net;
using System.Net.Sockets;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The database-password step's real body against a real PostgreSQL 15 (Debian's server, started
/// here in a temp directory as nobody, socket in that directory, TCP on 127.0.0.1 at a free port).
/// A stand-in <c>podman</c> maps <c>podman exec [-i] [--user postgres] postgres CMD...</c> onto CMD
/// run as the server's user against this server; <c>sh</c>, <c>grep</c> and <c>sed</c> inside it
/// are busybox's, as in the Alpine image. pg_hba.conf is initdb's without -A plus the line the
/// image's entrypoint appends (facts.md section 5): every TCP login from 127.0.0.1 is trusted.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    public const string Password = "Pg0123456789abcdefXYZ";
    public const string NewPassword = "NewPg0123456789abcdefXYZ";
    public const string Auth = "Auth-0123456789-0123456789-0123456789";

    public static bool Available => File.Exists(Path.Combine(PgBin, "postgres")) && File.Exists("/usr/bin/busybox") && Environment.UserName == "root";

    public string Dir { get; } = Tools.TempDir();
    public string Data => Path.Combine(Dir, "data");
    public int Port { get; }
    public FakeBin Host { get; } = new();

    public PostgresServer(bool commentedTrust = false)
    {
        Port = FreePort();
        Tools.Run("chown", ["nobody", Dir]);
        Ok(AsServer([Path.Combine(PgBin, "initdb"), "-D", Data, "-U", "postgres", "--no-sync"]));
        var hba = Path.Combine(Data, "pg_hba.conf");
        var text = File.ReadAllText(hba) + "host all all all scram-sha-256\n";
        if (commentedTrust)
            text = text.Replace("127.0.0.1/32            trust\n", "127.0.0.1/32            trust # loopback, as initdb left it\n", StringComparison.Ordinal)
                       .Replace("::1/128                 trust\n", "::1/128                 trust#no space\n", StringComparison.Ordinal);
        File.WriteAllText(hba, text);
        Ok(AsServer([Path.Combine(PgBin, "pg_ctl"), "-D", Data, "-w", "-l", Path.Combine(Dir, "log"),
            "-o", $"-k {Dir} -c listen_addresses=127.0.0.1 -p {Port} -c fsync=off", "start"]));
        Super("postgres", "CREATE DATABASE ztnet");

        // The container's tools, busybox's where the Alpine image has busybox.
        var bb = Path.Combine(Dir, "busybox");
        Directory.CreateDirectory(bb);
        foreach (var t in new[] { "sh", "grep", "sed" }) File.CreateSymbolicLink(Path.Combine(bb, t), "/usr/bin/busybox");
        Host.Tool("podman", $$"""
            [ "$1" = exec ] || exit 0
            shift
            while [ $# -gt 0 ]; do
              case "$1" in -i) shift ;; --user) shift 2 ;; postgres) shift; break ;; *) echo "stand-in podman: unexpected $1" >&2; exit 99 ;; esac
            done
            export PGHOST='{{Dir}}' PGPORT='{{Port}}' PGDATA='{{Data}}' PATH='{{bb}}:{{PgBin}}:/usr/bin:/bin'
            exec /usr/sbin/runuser -u nobody -- "$@"
            """);
        Host.Tool("systemctl", $"echo \"systemctl $*\" >> '{Host.Home}/systemctl.log'");
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private Tools.Result AsServer(string[] command, string? stdin = null, IDictionary<string, string>? env = null) =>
        Tools.Run("/usr/sbin/runuser", ["-u", "nobody", "--", .. command], stdin, env, workDir: Dir);

    private static Tools.Result Ok(Tools.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Output);
        return r;
    }

    /// <summary>SQL as the superuser over the socket (the test's own, trusted session).</summary>
    public string Super(string db, string sql) =>
        Ok(AsServer([Path.Combine(PgBin, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", Dir, "-p", Port.ToString(), "-U", "postgres", "-d", db],
            "SET search_path = pg_catalog, pg_temp;\n" + sql + ";\n")).Output.Trim();

    /// <summary>SQL as ztnet over TCP with a password (PGPASSWORD in the environment, never argv).</summary>
    public Tools.Result AsZtnet(string password, string sql, string user = "ztnet") =>
        AsServer([Path.Combine(PgBin, "psql"), "-X", "-q", "-At", "-w", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Port.ToString(), "-U", user, "-d", "ztnet"],
            sql + ";\n", new Dictionary<string, string> { ["PGPASSWORD"] = password });

    public Tools.Result Step(string password = Password) =>
        Host.Run(Stacks.Plan(Stacks.Minimal()).Step("database-password").Create, $"{password}\n{Auth}\n");

    public bool ZtnetIsSuperuser() => Super("postgres", "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'ztnet'") == "t";

    public void Dispose()
    {
        AsServer([Path.Combine(PgBin, "pg_ctl"), "-D", Data, "-m", "immediate", "-w", "stop"]);
        Host.Dispose();
        Directory.Delete(Dir, recursive: true);
    }
}

/// <summary>
/// Issue 16, part 2: ZTNet's role (whose password an internet-facing app holds) cannot make the
/// superuser's session act for it, and gets what ZTNet 0.8.2's migrations need: schema public and
/// CREATE on its database (for the trusted extension pgcrypto), not the database itself.
/// </summary>
[Collection("postgres")]
public class PostgresPrivilegeTests
{
    // The other real-tool tests here (shellcheck, systemd-analyze) also require their tool; so do these.
    private static void RequireServer() => Assert.True(PostgresServer.Available, "needs Debian's PostgreSQL 15 server (postgresql-15), busybox, and root (the server runs as nobody)");

    private static void AssertOk(Tools.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.DoesNotContain(PostgresServer.Password, r.Output);
        Assert.DoesNotContain(PostgresServer.NewPassword, r.Output);
    }

    /// <summary>A first run, then ztnet (as ZTNet) plants something; then a rotation runs.</summary>
    private static (PostgresServer pg, Tools.Result rotation) Planted(string sql)
    {
        var pg = new PostgresServer();
        try
        {
            AssertOk(pg.Step());
            Assert.Equal(0, pg.AsZtnet(PostgresServer.Password, "SELECT 1").ExitCode);
            var planted = pg.AsZtnet(PostgresServer.Password, sql);
            Assert.True(planted.ExitCode == 0, planted.Output);
            return (pg, pg.Step(PostgresServer.NewPassword));
        }
        catch
        {
            pg.Dispose();
            throw;
        }
    }

    private static void AssertRotated(PostgresServer pg)
    {
        Assert.Equal("1", pg.AsZtnet(PostgresServer.NewPassword, "SELECT 1").Output.Trim());
        Assert.NotEqual(0, pg.AsZtnet(PostgresServer.Password, "SELECT 1").ExitCode);
    }

    [Fact]
    public void A_fresh_database_gives_ztnet_what_its_migrations_need_and_leaves_the_superuser_without_a_password()
    {
        RequireServer();
        using var pg = new PostgresServer();
        // Even a server that logs every statement never logs the password.
        pg.Super("postgres", "ALTER SYSTEM SET log_statement = 'all'; SELECT pg_catalog.pg_reload_conf()");
        var r = pg.Step();
        AssertOk(r);
        Assert.Contains("TCP logins to PostgreSQL now need the password", r.Output);

        // What prisma migrate deploy does in public (ZTNet 0.8.2's migrations).
        var migrate = pg.AsZtnet(PostgresServer.Password,
            "CREATE TYPE \"Role\" AS ENUM ('ADMIN', 'USER'); CREATE SEQUENCE s; "
            + "CREATE TABLE \"User\" (id serial PRIMARY KEY, role \"Role\" NOT NULL DEFAULT 'USER'); CREATE INDEX ON \"User\"(role); "
            + "CREATE TABLE _prisma_migrations (id text PRIMARY KEY); ALTER TABLE \"User\" ADD COLUMN n int; "
            + "SELECT pg_catalog.count(*) FROM \"User\"");
        Assert.True(migrate.ExitCode == 0, migrate.Output);
        if (File.Exists("/usr/share/postgresql/15/extension/pgcrypto.control"))
        {
            var ext = pg.AsZtnet(PostgresServer.Password, "CREATE EXTENSION IF NOT EXISTS pgcrypto; SELECT pg_catalog.length(public.gen_random_uuid()::text)");
            Assert.True(ext.ExitCode == 0, ext.Output);
            Assert.Equal("36", ext.Output.Trim());
        }

        // Schema public is ZTNet's; the database, its settings and its name stay the superuser's.
        Assert.Equal("ztnet", pg.Super("ztnet", "SELECT nspowner::pg_catalog.regrole FROM pg_catalog.pg_namespace WHERE nspname = 'public'"));
        Assert.Equal("postgres", pg.Super("postgres", "SELECT datdba::pg_catalog.regrole FROM pg_catalog.pg_database WHERE datname = 'ztnet'"));
        var alter = pg.AsZtnet(PostgresServer.Password, "ALTER DATABASE ztnet SET search_path = public, pg_catalog");
        Assert.NotEqual(0, alter.ExitCode);
        Assert.Contains("must be owner of database", alter.Output);
        Assert.False(pg.ZtnetIsSuperuser());
        Assert.Equal("t", pg.Super("postgres", "SELECT rolpassword IS NULL FROM pg_catalog.pg_authid WHERE rolname = 'postgres'"));
        Assert.NotEqual(0, pg.AsZtnet(PostgresServer.Password, "SELECT 1", user: "postgres").ExitCode);
        // Without the password a TCP login is refused (trust lines gone).
        Assert.NotEqual(0, pg.AsZtnet("", "SELECT 1").ExitCode);

        // A re-run (the same password) changes nothing and restarts nothing; a rotation takes effect.
        AssertOk(pg.Step());
        Assert.False(File.Exists(Path.Combine(pg.Host.Home, "systemctl.log")));
        AssertOk(pg.Step(PostgresServer.NewPassword));
        AssertRotated(pg);
        Assert.Contains("try-restart container-ztnet.service", File.ReadAllText(Path.Combine(pg.Host.Home, "systemctl.log")));
        var log = File.ReadAllText(Path.Combine(pg.Dir, "log"));
        Assert.Contains("CREATE TYPE \"Role\"", log); // ZTNet's statements are logged: logging was on
        Assert.DoesNotContain(PostgresServer.Password, log);
        Assert.DoesNotContain(PostgresServer.NewPassword, log);
    }

    [Fact]
    public void A_function_named_like_one_the_superuser_calls_is_never_called()
    {
        RequireServer();
        // (a) Escalation: functions in public, ZTNet's schema, named as the catalog's, that make
        // ztnet a superuser when a superuser calls them.
        const string trap = """
            CREATE FUNCTION public.{0} RETURNS {1} LANGUAGE plpgsql AS $f$ BEGIN
              IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN EXECUTE 'ALTER ROLE ztnet SUPERUSER'; END IF;
              RETURN {2}; END $f$
            """;
        var sql = string.Join(";\n", new[]
        {
            string.Format(trap, "current_database()", "name", "pg_catalog.current_database()"),
            string.Format(trap, "format(text, text)", "text", "''"),
            string.Format(trap, "quote_ident(text)", "text", "''"),
            string.Format(trap, "split_part(text, text, integer)", "text", "''"),
            string.Format(trap, "pg_reload_conf()", "boolean", "true"),
        });
        var (pg, rotation) = Planted(sql);
        using (pg)
        {
            AssertOk(rotation);
            Assert.False(pg.ZtnetIsSuperuser());
            AssertRotated(pg);
        }
    }

    [Fact]
    public void A_pg_roles_view_of_ztnets_making_fools_neither_the_step_nor_the_gate()
    {
        RequireServer();
        // (b) A view public.pg_roles whose rolsuper is always false (and tables named as catalogs).
        var (pg, rotation) = Planted(
            "CREATE VIEW public.pg_roles AS SELECT rolname, false AS rolsuper, oid FROM pg_catalog.pg_roles; "
            + "CREATE VIEW public.pg_database AS SELECT datname, (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = 'ztnet') AS datdba, oid FROM pg_catalog.pg_database; "
            + "CREATE VIEW public.pg_namespace AS SELECT nspname, 10::oid AS nspowner, oid FROM pg_catalog.pg_namespace");
        using (pg)
        {
            AssertOk(rotation);
            Assert.False(pg.ZtnetIsSuperuser());
            AssertRotated(pg);
            // The gate's PostgreSQL round, its own text run through the stand-in podman: rolsuper read
            // by the superuser over the socket, in database postgres, catalog names qualified; ZTNet's
            // role logs in with its password only; the superuser not at all over TCP.
            var round = GateRound(pg, PostgresServer.NewPassword);
            Assert.Equal("0 f", round["super"]);
            Assert.Equal("0 1", round["login"]);
            Assert.NotEqual("0", round["nopass"].Split(' ')[0]);
            Assert.NotEqual("0", round["supertcp"].Split(' ')[0]);
            Assert.NotEqual("0", GateRound(pg, PostgresServer.Password)["login"].Split(' ')[0]);
            // If ztnet were a superuser, its own session (with a search_path it chose: pg_catalog is
            // searched first unless placed later) would still read f; the gate's reads t.
            pg.Super("postgres", "ALTER ROLE ztnet SUPERUSER");
            Assert.Equal("f", pg.AsZtnet(PostgresServer.NewPassword, "SET search_path = public, pg_catalog; SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Output.Trim());
            Assert.True(pg.ZtnetIsSuperuser());
            Assert.Equal("0 t", GateRound(pg, PostgresServer.NewPassword)["super"]);
        }
    }

    [Theory]
    [InlineData("ALTER DATABASE ztnet SET search_path = public, pg_catalog", "ALTER DATABASE ztnet SET search_path")]
    [InlineData("ALTER DATABASE ztnet SET default_transaction_read_only = on", "ALTER DATABASE ztnet SET default_transaction_read_only")]
    [InlineData("ALTER ROLE ztnet SET search_path = public", "ALTER ROLE ztnet SET search_path")]
    [InlineData("ALTER ROLE ztnet IN DATABASE ztnet SET default_transaction_read_only = on", "ALTER ROLE ztnet IN DATABASE ztnet SET default_transaction_read_only")]
    public void Settings_the_stack_did_not_make_are_refused_by_name_and_nothing_changes(string setting, string named)
    {
        RequireServer();
        // (c) and the read-only trap. A database owned by ztnet (the previous layout: ZTNet's role
        // owned the database) lets ztnet set ALTER DATABASE settings; the refusal names them.
        using var pg = new PostgresServer();
        AssertOk(pg.Step());
        pg.Super("postgres", "ALTER DATABASE ztnet OWNER TO ztnet");
        var planted = pg.AsZtnet(PostgresServer.Password,
            "CREATE FUNCTION public.current_database() RETURNS name LANGUAGE plpgsql AS $f$ BEGIN "
            + "IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN EXECUTE 'ALTER ROLE ztnet SUPERUSER'; END IF; "
            + "RETURN pg_catalog.current_database(); END $f$; " + setting);
        Assert.True(planted.ExitCode == 0, planted.Output);

        var r = pg.Step(PostgresServer.NewPassword);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("refusing to go on", r.Output);
        Assert.Contains(named, r.Output);
        Assert.Contains("RESET", r.Output);
        Assert.DoesNotContain(PostgresServer.NewPassword, r.Output);
        Assert.DoesNotContain(PostgresServer.Password, r.Output);
        Assert.False(pg.ZtnetIsSuperuser());
        // Nothing happened: the old password still works (the refusal says so loudly, not silently).
        Assert.Equal(0, pg.AsZtnet(PostgresServer.Password, "SELECT 1").ExitCode);

        // Once the administrator removes them, the next run rotates and takes the database back.
        pg.Super("postgres", "ALTER DATABASE ztnet RESET ALL; ALTER ROLE ztnet RESET ALL; ALTER ROLE ztnet IN DATABASE ztnet RESET ALL");
        AssertOk(pg.Step(PostgresServer.NewPassword));
        Assert.False(pg.ZtnetIsSuperuser());
        AssertRotated(pg);
        Assert.Equal("postgres", pg.Super("postgres", "SELECT datdba::pg_catalog.regrole FROM pg_catalog.pg_database WHERE datname = 'ztnet'"));
        Assert.Equal("ztnet", pg.Super("ztnet", "SELECT nspowner::pg_catalog.regrole FROM pg_catalog.pg_namespace WHERE nspname = 'public'"));
    }

    [Fact]
    public void An_older_deployment_is_converted_once_and_later_objects_of_the_superuser_stay_its_own()
    {
        RequireServer();
        using var pg = new PostgresServer();
        // As an older stack's ZTNet left it: it ran as postgres, so the database and all its objects are postgres's.
        pg.Super("ztnet", "CREATE EXTENSION pgcrypto SCHEMA public; CREATE TYPE public.\"Role\" AS ENUM ('ADMIN'); "
            + "CREATE TABLE public.\"User\" (id serial PRIMARY KEY, role public.\"Role\"); INSERT INTO public.\"User\" (role) VALUES ('ADMIN')");
        AssertOk(pg.Step());
        Assert.Equal("ztnet", pg.Super("ztnet", "SELECT string_agg(DISTINCT relowner::pg_catalog.regrole::text, ',') FROM pg_catalog.pg_class WHERE relnamespace = 'public'::pg_catalog.regnamespace AND relkind IN ('r', 'S', 'i')"));
        Assert.Equal("ztnet", pg.Super("ztnet", "SELECT typowner::pg_catalog.regrole FROM pg_catalog.pg_type WHERE typname = 'Role'"));
        // Extension members stay the extension's.
        Assert.Equal("postgres", pg.Super("ztnet", "SELECT proowner::pg_catalog.regrole FROM pg_catalog.pg_proc WHERE proname = 'gen_random_uuid' AND pronamespace = 'public'::pg_catalog.regnamespace"));
        Assert.Equal("1", pg.AsZtnet(PostgresServer.Password, "UPDATE \"User\" SET role = 'ADMIN' RETURNING id").Output.Trim());

        // Later, an administrator's own table as postgres: no further run hands it over.
        pg.Super("ztnet", "CREATE TABLE public.admin_notes (t text)");
        AssertOk(pg.Step(PostgresServer.NewPassword));
        Assert.Equal("postgres", pg.Super("ztnet", "SELECT relowner::pg_catalog.regrole FROM pg_catalog.pg_class WHERE relname = 'admin_notes'"));
    }

    [Fact]
    public void Trust_lines_with_a_trailing_comment_become_scram_with_busybox_sed_and_grep()
    {
        RequireServer();
        using var pg = new PostgresServer(commentedTrust: true);
        // The stand-in container's sh, sed and grep are busybox's, as in the Alpine image.
        var tools = Tools.Run("bash", ["-c", "podman exec --user postgres postgres sh -c 'readlink /proc/$$/exe; for t in sed grep; do readlink -f \"$(command -v $t)\"; done'"],
            env: new Dictionary<string, string> { ["PATH"] = pg.Host.Bin + ":" + Environment.GetEnvironmentVariable("PATH") });
        Assert.Equal(["/usr/bin/busybox", "/usr/bin/busybox", "/usr/bin/busybox"], tools.Output.Trim().Split('\n'));
        AssertOk(pg.Step());
        var hba = File.ReadAllLines(Path.Combine(pg.Data, "pg_hba.conf")).Where(l => l.StartsWith("host", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(hba, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"\strust(\s|#|$)"));
        Assert.Contains(hba, l => l.EndsWith("127.0.0.1/32            scram-sha-256 # loopback, as initdb left it", StringComparison.Ordinal));
        Assert.Contains(hba, l => l.EndsWith("::1/128                 scram-sha-256#no space", StringComparison.Ordinal));
        // Local (socket) lines stay as they were: the superuser reaches the server only that way.
        Assert.Contains(File.ReadAllLines(Path.Combine(pg.Data, "pg_hba.conf")), l => l.StartsWith("local", StringComparison.Ordinal) && l.EndsWith("trust", StringComparison.Ordinal));
        Assert.NotEqual(0, pg.AsZtnet("", "SELECT 1").ExitCode);
        Assert.Equal(0, pg.AsZtnet(PostgresServer.Password, "SELECT 1").ExitCode);
    }

    /// <summary>
    /// The gate's PostgreSQL round (its pg_round_sh, the gate's own text), a full one, run as the
    /// gate runs it: through the stand-in podman, by busybox sh, with the password on stdin.
    /// Returns each check's line: NAME → "STATUS OUTPUT".
    /// </summary>
    private static Dictionary<string, string> GateRound(PostgresServer pg, string password)
    {
        var lines = ZtnetInfra.Core.Shell.ScriptSource.Get("health-gate.create.sh").Code.Split('\n');
        var first = Array.FindIndex(lines, l => l.StartsWith("pg_round_sh='", StringComparison.Ordinal));
        Assert.True(first >= 0, "the gate has no PostgreSQL round");
        var last = Array.FindIndex(lines, first, l => l == "fi'");
        var assignment = string.Join("\n", lines[first..(last + 1)]);
        Assert.Contains("pg_catalog.pg_roles", assignment);
        Assert.Contains("-d postgres", assignment);
        var script = "set -euo pipefail\n" + assignment
            + "\nprintf '%s\\n' \"$1\" | podman exec -i postgres sh -c \"$pg_round_sh\" sh ztnet postgres ztnet full\n";
        var r = Tools.Run("bash", ["-c", script, "gate", password], env: new Dictionary<string, string> { ["PATH"] = pg.Host.Bin + ":" + Environment.GetEnvironmentVariable("PATH") });
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.DoesNotContain(password, r.Output);
        return r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ', 2)[0], l => l.Split(' ', 2)[1].TrimEnd());
    }
}
