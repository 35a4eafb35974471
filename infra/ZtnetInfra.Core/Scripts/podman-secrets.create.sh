#!/usr/bin/env bash
# podman-secrets, create and update (service user): the podman secrets for the database password
# and ZTNet's auth secret, from standard input (never argv). A digest of the values (never the
# values) tells a re-run with the same secrets (any input change re-runs a step, the SSH connection
# included) from a rotation. A rotation restarts nothing here: the database-password step puts the
# new password into effect first, then restarts ZTNet.
# Inputs: postgres_secret, auth_secret_name (the podman secrets' names), min_password_length,
# min_auth_secret_length (SecretRules); stdin: the database password, then the auth secret.
# uses: read-secrets.sh
: "${postgres_secret:?}" "${auth_secret_name:?}" "${min_password_length:?}" "${min_auth_secret_length:?}"
read_secrets "$min_password_length" "$min_auth_secret_length"
digest_file="$HOME/.config/ztnet-infra/secrets.sha256"
digest=$(printf '%s\n%s\n' "$pg_password" "$auth_secret" | sha256sum | cut -d' ' -f1)
if [ -f "$digest_file" ] && [ "$(cat "$digest_file")" = "$digest" ] \
  && podman secret inspect "$postgres_secret" >/dev/null 2>&1 && podman secret inspect "$auth_secret_name" >/dev/null 2>&1; then
  echo "ztnet-infra: podman secrets unchanged"
  exit 0
fi
# `secret create --replace` of a secret that does not exist fails on Podman 4.7 to 5.0
# ("deleting secret : : no secret data with ID": containers/common pkg/secrets/secrets.go
# Store deletes the empty ID of the missing secret). So --replace only for one that
# exists; a new one is created plainly. The value goes through printf, a builtin, never argv.
store_secret() {
  if podman secret inspect "$1" >/dev/null 2>&1; then
    printf '%s' "$2" | podman secret create --replace "$1" - >/dev/null
  else
    printf '%s' "$2" | podman secret create "$1" - >/dev/null
  fi
}
store_secret "$postgres_secret" "$pg_password"
store_secret "$auth_secret_name" "$auth_secret"
install -d -m 0700 "$(dirname "$digest_file")"
printf '%s\n' "$digest" > "$digest_file"
echo "ztnet-infra: podman secrets stored"
