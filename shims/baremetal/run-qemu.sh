#!/usr/bin/env bash
# Boots the Cortex-M image (thumbv7em-none-eabihf) on QEMU's mps2-an386
# (Cortex-M4) and checks what it reports over semihosting against the CARP
# formula, computed here from the scenario's constants:
#
#   A (advskew 0) is MASTER at 3 x advbase + 0/256 s = 3 s and advertises
#   every advbase + 0/256 s = 1 s; it stops at the first of its adverts at
#   or after kill_us; B (advskew 100) must take over exactly
#   3 x advbase s + 100/256 s after that last advert.
#
#   shims/baremetal/run-qemu.sh
# Fails when the build fails, QEMU is missing, fails or hangs (60 s), the
# line is missing, B is not MASTER, or the instant is not the formula's.
set -euo pipefail
cd "$(dirname "$0")"
target=thumbv7em-none-eabihf
qemu=$(command -v qemu-system-arm || true)
if [ -z "$qemu" ]; then
    echo "run-qemu.sh: qemu-system-arm is missing (Debian: qemu-system-arm)" >&2
    exit 1
fi
cargo build --quiet --release --target "$target"
elf="${CARGO_TARGET_DIR:-target}/$target/release/carp-baremetal"
set +e
out=$(timeout 60 "$qemu" -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$elf")
status=$?
set -e
echo "$out"
if [ "$status" -ne 0 ]; then
    echo "run-qemu.sh: QEMU exited $status (1: the image reported failure, 124: hung)" >&2
    exit 1
fi
line=$(grep '^carp-baremetal: ' <<<"$out" || true)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
kill_us=$(field kill_us)
skews=$(field skews)
if [ -z "$kill_us" ] || [ -z "$skews" ]; then
    echo "run-qemu.sh: no outcome line" >&2
    exit 1
fi
skew_a=${skews%/*} skew_b=${skews#*/}
advbase=1
a_master=$((3 * advbase * 1000000 + skew_a * 1000000 / 256))
a_interval=$((advbase * 1000000 + skew_a * 1000000 / 256))
last_advert=$((a_master + (kill_us - a_master + a_interval - 1) / a_interval * a_interval))
expected=$((last_advert + 3 * advbase * 1000000 + skew_b * 1000000 / 256))
got=$(field takeover_us)
if [ "$(field b)" != MASTER ] || [ "$(field took_over)" != 1 ]; then
    echo "run-qemu.sh: B did not take over" >&2
    exit 1
fi
if [ "$got" != "$expected" ]; then
    echo "run-qemu.sh: B took over at $got us, the formula says $expected us" >&2
    exit 1
fi
echo "run-qemu.sh: B took over at $got us = last advert of A at $last_advert us + 3 x $advbase s + $skew_b/256 s"
