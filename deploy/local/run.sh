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
echo "run: services log to $run_dir/logs/; following them — press Ctrl-C to stop everything"
# tail runs in the background so the traps above fire as soon as a signal comes.
tail -n +1 -F "$run_dir"/logs/*.log &
wait $!
