#!/bin/sh
# Launcher, first part (POSIX sh: the login shell may be dash). Every step's command is a prelude,
# then this file, then root.sh or service-user.sh. The body travels as an argument, never a
# secret; the standard input (the secrets) passes through untouched.
# Inputs: ztnet_script (the step's bash body), ztnet_step (its name), ztnet_path (the PATH it runs with).
: "${ztnet_script:?}" "${ztnet_step:?}" "${ztnet_path:?}"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n -- "$@"; fi; }
# A sudo that wants a password fails here at once, with its own words, not after a wait that blames something else.
if [ "$(id -u)" -ne 0 ] && ! ztnet_sudo=$(sudo -n true 2>&1); then
  echo "ztnet-infra: the SSH login $(id -un) (ztnet:sshUser) cannot become root without a password; sudo -n said: $ztnet_sudo" >&2
  echo "ztnet-infra: fix: log in as root (pulumi config set ztnet:sshUser root), or give $(id -un) passwordless sudo (a line '$(id -un) ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/ztnet-infra)" >&2
  exit 1
fi
# A step runs under its own lock (flock, util-linux). Without a terminal nothing signals a command
# whose SSH session dropped (Ctrl-C, a sleeping laptop): it runs on until it ends or next writes.
# The next `pulumi up` runs that step again at once; the lock makes it wait for the first to end,
# so two runs of one step never interleave. flock says 75 when the wait is over.
ztnet_lock_wait=900
ztnet_locked() {
  if [ "$1" -eq 75 ]; then
    echo "ztnet-infra: step $ztnet_step: an earlier run of this step has held its lock $2 for $ztnet_lock_wait s (an interrupted pulumi up whose command still runs on the host?); see: ps -ef | grep -F 'ztnet-infra step'" >&2
  fi
  exit "$1"
}
