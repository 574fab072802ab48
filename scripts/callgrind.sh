#!/bin/sh
# Instruction counts per operation under callgrind: repeatable, unlike wall
# time on a shared machine.
#
# Builds the `ops` bench of carp-ifnet (a driver that runs one measured path
# N times), runs every path twice under `valgrind --tool=callgrind` with N1
# and N2 iterations and prints (Ir(N2) - Ir(N1)) / (units(N2) - units(N1)),
# which cancels setup and teardown. Units are adverts for scale-*, calls
# otherwise. Keeps the N2 profiles in $OUT (callgrind_annotate them).
#
# Note: valgrind's CPUID hides SHA-NI, so sha1 runs its portable code here;
# the ratios to the floor are the meaningful figures, not absolute Ir.
#
# Usage: scripts/callgrind.sh [path...]     (default: every path)
# The lines also go, stamped (scripts/stamp.sh), to $CALLGRIND_LOG
# (default bench/callgrind.txt), where BENCHMARKS.md takes its Ir from.
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$(pwd)/target}"
export CARGO_TARGET_DIR
OUT=${OUT:-$CARGO_TARGET_DIR/callgrind}
N1=${N1:-1000}
N2=${N2:-11000}
mkdir -p "$OUT"

ops=$(cargo bench -p carp-ifnet --bench ops --no-run 2>&1 |
    sed -n 's/.*Executable benches\/ops.rs (\(.*\))/\1/p' | tail -n 1)
[ -x "$ops" ] || { echo "callgrind.sh: could not build the ops bench" >&2; exit 1; }

paths=${*:-"floor compress accept forged badvhid ttl254 badversion badchecksum truncated send arp-balanced arp-unbalanced part-parse part-shortcut part-carp-checksum part-sysctl-bump part-sysctl-lane part-verify part-sign scale-1 scale-16 scale-64 scale-128 scale-255"}

# Total Ir of one run, and the units it reports.
measure() { # path n -> "ir units"
    file="$OUT/$1.$2.out"
    units=$(valgrind --tool=callgrind --callgrind-out-file="$file" "$ops" "$1" "$2" 2>/dev/null |
        sed -n 's/^ops: .* units \([0-9]*\)$/\1/p')
    ir=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$file")
    echo "$ir $units"
}

log=${CALLGRIND_LOG:-bench/callgrind.txt}
sh scripts/stamp.sh >"$log"
floor_ir=""
compress_ir=""
for p in $paths; do
    set -- $(measure "$p" "$N1")
    ir1=$1 u1=$2
    set -- $(measure "$p" "$N2")
    ir2=$1 u2=$2
    rm -f "$OUT/$p.$N1.out"
    per=$(( (ir2 - ir1) / (u2 - u1) ))
    case $p in
    floor) floor_ir=$per ;;
    compress) compress_ir=$per ;;
    esac
    extra=""
    if [ -n "$floor_ir" ] && [ -n "$compress_ir" ]; then
        extra=$(awk -v x="$per" -v f="$floor_ir" -v c="$compress_ir" \
            'BEGIN { printf " (%.2fx floor, %.3fx compress)", x / f, x / c }')
    fi
    echo "callgrind: $p $per Ir/op$extra" | tee -a "$log"
done
echo "callgrind: profiles in $OUT (callgrind_annotate $OUT/<path>.$N2.out)"
