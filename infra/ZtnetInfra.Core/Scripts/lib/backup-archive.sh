#!/usr/bin/env bash
# Library: make_archive NAME REASON, run as the service user (as_user) in DATA/backups: writes
# NAME (a tar) holding
#   database.dump   pg_dump --format=custom of ZTNet's database, over the PostgreSQL container's own
#                   socket (pg_dump pins its own search_path to pg_catalog: PostgreSQL 10.3+, the
#                   CVE-2018-1058 fix, so nothing ZTNet's role owns runs in the superuser's session)
#   zerotier.tar    the controller's directory (identity.secret, identity.public, authtoken.secret,
#                   controller.d: ZeroTierOne controller/FileDB.cpp) with numeric owners, read in the
#                   user namespace (the files may belong to a subordinate id)
#   ztnet-backups.tar  ZTNet's own admin backups (DATA/ztnet-backups, its /app/tmp/backups), without
#                   the directories temp/ and extract/ that ZTNet works in (sinamics/ztnet v0.8.2
#                   adminRoute.ts createBackup, restoreBackup), read in the user namespace too
#   manifest.json   what, when, why, the controller's node address, each container's image and
#                   image ID, and the sha256 and size of the three files
# Consistency without an outage: the controller's files (and ZTNet's backups) are listed with their
# checksums before the copy and again after the dump; the backup is kept only when nothing changed
# in between (so the copy and the dump belong to one moment of the controller), else it is taken
# again, up to 5 times.
# Inputs (set by the caller): backups, controller_dir, ztnet_backups, pg_container, db_superuser,
# db_name, containers (array).
# shellcheck disable=SC2154,SC2317 # the inputs above; called only through declare -f, in the service user's shell
make_archive() {
  local name=$1 reason=$2 work attempt before after node c ref id created host
  umask 077
  work=$(mktemp -d "$backups/.ztnet-backup-work.XXXXXX")
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -rf -- '$work'" EXIT
  controller_sums() {
    podman unshare sh -c 'for d; do (cd -- "$d" && find . -type f -exec sha256sum -- {} + | LC_ALL=C sort); done' sh "$controller_dir" "$ztnet_backups"
  }
  for attempt in 1 2 3 4 5; do
    before=$(controller_sums)
    if ! podman unshare tar -C "$controller_dir" --numeric-owner -cf - . > "$work/zerotier.tar"; then
      echo "ztnet-infra: reading $controller_dir failed (attempt $attempt)" >&2
      before=""
      sleep 2; continue
    fi
    if ! podman unshare tar -C "$ztnet_backups" --numeric-owner --exclude=./temp --exclude=./extract -cf - . > "$work/ztnet-backups.tar"; then
      echo "ztnet-infra: reading $ztnet_backups failed (attempt $attempt)" >&2
      before=""
      sleep 2; continue
    fi
    if ! podman exec "$pg_container" pg_dump -U "$db_superuser" -d "$db_name" --format=custom > "$work/database.dump"; then
      echo "ztnet-infra: pg_dump of the database $db_name in the container $pg_container failed: no backup was made" >&2
      return 1
    fi
    after=$(controller_sums)
    if [ "$before" = "$after" ]; then break; fi
    echo "ztnet-infra: the controller changed its files during the backup (attempt $attempt): taking it again" >&2
    before=""
    sleep 2
  done
  if [ -z "$before" ]; then
    echo "ztnet-infra: the controller's files kept changing during 5 attempts: no backup was made" >&2
    return 1
  fi
  # A dump that pg_restore cannot list is no backup.
  if ! podman exec -i "$pg_container" pg_restore --list > /dev/null < "$work/database.dump"; then
    echo "ztnet-infra: the database dump cannot be read back by pg_restore: no backup was made" >&2
    return 1
  fi
  node=$(podman unshare sh -c 'f=$1/identity.public; [ -f "$f" ] && [ ! -L "$f" ] && head -c 10 -- "$f"' sh "$controller_dir" || true)
  [[ $node =~ ^[0-9a-f]{10}$ ]] || node=""
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  host=$(hostname)
  {
    printf '{\n  "format": "ztnet-infra-backup/1",\n  "name": "%s",\n  "created": "%s",\n  "reason": "%s",\n  "host": "%s",\n  "controller": "%s",\n  "images": [' \
      "$name" "$created" "$reason" "$host" "$node"
    local sep=""
    for c in "${containers[@]}"; do
      ref=$(podman container inspect --format '{{.ImageName}}' "$c" 2>/dev/null) || continue
      id=$(podman container inspect --format '{{.Image}}' "$c")
      printf '%s\n    {"container": "%s", "image": "%s", "id": "%s"}' "$sep" "$c" "$ref" "$id"
      sep=","
    done
    printf '\n  ],\n  "files": ['
    sep=""
    for f in database.dump zerotier.tar ztnet-backups.tar; do
      printf '%s\n    {"path": "%s", "sha256": "%s", "bytes": %s}' "$sep" "$f" "$(sha256sum < "$work/$f" | cut -d' ' -f1)" "$(stat -c %s -- "$work/$f")"
      sep=","
    done
    printf '\n  ]\n}\n'
  } > "$work/manifest.json"
  tar -C "$work" -cf "$backups/.$name.partial" manifest.json database.dump zerotier.tar ztnet-backups.tar
  mv -f -- "$backups/.$name.partial" "$backups/$name"
  echo "ztnet-infra: backup $backups/$name ($(stat -c %s -- "$backups/$name") bytes; controller ${node:-without an identity yet}; reason $reason)"
}
