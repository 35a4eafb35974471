#!/usr/bin/env bash
# unit-postgres, before its unit is written (service user): the kept data directory must be of
# the image's major version (PG_MAJOR, set by the official image), and a dump of the database
# lands in DATA/backups before a running container moves to another image; of the dumps this
# script wrote (listed in DATA/backups/.ztnet-infra-dumps), the newest are kept; other files stay.
# Inputs: image (ztnet:postgresImage), pgdata (DATA/postgres-data), backups (DATA/backups), keep
# (ztnet:backupsToKeep), pg_container (the PostgreSQL container), db_superuser, db_name.
: "${image:?}" "${pgdata:?}" "${backups:?}" "${keep:?}" "${pg_container:?}" "${db_superuser:?}" "${db_name:?}"
want=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed -n 's/^PG_MAJOR=//p')
# The files belong to the container's postgres user (a subordinate id): read in the user namespace,
# and only as a plain file: the container can replace PG_VERSION with a link to any file the
# service user can read. dd's iflag=nofollow opens it with O_NOFOLLOW (a link swapped in after the
# test fails to open; nonblock: a FIFO cannot hang the step); at most 16 bytes are read, and what
# was read is never printed unless it is a version number.
have=$(podman unshare sh -c 'f=$1/PG_VERSION
if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then echo refused; exit 0; fi
if [ -e "$f" ]; then dd if="$f" iflag=nofollow,nonblock bs=16 count=1 status=none 2>/dev/null || echo refused; fi' sh "$pgdata")
if [ -n "$have" ] && ! [[ $have =~ ^[0-9]{1,4}$ ]]; then
  echo "ztnet-infra: $pgdata/PG_VERSION is not a plain file holding a PostgreSQL major version (a link, not a file, or other content; not shown): nothing was changed. Look at it as the service user (podman unshare ls -l $pgdata/PG_VERSION); PostgreSQL writes it as digits and a newline." >&2
  exit 1
fi
if [ -n "$have" ] && [ -n "$want" ] && [ "${want%%.*}" != "$have" ]; then
  echo "ztnet-infra: $pgdata holds a PostgreSQL $have database but ztnet:postgresImage is PostgreSQL $want: nothing was changed. Set ztnet:postgresImage back to a $have image; to upgrade, restore a dump into a new data directory (see README, 'PostgreSQL upgrades and dumps')." >&2
  exit 1
fi
if podman container exists "$pg_container" && [ "$(podman inspect --format '{{.ImageName}}' "$pg_container")" != "$image" ]; then
  install -d -m 0700 "$backups"
  # The dumps this script wrote, one name a line: rotation removes only these, never a dump
  # someone else put here. The name is recorded before the dump is written.
  list="$backups/.ztnet-infra-dumps"
  name="ztnet-$(date -u +%Y%m%dT%H%M%SZ).dump"
  dump="$backups/$name"
  if [ -L "$list" ]; then rm -f -- "$list"; fi
  printf '%s\n' "$name" >> "$list"
  if ! podman exec "$pg_container" pg_dump -U "$db_superuser" -d "$db_name" --format=custom > "$dump.tmp"; then
    rm -f "$dump.tmp"
    echo "ztnet-infra: the backup before the PostgreSQL image change failed: the running database is untouched" >&2
    exit 1
  fi
  mv "$dump.tmp" "$dump"
  echo "ztnet-infra: database dumped to $dump before the image change"
  grep -xE 'ztnet-[0-9]{8}T[0-9]{6}Z[.]dump' "$list" | sort -ru > "$list.tmp" || true
  head -n "$keep" "$list.tmp" > "$list.keep"
  tail -n +$((keep + 1)) "$list.tmp" | while IFS= read -r old; do
    rm -f -- "${backups:?}/$old"
    echo "ztnet-infra: removed the old backup $old"
  done
  sort "$list.keep" > "$list.tmp"
  mv -f "$list.tmp" "$list"
  rm -f "$list.keep"
fi
