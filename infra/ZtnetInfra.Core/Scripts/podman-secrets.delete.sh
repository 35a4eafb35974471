#!/usr/bin/env bash
# podman-secrets, delete (service user): removes the two podman secrets and the digest of them.
# Inputs: postgres_secret, auth_secret_name (the podman secrets' names).
: "${postgres_secret:?}" "${auth_secret_name:?}"
for s in "$postgres_secret" "$auth_secret_name"; do
  if podman secret inspect "$s" >/dev/null 2>&1; then podman secret rm "$s" >/dev/null; fi
done
rm -f "$HOME/.config/ztnet-infra/secrets.sha256"
