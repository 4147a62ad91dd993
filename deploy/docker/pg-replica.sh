#!/usr/bin/env bash
# deploy/docker/pg-replica.sh - docker-compose.replica.yml's `postgres-replica`
# entrypoint: on first start, a base backup of the primary as the login role
# `replicator` (REPLICATION and nothing else; the `secrets` one-shot makes
# it and writes its password file), written with -R so the server starts as
# a hot standby streaming from the primary; then the given command (the
# image's own entrypoint). Later starts find the data folder and just start.
#
# Environment:
#   PGDATA                     the data folder (the postgres image sets it)
#   SP_REPLICA_PRIMARY         the primary's host (default postgres)
#   SP_REPLICA_PRIMARY_PORT    its port (default 5432)
#   SP_REPLICA_PASSFILE        replicator's password file (default
#                              /secrets/pgpass, read-only, root's)
#   SP_REPLICA_USER            the system user running PostgreSQL (default
#                              postgres)
#   SP_REPLICA_PGPASS          where that user's copy of the password file
#                              goes (default ~USER/.pgpass): the standby's
#                              primary_conninfo names it, and the WAL
#                              receiver reads it at every reconnection
#   SP_REPLICA_WAIT_S          how long to wait for the primary (default 120)
#
#   pg-replica.sh COMMAND...   e.g. docker-entrypoint.sh postgres -c hba_file=...
set -euo pipefail

data=${PGDATA:?PGDATA names the data folder}
primary=${SP_REPLICA_PRIMARY:-postgres}
primary_port=${SP_REPLICA_PRIMARY_PORT:-5432}
passfile=${SP_REPLICA_PASSFILE:-/secrets/pgpass}
user=${SP_REPLICA_USER:-postgres}
home=$(getent passwd "$user" | cut -d: -f6)
pgpass=${SP_REPLICA_PGPASS:-$home/.pgpass}
wait_s=${SP_REPLICA_WAIT_S:-120}

# Runs the arguments as USER (we are root in the image).
as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$user" -- "$@")
    else
        "$@"
    fi
}

# The password file, readable by USER only (libpq refuses a group- or
# world-readable one); copied at every start so a new password arrives.
install -m 600 /dev/null "$pgpass"
cat "$passfile" >"$pgpass"
[ "$(id -u)" -ne 0 ] || chown "$user:" "$pgpass"

if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -ne 0 ] || chown "$user:" "$data"
    chmod 700 "$data"
    deadline=$((SECONDS + wait_s))
    until as_user pg_isready -q -h "$primary" -p "$primary_port"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "pg-replica: the primary $primary:$primary_port did not answer within ${wait_s}s" >&2
            exit 1
        fi
        sleep 1
    done
    echo "pg-replica: base backup of $primary:$primary_port into $data"
    as_user env PGPASSFILE="$pgpass" pg_basebackup -h "$primary" -p "$primary_port" -U replicator \
        -D "$data" -X stream -R -c fast
fi
exec "$@"
