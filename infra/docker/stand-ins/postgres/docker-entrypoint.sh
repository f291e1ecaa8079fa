#!/usr/bin/env bash
# Entrypoint for the dynapharm/postgres:15 stand-in. Follows the contract of the
# official image: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB / PGDATA,
# POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD and /docker-entrypoint-initdb.d.
set -Eeuo pipefail

# "docker run img -c fsync=off" means "postgres -c fsync=off".
if [ "${1:-}" = "" ] || [ "${1:0:1}" = "-" ]; then
  set -- postgres "$@"
fi

if [ "$1" != "postgres" ]; then
  exec "$@"
fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# As root: fix ownership of the data/socket dirs, then re-run as postgres.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

say() { echo "dynapharm-postgres-entrypoint: $*"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  POSTGRES_USER="${POSTGRES_USER:-postgres}"
  POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != "trust" ]; then
    cat >&2 <<'MSG'
Error: the database is uninitialised and POSTGRES_PASSWORD is empty.
Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow every
connection without a password, which you should only do in throwaway tests).
MSG
    exit 1
  fi

  say "initialising cluster in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
  pwargs=()
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    pwargs=(--pwfile="$pwfile")
  fi
  # Word splitting of POSTGRES_INITDB_ARGS is intended (same as upstream).
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" ${pwargs[@]+"${pwargs[@]}"} -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  if [ -n "${pwfile:-}" ]; then rm -f "$pwfile"; fi

  # Socket and loopback connections keep initdb's "trust" default (health
  # checks and `docker exec psql` rely on that); any other address must log in
  # with a password. POSTGRES_HOST_AUTH_METHOD=md5 also stores md5 hashes.
  if [ "$auth" = "md5" ]; then
    echo "password_encryption = md5" >>"$PGDATA/postgresql.conf"
  fi
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  printf '\n# added by the dynapharm stand-in entrypoint\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  # Temporary server reachable only through the unix socket.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p 5432" start >/dev/null

  export PGUSER="$POSTGRES_USER" PGPASSWORD="${POSTGRES_PASSWORD:-}"
  if [ "$POSTGRES_DB" != "postgres" ]; then
    psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" -q <<'SQL'
CREATE DATABASE :"db";
SQL
  fi

  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then say "running $f"; "$f"; else say "sourcing $f"; . "$f"; fi ;;
      *.sql)    say "running $f"; psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) say "running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" ;;
      *)        say "ignoring $f" ;;
    esac
  done
  unset PGPASSWORD

  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  say "initialisation complete; starting postgres"
fi

exec "$@"
