#!/usr/bin/env bash
# `make run`: start the local stack (PostgreSQL, Redis, the funnel
# definitions, every built service), load the CRM data set's org, targets
# and scorecard (deploy/demo/crm/*.json), publish the demo events and the
# CRM data set (deploy/demo/), show funnel "crm" while funnel-tracker counts
# it and a team scorecard once kpi-evaluator has counted it, then follow the
# service logs until Ctrl-C (or SIGTERM) and stop everything this run
# started.
#   deploy/local/run.sh [BUILD_DIR]
# Environment: SP_RUN_DIR (run folder, default .run), SP_DEMO_EVENTS (the
# demo file, default deploy/demo/events.jsonl), SP_DEMO_CRM (0: skip the CRM
# data set), SP_DEMO_WAIT_SECONDS (longest wait for funnel-tracker, and then
# for kpi-evaluator, 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
run_dir=${SP_RUN_DIR:-$PWD/.run}

stopping=0
tail_pid=""
stop() {
    [ $stopping -eq 0 ] || return 0
    stopping=1
    # The log follower is ours: a SIGTERM to this script alone would leave it running.
    [ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
    echo
    echo "run: stopping the local stack"
    deploy/local/stack.sh down
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

deploy/local/stack.sh up "$build"
echo
deploy/local/stack.sh status
echo

# How many seconds the funnels are shown while funnel-tracker catches up
# (and kpi-evaluator is waited for), and how often.
wait_seconds=${SP_DEMO_WAIT_SECONDS:-60}
show_every_seconds=3
crm_dir=deploy/demo/crm

# True when `salesctl status` shows every partition of the service $1 with a
# checkpoint and a lag of 0 (the table's rows: PARTITION OWNER CHECKPOINT HEAD LAG).
service_caught_up() {
    "$salesctl" status --service "$1" 2>/dev/null |
        awk '/^PARTITION/ { table = 1; next }
             table && NF == 5 { rows++; if ($3 == "-" || $5 != "0") behind = 1 }
             END { exit (rows > 0 && !behind) ? 0 : 1 }'
}

# Funnel "crm" for the company and each regional office of the data set.
show_crm_funnels() {
    local region
    "$salesctl" funnel --funnel crm --scope company || true
    # The offices, from the data set itself (CRLF lines, header skipped).
    while IFS= read -r region; do
        echo
        "$salesctl" funnel --funnel crm --scope "region:$region" || true
    done < <(tr -d '\r' <"$crm_dir/sales_teams.csv" | awk -F, 'NR > 1 && $3 != "" { print $3 }' | sort -u)
}

# Feed the demo events and the CRM data set through activity-ingest and
# show what the log holds and what funnel-tracker makes of it.
demo=${SP_DEMO_EVENTS:-deploy/demo/events.jsonl}
salesctl="$build/bin/salesctl"
if [ -x "$salesctl" ] && [ -f "$run_dir/pids/activity-ingest.pid" ]; then
    # shellcheck disable=SC1091
    source "$run_dir/env"
    # The CRM data set's org (offices, managers, agents), targets and
    # scorecard, before its events: kpi-evaluator rebuilds its state from
    # the log under a new org, which is short while the log is still empty.
    # --if-absent: a version an operator loaded since is never replaced.
    if [ "${SP_DEMO_CRM:-1}" != 0 ]; then
        for kind in org targets scorecard; do
            "$salesctl" load "$kind" --if-absent --loaded-by "make run" "$crm_dir/$kind.json" ||
                echo "run: could not load $crm_dir/$kind.json (see above)"
        done
        echo
    fi
    if [ -f "$demo" ]; then
        echo "run: publishing $demo"
        "$salesctl" publish "$demo" || echo "run: some demo events were not accepted (see above)"
        echo
    fi
    if [ "${SP_DEMO_CRM:-1}" != 0 ] && [ -x "$crm_dir/crm-events.sh" ]; then
        echo "run: publishing the CRM data set ($crm_dir/README.md) through $crm_dir/crm-events.sh"
        "$crm_dir/crm-events.sh" | "$salesctl" publish - ||
            echo "run: some CRM events were not accepted (see above)"
        echo
    fi
    echo "run: the event log now holds"
    psql "$SP_POSTGRES_URL" -X -q -c \
        "SELECT partition, count(*) AS events, max(sequence) AS head FROM events GROUP BY partition ORDER BY partition" \
        -c "SELECT type, count(*) AS events FROM events GROUP BY type ORDER BY type"
    echo
    if [ "${SP_DEMO_CRM:-1}" != 0 ] && [ -f "$run_dir/pids/funnel-tracker.pid" ]; then
        deadline=$((SECONDS + wait_seconds))
        while :; do
            caught_up=0
            service_caught_up funnel-tracker && caught_up=1
            if [ $caught_up -eq 1 ]; then
                echo "run: funnel \"crm\": funnel-tracker has applied every event"
            else
                echo "run: funnel \"crm\" so far (funnel-tracker is catching up; $(date +%T))"
            fi
            show_crm_funnels
            echo
            [ $caught_up -eq 0 ] || break
            if [ "$SECONDS" -ge "$deadline" ]; then
                echo "run: funnel-tracker still has events to apply after ${wait_seconds}s (salesctl status --service funnel-tracker)"
                break
            fi
            sleep "$show_every_seconds"
        done
        echo "run: the open pipeline of funnel \"crm\""
        "$salesctl" pipeline --funnel crm --scope company || true
        echo
    fi
    if [ "${SP_DEMO_CRM:-1}" != 0 ] && [ -f "$run_dir/pids/kpi-evaluator.pid" ]; then
        deadline=$((SECONDS + wait_seconds))
        until service_caught_up kpi-evaluator; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                echo "run: kpi-evaluator still has events to apply after ${wait_seconds}s (salesctl status --service kpi-evaluator); its figures so far:"
                break
            fi
            sleep "$show_every_seconds"
        done
        echo "run: the teams of the Central office, scorecard \"crm\", 2017-Q4"
        "$salesctl" scorecard --scope region:Central --period 2017-Q4 || true
        echo
        echo "run: the reps of Dustin Brinkmann's team, scorecard \"crm\", 2017-Q4"
        "$salesctl" scorecard --scope "team:Dustin Brinkmann" --period 2017-Q4 || true
        echo
        echo "run: the company's KPIs for 2017-Q4 (salesctl kpi; salesctl report monthly for a report)"
        "$salesctl" kpi --scope company --period 2017-Q4 --as-of 2017-12-31 || true
        echo
    fi
fi
echo "run: services log to $run_dir/logs/; following them — press Ctrl-C to stop everything"
# tail runs in the background so the traps above fire as soon as a signal comes.
tail -n +1 -F "$run_dir"/logs/*.log &
tail_pid=$!
wait $tail_pid
