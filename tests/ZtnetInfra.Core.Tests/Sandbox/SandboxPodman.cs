using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// The stand-in podman of the backup and restore sandbox tests, and the controller's files as
/// ZeroTier leaves them. podman, run as the service user:
/// - `unshare CMD`: CMD in the user's namespace (here: no namespace; the files are the user's own).
/// - `exec [-i] [--user U] postgres pg_isready|sh`: the server answers; pg_hba.conf has no trust
///   line to replace (sh prints nothing).
/// - `exec postgres pg_dump ... --format=custom`: a custom-format archive starts with the magic
///   "PGDMP" (postgres src/bin/pg_dump/pg_backup_archiver.c, WriteHead); fails as pg_dump does when
///   the flag file fail-dump exists. With the flag change-once, the controller writes a member
///   file while the dump runs (ZeroTierOne controller/FileDB.cpp saves a member on change).
/// - `exec -i postgres pg_restore --list`: succeeds only on such an archive on stdin.
/// - `exec -i postgres pg_restore ARGS` (a load): stdin saved as restore.N, ARGS as restore.N.args;
///   with the flag fail-load it exits 1, as pg_restore does after an error
///   (src/bin/pg_dump/pg_restore.c: exit_nicely(1)).
/// - `exec -i postgres psql ARGS`: stdin saved as sql.N, ARGS as sql.N.args; with fail-load a
///   session of -U ztnet exits 3, psql's exit after an error under ON_ERROR_STOP
///   (src/bin/psql/settings.h, EXIT_USER).
/// - `container inspect --format {{.ImageName}}|{{.Image}}|{{.State.Running}} NAME`: from
///   containers/NAME (two lines), exit 125 "no such container" otherwise (podman's exit code for
///   its own errors).
/// </summary>
public static class SandboxPodman
{
    public const string Member = "1122334455";

    public static string Script(string area, string controllerDir, string network) => $$$"""
        area={{{Sh.Quote(area)}}}
        n=$(date +%s%N)
        case "$1" in
          unshare) shift; exec "$@" ;;
          exec)
            shift; [ "$1" = -i ] && shift; [ "$1" = --user ] && shift 2; shift
            case "$1" in
              pg_isready|sh) exit 0 ;;
              pg_dump)
                if [ -e "$area/fail-dump" ]; then echo 'pg_dump: error: connection to server on socket failed' >&2; exit 1; fi
                if [ -e "$area/change-once" ]; then rm -f "$area/change-once"; printf '{"id":"changed"}' > {{{controllerDir}}}/controller.d/network/{{{network}}}/member/{{{Member}}}.json; fi
                printf 'PGDMP fake custom archive: %s\n' "$*"; exit 0 ;;
              pg_restore)
                if [ "$2" = --list ]; then [ "$(head -c 5)" = PGDMP ]; exit $?; fi
                printf '%s\n' "$*" > "$area/restore.$n.args"; cat > "$area/restore.$n"
                if [ -e "$area/fail-load" ]; then echo 'pg_restore: error: could not execute query' >&2; exit 1; fi
                exit 0 ;;
              psql)
                printf '%s\n' "$*" > "$area/sql.$n.args"; cat > "$area/sql.$n"
                if [ -e "$area/fail-load" ] && [[ " $* " == *" -U ztnet "* ]]; then echo 'psql:<stdin>:9: ERROR:  relation does not exist' >&2; exit 3; fi
                exit 0 ;;
            esac
            exit 127 ;;
          container)
            f="$area/containers/${!#}"
            [ -f "$f" ] || { echo "Error: no such container ${!#}" >&2; exit 125; }
            case "$4" in '{{.ImageName}}') sed -n 1p "$f" ;; '{{.Image}}') sed -n 2p "$f" ;; '{{.State.Running}}') echo true ;; esac
            exit 0 ;;
        esac
        exit 125
        """;

    /// <summary>
    /// Shell (as root) that writes a controller's files into DIR/zerotier as the service user ztnet:
    /// its identity (node/Identity.cpp: "address:0:public[:secret]"), token, and a network with one
    /// member (controller/FileDB.cpp's layout).
    /// </summary>
    public static string Controller(string data, string node, string network) => $$"""
        cd {{data}}/zerotier
        runuser -u ztnet -- sh -c 'printf "{{node}}:0:pub\n" > identity.public && printf "{{node}}:0:pub:secret\n" > identity.secret && printf token > authtoken.secret
          mkdir -p controller.d/network/{{network}}/member && printf "{\"id\":\"{{network}}\"}" > controller.d/network/{{network}}.json
          printf "{\"id\":\"{{Member}}\"}" > controller.d/network/{{network}}/member/{{Member}}.json'
        """;
}
