#!/usr/bin/env bash
# enable-units, delete (service user): stops and disables the pod and its containers.
# Its record goes first: a unit step written again after this no longer starts anything.
# Inputs: units (array: the pod's unit, then one per container), enabled_record (relative to home).
: "${units[0]:?}" "${enabled_record:?}"
rm -f -- "$HOME/$enabled_record"
systemctl --user disable --now "${units[@]}" 2>/dev/null || true
