#!/usr/bin/python3
"""`ifactflow compare` end to end with real clients (h5py writes the series, matplotlib draws).

Synthetic series in the data contract (8 x 17 x 8, Re_tau 180, snapshots every 0.5), and one real
solver run:
  reference  3 trajectories x 8 snapshots (kind fdns)
  offset     a copy with u + 0.1 (kind les-dsm, same times)
  noise      a prediction of the last two (held-out) trajectories from time index 2 with noise
             of amplitude 0.05, /initial_time, /completed_steps [5, 3] (the second stopped by its
             guard) and a rollout's cost.csv beside it
  shift      an LES-like run from (trajectory 0, time index 3), its times from 0, shifted in x by
             two grid points (alignment from its config attribute initial.*), cost from cost.csv
  solver     `ifactflow dns` from reference snapshot (1, 2) for 4 intervals (alignment from its
             config, cost from the cost.csv it writes)
Every error in summary.csv / error_vs_time.csv is recomputed here with numpy; 1 and 2 ranks
give identical tables; missing file, other grid, other snapshot interval and an unknown key
fail with one line naming the file or key; the figures are PNGs with the expected panels
(figures.json), report.html links only files that exist, and without matplotlib the script
says so and keeps the tables. What the figures show is checked from figures.json, the state of
each matplotlib axes read back after drawing (check_figure_state): units on every axis, tick
labels without 2x10^0, the viscous and log laws and grid-point markers in U+(y+), spectra
clipped at the reference's filter cut-off with their y range over the data above the floor and
wavenumbers in wall units, the premultiplied spectra against lambda+, slices drawn to scale
(lx by lz) with a sequential map for u and a diverging one centred at zero for u', the
kinetic energy defined; report.html has the toy-size banner (and none at the published sizes),
the grid / box / u_tau / Re_tau / provenance line, no backticks and no duplicate columns.

usage: check_compare.py IFACTFLOW PLOT_SCRIPT
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe, plot_script = sys.argv[1], sys.argv[2]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, ranks=1):
    cmd = [exe] + args
    if ranks > 1:
        cmd = ["mpirun", "-n", str(ranks), "--oversubscribe"] + cmd
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


nx, ny, nz, re_tau, dt = 8, 17, 8, 180.0, 0.5
lx, lz = 2 * np.pi, np.pi
x = lx * np.arange(nx) / nx
y = -np.cos(np.pi * np.arange(ny) / (ny - 1))
z = lz * np.arange(nz) / nz
X, Y, Z = np.meshgrid(x, y, z, indexing="ij")


def field(tr, t):
    ph, w = 0.4 * t + 1.3 * tr, 1 - Y**2
    f = np.empty((nx, ny, nz, 3))
    f[..., 0] = 15 * w + 2 * w * np.sin(X + ph) * np.cos(2 * Z) + 0.5 * np.cos(2 * X - ph) * w
    f[..., 1] = w**2 * np.cos(X + Z + ph)
    f[..., 2] = 0.7 * w * np.sin(2 * Z - ph) + 0.3 * np.sin(3 * X) * w
    return f


def write_series(path, vel, times, kind, grid=(x, y, z), config="", extra=None, wall=None):
    with h5py.File(path, "w") as f:
        f.create_dataset("velocity", data=vel.astype("<f8"), chunks=(1, 1) + vel.shape[2:])
        g = f.create_group("grid")
        for n, v in zip("xyz", grid):
            g.create_dataset(n, data=np.asarray(v, dtype="<f8"))
        f.create_dataset("time", data=np.asarray(times, dtype="<f8"))
        a = f.attrs
        a["format"], a["format_version"], a["kind"] = "ifactflow-series", 1, kind
        a["re_tau"], a["nu"], a["lx"], a["ly"], a["lz"] = re_tau, 1 / re_tau, lx, 2.0, lz
        a["units"], a["filter"], a["model"], a["config"], a["git_commit"] = "h, u_tau", "", "", config, "test"
        for k, v in (extra or {}).items():
            f.create_dataset(k, data=np.asarray(v, dtype="<f8"))
        if wall is not None:  # wall-unit records of a parent DNS (io/series.hpp)
            f.create_dataset("wall/u_tau", data=np.asarray(wall, dtype="<f8"))
            a["wall_measured_by"], a["wall_grid"], a["driving"] = "dns", "64x65x64", "pressure_gradient"
            a["wall_snapshots"], a["wall_u_tau"] = wall.size, np.sqrt(np.mean(wall**2))
            a["wall_re_tau"], a["wall_window"] = np.sqrt(np.mean(wall**2)) * re_tau, [times[0], times[-1]]


# --- independent expectations ---------------------------------------------------------
def quadrature_weights(yy):
    """Weights integrating polynomials of degree < n exactly on [-1, 1] (Vandermonde solve)."""
    n = len(yy)
    V = np.vander(yy, n, increasing=True).T
    b = np.array([2.0 / (k + 1) if k % 2 == 0 else 0.0 for k in range(n)])
    return np.linalg.solve(V, b)


W = quadrature_weights(y)


def profiles(snaps):
    s = np.array(snaps)  # [n, nx, ny, nz, 3]
    m = s.mean(axis=(0, 1, 3))
    sq = (s**2).mean(axis=(0, 1, 3))
    uv = (s[..., 0] * s[..., 1]).mean(axis=(0, 1, 3))
    rms = np.sqrt(np.maximum(sq - m**2, 0))
    return [m[:, 0], rms[:, 0], rms[:, 1], rms[:, 2], -(uv - m[:, 0] * m[:, 1])]


def rel_y(a, b):
    return np.sqrt(np.sum(W * (a - b) ** 2) / np.sum(W * b**2))


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def rel_fluct(a, b):
    """||a - b|| against the fluctuations of b about its plane (x-z) averages."""
    return np.linalg.norm(a - b) / np.linalg.norm(b - b.mean(axis=(0, 2), keepdims=True))


def check_figure_state(d, man, got, html, ref_u_tau):
    """What the figures and report.html show, from figures.json (each matplotlib axes' state
    read back after drawing) against numbers recomputed here from the tables."""
    meta = json.load(open(f"{d}/out1/summary.json"))
    r = meta["reference"]
    check((r["nx"], r["ny"], r["nz"], r["trajectories"], r["snapshots"]) == (nx, ny, nz, 3, nt_ref)
          and abs(r["lx"] - lx) < 1e-9 and abs(r["lz"] - lz) < 1e-9 and r["git_commit"] == "test",
          f"summary.json: the reference's grid, box, size and commit {r}")
    wu = meta["wall_units"]
    check(abs(wu["u_tau"] - ref_u_tau) < 1e-9 and abs(wu["re_tau"] - ref_u_tau * re_tau) < 1e-6
          and "series records" in wu["source"], f"summary.json: wall units {wu}")
    re_w = ref_u_tau * re_tau

    def axes_of(name, role="data"):
        return [a for a in got[name].get("axes_state", []) if a.get("visible", True) and a["role"] == role] if name in got else []

    unit = re.compile(r"\(([^()]*[^()\s][^()]*)\)\s*$")  # "quantity (unit)"
    for name in got:
        for a in axes_of(name):
            for which in ("xlabel", "ylabel"):
                check(unit.search(a[which]) is not None, f"{name}: {which} '{a[which]}' has no unit in parentheses")
        for a in axes_of(name, "colorbar"):
            check(unit.search(a["ylabel"]) is not None, f"{name}: colour bar label '{a['ylabel']}' has no unit")
        for a in got[name]["axes_state"]:
            labels = a.get("xticklabels", []) + a.get("yticklabels", []) + [
                t for c in a.get("secondary", []) for t in c["xticklabels"]]
            bad = [t for t in labels if "times" in t or "×" in t]
            check(not bad, f"{name}: unreadable tick labels {bad}")
        check(bool(got[name].get("caption")), f"{name}: has a caption")
    for name in ("error.png", "energy.png"):
        for a in axes_of(name):
            check(a["xlabel"].endswith("(h/$u_\\tau$)"), f"{name}: time axis in h/u_tau: '{a['xlabel']}'")
    en = axes_of("energy.png")
    check(len(en) == 1 and "\\frac{1}{2}" in en[0]["ylabel"] and "\\rangle_V" in en[0]["ylabel"]
          and "mean flow included" in got["energy.png"]["caption"], "energy.png: the kinetic energy is defined")

    # U+(y+): viscous and log laws, a marker at every grid point of the lower half
    prof_rows = list(csv.DictReader(open(f"{d}/out1/profiles.csv")))
    yp_grid = sorted(float(q["y_plus"]) for q in prof_rows
                     if q["series"] == "filtered DNS" and float(q["y"]) <= 1e-12 and float(q["y_plus"]) > 0)
    check(len(yp_grid) == (ny - 1) // 2, f"lower-half grid points {len(yp_grid)}")
    for name in ("mean_velocity.png", "rms.png", "reynolds_stress.png"):
        for a in axes_of(name):
            series = [ln for ln in a["lines"] if ln["label"] in ("filtered DNS", "offset", "noise", "shift", "solver")]
            check(len(series) == 5 and all(ln["marker"] not in ("None", "", " ") and np.allclose(ln["x"], yp_grid)
                                           for ln in series), f"{name}: every series marked at the grid's y+")
            check(a["xscale"] == "log" and a["xticklabels"][:2] == ["10", "100"], f"{name}: y+ ticks {a['xticklabels']}")
    mv = axes_of("mean_velocity.png")[0]
    guides = {ln["gid"]: ln for ln in mv["lines"] if ln["gid"]}
    vis, log_ = guides.get("viscous_law"), guides.get("log_law")
    check(vis is not None and np.allclose(vis["y"], vis["x"]) and max(vis["x"]) <= 15.01, "U+ = y+ guide")
    check(log_ is not None and np.allclose(log_["y"], np.log(log_["x"]) / 0.41 + 5.2) and min(log_["x"]) >= 9.99,
          "log-law guide U+ = ln(y+)/0.41 + 5.2")

    # spectra: clipped at the filter cut-off, y range over the data above the floor
    spec = list(csv.DictReader(open(f"{d}/out1/spectra.csv")))
    sp_axes = axes_of("spectra.png")
    check(len(sp_axes) == 4, f"spectra.png: {len(sp_axes)} data axes")
    for a in sp_axes:
        info = a.get("spectrum", {})
        rows_ = [q for q in spec if q["axis"] == info.get("axis") and abs(float(q["y"]) - info.get("y", 9)) < 1e-9]
        refE = {float(q["k"]): float(q["E_uu"]) for q in rows_ if q["series"] == "filtered DNS" and float(q["k"]) > 0}
        allE = [(float(q["k"]), float(q["E_uu"])) for q in rows_ if float(q["k"]) > 0]
        k_nyq = max(refE)
        peak = max(refE.values())
        check(refE[k_nyq] < 1e-8 * peak, f"synthetic reference: no energy at the Nyquist mode {refE[k_nyq]}")
        k_c = max(k for k in refE if k < k_nyq)
        check(abs(info.get("cutoff_k", 0) - k_c) < 1e-9, f"spectra: cut-off {info.get('cutoff_k')} != {k_c}")
        drawn = [ln for ln in a["lines"] if ln["gid"] != "cutoff"]
        check(len(drawn) == 5 and all(max(ln["x"]) <= k_c * (1 + 1e-9) for ln in drawn),
              f"spectra {info.get('axis')}: no mode past the cut-off drawn")
        check(a["xlim"][1] < k_nyq and a["xlim"][1] >= k_c, f"spectra x range {a['xlim']} ends between {k_c} and {k_nyq}")
        check(any(ln["gid"] == "cutoff" and np.allclose(ln["x"], k_c) for ln in a["lines"]), "spectra: cut-off line")
        above = [e for k, e in allE if k <= k_c * (1 + 1e-9) and e >= 1e-8 * peak]
        lo, hi = a["ylim"]
        check(lo > refE[k_nyq] and lo >= 1e-8 * peak and lo <= min(above) and hi >= max(above)
              and hi / lo <= 10 * max(above) / min(above), f"spectra y range {a['ylim']} over the data {min(above)}..{max(above)}")
        check(a["yscale"] == "log" and len(a["secondary"]) == 1 and "^+" in a["secondary"][0]["xlabel"]
              and np.allclose(a["secondary"][0]["xlim"], np.array(a["xlim"]) / re_w, rtol=1e-6),
              f"spectra: wavenumbers in wall units on the top axis {a['secondary']}")
    for a in axes_of("spectra_premultiplied.png"):
        info = a["spectrum"]
        rows_ = {float(q["k"]): float(q["E_uu"]) for q in spec if q["axis"] == info["axis"] and q["series"] == "filtered DNS"
                 and abs(float(q["y"]) - info["y"]) < 1e-9 and 0 < float(q["k"]) <= info["cutoff_k"] * (1 + 1e-9)}
        ref_line = [ln for ln in a["lines"] if ln["label"] == "filtered DNS"]
        ks = sorted(rows_)
        check(len(ref_line) == 1 and np.allclose(ref_line[0]["x"], [2 * np.pi / k * re_w for k in ks])
              and np.allclose(ref_line[0]["y"], [k * rows_[k] / ref_u_tau**2 for k in ks]),
              "premultiplied: k E / u_tau^2 against lambda+ = 2 pi Re_tau / k to the cut-off")
        check("lambda" in a["xlabel"] and a["xscale"] == "log", f"premultiplied x axis {a['xlabel']}")

    # slices: drawn to scale (lx by lz), sequential map for u, diverging map centred at zero for u'
    for name, cmap in (("slice.png", "viridis"), ("slice_fluctuation.png", "RdBu_r")):
        ims = [a for a in axes_of(name) if a["images"]]
        check(len(ims) == 8, f"{name}: {len(ims)} image panels")
        for a in ims:
            check(abs(a["data_ratio"] - lx / lz) < 1e-6 and abs(a["box_ratio"] / a["data_ratio"] - 1) < 0.02,
                  f"{name}: drawn box {a['box_ratio']:.3f} vs plane {a['data_ratio']:.3f} (lx/lz = {lx / lz})")
            check(a["images"][0]["cmap"] == cmap, f"{name}: colour map {a['images'][0]['cmap']}, expected {cmap}")
        clims = {tuple(a["images"][0]["clim"]) for a in ims}
        check(len(clims) == 1, f"{name}: one colour scale {clims}")
        if name == "slice_fluctuation.png" and clims:
            c = clims.pop()
            check(c[1] > 0 and abs(c[0] + c[1]) < 1e-12 * c[1], f"{name}: colour scale centred at zero {c}")
    with h5py.File(f"{d}/out1/slice.h5") as f:
        lo_u = min(float(np.min(f[k][...])) for k in f if k.startswith(("candidate_", "reference_")))
    u_clim = axes_of("slice.png")[0]["images"][0]["clim"] if axes_of("slice.png") else [None]
    check(abs(u_clim[0] - lo_u) < 1e-12, f"slice.png: colour scale from the data's minimum {u_clim} vs {lo_u}")

    # report.html: banner, set-up line, clean tables
    check('id="toy-sizes"' in html and "8x17x8 is below the published coarse resolution 32x33x16" in html
          and "3 reference trajectories, fewer than the published 21" in html and "Rule:" in html,
          "report.html: toy-size banner with its rule")
    setup = re.search(r'<p class="setup">(.*?)</p>', html, re.S)
    want = ["Grid 8x17x8 (nx x ny x nz)", "box 2π x 2 x π", f"u_tau = {ref_u_tau:.6g}", f"Re_tau = {re_w:.6g}",
            "from series records", f"Reference <code>{d}/ref.h5</code>", "commit test"]
    check(setup is not None and all(w in setup.group(1) for w in want),
          f"report.html: set-up line with {want}: {setup.group(1) if setup else None}")
    check("`" not in html, "report.html: no literal Markdown backticks")
    for t in re.findall(r"<table>(.*?)</table>", html, re.S):
        heads = re.findall(r"<th>(.*?)</th>", t.split("</tr>")[0])
        check(len(heads) == len(set(heads)), f"report.html: duplicate column headers {heads}")
        check(not any(re.fullmatch(r"[a-z]+(_[a-z0-9.]+)+", h) for h in heads), f"report.html: raw CSV columns {heads}")
    for fg in man["figures"]:
        check(html.count(f'src="{fg["file"]}"') == 1, f"report.html shows {fg['file']} once")


nt_ref = 8
ref = np.array([[field(tr, t) for t in range(nt_ref)] for tr in range(3)])
ref_prof = profiles([ref[tr, t] for tr in range(3) for t in range(nt_ref)])
expect = {}  # label -> (errors per step, per-step counts, stats errors, completed)

with tempfile.TemporaryDirectory() as d:
    times = dt * np.arange(nt_ref)
    # the reference's parent DNS ran in wall units: u_tau ~ 1 (its own laminar-like wall shear
    # would give Re_tau 73)
    ref_wall = np.array([[1 + 0.002 * (t - 3.5) + 0.001 * tr for t in range(nt_ref)] for tr in range(3)])
    write_series(f"{d}/ref.h5", ref, times, "fdns", wall=ref_wall)

    off = ref.copy()
    off[..., 0] += 0.1
    write_series(f"{d}/off.h5", off, times, "les-dsm")
    e = [np.mean([rel(off[tr, k], ref[tr, k]) for tr in range(3)]) for k in range(nt_ref)]
    expect["offset"] = (e, [3] * nt_ref, [rel_y(p, q) for p, q in zip(profiles(list(off.reshape(-1, nx, ny, nz, 3))), ref_prof)])

    rng = np.random.default_rng(7)
    n_pred, start = 6, 2
    pred = np.array([[field(tr, start + k) for k in range(n_pred)] for tr in (1, 2)])
    pred += 0.05 * rng.standard_normal(pred.shape)
    completed = [5, 3]
    pred[1, 4:] = 0.0  # beyond the guard stop the file holds no valid state
    os.makedirs(f"{d}/pred")
    write_series(f"{d}/pred/pred.h5", pred, dt * np.arange(n_pred), "prediction",
                 config="rollout:\n  initial: held_out\n  threads: 2\n",
                 extra={"initial_time": [start * dt] * 2, "completed_steps": completed})
    with open(f"{d}/pred/cost.csv", "w") as f:  # 5 steps of 0.5 for 2 trajectories together, in 4.2 s
        f.write("command,model,ranks,threads_per_rank,steps,simulated_time,wall_seconds,step_seconds,output_seconds,"
                "analysis_seconds,wall_per_unit_time,steps_per_second\nrollout,fno,2,2,5,2.5,4.2,3,1,0.2,1.68,1.19\n")
    e, cnt = [], []
    for k in range(n_pred):
        v = [rel(pred[c, k], ref[1 + c, start + k]) for c in range(2) if k <= completed[c]]
        e.append(np.mean(v))
        cnt.append(len(v))
    snaps = [pred[c, k] for c in range(2) for k in range(completed[c] + 1)]
    expect["noise"] = (e, cnt, [rel_y(p, q) for p, q in zip(profiles(snaps), ref_prof)])

    n_les, s0 = 5, 3
    os.makedirs(f"{d}/les")
    with open(f"{d}/les/cost.csv", "w") as f:
        f.write("command,model,ranks,threads_per_rank,steps,simulated_time,wall_seconds,step_seconds,output_seconds,"
                "analysis_seconds,wall_per_unit_time,steps_per_second\nles,les-wale,2,1,100,2,3,,,,1.5,33.3\n")
    les = np.array([[np.roll(field(0, s0 + k), -2, axis=0) for k in range(n_les)]])
    write_series(f"{d}/les/snapshots.h5", les, dt * np.arange(n_les), "les-wale",
                 config="initial:\n  type: series\n  trajectory: 0\n  time_index: 3\n")
    e = [rel(les[0, k], ref[0, s0 + k]) for k in range(n_les)]
    expect["shift"] = (e, [1] * n_les, [rel_y(p, q) for p, q in zip(profiles(list(les[0])), ref_prof)])

    # a real run of the solver from reference snapshot (trajectory 1, time index 2): its
    # alignment comes from its config (initial.*), its cost from the cost.csv it writes
    with open(f"{d}/dns.yaml", "w") as f:
        f.write(f"""grid: {{nx: {nx}, ny: {ny}, nz: {nz}, lx: {lx!r}, lz: {lz!r}}}
physics: {{units: wall, re: {re_tau}}}
time: {{dt: 0.01, t_end: 2}}
initial: {{type: series, file: {d}/ref.h5, trajectory: 1, time_index: 2}}
output: {{dir: {d}/run, snapshot_every: 50, snapshot_dtype: f64, csv_every: 50, checkpoint_every: 1000}}
""")
    pd = run(["dns", f"{d}/dns.yaml"])
    check(pd.returncode == 0, "the solver run succeeds: " + pd.stderr[-300:])

    case = f"""reference: {{file: {d}/ref.h5, label: filtered DNS}}
candidates:
  - {{label: offset, file: {d}/off.h5}}
  - {{label: noise, file: {d}/pred/pred.h5}}
  - {{label: shift, file: {d}/les/snapshots.h5, kind: les-wale}}
  - {{label: solver, file: {d}/run/snapshots.h5}}
horizons: [1, 3, 20]
threshold: 0.02
spectra_y_plus: [15, 60]
slice: {{y_plus: 15, step: 2}}
output: {{dir: {d}/out1, plot_script: {os.path.abspath(plot_script)}}}
"""
    with open(f"{d}/case.yaml", "w") as f:
        f.write(case)

    p = run(["compare", f"{d}/case.yaml"])
    print(p.stdout, p.stderr)
    check(p.returncode == 0, "compare on 1 rank succeeds")

    rows = {r["label"]: r for r in csv.DictReader(open(f"{d}/out1/summary.csv"))}
    check(list(rows) == ["offset", "noise", "shift", "solver"], f"summary rows {list(rows)}")
    curves = {}
    for r in csv.DictReader(open(f"{d}/out1/error_vs_time.csv")):
        curves.setdefault(r["series"], []).append(r)
    names = ["U_plus", "u_rms_plus", "v_rms_plus", "w_rms_plus", "minus_uv_plus"]
    for label, (e, cnt, st) in expect.items():
        got = [float(r["err_total"]) for r in curves[label]]
        check(len(got) == len(e), f"{label}: {len(got)} steps compared, expected {len(e)}")
        check(np.allclose(got, e, rtol=1e-9, atol=1e-14), f"{label}: errors {got} != {e}")
        check([int(r["trajectories"]) for r in curves[label]] == cnt, f"{label}: trajectory counts")
        for h in (1, 3, 20):
            v = rows[label][f"error_step_{h}"]
            if h < len(e):
                check(abs(float(v) - e[h]) <= 1e-9 * e[h], f"{label}: error at step {h} {v} != {e[h]}")
            else:
                check(v == "", f"{label}: error at step {h} beyond the compared steps should be empty, got {v}")
        for n, x_ in zip(names, st):
            # (a constant offset leaves the rms exact only up to the round-off of sqrt(<u^2> - U^2))
            check(abs(float(rows[label]["error_" + n]) - x_) <= 1e-8 * x_ + 1e-8,
                  f"{label}: {n} error {rows[label]['error_' + n]} != {x_}")
        first = next((k for k in range(1, len(e)) if e[k] > 0.02), None)
        if label == "noise":  # trajectory 2 stopped after step 3: a stop counts at step 4
            first = min(first or 99, 4)
        check(rows[label]["first_step_over_0.02"] == (str(first) if first else "never"),
              f"{label}: first step over {rows[label]['first_step_over_0.02']} != {first}")
    # per component and against the reference's fluctuations (one trajectory: no averaging)
    for k, r in enumerate(curves["shift"]):
        a, b = les[0, k], ref[0, s0 + k]
        want = [rel(a[..., c], b[..., c]) for c in range(3)] + [rel_fluct(a, b)]
        got = [float(r[n]) for n in ("err_u", "err_v", "err_w", "err_fluct")]
        check(np.allclose(got, want, rtol=1e-9, atol=0), f"shift step {k}: u, v, w, fluct errors {got} != {want}")
        check(want[3] > 2 * float(r["err_total"]) > 0, f"shift step {k}: the fluctuation error exceeds the total")
    for h, n in ((1, "fluct"), (3, "v")):
        a, b = les[0, h], ref[0, s0 + h]
        want = rel_fluct(a, b) if n == "fluct" else rel(a[..., 1], b[..., 1])
        got = float(rows["shift"][f"error_{n}_step_{h}"])
        check(abs(got - want) <= 1e-9 * want, f"summary.csv error_{n}_step_{h} {got} != {want}")
    md = open(f"{d}/out1/summary.md").read()
    check("| candidate | step | total | fluctuations | u | v | w |" in md, "summary.md: per-component error table")
    check(rows["noise"]["completed_steps_min"] == "3" and rows["noise"]["trajectories_completed"] == "1",
          "noise: completed steps 3, one trajectory completed")
    check(rows["shift"]["kind"] == "les-wale", "kind from the case")
    # cost of the prediction from its cost.csv: 4.2 s for 5 steps x 0.5 of 2 trajectories together
    check(abs(float(rows["noise"]["wall_seconds_per_unit_time"]) - 4.2 / 2.5) < 1e-12, "rollout cost per unit time")
    check(abs(float(rows["noise"]["wall_seconds_per_trajectory_time"]) - 4.2 / 5.0) < 1e-12, "per trajectory")
    # cost of the LES-like run from its cost.csv record (io/run_cost.hpp)
    check(abs(float(rows["shift"]["wall_seconds_per_trajectory_time"]) - 3.0 / 2.0) < 1e-12, "cost.csv per unit time")
    check(rows["shift"]["ranks"] == "2" and rows["shift"]["threads"] == "1", "cost.csv ranks and threads")
    check(rows["noise"]["ranks"] == "2" and rows["noise"]["threads"] == "2", "rollout ranks and threads")
    check(rows["offset"]["cost_source"] == "no cost.csv", "no cost.csv: no cost")
    # the solver run: 4 steps of 0.5 from (1, 2), cost from its own cost record
    sol = rows["solver"]
    check(sol["steps"] == "4" and sol["completed_steps_min"] == "4", f"solver run: steps {sol['steps']}")
    with h5py.File(f"{d}/run/snapshots.h5") as f:
        run_u = f["velocity"][0]
    e = [rel(run_u[k], ref[1, 2 + k]) for k in range(5)]
    got = [float(r["err_total"]) for r in curves["solver"]]
    check(np.allclose(got, e, rtol=1e-9, atol=0), f"solver run aligned with reference (1, 2 + k): {got} != {e}")
    check(sol["ranks"] == "1" and float(sol["wall_seconds"]) >= 0 and abs(float(sol["simulated_time"]) - 2) < 1e-9,
          f"solver cost {sol['ranks']} ranks, {sol['wall_seconds']} s for {sol['simulated_time']}")
    # the reference's wall units: its records over the snapshots of its statistics
    ref_u_tau = np.sqrt(np.mean(ref_wall**2))
    md = open(f"{d}/out1/summary.md").read()
    want_line = (f"wall units: u_tau = {ref_u_tau:.6g}, Re_tau = {ref_u_tau * re_tau:.6g}, "
                 "from series records (parent DNS at 64x65x64, 24 snapshots).")
    check(want_line in md, f"summary.md wall-unit line: want '{want_line}' in\n{md[:400]}")
    with h5py.File(f"{d}/out1/slice.h5") as f:
        check(abs(f.attrs["u_tau"] - ref_u_tau) < 1e-12 and "series records" in str(f.attrs["wall_units_source"]),
              "slice.h5 u_tau and its source")
    # the slice: u at y+ ~ 15 of reference (traj 0, time index 2) and of the offset copy
    with h5py.File(f"{d}/out1/slice.h5") as f:
        j = int(np.argmin(np.abs(y - (-1 + 15 / re_tau))))
        check(np.allclose(f["reference_0"][...], ref[0, 2, :, j, :, 0], rtol=0, atol=1e-12), "reference slice")
        check(np.allclose(f["reference_2"][...], ref[0, 5, :, j, :, 0], rtol=0, atol=1e-12), "shift's reference slice")
        check(np.allclose(f["candidate_0"][...], off[0, 2, :, j, :, 0], rtol=0, atol=1e-12), "offset slice")
        check(int(f["candidate_2"].attrs["reference_time_index"]) == 5, "shift slice: reference time index 3 + 2")

    # 2 ranks: identical tables
    p2 = run(["compare", f"{d}/case.yaml", "--set", f"output.dir={d}/out2", "--set", "output.plot=false"], ranks=2)
    check(p2.returncode == 0, "compare on 2 ranks succeeds: " + p2.stderr[-400:])
    for n in ["summary.csv", "summary.md", "error_vs_time.csv", "energy_vs_time.csv", "profiles.csv", "spectra.csv",
              "series/noise/profiles.csv"]:
        check(open(f"{d}/out1/{n}").read() == open(f"{d}/out2/{n}").read(), f"{n} equal on 1 and 2 ranks")
    with h5py.File(f"{d}/out1/slice.h5") as a, h5py.File(f"{d}/out2/slice.h5") as b:
        check(all(np.array_equal(a[k][...], b[k][...]) for k in a), "slice.h5 equal on 1 and 2 ranks")

    # bad inputs: one line naming the file or key
    write_series(f"{d}/grid.h5", ref[:, :, :6], times, "les-dsm", grid=(x[:6], y, z))
    write_series(f"{d}/interval.h5", ref, 2 * times, "les-dsm")
    for what, sets, needle in [
        ("missing file", [f"candidates.0.file={d}/nothing.h5"], f"{d}/nothing.h5"),
        ("other grid", [f"candidates.0.file={d}/grid.h5"], f"{d}/grid.h5"),
        ("other interval", [f"candidates.0.file={d}/interval.h5"], "snapshot interval"),
        ("unknown key", ["candidates.1.colour=red"], "unknown key candidates.1.colour"),
        ("missing reference", [f"reference.file={d}/none.h5"], f"{d}/none.h5"),
    ]:
        args = ["compare", f"{d}/case.yaml", "--set", f"output.dir={d}/bad", "--set", "output.plot=false"]
        for s in sets:
            args += ["--set", s]
        pb = run(args)
        lines = [l for l in pb.stderr.splitlines() if "error" in l]
        check(pb.returncode != 0, f"{what}: non-zero exit")
        check(len(lines) == 1 and needle in lines[0], f"{what}: one error line naming {needle}: {pb.stderr!r}")
        if what == "other interval":
            check(f"{d}/interval.h5" in lines[0], f"{what}: names the file")

    # the shipped cases: every key known (their series replaced by the synthetic ones)
    root = os.path.dirname(os.path.dirname(os.path.abspath(plot_script)))
    for shipped in ["cases/demo/compare.yaml", "cases/re180/compare.yaml"]:
        n_cand = open(os.path.join(root, shipped)).read().count("label:") - 1
        args = ["compare", os.path.join(root, shipped), "--set", f"reference.file={d}/ref.h5", "--set",
                f"output.dir={d}/shipped", "--set", "output.plot=false"]
        for i in range(n_cand):
            args += ["--set", f"candidates.{i}.file={d}/off.h5"]
        ps = run(args)
        check(ps.returncode == 0 and n_cand >= 2, f"{shipped} ({n_cand} candidates) runs: {ps.stderr[-300:]}")

    # figures, manifest, report
    man = json.load(open(f"{d}/out1/figures.json"))
    expected_panels = {"mean_velocity.png": 1, "rms.png": 3, "reynolds_stress.png": 1, "spectra.png": 4,
                       "spectra_premultiplied.png": 4, "error.png": 5, "energy.png": 1, "slice.png": 8,
                       "slice_fluctuation.png": 8}
    # (slice: the candidates start from different reference snapshots, so each has its reference above it)
    got = {os.path.basename(fg["file"]): fg for fg in man["figures"]}
    check(set(got) == set(expected_panels), f"figures {sorted(got)}")
    for name, n in expected_panels.items():
        if name not in got:
            continue
        path = f"{d}/out1/figures/{name}"
        data = open(path, "rb").read() if os.path.exists(path) else b""
        check(data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000, f"{name} is a non-empty PNG")
        w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        check(w >= 300 and h >= 200, f"{name}: {w}x{h} pixels")
        check(got[name]["panels"] == n, f"{name}: {got[name]['panels']} panels, expected {n}")
        check(got[name]["axes"] >= n, f"{name}: {got[name]['axes']} matplotlib axes for {n} panels")
    html = open(f"{d}/out1/report.html").read()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    check(all(not r.startswith(("http:", "https:", "/")) for r in refs), "report.html: relative links only")
    check(all(os.path.exists(os.path.join(f"{d}/out1", r)) for r in refs), f"report.html references missing files: {refs}")
    check(all(f"figures/{n}" in refs for n in expected_panels), "report.html shows every figure")
    check("noise" in html and "offset" in html, "report.html has the summary table")
    check("<th>fluctuations</th>" in html and "<th>u</th>" in html, "report.html: per-component and fluctuation errors")
    check("error_step_1" not in html and "<th>first step &gt; 0.02</th>" in html,
          "report.html shows summary.md's tables, not summary.csv's raw columns")
    check(want_line in html, "report.html says the wall units and where they came from")

    check_figure_state(d, man, got, html, ref_u_tau)

    # sizes at the published scale: no toy-size banner
    shutil.copytree(f"{d}/out2", f"{d}/big")
    meta = json.load(open(f"{d}/big/summary.json"))
    meta["reference"].update(nx=32, ny=33, nz=16, trajectories=21)
    json.dump(meta, open(f"{d}/big/summary.json", "w"))
    pbig = subprocess.run(["/usr/bin/python3", plot_script, f"{d}/big"], capture_output=True, text=True)
    big = open(f"{d}/big/report.html").read()
    check(pbig.returncode == 0 and "toy-sizes" not in big and "Toy sizes" not in big,
          f"32x33x16 with 21 trajectories: no toy-size banner ({pbig.returncode} {pbig.stderr[-300:]})")

    # without matplotlib (site-packages off): one clear line, exit 3, tables and a table-only report kept
    shutil.copytree(f"{d}/out2", f"{d}/nompl")
    pn = subprocess.run(["/usr/bin/python3", "-S", plot_script, f"{d}/nompl"], capture_output=True, text=True)
    check(pn.returncode == 3 and "python3-matplotlib" in pn.stdout, f"no matplotlib: {pn.returncode} {pn.stdout!r}")
    check(os.path.exists(f"{d}/nompl/report.html") and os.path.exists(f"{d}/nompl/summary.csv"),
          "no matplotlib: report.html (table only) and the tables exist")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("compare client checks passed")
