#!/usr/bin/env bash
# unit-*, create (service user): writes one unit file into the user's systemd directory, and for
# Caddy its configuration file too; when either text changed, reloads the user manager and
# restarts that unit if it runs (an edit takes effect, nothing else moves). Before enable-units has
# run (its record is missing), with the unit not running, it only writes: enable-units reloads the
# manager once for all. Written again after its own delete (`pulumi up --replace` of this step,
# the fix `ztnet-infra status` gives for a hand edit or a stopped unit) once enable-units has run
# (its record is there), the unit is enabled again and the pod's units are started, as
# enable-units left them.
# Inputs: unit_name, unit_text (the unit file), config_file, config_text (a configuration file
# written beside the unit, or both empty), root_file, root_text (for Caddy: the ACME CA's root
# certificates, written beside it; an empty root_text removes the file: the setting was taken
# out), units (array: every unit of the pod, in start order),
# enabled_record (enable-units' record, relative to the home directory).
# uses: write-file.sh
: "${unit_name:?}" "${unit_text:?}" "${config_file?}" "${config_text?}" "${root_file?}" "${root_text?}" "${units[0]:?}" "${enabled_record:?}"
changed=0
config_changed=0
if [ -n "$root_file" ]; then
  if [ -n "$root_text" ]; then
    write_file "$root_file" 0644 "$root_text"
    config_changed=$changed
  elif [ -e "$root_file" ] || [ -L "$root_file" ]; then
    rm -f "$root_file"
    config_changed=1
  fi
fi
if [ -n "$config_file" ]; then
  write_file "$config_file" 0644 "$config_text"
  if [ "$changed" -eq 1 ]; then config_changed=1; fi
fi
write_file "$HOME/.config/systemd/user/$unit_name" 0644 "$unit_text"
if [ "$config_changed" -eq 1 ]; then changed=1; fi
if [ "$changed" -eq 1 ] && [ ! -e "$HOME/$enabled_record" ] && ! systemctl --user is-active --quiet "$unit_name"; then
  # Nothing of the pod was started yet (a fresh host): the reload of enable-units' `systemctl
  # enable` loads every unit file at once, so this step does not reload the manager for each.
  # is-active covers an enable-units delete cut off between removing its record and stopping.
  echo "ztnet-infra: $unit_name written (enable-units loads and starts it)"
elif [ "$changed" -eq 1 ]; then
  systemctl --user daemon-reload
  if [ -e "$HOME/$enabled_record" ] && [ "$(systemctl --user is-enabled "$unit_name" 2>/dev/null || true)" != enabled ]; then
    systemctl --user enable "$unit_name"
    systemctl --user start "${units[@]}"
    echo "ztnet-infra: $unit_name written, enabled and started again"
  else
    systemctl --user try-restart "$unit_name"
    echo "ztnet-infra: $unit_name written"
  fi
else
  echo "ztnet-infra: $unit_name unchanged"
fi
