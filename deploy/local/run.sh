#!/usr/bin/env bash
# `make run`: start the local stack (PostgreSQL, Redis, every built service),
# show what runs and follow the service logs until Ctrl-C (or SIGTERM), then
# stop everything this run started.
#   deploy/local/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
run_dir=${SP_RUN_DIR:-$PWD/.run}

stopping=0
stop() {
    [ $stopping -eq 0 ] || return 0
    stopping=1
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

# Feed the demo events through activity-ingest and show what the log holds.
demo=${SP_DEMO_EVENTS:-deploy/demo/events.jsonl}
if [ -x "$build/bin/salesctl" ] && [ -f "$demo" ] && [ -f "$run_dir/pids/activity-ingest.pid" ]; then
    # shellcheck disable=SC1091
    source "$run_dir/env"
    echo "run: publishing $demo"
    "$build/bin/salesctl" publish "$demo" || echo "run: some demo events were not accepted (see above)"
    echo
    echo "run: the event log now holds"
    psql "$SP_POSTGRES_URL" -X -q -c \
        "SELECT partition, count(*) AS events, max(sequence) AS head FROM events GROUP BY partition ORDER BY partition" \
        -c "SELECT type, count(*) AS events FROM events GROUP BY type ORDER BY type"
    echo
fi
echo "run: services log to $run_dir/logs/; following them — press Ctrl-C to stop everything"
# tail runs in the background so the traps above fire as soon as a signal comes.
tail -n +1 -F "$run_dir"/logs/*.log &
wait $!
