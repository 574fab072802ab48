#!/bin/sh
# The real-network failover measurement (tests/tests/interop_failover.rs,
# CARP, and tests/tests/interop_failover_vrrp.rs, VRRPv3) with a release
# carpd, one test at a time, as .ci/run runs it; every measured line goes
# to stdout and, stamped (scripts/stamp.sh), to $FAILOVER_LOG (default
# bench/failover.txt), where README.md and BENCHMARKS.md take their
# failover figures from. Root, network namespaces, tshark, ucarp and
# keepalived are needed. Fails when an assertion of a test fails.
#
#   scripts/failover.sh                      # FAILOVER_RUNS=3 advbase-1 runs
#   FAILOVER_RUNS=10 scripts/failover.sh
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$(pwd)/target}"
export CARGO_TARGET_DIR
log=${FAILOVER_LOG:-bench/failover.txt}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo build --quiet --release -p carpd
status=0
CARPD_BIN="$CARGO_TARGET_DIR/release/carpd" cargo test -p carp-tests --test interop_failover --test interop_failover_vrrp \
    -- --ignored --nocapture --test-threads=1 >"$out" 2>&1 || status=$?
cat "$out"
{
    sh scripts/stamp.sh
    # libtest prints a test's name and its first output on one line.
    sed 's/^\(test [^ ]* \.\.\. \)\(..*\)$/\1\n\2/' "$out" |
        grep -E '^(run [0-9]+ of|discarded \(|failover |  last advert|  client:|  note:|advbase 0:|test .* \.\.\. ?|test result:)' || true
} >"$log"
echo "failover.sh: lines in $log"
exit "$status"
