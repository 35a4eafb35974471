#!/usr/bin/env bash
# auto-update, delete (service user): stops podman auto-update.
systemctl --user disable --now podman-auto-update.timer 2>/dev/null || true
