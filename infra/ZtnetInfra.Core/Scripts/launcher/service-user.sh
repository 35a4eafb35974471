#!/bin/sh
# Launcher, last part for a service-user step: the body runs as the service user inside its
# systemd user manager (runuser, with that manager's runtime directory and bus). A create or
# update waits up to 90 s for the manager (linger starts it) and fails naming linger; a delete
# starts a stopped manager (user@.service is Type=notify: started means ready), or goes on without
# it, so that a destroy never gets stuck on it; a delete for a user that is gone has nothing to undo.
# Inputs: ztnet_script, ztnet_step, ztnet_path (see common.sh), ztnet_user (the service user),
# ztnet_kind (create, update or delete); as_root, ztnet_lock_wait and ztnet_locked from common.sh.
: "${ztnet_script:?}" "${ztnet_step:?}" "${ztnet_path:?}" "${ztnet_user:?}" "${ztnet_kind:?}"
if ! ztnet_uid=$(id -u "$ztnet_user" 2>/dev/null); then
  if [ "$ztnet_kind" = delete ]; then
    echo "ztnet-infra: user $ztnet_user is gone: nothing to undo"; exit 0
  fi
  echo "ztnet-infra: the service user $ztnet_user does not exist (the service-account step creates it)" >&2; exit 1
fi
ztnet_home=$(getent passwd "$ztnet_user")
ztnet_home=${ztnet_home#*:*:*:*:*:}
ztnet_home=${ztnet_home%%:*}
# /run/user/UID is private to that user: a sudo login must look through root's eyes.
# The unit must be active too: a stopped manager can leave its socket files behind
# (seen on the VM: "Connection refused" on a stale bus socket).
# One root command for the three checks: through sudo each costs a round of its own.
# shellcheck disable=SC2016 # $1 expands in the inner sh
ztnet_manager_up() { as_root sh -c 'systemctl is-active --quiet "user@$1.service" && test -S "/run/user/$1/bus" && test -S "/run/user/$1/systemd/private"' sh "$ztnet_uid"; }
ztnet_bus="unix:path=/run/user/$ztnet_uid/bus"
ztnet_runtime="/run/user/$ztnet_uid"
if [ "$ztnet_kind" = delete ]; then
  if ! ztnet_manager_up; then
    echo "ztnet-infra: the user manager of $ztnet_user is not running: starting user@$ztnet_uid.service for this delete" >&2
    if as_root systemctl start "user@$ztnet_uid.service"; then
      ztnet_wait=0
      while ! ztnet_manager_up && [ "$ztnet_wait" -lt 60 ]; do ztnet_wait=$((ztnet_wait + 1)); sleep 1; done
    fi
  fi
  if ! ztnet_manager_up; then
    echo "ztnet-infra: warning: no user manager for $ztnet_user: deleting with podman directly; its systemctl --user calls are skipped" >&2
    ztnet_bus=
    if ! as_root test -d "$ztnet_runtime"; then ztnet_runtime=; fi
  fi
else
  ztnet_wait=0
  while ! ztnet_manager_up; do
    ztnet_wait=$((ztnet_wait + 1))
    if [ "$ztnet_wait" -gt 90 ]; then
      echo "ztnet-infra: the systemd user manager of $ztnet_user is not running: is linger enabled (loginctl enable-linger $ztnet_user)? see: systemctl status user@$ztnet_uid.service" >&2; exit 1
    fi
    sleep 1
  done
fi
# One run of a step at a time (ztnet_lock_wait in common.sh): the lock is in the user's own runtime
# directory (none without one: a delete with no user manager runs unlocked).
# shellcheck disable=SC2154 # ztnet_lock_wait: common.sh
if [ -n "$ztnet_runtime" ]; then set -- flock -w "$ztnet_lock_wait" -E 75 "$ztnet_runtime/ztnet-infra-$ztnet_step.lock"; else set --; fi
cd /
ztnet_rc=0
as_root runuser -u "$ztnet_user" -- env -i HOME="$ztnet_home" USER="$ztnet_user" LOGNAME="$ztnet_user" LANG=C.UTF-8 \
  PATH="$ztnet_path" ${ztnet_runtime:+XDG_RUNTIME_DIR="$ztnet_runtime"} \
  ${ztnet_bus:+DBUS_SESSION_BUS_ADDRESS="$ztnet_bus"} \
  "$@" bash -c "$ztnet_script" "$ztnet_step" || ztnet_rc=$?
ztnet_locked "$ztnet_rc" "$ztnet_runtime/ztnet-infra-$ztnet_step.lock"
