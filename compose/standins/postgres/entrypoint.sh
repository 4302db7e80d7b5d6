#!/bin/sh
# The part of the official entrypoint the project uses: on first start, a cluster owned by
# POSTGRES_USER with POSTGRES_PASSWORD, database POSTGRES_DB, password (scram) auth for
# connections from other containers; then the server in the foreground as user postgres.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ "${1:-postgres}" = postgres ]; then
    [ $# -gt 0 ] && shift
    mkdir -p "$PGDATA" /run/postgresql
    chown -R postgres:postgres "$PGDATA" /run/postgresql
    chmod 700 "$PGDATA"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (no default password)}"
        user=${POSTGRES_USER:-postgres}
        db=${POSTGRES_DB:-$user}
        pwfile=$(mktemp)
        printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
        chown postgres "$pwfile"
        as_postgres "$bin/initdb" -D "$PGDATA" -U "$user" --pwfile="$pwfile" \
            --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
        rm -f "$pwfile"
        echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
        echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
        if [ "$db" != postgres ]; then
            echo "CREATE DATABASE \"$db\" OWNER \"$user\";" \
                | as_postgres "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
        fi
        echo "stand-in postgres: initialised $PGDATA (user $user, database $db)"
    fi
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA" "$@"
fi
exec "$@"
