#!/usr/bin/env bash
# deploy/local/servers.sh - start and stop PostgreSQL and Redis in a given
# folder on given ports. The integration-test harness
# (tests/integration/harness/sp_harness.c) calls it; deploy/local/stack.sh
# uses the same functions (deploy/local/lib.sh), so tests run the servers
# exactly the way the local stack does.
#
#   servers.sh start DIR PG_PORT REDIS_PORT [secure]
#                                             start what has a port (0 = skip);
#                                             PostgreSQL gets role and database
#                                             salespulse (no migrations); secure:
#                                             scram-sha-256, a login role per
#                                             service and Redis ACL users, the
#                                             passwords in DIR/secrets
#   servers.sh replica DIR PORT PRIMARY_PORT  start a streaming replica (hot standby)
#                                             of the PostgreSQL on PRIMARY_PORT in
#                                             DIR (trust authentication only)
#   servers.sh stop DIR [postgres|redis]      stop services started in DIR, then
#                                             Redis and PostgreSQL (or just one)
#   servers.sh stop DIR postgres immediate    pg_ctl -m immediate: no checkpoint,
#                                             like a crash (recovery at next start)
#   servers.sh purge DIR                      stop everything and remove what the
#                                             servers wrote (including a /tmp
#                                             PostgreSQL folder); DIR itself stays
#
# Exit status 0 on success; on failure the reason is on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/local/lib.sh
. "$here/lib.sh"

usage() {
    sed -n '8,25p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

is_port() {
    [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -le 65535 ]
}

stop_all() {
    local dir=$1 name
    for name in "${SP_LOCAL_SERVICES[@]}"; do
        sp_local_service_stop "$dir" "$name"
    done
    sp_local_redis_stop "$dir"
    sp_local_pg_stop "$dir"
}

command=${1:-}
[ $# -ge 2 ] || usage
dir=$2
case "$command" in
start)
    [ $# -eq 4 ] || { [ $# -eq 5 ] && [ "$5" = secure ]; } || usage
    is_port "$3" || sp_local_error "invalid PostgreSQL port \"$3\"" || exit 2
    is_port "$4" || sp_local_error "invalid Redis port \"$4\"" || exit 2
    pg_auth=trust redis_auth=none
    [ "${5:-}" != secure ] || { pg_auth=scram; redis_auth=acl; }
    mkdir -p "$dir"
    [ "$3" -eq 0 ] || sp_local_pg_start "$dir" "$3" "$pg_auth"
    [ "$4" -eq 0 ] || sp_local_redis_start "$dir" "$4" "$redis_auth"
    ;;
replica)
    [ $# -eq 4 ] || usage
    is_port "$3" || sp_local_error "invalid PostgreSQL port \"$3\"" || exit 2
    is_port "$4" || sp_local_error "invalid primary port \"$4\"" || exit 2
    mkdir -p "$dir"
    sp_local_pg_replica_start "$dir" "$3" "$4"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    case "${3:-all}" in
    all) stop_all "$dir" ;;
    postgres)
        case "${4:-fast}" in
        fast) sp_local_pg_stop "$dir" ;;
        immediate) sp_local_pg_stop "$dir" immediate ;;
        *) usage ;;
        esac
        ;;
    redis) sp_local_redis_stop "$dir" ;;
    *) usage ;;
    esac
    ;;
purge)
    [ -d "$dir" ] || exit 0
    stop_all "$dir"
    sp_local_pg_purge "$dir"
    rm -rf -- "$dir/postgres" "$dir/redis" "$dir/logs" "$dir/pids" "$dir/secrets"
    ;;
*)
    usage
    ;;
esac
