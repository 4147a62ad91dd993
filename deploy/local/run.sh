#!/usr/bin/env bash
# `make run`: start the local stack (PostgreSQL, Redis, the funnel
# definitions, every built service), load the CRM data set's org, targets
# and scorecard (deploy/demo/crm/*.json) and its commission plan
# (deploy/demo/crm-plan.json), publish a slice of the retail data set, the
# demo events and the CRM data set (deploy/demo/), show funnel "crm" while
# funnel-tracker counts it, a team scorecard once kpi-evaluator has counted
# it, an agent's commission statement once incentive-calculator has applied
# it and the churn alerts firing once churn-alerting has scored the retail
# customers, then follow the service logs until Ctrl-C (or SIGTERM) and
# stop everything this run started.
#   deploy/local/run.sh [BUILD_DIR]
# Environment: SP_RUN_DIR (run folder, default .run), SP_DEMO_EVENTS (the
# demo file, default deploy/demo/events.jsonl), SP_DEMO_CRM (0: skip the CRM
# data set), SP_DEMO_RETAIL (0: skip the retail slice), SP_DEMO_WAIT_SECONDS
# (longest wait for funnel-tracker, then for kpi-evaluator, then for
# incentive-calculator, then for churn-alerting, 60). churn-alerting runs
# with SP_CHURN_CURRENCY=GBP and SP_CHURN_CLOCK=event (deploy/local/stack.sh).
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
retail_dir=deploy/demo/retail
# The retail slice: the customers whose id is a multiple of this (of the
# 1,103 customers of the data set, ids all multiples of 4: about 220).
retail_modulus=10
# Firing churn alerts shown (salesctl alerts --firing lists them all).
churn_alerts_shown=8
# The CRM data set's commission plan (deploy/demo/README.md, "Commissions")
# and the statement shown: an agent whose quarter reaches all three bands
# in 26 deals.
crm_plan=deploy/demo/crm-plan.json
statement_rep="Elease Gluck"
statement_period=2017-Q2

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

# Writes the retail slice, header included, to $1: the lines of the
# customers whose id is a multiple of retail_modulus, from the file
# retail-events.sh reads by default (the shared data set beside the
# repository, else the repository's gzipped copy). CustomerID is the
# field before last: only Description holds commas.
retail_slice() {
    local shared=../shared/data/uci-online-retail/online_retail_customers_mod4.csv
    if [ -r "$shared" ]; then
        cat "$shared"
    else
        gzip -dc "$retail_dir/online_retail_customers_mod4.csv.gz"
    fi | awk -F, -v modulus="$retail_modulus" 'NR == 1 || ($(NF - 1) + 0) % modulus == 0' >"$1"
}

# How many churn alerts fire now (0 when salesctl cannot tell).
churn_firing_count() {
    "$salesctl" alerts --firing --json 2>/dev/null | grep -c '"alert_seq"' || true
}

# The firing churn alerts (the first few) with their reasons, and the
# health of the first one's customer.
show_churn_alerts() {
    local firing customer
    firing=$(churn_firing_count)
    echo "run: churn alerts firing now: $firing; the first $churn_alerts_shown (salesctl alerts --firing for all, --region R / --team T by owner)"
    "$salesctl" alerts --firing | head -n "$churn_alerts_shown" || true
    echo
    customer=$("$salesctl" alerts --firing --json 2>/dev/null | head -n 1 |
        sed -n 's/.*"customer_id": *"\([^"]*\)".*/\1/p') || true
    if [ -n "$customer" ]; then
        echo "run: the health of customer $customer (salesctl health; event time: as of its partition's latest event)"
        "$salesctl" health --customer "$customer" || true
        echo
    fi
}

# Feed the retail slice, the demo events and the CRM data set through
# activity-ingest and show what the log holds and what funnel-tracker,
# kpi-evaluator and churn-alerting make of it.
demo=${SP_DEMO_EVENTS:-deploy/demo/events.jsonl}
salesctl="$build/bin/salesctl"
if [ -x "$salesctl" ] && [ -f "$run_dir/pids/activity-ingest.pid" ]; then
    # shellcheck disable=SC1091
    source "$run_dir/env"
    # The CRM data set's org (offices, managers, agents), targets and
    # scorecard, before its events: kpi-evaluator rebuilds its state from
    # the log under a new org, which is short while the log is still empty.
    # --if-absent: a version an operator loaded since is never replaced.
    # The commission plan (no --effective-from: in force since always) is
    # read at query time, so loading it first is only for symmetry.
    if [ "${SP_DEMO_CRM:-1}" != 0 ]; then
        for kind in org targets scorecard; do
            "$salesctl" load "$kind" --if-absent --loaded-by "make run" "$crm_dir/$kind.json" ||
                echo "run: could not load $crm_dir/$kind.json (see above)"
        done
        "$salesctl" load plans --if-absent --loaded-by "make run" "$crm_plan" ||
            echo "run: could not load $crm_plan (see above)"
        echo
    fi
    # The retail slice first: churn-alerting scores each partition up to
    # the day before its latest event (SP_CHURN_CLOCK=event) and scores
    # are final, so a partition's 2010-2011 invoices go in before the 2017
    # demo events that share it.
    retail_published=0
    if [ "${SP_DEMO_RETAIL:-1}" != 0 ] && [ -x "$retail_dir/retail-events.sh" ]; then
        echo "run: publishing the retail data set's customers whose id is a multiple of $retail_modulus ($retail_dir/README.md) through $retail_dir/retail-events.sh"
        if retail_slice "$run_dir/retail-slice.csv" &&
            "$retail_dir/retail-events.sh" "$run_dir/retail-slice.csv" | "$salesctl" publish -; then
            retail_published=1
        else
            echo "run: the retail slice was not all published (see above)"
        fi
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
    if [ "${SP_DEMO_CRM:-1}" != 0 ] && [ -f "$run_dir/pids/incentive-calculator.pid" ]; then
        deadline=$((SECONDS + wait_seconds))
        until service_caught_up incentive-calculator; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                echo "run: incentive-calculator still has events to apply after ${wait_seconds}s (salesctl status --service incentive-calculator); the statement so far:"
                break
            fi
            sleep "$show_every_seconds"
        done
        echo "run: $statement_rep's commission statement for $statement_period, plan \"crm-demo\" ($crm_plan; salesctl statement --json for the document)"
        "$salesctl" statement --rep "$statement_rep" --period "$statement_period" || true
        echo
    fi
    if [ "$retail_published" -eq 1 ] && [ -f "$run_dir/pids/churn-alerting.pid" ]; then
        # Applied, then scored: the scorer scores every few seconds up to
        # each partition's event-time clock, so alerts come once it has.
        deadline=$((SECONDS + wait_seconds))
        until service_caught_up churn-alerting && [ "$(churn_firing_count)" -gt 0 ]; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                echo "run: churn-alerting has not applied and scored the retail slice after ${wait_seconds}s (salesctl status --service churn-alerting); its alerts so far:"
                break
            fi
            sleep "$show_every_seconds"
        done
        show_churn_alerts
    fi
fi
echo "run: services log to $run_dir/logs/; following them — press Ctrl-C to stop everything"
# tail runs in the background so the traps above fire as soon as a signal comes.
tail -n +1 -F "$run_dir"/logs/*.log &
tail_pid=$!
wait $tail_pid
