#!/usr/bin/env bash
# host-packages, create (root): installs the packages that are missing, and only when the podman
# this host would get is new enough (the installed one, or apt-cache policy's candidate, checked
# before anything is installed);
# apt waits for the dpkg lock. No delete: podman and friends may serve other things on this host.
# Inputs: packages (array), minimum_podman (major.minor), apt_lock_seconds.
: "${packages[0]:?}" "${minimum_podman:?}" "${apt_lock_seconds:?}"
apt=(apt-get -q -o "DPkg::Lock::Timeout=$apt_lock_seconds")
# A Debian version such as 1:4.9.3+ds1-1ubuntu0.2: the epoch dropped, then major.minor.
new_enough() {
  local v=${1#*:} maj min want_maj=${minimum_podman%%.*} want_min=${minimum_podman#*.}
  maj=${v%%.*}; maj=${maj%%[!0-9]*}
  min=${v#*.}; min=${min%%[!0-9]*}
  [ -n "$maj" ] && [ -n "$min" ] || return 1
  [ "$maj" -gt "$want_maj" ] || { [ "$maj" -eq "$want_maj" ] && [ "$min" -ge "$want_min" ]; }
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${packages[@]}"; do
  if ! installed "$p"; then missing+=("$p"); fi
done
export DEBIAN_FRONTEND=noninteractive
# A podman already installed is the one the pod would use: too old, and nothing is installed
# beside it (Debian 12's 4.3 with passt missing, say).
if installed podman && ! new_enough "$(podman version --format '{{.Client.Version}}')"; then
  echo "ztnet-infra: the installed podman $(podman version --format '{{.Client.Version}}') is older than $minimum_podman: nothing was installed. Use Ubuntu 24.04 (podman 4.9.3) or Debian 13 (podman 5.4) or newer." >&2; exit 1
fi
if [ "${#missing[@]}" -gt 0 ]; then
  "${apt[@]}" update
  if ! installed podman; then
    candidate=$(apt-cache policy podman | sed -n 's/^ *Candidate: *//p')
    if [ -z "$candidate" ] || [ "$candidate" = '(none)' ]; then
      echo "ztnet-infra: this host's package sources offer no podman: nothing was installed" >&2; exit 1
    fi
    if ! new_enough "$candidate"; then
      echo "ztnet-infra: this host would install podman $candidate, older than $minimum_podman: nothing was installed. Use Ubuntu 24.04 (podman 4.9.3) or Debian 13 (podman 5.4) or newer." >&2; exit 1
    fi
  fi
  echo "ztnet-infra: installing ${missing[*]}"
  "${apt[@]}" install -y "${missing[@]}"
else
  echo "ztnet-infra: ${packages[*]} already installed"
fi
version=$(podman version --format '{{.Client.Version}}')
if ! new_enough "$version"; then
  echo "ztnet-infra: podman $version is too old: $minimum_podman or newer is needed (secret create --replace); Ubuntu 24.04 ships 4.9.3, Debian 13 ships 5.4" >&2; exit 1
fi
if ! command -v pasta >/dev/null; then
  echo "ztnet-infra: pasta (package passt) is missing after installation" >&2; exit 1
fi
echo "ztnet-infra: podman $version with pasta"
