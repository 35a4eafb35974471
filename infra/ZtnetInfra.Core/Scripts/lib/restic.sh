#!/usr/bin/env bash
# Library: restic_env DIR exports the repository's credentials written by the backups step (DIR,
# root-only 0700): RESTIC_PASSWORD_FILE, and each NAME=value line of DIR/restic-environment
# (ztnet:backupRepositoryEnvironment) exported as it is, never evaluated (no word splitting, no
# expansion of the value). The values live only in this root process's environment (readable by
# root alone), never on a command line. `restic_run ARGS...` runs restic on $repository without a
# local cache (a small repository; no state left under root's home).
# shellcheck disable=SC2154 # repository: the caller's input
restic_env() {
  local dir=$1 line
  export RESTIC_PASSWORD_FILE="$dir/restic-password"
  if [ -f "$dir/restic-environment" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        '') ;;
        [A-Z_]*=*) export "${line?}" ;;
        *) echo "ztnet-infra: $dir/restic-environment holds a line that is not NAME=value (not shown); set ztnet:backupRepositoryEnvironment again" >&2; return 1 ;;
      esac
    done < "$dir/restic-environment"
  fi
}
restic_run() { restic --repo "$repository" --no-cache "$@"; }
