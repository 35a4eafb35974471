#!/bin/sh
# Launcher, last part for a root step: the body runs as root (directly when the SSH login is
# root, else through sudo -n) with a fixed PATH and locale, from /.
# Inputs: ztnet_script, ztnet_step, ztnet_path (see common.sh); as_root, ztnet_lock_wait and
# ztnet_locked from common.sh.
: "${ztnet_script:?}" "${ztnet_step:?}" "${ztnet_path:?}"
# One run of a step at a time (ztnet_lock in common.sh): root's lock is in /run, where only root writes.
cd /
ztnet_rc=0
# shellcheck disable=SC2154 # ztnet_lock_wait: common.sh
as_root env LANG=C.UTF-8 PATH="$ztnet_path" flock -w "$ztnet_lock_wait" -E 75 "/run/ztnet-infra-$ztnet_step.lock" bash -c "$ztnet_script" "$ztnet_step" || ztnet_rc=$?
ztnet_locked "$ztnet_rc" "/run/ztnet-infra-$ztnet_step.lock"
