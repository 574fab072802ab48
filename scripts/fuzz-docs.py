#!/usr/bin/env python3
"""Writes the README's fuzz table from bench/fuzz.txt (written by
`FUZZ_LOG=bench/fuzz.txt bash fuzz/smoke.sh SECONDS`): the rows between
`<!-- fuzz:begin -->` and `<!-- fuzz:end -->`
(tests/tests/docs_figures.rs checks them against the log).

    python3 scripts/fuzz-docs.py
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN = "<!-- fuzz:begin -->"
END = "<!-- fuzz:end -->"
NOTES = {
    "event_sequence": " (each input simulates 2-3 hosts for tens of seconds)",
}


def executions(n):
    value, unit = (n / 1e6, "M") if n >= 1_000_000 else (n / 1e3, "k")
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def main():
    log = (ROOT / "bench/fuzz.txt").read_text().splitlines()
    stamp = log[0].lstrip("# ")
    rows = [
        "| target | executions | coverage (cov / ft) | corpus |",
        "|---|---|---|---|",
    ]
    for line in log:
        if line.startswith("#"):
            continue
        m = re.match(
            r"(\w+): (\d+) s, (\d+) executions, cov (\d+) ft (\d+), corpus (\d+), no crash$",
            line,
        )
        if not m:
            sys.exit(f"bench/fuzz.txt: not a clean run: {line}")
        target, _secs, n, cov, ft, corp = m.groups()
        note = NOTES.get(target, "")
        rows.append(f"| `{target}` | {executions(int(n))}{note} | {cov} / {ft} | {corp} |")
    block = f"{BEGIN}\n" + "\n".join(rows) + f"\n\n(bench/fuzz.txt: {stamp})\n{END}"
    path = ROOT / "README.md"
    text = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"README.md: no {BEGIN} ... {END} block")
    path.write_text(pattern.sub(lambda _m: block, text))


if __name__ == "__main__":
    main()
