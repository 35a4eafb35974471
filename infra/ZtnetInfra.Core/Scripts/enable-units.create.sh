#!/usr/bin/env bash
# enable-units, create (service user): enables the pod and its containers at boot (linger) and
# starts them now.
# Inputs: units (array: the pod's unit, then one per container).
: "${units[0]:?}"
systemctl --user daemon-reload
systemctl --user enable "${units[@]}"
systemctl --user start "${units[@]}"
systemctl --user is-active "${units[@]}" || true
