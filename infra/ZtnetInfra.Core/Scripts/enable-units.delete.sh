#!/usr/bin/env bash
# enable-units, delete (service user): stops and disables the pod and its containers.
# Inputs: units (array: the pod's unit, then one per container).
: "${units[0]:?}"
systemctl --user disable --now "${units[@]}" 2>/dev/null || true
