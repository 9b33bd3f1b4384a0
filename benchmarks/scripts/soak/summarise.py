#!/usr/bin/env python3
"""Summarise a sample.sh series: start, end, min, max per column, and the slope of a least-squares line over the
second half (after warm-up), per hour; a column whose second-half slope is positive and whose end is its max is
marked 'grows?'. Usage: summarise.py SAMPLES.tsv"""
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
head, rows = rows[0], rows[1:]
t0 = int(rows[0][0])
print(f"{len(rows)} samples over {(int(rows[-1][0]) - t0) / 60:.1f} min")
for i, name in enumerate(head[1:], 1):
    pts = [(int(r[0]) - t0, float(r[i])) for r in rows if r[i] not in ("-", "")]
    if not pts:
        continue
    vals = [v for _, v in pts]
    half = pts[len(pts) // 2:]
    n = len(half); mx = sum(t for t, _ in half) / n; my = sum(v for _, v in half) / n
    den = sum((t - mx) ** 2 for t, _ in half) or 1
    slope = sum((t - mx) * (v - my) for t, v in half) / den * 3600
    flag = "grows?" if slope > 0 and vals[-1] >= max(vals) * 0.98 and vals[-1] > vals[len(vals) // 2] else ""
    print(f"{name:14} start {vals[0]:>10.0f} end {vals[-1]:>10.0f} min {min(vals):>10.0f} max {max(vals):>10.0f}"
          f"  2nd-half slope {slope:>+10.1f}/h {flag}")
