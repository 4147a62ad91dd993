#!/usr/bin/env bash
# Runs cmocka test binaries and prints one closing line over all of them.
#   tests/run-tests.sh BUILD_DIR UNIT_BIN... -- INTEGRATION_BIN...
# Unit tests run first, then integration tests. Each binary's own cmocka
# summary is shown; the last line is "total: N passed, N failed", after a
# "failed: BINARY" line for each binary with a failure. Exits non-zero
# when any test failed or any binary crashed.
#
# The integration tests named in SP_CLUSTER_TESTS (default below: the
# consumer acceptance suite and the services' end-to-end tests) run a
# second time on a Redis Cluster, shown as "BINARY (cluster)": with
# SP_HARNESS_REDIS=cluster the harness starts a 3-master cluster in place
# of its one Redis server (tests/integration/harness/sp_harness.h,
# docs/testing.md).
set -u
cluster_tests=${SP_CLUSTER_TESTS-test_consumer test_consumer_exactly_once test_consumer_failover \
    test_consumer_state test_consumer_store test_consumer_coalesce test_consumer_apply_order \
    test_consumer_config \
    test_funnel_e2e test_kpi_e2e test_incentive_e2e}
build=$1; shift
unit=(); integration=(); seen_separator=0
for arg in "$@"; do
    if [ "$arg" = "--" ]; then seen_separator=1; continue; fi
    if [ $seen_separator -eq 0 ]; then unit+=("$arg"); else integration+=("$arg"); fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export SP_SOURCE_DIR=${SP_SOURCE_DIR:-$(pwd)}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$SP_SOURCE_DIR/tests/lsan.supp:print_suppressions=0}
export SP_BUILD_DIR=$build

passed=0; failed=0; crashed=(); failures=()
# run_one LABEL COMMAND...: runs one binary, counts its tests under LABEL.
run_one() {
    local label=$1; shift
    local output status p f
    echo "---- $label"
    output=$(mktemp)
    "$@" 2>&1 | tee "$output"
    status=${PIPESTATUS[0]}
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$output" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$output" | awk '{s+=$1} END {print s+0}')
    rm -f "$output"
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -gt 0 ]; then failures+=("$label ($f)"); fi
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        crashed+=("$label (exit $status)")
    fi
}
run_group() {
    local title=$1; shift
    [ $# -gt 0 ] || return 0
    echo "==== $title tests"
    local binary
    for binary in "$@"; do
        run_one "$binary" "$binary"
        if [ "$title" = integration ] && [[ " $cluster_tests " == *" ${binary##*/} "* ]]; then
            run_one "$binary (cluster)" env SP_HARNESS_REDIS=cluster "$binary"
        fi
    done
}
run_group unit "${unit[@]+"${unit[@]}"}"
run_group integration "${integration[@]+"${integration[@]}"}"

for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: $f"; done
for c in "${crashed[@]+"${crashed[@]}"}"; do echo "crashed: $c"; failed=$((failed + 1)); done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
