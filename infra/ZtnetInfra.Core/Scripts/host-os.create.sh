#!/usr/bin/env bash
# host-os, create (root): the host must be Debian or Ubuntu on amd64 or arm64, with systemd as
# init and cgroup v2; anything else fails with what to use instead.
# Inputs: minimum_podman (the oldest podman the stack supports, HostRequirements).
: "${minimum_podman:?}"
if [ ! -r /etc/os-release ]; then
  echo "ztnet-infra: /etc/os-release is missing: this host is not Debian or Ubuntu" >&2; exit 1
fi
# shellcheck disable=SC1091
. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
  *" debian "*|*" ubuntu "*) ;;
  *) echo "ztnet-infra: ${PRETTY_NAME:-this OS} is not supported: use Ubuntu 24.04 or newer, or Debian 13 or newer (podman $minimum_podman or newer)" >&2; exit 1 ;;
esac
arch=$(dpkg --print-architecture)
case "$arch" in
  amd64|arm64) ;;
  *) echo "ztnet-infra: the $arch architecture is not supported: the images are published for amd64 and arm64" >&2; exit 1 ;;
esac
if [ ! -d /run/systemd/system ]; then
  echo "ztnet-infra: systemd is not the init system here; rootless units need it" >&2; exit 1
fi
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
  echo "ztnet-infra: /sys/fs/cgroup is not cgroup v2: rootless podman under systemd needs the unified hierarchy (boot with systemd.unified_cgroup_hierarchy=1)" >&2; exit 1
fi
echo "ztnet-infra: ${PRETTY_NAME:-$ID} ($arch) with systemd and cgroup v2: supported"
