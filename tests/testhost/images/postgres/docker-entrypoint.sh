#!/bin/sh
# Test fixture: entrypoint for Debian's PostgreSQL that keeps the contract of the official
# postgres image's entrypoint (not a copy of it): on an empty $PGDATA it runs initdb with
# POSTGRES_USER and POSTGRES_PASSWORD (read from the environment, never from the command line),
# creates POSTGRES_DB, then runs the server in the foreground as user postgres. An existing data
# directory is used as it is: the password is NOT changed then, exactly like the official image.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export PGDATA

if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chmod 0700 "$PGDATA"
  chmod 2775 /run/postgresql
  find "$PGDATA" /run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "entrypoint: the database is uninitialised and POSTGRES_PASSWORD is not set" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >/dev/null
  rm -f "$pwfile"
  pg_ctl --pgdata="$PGDATA" --wait --silent \
    -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" start
  if [ "$POSTGRES_DB" != postgres ]; then
    createdb --username="$POSTGRES_USER" --host=/run/postgresql "$POSTGRES_DB"
  fi
  pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
  echo "entrypoint: initialised $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
else
  echo "entrypoint: $PGDATA holds a database already; POSTGRES_PASSWORD is not applied to it"
fi

exec "$@" -c listen_addresses=127.0.0.1 -c unix_socket_directories=/run/postgresql -c jit=off
