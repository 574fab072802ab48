#!/usr/bin/env bash
# Runs every fuzz target for N seconds (default 60) and fails on any crash,
# leak or timeout. Installs cargo-fuzz if it is missing. Needs the nightly
# toolchain (`rustup toolchain install nightly`).
#
#   bash fuzz/smoke.sh        # 60 s per target
#   bash fuzz/smoke.sh 600    # 10 minutes per target
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

cargo +nightly fuzz build
failed=()
for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    log="$(mktemp)"
    echo "== fuzz $t for ${SECS}s"
    extra=()
    # Structured input: let it be long from the start.
    [ "$t" = event_sequence ] && extra=(-len_control=0)
    if cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$SECS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        "${extra[@]}" >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
        grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$log" || true
    else
        echo "!! $t FAILED; last lines of its log:"
        tail -n 60 "$log"
        failed+=("$t")
    fi
    rm -f "$log"
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "smoke.sh: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "smoke.sh: all ${#TARGETS[@]} targets ran ${SECS}s clean"
