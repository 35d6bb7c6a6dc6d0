#!/usr/bin/env python3
"""Statistics of Re_tau = 180 LES runs (output directories of `ifactflow dns` with an sgs
model: timeseries.csv, profiles.csv) beside the filtered DNS (`ifactflow stats` of the
training set: profiles.csv) and Moser, Kim & Mansour (1999,
Phys. Fluids 11, 943): Re_tau, U_b+, U_c+, peak u'+ (y+ ~ 15), peak -u'v'+ (y+ ~ 30), and the mean
eddy viscosity <nu_t>/nu at the centre.

  compare_les.py LES_DIR [LES_DIR ...] [--fdns FDNS_STATS_DIR]

The LES columns use u_tau from the mean wall shear (time series, t >= t_end/2). The filtered
DNS has no time series; its u_tau comes from the wall slope of its mean profile (the
Chebyshev interpolant on the Gauss-Lobatto points), which the filter's projection in y
keeps close to the DNS value."""
import argparse
import csv
import math

import numpy as np

MKM = {"Re_tau": 178.12, "U_b+": 15.68, "U_c+": 18.30, "peak u'+": 2.66, "peak -u'v'+": 0.72}
NU = 1.0 / 180.0


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def wall_slope(y, U):
    """dU/dy at y = -1 and y = +1 of the polynomial through the Gauss-Lobatto values."""
    c = np.polynomial.chebyshev.chebfit(y, U, len(y) - 1)
    d = np.polynomial.chebyshev.chebder(c)
    return np.polynomial.chebyshev.chebval(-1.0, d), np.polynomial.chebyshev.chebval(1.0, d)


def profile_stats(pr, u_tau):
    y = np.array([float(r["y"]) for r in pr])
    U = np.array([float(r["U"]) for r in pr])
    urms = np.array([float(r["u_rms"]) for r in pr])
    uv = np.array([float(r["minus_uv"]) for r in pr])
    w = np.polynomial.chebyshev.chebfit(y, U, len(y) - 1)
    ub = 0.5 * np.polynomial.chebyshev.chebval(1.0, np.polynomial.chebyshev.chebint(w, lbnd=-1))
    lower = y < 0
    uc = U[np.argmin(np.abs(y))]
    out = {"U_b+": ub / u_tau, "U_c+": uc / u_tau, "peak u'+": urms[lower].max() / u_tau,
           "peak -u'v'+": uv[lower].max() / u_tau ** 2}
    jp = np.where(lower)[0][np.argmax(urms[lower])]
    out["y+ of peak u'"] = (1 + y[jp]) * u_tau / NU
    if "nu_t" in pr[0]:
        out["<nu_t>/nu centre"] = float(pr[np.argmin(np.abs(y))]["nu_t"]) / NU
    return out


def les_column(d):
    ts = read(d + "/timeseries.csv")
    t_end = float(ts[-1]["t"])
    late = [r for r in ts if float(r["t"]) >= 0.5 * t_end]
    re_tau = sum(float(r["re_tau"]) for r in late) / len(late)
    col = profile_stats(read(d + "/profiles.csv"), re_tau * NU)
    col["Re_tau"] = re_tau
    return col


def fdns_column(d):
    pr = read(d + "/profiles.csv")
    y = np.array([float(r["y"]) for r in pr])
    U = np.array([float(r["U"]) for r in pr])
    lo, hi = wall_slope(y, U)
    u_tau = math.sqrt(NU * 0.5 * (abs(lo) + abs(hi)))
    col = profile_stats(pr, u_tau)
    col["Re_tau"] = u_tau / NU
    return col


ap = argparse.ArgumentParser()
ap.add_argument("les", nargs="+")
ap.add_argument("--fdns")
a = ap.parse_args()
cols = [(d.rstrip("/").split("/")[-1], les_column(d)) for d in a.les]
if a.fdns:
    cols.append(("fDNS", fdns_column(a.fdns)))
cols.append(("MKM 1999", MKM))
rows = ["Re_tau", "U_b+", "U_c+", "peak u'+", "peak -u'v'+", "y+ of peak u'", "<nu_t>/nu centre"]
print("%-18s" % "quantity" + "".join("%14s" % n for n, _ in cols))
for r in rows:
    line = "%-18s" % r
    for _, c in cols:
        line += "%14s" % ("%.3f" % c[r] if r in c else "-")
    print(line)
print("(LES: time averages over t >= t_end/2; u_tau of each run from its own wall shear)")
