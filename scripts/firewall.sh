#!/bin/sh
# The firewall pair (examples/firewall-pair, tests/tests/firewall_pair.rs)
# run FIREWALL_RUNS times (default 5) in a row, as .ci/run runs it; every
# "firewall-pair <case>:" line goes to stdout and, stamped
# (scripts/stamp.sh) with "run N of M:" before each run, to $FIREWALL_LOG
# (default bench/firewall.txt), followed by "firewall-pair summary" lines
# (min-max over the runs) that README.md's "Firewall pair" section quotes
# (tests/tests/docs_figures.rs checks it). Root, network namespaces,
# nftables, conntrackd and conntrack are needed. Fails when a run fails.
#
#   scripts/firewall.sh
#   FIREWALL_RUNS=10 scripts/firewall.sh
set -eu
cd "$(dirname "$0")/.."
runs=${FIREWALL_RUNS:-5}
log=${FIREWALL_LOG:-bench/firewall.txt}
out=$(mktemp)
lines=$(mktemp)
trap 'rm -f "$out" "$lines"' EXIT
cargo build --quiet -p carpd
cargo test --quiet -p carp-tests --test firewall_pair --no-run
status=0
i=1
while [ "$i" -le "$runs" ]; do
    echo "run $i of $runs:" >>"$lines"
    cargo test -p carp-tests --test firewall_pair -- --ignored --nocapture --test-threads=1 \
        >"$out" 2>&1 || status=$?
    cat "$out"
    # libtest prints a test's name and its first output on one line.
    sed 's/^\(test [^ ]* \.\.\. \)\(..*\)$/\1\n\2/' "$out" |
        grep -E '^(firewall-pair |test result:)' >>"$lines" || true
    i=$((i + 1))
done
{
    sh scripts/stamp.sh
    cat "$lines"
    python3 - "$lines" <<'PY'
import re, sys

text = open(sys.argv[1]).read()
runs = len(re.findall(r"^run \d+ of", text, re.M))
passed = text.count("test result: ok.")

def nums(pattern):
    return [float(m) for m in re.findall(pattern, text)]

def span(values, fmt="{:.0f}"):
    if not values:
        return "none"
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else (fmt + "-" + fmt).format(lo, hi)

def s3(values):
    return span(values, "{:.3f}")

crash_take = nums(r"firewall-pair crash: fw2 took over vhid \d \(\w+\) \+([\d.]+) s, vhid \d \(\w+\) \+[\d.]+ s") + \
    nums(r"firewall-pair crash: fw2 took over vhid \d \(\w+\) \+[\d.]+ s, vhid \d \(\w+\) \+([\d.]+) s")
crash_gap = nums(r"firewall-pair crash: .*?; stream gap (\d+) ms")
crash_bound = nums(r"firewall-pair crash: .*?\(bound (\d+) ms from rto")
hook = nums(r"firewall-pair crash: .*?ran (\d+) ms")
invalid = nums(r"firewall-pair crash: .*?dropped (\d+) as invalid")
pre_take = nums(r"firewall-pair preemption: .*?master vhid \d \(\w+\) \+([\d.]+) s") + \
    nums(r"firewall-pair preemption: .*?, vhid \d \(\w+\) \+([\d.]+) s;")
pre_gap = nums(r"firewall-pair preemption: .*?largest stream gap after its return (\d+) ms")
stop_take = nums(r"firewall-pair graceful stop .*?fw2 took over vhid \d \(\w+\) \+([\d.]+) s") + \
    nums(r"firewall-pair graceful stop .*?, vhid \d \(\w+\) \+([\d.]+) s \(master-down")
stop_gap = nums(r"firewall-pair graceful stop .*?largest stream gap (\d+) ms")
stop_bound = nums(r"firewall-pair graceful stop .*?\(bound (\d+) ms;")
sync_take = nums(r"firewall-pair sync link: .*?fw2 preempted vhid \d \(\w+\) \+([\d.]+) s") + \
    nums(r"firewall-pair sync link: .*?fw2 preempted vhid \d \(\w+\) \+[\d.]+ s, vhid \d \(\w+\) \+([\d.]+) s")
sync_back = nums(r"firewall-pair sync link: .*?fw1 preempted back vhid \d \(\w+\) \+([\d.]+) s") + \
    nums(r"firewall-pair sync link: .*?fw1 preempted back vhid \d \(\w+\) \+[\d.]+ s, vhid \d \(\w+\) \+([\d.]+) s")
sync_gap = nums(r"firewall-pair sync link: .*?largest stream gap (\d+) ms")
stalled = len(re.findall(r"firewall-pair control \(no conntrackd\): .*?stream end (stalled|reset|closed)", text))
control = text.count("firewall-pair control (no conntrackd)")
ms = lambda v: [x * 1000 for x in v]

def kept(case):
    """How many of `case`'s lines say the stream ran to its deadline."""
    n = len(re.findall(r"^firewall-pair " + re.escape(case) + r".*end deadline", text, re.M))
    return f"stream to its deadline (no reset) in {n} of {runs}"

print(f"firewall-pair summary: {passed} of {runs} runs passed (4 cases each)")
print(f"firewall-pair summary crash: takeover {s3(crash_take)} s after the crash (formula 2.391-3.391 s), group hook {span(hook)} ms, stream gap {span(crash_gap)} ms (bound {span(crash_bound)} ms), {kept('crash:')}; {span(invalid)} packets dropped as invalid before the commit")
print(f"firewall-pair summary graceful stop: bow-out takeover {span(ms(stop_take))} ms, largest stream gap {span(stop_gap)} ms (bound {span(stop_bound)} ms), {kept('graceful stop')}")
print(f"firewall-pair summary preemption: fw1 master {s3(pre_take)} s after its return (hold-down 3 s), largest gap after it {span(pre_gap)} ms, {kept('preemption:')}")
print(f"firewall-pair summary sync link: fw2 preempted {span(ms(sync_take))} ms after fw1's sync port went down, fw1 back {span(ms(sync_back))} ms after it returned, largest gap {span(sync_gap)} ms, {kept('sync link:')}")
print(f"firewall-pair summary control: without conntrackd the stream stalled or was reset in {stalled} of {control} runs")
PY
} >"$log"
grep '^firewall-pair summary' "$log"
echo "firewall.sh: lines in $log"
exit "$status"
