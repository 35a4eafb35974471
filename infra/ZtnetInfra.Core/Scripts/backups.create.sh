#!/usr/bin/env bash
# backups, create (root): installs the backup program and its system units, with the restic
# repository's password and environment (from standard input, root-only files), opens or
# initialises the repository, and enables the timers that are asked for (a timer no longer asked
# for is disabled and its file removed). Every file and directory it makes is listed in a
# root-owned record before it is made; a file of the same name that the stack did not make is
# refused, nothing changed. The schedules are parsed by this host's systemd before anything is
# written.
# Inputs: state, files_record (the record), program_dir, program (its path), program_text,
# unit_dir, service, service_text, timer, timer_text (empty: no timer), check_service,
# check_service_text, check_timer, check_timer_text (empty: none), auto_update_service,
# auto_update_service_text, auto_update_timer, auto_update_timer_text (empty: no ztnet:autoUpdate),
# schedule, check_schedule (empty: none), repository (empty: none), secrets_dir, environment_set (0/1).
# uses: ownership.sh write-file.sh restic.sh
: "${state:?}" "${files_record:?}" "${program_dir:?}" "${program:?}" "${program_text:?}" "${unit_dir:?}" "${service:?}" "${service_text:?}" "${timer:?}" "${timer_text?}" "${check_service:?}" "${check_service_text?}" "${check_timer:?}" "${check_timer_text?}" "${auto_update_service:?}" "${auto_update_service_text?}" "${auto_update_timer:?}" "${auto_update_timer_text?}" "${schedule?}" "${check_schedule?}" "${repository?}" "${secrets_dir:?}" "${environment_set:?}"
for spec in "ztnet:backupSchedule=$schedule" "ztnet:backupCheckSchedule=$check_schedule"; do
  value=${spec#*=}
  if [ -n "$value" ] && ! systemd-analyze calendar -- "$value" > /dev/null 2>&1; then
    refuse "${spec%%=*} is \"$value\", which this host's systemd cannot parse as an OnCalendar= expression (systemd-analyze calendar): nothing was changed"
  fi
done
if [ -n "$repository" ] && ! command -v restic > /dev/null; then
  refuse "ztnet:backupRepository is set but restic is not installed (the host-packages step installs it): nothing was changed"
fi
# A repository on this host's own disks is written by root's restic: it must lie where only root
# can change the way to it (no link on the way, no ancestor another user can write), or the
# service user could steer root's writes elsewhere.
case "$repository" in
  /* | local:/*)
    local_repo=${repository#local:}
    if link=$(link_in_path "$local_repo"); then refuse "ztnet:backupRepository ($local_repo) goes through the symbolic link $link: nothing was changed. Name the real directory"; fi
    if open=$(open_to_others "$local_repo/repository"); then refuse "ztnet:backupRepository ($local_repo) lies under $open, which another user can change: root's restic writes there. Use a directory whose every ancestor is root's and closed to others (sudo install -d -m 0700 $local_repo under /srv or /mnt): nothing was changed"; fi ;;
esac
if [ -L "$state" ] || [ -L "$files_record" ]; then refuse "$state or $files_record is a symbolic link: the stack keeps its records in a real root-owned directory; remove the link"; fi
install -d -m 0755 -o root -g root "$state"
touch "$files_record"
chmod 0644 "$files_record"
ours() { grep -qxF -- "$1" "$files_record"; }
# Each path with the text it should hold; an empty text: the file is not wanted.
paths=("$program" "$unit_dir/$service" "$unit_dir/$timer" "$unit_dir/$check_service" "$unit_dir/$check_timer" "$unit_dir/$auto_update_service" "$unit_dir/$auto_update_timer")
texts=("$program_text" "$service_text" "$timer_text" "$check_service_text" "$check_timer_text" "$auto_update_service_text" "$auto_update_timer_text")
for p in "${paths[@]}" "$program_dir" "$secrets_dir" "$secrets_dir/restic-password" "$secrets_dir/restic-environment"; do
  if { [ -e "$p" ] || [ -L "$p" ]; } && ! ours "$p"; then
    refuse "$p exists and the stack did not make it (it is not in $files_record): nothing was changed. The backups use this name whatever the settings: move it away, then run pulumi up again"
  fi
done
if link=$(link_in_path "$program_dir") || link=$(link_in_path "$secrets_dir") || link=$(link_in_path "$unit_dir"); then
  refuse "$link is a symbolic link on the way to a directory the backups write as root: nothing was changed"
fi
record_and_make_dir() {
  if [ ! -d "$1" ]; then
    ours "$1" || printf '%s\n' "$1" >> "$files_record"
    install -d -m "$2" -o root -g root "$1"
  fi
}
record_and_make_dir "$program_dir" 0755
reload=0
for i in "${!paths[@]}"; do
  p=${paths[$i]}
  if [ -n "${texts[$i]}" ]; then
    ours "$p" || printf '%s\n' "$p" >> "$files_record"
    write_file "$p" 0644 "${texts[$i]}"
    if [ "$changed" = 1 ]; then reload=1; fi
  elif [ -e "$p" ]; then
    unit=${p##*/}
    if [ "$p" != "$program" ]; then systemctl disable --now "$unit" 2> /dev/null || true; fi
    rm -f -- "$p"
    reload=1
  fi
done
if [ "$reload" = 1 ]; then systemctl daemon-reload; fi
# The repository's secrets: from standard input (password on the first line, then the
# environment lines), into root-only files; without a repository, the files the stack wrote go.
if [ -n "$repository" ]; then
  IFS= read -r password || true
  if [ -z "$password" ]; then refuse "ztnet:backupRepositoryPassword did not arrive on standard input"; fi
  environment=""
  if [ "$environment_set" = 1 ]; then environment=$(cat); fi
  record_and_make_dir "$secrets_dir" 0700
  chmod 0700 "$secrets_dir"
  for f in restic-password restic-environment; do ours "$secrets_dir/$f" || printf '%s\n' "$secrets_dir/$f" >> "$files_record"; done
  ( umask 077; write_file "$secrets_dir/restic-password" 0600 "$password"$'\n'; write_file "$secrets_dir/restic-environment" 0600 "$environment"${environment:+$'\n'} )
  unset password environment
  restic_env "$secrets_dir"
  # An existing repository opens with this password; a missing one is initialised. restic's exit
  # codes for "no repository" and "wrong password" (10, 12) are 0.17's; Ubuntu 24.04 has 0.16, so
  # an open that fails is followed by an init, which fails on an existing repository.
  if opened=$(restic_run cat config 2>&1 > /dev/null); then
    echo "ztnet-infra: the restic repository $repository opens with ztnet:backupRepositoryPassword"
  elif initialised=$(restic_run init 2>&1 > /dev/null); then
    echo "ztnet-infra: initialised the restic repository $repository"
  else
    printf '%s\n' "$opened" "$initialised" | sed 's/^/  restic: /' >&2
    refuse "the restic repository $repository neither opens nor can be initialised: check ztnet:backupRepository, ztnet:backupRepositoryPassword and the backend credentials in ztnet:backupRepositoryEnvironment (restic's words above)"
  fi
else
  for f in "$secrets_dir/restic-password" "$secrets_dir/restic-environment"; do
    if ours "$f" && [ -e "$f" ]; then rm -f -- "$f"; fi
  done
  if ours "$secrets_dir" && [ -d "$secrets_dir" ]; then rmdir -- "$secrets_dir" 2> /dev/null || true; fi
fi
# A changed schedule takes effect at once: a running timer is restarted (seen on the VM: after a
# daemon-reload alone it showed no next trigger). The timers are enabled in one call: each
# `systemctl enable` reloads the manager (systemd src/systemctl/systemctl-enable.c, verb_enable).
timers=()
for t in "$timer" "$check_timer" "$auto_update_timer"; do
  if [ -e "$unit_dir/$t" ]; then timers+=("$t"); fi
done
if [ "${#timers[@]}" -gt 0 ]; then
  systemctl enable --now "${timers[@]}" > /dev/null 2>&1 || systemctl enable --now "${timers[@]}"
  if [ "$reload" = 1 ]; then systemctl restart "${timers[@]}"; fi
fi
echo "ztnet-infra: backups ${schedule:+on $schedule }into the data directory's backups/${repository:+, copied to $repository}; take one now: sudo systemctl start $service"
if [ -n "$auto_update_timer_text" ]; then echo "ztnet-infra: $auto_update_timer runs podman auto-update daily, each time after a backup"; fi
