#!/usr/bin/env bash
# tools/churn-eval/evaluate.sh - writes docs/churn-evaluation.md: the retail
# events (deploy/demo/retail/retail-events.sh) replayed through
# churn-alerting's scoring and alert code by build/release/bin/churn-replay
# (tests/programs/churn-replay/main.c), judged against oracle.tsv and
# baseline.tsv beside this script (oracle.sh writes them).
#
#   evaluate.sh [--check] [--model FILE] [RETAIL_CSV]
#
# Builds nothing: run `make` first. --model replays another health document
# (the report then describes that model); --check exits 1 unless the
# model's F1 is above the recency baseline's at every cutoff. Runs in about
# a second; the report is the same byte for byte on every run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
replay=${CHURN_REPLAY:-$root/build/release/bin/churn-replay}
options=()
while [ $# -gt 0 ]; do
    case $1 in
        --check) options+=(--check); shift ;;
        --model) [ $# -ge 2 ] || { sed -n '8p' "$0" | sed 's/^#  */usage: /' >&2; exit 2; }
                 options+=(--model "$2"); shift 2 ;;
        --) shift; break ;;
        -?*) sed -n '8p' "$0" | sed 's/^#  */usage: /' >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -le 1 ] || { sed -n '8p' "$0" | sed 's/^#  */usage: /' >&2; exit 2; }
[ -x "$replay" ] || { echo "evaluate: \"$replay\" is missing: run make first" >&2; exit 1; }
[ -r "$here/oracle.tsv" ] && [ -r "$here/baseline.tsv" ] || "$here/oracle.sh" ${1:+"$1"}
events=$(mktemp)
trap 'rm -f "$events"' EXIT
"$root/deploy/demo/retail/retail-events.sh" ${1:+"$1"} > "$events"
"$replay" --events "$events" --oracle "$here/oracle.tsv" --baseline "$here/baseline.tsv" \
    --out "$root/docs/churn-evaluation.md" ${options[@]+"${options[@]}"}
