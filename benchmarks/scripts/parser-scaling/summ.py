# Summarises Harness output: per construct and scanner, the times at the four sizes, the 8x/1x ratio (8 for linear),
# the outcome and rules at the largest size. Usage: summ.py RAW
import re, sys, collections
d = collections.OrderedDict()
cur = None
for line in open(sys.argv[1]):
    m = re.match(r'(\S+)-(\d)\.eml\s+(\d+)', line)
    if m: cur = (m.group(1), int(m.group(2)), int(m.group(3))); continue
    m = re.match(r'\s+(\S+)\s+([\d.]+) ms\s+(.*)', line)
    if m and cur:
        o = re.search(r'outcome=(\w+)', m.group(3)); rules = re.findall(r'name=(\w+)', m.group(3))
        out = o.group(1) if o else m.group(3)[:60]
        d.setdefault(cur[0], {}).setdefault(m.group(1), []).append((cur[1], cur[2], float(m.group(2)), out, [r for r in rules if not r.startswith(('BAYES_','SPF_','DKIM_N','DMARC_N','ARC_N'))][:4]))
for k, sc in d.items():
    for s, rows in sc.items():
        ts = [r[2] for r in rows]
        ratio = ts[-1]/max(ts[0], 0.5) if len(ts) == 4 else 0
        flag = " <<<" if len(ts)==4 and ratio > 16 and ts[-1] > 200 else ""
        print(f"{k:14} {s:11} " + " ".join(f"{t:8.1f}" for t in ts) + f"  x{ratio:5.1f} {rows[-1][3]} {rows[-1][4]}{flag}")
