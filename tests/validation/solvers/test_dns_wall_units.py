#!/usr/bin/env python3
"""Wall units of `ifactflow dns` (and LES) in wall units at constant bulk velocity, where
u_tau is not 1 (here a perturbed laminar flow at U_b = 15.68: u_tau ~ 0.5):
  - profiles.csv's "+" columns, wall_units.txt and stats.h5 use the measured
    u_tau = sqrt(mean tau_w) over the statistics samples (tau_w = (re_tau / Re)^2 from the
    samples' timeseries rows), not 1;
  - snapshots.h5 records each snapshot's u_tau (= its timeseries re_tau / Re) and the
    summary attributes, on 1 and 2 ranks alike; a restart continues the records;
  - `stats` of that series uses the records; an LES records its own."""
import csv
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE = os.environ["IFF_EXE"]
MPI = ["mpirun", "--oversubscribe", "-n", "2"]
RE = 180.0
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


CASE = """grid: {{nx: 8, ny: 25, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}}
physics: {{units: wall, re: 180, driving: bulk_velocity}}
time: {{dt: 0.002, steps: {steps}}}
initial: {{type: perturbed, amplitude: 1.0, seed: 5}}
output: {{dir: {dir}, csv_every: 5, snapshot_every: 10, checkpoint_every: 20, stats_every: 5, progress_seconds: 0}}
"""


def run(args, ranks=1):
    cmd = (MPI if ranks == 2 else []) + [EXE] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def wall_units_txt(path):
    out = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            out[key] = value
    return out


def text(a):
    return a.decode() if isinstance(a, bytes) else str(a)


with tempfile.TemporaryDirectory() as tmp:
    case = os.path.join(tmp, "case.yaml")
    with open(case, "w") as f:
        f.write(CASE.format(steps=30, dir=os.path.join(tmp, "one")))
    outs = {}
    for tag, ranks in (("one", 1), ("two", 2)):
        d = os.path.join(tmp, tag)
        rc, out = run(["dns", case, "--set", "output.dir=" + d], ranks)
        check(rc == 0, f"{ranks}-rank wall-unit bulk-velocity run exits 0" + ("" if rc == 0 else ": " + out[-800:]))
        outs[tag] = (d, out)
    d, log = outs["one"]
    ts = {int(r["step"]): r for r in rows(os.path.join(d, "timeseries.csv"))}
    # statistics samples at steps 0, 5, .., 30: the rows of the same states
    tau = [(float(ts[s]["re_tau"]) / RE) ** 2 for s in range(0, 31, 5)]
    u_tau = math.sqrt(sum(tau) / len(tau))
    check(abs(u_tau - 1) > 0.2, f"the test flow's u_tau is not 1 ({u_tau:.4f})")
    wu = wall_units_txt(os.path.join(d, "wall_units.txt"))
    check(abs(float(wu["u_tau"]) / u_tau - 1) < 1e-8, f"wall_units.txt u_tau {wu['u_tau']} = measured {u_tau:.10g}")
    check(abs(float(wu["re_tau"]) / (u_tau * RE) - 1) < 1e-8, f"wall_units.txt re_tau {wu['re_tau']}")
    check(wu["samples"] == "7" and wu["source"] == "measured wall shear of this run at 8x25x8 (7 snapshots)",
          f"wall_units.txt samples and source: {wu}")
    check(f"from measured wall shear of this run at 8x25x8" in log, "the log says where the wall units came from")
    prof = rows(os.path.join(d, "profiles.csv"))
    ok = all(abs(float(r["U_plus"]) - float(r["U"]) / float(wu["u_tau"])) <= 1e-9 * (1 + abs(float(r["U_plus"])))
             for r in prof)
    ok = ok and all(abs(float(r["y_plus_lower_wall"]) - (1 - abs(float(r["y"]))) * float(wu["re_tau"])) < 1e-6
                    for r in prof)
    check(ok, "profiles.csv U_plus = U / u_tau and y+ = (1 - |y|) Re_tau with the measured wall units")
    with h5py.File(os.path.join(d, "stats.h5"), "r") as f:
        check(abs(f.attrs["u_tau"] - float(wu["u_tau"])) < 1e-15 and text(f.attrs["wall_units_source"]) == wu["source"],
              "stats.h5 wall-unit attributes")

    # the snapshots' records: each snapshot's u_tau (steps 0, 10, 20, 30), 1 and 2 ranks alike
    recs = {}
    for tag in ("one", "two"):
        with h5py.File(os.path.join(outs[tag][0], "snapshots.h5"), "r") as f:
            recs[tag] = f["wall/u_tau"][...]
            a = dict(f.attrs)
    want = np.array([[float(ts[s]["re_tau"]) / RE for s in (0, 10, 20, 30)]])
    check(recs["one"].shape == (1, 4) and np.allclose(recs["one"], want, rtol=1e-9, atol=0),
          f"snapshot records {recs['one']} = timeseries re_tau / Re {want}")
    check(np.allclose(recs["two"], recs["one"], rtol=1e-12, atol=0), "2-rank records equal the 1-rank ones")
    check(text(a["wall_measured_by"]) == "dns" and text(a["wall_grid"]) == "8x25x8"
          and text(a["driving"]) == "bulk_velocity", "who measured the records")
    mean = math.sqrt(np.mean(recs["two"] ** 2))
    check(int(a["wall_snapshots"]) == 4 and abs(a["wall_u_tau"] / mean - 1) < 1e-14
          and abs(a["wall_re_tau"] / (mean * RE) - 1) < 1e-14 and np.allclose(a["wall_window"], [0, 0.06]),
          f"summary attributes: {a['wall_snapshots']}, {a['wall_u_tau']}, {a['wall_window']}")

    # `stats` of the series: its records
    rc, out = run(["stats", os.path.join(d, "snapshots.h5"), "-o", os.path.join(tmp, "st")])
    st = wall_units_txt(os.path.join(tmp, "st", "wall_units.txt")) if rc == 0 else {}
    rec_mean = math.sqrt(np.mean(recs["one"] ** 2))
    check(rc == 0 and st["source"] == "series records (this DNS at 8x25x8, 4 snapshots)"
          and abs(float(st["u_tau"]) / rec_mean - 1) < 1e-14, f"stats of the snapshots uses their records: {st}")

    # a restart continues the records: 20 steps, then 10 more, as the 30 above
    with open(case, "w") as f:
        f.write(CASE.format(steps=20, dir=os.path.join(tmp, "a")))
    rc, out = run(["dns", case])
    rc2, out2 = run(["dns", case, "--set", "time.steps=30", "--set", "initial.type=restart",
                     "--set", "initial.file=" + os.path.join(tmp, "a", "checkpoint.h5")])
    check(rc == 0 and rc2 == 0, "restarted run exits 0" + ("" if rc2 == 0 else ": " + out2[-500:]))
    with h5py.File(os.path.join(tmp, "a", "snapshots.h5"), "r") as f:
        check(np.array_equal(f["wall/u_tau"][...], recs["one"]) and int(f.attrs["wall_snapshots"]) == 4,
              "the restarted run's records equal the uninterrupted run's")

    # an LES records its own wall units
    rc, out = run(["dns", case, "--set", "sgs.model=wale", "--set", "time.steps=10", "--set", "initial.type=perturbed",
                   "--set", "output.dir=" + os.path.join(tmp, "les")])
    check(rc == 0, "LES run exits 0" + ("" if rc == 0 else ": " + out[-500:]))
    if rc == 0:
        les_ts = {int(r["step"]): r for r in rows(os.path.join(tmp, "les", "timeseries.csv"))}
        with h5py.File(os.path.join(tmp, "les", "snapshots.h5"), "r") as f:
            check(text(f.attrs["wall_measured_by"]) == "les-wale"
                  and np.allclose(f["wall/u_tau"][...], [[float(les_ts[s]["re_tau"]) / RE for s in (0, 10)]],
                                  rtol=1e-9, atol=0), "LES snapshot records")
        les_wu = wall_units_txt(os.path.join(tmp, "les", "wall_units.txt"))
        les_tau = [(float(les_ts[s]["re_tau"]) / RE) ** 2 for s in (0, 5, 10)]
        check(abs(float(les_wu["u_tau"]) / math.sqrt(sum(les_tau) / 3) - 1) < 1e-8, f"LES wall units {les_wu}")

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
