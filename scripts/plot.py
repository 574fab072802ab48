#!/usr/bin/env python3
"""Plots for BENCHMARKS.md, as plain SVG (standard library only).

Reads the data files the benches write into bench/:
  bench/scale.csv     (carp-ifnet bench `scale`): ns per advert vs vhid count
  bench/takeover.csv  (carp-ifnet bench `failover`): takeover delays
  bench/takeover_sim.csv (carp-sim bench `takeover`): the same in the simulator
and writes:
  bench/scale.svg     per-advert cost vs vhid count, both series
  bench/takeover.svg  histograms of (takeover - last advert heard - formula)
                      and of (takeover - master's death)
  bench/takeover_sim.svg  histogram of (takeover - crash) in the simulator

Usage: scripts/plot.py [bench-dir]
"""

import csv
import os
import sys

W, H = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 60
COLOURS = ["#1f77b4", "#d62728", "#2ca02c"]


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_max(v):
    """A round number at or above v for the top of an axis."""
    if v <= 0:
        return 1.0
    mag = 10 ** len(str(int(v))) / 10
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= v:
            return m * mag
    return 10 * mag


class Svg:
    def __init__(self, title, xlabel, ylabel, w=W, h=H):
        self.w, self.h = w, h
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
            f'<rect width="{w}" height="{h}" fill="white"/>',
            f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15">{esc(title)}</text>',
            f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">{esc(xlabel)}</text>',
            f'<text x="16" y="{h / 2}" text-anchor="middle" '
            f'transform="rotate(-90 16 {h / 2})">{esc(ylabel)}</text>',
        ]

    def add(self, s):
        self.parts.append(s)

    def frame(self, xticks, ymax, yfmt="{:g}"):
        """Axes with the given x ticks [(pos, label)] and 5 y ticks to ymax."""
        x0, y0 = LEFT, self.h - BOTTOM
        x1, y1 = self.w - RIGHT, TOP
        self.add(f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" '
                 f'fill="none" stroke="black"/>')
        for i in range(6):
            v = ymax * i / 5
            y = self.sy(v, ymax)
            self.add(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#ddd"/>')
            self.add(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end">{yfmt.format(v)}</text>')
        for pos, label in xticks:
            self.add(f'<line x1="{pos}" y1="{y0}" x2="{pos}" y2="{y0 + 5}" stroke="black"/>')
            self.add(f'<text x="{pos}" y="{y0 + 18}" text-anchor="middle">{esc(label)}</text>')

    def sy(self, v, ymax):
        return self.h - BOTTOM - (self.h - BOTTOM - TOP) * v / ymax

    def sx(self, v, xmin, xmax):
        return LEFT + (self.w - LEFT - RIGHT) * (v - xmin) / (xmax - xmin)

    def legend(self, entries):
        for i, (label, colour) in enumerate(entries):
            y = TOP + 16 + 18 * i
            self.add(f'<rect x="{LEFT + 12}" y="{y - 9}" width="14" height="10" fill="{colour}"/>')
            self.add(f'<text x="{LEFT + 32}" y="{y}">{esc(label)}</text>')

    def write(self, path):
        with open(path, "w") as f:
            f.write("\n".join(self.parts + ["</svg>"]) + "\n")


def plot_scale(bench):
    path = os.path.join(bench, "scale.csv")
    if not os.path.exists(path):
        print(f"plot.py: no {path}, skipped (run the scale bench)")
        return
    rows = list(csv.DictReader(open(path)))
    n = [int(r["vhids"]) for r in rows]
    series = [
        ("distinct skews (one vhid per deadline)", [float(r["distinct_ns_per_advert"]) for r in rows]),
        ("one shared skew (all deadlines together)", [float(r["shared_ns_per_advert"]) for r in rows]),
    ]
    ymax = nice_max(max(max(s) for _, s in series) * 1.05)
    svg = Svg("carp-ifnet: CPU time per advert sent, all vhids masters",
              "vhids on one parent", "ns per advert")
    xmax = 256
    svg.frame([(svg.sx(v, 0, xmax), str(v)) for v in n], ymax, "{:.0f}")
    for (label, ys), colour in zip(series, COLOURS):
        pts = " ".join(f"{svg.sx(x, 0, xmax):.1f},{svg.sy(y, ymax):.1f}" for x, y in zip(n, ys))
        svg.add(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in zip(n, ys):
            svg.add(f'<circle cx="{svg.sx(x, 0, xmax):.1f}" cy="{svg.sy(y, ymax):.1f}" r="3.5" fill="{colour}"/>')
            svg.add(f'<text x="{svg.sx(x, 0, xmax):.1f}" y="{svg.sy(y, ymax) - 8:.1f}" '
                    f'text-anchor="middle" fill="{colour}">{y:.0f}</text>')
    svg.legend([(label, c) for (label, _), c in zip(series, COLOURS)])
    out = os.path.join(bench, "scale.svg")
    svg.write(out)
    print(f"plot.py: wrote {out}")


def histogram(svg_title, xlabel, values, bins, lo, hi, out, colour, note):
    counts = [0] * bins
    width = (hi - lo) / bins
    for v in values:
        i = min(int((v - lo) / width), bins - 1) if v >= lo else 0
        counts[i] += 1
    ymax = nice_max(max(counts) * 1.1)
    svg = Svg(svg_title, xlabel, "runs")
    ticks = []
    for k in range(6):
        v = lo + (hi - lo) * k / 5
        ticks.append((svg.sx(v, lo, hi), f"{v:g}"))
    svg.frame(ticks, ymax, "{:.0f}")
    for i, c in enumerate(counts):
        x = svg.sx(lo + i * width, lo, hi)
        x2 = svg.sx(lo + (i + 1) * width, lo, hi)
        y = svg.sy(c, ymax)
        svg.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(x2 - x - 1, 1):.1f}" '
                f'height="{svg.h - BOTTOM - y:.1f}" fill="{colour}"/>')
    svg.add(f'<text x="{svg.w - RIGHT - 8}" y="{TOP + 16}" text-anchor="end">{esc(note)}</text>')
    svg.write(out)
    print(f"plot.py: wrote {out}")


def plot_takeover(bench):
    path = os.path.join(bench, "takeover.csv")
    if not os.path.exists(path):
        print(f"plot.py: no {path}, skipped (run the failover bench)")
        return
    rows = list(csv.DictReader(open(path)))
    excess_ms = [int(r["excess_us"]) / 1000 for r in rows]
    after_s = [int(r["after_death_us"]) / 1e6 for r in rows]
    histogram(
        "Takeover - last advert heard - (3 advbase + skew/256)",
        "excess over the formula, ms (timer lateness drawn in 0-4 ms)",
        excess_ms, 20, 0, 4, os.path.join(bench, "takeover.svg"), COLOURS[0],
        f"{len(rows)} runs, max {max(excess_ms):.2f} ms",
    )
    histogram(
        "Takeover - master's death",
        "seconds (advbase 1, skews 0-254, loss 0-10 %)",
        after_s, 20, 0, 4, os.path.join(bench, "takeover_after_death.svg"), COLOURS[1],
        f"{len(rows)} runs, median {sorted(after_s)[len(after_s) // 2]:.2f} s",
    )


def plot_takeover_sim(bench):
    path = os.path.join(bench, "takeover_sim.csv")
    if not os.path.exists(path):
        print(f"plot.py: no {path}, skipped (run the carp-sim takeover bench)")
        return
    rows = list(csv.DictReader(open(path)))
    after_s = [int(r["after_crash_us"]) / 1e6 for r in rows]
    exact = sum(1 for r in rows if int(r["excess_us"]) == 0)
    histogram(
        "carp-sim: takeover - master's crash",
        "seconds (advbase 1, skews 0-200, loss 0-10 %, delay 0-3 ms)",
        after_s, 20, 0, 4, os.path.join(bench, "takeover_sim.svg"), COLOURS[2],
        f"{len(rows)} runs, median {sorted(after_s)[len(after_s) // 2]:.2f} s, "
        f"{exact} at the formula exactly",
    )


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    bench = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "bench")
    plot_scale(bench)
    plot_takeover(bench)
    plot_takeover_sim(bench)


if __name__ == "__main__":
    main()
