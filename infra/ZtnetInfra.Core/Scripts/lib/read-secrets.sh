#!/usr/bin/env bash
# Library: read_secrets reads the step's standard input, one secret a line, in the order the plan
# lists them (PlanSecret): the database password into pg_password, ZTNet's auth secret into
# auth_secret, and refuses values that would break ZTNet (SecretRules in the core: letters and
# digits only, since ZTNet pastes the password into its database URL unencoded; minimum lengths).
# Usage: read_secrets MIN_PASSWORD_LENGTH MIN_AUTH_SECRET_LENGTH.
# shellcheck disable=SC2034 # pg_password and auth_secret are read by the caller
read_secrets() {
  local min_password_length=$1 min_auth_secret_length=$2
  IFS= read -r pg_password || true
  case "$pg_password" in
    '') echo "ztnet-infra: the database password did not arrive on standard input" >&2; exit 1 ;;
    *[!A-Za-z0-9]*) echo "ztnet-infra: ztnet:postgresPassword must hold letters and digits only: ZTNet puts it into a URL unencoded" >&2; exit 1 ;;
  esac
  if [ "${#pg_password}" -lt "$min_password_length" ]; then echo "ztnet-infra: ztnet:postgresPassword must be at least $min_password_length characters" >&2; exit 1; fi
  IFS= read -r auth_secret || true
  if [ "${#auth_secret}" -lt "$min_auth_secret_length" ]; then echo "ztnet-infra: ztnet:authSecret must be at least $min_auth_secret_length characters" >&2; exit 1; fi
}
