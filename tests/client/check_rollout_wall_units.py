#!/usr/bin/python3
"""A rollout's prediction carries its reference series' wall-unit records: a synthetic
filtered-DNS series (written with h5py, with /wall/u_tau as a parent DNS at 32x65x32 recorded
them) is rolled out by a tiny FNO from 2 initial states on 1 and 2 ranks; each prediction
snapshot records the reference's u_tau at the reference snapshot it corresponds to (NaN past
the reference's end), the rollout's statistics use those records (and say so), and a
reference without records gives a prediction without them, whose statistics use its own
wall shear.

usage: check_rollout_wall_units.py IFACTFLOW
"""
import math
import os
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import synthetic_series  # noqa: E402

from cli_checks import check, finish, must  # noqa: E402

exe = sys.argv[1]


def run(args, ranks=1):
    return must(exe, args, ranks)


def wall_units_txt(path):
    out = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            out[key] = value
    return out


nt, nx, ny, nz, dt, nu = 8, 8, 9, 4, 0.5, 1 / 4200


def record(tr, t):
    return 0.042 + 0.001 * tr + 0.0002 * t


def write_series(path, records):
    x, y, z = synthetic_series.grid(nx, ny, nz)
    v = synthetic_series.velocity(nt, nx, ny, nz)
    with h5py.File(path, "w") as f:
        f.create_dataset("velocity", data=v.astype("<f4"), chunks=(1, 1, nx, ny, nz, 3),
                         maxshape=(3, None, nx, ny, nz, 3))
        f["time"] = dt * np.arange(nt)
        f["grid/x"], f["grid/y"], f["grid/z"] = x, y, z
        a = f.attrs
        a["format"], a["format_version"], a["kind"] = "ifactflow-series", 1, "fdns"
        a["re_tau"], a["nu"], a["lx"], a["ly"], a["lz"] = 0.0, nu, 2 * np.pi, 2.0, np.pi
        a["units"], a["filter"], a["model"], a["config"], a["git_commit"] = "h, U_c", "sharp", "", "", "test"
        if records:
            w = np.array([[record(tr, t) for t in range(nt)] for tr in range(3)])
            f["wall/u_tau"] = w
            a["wall_measured_by"], a["wall_grid"], a["driving"] = "dns", "32x65x32", "bulk_velocity"
            a["wall_snapshots"], a["wall_u_tau"] = 24, math.sqrt(np.mean(w**2))
            a["wall_re_tau"], a["wall_window"] = math.sqrt(np.mean(w**2)) / nu, [0.0, dt * (nt - 1)]


with tempfile.TemporaryDirectory() as d:
    series, bare = os.path.join(d, "series.h5"), os.path.join(d, "bare.h5")
    write_series(series, True)
    write_series(bare, False)
    with open(os.path.join(d, "train.yaml"), "w") as f:
        f.write(f"""data: {{series: {series}, val_trajectories: 1}}
model: {{kind: fno, modes_x: 2, modes_y: 3, modes_z: 2, width: 4, n_layer: 2}}
train: {{epochs: 1, batch_size: 4, seed: 0, threads: 1}}
output: {{dir: {d}/train}}
""")
    run(["train", os.path.join(d, "train.yaml")])
    ckpt = os.path.join(d, "train", "best.ckpt")

    def case(name, ref, out, buffer):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(f"""rollout: {{checkpoint: {ckpt}, series: {ref}, initial: list, states: [0, 1, 2, 5], steps: 4,
          energy_band: 100, threads: 1}}
output: {{dir: {out}, vtk_every: 0, series_buffer: {buffer}, progress_seconds: 0}}
""")
        return p

    # trajectory 0 from reference (0, 1): steps 0..4 are reference time indices 1..5;
    # trajectory 1 from (2, 5): steps 0..2 are 5..7, steps 3 and 4 are past the reference
    want = np.array([[record(0, 1 + k) for k in range(5)], [record(2, 5 + k) if 5 + k < nt else np.nan
                                                            for k in range(5)]])
    recs = {}
    for ranks, buffer in ((1, 10), (2, 2)):
        out = os.path.join(d, f"roll{ranks}")
        log = run(["rollout", case(f"r{ranks}.yaml", series, out, buffer)], ranks=ranks)
        with h5py.File(os.path.join(out, "prediction.h5"), "r") as f:
            recs[ranks] = f["wall/u_tau"][...]
            a = dict(f.attrs)
        check(recs[ranks].shape == (2, 5) and np.array_equal(np.isnan(recs[ranks]), np.isnan(want))
              and np.allclose(recs[ranks][~np.isnan(want)], want[~np.isnan(want)], rtol=0, atol=0),
              f"{ranks} rank(s): prediction records {recs[ranks].tolist()} = the reference's at the aligned snapshots")
        check(str(a["wall_measured_by"]) == "dns" and str(a["wall_grid"]) == "32x65x32"
              and str(a["driving"]) == "bulk_velocity" and int(a["wall_snapshots"]) == 8,
              f"{ranks} rank(s): who measured them, 8 records")
        wu = wall_units_txt(os.path.join(out, "stats", "wall_units.txt"))
        mean8 = math.sqrt(np.nanmean(want**2))
        check(abs(float(wu["u_tau"]) / mean8 - 1) < 1e-14 and abs(float(wu["re_tau"]) * nu / mean8 - 1) < 1e-12,
              f"{ranks} rank(s): the rollout statistics' u_tau {wu['u_tau']} is the records' {mean8}")
        check(wu["source"].startswith("series records (parent DNS at 32x65x32, mean of its 8 records")
              and "8 of the 10 snapshots used have one" in wu["source"], f"source line: {wu['source']}")
        check("series records (parent DNS at 32x65x32" in log, "the log says where the wall units came from")
    check(np.array_equal(np.nan_to_num(recs[1]), np.nan_to_num(recs[2])), "1-rank and 2-rank records agree")

    out = os.path.join(d, "bare")
    log = run(["rollout", case("bare.yaml", bare, out, 10)])
    with h5py.File(os.path.join(out, "prediction.h5"), "r") as f:
        check("wall" not in f and "wall_measured_by" not in f.attrs, "no records from a reference without them")
    wu = wall_units_txt(os.path.join(out, "stats", "wall_units.txt"))
    check(wu["source"] == "measured wall shear of this series (10 snapshots)", f"bare source: {wu['source']}")
    check("records no wall units" in log, "the rollout says the reference records none")

finish("rollout: the prediction carries the reference's wall units")
