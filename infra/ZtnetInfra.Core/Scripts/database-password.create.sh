#!/usr/bin/env bash
# database-password, create (service user): PostgreSQL requires the current password over TCP,
# ZTNet logs in with its own non-superuser role, and ZTNet restarts after a rotation.
# PostgreSQL reads its password only when it creates its data directory: a kept directory (a
# recreated stack) or a rotated password needs ALTER ROLE. A kept directory made by the official
# image's initdb trusts TCP logins from 127.0.0.1 (no -A): those lines become scram-sha-256. ZTNet
# gets its own role, owner of schema public in its database (which stays the superuser's) and of
# what an older stack's ZTNet made there as the superuser; the superuser loses its password, so
# only `podman exec` over the container's socket reaches it. Three transactions, in this order:
# the role (no login), its schema, its login and password: ZTNet (waiting for its login) never
# logs in before its schema is its own. Then ZTNet restarts if the secrets it runs with changed.
# The role names in the SQL are the stack's fixed ones (ServiceCatalogue: ZTNet's role and
# database ztnet, the image's superuser postgres; a Core test holds them equal).
# Inputs: pg_container, pg_unit (PostgreSQL's container and unit), ztnet_unit, min_password_length,
# min_auth_secret_length (SecretRules); stdin: the database password, then the auth secret.
# uses: read-secrets.sh database-roles.sh
: "${pg_container:?}" "${pg_unit:?}" "${ztnet_unit:?}" "${min_password_length:?}" "${min_auth_secret_length:?}"
read_secrets "$min_password_length" "$min_auth_secret_length"
if ! pg_wait_tcp; then
  echo "ztnet-infra: PostgreSQL did not become ready within 600 s; see: journalctl --user -u $pg_unit" >&2
  exit 1
fi
changed=$(pg_hba_close)
ztnet_role_sql | superuser_sql postgres
ztnet_schema_sql | superuser_sql ztnet
# 3. Back in the maintenance database: ZTNet's login and password, the superuser's password gone
# (only `podman exec` over the container's socket reaches it), the rewritten pg_hba.conf read.
{
  session_start
  printf "ALTER ROLE ztnet WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '%s';\n" "$pg_password"
  printf '%s\n' 'ALTER ROLE postgres WITH PASSWORD NULL;'
  if [ -n "$changed" ]; then printf '%s\n' 'SELECT pg_catalog.pg_reload_conf();'; fi
  printf '%s\n' 'COMMIT;'
} | superuser_sql postgres
if [ -n "$changed" ]; then echo "ztnet-infra: TCP logins to PostgreSQL now need the password (trust lines in pg_hba.conf replaced)"; fi
echo "ztnet-infra: database password in effect; ZTNet logs in as ztnet, owner of schema public in the database ztnet, not a superuser"
digest_file="$HOME/.config/ztnet-infra/secrets-in-effect.sha256"
digest=$(printf '%s\n%s\n' "$pg_password" "$auth_secret" | sha256sum | cut -d' ' -f1)
if [ -f "$digest_file" ] && [ "$(cat "$digest_file")" != "$digest" ]; then
  systemctl --user try-restart "$ztnet_unit"
  echo "ztnet-infra: ZTNet restarted with the new secrets"
fi
install -d -m 0700 "$(dirname "$digest_file")"
printf '%s\n' "$digest" > "$digest_file"
