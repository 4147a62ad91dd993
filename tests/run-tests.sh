#!/usr/bin/env bash
# Runs cmocka test binaries and prints one closing line over all of them.
#   tests/run-tests.sh BUILD_DIR UNIT_BIN... -- INTEGRATION_BIN...
# Unit tests run first, then integration tests. Each binary's own cmocka
# summary is shown; the last line is "total: N passed, N failed". Exits
# non-zero when any test failed or any binary crashed.
set -u
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

passed=0; failed=0; crashed=()
run_group() {
    local title=$1; shift
    [ $# -gt 0 ] || return 0
    echo "==== $title tests"
    local binary output status p f
    for binary in "$@"; do
        echo "---- $binary"
        output=$(mktemp)
        "$binary" 2>&1 | tee "$output"
        status=${PIPESTATUS[0]}
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$output" | awk '{s+=$1} END {print s+0}')
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$output" | awk '{s+=$1} END {print s+0}')
        rm -f "$output"
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
            crashed+=("$binary (exit $status)")
        fi
    done
}
run_group unit "${unit[@]+"${unit[@]}"}"
run_group integration "${integration[@]+"${integration[@]}"}"

for c in "${crashed[@]+"${crashed[@]}"}"; do echo "crashed: $c"; failed=$((failed + 1)); done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
