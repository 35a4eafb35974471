#!/bin/bash
# check-images.sh: run the test host's built container images on THIS machine (root, no VM) and
# check the upstream contracts they must keep (see the headers in images/*/).
#
#   sudo tests/testhost/check-images.sh          # after build-image.sh, same TESTHOST_* settings
#
# The images are pulled from the OCI layout inside $TESTHOST_OUT/base.raw (mounted read-only)
# through the guest's own registry fixture on 127.0.0.1:$CHECK_PORT, into a private podman
# storage under $TESTHOST_CACHE/$TESTHOST_SUITE/check (removed at the end).
# They are run WITHOUT an OCI runtime: on a CI host like this one `podman run` fails (crun:
# "setrlimit RLIMIT_NOFILE: Operation not permitted", then "cgroups in hybrid mode not
# supported"). So each "container" is the image's root (podman image mount) under an overlay,
# started by unshare in its own pid, mount, UTS and network namespaces (loopback only), with the
# image's Env, Entrypoint, Cmd and StopSignal; a second one may share the first one's network
# namespace, as containers of a pod do. No cgroups, no capability drop: contracts of the image
# contents and entrypoints are checked, not podman's.
# Prints one line per check and "N passed, N failed"; exit 1 when any failed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=testhost-env.sh
. "$HERE/testhost-env.sh"
[ "$(id -u)" -eq 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }
[ -f "$TESTHOST_OUT/base.raw" ] || { echo "no $TESTHOST_OUT/base.raw: run build-image.sh first" >&2; exit 1; }

CHECK_PORT=${CHECK_PORT:-5055}
DIR=$TESTHOST_CACHE/$TESTHOST_SUITE/check
RUNROOT=$(mktemp -d /run/testhost-check.XXXXXX)
# Private root, runroot and tmpdir: `system reset` at the end must not touch anyone else's podman.
P=(podman --root "$DIR/storage" --runroot "$RUNROOT" --tmpdir "$RUNROOT/tmp" --cgroup-manager cgroupfs --events-backend none)

# ------------------------------------------------------------------ the namespace runner
cfg() { "${P[@]}" image inspect --format "$2" "$1"; }
pid1() { cat "$DIR/c/$1/pid1"; }
c_run() {  # NAME [--net-of OTHER] [-v HOST:PATH] [-e K=V]... IMAGE [CMD...]
  local name=$1 netof="" vols=() envs=() img; shift
  while [ $# -gt 0 ]; do
    case $1 in
      --net-of) netof=$2; shift 2 ;;
      -v) vols+=("$2"); shift 2 ;;
      -e) envs+=("$2"); shift 2 ;;
      *) break ;;
    esac
  done
  img=$1; shift
  local c=$DIR/c/$name lower cmd=() e
  mkdir -p "$c/upper" "$c/work" "$c/root"
  lower=$("${P[@]}" image mount "$img")
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$c/upper,workdir=$c/work" "$c/root"
  mkdir -p "$c/root/proc" "$c/root/dev" "$c/root/tmp" "$c/root/etc"
  # What podman writes into every container: /etc/hosts and /etc/resolv.conf (no DNS here).
  printf '127.0.0.1 localhost\n::1 localhost\n' > "$c/root/etc/hosts"
  : > "$c/root/etc/resolv.conf"
  mount -t tmpfs -o mode=0755 tmpfs "$c/root/dev"
  for e in null zero full random urandom tty; do touch "$c/root/dev/$e"; mount --bind "/dev/$e" "$c/root/dev/$e"; done
  ln -s /proc/self/fd "$c/root/dev/fd"
  ln -s /proc/self/fd/0 "$c/root/dev/stdin"; ln -s /proc/self/fd/1 "$c/root/dev/stdout"; ln -s /proc/self/fd/2 "$c/root/dev/stderr"
  mkdir -p "$c/root/dev/shm"
  mount -t tmpfs -o mode=1777 tmpfs "$c/root/dev/shm"
  for e in "${vols[@]}"; do
    if [ -d "${e%%:*}" ]; then mkdir -p "$c/root/${e#*:}"; else mkdir -p "$(dirname "$c/root/${e#*:}")"; touch "$c/root/${e#*:}"; fi
    mount --bind "${e%%:*}" "$c/root/${e#*:}"
  done
  mapfile -t env_img < <(cfg "$img" '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
  printf '%s\n' HOME=/root "${env_img[@]}" "${envs[@]}" > "$c/env"   # podman's HOME for root
  if [ $# -gt 0 ]; then
    mapfile -t cmd < <(cfg "$img" '{{range .Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d'); cmd+=("$@")
  else
    mapfile -t cmd < <(cfg "$img" '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' | sed '/^$/d')
  fi
  cfg "$img" '{{.Config.StopSignal}}' > "$c/stopsignal"
  local enter=()
  if [ -n "$netof" ]; then enter=(nsenter "--net=/proc/$(pid1 "$netof")/ns/net"); fi
  local unshare_net=(--net)
  [ -z "$netof" ] || unshare_net=()
  mapfile -t env_all < "$c/env"
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid "${enter[@]}" unshare --pid --fork --mount --uts "${unshare_net[@]}" --kill-child \
    sh -c 'ip link set lo up 2>/dev/null || true; mount -t proc proc "$0/proc"; exec chroot "$0" /usr/bin/env -i "$@"' \
    "$c/root" "${env_all[@]}" "${cmd[@]}" > "$c/log" 2>&1 < /dev/null &
  echo $! > "$c/unshare"
  local i
  for i in $(seq 50); do
    if pgrep -P "$(cat "$c/unshare")" > "$c/pid1" 2>/dev/null && [ -s "$c/pid1" ]; then break; fi
    sleep 0.1
  done
  [ -s "$c/pid1" ] || { echo "could not start $name" >&2; cat "$c/log" >&2; return 1; }
  [ "$i" -lt 50 ]
}
x() {  # NAME [-e K=V] CMD...: run CMD in NAME's namespaces and root, with the image's env
  local name=$1 extra=(); shift
  while [ "${1:-}" = -e ]; do extra+=("$2"); shift 2; done
  local env_all
  mapfile -t env_all < "$DIR/c/$name/env"
  nsenter -t "$(pid1 "$name")" -m -n -p -u -r -w /usr/bin/env -i "${env_all[@]}" "${extra[@]}" "$@"
}
c_logs() { cat "$DIR/c/$1/log"; }
c_stop() {  # NAME [SECONDS]: the image's stop signal (SIGTERM if none), SIGKILL after SECONDS
  local name=$1 t=${2:-10} sig pid
  sig=$(cat "$DIR/c/$name/stopsignal"); sig=${sig:-SIGTERM}
  pid=$(pid1 "$name")
  kill -s "${sig#SIG}" "$pid" 2>/dev/null || true
  local i
  for i in $(seq $((t * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$(cat "$DIR/c/$name/unshare")" 2>/dev/null || true
  : "$i"
}
c_rm() {
  local c=$DIR/c/$1 m
  [ -d "$c" ] || return 0
  if [ -s "$c/pid1" ]; then kill -9 "$(cat "$c/pid1")" 2>/dev/null || true; fi
  sleep 0.2
  # shellcheck disable=SC2013 # mount points here have no blanks
  for m in $(awk -v r="$c/root" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
  rm -rf "$c"
}

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
image() { grep -m1 -- "$1" "$TESTHOST_OUT/images.list"; }

cleanup() {
  local n
  for n in "$DIR"/c/*; do [ -e "$n" ] && c_rm "$(basename "$n")"; done
  "${P[@]}" image umount -a >/dev/null 2>&1 || true
  [ -z "${REG_PID:-}" ] || kill "$REG_PID" 2>/dev/null || true
  if mountpoint -q "$DIR/mnt"; then umount "$DIR/mnt"; fi
  "${P[@]}" system reset -f >/dev/null 2>&1 || true
  rm -rf "$DIR" "$RUNROOT"
}
trap cleanup EXIT
rm -rf "$DIR"
mkdir -p "$DIR/mnt" "$DIR/data"
mount -o loop,ro "$TESTHOST_OUT/base.raw" "$DIR/mnt"
TESTHOST_REGISTRY_PORT=$CHECK_PORT python3 "$HERE/guest/testhost-registry.py" "$DIR/mnt/var/lib/testhost-registry" \
  >"$DIR/registry.log" 2>&1 &
REG_PID=$!
sleep 1
while read -r name; do
  local_name=127.0.0.1:$CHECK_PORT/${name#docker.io/}
  "${P[@]}" pull -q --tls-verify=false "$local_name" >/dev/null
  "${P[@]}" tag "$local_name" "$name"
done < "$TESTHOST_OUT/images.list"
ok "all $(wc -l < "$TESTHOST_OUT/images.list") images pull from the registry fixture"

PG=$(image postgres:) ZT=$(image zerotier:) ZTNET=$(image ztnet:) CADDY=$(image caddy:) CADDY2=$(image testhost2)
wait_for() {  # SECONDS COMMAND...
  local n=$1; shift
  for _ in $(seq "$n"); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 1; done
  return 1
}
pg_ready() { x "$1" pg_isready -h 127.0.0.1 -q; }
not() { ! "$@"; }
logs_have() { c_logs "$1" | grep -q -- "$2"; }
count_in_logs() { test "$(c_logs "$1" | grep -c -- "$2")" = "$3"; }
psql_tcp() { local n=$1; shift; x "$n" "$@" psql -X -w -h 127.0.0.1 -U postgres -d ztnet -c 'select 1'; }
psql_sock() { x "$1" psql -X -w -h /var/run/postgresql -U postgres -d ztnet -tAc "$2"; }
# /bin/sh and the sh, sed, grep and wget on PATH are busybox, as in the Alpine images (each
# resolves to /usr/bin/busybox, and the one that answers says BusyBox).
# shellcheck disable=SC2016 # expanded inside the container
busybox_tools() {
  x "$1" sh -c 'test "$(readlink -f /bin/sh)" = /usr/bin/busybox || exit 1
    for t in sh sed grep wget; do p=$(command -v "$t") && test "$(readlink -f "$p")" = /usr/bin/busybox || exit 1; done
    sed --help 2>&1 | grep -q BusyBox && grep --help 2>&1 | grep -q BusyBox && wget --help 2>&1 | grep -q BusyBox'
}
seconds_to_stop() { local t0; t0=$(date +%s); c_stop "$1" "$2"; echo $(( $(date +%s) - t0 )); }

# ------------------------------------------------------------------ PostgreSQL
printf 'pw-at-init\n' > "$DIR/pgpass"
chmod 0644 "$DIR/pgpass"
mkdir -p "$DIR/data/pg1" "$DIR/data/pg2"
check "postgres: image stop signal is SIGINT" test "$(cfg "$PG" '{{.Config.StopSignal}}')" = SIGINT
c_run pg1 -v "$DIR/data/pg1:/var/lib/postgresql/data" -e POSTGRES_PASSWORD=pw-at-init -e POSTGRES_DB=ztnet "$PG"
check "postgres: default args: server up on 127.0.0.1:5432" wait_for 120 pg_ready pg1
pg_major_15() { x pg1 postgres --version | grep -q ' 15\.'; }
check "postgres: major 15 ($(x pg1 postgres --version 2>&1))" pg_major_15
check "postgres: default args: TCP login from 127.0.0.1 WITHOUT password succeeds (trust, as upstream)" psql_tcp pg1
check "postgres: default args: pg_hba.conf keeps 127.0.0.1/32 and ::1/128 trust, ends with host all all all scram-sha-256" \
  sh -c "grep -Eq '^host +all +all +127.0.0.1/32 +trust' '$DIR/data/pg1/pg_hba.conf' && grep -Eq '^host +all +all +::1/128 +trust' '$DIR/data/pg1/pg_hba.conf' && tail -1 '$DIR/data/pg1/pg_hba.conf' | grep -qx 'host all all all scram-sha-256'"
check "postgres: /bin/sh, sh, sed, grep and wget are busybox (as the Alpine image's)" busybox_tools pg1
check "postgres: listen_addresses is '*'" test "$(psql_sock pg1 'show listen_addresses')" = '*'
check "postgres: POSTGRES_DB created" test "$(psql_sock pg1 "select datname from pg_database where datname='ztnet'")" = ztnet
check "postgres: server runs as uid 70, data directory owned by 70" \
  sh -c "test \"\$(stat -c %u '$DIR/data/pg1')\" = 70 && test \"\$(awk '/^Uid:/{print \$2}' /proc/$(pid1 pg1)/status)\" = 70"
check "postgres: stop (SIGINT) is a fast shutdown, within 10 s" test "$(seconds_to_stop pg1 30)" -le 10
check "postgres: log shows a fast shutdown request" logs_have pg1 'fast shutdown request'
c_rm pg1
c_run pg1 -v "$DIR/data/pg1:/var/lib/postgresql/data" -e POSTGRES_PASSWORD=another -e POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 "$PG"
wait_for 60 pg_ready pg1 || true
kept_as_is() { logs_have pg1 'Skipping initialization' && psql_tcp pg1; }
check "postgres: existing data: initialisation skipped, nothing applied (still trust on 127.0.0.1)" kept_as_is
c_stop pg1 30; c_rm pg1

c_run pg2 -v "$DIR/data/pg2:/var/lib/postgresql/data" -v "$DIR/pgpass:/run/pgpass" -e POSTGRES_PASSWORD_FILE=/run/pgpass \
  -e POSTGRES_DB=ztnet -e POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 "$PG"
check "postgres: scram args + POSTGRES_PASSWORD_FILE: server up" wait_for 120 pg_ready pg2
check "postgres: --auth-host=scram-sha-256: TCP login from 127.0.0.1 without password is refused" not psql_tcp pg2
check "postgres: --auth-host=scram-sha-256: TCP login with the password from POSTGRES_PASSWORD_FILE succeeds" psql_tcp pg2 -e PGPASSWORD=pw-at-init
check "postgres: --auth-host=scram-sha-256: TCP login with a wrong password is refused" not psql_tcp pg2 -e PGPASSWORD=wrong
check "postgres: the socket stays trust (initdb's local line)" psql_sock pg2 'select 1'

# ------------------------------------------------------------------ ZeroTier
mkdir -p "$DIR/data/zt"
# An entry without /bits parses as /0 in ZeroTierOne (node/InetAddress.cpp) and would let every
# address manage: a check that sets one writes the prefix, as a user must.
zt_run() { c_run zt -v "$DIR/data/zt:/var/lib/zerotier-one" -e ZT_OVERRIDE_LOCAL_CONF=true -e ZT_PRIMARY_PORT=9993 \
  -e ZT_ALLOW_MANAGEMENT_FROM=127.0.0.1/32 "$ZT"; }
zt_run
check "zerotier: zerotier-cli info answers" wait_for 30 x zt zerotier-cli info
check "zerotier: local.conf allowManagementFrom is [\"127.0.0.1/32\"]" \
  python3 -c "import json,sys; sys.exit(json.load(open('$DIR/data/zt/local.conf'))['settings']['allowManagementFrom'] != ['127.0.0.1/32'])"
check "zerotier: authtoken.secret written, mode 0600, 24 characters" \
  sh -c "test \"\$(stat -c %a '$DIR/data/zt/authtoken.secret')\" = 600 && test \"\$(wc -c < '$DIR/data/zt/authtoken.secret')\" = 24"
token1=$(cat "$DIR/data/zt/authtoken.secret")
check "zerotier: /status without token is 401 {}" test "$(x zt curl -s -w ' %{http_code}' http://127.0.0.1:9993/status)" = '{} 401'
# shellcheck disable=SC2016 # expanded inside the container
check "zerotier: /status with X-ZT1-Auth is 200 (token from a file, not argv)" \
  x zt sh -c 'printf "X-ZT1-Auth: %s\n" "$(cat /var/lib/zerotier-one/authtoken.secret)" | curl -sf -H @- http://127.0.0.1:9993/status'
check "zerotier: /status with a wrong token is 401" test "$(x zt curl -s -o /dev/null -w '%{http_code}' -H 'X-ZT1-Auth: wrong' http://127.0.0.1:9993/status)" = 401
check "zerotier: /health needs no token" x zt curl -sf http://127.0.0.1:9993/health
check "zerotier: also on [::1]:9993" x zt curl -s -o /dev/null -w '%{http_code}' 'http://[::1]:9993/status'
check "zerotier: allowManagementFrom parses as ZeroTier: 127.0.0.1 = /0 (all IPv4), /32 exact, :: all IPv6, fd00::1/8 none" \
  x zt python3 -c "
import importlib.machinery as m
z = m.SourceFileLoader('z', '/usr/local/bin/zerotier-one').load_module()
p = z.parse_entry
assert z.contains(p('127.0.0.1'), '10.1.2.3')
assert z.contains(p('127.0.0.1/32'), '127.0.0.1') and not z.contains(p('127.0.0.1/32'), '10.1.2.3')
assert z.contains(p('10.88.0.0/16'), '10.88.3.4') and not z.contains(p('10.88.0.0/16'), '10.89.0.1')
assert z.contains(p('::'), 'fd00::5') and not z.contains(p('fd00::1/8'), 'fd00::1')
assert not z.contains(p('127.0.0.1'), '::1') and p('localhost') is None
"
check "zerotier: exits at once on SIGTERM" test "$(seconds_to_stop zt 20)" -le 3
c_rm zt
zt_run
wait_for 30 x zt zerotier-cli info || true
check "zerotier: authtoken.secret kept across a restart" test "$(cat "$DIR/data/zt/authtoken.secret")" = "$token1"
c_stop zt 5; c_rm zt

# ------------------------------------------------------------------ ZTNet (in pg2's network namespace, as in a pod)
mkdir -p "$DIR/data/zt2"
ztnet_env=(-e POSTGRES_HOST=127.0.0.1 -e POSTGRES_PORT=5432 -e POSTGRES_USER=postgres -e POSTGRES_DB=ztnet
  -e NEXTAUTH_SECRET=0123456789abcdef0123456789abcdef -e NEXTAUTH_URL=https://ztnet.test -e HOSTNAME=0.0.0.0
  -e ZT_ADDR=http://127.0.0.1:9993)
c_run ztnet1 --net-of pg2 -v "$DIR/data/zt2:/var/lib/zerotier-one" "${ztnet_env[@]}" -e POSTGRES_PASSWORD=pw-at-init -e PORT=3000 "$ZTNET"
auth_ok() { test "$(x ztnet1 curl -sf http://127.0.0.1:3000/api/auth/ok)" = '{"ok":true}'; }
check "ztnet: /api/auth/ok answers {\"ok\":true} (no ZeroTier running, token file missing)" wait_for 60 auth_ok
check "ztnet: the missing token was reported once at start" count_in_logs ztnet1 'an error occurred while reading the ZT_SECRET' 1
check "ztnet: migration-like first start created its tables in POSTGRES_DB" psql_sock pg2 'select 1 from "_prisma_migrations"'
# As the stack runs it: an ordinary role that owns its database (ZTNet's migrations need no more).
psql_sock pg2 "CREATE ROLE zrole LOGIN PASSWORD 'pw-role'" >/dev/null
psql_sock pg2 'CREATE DATABASE zdb OWNER zrole' >/dev/null
c_run ztnet3 --net-of pg2 "${ztnet_env[@]}" -e POSTGRES_USER=zrole -e POSTGRES_DB=zdb -e POSTGRES_PASSWORD=pw-role -e PORT=3002 "$ZTNET"
auth_ok3() { test "$(x ztnet3 curl -sf http://127.0.0.1:3002/api/auth/ok)" = '{"ok":true}'; }
pgcrypto_owner() { x pg2 psql -X -w -h /var/run/postgresql -U postgres -d zdb -tAc "select extowner::regrole from pg_extension where extname = 'pgcrypto'"; }
check "ztnet: as an ordinary role owning its database, the migration (pgcrypto, an enum, tables) runs and it serves" wait_for 60 auth_ok3
check "ztnet: that role created pgcrypto itself (a trusted extension)" test "$(pgcrypto_owner)" = zrole
c_stop ztnet3 5; c_rm ztnet3
printf 'later-token' > "$DIR/data/zt2/authtoken.secret"
sleep 2
x ztnet1 curl -sf http://127.0.0.1:3000/api/auth/ok >/dev/null || true
check "ztnet: the token is not re-read while running (no new read message, still ok)" count_in_logs ztnet1 'ZT_SECRET' 1
check "ztnet: exits at once on SIGTERM" test "$(seconds_to_stop ztnet1 20)" -le 3
c_rm ztnet1
c_run ztnet2 --net-of pg2 "${ztnet_env[@]}" -e POSTGRES_PASSWORD=wrong -e PORT=3001 "$ZTNET"
sleep 4
looping() { logs_have ztnet2 'Postgres is unavailable - sleeping' && ! x ztnet2 curl -sf http://127.0.0.1:3001/api/auth/ok; }
check "ztnet: a wrong password keeps it looping on the psql login, not serving" looping
check "ztnet: has curl and psql" x ztnet2 sh -c 'command -v curl && command -v psql'
c_stop ztnet2 5; c_rm ztnet2
c_stop pg2 30; c_rm pg2

# ------------------------------------------------------------------ Caddy
caddy_says() { x "$1" wget -q -O- http://127.0.0.1:80/ | grep -qx "caddy test fixture variant $2"; }
for pair in "caddy1:$CADDY:1" "caddy2:$CADDY2:2"; do
  c=${pair%%:*} rest=${pair#*:}; img=${rest%:*} variant=${rest##*:}
  c_run "$c" "$img"
  check "caddy variant $variant: busybox wget -q -O- http://127.0.0.1:80/ answers the variant" wait_for 30 caddy_says "$c" "$variant"
  check "caddy variant $variant: curl answers too" x "$c" curl -sf http://127.0.0.1:80/
done
check "caddy: /bin/sh, sh, sed, grep and wget are busybox (as the Alpine image's)" busybox_tools caddy1
caddy_2114() { x caddy1 caddy version | grep -Eq '^v?2\.11\.4'; }
check "caddy: version 2.11.4 ($(x caddy1 caddy version 2>&1 | cut -d' ' -f1))" caddy_2114
# shellcheck disable=SC2016 # expanded inside the container
check "caddy: XDG_DATA_HOME=/data, XDG_CONFIG_HOME=/config" \
  x caddy1 sh -c 'test "$XDG_DATA_HOME:$XDG_CONFIG_HOME" = /data:/config && test -d /data/caddy && test -d /config/caddy'
if [ "$failed" -gt 0 ]; then
  for n in "$DIR"/c/*; do [ -e "$n/log" ] && { echo "--- log of $(basename "$n") (last 15 lines)"; tail -15 "$n/log"; }; done
fi
c_stop caddy1 10; c_stop caddy2 10

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
