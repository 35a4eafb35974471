#!/usr/bin/env bash
# enable-units, create (service user): enables the pod and its containers at boot (linger) and
# starts them now. Its record (a file in the home directory, written first) tells a unit step that
# writes its unit again after its own delete to enable and start it (Scripts/unit.create.sh).
# Inputs: units (array: the pod's unit, then one per container), enabled_record (relative to home).
: "${units[0]:?}" "${enabled_record:?}"
mkdir -p "$HOME/$(dirname "$enabled_record")"
printf 'enabled by ztnet-infra enable-units\n' > "$HOME/$enabled_record"
# enable reloads the manager after it links the units (systemd src/systemctl/systemctl-enable.c,
# verb_enable: "Try to reload if enabled", unless --no-reload), which loads the unit files the unit
# steps wrote: one reload for them all.
systemctl --user enable "${units[@]}"
systemctl --user start "${units[@]}"
systemctl --user is-active "${units[@]}" || true
