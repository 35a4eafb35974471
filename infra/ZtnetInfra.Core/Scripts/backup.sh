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
#   backup auto-update  ztnet-auto-update.service (ztnet:autoUpdate): asks podman, as the service
#                       user, whether a labelled container's registry has a newer build of its tag
#                       (podman auto-update --dry-run); only then takes a backup (reason
#                       auto-update, as `run`), and only when that succeeded runs podman auto-update,
#                       which pulls and restarts the pod's unit. Podman's own rollback cannot see a
#                       new build that fails: for a container in a pod it restarts the pod's unit
#                       (pkg/autoupdate/autoupdate.go, from podman 4.5), whose restart succeeds
#                       whatever its containers do. So this program checks, bounded by
#                       ztnet:healthTimeoutSeconds, that every container unit is active and every
#                       container runs, healthy, unrestarted over 30 s (three looks); if not, it tags the images
#                       the containers ran before again and restarts the pod (the same check
#                       follows). A rolled-back or failed update exits non-zero: the unit fails.
# Root never opens a file in the service user's directories: the archive is made, streamed to
# restic and removed by that user (lib/as-service-user.sh). Runs one at a time (a lock in /run).
# A failure exits non-zero: the unit fails (systemctl --failed, ztnet-infra status), the
# image-backup step fails and no image changes.
# Inputs: service_user, backups (DATA/backups), controller_dir (DATA/zerotier), ztnet_backups
# (DATA/ztnet-backups), pg_container,
# db_superuser, db_name, containers (array), pod_unit, container_units (array), health_timeout, settle_poll (seconds between looks), keep (ztnet:backupsToKeep), state (the stack's state
# directory), record (the root-owned list of archives made), repository (ztnet:backupRepository,
# empty for none), secrets_dir (root-only, the repository's password and environment).
# uses: as-service-user.sh restic.sh backup-archive.sh
: "${service_user:?}" "${backups:?}" "${controller_dir:?}" "${ztnet_backups:?}" "${pg_container:?}" "${db_superuser:?}" "${db_name:?}" "${containers[0]:?}" "${pod_unit:?}" "${container_units[0]:?}" "${health_timeout:?}" "${settle_poll:?}" "${keep:?}" "${state:?}" "${record:?}" "${repository?}" "${secrets_dir:?}"
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
  run|auto-update) ;;
  *) echo "ztnet-infra: usage: backup run service|image-change, backup check, or backup auto-update" >&2; exit 2 ;;
esac
# A run at boot (a schedule missed while the host was off) may come before the pod is up: wait
# for PostgreSQL, bounded (a slow host starts the pod in minutes); if it never runs, the dump fails.
wait_for_database() {
  for _ in $(seq 1 60); do
    if [ "$(as_user podman container inspect --format '{{.State.Running}}' "$pg_container" 2> /dev/null)" = true ]; then return 0; fi
    sleep 10
  done
}
take_backup() {
  local reason=$1 name tmp old kept
  if [ -L "$state" ] || [ -L "$record" ]; then echo "ztnet-infra: $state or $record is a symbolic link: the stack keeps its records in a real root-owned directory; remove the link" >&2; exit 1; fi
  install -d -m 0755 -o root -g root "$state"
  name="ztnet-backup-$(date -u +%Y%m%dT%H%M%SZ).tar"
  # Records before effects: the name is listed before the archive exists, so retention can always
  # find what this run made, even if it is cut short.
  printf '%s\n' "$name" >> "$record"
  chmod 0644 "$record"
  if [ "$reason" = service ]; then wait_for_database; fi
  as_user bash -c "set -euo pipefail; $(declare -p backups controller_dir ztnet_backups pg_container db_superuser db_name containers); $(declare -f make_archive); make_archive \"\$1\" \"\$2\"" backup "$name" "$reason"
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
}
if [ "$action" = run ]; then
  reason=${2:-service}
  case "$reason" in service|image-change) ;; *) echo "ztnet-infra: unknown reason $reason (service, image-change)" >&2; exit 2 ;; esac
  take_backup "$reason"
  exit 0
fi
# auto-update: what podman would update, then a backup, then the update.
# The units' automatic restarts so far (Restart=on-failure): a build that cannot start is started
# again and again, which settled sees without waiting out its whole bound.
restarts() { as_user systemctl --user show -p NRestarts --value -- "${container_units[@]}" | grep -v '^$' || true; }
# settled: every container unit active, every container running and healthy (or without a check),
# none started again over three looks settle_poll (15) s apart; bounded by ztnet:healthTimeoutSeconds, and
# given up on when a unit was restarted 3 times by systemd since before the update.
settled() {
  local deadline=$((SECONDS + health_timeout)) previous='' now good=0 states i n b
  local -a base counts
  mapfile -t base < <(printf '%s\n' "$restarts_before")
  while [ "$SECONDS" -lt "$deadline" ]; do
    sleep "$settle_poll"
    mapfile -t counts < <(restarts)
    for i in "${!container_units[@]}"; do
      n=${counts[$i]:-0} b=${base[$i]:-0}
      if [ "$n" -ge 3 ] && { [ "$n" -lt "$b" ] || [ $((n - b)) -ge 3 ]; }; then
        echo "ztnet-infra: ${container_units[$i]} was restarted $n times: its container does not start" >&2
        return 1
      fi
    done
    # is-active answers for each unit, one line each; its exit status says only "any is active".
    states=$(as_user systemctl --user is-active -- "${container_units[@]}" || true)
    if ! grep -qvx active <<< "$states" \
      && now=$(as_user podman container inspect --format '{{.Name}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}} {{.State.StartedAt}}' "${containers[@]}" 2> /dev/null) \
      && ! grep -qvE '^[^ ]+ true (healthy)? ' <<< "$now"; then
      if [ "$now" = "$previous" ]; then good=$((good + 1)); else good=1; previous=$now; fi
      if [ "$good" -ge 3 ]; then return 0; fi
    else
      good=0 previous=''
    fi
  done
  echo "ztnet-infra: the pod did not settle within ${health_timeout} s (ztnet:healthTimeoutSeconds)" >&2
  return 1
}
# The images the containers ran before an update, "ID NAME" a line, in root's state directory:
# written before podman changes anything and removed once the pod settled or was rolled back, so a
# run cut off in between (a reboot, a killed unit) is finished by the next run.
update_record="$state/auto-update"
roll_back() {
  local id ref
  echo "ztnet-infra: the pod did not settle on the new build: rolling back" >&2
  while read -r id ref; do
    as_user podman tag "$id" "$ref"
    echo "ztnet-infra: $ref names the image it named before the update again ($id)" >&2
  done < "$update_record"
  restarts_before=$(restarts)
  as_user systemctl --user restart -- "$pod_unit"
  if settled; then
    echo "ztnet-infra: rolled back, the old image runs again and every container is healthy" >&2
  else
    echo "ztnet-infra: the rollback did not settle either: see journalctl --user -u $pod_unit and ztnet-infra status" >&2
  fi
  rm -f -- "$update_record"
}
if [ -L "$state" ] || [ -L "$update_record" ]; then echo "ztnet-infra: $state or $update_record is a symbolic link: remove the link" >&2; exit 1; fi
wait_for_database
if [ -f "$update_record" ]; then
  echo "ztnet-infra: an earlier auto-update was cut off before the pod settled: checking the pod first"
  # Every automatic restart since the update restarted the pod counts (NRestarts counts from the
  # unit's last start by a job).
  restarts_before=''
  if settled; then
    rm -f -- "$update_record"
    echo "ztnet-infra: the pod settled on the build the earlier auto-update brought"
  else
    roll_back
    exit 1
  fi
fi
format='{{.ContainerName}} {{.Image}} {{.Updated}}'
if ! report=$(as_user podman auto-update --dry-run --format "$format"); then
  echo "ztnet-infra: podman auto-update --dry-run failed (above): no backup taken, nothing updated" >&2
  exit 1
fi
pending=()
while read -r container image updated; do
  if [ "$updated" = pending ]; then pending+=("$container ($image)"); fi
done <<< "$report"
if [ "${#pending[@]}" -eq 0 ]; then
  echo "ztnet-infra: no labelled container has a newer build of its image in the registry: nothing to do"
  exit 0
fi
printf 'ztnet-infra: a newer build in the registry for %s: backup first\n' "${pending[@]}"
take_backup auto-update
# The image each pending container runs now, recorded before the update (records before effects).
tmp=$(mktemp "$update_record.XXXXXX")
for p in "${pending[@]}"; do
  ref=${p#* (}
  printf '%s %s\n' "$(as_user podman container inspect --format '{{.Image}}' "${p%% *}")" "${ref%)}" >> "$tmp"
done
chmod 0644 "$tmp"
mv -fT -- "$tmp" "$update_record"
restarts_before=$(restarts)
status=0
report=$(as_user podman auto-update --format "$format") || status=$?
printf '%s\n' "$report" | sed 's/^/  podman auto-update: /'
if [ "$status" -ne 0 ]; then echo "ztnet-infra: podman auto-update failed (exit $status, above); the backup taken before it is in $backups" >&2; fi
# podman rolls back by itself when the restart of the unit it restarts fails (a container's own
# unit; not the pod's, whose restart succeeds whatever its containers do).
rolled=$(grep ' rolled back$' <<< "$report" || true)
if settled; then
  rm -f -- "$update_record"
  if [ -n "$rolled" ]; then
    printf 'ztnet-infra: podman rolled back %s: the new build did not start; the old image runs again and every container is healthy\n' "$rolled" >&2
    exit 1
  fi
  if [ "$status" -ne 0 ]; then exit 1; fi
  printf 'ztnet-infra: %s now runs the new build, every container healthy\n' "${pending[@]}"
  # As podman's own podman-auto-update.service does after an update (contrib/systemd/system): the
  # images no tag names any more are removed from the service user's storage.
  as_user podman image prune -f > /dev/null
  exit 0
fi
roll_back
printf 'ztnet-infra: the new build of %s did not start\n' "${pending[@]}" >&2
exit 1
