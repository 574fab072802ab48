#!/usr/bin/env bash
# Runs every fuzz target for N seconds (default 60) and fails on any crash,
# leak or timeout. Installs cargo-fuzz if it is missing. Needs the nightly
# toolchain (`rustup toolchain install nightly`).
#
#   bash fuzz/smoke.sh        # 60 s per target
#   bash fuzz/smoke.sh 600    # 10 minutes per target
#   FUZZ_LOG=bench/fuzz.txt bash fuzz/smoke.sh 600
#                             # also one stamped line per target there
#                             # (executions, cov/ft, corpus): the README's
#                             # fuzz table comes from that file
#
# Corpora grow in fuzz/corpus/<target> (gitignored), seeded from
# fuzz/seeds/<target> (committed); crashes land in fuzz/artifacts/<target>.
set -euo pipefail

SECS="${1:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "smoke.sh: the nightly toolchain is required (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "smoke.sh: installing cargo-fuzz"
    cargo install --locked cargo-fuzz || cargo install cargo-fuzz
fi

TARGETS=(wire_parse frame_input ctl_parse sysctl_set event_sequence)
log="${FUZZ_LOG:-}"
if [ -n "$log" ]; then
    sh scripts/stamp.sh >"$log"
    echo "# bash fuzz/smoke.sh $SECS, one target at a time, from fuzz/seeds and fuzz/corpus" >>"$log"
fi

cargo +nightly fuzz build
failed=()
for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    out="$(mktemp)"
    echo "== fuzz $t for ${SECS}s"
    extra=()
    # Structured input: let it be long from the start.
    [ "$t" = event_sequence ] && extra=(-len_control=0)
    if cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$SECS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        "${extra[@]}" >"$out" 2>&1; then
        done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out" | tail -n 1 || true)
        echo "$done_line"
        grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$out" || true
        if [ -n "$log" ]; then
            execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
            cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
            ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
            corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
            echo "$t: ${SECS} s, ${execs:-?} executions, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}, no crash" >>"$log"
        fi
    else
        echo "!! $t FAILED; last lines of its log:"
        tail -n 60 "$out"
        failed+=("$t")
        [ -z "$log" ] || echo "$t: CRASHED after ${SECS} s or less" >>"$log"
    fi
    rm -f "$out"
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "smoke.sh: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "smoke.sh: all ${#TARGETS[@]} targets ran ${SECS}s clean"
