#!/usr/bin/env bash
# unit-*, create (service user): writes one unit file into the user's systemd directory, and for
# Caddy its configuration file too; when either text changed, reloads the user manager and
# restarts that unit if it runs (an edit takes effect, nothing else moves).
# Inputs: unit_name, unit_text (the unit file), config_file, config_text (a configuration file
# written beside the unit, or both empty).
# uses: write-file.sh
: "${unit_name:?}" "${unit_text:?}" "${config_file?}" "${config_text?}"
changed=0
config_changed=0
if [ -n "$config_file" ]; then
  write_file "$config_file" 0644 "$config_text"
  config_changed=$changed
fi
write_file "$HOME/.config/systemd/user/$unit_name" 0644 "$unit_text"
if [ "$config_changed" -eq 1 ]; then changed=1; fi
if [ "$changed" -eq 1 ]; then
  systemctl --user daemon-reload
  systemctl --user try-restart "$unit_name"
  echo "ztnet-infra: $unit_name written"
else
  echo "ztnet-infra: $unit_name unchanged"
fi
