#!/usr/bin/env bash
# podman-socket, create (service user): the service user's podman API socket (for `podman --remote` checks).
systemctl --user enable --now podman.socket
