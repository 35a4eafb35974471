#!/usr/bin/env bash
# restore, create (root): ztnet:restoreFrom onto this stack's new data directory, after the unit
# files are written and before enable-units first starts ZeroTier and ZTNet.
#   1. The record: DATA's root-owned marker says what was restored (restored-from=SOURCE) or is
#      being restored (restore-pending=SOURCE). Done from the same source: nothing to do. Done, or
#      begun, from another: refused; begun from the same but the pod started on it since: refused.
#      Neither: DATA's postgres-data, zerotier and ztnet-backups must be empty (a restore never
#      overwrites data), then restore-pending is written before anything else.
#   2. The archive, into root's own staging directory: restic dump of the snapshot (latest: the
#      newest tagged ztnet-infra) from ztnet:backupRepository, a copy of the root-owned file
#      host:PATH (no link on the way, no ancestor another user can write), or of the file the
#      workstation sent (file:PATH) into the restore-inbox step's directory (the SSH login's, 0700,
#      in root's state directory), which is removed once the restore is done: it holds the
#      controller's secret identity.
#   3. What it is, before anything is touched: a ztnet-infra backup (manifest.json of format
#      ztnet-infra-backup/1, database.dump and zerotier.tar, and ztnet-backups.tar where the manifest
#      lists it (backups made before it existed do not), each checked against the manifest's
#      sha256), or ZTNet's admin backup (a .tar.gz of ./backup_metadata.json, ./database_dump.sql
#      and ./zerotier/, sinamics/ztnet v0.8.2 adminRoute.ts createBackup); anything else, or a member that is not a regular
#      file, is refused. Root extracts only named regular files, in its own directory.
#   4. As the service user (root never writes in its directories): the controller's directory
#      (identity, token, controller.d) is unpacked into DATA/zerotier in the user namespace, owners
#      kept, and ZTNet's own admin backups into DATA/ztnet-backups likewise; PostgreSQL alone is
#      started, ZTNet's role and schema are set up as database-password does, and the dump is
#      loaded by a session of ZTNet's own role (lib/restore-load.sh): nothing
#      in the backup runs as the superuser.
#   5. restored-from and restored-controller (the controller's node address, which the health gate
#      then checks ZeroTier answers with) replace restore-pending in the marker.
# A run cut off in between is finished by the next (restore-pending: the controller's directory is
# emptied and unpacked again, the load is one transaction and starts with a clean).
# Inputs: data (ztnet:dataDir), marker_name, service_user, kind (restic|host|upload), source (the
# setting's value), snapshot (restic: latest or an ID), archive_path (host: the path; upload: where
# the workstation's file was sent, in its inbox), repository,
# secrets_dir, stage (root's staging directory), controller_dir, ztnet_backups (DATA/ztnet-backups),
# user_stage (the service user's, in DATA/backups), pg_container, pg_unit, enabled_record
# (enable-units' record, relative to the
# service user's home).
# uses: ownership.sh as-service-user.sh restic.sh database-roles.sh restore-load.sh
: "${data:?}" "${marker_name:?}" "${service_user:?}" "${kind:?}" "${source:?}" "${snapshot?}" "${archive_path?}" "${repository?}" "${secrets_dir:?}" "${stage:?}" "${controller_dir:?}" "${ztnet_backups:?}" "${user_stage:?}" "${pg_container:?}" "${pg_unit:?}" "${enabled_record:?}"
setting=ztnet:restoreFrom
pin "$data" || refuse "ztnet:dataDir $data is not a root-owned directory closed to others (the data-dirs step makes it so)"
marker="./$marker_name"
if [ -L "$marker" ] || [ ! -f "$marker" ] || [ "$(stat -c %u -- "$marker")" != 0 ]; then refuse "$data/$marker_name is not this stack's marker: run pulumi up again after data-dirs"; fi
done_from=$(value "$marker" restored-from | tail -n 1)
pending_from=$(value "$marker" restore-pending | tail -n 1)
# set_record KEY=VALUE...: the marker with every restore line replaced, renamed into place in the
# pinned DATA (only root names entries there; the same temporary name data-dirs clears).
set_record() {
  local tmp="./$marker_name.new"
  { grep -vE '^(restore-pending|restored-from|restored-controller)=' "$marker" || true; printf '%s\n' "$@"; } > "$tmp"
  chmod 0644 "$tmp"
  mv -fT -- "$tmp" "$marker"
}
if [ -n "$done_from" ]; then
  if [ "$done_from" = "$source" ]; then echo "ztnet-infra: $data was restored from $source: nothing to do"; exit 0; fi
  refuse "$setting is $source, but $data was restored from $done_from and holds ZTNet's data since: a restore goes only onto a new data directory and never overwrites. Fix: pulumi config set $setting $done_from (or pulumi config rm $setting, which changes nothing on the host); to restore another backup, give the stack a new ztnet:dataDir"
fi
if [ -n "$pending_from" ] && [ "$pending_from" != "$source" ]; then
  refuse "$setting is $source, but a restore from $pending_from into $data was cut off: finish it first (pulumi config set $setting $pending_from and pulumi up), or purge the data directory (pulumi destroy with ztnet:retainDataOnDestroy false) and start again"
fi
if [ -n "$pending_from" ]; then
  # Finished only if nothing started on the half-restored directory since: enable-units writes its
  # record (in the account's home) each time it starts the pod, so one newer than the pending
  # record means ZTNet and ZeroTier ran on it (the setting was removed and applied meanwhile).
  started=$(as_user stat -c %Y -- "$(getent passwd "$service_user" | cut -d: -f6)/$enabled_record" 2> /dev/null || true)
  if [ -n "$started" ] && [ "$started" -ge "$(stat -c %Y -- "$marker")" ]; then
    refuse "$setting is $source, and a restore of it into $data was cut off, but the pod has been started on that half-restored directory since (enable-units ran): finishing it now would overwrite what ZTNet and ZeroTier wrote since. Fix: purge the data directory (pulumi config set ztnet:retainDataOnDestroy false, pulumi up, pulumi destroy) or give the stack a new, empty ztnet:dataDir, then pulumi up again"
  fi
else
  # New means empty, asked of the service user (the directories are its own).
  held=$(as_user find "$controller_dir" "$data/postgres-data" "$ztnet_backups" -mindepth 1 -maxdepth 1 -print -quit 2>&1) || refuse "$setting: cannot read $controller_dir, $data/postgres-data and $ztnet_backups as $service_user: $held"
  if [ -n "$held" ]; then
    refuse "$setting is $source, but $data already holds data ($held): a restore never overwrites a data directory. Fix: pulumi config rm $setting to keep this data; or give the stack a new, empty ztnet:dataDir for the restore"
  fi
fi
if [ -L "$stage" ] || link_in_path "$(dirname "$stage")" > /dev/null; then refuse "$stage or a directory on its way is a symbolic link: remove it"; fi
install -d -m 0755 -o root -g root "$(dirname "$stage")"
rm -rf --one-file-system -- "$stage"
install -d -m 0700 -o root -g root "$stage" "$stage/x"
# shellcheck disable=SC2064 # the path is fixed now
trap "rm -rf --one-file-system -- '$stage'" EXIT
archive="$stage/archive"

# 2. The archive.
if [ "$kind" = restic ]; then
  if [ -z "$repository" ]; then refuse "$setting is $source but ztnet:backupRepository is not set"; fi
  restic_env "$secrets_dir"
  if [ "$snapshot" = latest ]; then args=(--tag ztnet-infra); else args=("$snapshot"); fi
  if ! listing=$(restic_run snapshots --json "${args[@]}" 2>&1); then
    printf '%s\n' "$listing" | sed 's/^/  restic: /' >&2
    refuse "$setting: restic cannot list $source in $repository (restic's words above): check ztnet:backupRepository, its password and ztnet:backupRepositoryEnvironment"
  fi
  # "PATH ID" for each ztnet-infra archive listed ("paths" comes before "id" in restic's JSON of a
  # snapshot); the newest is the greatest name (the names carry the UTC time the backup was made).
  pairs=$(grep -oE '"paths":\["/ztnet-backup-[0-9]{8}T[0-9]{6}Z[.]tar"\]|"id":"[0-9a-f]{64}"' <<< "$listing" \
    | sed -E 's/^"paths":\["(.*)"\]$/P \1/; s/^"id":"(.*)"$/I \1/' | awk '$1 == "P" { p = $2 } $1 == "I" { if (p != "") print p, $2; p = "" }' | LC_ALL=C sort)
  if [ -z "$pairs" ]; then refuse "$setting: $repository holds no ztnet-infra backup${snapshot/#latest/} (restic snapshots --tag ztnet-infra lists them)"; fi
  if [ "$snapshot" != latest ] && [ "$(wc -l <<< "$pairs")" -ne 1 ]; then refuse "$setting: the snapshot ID $snapshot matches more than one snapshot: give more of its digits"; fi
  read -r path id <<< "$(tail -n 1 <<< "$pairs")"
  if ! err=$(restic_run dump "$id" "$path" 2>&1 > "$archive"); then
    printf '%s\n' "$err" | sed 's/^/  restic: /' >&2
    refuse "$setting: restic could not read $path from the snapshot ${id:0:8} (above)"
  fi
  echo "ztnet-infra: read ${path#/} from the snapshot ${id:0:8} of $repository"
elif [ "$kind" = upload ]; then
  # Sent by the SSH login into its own 0700 inbox in root's state directory (restore-inbox): read
  # only if the inbox and the file are still that login's or root's, and neither is a link.
  inbox=$(dirname "$archive_path")
  login=${SUDO_USER:-root}
  sent="$(basename "$inbox")/$(basename "$archive_path")"
  pin "$(dirname "$inbox")" || refuse "$setting: $(dirname "$inbox") is not a root-owned directory closed to others"
  if [ -L "./${sent%/*}" ] || [ ! -d "./${sent%/*}" ]; then refuse "$setting: $inbox is missing or not a directory: run pulumi up again (the restore-inbox step makes it)"; fi
  read -r owner mode <<< "$(stat -c '%U %a' -- "./${sent%/*}")"
  if { [ "$owner" != root ] && [ "$owner" != "$login" ]; } || [ "$mode" != 700 ]; then refuse "$setting: $inbox is $owner's with mode $mode, not the SSH login's ($login) with 0700: run pulumi up again (the restore-inbox step sets it)"; fi
  if [ -L "./$sent" ] || [ ! -f "./$sent" ]; then refuse "$setting: $archive_path, the archive sent from the workstation, is missing or not a file: run pulumi up again"; fi
  if [ "$(stat -c %U -- "./$sent")" != "$owner" ] && [ "$(stat -c %U -- "./$sent")" != root ]; then refuse "$setting: $archive_path is not the SSH login's: remove it and run pulumi up again"; fi
  cat < "./$sent" > "$archive"
  # Back to DATA: the record is written there by relative name.
  pin "$data" || refuse "ztnet:dataDir $data changed under the step"
else
  # Root reads the file only where no one else could have swapped it.
  if link=$(link_in_path "$archive_path"); then refuse "$setting: $archive_path goes through the symbolic link $link: name the real file"; fi
  if open=$(open_to_others "$archive_path"); then refuse "$setting: $archive_path lies under $open, which another user can change: put the archive in a root-owned directory closed to others (sudo install -m 0600 FILE /root/)"; fi
  if [ ! -f "$archive_path" ]; then refuse "$setting: $archive_path is not a file on this server (copy the archive there first: scp FILE root@SERVER:$archive_path)"; fi
  if [ "$(stat -c %u -- "$archive_path")" != 0 ] || [ $((8#$(stat -c %a -- "$archive_path") & 8#022)) != 0 ]; then
    refuse "$setting: $archive_path must be root's and writable by root only (sudo chown root: $archive_path && sudo chmod 0600 $archive_path)"
  fi
  cat -- "$archive_path" > "$archive"
fi

# 3. What it is. members ARCHIVE [z]: "TYPE NAME" a line (TYPE the first letter of ls -l).
members() { tar "-t${2:-}vf" "$1" | awk '{ t = substr($1, 1, 1); n = $0; for (i = 0; i < 5; i++) sub(/^[^ ]+ +/, "", n); print t " " n }'; }
regular() { grep -qxF -- "- $2" <<< "$1" && [ "$(grep -cE -- " (\./)?${2//./[.]}( |$)" <<< "$1")" = 1 ]; }
sum_of() { sed -n "s/.*\"path\": \"$1\", \"sha256\": \"\\([0-9a-f]\\{64\\}\\)\".*/\\1/p" "$stage/x/manifest.json"; }
format="" prefix="" strip=1
if list=$(members "$archive" 2> /dev/null) && regular "$list" manifest.json && regular "$list" database.dump && regular "$list" zerotier.tar; then
  format=ztnet-infra
elif list=$(members "$archive" z 2> /dev/null); then
  # ZTNet packs its staging directory with `tar -czf NAME .` (adminRoute.ts createBackup): ./ names.
  if regular "$list" ./backup_metadata.json && regular "$list" ./database_dump.sql; then format=ztnet prefix=./ strip=2
  elif regular "$list" backup_metadata.json && regular "$list" database_dump.sql; then format=ztnet
  fi
fi
case "$format" in
  ztnet-infra)
    tar -xf "$archive" -C "$stage/x" --no-same-owner --no-same-permissions -- manifest.json database.dump zerotier.tar
    if ! grep -q '"format": "ztnet-infra-backup/1"' "$stage/x/manifest.json"; then refuse "$setting: $source has a manifest.json that is not of the format ztnet-infra-backup/1: nothing was changed"; fi
    files=(database.dump zerotier.tar)
    # ZTNet's own backups: in every archive made since they are kept (the manifest lists them), then
    # checked like the rest; an older archive has none.
    if [ -n "$(sum_of ztnet-backups.tar)" ]; then
      regular "$list" ztnet-backups.tar || refuse "$setting: $source is damaged: its manifest lists ztnet-backups.tar, which it does not hold as a file: nothing was changed"
      tar -xf "$archive" -C "$stage/x" --no-same-owner --no-same-permissions -- ztnet-backups.tar
      files+=(ztnet-backups.tar)
    fi
    for f in "${files[@]}"; do
      want=$(sum_of "$f")
      if [ -z "$want" ] || [ "$(sha256sum < "$stage/x/$f" | cut -d' ' -f1)" != "$want" ]; then refuse "$setting: $source is damaged: its $f does not match the sha256 in its manifest: nothing was changed"; fi
    done
    if ! tar -tf "$stage/x/zerotier.tar" | grep -qxE '(\./)?identity\.secret'; then refuse "$setting: $source holds no controller identity (zerotier.tar has no identity.secret): nothing was changed"; fi
    controller=$(sed -n 's/.*"controller": "\([0-9a-f]\{10\}\)".*/\1/p' "$stage/x/manifest.json")
    dump=database.dump ;;
  ztnet)
    for f in zerotier/identity.secret zerotier/identity.public; do
      regular "$list" "$prefix$f" || refuse "$setting: $source is ZTNet's admin backup without the controller's $f (one made with \"include ZeroTier\" off cannot keep your networks): nothing was changed"
    done
    tar -xzf "$archive" -C "$stage/x" --no-same-owner --no-same-permissions -- "${prefix}database_dump.sql" "${prefix}zerotier/identity.public"
    controller=$(head -c 10 -- "$stage/x/${prefix}zerotier/identity.public")
    dump=database_dump.sql ;;
  *)
    refuse "$setting: $source is neither a ztnet-infra backup (a .tar with manifest.json, database.dump and zerotier.tar) nor ZTNet's admin backup (a .tar.gz with backup_metadata.json, database_dump.sql and zerotier/), or it is damaged: nothing was changed" ;;
esac
if ! [[ $controller =~ ^[0-9a-f]{10}$ ]]; then refuse "$setting: $source does not say which controller it holds (no 10-digit node address): nothing was changed"; fi
echo "ztnet-infra: $source is a $format backup of the controller $controller"

# 4. Recorded, then restored.
if [ -z "$pending_from" ]; then set_record "restore-pending=$source"; fi
as_user rm -rf -- "$user_stage"
as_user mkdir -m 0700 -- "$user_stage"
as_user tee -- "$user_stage/$dump" < "$stage/x/$dump" > /dev/null
if [ "$format" = ztnet-infra ]; then
  as_user tee -- "$user_stage/zerotier.tar" < "$stage/x/zerotier.tar" > /dev/null
  if [ -f "$stage/x/ztnet-backups.tar" ]; then as_user tee -- "$user_stage/ztnet-backups.tar" < "$stage/x/ztnet-backups.tar" > /dev/null; fi
else
  as_user tee -- "$user_stage/archive.tar.gz" < "$archive" > /dev/null
fi
as_user bash -c "set -euo pipefail; $(declare -p format controller_dir ztnet_backups user_stage pg_container pg_unit dump prefix strip); $(declare -f pg_wait_tcp pg_hba_close session_start superuser_sql ztnet_role_sql ztnet_schema_sql restore_controller restore_database); restore_controller; restore_database" restore
as_user rm -rf -- "$user_stage"
set_record "restored-from=$source" "restored-controller=$controller"
if [ "$kind" = upload ]; then
  # The archive holds the controller's secret identity: no copy of it stays in the inbox.
  rm -f -- "$archive_path"
fi
echo "ztnet-infra: restored $source into $data: the controller $controller with its networks, and ZTNet's database, owned by its role; ZTNet migrates it at its first start"
