#!/bin/sh
# Launcher, last part for a root step: the body runs as root (directly when the SSH login is
# root, else through sudo -n) with a fixed PATH and locale, from /.
# Inputs: ztnet_script, ztnet_step, ztnet_path (see common.sh); as_root from common.sh.
: "${ztnet_script:?}" "${ztnet_step:?}" "${ztnet_path:?}"
cd /
as_root env LANG=C.UTF-8 PATH="$ztnet_path" bash -c "$ztnet_script" "$ztnet_step"
