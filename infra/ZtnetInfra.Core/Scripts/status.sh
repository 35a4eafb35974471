#!/usr/bin/env bash
# status (root, read-only): what `ztnet-infra status` compares with the stack. Changes nothing on
# the host and reads no secret. Prints one record a line, fields separated by tabs (a field never
# holds a tab or a newline), the first line "ztnet-status 1" and the last "end": an answer without
# "end" was cut short. Root reads only root-owned files in root-owned directories, never through a
# link; what is the service user's (its unit files, the Caddy configuration, its manager, podman)
# is read as the service user, through runuser, as the service-user steps run.
# Records: now EPOCH; user NAME UID GID GROUP HOME (or "user NAME -"); linger yes|no;
# manager STATE; data OWNER_UID OWNER_GID MODE TYPE; disk AVAIL_BYTES SIZE_BYTES;
# root-file PATH DIGEST|missing|link|not-a-file OWNER_UID MODE KEYS (KEYS: the record's key=value
# names and values the report needs, ";"-separated); user-file PATH DIGEST|... OWNER_UID MODE;
# unit NAME LOAD ACTIVE SUB FILE_STATE RESTARTS; pod STATE; container NAME STATE HEALTH RESTARTS
# IMAGE_NAME IMAGE_ID; image REF ID|missing; backup EPOCH|none NAME; backup-run RESULT ACTIVE;
# auto-update-run RESULT ACTIVE; system-timer NAME ACTIVE FILE_STATE; archive NAME (the newest the backup program recorded); cert EXPIRY_EPOCH|unknown
# ISSUER|REASON.
# Inputs: service_user, data_dir, root_files (array: root-owned files the stack writes), units
# (array: the user units to report), unit_files (array: those of them the stack writes into
# ~/.config/systemd/user), user_files (array: other files the stack writes as the service user:
# the Caddy configuration), containers, images (arrays, the same order), pod_name, backups (the backups
# directory), dump_list (its list of dumps), https_port, domain (empty for an IP address),
# backup_service (the backup's system unit), archive_record (root's list of the archives it made),
# auto_update_service (ztnet-auto-update.service; empty without ztnet:autoUpdate), system_timers
# (the stack's timers in root's manager, separated by spaces; may be empty).
: "${service_user:?}" "${data_dir:?}" "${root_files[0]:?}" "${units[0]:?}" "${unit_files[0]:?}" "${user_files[0]:?}"
: "${containers[0]:?}" "${images[0]:?}" "${pod_name:?}" "${backups:?}" "${dump_list:?}" "${https_port:?}" "${domain?}"
: "${backup_service:?}" "${archive_record:?}" "${auto_update_service?}" "${system_timers?}"

field() { local v=${1//$'\t'/ }; printf '%s' "${v//$'\n'/ }"; }
record() {
  local first=1 f
  for f in "$@"; do
    if [ "$first" -eq 0 ]; then printf '\t'; fi
    field "$f"; first=0
  done
  printf '\n'
}

# A root-owned file in a root-owned directory: its digest, or why there is none; never followed.
root_file() {
  local path=$1 dir kind digest=missing owner=- mode=- keys=
  dir=$(dirname "$path")
  if [ -L "$path" ]; then digest='link'
  elif [ -e "$path" ]; then
    read -r owner mode kind < <(stat -c '%u %a %F' -- "$path")
    if [ "$kind" != "regular file" ]; then digest=not-a-file
    elif [ "$owner" != 0 ] || [ -L "$dir" ] || [ "$(stat -c %u -- "$dir")" != 0 ]; then digest=not-root-owned
    else
      digest=$(sha256sum < "$path"); digest=${digest%% *}
      keys=$(grep -E '^(service-user|origin|directory|found)=' "$path" | head -n 8 | tr '\n' ';' || true)
    fi
  fi
  record root-file "$path" "$digest" "$owner" "$mode" "$keys"
}

record ztnet-status 1
record now "$(date +%s)"
if ! uid=$(id -u "$service_user" 2>/dev/null); then
  record user "$service_user" -
else
  gid=$(id -g "$service_user")
  home=$(getent passwd "$service_user"); home=${home#*:*:*:*:*:}; home=${home%%:*}
  record user "$service_user" "$uid" "$gid" "$(id -gn "$service_user")" "$home"
fi
if [ -e "/var/lib/systemd/linger/$service_user" ]; then record linger yes; else record linger no; fi
if [ -L "$data_dir" ]; then record data - - - link
elif [ -e "$data_dir" ]; then
  read -r d_uid d_gid d_mode d_kind < <(stat -c '%u %g %a %F' -- "$data_dir")
  record data "$d_uid" "$d_gid" "$d_mode" "${d_kind// /-}"
  read -r _ size _ avail _ < <(df -P -B1 -- "$data_dir" | tail -n 1)
  record disk "$avail" "$size"
else record data - - - missing
fi
for f in "${root_files[@]}"; do root_file "$f"; done
# The backup program's last run (root's system unit) and the newest archive its record lists
# (a root-owned file in root's state directory; never followed).
result=- active=-
while IFS='=' read -r key value; do
  case $key in Result) result=${value:--} ;; ActiveState) active=${value:--} ;; esac
done < <(systemctl show -p Result -p ActiveState -p LoadState -- "$backup_service" 2>/dev/null || true)
record backup-run "$result" "$active"
if [ -n "$auto_update_service" ]; then
  result=- active=-
  while IFS='=' read -r key value; do
    case $key in Result) result=${value:--} ;; ActiveState) active=${value:--} ;; esac
  done < <(systemctl show -p Result -p ActiveState -- "$auto_update_service" 2>/dev/null || true)
  record auto-update-run "$result" "$active"
fi
read -r -a timers <<< "$system_timers"
for t in "${timers[@]}"; do
  active=- file_state=-
  while IFS='=' read -r key value; do
    case $key in ActiveState) active=${value:--} ;; UnitFileState) file_state=${value:--} ;; esac
  done < <(systemctl show -p ActiveState -p UnitFileState -- "$t" 2>/dev/null || true)
  record system-timer "$t" "$active" "$file_state"
done
if [ -f "$archive_record" ] && [ ! -L "$archive_record" ] && [ "$(stat -c %u -- "$archive_record")" = 0 ]; then
  record archive "$(grep -xE 'ztnet-backup-[0-9]{8}T[0-9]{6}Z[.]tar' "$archive_record" | LC_ALL=C sort | tail -n 1 || true)"
fi

# The service user's side, in its own manager: the same environment as the service-user steps.
user_probe() {
  local u f line key value load active sub file_state restarts state health image_name image_id newest=0 newest_name='' t
  for u in "${unit_files[@]}"; do user_file "$HOME/.config/systemd/user/$u"; done
  for f in "${user_files[@]}"; do user_file "$f"; done
  for u in "${units[@]}"; do
    load=- active=- sub=- file_state=- restarts=-
    while IFS='=' read -r key value; do
      case $key in
        LoadState) load=$value ;; ActiveState) active=$value ;; SubState) sub=$value ;;
        UnitFileState) file_state=${value:--} ;; NRestarts) restarts=${value:--} ;;
      esac
    done < <(systemctl --user show -p LoadState -p ActiveState -p SubState -p UnitFileState -p NRestarts -- "$u" 2>/dev/null || true)
    record unit "$u" "$load" "$active" "$sub" "$file_state" "$restarts"
  done
  if line=$(podman pod inspect --format '{{.State}}' "$pod_name" 2>/dev/null); then record pod "$line"; else record pod missing; fi
  # The health result is State.Health in podman 5 (libpod/define/container_inspect.go); older
  # releases named the field Healthcheck: each form is tried, then none (health unknown).
  for u in "${containers[@]}"; do
    line=
    for health in '{{if .State.Health}}{{.State.Health.Status}}{{end}}' '{{.State.Healthcheck.Status}}' ''; do
      if line=$(podman inspect --type container --format "{{.State.Status}}|$health|{{.RestartCount}}|{{.ImageName}}|{{.Image}}" "$u" 2>/dev/null); then break; fi
      line=
    done
    if [ -n "$line" ]; then
      IFS='|' read -r state health restarts image_name image_id <<< "$line"
      record container "$u" "$state" "${health:--}" "$restarts" "$image_name" "$image_id"
    else record container "$u" missing - - - -
    fi
  done
  for f in "${images[@]}"; do
    if line=$(podman image inspect --format '{{.Id}}' "$f" 2>/dev/null); then record image "$f" "$line"; else record image "$f" missing; fi
  done
  # The newest of the dumps the stack listed (Scripts/postgres-guard.sh), by modification time.
  if [ -f "$dump_list" ] && [ ! -L "$dump_list" ]; then
    while IFS= read -r f; do
      case $f in ''|*/*) continue ;; esac
      if [ -f "$backups/$f" ] && t=$(stat -c %Y -- "$backups/$f") && [ "$t" -gt "$newest" ]; then newest=$t newest_name=$f; fi
    done < "$dump_list"
  fi
  if [ "$newest" -gt 0 ]; then record backup "$newest" "$newest_name"; else record backup none -; fi
  # The certificate as served on the HTTPS port (curl prints it with -v; no trust is needed to read it).
  local -a resolve=()
  local target=127.0.0.1 out expire issuer
  if [ -n "$domain" ]; then resolve=(--resolve "$domain:$https_port:127.0.0.1"); target=$domain; fi
  out=$(curl -sk -v --max-time 15 -o /dev/null "${resolve[@]}" "https://$target:$https_port/" 2>&1 || true)
  expire=$(printf '%s\n' "$out" | sed -n 's/^\*  *expire date: *//p' | head -n 1)
  issuer=$(printf '%s\n' "$out" | sed -n 's/^\*  *issuer: *//p' | head -n 1)
  if [ -n "$expire" ] && expire=$(date -d "$expire" +%s 2>/dev/null); then record cert "$expire" "$issuer"
  else record cert unknown "no certificate read on port $https_port: $(printf '%s\n' "$out" | grep -m 1 -E '^curl: |Failed|refused' || echo 'no answer')"
  fi
}
user_file() {
  local path=$1 digest=missing owner=- mode=- kind
  if [ -L "$path" ]; then digest='link'
  elif [ -e "$path" ]; then
    read -r owner mode kind < <(stat -c '%u %a %F' -- "$path")
    if [ "$kind" != "regular file" ]; then digest=not-a-file
    elif ! digest=$(sha256sum < "$path" 2>/dev/null); then digest=unreadable
    else digest=${digest%% *}
    fi
  fi
  record user-file "$path" "$digest" "$owner" "$mode"
}

if [ -n "${uid:-}" ]; then
  if systemctl is-active --quiet "user@$uid.service" && [ -S "/run/user/$uid/bus" ]; then
    record manager active
    cd /
    runuser -u "$service_user" -- env -i HOME="$home" USER="$service_user" LOGNAME="$service_user" LANG=C.UTF-8 \
      PATH="$PATH" XDG_RUNTIME_DIR="/run/user/$uid" DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" \
      bash -c "set -uo pipefail; $(declare -p units unit_files user_files containers images pod_name backups dump_list https_port domain); $(declare -f field record user_file user_probe); user_probe"
  else
    manager=$(systemctl is-active "user@$uid.service" 2>/dev/null || true)
    record manager "${manager:-unknown}"
  fi
fi
record end
