#!/usr/bin/env bash
# unit-postgres, before its unit is written (service user): the kept data directory must be of
# the image's major version (PG_MAJOR, set by the official image), and a dump of the database
# lands in DATA/backups before a running container moves to another image; the newest dumps are
# kept.
# Inputs: image (ztnet:postgresImage), pgdata (DATA/postgres-data), backups (DATA/backups), keep
# (ztnet:backupsToKeep), pg_container (the PostgreSQL container), db_superuser, db_name.
: "${image:?}" "${pgdata:?}" "${backups:?}" "${keep:?}" "${pg_container:?}" "${db_superuser:?}" "${db_name:?}"
want=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed -n 's/^PG_MAJOR=//p')
# The files belong to the container's postgres user (a subordinate id): read them in the user namespace.
have=$(podman unshare sh -c 'if [ -f "$1/PG_VERSION" ]; then cat "$1/PG_VERSION"; fi' sh "$pgdata")
if [ -n "$have" ] && [ -n "$want" ] && [ "${want%%.*}" != "$have" ]; then
  echo "ztnet-infra: $pgdata holds a PostgreSQL $have database but ztnet:postgresImage is PostgreSQL $want: nothing was changed. Set ztnet:postgresImage back to a $have image; to upgrade, restore a dump into a new data directory (see README, 'Backups and PostgreSQL upgrades')." >&2
  exit 1
fi
if podman container exists "$pg_container" && [ "$(podman inspect --format '{{.ImageName}}' "$pg_container")" != "$image" ]; then
  install -d -m 0700 "$backups"
  dump="$backups/ztnet-$(date -u +%Y%m%dT%H%M%SZ).dump"
  if ! podman exec "$pg_container" pg_dump -U "$db_superuser" -d "$db_name" --format=custom > "$dump.tmp"; then
    rm -f "$dump.tmp"
    echo "ztnet-infra: the backup before the PostgreSQL image change failed: the running database is untouched" >&2
    exit 1
  fi
  mv "$dump.tmp" "$dump"
  echo "ztnet-infra: database dumped to $dump before the image change"
  find "$backups" -maxdepth 1 -name 'ztnet-*.dump' -type f -printf '%f\n' | sort -r | tail -n +$((keep + 1)) \
    | while IFS= read -r old; do rm -f -- "$backups/$old"; echo "ztnet-infra: removed the old backup $old"; done
fi
