#!/usr/bin/python3
"""Compares a turbulent channel run in wall units (an `ifactflow dns` output folder:
profiles.csv, timeseries.csv, wall_units.txt, config.resolved.yaml) with Moser, Kim & Mansour
(1999) at Re_tau = 178.12 and prints the table, with tolerances:

    Re_tau, U_b+            within 2 %       (mean over the statistics window)
    U_c+, C_f = 2 / U_b+^2  within 2 %, 4 %  (C_f follows U_b+: twice its relative error)
    U+(y+), y+ >= 5         within 2 %       (largest deviation from MKM's profile)
    u'+ peak                within 5 %       (its y+ within 3 of MKM's ~15)
    -u'v'+ peak             within 5 %       (its y+ within 8 of MKM's ~30)
    v'+, w'+ peaks          printed, not compared (no published value at hand)

Re_tau, U_b+ and C_f carry a statistical uncertainty: the standard error of batch means of
the run's wall shear over the window (8 batches; batches of a few eddy turnovers h/u_tau are
nearly independent, so the error is an estimate, not a bound). The profiles are the run's
average over the same window (`output.stats_start` to the end).

    bench/dns/compare_mkm.py RUN_DIR [--figures DIR] [--markdown FILE] [--check [NAME[=TOL] ...]]

--figures writes mean_profile.png (U+ against log y+ with the viscous and log laws and MKM)
and rms_profiles.png (u'+, v'+, w'+, -u'v'+); --markdown writes the table; --check exits 1
when a quantity is outside its tolerance: every quantity, or only those named (as in the
table's first column, e.g. Re_tau or U_b+), each with its own relative tolerance where one
is given (--check Re_tau=0.05: a shorter run than the table's tolerances are meant for). Published values (Phys. Fluids 11, 943): Re_tau = 178.12,
U_b+ = 15.68, U_c+ = 18.30, peak u'+ 2.66 near y+ 15, peak -u'v'+ 0.72 near y+ 30, and MKM's
mean profile (mkm180_mean.csv)."""
import argparse
import csv
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MKM = {"re_tau": 178.12, "ub_plus": 15.68, "uc_plus": 18.30, "cf": 2 / 15.68 ** 2,
       "u_peak": (2.66, 15.0), "uv_peak": (0.72, 30.0)}


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(row for row in f if not row.startswith("#")))


def config_value(path, section, key):
    """The value of `section.key` in a resolved YAML case (flat two-level file)."""
    current = None
    with open(path) as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if not line.startswith(" "):
                current = line.split(":")[0].strip()
                continue
            k, _, v = line.strip().partition(":")
            if current == section and k.strip() == key:
                return v.strip()
    return None


def fold(rows, key, odd=False):
    """A profile over both halves (y from -1 to 1) as a function of the distance from the
    nearest wall, the two halves averaged (odd: the upper half's sign flipped, -u'v')."""
    y = np.array([float(r["Y"] if "Y" in r else r["y"]) for r in rows])
    v = np.array([float(r[key]) for r in rows])
    order = np.argsort(y)
    y, v = y[order], v[order]
    n = len(y)
    d = 1 + y[: (n + 1) // 2]
    lower = v[: (n + 1) // 2]
    upper = v[::-1][: (n + 1) // 2] * (-1 if odd else 1)
    return d, 0.5 * (lower + upper)


def peak(x, f):
    """The maximum of f and where it is, by a parabola through the largest sample and its
    neighbours."""
    j = int(np.argmax(f))
    if 0 < j < len(f) - 1:
        a = np.polyfit(x[j - 1:j + 2], f[j - 1:j + 2], 2)
        if a[0] < 0:
            xm = -a[1] / (2 * a[0])
            if x[j - 1] <= xm <= x[j + 1]:
                return float(np.polyval(a, xm)), float(xm)
    return float(f[j]), float(x[j])


def batch_means(t, v, batches=8):
    """Mean and standard error of `v` over equal-time batches of the window."""
    edges = np.linspace(t[0], t[-1], batches + 1)
    means = [v[(t >= a) & (t <= b)].mean() for a, b in zip(edges[:-1], edges[1:]) if ((t >= a) & (t <= b)).any()]
    means = np.array(means)
    return float(v.mean()), float(means.std(ddof=1) / math.sqrt(len(means))) if len(means) > 1 else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--figures")
    ap.add_argument("--markdown")
    ap.add_argument("--check", nargs="*", metavar="NAME[=TOL]")
    a = ap.parse_args()
    run = a.run
    cfg = os.path.join(run, "config.resolved.yaml")
    units = config_value(cfg, "physics", "units")
    if units != "wall":
        sys.exit(f"compare_mkm: {run} ran in {units} units; the comparison needs a run in wall units")
    re_nominal = float(config_value(cfg, "physics", "re"))
    ub = float(config_value(cfg, "physics", "bulk_velocity") or "nan")
    start = float(config_value(cfg, "output", "stats_start") or 0)
    ts = read_csv(os.path.join(run, "timeseries.csv"))
    t = np.array([float(r["t"]) for r in ts])
    keep = t >= start
    if keep.sum() < 16:
        sys.exit(f"compare_mkm: {run}: {keep.sum()} time-series rows after stats_start = {start}; run longer")
    t = t[keep]
    re_tau_t = np.array([float(r["re_tau"]) for r in ts])[keep]
    ub_t = np.array([float(r["bulk_velocity"]) for r in ts])[keep]
    re_tau, re_err = batch_means(t, re_tau_t)
    # U_b+ = U_b / u_tau per sample, u_tau = Re_tau / Re (nu = 1 / Re, h = 1)
    ub_plus, ub_err = batch_means(t, ub_t / (re_tau_t / re_nominal))
    cf, cf_err = batch_means(t, 2 * (re_tau_t / re_nominal) ** 2 / ub_t ** 2)

    pr = read_csv(os.path.join(run, "profiles.csv"))
    d, U = fold(pr, "U_plus")
    yp = d * re_tau
    comps = {k: fold(pr, c)[1] for k, c in (("u", "u_rms_plus"), ("v", "v_rms_plus"), ("w", "w_rms_plus"))}
    uv = fold(pr, "minus_uv_plus", odd=True)[1]
    uc_plus = float(U[-1])

    mkm = np.array([[float(r["y_over_h"]), float(r["U_over_Uc"])] for r in read_csv(os.path.join(HERE, "mkm180_mean.csv"))])
    mkm_yp, mkm_up = mkm[:, 0] * MKM["re_tau"], mkm[:, 1] * MKM["uc_plus"]
    sel = mkm_yp >= 5
    ours = np.interp(mkm_yp[sel], yp, U)
    dev = ours / mkm_up[sel] - 1
    worst = int(np.argmax(np.abs(dev)))

    rows = []  # name, this run, its uncertainty, MKM, tolerance (relative), note
    checked = {}  # name -> tolerance override (None: the table's)
    for item in a.check or []:
        name, _, tol = item.partition("=")
        try:
            checked[name] = float(tol) if tol else None
        except ValueError:
            sys.exit(f"compare_mkm: --check {item}: the tolerance must be a number")

    def add(name, v, err, ref, tol, note=""):
        if checked.get(name) is not None:
            tol = checked[name]
        rows.append((name, v, err, ref, tol, note))

    add("Re_tau", re_tau, re_err, MKM["re_tau"], 0.02)
    add("U_b+", ub_plus, ub_err, MKM["ub_plus"], 0.02)
    add("U_c+", uc_plus, float("nan"), MKM["uc_plus"], 0.02)
    add("C_f x 1e3", 1e3 * cf, 1e3 * cf_err, 1e3 * MKM["cf"], 0.04)
    add("U+(y+), y+ >= 5: largest deviation", ours[worst], float("nan"), mkm_up[sel][worst], 0.02,
        f"at y+ = {mkm_yp[sel][worst]:.1f}")
    peaks = {k: peak(yp, comps[k]) for k in ("u", "v", "w")}
    peaks["uv"] = peak(yp, uv)
    for k, name, limit in (("u", "u'+", 3), ("uv", "-u'v'+", 8)):
        (val, at), (ref, ref_at) = peaks[k], MKM[k + "_peak"]
        add(f"peak {name}", val, float("nan"), ref, 0.05, f"at y+ = {at:.1f} (MKM ~{ref_at:.0f})")
        add(f"y+ of the {name} peak", at, float("nan"), ref_at, limit / ref_at, "")
    unknown = set(checked) - {r[0] for r in rows}
    if unknown:
        sys.exit(f"compare_mkm: --check: no quantity named {', '.join(sorted(unknown))}")
    grid = [config_value(cfg, "grid", k) for k in ("nx", "ny", "nz", "lx", "lz")]
    head = (f"{run}: {grid[0]}x{grid[1]}x{grid[2]} modes, box {float(grid[3]):.4g} x 2 x {float(grid[4]):.4g}, "
            f"Re = {re_nominal:g} (wall units), U_b = {ub:g}; statistics over t = {t[0]:.1f} to {t[-1]:.1f} h/u_tau "
            f"({t[-1] - t[0]:.1f} h/u_tau, {len(t)} time-series rows, {int(float(open(os.path.join(run, 'wall_units.txt')).read().split('samples')[1].split()[0]))} "
            f"field samples); uncertainties: standard error of 8 batch means")
    lines = [head, "", "| quantity | this run | MKM 1999 | difference | tolerance | |", "|---|---|---|---|---|---|"]
    bad = []
    for name, v, err, ref, tol, note in rows:
        rel = v / ref - 1
        ok = abs(rel) <= tol
        if not ok and (not checked or name in checked):
            bad.append(name)
        e = f" ± {err:.2g}" if math.isfinite(err) else ""
        tol_text = f"± {tol * ref:.0f}" if name.startswith("y+") else f"{100 * tol:.0f} %"
        diff = f"{v - ref:+.1f}" if name.startswith("y+") else f"{100 * rel:+.1f} %"
        lines.append(f"| {name} | {v:.4g}{e} | {ref:.4g} | {diff} | {tol_text} | "
                     f"{'ok' if ok else 'OUTSIDE'}{'; ' + note if note else ''} |")
    for k in ("v", "w"):
        lines.append(f"| peak {k}'+ | {peaks[k][0]:.3g} | | | | at y+ = {peaks[k][1]:.1f} |")
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text + "\n")
    if a.figures:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        os.makedirs(a.figures, exist_ok=True)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.semilogx(yp[1:], U[1:], "-", lw=2, label=f"ifactflow, Re_tau = {re_tau:.1f}")
        ax.semilogx(mkm_yp[1:], mkm_up[1:], "o", ms=3, mfc="none", label="Moser, Kim & Mansour 1999")
        z = np.logspace(-0.5, 1.2, 50)
        ax.semilogx(z, z, "k:", lw=1, label="U+ = y+")
        z = np.logspace(1, math.log10(re_tau), 50)
        ax.semilogx(z, np.log(z) / 0.41 + 5.2, "k--", lw=1, label="U+ = ln(y+)/0.41 + 5.2")
        ax.set_xlabel("y+")
        ax.set_ylabel("U+")
        ax.set_ylim(0, 21)
        ax.legend(frameon=False, fontsize=8)
        ax.set_title(f"mean velocity, {grid[0]}x{grid[1]}x{grid[2]}, {t[-1] - t[0]:.0f} h/u_tau of statistics", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(a.figures, "mean_profile.png"), dpi=120)
        fig, ax = plt.subplots(figsize=(6, 4))
        for k, c in (("u", "C0"), ("v", "C1"), ("w", "C2")):
            ax.plot(yp, comps[k], c, label=f"{k}'+")
        ax.plot([MKM["u_peak"][1]], [MKM["u_peak"][0]], "o", color="C0", mfc="none")
        ax.plot(yp, uv, "C3", label="-u'v'+")
        ax.plot([MKM["uv_peak"][1]], [MKM["uv_peak"][0]], "o", color="C3", mfc="none")
        ax.plot([], [], "ko", mfc="none", label="MKM 1999 peaks")
        ax.set_xlabel("y+")
        ax.set_xlim(0, re_tau)
        ax.legend(frameon=False, fontsize=8)
        ax.set_title("rms velocities and Reynolds stress", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(a.figures, "rms_profiles.png"), dpi=120)
    if a.check is not None and bad:
        print("outside the tolerance: " + ", ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
