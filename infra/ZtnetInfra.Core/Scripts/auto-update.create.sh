#!/usr/bin/env bash
# auto-update, create (service user): the daily podman auto-update of the labelled containers,
# and a dry run that shows what it would update now.
systemctl --user enable --now podman-auto-update.timer
podman auto-update --dry-run || true
