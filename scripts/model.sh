#!/bin/sh
# The election's model check (tests/tests/model_check.rs, tests/src/model)
# in a release build: the default bounds CI runs and, unless MODEL_QUICK=1,
# the larger bounds (#[ignore]d, about 8 minutes on 2 CPUs). Every "model:"
# line goes to stdout and, stamped (scripts/stamp.sh), to $MODEL_LOG
# (default bench/model.txt), where README.md takes its model-check figures
# from (tests/tests/docs_figures.rs holds it). Fails when a property fails.
#
#   scripts/model.sh
#   MODEL_QUICK=1 scripts/model.sh
set -eu
cd "$(dirname "$0")/.."
log=${MODEL_LOG:-bench/model.txt}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
if [ "${MODEL_QUICK:-0}" = 1 ]; then
    filter="model_check_default_bounds"
    extra=""
else
    filter="model_check_"
    extra="--include-ignored"
fi
cargo test --release -p carp-tests --test model_check -- $extra --nocapture --test-threads=1 "$filter" \
    >"$out" 2>&1 || status=$?
cat "$out"
{
    sh scripts/stamp.sh
    sed 's/^\(test [^ ]* \.\.\. \)\(..*\)$/\1\n\2/' "$out" | grep -E '^(model:|test .* \.\.\. ?|test result:)' || true
} >"$log"
echo "model.sh: lines in $log"
exit "$status"
