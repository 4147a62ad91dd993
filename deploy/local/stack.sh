#!/usr/bin/env bash
# deploy/local/stack.sh - the whole system on this machine, on real servers
# from the Debian packages, in a project-local run folder (`make up`,
# `make down`, `make status`; docs/operations.md).
#
#   stack.sh up [BUILD_DIR]   start PostgreSQL and Redis, apply migrations with
#                             BUILD_DIR/bin/salesctl (default build/release),
#                             load the funnel definitions, start every
#                             service binary built in BUILD_DIR/bin
#   stack.sh down             stop the services, Redis and PostgreSQL (data kept)
#   stack.sh status           show each process: state, PID, port, /healthz
#   stack.sh purge            down, then delete the data (a fresh start)
#
# Environment: SP_RUN_DIR (run folder, default <repo>/.run), SP_LOCAL_PG_PORT
# (55432), SP_LOCAL_REDIS_PORT (56379), SP_LOCAL_HTTP_PORT_BASE (9101: the
# services get 9101..9105 in the order activity-ingest, funnel-tracker,
# kpi-evaluator, churn-alerting, incentive-calculator), SP_PARTITIONS (the
# partition count recorded at the first migration, default 16),
# SP_LOCAL_FUNNELS (funnel definition files loaded with `salesctl load funnel
# --if-absent` before the services start: each seeds its name only when no
# version of it is loaded yet; space separated, relative to the repository;
# default "deploy/funnels/default.json deploy/demo/crm-funnel.json"; empty:
# none), SP_CHURN_CURRENCY (churn-alerting's reporting currency, default
# GBP here: the retail demo data's) and SP_CHURN_CLOCK (its scoring clock,
# default event here: the demo data is years old), SP_LOCAL_CURVE (1: every
# ZeroMQ socket uses CURVE with the keys of RUN_DIR/keys, made on the first
# `up`; 0: plain ZeroMQ), SP_LOCAL_SECURE (1: PostgreSQL with scram-sha-256
# and a login role per service, Redis with an ACL user per service, the
# passwords made on the first `up` in RUN_DIR/secrets; 0: trust and no
# password, as before). Every other setting of the services comes from the
# environment as it is.
#
# Every command is safe to repeat: `up` on a running stack says what already
# runs; `down` after a crash clears stale PID files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
. "$here/lib.sh"

run_dir=${SP_RUN_DIR:-$repo/.run}
pg_port=${SP_LOCAL_PG_PORT:-55432}
redis_port=${SP_LOCAL_REDIS_PORT:-56379}
http_port_base=${SP_LOCAL_HTTP_PORT_BASE:-9101}
funnels=${SP_LOCAL_FUNNELS-deploy/funnels/default.json deploy/demo/crm-funnel.json}
# churn-alerting on the local stack scores the retail demo data: amounts in
# GBP, invoices of 2010-2011, so scored in event time (docs/churn-alerting.md,
# "Settings"). The services inherit the environment; a value set wins.
export SP_CHURN_CURRENCY=${SP_CHURN_CURRENCY:-GBP}
export SP_CHURN_CLOCK=${SP_CHURN_CLOCK:-event}

curve=${SP_LOCAL_CURVE:-1}
secure=${SP_LOCAL_SECURE:-1}

# Runs a command with PGPASSFILE set to FILE (nothing set when FILE is empty).
#   with_passfile FILE COMMAND...
with_passfile() {
    local file=$1
    shift
    if [ -n "$file" ]; then
        PGPASSFILE=$file "$@"
    else
        "$@"
    fi
}

# The libpq password file of salesctl in RUN_DIR/env: the owner's line (for
# migrate and load) and the read-only role's.
salesctl_passfile() {
    local file="$run_dir/secrets/salesctl.pgpass" owner reader
    owner=$(sp_local_pg_passfile "$run_dir" salespulse) || return 1
    reader=$(sp_local_pg_passfile "$run_dir" salesctl_reader) || return 1
    (umask 077 && cat "$owner" "$reader" >"$file") || return 1
    echo "$file"
}

# The stack's ZeroMQ CURVE keys (docs/security.md), made once with
# `salesctl keys new` into RUN_DIR/keys (mode 0700): "services", the one
# certificate of the five services (ingest's intake and bus, the notices
# and alerts publishers, the consumers' subscriptions), and "salesctl",
# the operator's; RUN_DIR/keys/clients lists the public certificates of
# both, which every service admits. Then the services get SP_CURVE_* and
# RUN_DIR/env gives salesctl its key.
make_keys() {
    local keys="$run_dir/keys" name
    mkdir -p "$keys"
    chmod 700 "$keys"
    mkdir -p "$keys/clients"
    for name in services salesctl; do
        if [ ! -f "$keys/${name}_secret" ]; then
            "$salesctl" keys new "$name" --dir "$keys" >/dev/null
            echo "keys: made $keys/$name and ${name}_secret"
        fi
        cp "$keys/$name" "$keys/clients/$name"
    done
    export SP_CURVE_SECRET="$keys/services_secret"
    export SP_CURVE_CLIENTS="$keys/clients"
    export SP_CURVE_SERVER="$keys/services"
}

usage() {
    sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Word N of a state line ("running PID PORT DATA").
state_field() {
    echo "$1" | awk -v field="$2" '{ print $field }'
}

# Words N.. of a state line (the data folder may contain spaces).
state_rest() {
    echo "$1" | awk -v field="$2" '{ for (i = field; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "\n") }'
}

up() {
    local build=${1:-build/release} salesctl state port index name http
    case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
    salesctl="$build/bin/salesctl"
    [ -x "$salesctl" ] || sp_local_error "no $salesctl: build first (make)" || exit 1
    mkdir -p "$run_dir"

    local pg_auth=trust redis_auth=none owner_passfile="" pg_port_used redis_port_used
    if [ "$secure" = 1 ]; then
        pg_auth=scram
        redis_auth=acl
    fi
    sp_local_pg_start "$run_dir" "$pg_port" "$pg_auth"
    sp_local_redis_start "$run_dir" "$redis_port" "$redis_auth"
    # A server already running keeps its port; use the port it really has.
    state=$(sp_local_pg_state "$run_dir")
    pg_port_used=$(state_field "$state" 3)
    local postgres_url="postgresql://salespulse@127.0.0.1:$pg_port_used/salespulse"
    state=$(sp_local_redis_state "$run_dir")
    redis_port_used=$(state_field "$state" 3)
    local redis_url
    redis_url=$(sp_local_redis_url "$run_dir" "$redis_port_used" salesctl)
    [ "$pg_auth" = trust ] || owner_passfile=$(sp_local_pg_passfile "$run_dir" salespulse)

    echo "migrations: applying $repo/migrations"
    with_passfile "$owner_passfile" "$salesctl" migrate --postgres "$postgres_url" \
        --dir "$repo/migrations"
    # The shipped funnels seed an empty database only (--if-absent): a version
    # an operator loaded since is never replaced by the shipped one at the
    # next `make up`. Loading a new version later needs no restart: running
    # funnel-tracker instances take it within seconds.
    local funnel
    for funnel in $funnels; do
        case "$funnel" in /*) ;; *) funnel="$repo/$funnel" ;; esac
        with_passfile "$owner_passfile" "$salesctl" load funnel --if-absent --loaded-by "make up" \
            --postgres "$postgres_url" "$funnel"
    done

    # The operator's settings (mode 0600: the Redis password is in the URL).
    (umask 077 && cat >"$run_dir/env" <<EOF
# Written by deploy/local/stack.sh up: source it to talk to the local stack.
export SP_POSTGRES_URL='$postgres_url'
export SP_REDIS_URL='$redis_url'
EOF
    )
    if [ "$pg_auth" != trust ]; then
        cat >>"$run_dir/env" <<EOF
export SP_POSTGRES_READONLY_URL='postgresql://salesctl_reader@127.0.0.1:$pg_port_used/salespulse'
export PGPASSFILE='$(salesctl_passfile)'
EOF
    fi
    if [ "$curve" = 1 ]; then
        make_keys
        cat >>"$run_dir/env" <<EOF
export SP_CURVE_SECRET='$run_dir/keys/salesctl_secret'
export SP_CURVE_SERVER='$run_dir/keys/services'
EOF
    fi
    index=0
    for name in "${SP_LOCAL_SERVICES[@]}"; do
        http="127.0.0.1:$((http_port_base + index))"
        index=$((index + 1))
        [ -x "$build/bin/$name" ] || continue
        if [ "$pg_auth" = trust ]; then
            sp_local_service_start "$run_dir" "$name" "$build/bin/$name" "$http" \
                "$postgres_url" "$(sp_local_redis_url "$run_dir" "$redis_port_used" "$name")"
        else
            # Its own login role and password file, its own Redis user.
            sp_local_service_start "$run_dir" "$name" "$build/bin/$name" "$http" \
                "postgresql://${name//-/_}@127.0.0.1:$pg_port_used/salespulse" \
                "$(sp_local_redis_url "$run_dir" "$redis_port_used" "$name")" \
                "$(sp_local_pg_passfile "$run_dir" "${name//-/_}")"
        fi
    done
    echo "stack: up (run folder $run_dir; source $run_dir/env for SP_POSTGRES_URL, SP_REDIS_URL and salesctl's CURVE key)"
}

down() {
    local name
    if [ ! -d "$run_dir" ]; then
        echo "stack: nothing to stop ($run_dir does not exist)"
        return 0
    fi
    for name in "${SP_LOCAL_SERVICES[@]}"; do
        sp_local_service_stop "$run_dir" "$name"
    done
    sp_local_redis_stop "$run_dir"
    sp_local_pg_stop "$run_dir"
    echo "stack: down"
}

# One aligned line of the status table.
status_line() {
    printf '%-22s %-8s %-8s %s\n' "$@"
}

status() {
    local state name health
    status_line PROCESS STATE PID DETAILS
    state=$(sp_local_pg_state "$run_dir")
    if [ "$(state_field "$state" 1)" = running ]; then
        status_line postgres running "$(state_field "$state" 2)" \
            "port $(state_field "$state" 3), data $(state_rest "$state" 4)"
    else
        status_line postgres stopped - ""
    fi
    state=$(sp_local_redis_state "$run_dir")
    if [ "$(state_field "$state" 1)" = running ]; then
        status_line redis running "$(state_field "$state" 2)" "port $(state_field "$state" 3)"
    else
        status_line redis stopped - ""
    fi
    for name in "${SP_LOCAL_SERVICES[@]}"; do
        state=$(sp_local_service_state "$run_dir" "$name")
        if [ "$(state_field "$state" 1)" = running ]; then
            health=$(sp_local_http_get "$(state_field "$state" 3)" /healthz | head -c 200 | tr '\n' ' ') \
                || health="no answer"
            status_line "$name" running "$(state_field "$state" 2)" \
                "http $(state_field "$state" 3), /healthz: ${health:-empty}"
        else
            status_line "$name" stopped - ""
        fi
    done
}

purge() {
    down
    [ -d "$run_dir" ] || return 0
    sp_local_pg_purge "$run_dir"
    rm -rf -- "$run_dir/postgres" "$run_dir/redis" "$run_dir/logs" "$run_dir/pids" "$run_dir/env" \
        "$run_dir/retail-slice.csv" "$run_dir/keys" "$run_dir/secrets"
    rmdir -- "$run_dir" 2>/dev/null || true
    echo "stack: data removed"
}

case "${1:-}" in
up)
    [ $# -le 2 ] || usage
    up "${2:-}"
    ;;
down) down ;;
status) status ;;
purge) purge ;;
*) usage ;;
esac
