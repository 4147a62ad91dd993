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
# Each OUT/<name> is its own volume, mounted read-only into that container
# only. Files belong to SERVICE_UID (the image's salespulse user) or, for
# the ACL file, REDIS_UID (the redis image's redis user).
#
# Environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD or
# PGPASSFILE (libpq's own: a superuser of the database, so no statement
# with a password is logged), SP_SECRETS_STATE (/state), SP_SECRETS_OUT
# (/out), SP_SECRETS_REDIS_HOST (redis), SP_SECRETS_REDIS_PORT (6379),
# SP_SECRETS_SERVICE_UID (10001), SP_SECRETS_REDIS_UID (999).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/local/lib.sh
. "${SP_SECRETS_LIB:-$here/lib.sh}"

state=${SP_SECRETS_STATE:-/state}
out=${SP_SECRETS_OUT:-/out}
redis_host=${SP_SECRETS_REDIS_HOST:-redis}
redis_port=${SP_SECRETS_REDIS_PORT:-6379}
service_uid=${SP_SECRETS_SERVICE_UID:-10001}
redis_uid=${SP_SECRETS_REDIS_UID:-999}

# Writes TEXT into OUT/NAME/FILE, mode 0600, owned by UID; the folder 0700.
#   put NAME FILE UID TEXT
put() {
    local folder="$out/$1" file="$out/$1/$2" uid=$3 text=$4
    mkdir -p "$folder"
    (umask 077 && printf '%s\n' "$text" >"$file.new" && mv "$file.new" "$file")
    chown "$uid:$uid" "$folder" "$file"
    chmod 700 "$folder"
}

# Prints the Redis URL of user NAME.
redis_url() {
    echo "redis://$1:$(sp_local_secret_read "$state" "redis-$1.password")@$redis_host:$redis_port/0"
}

mkdir -p "$state/redis"
chmod 700 "$state"

# PostgreSQL: the login roles in their groups, with their passwords.
logins=$(sp_local_pg_logins_sql "$state")
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
sp_local_redis_write_acl "$state"
put redis users.acl "$redis_uid" "$(cat "$state/redis/users.acl")"
echo "secrets: ready in $out (one folder per container)"
