#!/usr/bin/env bash
# Library: PostgreSQL as ZTNet's stack sets it up, shared by database-password (every apply) and
# restore (a backup loaded before ZTNet's first start), run as the service user.
#   pg_wait_tcp            waits (bounded, about 600 s) until the server answers over TCP: the
#                          entrypoint's first-start server answers on the socket only, then shuts
#                          down (seen on the VM: "the database system is shutting down")
#   pg_hba_close           TCP lines whose method is trust become scram-sha-256; prints 1 if any did
#   session_start          the first statements of every superuser session (below)
#   superuser_sql DB       SQL on stdin, as the superuser over the container's socket
#   ztnet_role_sql         ZTNet's role, when missing, without login (1. below)
#   ztnet_schema_sql       ZTNet's role owns schema public in its database (2. below)
# Inputs: pg_container; pg_password (may be empty: only masked out of error messages).
# shellcheck disable=SC2154 # the inputs above
# The polling runs inside the container, once a second for up to a minute per podman exec: an exec
# costs seconds of CPU on a slow host, pg_isready a fraction of one. An exec that fails at once (the
# container is not there yet, or was started again) is tried again a second later.
pg_wait_tcp() {
  local deadline=$((SECONDS + 600))
  while [ "$SECONDS" -lt "$deadline" ]; do
    # shellcheck disable=SC2016 # expanded by the container's sh
    if podman exec "$pg_container" sh -c 'i=0; while [ "$i" -lt 60 ]; do pg_isready -q -h 127.0.0.1 -U postgres && exit 0; i=$((i + 1)); sleep 1; done; exit 1' >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}
# As the server's own user, so the rewritten file keeps its owner and mode. A host line whose
# method is trust (optionally followed by a comment: `# ...`, or `#` right after the word, which
# PostgreSQL's tokenizer also reads as a comment) becomes scram-sha-256, comment kept. Busybox
# sed/grep in the Alpine image: POSIX classes, -E groups and \1 only.
pg_hba_close() {
  podman exec --user postgres "$pg_container" sh -c '
  f="$PGDATA/pg_hba.conf"
  if grep -Eq "^[[:space:]]*host[^#]*[[:space:]]trust([[:space:]]*(#.*)?)\$" "$f"; then
    sed -i -E "/^[[:space:]]*host/ s/^([^#]*[[:space:]])trust([[:space:]]*(#.*)?)\$/\1scram-sha-256\2/" "$f"
    echo 1
  fi'
}
# The superuser's sessions trust nothing ZTNet's role made (CVE-2018-1058): settings a database or
# role carries (pg_db_role_setting) apply to every new session, the superuser's included, so each
# session first pins what matters (search_path to pg_catalog then pg_temp, so nothing in public is
# ever looked up; no role switch, which a database owner's `ALTER DATABASE ... SET role` makes in
# the superuser's session, seen on PostgreSQL 15; no timeouts; writable, against a
# default_transaction_read_only that would fail every rotation) and then refuses to go on while the
# database ztnet or the role ztnet carries any such setting. A role with a database's CREATE
# privilege or a schema of its own cannot make one for the database; ZTNet's role could when it
# owned the database (the previous layout), and it can for itself (ALTER ROLE ztnet SET ...).
# Catalog objects and functions are qualified; operators are not: with pg_catalog first in the
# path and public absent, an operator can come from pg_catalog only.
# The statement that carries the password is kept out of the server log, even when it fails.
session_start() {
  cat <<'SQL'
SET search_path = pg_catalog, pg_temp;
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET ROLE NONE;
SET default_transaction_read_only = off;
SET log_statement = none;
SET log_min_error_statement = panic;
SET log_min_duration_statement = -1;
BEGIN READ WRITE;
DO $$ DECLARE found text; BEGIN
  SELECT pg_catalog.string_agg(x.line, '; ' ORDER BY x.line) INTO found FROM (
    SELECT pg_catalog.regexp_replace(
        CASE WHEN s.setrole = 0 THEN 'ALTER DATABASE ztnet'
             WHEN s.setdatabase = 0 THEN pg_catalog.format('ALTER ROLE %I', r.rolname)
             ELSE pg_catalog.format('ALTER ROLE %I IN DATABASE %I', r.rolname, d.datname) END
        || ' SET ' || pg_catalog.split_part(c.setting, '=', 1), '[^[:print:]]', '?', 'g') AS line
      FROM pg_catalog.pg_db_role_setting s
      LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
      LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
      CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS c(setting)
      WHERE d.datname = 'ztnet' OR r.rolname = 'ztnet') x;
  IF found IS NOT NULL THEN
    RAISE EXCEPTION 'ztnet-infra: refusing to go on: settings this stack did not make apply to sessions in the database ztnet or of the role ztnet (ZTNet''s role can make some of them itself, and they can steer the superuser''s session): %. Check what made them, then remove each as the superuser, e.g. podman exec -i postgres psql -U postgres -d postgres -c ''ALTER DATABASE ztnet RESET ALL'' (or ALTER ROLE ztnet RESET ALL; ALTER ROLE ztnet IN DATABASE ztnet RESET ALL), and run the step again', found;
  END IF;
END $$;
SQL
}
# SQL on stdin, as the superuser over the container's socket, into DATABASE; a failure is reported
# in psql's terse form, the password (if a statement carried it) never.
superuser_sql() {
  local err
  if ! err=$(podman exec -i "$pg_container" psql -q -X -v ON_ERROR_STOP=1 -v VERBOSITY=terse -U postgres -d "$1" 2>&1 >/dev/null); then
    if [ -n "${pg_password:-}" ]; then err=${err//"$pg_password"/(the password)}; fi
    printf 'ztnet-infra: PostgreSQL (as the superuser, in the database %s): %s\n' "$1" "$err" >&2
    return 1
  fi
}
# 1. ZTNet's role, when it is missing: no login yet, so ZTNet cannot start its migrations before
# its schema is its own. Role statements run in the maintenance database postgres, which nothing
# of ZTNet's is in.
ztnet_role_sql() {
  session_start
  cat <<'SQL'
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ztnet') THEN CREATE ROLE ztnet NOLOGIN; END IF; END $$;
ALTER ROLE ztnet WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
COMMIT;
SQL
}
# 2. In the database ztnet, which stays the superuser's: ZTNet's role owns schema public, where its
# migrations make tables, indexes, sequences and enum types, and gets CONNECT, TEMPORARY and CREATE
# on the database (CREATE lets its migration run CREATE EXTENSION pgcrypto, a trusted extension,
# and its own backup restore drop and re-create it); it can no longer change the database's
# settings, rename or drop it. Schema public turning ZTNet's is the once-only hand-over: while it
# is not, and the database is still the superuser's (a new one, or one an older stack's ZTNet used
# as postgres), the tables, sequences and enum types in public (what ZTNet's migrations make; a
# column's sequence follows its table; never an extension's members) become ZTNet's too. A database
# ZTNet's role owned (the previous layout) already has ZTNet's objects as its own: nothing else
# changes owner, so an object an administrator made there as postgres stays theirs.
ztnet_schema_sql() {
  session_start
  cat <<'SQL'
DO $$ DECLARE r record; BEGIN
  IF (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public') = 'ztnet'::pg_catalog.regrole THEN RETURN; END IF;
  IF (SELECT d.datdba FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) <> 'ztnet'::pg_catalog.regrole THEN
    FOR r IN SELECT c.oid, c.relkind, pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S')
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY c.relkind = 'S' LOOP
      IF (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = r.oid) <> 'ztnet'::pg_catalog.regrole THEN
        EXECUTE pg_catalog.format(CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE %s' ELSE 'ALTER TABLE %s' END || ' OWNER TO ztnet', r.name);
      END IF;
    END LOOP;
    FOR r IN SELECT pg_catalog.format('%I.%I', n.nspname, t.typname) AS name
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typtype = 'e' AND t.typowner <> 'ztnet'::pg_catalog.regrole
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.oid AND d.deptype = 'e') LOOP
      EXECUTE pg_catalog.format('ALTER TYPE %s OWNER TO ztnet', r.name);
    END LOOP;
  END IF;
  ALTER SCHEMA public OWNER TO ztnet;
END $$;
DO $$ BEGIN
  IF (SELECT d.datdba FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) <> 'postgres'::pg_catalog.regrole THEN
    ALTER DATABASE ztnet OWNER TO postgres;
  END IF;
END $$;
GRANT CONNECT, TEMPORARY, CREATE ON DATABASE ztnet TO ztnet;
COMMIT;
SQL
}
