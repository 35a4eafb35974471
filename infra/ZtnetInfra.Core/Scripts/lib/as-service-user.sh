#!/usr/bin/env bash
# Library: as_user CMD... runs CMD as the service user ($service_user), in its own systemd user
# manager's environment (XDG_RUNTIME_DIR, the session bus), with a clean environment, as the
# service-user steps run: root's scripts act inside that user's directories only through it, so
# a link or file planted there is opened with that user's rights, never root's. PATH is root's
# own (the launcher's, or systemd's default for a system unit): only root-owned directories.
# shellcheck disable=SC2154 # service_user: the caller's input
as_user() {
  local uid home
  uid=$(id -u -- "$service_user")
  home=$(getent passwd "$service_user" | cut -d: -f6)
  runuser -u "$service_user" -- env -i HOME="$home" USER="$service_user" LOGNAME="$service_user" LANG=C.UTF-8 \
    PATH="$PATH" XDG_RUNTIME_DIR="/run/user/$uid" \
    DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" "$@"
}
