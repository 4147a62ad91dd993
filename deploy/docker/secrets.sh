#!/usr/bin/env bash
# deploy/docker/secrets.sh - docker-compose.yml's one-shot `secrets` step:
# no superuser for the services (docs/security.md). Runs after `salesctl
# migrate` (migration 0012 makes the group roles) in the postgres image
# (it has psql), with deploy/local/lib.sh next to it, so the login roles,
# their passwords and the Redis ACL users are made by the same code as the
# local stack's.
#
# On first start it makes a password per PostgreSQL login role and per
# Redis user (kept in STATE, the `secrets` volume no service mounts); every
# start it (re)creates the login roles in their groups with those
# passwords, and writes:
#   OUT/<service>/pgpass      its libpq password file (PGPASSFILE), 0600
#   OUT/<service>/redis.url   its Redis URL with its ACL user and password,
#                             0600 (the consumers only: activity-ingest
#                             never connects to Redis)
#   OUT/salesctl/             the read-only role's pgpass and salesctl's
#                             Redis URL, for the operator
#   OUT/redis/users.acl       Redis's ACL file (password digests only)
# With SP_SECRETS_REDIS_CLUSTER (docker-compose.cluster.yml) every Redis URL
# is a redis+cluster:// URL with those seeds, and it also writes
#   OUT/redis/replication.conf  masteruser/masterauth of the replication
#                               user (a replica logs in to its master)
#   OUT/redis-admin/password    the admin user's password, for the one-shot
#                               that creates the cluster
# With SP_SECRETS_PG_REPLICATION=yes (docker-compose.replica.yml) it makes
# the login role `replicator` (REPLICATION, nothing else) and writes
#   OUT/postgres-replica/pgpass its password file, for the standby
# Each OUT/<name> is its own volume, mounted read-only into that container
# only. Files belong to SERVICE_UID (the image's salespulse user) or, for
# the ACL file, REDIS_UID (the redis image's redis user).
#
# Environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD or
# PGPASSFILE (libpq's own: a superuser of the database, so no statement
# with a password is logged), SP_SECRETS_STATE (/state), SP_SECRETS_OUT
# (/out), SP_SECRETS_REDIS_HOST (redis), SP_SECRETS_REDIS_PORT (6379),
# SP_SECRETS_REDIS_CLUSTER (empty: one server; else the seeds, host:port
# separated by commas), SP_SECRETS_PG_REPLICATION (no),
# SP_SECRETS_SERVICE_UID (10001), SP_SECRETS_REDIS_UID (999),
# SP_SECRETS_POSTGRES_UID (999, the postgres image's postgres user).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/local/lib.sh
. "${SP_SECRETS_LIB:-$here/lib.sh}"

state=${SP_SECRETS_STATE:-/state}
out=${SP_SECRETS_OUT:-/out}
redis_host=${SP_SECRETS_REDIS_HOST:-redis}
redis_port=${SP_SECRETS_REDIS_PORT:-6379}
redis_cluster=${SP_SECRETS_REDIS_CLUSTER:-}
pg_replication=${SP_SECRETS_PG_REPLICATION:-no}
service_uid=${SP_SECRETS_SERVICE_UID:-10001}
redis_uid=${SP_SECRETS_REDIS_UID:-999}
postgres_uid=${SP_SECRETS_POSTGRES_UID:-999}

# Writes TEXT into OUT/NAME/FILE, mode 0600, owned by UID; the folder 0700.
#   put NAME FILE UID TEXT
put() {
    local folder="$out/$1" file="$out/$1/$2" uid=$3 text=$4
    mkdir -p "$folder"
    (umask 077 && printf '%s\n' "$text" >"$file.new" && mv "$file.new" "$file")
    chown "$uid:$uid" "$folder" "$file"
    chmod 700 "$folder"
}

# Prints the Redis URL of user NAME: one server, or the cluster's seeds.
redis_url() {
    local password
    password=$(sp_local_secret_read "$state" "redis-$1.password")
    if [ -n "$redis_cluster" ]; then
        echo "redis+cluster://$1:$password@$redis_cluster/0"
    else
        echo "redis://$1:$password@$redis_host:$redis_port/0"
    fi
}

mkdir -p "$state/redis"
chmod 700 "$state"

# PostgreSQL: the login roles in their groups, with their passwords (and
# the standby's replication role when asked).
logins=$(sp_local_pg_logins_sql "$state")
if [ "$pg_replication" = yes ]; then
    password=$(sp_local_secret_read "$state" postgres-replicator.password)
    logins+="
SELECT 'CREATE ROLE replicator' WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'replicator') \\gexec
ALTER ROLE replicator LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$password';"
    put postgres-replica pgpass "$postgres_uid" "$(cat "$(sp_local_pg_passfile "$state" replicator)")"
fi
printf '%s\n%s\n' "$SP_LOCAL_PG_QUIET_SQL" "$logins" | psql -X -q -v ON_ERROR_STOP=1 -f -
echo "secrets: login roles ready: ${SP_LOCAL_PG_LOGINS[*]%%:*}"

# Each service: its password file, its Redis user.
for name in "${SP_LOCAL_SERVICES[@]}"; do
    put "$name" pgpass "$service_uid" "$(cat "$(sp_local_pg_passfile "$state" "${name//-/_}")")"
    [ "$name" = activity-ingest ] || put "$name" redis.url "$service_uid" "$(redis_url "$name")"
done
put salesctl pgpass "$service_uid" "$(cat "$(sp_local_pg_passfile "$state" salesctl_reader)")"
put salesctl redis.url "$service_uid" "$(redis_url salesctl)"

# Redis: one ACL user per service, salesctl and the admin; default off.
# A cluster's replicas log in to their masters as the replication user.
if [ -n "$redis_cluster" ]; then
    sp_local_redis_write_acl "$state" replication
    put redis replication.conf "$redis_uid" "$(sp_local_redis_replication_conf "$state")"
    put redis-admin password "$redis_uid" "$(sp_local_secret_read "$state" "redis-$SP_LOCAL_REDIS_ADMIN.password")"
else
    sp_local_redis_write_acl "$state"
fi
put redis users.acl "$redis_uid" "$(cat "$state/redis/users.acl")"
echo "secrets: ready in $out (one folder per container)"
