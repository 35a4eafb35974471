#!/bin/bash
# check-images.sh: run the test host's built container images on THIS machine (root podman, no
# VM) and check the upstream contracts they must keep (see the headers in images/*/).
#
#   sudo tests/testhost/check-images.sh          # after build-image.sh, same TESTHOST_* settings
#
# The images are pulled from the OCI layout inside $TESTHOST_OUT/base.raw (mounted read-only)
# through the guest's own registry fixture on 127.0.0.1:$CHECK_PORT, into a private podman
# storage under $TESTHOST_CACHE/$TESTHOST_SUITE/check (removed at the end): nothing else is
# touched. Every container runs with --network none (loopback only) or in another's namespace.
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
P=(podman --root "$DIR/storage" --runroot "$RUNROOT" --cgroup-manager cgroupfs --events-backend none)
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
image() { grep -m1 -- "$1" "$TESTHOST_OUT/images.list"; }

cleanup() {
  "${P[@]}" rm -a -f -t 0 >/dev/null 2>&1 || true
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
x() { "${P[@]}" exec "$@"; }
wait_for() {  # SECONDS COMMAND...
  local n=$1; shift
  for _ in $(seq "$n"); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 1; done
  return 1
}
pg_ready() { x "$1" pg_isready -h 127.0.0.1 -q; }

# ------------------------------------------------------------------ PostgreSQL
echo pw-at-init > "$DIR/pgpass"
chmod 0644 "$DIR/pgpass"
mkdir -p "$DIR/data/pg1" "$DIR/data/pg2"
check "postgres: image stop signal is SIGINT" \
  test "$("${P[@]}" image inspect --format '{{.Config.StopSignal}}' "$PG")" = SIGINT
"${P[@]}" run -d --name pg1 --network none -v "$DIR/data/pg1:/var/lib/postgresql/data" \
  -e POSTGRES_PASSWORD=pw-at-init -e POSTGRES_DB=ztnet "$PG" >/dev/null
check "postgres: default args: server up on 127.0.0.1:5432" wait_for 90 pg_ready pg1
check "postgres: major 15" sh -c "$(printf '%q ' "${P[@]}") exec pg1 postgres --version | grep -q ' 15\.'"
check "postgres: default args: TCP login from 127.0.0.1 WITHOUT password succeeds (trust, as upstream)" \
  x pg1 psql -w -h 127.0.0.1 -U postgres -d ztnet -c 'select 1'
check "postgres: default args: pg_hba.conf keeps 127.0.0.1/32 trust and ends with host all all all scram-sha-256" \
  sh -c "$(printf '%q ' "${P[@]}") exec pg1 sh -c 'grep -Eq \"^host +all +all +127.0.0.1/32 +trust\" \$PGDATA/pg_hba.conf && tail -1 \$PGDATA/pg_hba.conf | grep -qx \"host all all all scram-sha-256\"'"
check "postgres: listen_addresses is '*'" \
  sh -c "$(printf '%q ' "${P[@]}") exec pg1 psql -h /var/run/postgresql -U postgres -tAc 'show listen_addresses' | grep -qx '\*'"
check "postgres: server runs as uid 70, data directory owned by 70" \
  sh -c "test \"\$(stat -c %u '$DIR/data/pg1')\" = 70 && $(printf '%q ' "${P[@]}") exec pg1 sh -c 'test \$(stat -c %u /proc/1) = 70'"
t0=$(date +%s)
"${P[@]}" stop -t 30 pg1 >/dev/null
check "postgres: stop (SIGINT) is a fast shutdown, within 10 s" test $(( $(date +%s) - t0 )) -le 10
check "postgres: log shows a fast shutdown request" sh -c "$(printf '%q ' "${P[@]}") logs pg1 2>&1 | grep -q 'fast shutdown request'"
"${P[@]}" rm -f pg1 >/dev/null
"${P[@]}" run -d --name pg1 --network none -v "$DIR/data/pg1:/var/lib/postgresql/data" \
  -e POSTGRES_PASSWORD=another -e POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 "$PG" >/dev/null
wait_for 60 pg_ready pg1 || true
check "postgres: existing data: initialisation skipped, no setting applied" \
  sh -c "$(printf '%q ' "${P[@]}") logs pg1 2>&1 | grep -q 'Skipping initialization' && $(printf '%q ' "${P[@]}") exec pg1 psql -w -h 127.0.0.1 -U postgres -d ztnet -c 'select 1'"
"${P[@]}" rm -f -t 0 pg1 >/dev/null

"${P[@]}" run -d --name pg2 --network none -v "$DIR/data/pg2:/var/lib/postgresql/data" -v "$DIR/pgpass:/run/pgpass:ro" \
  -e POSTGRES_PASSWORD_FILE=/run/pgpass -e POSTGRES_DB=ztnet -e POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 "$PG" >/dev/null
check "postgres: scram args + POSTGRES_PASSWORD_FILE: server up" wait_for 90 pg_ready pg2
check "postgres: --auth-host=scram-sha-256: TCP login from 127.0.0.1 without password is refused" \
  sh -c "! $(printf '%q ' "${P[@]}") exec pg2 psql -w -h 127.0.0.1 -U postgres -d ztnet -c 'select 1'"
check "postgres: --auth-host=scram-sha-256: TCP login with the password from POSTGRES_PASSWORD_FILE succeeds" \
  x -e PGPASSWORD=pw-at-init pg2 psql -w -h 127.0.0.1 -U postgres -d ztnet -c 'select 1'
check "postgres: --auth-host=scram-sha-256: TCP login with a wrong password is refused" \
  sh -c "! $(printf '%q ' "${P[@]}") exec -e PGPASSWORD=wrong pg2 psql -w -h 127.0.0.1 -U postgres -d ztnet -c 'select 1'"
check "postgres: the socket stays trust (initdb's local line)" x pg2 psql -w -h /var/run/postgresql -U postgres -d ztnet -c 'select 1'

# ------------------------------------------------------------------ ZeroTier
mkdir -p "$DIR/data/zt"
"${P[@]}" run -d --name zt --network none -v "$DIR/data/zt:/var/lib/zerotier-one" \
  -e ZT_OVERRIDE_LOCAL_CONF=true -e ZT_PRIMARY_PORT=9993 -e ZT_ALLOW_MANAGEMENT_FROM=127.0.0.1 "$ZT" >/dev/null
check "zerotier: zerotier-cli info answers" wait_for 30 x zt zerotier-cli info
check "zerotier: local.conf allowManagementFrom is [\"127.0.0.1\"]" \
  python3 -c "import json,sys; sys.exit(json.load(open('$DIR/data/zt/local.conf'))['settings']['allowManagementFrom'] != ['127.0.0.1'])"
check "zerotier: authtoken.secret written, mode 0600, 24 characters" \
  sh -c "test \"\$(stat -c %a '$DIR/data/zt/authtoken.secret')\" = 600 && test \"\$(wc -c < '$DIR/data/zt/authtoken.secret')\" = 24"
token1=$(cat "$DIR/data/zt/authtoken.secret")
check "zerotier: /status without token is 401 {}" \
  sh -c "test \"\$($(printf '%q ' "${P[@]}") exec zt curl -s -w ' %{http_code}' http://127.0.0.1:9993/status)\" = '{} 401'"
check "zerotier: /status with X-ZT1-Auth is 200 (token from a file, not argv)" \
  sh -c "$(printf '%q ' "${P[@]}") exec zt sh -c 'curl -sf -H @- http://127.0.0.1:9993/status <<EOF
X-ZT1-Auth: \$(cat /var/lib/zerotier-one/authtoken.secret)
EOF'"
check "zerotier: /health needs no token" x zt curl -sf http://127.0.0.1:9993/health
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
"${P[@]}" restart -t 10 zt >/dev/null
wait_for 30 x zt zerotier-cli info || true
check "zerotier: authtoken.secret kept across a restart" test "$(cat "$DIR/data/zt/authtoken.secret")" = "$token1"
t0=$(date +%s)
"${P[@]}" stop -t 20 zt >/dev/null
check "zerotier: exits at once on SIGTERM" test $(( $(date +%s) - t0 )) -le 3

# ------------------------------------------------------------------ ZTNet (in pg2's network namespace)
mkdir -p "$DIR/data/zt2"
ztnet_run() {  # NAME [extra podman args]
  local name=$1; shift
  "${P[@]}" run -d --name "$name" --network container:pg2 "$@" \
    -e POSTGRES_HOST=127.0.0.1 -e POSTGRES_PORT=5432 -e POSTGRES_USER=postgres -e POSTGRES_PASSWORD=pw-at-init \
    -e POSTGRES_DB=ztnet -e NEXTAUTH_SECRET=0123456789abcdef0123456789abcdef -e NEXTAUTH_URL=https://ztnet.test \
    -e HOSTNAME=0.0.0.0 -e PORT=3000 -e ZT_ADDR=http://127.0.0.1:9993 "$ZTNET" >/dev/null
}
ztnet_run ztnet1 -v "$DIR/data/zt2:/var/lib/zerotier-one"
check "ztnet: /api/auth/ok answers {\"ok\":true} (no ZeroTier running, token file missing)" \
  wait_for 60 sh -c "test \"\$($(printf '%q ' "${P[@]}") exec ztnet1 curl -sf http://127.0.0.1:3000/api/auth/ok)\" = '{\"ok\":true}'"
check "ztnet: the missing token was reported once at start" \
  sh -c "test \"\$($(printf '%q ' "${P[@]}") logs ztnet1 2>&1 | grep -c 'an error occurred while reading the ZT_SECRET')\" = 1"
check "ztnet: migration-like first start created its tables in POSTGRES_DB" \
  x pg2 psql -w -h /var/run/postgresql -U postgres -d ztnet -tAc 'select 1 from "_prisma_migrations"'
echo later-token > "$DIR/data/zt2/authtoken.secret"
sleep 2
"${P[@]}" exec ztnet1 curl -sf http://127.0.0.1:3000/api/auth/ok >/dev/null || true
check "ztnet: the token is not re-read while running (no second read, no new message)" \
  sh -c "test \"\$($(printf '%q ' "${P[@]}") logs ztnet1 2>&1 | grep -c 'ZT_SECRET')\" = 1"
t0=$(date +%s)
"${P[@]}" stop -t 20 ztnet1 >/dev/null
check "ztnet: exits at once on SIGTERM" test $(( $(date +%s) - t0 )) -le 3
"${P[@]}" rm -f ztnet1 >/dev/null
# A wrong password: it loops on the psql login and never serves.
"${P[@]}" run -d --name ztnet2 --network container:pg2 -e POSTGRES_HOST=127.0.0.1 -e POSTGRES_PORT=5432 \
  -e POSTGRES_USER=postgres -e POSTGRES_PASSWORD=wrong -e POSTGRES_DB=ztnet -e NEXTAUTH_SECRET=x -e PORT=3001 "$ZTNET" >/dev/null
sleep 4
check "ztnet: a wrong password keeps it looping on the psql login (Postgres is unavailable - sleeping), not serving" \
  sh -c "$(printf '%q ' "${P[@]}") logs ztnet2 2>&1 | grep -q 'Postgres is unavailable - sleeping' && ! $(printf '%q ' "${P[@]}") exec ztnet2 curl -sf http://127.0.0.1:3001/api/auth/ok"
check "ztnet: has curl and psql" x ztnet2 sh -c 'command -v curl && command -v psql'

# ------------------------------------------------------------------ Caddy
for pair in "caddy1:$CADDY:1" "caddy2:$CADDY2:2"; do
  c=${pair%%:*} rest=${pair#*:}; img=${rest%:*} variant=${rest##*:}
  "${P[@]}" run -d --name "$c" --network none "$img" >/dev/null
  check "caddy variant $variant: busybox wget -q -O- http://127.0.0.1:80/ answers the variant" \
    wait_for 30 sh -c "$(printf '%q ' "${P[@]}") exec $c wget -q -O- http://127.0.0.1:80/ | grep -qx 'caddy test fixture variant $variant'"
  check "caddy variant $variant: curl answers too" x "$c" curl -sf http://127.0.0.1:80/
done
check "caddy: version 2.11.4" sh -c "$(printf '%q ' "${P[@]}") exec caddy1 caddy version | grep -q '^v2\.11\.4'"
check "caddy: XDG_DATA_HOME=/data, XDG_CONFIG_HOME=/config" \
  sh -c "$(printf '%q ' "${P[@]}") exec caddy1 sh -c 'test \"\$XDG_DATA_HOME:\$XDG_CONFIG_HOME\" = /data:/config && test -d /data/caddy && test -d /config/caddy'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
