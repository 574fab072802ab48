#!/bin/sh
# Runs every carp bench with short criterion times and collects the one-line
# summaries (the lines that start with "<bench>:"), then redraws the plots.
#
#   scripts/bench.sh                 # all benches
#   scripts/bench.sh input send      # some of them
#   MEASURE=5 scripts/bench.sh       # longer criterion measurement (s)
#
# The summary lines are also written to bench/summary.txt, one section per
# bench under a "# bench <name> <stamp>" line; running some benches
# replaces only their sections.
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$(pwd)/target}"
export CARGO_TARGET_DIR
WARMUP=${WARMUP:-1}
MEASURE=${MEASURE:-3}
benches=${*:-"auth input send arp scale memory failover takeover"}
mkdir -p bench
summary=bench/summary.txt
log=$CARGO_TARGET_DIR/bench.log
: >"$log"
# The summary holds one section per bench, each under its own stamp
# (scripts/stamp.sh): running some benches replaces only their sections.
new=$(mktemp)
trap 'rm -f "$new"' EXIT
if [ -f "$summary" ]; then
    awk -v run=" $benches " '
        /^# bench / { keep = index(run, " " $3 " ") == 0 }
        keep { print }
    ' "$summary" | grep -v '^# [0-9]' >"$new" || true
fi
sh scripts/stamp.sh >"$summary.tmp"
cat "$new" >>"$summary.tmp"
for b in $benches; do
    case $b in
    auth) pkg=carp-core ;;
    takeover) pkg=carp-sim ;;
    *) pkg=carp-ifnet ;;
    esac
    echo "== $b ($pkg)" >&2
    : >"$log"
    cargo bench -p "$pkg" --bench "$b" -- --warm-up-time "$WARMUP" --measurement-time "$MEASURE" \
        >>"$log" 2>&1 || { echo "bench.sh: $b failed, see $log" >&2; exit 1; }
    {
        echo "# bench $b $(sh scripts/stamp.sh | cut -c3-)"
        grep -E '^(auth|input|send|arp|scale|memory|failover|takeover)( \(carp-sim\))?:' "$log"
    } | tee -a "$summary.tmp"
done
mv "$summary.tmp" "$summary"
if command -v python3 >/dev/null; then
    python3 scripts/plot.py bench
fi
