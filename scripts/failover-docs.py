#!/usr/bin/env python3
"""Copies the failover figures of bench/failover.txt (scripts/failover.sh)
into README.md and BENCHMARKS.md: the code blocks between the markers
`<!-- failover:begin -->` and `<!-- failover:end -->` (README: one counted run
of each setup; BENCHMARKS: every line but libtest's), so the docs quote the log verbatim
(tests/tests/docs_figures.rs checks it).

    python3 scripts/failover-docs.py
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN = "<!-- failover:begin -->"
END = "<!-- failover:end -->"


def runs(lines):
    """Each counted run as its lines, in log order (discarded runs, those
    whose steady state was disturbed before the crash, left out)."""
    out = []
    for i, line in enumerate(lines):
        if line.startswith("failover ") and not (i and lines[i - 1].startswith("discarded")):
            block = [line]
            for nxt in lines[i + 1 : i + 5]:
                if nxt.startswith("  "):
                    block.append(nxt)
                else:
                    break
            out.append(block)
    return out


def replace(doc, body):
    path = ROOT / doc
    text = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"{doc}: no {BEGIN} ... {END} block")
    block = f"{BEGIN}\n```\n" + "\n".join(body) + f"\n```\n{END}"
    path.write_text(pattern.sub(lambda _m: block, text))


def main():
    log = (ROOT / "bench/failover.txt").read_text().splitlines()
    stamp = log[0]
    measured = runs(log)
    first = {}
    for block in measured:
        key = block[0].split(":")[0]
        first.setdefault(key, block)
    summary = [l for l in log if l.startswith("advbase 0: takeover")]
    readme = [stamp]
    # carpd's CARP lines, its VRRPv3 line, then the other daemons'.
    for key in sorted(
        first, key=lambda k: (not k.startswith("failover carpd"), "vrrp3" in k, "advbase=0" in k)
    ):
        readme += first[key]
    readme += summary
    replace("README.md", readme)
    bench = [l for l in log if not l.startswith("test ")]
    replace("BENCHMARKS.md", bench)


if __name__ == "__main__":
    main()
