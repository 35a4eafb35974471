#!/usr/bin/env bash
# unit-*, delete (service user): stops, disables and removes one unit file (and the configuration
# file its create wrote), then the container it ran, or the pod for the pod's unit.
# Inputs: unit_name, config_file and root_file (or empty), container (the container's name, or
# empty for the pod's unit), pod_name.
: "${unit_name:?}" "${config_file?}" "${root_file?}" "${container?}" "${pod_name:?}"
systemctl --user disable --now "$unit_name" 2>/dev/null || true
rm -f "$HOME/.config/systemd/user/$unit_name"
systemctl --user daemon-reload || echo "ztnet-infra: warning: systemctl --user daemon-reload failed (no user manager?): the unit file is removed all the same" >&2
systemctl --user reset-failed "$unit_name" 2>/dev/null || true
if [ -n "$config_file" ]; then rm -f "$config_file"; fi
if [ -n "$root_file" ]; then rm -f "$root_file"; fi
if [ -n "$container" ]; then
  podman rm --force --ignore "$container" >/dev/null
else
  podman pod rm --force --ignore "$pod_name" >/dev/null
fi
