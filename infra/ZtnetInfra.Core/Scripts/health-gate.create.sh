#!/usr/bin/env bash
# health-gate, create (service user): the last step. What a user needs must work, several rounds
# in a row, or the deployment fails naming the check that failed and where to look: ZTNet answers
# its health path through Caddy over HTTPS with {"ok":true}; the ZeroTier controller answers its
# authenticated API inside the pod; ZTNet started after ZeroTier's token existed (ZTNet reads it
# once, at start: sinamics/ztnet src/utils/ztApi.ts); PostgreSQL refuses a TCP login without the
# password, accepts the current one for ZTNet's role, which is no superuser, and the superuser
# refuses it. The plan gives this step a digest of every step before it (in its comment), so it
# runs again after any change that reaches the host; its stdin (the secrets) changes with a rotation.
# Inputs: url (the public health URL), domain and port (curl --resolve to 127.0.0.1), ip (an IPv4
# address as the domain, with domain empty: curl --connect-to sends that connection to 127.0.0.1
# too, and checks the certificate for the address. Measured on the VM, Podman 5.4 with pasta: a
# connection from the host to its own address on a port pasta publishes is reset; one to
# 127.0.0.1 reaches Caddy, which serves it the address's certificate, as it does a LAN client),
# ca (Caddy's local CA root, which the certificate must chain to, or empty), ca_pem
# (ztnet:acmeCaRoot's certificates, the roots an ACME certificate must chain to, or empty: then
# the host's trust store), unverified (1: the certificate is not checked, for Let's
# Encrypt's staging CA, whose roots no store holds), acme_ca (the ACME CA the report names, empty
# with Caddy's local CA), caddy_container, timeout (ztnet:healthTimeoutSeconds), rounds (passing
# rounds in a row), window (seconds those rounds must span at least), token (ZeroTier's
# authtoken.secret), units and containers (arrays, for the report), pg_container,
# ztnet_container, ztnet_unit, db_role, db_superuser, db_name, marker (DATA's marker: a restore's
# restored-controller line); stdin: the database password, then
# the auth secret (not used).
: "${url:?}" "${domain?}" "${ip?}" "${port:?}" "${ca?}" "${ca_pem?}" "${unverified?}" "${acme_ca?}" "${caddy_container:?}" "${timeout:?}" "${rounds:?}" "${window:?}" "${token:?}" "${units[0]:?}" "${containers[0]:?}"
: "${pg_container:?}" "${ztnet_container:?}" "${ztnet_unit:?}" "${db_role:?}" "${db_superuser:?}" "${db_name:?}" "${marker:?}"
IFS= read -r pg_password || true
IFS= read -r _ || true
# The controller's node address a restore recorded in DATA's root-owned marker (readable by the
# service user's group), or empty.
restored=""
if [ -r "$marker" ]; then restored=$(sed -n 's/^restored-controller=\([0-9a-f]\{10\}\)$/\1/p' "$marker" | tail -n 1); fi
body=$(mktemp)
roots=$(mktemp)
trap 'rm -f "$body" "$roots"' EXIT
args=(--silent --show-error --max-time 20 --output "$body" --write-out '%{http_code}')
if [ -n "$domain" ]; then args+=(--resolve "$domain:$port:127.0.0.1"); fi
if [ -n "$ip" ]; then args+=(--connect-to "$ip:$port:127.0.0.1:$port"); fi
if [ -n "$ca" ]; then args+=(--cacert "$ca"); fi
if [ -n "$ca_pem" ]; then printf '%s' "$ca_pem" > "$roots"; args+=(--cacert "$roots"); fi
if [ -n "$unverified" ]; then args+=(--insecure); fi
# A round's PostgreSQL checks, run by the container's sh (busybox in the Alpine image) in one podman
# exec (an exec costs seconds of CPU on a slow host). Arguments: ZTNet's role, the superuser, the
# database, full|live; stdin: ZTNet's password, which lives only in the environment of the psql
# that logs in with it. Each check prints one line, NAME STATUS OUTPUT (psql's exit status, its
# output on one line): login, ZTNet's role over TCP with the password; in a full round also nopass,
# that role over TCP without one; super, rolsuper as the superuser sees it over the container's
# socket in the maintenance database (ZTNet's own session could read a pg_roles of its making);
# supertcp, the superuser over TCP with ZTNet's password.
# shellcheck disable=SC2016 # expanded by the container's sh
pg_round_sh='IFS= read -r pw
say() { printf "%s %s %s\n" "$1" "$2" "$(printf "%s" "$3" | tr "\n" " " | cut -c1-200)"; }
if [ "$4" = full ]; then
  out=$(psql -X -w -h 127.0.0.1 -U "$1" -d "$3" -Atc "SELECT 1" 2>&1); say nopass $? "$out"
  out=$(printf "%s\n" "SET search_path = pg_catalog, pg_temp;" "SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = :'"'"'role'"'"';" |
    psql -X -q -At -v ON_ERROR_STOP=1 -v role="$1" -U "$2" -d postgres 2>&1); say super $? "$out"
fi
PGPASSWORD=$pw
export PGPASSWORD
out=$(psql -X -w -h 127.0.0.1 -U "$1" -d "$3" -Atc "SELECT 1" 2>&1); say login $? "$out"
if [ "$4" = full ]; then
  out=$(psql -X -w -h 127.0.0.1 -U "$2" -d "$3" -Atc "SELECT 1" 2>&1); say supertcp $? "$out"
fi'
# pg_answer NAME: the check's status and output from this round's lines (in $pg) into pg_rc and
# pg_out; fails when the line is missing (the exec failed, or the container went away).
pg_answer() {
  local line
  line=$(sed -n "s/^$1 //p" <<< "$pg" | head -n 1)
  if [ -z "$line" ]; then last="PostgreSQL did not answer the gate's checks in the container $pg_container: $(head -c 200 "$body")"; where=postgres; return 1; fi
  pg_rc=${line%% *}
  pg_out=${line#* }
}
# check full|live: one round. Every round checks what can stop working (HTTPS through Caddy, the
# controller's API, PostgreSQL accepting ZTNet's password, no container started again: the last
# is read into started for the loop); a full round, the first of a series, also checks what is
# configuration (no login without the password, ZTNet's role no superuser, the superuser closed
# over TCP). Each podman call costs seconds on a slow host: a round makes three, a full one too.
check() {
  local code zt_started token_time zt_token zt_status
  if [ -n "$ca" ] && [ ! -f "$ca" ]; then last="Caddy has not created its local CA ($ca) yet"; where=caddy; return 1; fi
  if ! code=$(curl "${args[@]}" "$url" 2>&1); then
    last="HTTPS through Caddy: $code"
    if [ -n "$acme_ca" ]; then last="$last (with ACME, Caddy serves no certificate until the CA $acme_ca has issued one)"; fi
    where=caddy; return 1
  fi
  if [ "$code" != 200 ]; then last="HTTPS through Caddy answered $code (want 200): $(head -c 200 "$body")"; where=ztnet; return 1; fi
  if ! grep -Eq '"ok" *: *true' "$body"; then last="$url answered 200 without {\"ok\":true}: $(head -c 200 "$body")"; where=ztnet; return 1; fi
  # The token goes to curl on its standard input (a config line), never on a command line. The
  # ZeroTier container can replace the file with a link to anything the service user can read:
  # opened with O_NOFOLLOW (dd iflag=nofollow; nonblock, so a FIFO cannot hang the gate), at most
  # 128 bytes, and sent only when it looks like a token (ZeroTier writes 24 letters and digits).
  if [ -L "$token" ] || [ ! -f "$token" ]; then last="ZeroTier's token $token is not a plain file (a link, or missing): not read"; where=zerotier; return 1; fi
  if ! zt_token=$(dd if="$token" iflag=nofollow,nonblock bs=128 count=1 status=none 2>/dev/null) || ! [[ $zt_token =~ ^[A-Za-z0-9]{16,100}$ ]]; then
    last="ZeroTier's token $token is not a plain file holding a token (a link, or other content; not shown): not sent"; where=zerotier; return 1
  fi
  if ! zt_status=$(printf '%s\n' "$zt_token" | podman exec -i "$ztnet_container" sh -c 'IFS= read -r t; printf "header = \"X-ZT1-Auth: %s\"\n" "$t" | curl -fsS --max-time 20 -K - "$ZT_ADDR/status"' 2>"$body"); then
    last="the ZeroTier controller does not answer its authenticated API at ZT_ADDR/status from the ZTNet container: $(head -c 200 "$body")"; where=zerotier; return 1
  fi
  # A restored controller must answer with the identity it was restored with (ztnet:restoreFrom):
  # every network's ID starts with that address.
  if [ -n "$restored" ] && ! grep -Eq "\"address\" *: *\"$restored\"" <<< "$zt_status"; then
    last="the ZeroTier controller answers as $(grep -oE '"address" *: *"[0-9a-f]{10}"' <<< "$zt_status" | grep -oE '[0-9a-f]{10}' || echo '(no address)'), not as the controller $restored restored from the backup (DATA/zerotier/identity.secret)"; where=zerotier; return 1
  fi
  if ! started=$(podman inspect --format '{{.Name}} {{.State.StartedAt.Unix}}' "${containers[@]}" 2>"$body"); then
    last="a container of the pod is missing: $(head -c 200 "$body")"; where=ztnet; return 1
  fi
  zt_started=$(printf '%s\n' "$started" | awk -v c="$ztnet_container" '$1 == c { print $2 }')
  token_time=$(stat -c %Y "$token")
  if [ "$token_time" -gt "$zt_started" ]; then
    last="ZTNet started before ZeroTier wrote its current token ($token) and reads it only at start: restart it (systemctl --user restart $ztnet_unit as the service user)"; where=ztnet; return 1
  fi
  pg=$(printf '%s\n' "$pg_password" | podman exec -i "$pg_container" sh -c "$pg_round_sh" sh "$db_role" "$db_superuser" "$db_name" "$1" 2>"$body") || true
  pg_answer login || return 1
  if [ "$pg_rc" != 0 ]; then
    last="PostgreSQL refuses ZTNet's role $db_role with the current password over TCP: $pg_out"; where=postgres; return 1
  fi
  if [ "$1" != full ]; then return 0; fi
  pg_answer nopass || return 1
  if [ "$pg_rc" = 0 ]; then
    last="PostgreSQL accepts a TCP login from the pod without a password (pg_hba.conf trusts it): the database-password step enforces scram-sha-256"; where=postgres; return 1
  fi
  pg_answer super || return 1
  if [ "$pg_rc" != 0 ]; then
    last="the PostgreSQL superuser $db_superuser cannot read ZTNet's role over the container's socket: $pg_out"; where=postgres; return 1
  fi
  if [ "$pg_out" != f ]; then
    last="ZTNet's database role $db_role is a superuser (rolsuper: $pg_out): the database-password step makes it an ordinary role"; where=postgres; return 1
  fi
  # The superuser has no password: the one ZTNet holds must not open it over TCP.
  pg_answer supertcp || return 1
  if [ "$pg_rc" = 0 ]; then
    last="the PostgreSQL superuser $db_superuser accepts ZTNet's password over TCP: the database-password step removes its password"; where=postgres; return 1
  fi
  return 0
}
report() {
  echo "ztnet-infra: the deployment is not healthy after $timeout s." >&2
  echo "ztnet-infra: failed check: $last" >&2
  for u in "${units[@]}"; do
    echo "ztnet-infra:   $u: $(systemctl --user show -p ActiveState --value "$u"), restarted $(systemctl --user show -p NRestarts --value "$u") times" >&2
  done
  # State.Health is nil on podman 5 for a container without a check (containers/podman #21388): guarded.
  for c in "${containers[@]}"; do
    if podman container exists "$c"; then
      echo "ztnet-infra:   container $c: health $(podman inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c" 2>/dev/null || echo unknown); last check output: $(podman inspect --format '{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' "$c" 2>/dev/null | tail -n 2 | tr '\n' ' ')" >&2
    else
      echo "ztnet-infra:   container $c: not running" >&2
    fi
  done
  if [ "$where" = caddy ] && [ -n "$acme_ca" ]; then acme_report; fi
  echo "ztnet-infra: look at: journalctl --user -u container-$where.service -n 100 (as the service user), or sudo journalctl _UID=$(id -u) -n 100" >&2
}
# What Caddy's certificate maintenance logged (JSON lines, logger tls.obtain or tls.issuance.acme:
# caddyserver/certmagic, config.go obtainCert): its last error, shown as Caddy wrote it.
acme_report() {
  local errors
  errors=$(podman logs --tail 400 "$caddy_container" 2>&1 | grep -E '"logger":"tls\.(obtain|issuance\.acme)' | grep -F '"level":"error"' | tail -n 2 || true)
  if [ -n "$errors" ]; then
    echo "ztnet-infra: ACME: Caddy could not get a certificate for ${domain:-the domain} from the CA $acme_ca; its last errors:" >&2
    printf '%s\n' "$errors" | cut -c1-600 | sed 's/^/ztnet-infra:     /' >&2
  else
    echo "ztnet-infra: ACME: Caddy logged no error from the CA $acme_ca, and has no certificate from it yet (is port 80 or 443 reachable from the CA? does the domain resolve to this host?)" >&2
  fi
}
# Healthy means: $rounds rounds in a row pass, the first of them full, spanning at least $window
# seconds, and no container started again between them (a service that flaps is not healthy,
# however quickly its checks answer). Between rounds the gate waits one second: a round itself
# takes seconds (podman exec, curl), so a longer pause would only be idle time.
deadline=$((SECONDS + timeout))
last="no check ran yet"
where=ztnet
passed=0
began=$SECONDS
while :; do
  round=$SECONDS
  if [ "$passed" -eq 0 ]; then kind=full; else kind=live; fi
  if ! check "$kind"; then
    passed=0
    rounds_took=
  elif [ "$passed" -gt 0 ] && [ "$started" != "$series_started" ]; then
    last="a container started again between two passing rounds (it flaps): $(printf '%s' "$series_started" | tr '\n' ' ')-> $(printf '%s' "$started" | tr '\n' ' ')"; where=ztnet
    passed=0
    rounds_took=
  else
    if [ "$passed" -eq 0 ]; then first=$round; series_started=$started; fi
    passed=$((passed + 1))
    rounds_took="${rounds_took:-}$((SECONDS - round)) "
    if [ "$passed" -ge "$rounds" ] && [ $((SECONDS - first)) -ge "$window" ]; then break; fi
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then report; exit 1; fi
  sleep 1
done
if [ -n "$unverified" ]; then echo "ztnet-infra: the certificate was not checked: Let's Encrypt's staging CA issues from roots no trust store holds"; fi
echo "ztnet-infra: ZTNet answers $url through Caddy; the controller and the database answer as they should ($passed rounds in a row over $((SECONDS - first)) s, no container restarted)"
echo "ztnet-infra: the gate took $((SECONDS - began)) s: the first passing round began after $((first - began)) s; the passing rounds took ${rounds_took}s"
