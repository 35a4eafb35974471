#!/usr/bin/env bash
# backup (root): the program the backups step installs as /usr/local/lib/ztnet-infra/backup.
#   backup run REASON   one backup (REASON: service for ztnet-backup.service, that is the timer or
#                       `sudo systemctl start ztnet-backup.service`; image-change for the image-backup
#                       step): the name is recorded first in a root-owned list (record), then the
#                       service user writes DATA/backups/NAME (lib/backup-archive.sh), then the oldest
#                       recorded archives beyond ztnet:backupsToKeep are removed (only recorded ones:
#                       nothing else in DATA/backups is touched), then, with ztnet:backupRepository,
#                       the archive is copied to the restic repository.
#   backup check        restic check of the repository (ztnet-backup-check.service).
# Root never opens a file in the service user's directories: the archive is made, streamed to
# restic and removed by that user (lib/as-service-user.sh). Runs one at a time (a lock in /run).
# A failure exits non-zero: the unit fails (systemctl --failed, ztnet-infra status), the
# image-backup step fails and no image changes.
# Inputs: service_user, backups (DATA/backups), controller_dir (DATA/zerotier), pg_container,
# db_superuser, db_name, containers (array), keep (ztnet:backupsToKeep), state (the stack's state
# directory), record (the root-owned list of archives made), repository (ztnet:backupRepository,
# empty for none), secrets_dir (root-only, the repository's password and environment).
# uses: as-service-user.sh restic.sh backup-archive.sh
: "${service_user:?}" "${backups:?}" "${controller_dir:?}" "${pg_container:?}" "${db_superuser:?}" "${db_name:?}" "${containers[0]:?}" "${keep:?}" "${state:?}" "${record:?}" "${repository?}" "${secrets_dir:?}"
action=${1:-}
if [ "$(id -u)" -ne 0 ]; then echo "ztnet-infra: the backup runs as root: sudo systemctl start ztnet-backup.service" >&2; exit 1; fi
exec 9> /run/ztnet-infra-backup.lock
flock -w 3600 9
case "$action" in
  check)
    if [ -z "$repository" ]; then echo "ztnet-infra: no ztnet:backupRepository: nothing to check"; exit 0; fi
    restic_env "$secrets_dir"
    restic_run check
    echo "ztnet-infra: restic check of $repository passed"
    exit 0 ;;
  run) ;;
  *) echo "ztnet-infra: usage: backup run service|image-change, or backup check" >&2; exit 2 ;;
esac
reason=${2:-service}
case "$reason" in service|image-change) ;; *) echo "ztnet-infra: unknown reason $reason (service, image-change)" >&2; exit 2 ;; esac
if [ -L "$state" ] || [ -L "$record" ]; then echo "ztnet-infra: $state or $record is a symbolic link: the stack keeps its records in a real root-owned directory; remove the link" >&2; exit 1; fi
install -d -m 0755 -o root -g root "$state"
name="ztnet-backup-$(date -u +%Y%m%dT%H%M%SZ).tar"
# Records before effects: the name is listed before the archive exists, so retention can always
# find what this run made, even if it is cut short.
printf '%s\n' "$name" >> "$record"
chmod 0644 "$record"
# A run at boot (a schedule missed while the host was off) may come before the pod is up: wait
# for PostgreSQL, bounded (a slow host starts the pod in minutes); if it never runs, the dump fails.
if [ "$reason" = service ]; then
  for _ in $(seq 1 60); do
    if [ "$(as_user podman container inspect --format '{{.State.Running}}' "$pg_container" 2> /dev/null)" = true ]; then break; fi
    sleep 10
  done
fi
as_user bash -c "set -euo pipefail; $(declare -p backups controller_dir pg_container db_superuser db_name containers); $(declare -f make_archive); make_archive \"\$1\" \"\$2\"" backup "$name" "$reason"
# Retention: of the recorded names whose archive exists, newest first, the first $keep stay; the
# rest are removed (as the service user); names without an archive (a run that failed) leave the list.
kept=()
while IFS= read -r old; do
  if ! as_user test -f "$backups/$old"; then continue; fi
  if [ "${#kept[@]}" -lt "$keep" ]; then kept+=("$old"); continue; fi
  as_user rm -f -- "$backups/$old"
  echo "ztnet-infra: removed the old backup $old"
done < <(grep -xE 'ztnet-backup-[0-9]{8}T[0-9]{6}Z[.]tar' "$record" | LC_ALL=C sort -ru)
tmp=$(mktemp "$record.XXXXXX")
if [ "${#kept[@]}" -gt 0 ]; then printf '%s\n' "${kept[@]}" | LC_ALL=C sort > "$tmp"; fi
chmod 0644 "$tmp"
mv -fT -- "$tmp" "$record"
if [ -n "$repository" ]; then
  restic_env "$secrets_dir"
  if ! as_user cat -- "$backups/$name" | restic_run backup --quiet --tag ztnet-infra --stdin --stdin-filename "$name"; then
    echo "ztnet-infra: the copy of $name to the restic repository $repository failed; the archive is on the host in $backups" >&2
    exit 1
  fi
  echo "ztnet-infra: $name copied to the restic repository $repository"
fi
