#!/usr/bin/env python3
"""Compares the statistics of a wall-unit channel run (profiles.csv, timeseries.csv of an
`ifactflow dns` output directory) with Moser, Kim & Mansour (1999) at Re_tau ~ 180
(VALIDATION.md): Re_tau, U_b+, U_c+, peak u'+ (y+ ~ 15), peak -u'v'+ (y+ ~ 30)."""
import csv
import math
import sys

out = sys.argv[1]
with open(out + "/timeseries.csv") as f:
    ts = list(csv.DictReader(f))
with open(out + "/profiles.csv") as f:
    pr = list(csv.DictReader(f))
t_end = float(ts[-1]["t"])
late = [r for r in ts if float(r["t"]) >= 0.5 * t_end]
re_tau = sum(float(r["re_tau"]) for r in late) / len(late)
ub = sum(float(r["bulk_velocity"]) for r in late) / len(late)
u_tau = re_tau / 180.0  # nu = 1/180 in the case: u_tau = Re_tau * nu
y = [float(r["y"]) for r in pr]
U = [float(r["U"]) for r in pr]
urms = [float(r["u_rms"]) for r in pr]
uv = [float(r["minus_uv"]) for r in pr]
uc = U[min(range(len(y)), key=lambda j: abs(y[j]))]
lower = [j for j in range(len(y)) if y[j] < 0]
jpk = max(lower, key=lambda j: urms[j])
juv = max(lower, key=lambda j: uv[j])
yplus = lambda j: (1 + y[j]) * re_tau
rows = [("Re_tau", re_tau, 178.12), ("U_b+", ub / u_tau, 15.68), ("U_c+", uc / u_tau, 18.30),
        ("peak u'+", urms[jpk] / u_tau, 2.66), ("peak -u'v'+", uv[juv] / u_tau ** 2, 0.72)]
print("statistics over t >= %.1f (%d samples of the time series); peak u'+ at y+ = %.1f, -u'v'+ at y+ = %.1f"
      % (0.5 * t_end, len(late), yplus(jpk), yplus(juv)))
print("%-12s %10s %10s %8s" % ("quantity", "this run", "MKM 1999", "rel."))
for name, v, ref in rows:
    print("%-12s %10.3f %10.3f %+7.1f%%" % (name, v, ref, 100 * (v / ref - 1)))
