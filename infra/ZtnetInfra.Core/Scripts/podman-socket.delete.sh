#!/usr/bin/env bash
# podman-socket, delete (service user): stops the podman API socket.
systemctl --user disable --now podman.socket 2>/dev/null || true
