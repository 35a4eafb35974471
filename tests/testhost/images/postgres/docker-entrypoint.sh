#!/bin/bash
# Test fixture: entrypoint of the PostgreSQL stand-in. Written for this project (not a copy) to
# keep the contract of docker-library/postgres 15/alpine/docker-entrypoint.sh, step by step:
# - POSTGRES_PASSWORD, POSTGRES_USER (default postgres), POSTGRES_DB (default the user) and
#   POSTGRES_INITDB_ARGS, each also as VAR_FILE read here (both set: error), as upstream file_env;
# - run as root: create $PGDATA (0700) and /var/run/postgresql, chown them to postgres, then run
#   this script again as postgres (upstream uses gosu: 15/alpine*/Dockerfile installs it and makes
#   su-exec a link to it; here setpriv);
# - only when $PGDATA/PG_VERSION is missing: refuse an empty password unless
#   POSTGRES_HOST_AUTH_METHOD=trust; initdb WITHOUT -A, so pg_hba.conf keeps initdb's own
#   `local all all trust` and `host all all 127.0.0.1/32 trust` / `::1/128 trust` lines, with
#   --username and --pwfile (the password from a pipe, never argv) plus POSTGRES_INITDB_ARGS
#   (word-split by the shell as upstream's eval does: `--auth-host=scram-sha-256` makes TCP from
#   127.0.0.1 need the password); then append `host all all all <password_encryption>`
#   (scram-sha-256 on 15) unless POSTGRES_HOST_AUTH_METHOD says otherwise;
# - a temporary server on the socket only (listen_addresses=''), CREATE DATABASE POSTGRES_DB when
#   missing, /docker-entrypoint-initdb.d/*.sh and *.sql, fast stop, then exec postgres;
# - an existing data directory is used as it is: the password is NOT applied to it.
set -Eeo pipefail

file_env() {  # VAR [DEFAULT]: VAR from the environment, or read from the file VAR_FILE names
  local var=$1 file_var="${1}_FILE" val=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "error: both $var and $file_var are set (but are exclusive)" >&2
    exit 1
  fi
  if [ -n "${!var:-}" ]; then val=${!var}
  elif [ -n "${!file_var:-}" ]; then val=$(< "${!file_var}")
  fi
  export "$var=$val"
  unset "$file_var"
}

wants_help() {
  local a
  for a; do case $a in -'?'|--help|--describe-config|-V|--version) return 0 ;; esac; done
  return 1
}

sql() {  # psql on the socket as POSTGRES_USER, stopping at the first error
  PGHOST='' PGHOSTADDR='' psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

first_start() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "Error: Database is uninitialized and superuser password is not specified." >&2
    echo "       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE)." >&2
    exit 1
  fi
  ls /docker-entrypoint-initdb.d/ >/dev/null
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, split as upstream does
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"

  local server_args=("$@")
  [ "${server_args[0]:-}" != postgres ] || server_args=("${server_args[@]:1}")
  local method
  method=$(postgres -C password_encryption "${server_args[@]}")
  : "${POSTGRES_HOST_AUTH_METHOD:=$method}"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

  export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
  PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -w start \
    -o "$(printf '%q ' "${server_args[@]}" -c listen_addresses= -p "${PGPORT:-5432}")"
  if [ -z "$(sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only \
        <<< "SELECT 1 FROM pg_database WHERE datname = :'db';")" ]; then
    sql --dbname postgres --set db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db";'
  fi
  local f
  # shellcheck disable=SC1090 # init scripts are the user's
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) echo "$0: running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) echo "$0: running $f"; sql --dbname "$POSTGRES_DB" -f "$f" ;;
      *) [ ! -e "$f" ] || echo "$0: ignoring $f" ;;
    esac
  done
  PGUSER=${PGUSER:-postgres} pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  echo "PostgreSQL init process complete; ready for start up."
}

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && ! wants_help "$@"; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA" || :
    chmod 775 /var/run/postgresql || :
    find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    first_start "$@"
  else
    echo "PostgreSQL Database directory appears to contain a database; Skipping initialization"
  fi
fi
exec "$@"
