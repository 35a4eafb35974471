#!/usr/bin/env bash
# database-password, create (service user): PostgreSQL requires the current password over TCP,
# ZTNet logs in with its own non-superuser role, and ZTNet restarts after a rotation.
# PostgreSQL reads its password only when it creates its data directory: a kept directory (a
# recreated stack) or a rotated password needs ALTER ROLE. A kept directory made by the official
# image's initdb trusts TCP logins from 127.0.0.1 (no -A): those lines become scram-sha-256. ZTNet
# gets its own role, owner of its database and of what an older stack's ZTNet made there as the
# superuser; the superuser loses its password, so only `podman exec` over the container's socket
# reaches it. All in one transaction: ZTNet (waiting for its login) never sees the role without
# its database. Then ZTNet restarts if the secrets it runs with changed.
# The role names in the SQL are the stack's fixed ones (ServiceCatalogue: ZTNet's role and
# database ztnet, the image's superuser postgres; a Core test holds them equal).
# Inputs: pg_container, pg_unit (PostgreSQL's container and unit), ztnet_unit, min_password_length,
# min_auth_secret_length (SecretRules); stdin: the database password, then the auth secret.
# uses: read-secrets.sh
: "${pg_container:?}" "${pg_unit:?}" "${ztnet_unit:?}" "${min_password_length:?}" "${min_auth_secret_length:?}"
read_secrets "$min_password_length" "$min_auth_secret_length"
# Ready over TCP: the entrypoint's first-start server answers on the socket only, then shuts down
# (seen on the VM: "the database system is shutting down").
ready=0
for _ in $(seq 1 300); do
  if podman exec "$pg_container" pg_isready -q -h 127.0.0.1 -U postgres >/dev/null 2>&1; then ready=1; break; fi
  sleep 2
done
if [ "$ready" -ne 1 ]; then
  echo "ztnet-infra: PostgreSQL did not become ready within 600 s; see: journalctl --user -u $pg_unit" >&2
  exit 1
fi
# As the server's own user, so the rewritten file keeps its owner and mode.
changed=$(podman exec --user postgres "$pg_container" sh -c '
  f="$PGDATA/pg_hba.conf"
  if grep -Eq "^[[:space:]]*host.*[[:space:]]trust[[:space:]]*\$" "$f"; then
    sed -i -E "/^[[:space:]]*host/ s/[[:space:]]trust[[:space:]]*\$/ scram-sha-256/" "$f"
    echo 1
  fi')
# The statement that carries the password is kept out of the server log, even when it fails.
{
  printf '%s\n' 'SET log_statement = none;' 'SET log_min_error_statement = panic;' 'SET log_min_duration_statement = -1;'
  # ZTNet's role, when it is missing (no password yet: the next statement sets it).
  cat <<'SQL'
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ztnet') THEN CREATE ROLE ztnet; END IF; END $$;
SQL
  printf "ALTER ROLE ztnet WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '%s';\n" "$pg_password"
  # Once, while the database still belongs to the superuser (a new one, or one an older stack's
  # ZTNet used as postgres): ZTNet's role gets the tables, sequences and enum types in schema
  # public (what ZTNet's migrations make; a column's sequence follows its table), then the
  # database. Once the database is ZTNet's, nothing changes owner again: an object an
  # administrator later makes there as postgres stays theirs. Extension members stay.
  cat <<'SQL'
ALTER ROLE postgres WITH PASSWORD NULL;
DO $$ DECLARE r record; BEGIN
  IF (SELECT datdba FROM pg_database WHERE datname = current_database()) = 'ztnet'::regrole THEN RETURN; END IF;
  FOR r IN SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S')
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY c.relkind = 'S' LOOP
    IF (SELECT relowner FROM pg_class WHERE oid = r.oid) <> 'ztnet'::regrole THEN
      EXECUTE format(CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE %s' ELSE 'ALTER TABLE %s' END || ' OWNER TO ztnet', r.name);
    END IF;
  END LOOP;
  FOR r IN SELECT format('%I.%I', n.nspname, t.typname) AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype = 'e' AND t.typowner <> 'ztnet'::regrole
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ztnet', r.name);
  END LOOP;
  EXECUTE format('ALTER DATABASE %I OWNER TO ztnet', current_database());
END $$;
SQL
  if [ -n "$changed" ]; then printf '%s\n' 'SELECT pg_reload_conf();'; fi
} | podman exec -i "$pg_container" psql -q -X -1 -v ON_ERROR_STOP=1 -U postgres -d ztnet >/dev/null
if [ -n "$changed" ]; then echo "ztnet-infra: TCP logins to PostgreSQL now need the password (trust lines in pg_hba.conf replaced)"; fi
echo "ztnet-infra: database password in effect; ZTNet logs in as ztnet, owner of the database ztnet, not a superuser"
digest_file="$HOME/.config/ztnet-infra/secrets-in-effect.sha256"
digest=$(printf '%s\n%s\n' "$pg_password" "$auth_secret" | sha256sum | cut -d' ' -f1)
if [ -f "$digest_file" ] && [ "$(cat "$digest_file")" != "$digest" ]; then
  systemctl --user try-restart "$ztnet_unit"
  echo "ztnet-infra: ZTNet restarted with the new secrets"
fi
install -d -m 0700 "$(dirname "$digest_file")"
printf '%s\n' "$digest" > "$digest_file"
