#!/usr/bin/env bash
# Library: the service user's half of a restore (Scripts/restore.create.sh), run through as_user
# with its inputs declared: format (ztnet-infra|ztnet), controller_dir, ztnet_backups, user_stage
# (holding dump, and zerotier.tar (and ztnet-backups.tar where the backup has it) or archive.tar.gz), pg_container, pg_unit, dump (the file name), prefix and
# strip (ZTNet's archive: "" and 1 for members named zerotier/..., "./" and 2 for ./zerotier/...).
#   restore_controller  DATA/zerotier emptied (only ever a new or a half-restored one: the record
#                       says which) and unpacked in the user namespace with numeric owners, so a
#                       file keeps the container's owner: a ztnet-infra zerotier.tar as it was; ZTNet's
#                       zerotier/ (a copy of /var/lib/zerotier-one from a root container, whose
#                       root is the service user here: owned by that root) without the pid file of
#                       the old process. A ztnet-infra backup's ztnet-backups.tar (ZTNet's own admin
#                       backups) goes into DATA/ztnet-backups the same way, emptied first too.
#   restore_database    PostgreSQL alone is started (enable-units starts the rest later), ZTNet's
#                       role (no login) and schema made as database-password makes them, then the
#                       dump is loaded in one transaction by a session of ZTNet's own role, over the
#                       container's socket (trusted locally; the role has no password, so no TCP
#                       login is possible meanwhile): whatever the dump holds runs with that role's
#                       rights, never the superuser's. A ztnet-infra dump: pg_restore --clean
#                       --no-owner --no-privileges. ZTNet's plain SQL (pg_dump --clean --if-exists by
#                       the postgres superuser, as a docker-compose install makes it): its OWNER TO
#                       statements and pg_dump's own \restrict lines are left out, and psql runs it
#                       under a \restrict of a key made here, so no psql meta-command in the file can
#                       run (\! would be a shell in the container). The role gets no login back
#                       here: database-password gives it its login and password after enable-units.
# shellcheck disable=SC2154 # the inputs above
restore_controller() {
  podman unshare sh -c 'find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +' sh "$controller_dir"
  if [ "$format" = ztnet-infra ]; then
    podman unshare tar -C "$controller_dir" --numeric-owner -xf - < "$user_stage/zerotier.tar"
  else
    # ZTNet's members: ./zerotier/... (or zerotier/...: prefix, from the listing root checked),
    # a `cp -r` of another machine's directory: owned here by the container's root, as ZeroTier
    # runs (zyclonite/zerotier), whoever owned them there.
    podman unshare tar -C "$controller_dir" --no-same-owner --strip-components="$strip" \
      --exclude="${prefix}zerotier/zerotier-one.pid" -xzf - -- "${prefix}zerotier" < "$user_stage/archive.tar.gz"
  fi
  podman unshare sh -c 'test -s "$1/identity.secret" && test ! -L "$1/identity.secret"' sh "$controller_dir" || { echo "ztnet-infra: the controller's identity did not arrive in $controller_dir" >&2; return 1; }
  podman unshare sh -c 'find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +' sh "$ztnet_backups"
  if [ -f "$user_stage/ztnet-backups.tar" ]; then
    podman unshare tar -C "$ztnet_backups" --numeric-owner -xf - < "$user_stage/ztnet-backups.tar"
    echo "ztnet-infra: ZTNet's own admin backups are restored into $ztnet_backups"
  fi
  echo "ztnet-infra: the controller's directory is restored into $controller_dir"
}
# shellcheck disable=SC2154 # the inputs above
restore_database() {
  local err key
  # The unit steps write their files without reloading the manager before enable-units has run.
  systemctl --user daemon-reload
  systemctl --user start "$pg_unit"
  if ! pg_wait_tcp; then
    echo "ztnet-infra: PostgreSQL did not become ready within 600 s; see: journalctl --user -u $pg_unit" >&2
    return 1
  fi
  if [ -n "$(pg_hba_close)" ]; then { session_start; printf '%s\n' 'SELECT pg_catalog.pg_reload_conf();' 'COMMIT;'; } | superuser_sql postgres; fi
  ztnet_role_sql | superuser_sql postgres
  ztnet_schema_sql | superuser_sql ztnet
  { session_start; printf '%s\n' 'ALTER ROLE ztnet WITH LOGIN PASSWORD NULL;' 'COMMIT;'; } | superuser_sql postgres
  if [ "$format" = ztnet-infra ]; then
    if ! err=$(podman exec -i "$pg_container" pg_restore -U ztnet -d ztnet --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error < "$user_stage/$dump" 2>&1); then
      printf '%s\n' "$err" | head -n 20 | sed 's/^/  pg_restore: /' >&2
      echo "ztnet-infra: loading the database dump as ZTNet's role failed (above): nothing of it was kept" >&2
      return 1
    fi
  else
    key=$(tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32 || true)
    if ! err=$( { printf '\\restrict %s\n' "$key"
        awk 'copy { print; if ($0 == "\\.") copy = 0; next }
             /^COPY .* FROM stdin;$/ { copy = 1; print; next }
             /^\\(un)?restrict [A-Za-z0-9]+$/ { next }
             /^ALTER [A-Z ]+ .* OWNER TO [^ ]+;$/ { next }
             { print }' "$user_stage/$dump"; } \
        | podman exec -i "$pg_container" psql -X -q -v ON_ERROR_STOP=1 --single-transaction -U ztnet -d ztnet 2>&1 > /dev/null); then
      printf '%s\n' "$err" | head -n 20 | sed 's/^/  psql: /' >&2
      if grep -q 'invalid command \\restrict' <<< "$err"; then printf '%s\n' "ztnet-infra: the PostgreSQL image's psql predates \\restrict (15.14): set ztnet:postgresImage to 15.14 or later" >&2; fi
      echo "ztnet-infra: loading ZTNet's database_dump.sql as ZTNet's role failed (above): nothing of it was kept" >&2
      return 1
    fi
  fi
  { session_start; printf '%s\n' 'ALTER ROLE ztnet WITH NOLOGIN;' 'COMMIT;'; } | superuser_sql postgres
  echo "ztnet-infra: ZTNet's database is restored from $dump, every object owned by ZTNet's role"
}
