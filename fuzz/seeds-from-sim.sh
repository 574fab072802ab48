#!/usr/bin/env bash
# Adds seeds taken from the simulator's captures: every shipped scenario
# is run to a pcap and its first distinct frames become `frame_input` seeds
# (`[Ethernet, no flags, frame]`) and, for CARP adverts, `wire_parse` seeds
# (the 36-byte header). Run from anywhere; the seeds are committed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo build -q -p carp-sim
for scenario in shims/sim/scenarios/*.toml; do
    name="$(basename "$scenario" .toml)"
    target/debug/carp-sim run "$scenario" --pcap "$tmp/$name.pcap" >/dev/null
    python3 - "$tmp/$name.pcap" "$name" <<'PY'
import struct, sys
path, name = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
off, seen, n = 24, set(), 0
while off + 16 <= len(data) and n < 12:
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    kind = frame[12:14] + (frame[23:24] if frame[12:14] == b"\x08\x00" else b"")
    if kind in seen and n >= 4:
        continue
    seen.add(kind)
    open(f"fuzz/seeds/frame_input/sim-{name}-{n:02}", "wb").write(bytes([0, 0]) + frame)
    if frame[12:14] == b"\x08\x00" and frame[23] == 112 and len(frame) >= 70:
        open(f"fuzz/seeds/wire_parse/sim-{name}-{n:02}", "wb").write(frame[34:70])
    n += 1
PY
done
echo "seeds-from-sim: $(ls fuzz/seeds/frame_input | grep -c '^sim-') frame_input, $(ls fuzz/seeds/wire_parse | grep -c '^sim-') wire_parse seeds"
