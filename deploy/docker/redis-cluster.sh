#!/usr/bin/env bash
# deploy/docker/redis-cluster.sh - docker-compose.cluster.yml's one-shot
# `redis-cluster`: makes the Redis Cluster of its nodes once, with
# `redis-cli --cluster create` (Redis's own tool), as the ACL admin user.
# Every later start finds the cluster made and changes nothing.
#
# Environment:
#   SP_REDIS_CLUSTER_NODES     the nodes, host:port separated by spaces, in
#                              order: the first third... are masters as
#                              redis-cli chooses (required)
#   SP_REDIS_CLUSTER_REPLICAS  replicas per master (default 1)
#   SP_REDIS_CLUSTER_USER      the admin user (default admin)
#   SP_REDIS_CLUSTER_PASSWORD_FILE
#                              its password (default /secrets/password; the
#                              `secrets` one-shot writes it)
#   SP_REDIS_CLUSTER_WAIT_S    how long to wait for every node (default 60)
#
# Host names are resolved first: CLUSTER MEET takes addresses only. The
# password reaches redis-cli in REDISCLI_AUTH, never on a command line.
# Exit status 0 when the cluster is ready (made now or before).
set -euo pipefail

nodes=${SP_REDIS_CLUSTER_NODES:?set SP_REDIS_CLUSTER_NODES to the nodes, host:port separated by spaces}
replicas=${SP_REDIS_CLUSTER_REPLICAS:-1}
user=${SP_REDIS_CLUSTER_USER:-admin}
password_file=${SP_REDIS_CLUSTER_PASSWORD_FILE:-/secrets/password}
wait_s=${SP_REDIS_CLUSTER_WAIT_S:-60}

REDISCLI_AUTH=$(cat "$password_file")
export REDISCLI_AUTH

# redis-cli as the admin on HOST PORT with the remaining arguments.
cli() {
    local host=$1 port=$2
    shift 2
    redis-cli --no-auth-warning --user "$user" -h "$host" -p "$port" "$@"
}

# Prints the address of HOST (itself when it is one).
address_of() {
    local host=$1 address
    if [[ "$host" =~ ^[0-9.]+$ ]]; then
        echo "$host"
        return 0
    fi
    address=$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')
    [ -n "$address" ] || { echo "redis-cluster: cannot resolve \"$host\"" >&2; return 1; }
    echo "$address"
}

addresses=()
for node in $nodes; do
    host=${node%:*}
    port=${node##*:}
    deadline=$((SECONDS + wait_s))
    until [ "$(cli "$host" "$port" PING 2>/dev/null)" = PONG ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "redis-cluster: $node did not answer PING as \"$user\" within ${wait_s}s" >&2
            exit 1
        fi
        sleep 1
    done
    addresses+=("$(address_of "$host"):$port")
done

first=${addresses[0]}
state=$(cli "${first%:*}" "${first##*:}" CLUSTER INFO | tr -d '\r' | sed -n 's/^cluster_state://p')
known=$(cli "${first%:*}" "${first##*:}" CLUSTER INFO | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
if [ "$state" = ok ]; then
    echo "redis-cluster: already made ($known nodes known to ${nodes%% *}), nothing to do"
    exit 0
fi
if [ "${known:-1}" -gt 1 ]; then
    echo "redis-cluster: ${nodes%% *} knows $known nodes but the cluster is \"$state\":" \
        "not touching it (redis-cli --cluster check / fix, docs/operations.md)" >&2
    exit 1
fi

echo "redis-cluster: creating a cluster of ${addresses[*]} ($replicas replica(s) per master)"
cli "${first%:*}" "${first##*:}" --cluster create "${addresses[@]}" \
    --cluster-replicas "$replicas" --cluster-yes

deadline=$((SECONDS + wait_s))
for address in "${addresses[@]}"; do
    until [ "$(cli "${address%:*}" "${address##*:}" CLUSTER INFO | tr -d '\r' |
        sed -n 's/^cluster_state://p')" = ok ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "redis-cluster: $address did not report cluster_state:ok within ${wait_s}s" >&2
            exit 1
        fi
        sleep 1
    done
done
echo "redis-cluster: ready (${#addresses[@]} nodes)"
