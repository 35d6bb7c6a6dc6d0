#!/usr/bin/env python3
"""`ifactflow dns` end to end: a 2-rank run writes a CSV time series, a checkpoint, a
data-contract snapshot series (checked with h5py) and statistics; a restart from a
checkpoint continues bit-for-bit; bad input fails with one clear line naming the key."""
import csv
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE = os.environ["IFF_EXE"]
MPI = ["mpirun", "--oversubscribe", "-n", "2"]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


CASE = """grid: {{nx: 8, ny: 25, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}}
physics: {{units: centreline, re: 4200, driving: bulk_velocity}}
time: {{dt: 0.02, steps: {steps}}}
initial: {{type: perturbed, amplitude: 0.3, seed: 3}}
output: {{dir: {dir}, csv_every: 5, snapshot_every: 10, checkpoint_every: 10, stats_every: 5, progress_seconds: 0}}
"""


def run(args, ranks=1):
    cmd = (MPI if ranks == 2 else []) + [EXE] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


with tempfile.TemporaryDirectory() as tmp:
    case = os.path.join(tmp, "case.yaml")
    with open(case, "w") as f:
        f.write(CASE.format(steps=30, dir=os.path.join(tmp, "par")))

    # 1. a 2-rank run and its outputs
    rc, out = run(["dns", case], ranks=2)
    check(rc == 0, "2-rank dns run exits 0" + ("" if rc == 0 else ": " + out[-500:]))
    par = os.path.join(tmp, "par")
    for name in ["timeseries.csv", "checkpoint.h5", "snapshots.h5", "profiles.csv", "spectra_kx.csv",
                 "spectra_kz.csv", "stats.h5", "config.resolved.yaml"]:
        check(os.path.exists(os.path.join(par, name)), "output " + name + " exists")
    check(not any(n.endswith(".partial") for n in os.listdir(par)), "no partial files left")
    ts = rows(os.path.join(par, "timeseries.csv"))
    check([int(r["step"]) for r in ts] == [0, 5, 10, 15, 20, 25, 30], "time series rows every 5 steps")
    check(all(abs(float(r["bulk_velocity"]) - 2 / 3) < 1e-12 for r in ts), "bulk velocity held at 2/3")
    check(all(float(r["max_div"]) < 1e-12 for r in ts), "max |div u| at round-off")
    cost = rows(os.path.join(par, "cost.csv"))
    check(len(cost) == 1 and cost[0]["command"] == "dns" and cost[0]["model"] == "dns" and cost[0]["ranks"] == "2"
          and int(cost[0]["steps"]) == 30 and abs(float(cost[0]["simulated_time"]) - 0.6) < 1e-9
          and float(cost[0]["wall_seconds"]) > 0, f"cost record of the 2-rank run: {cost}")
    # `info` describes every file the run wrote
    for name, needles in (("checkpoint.h5", ["DNS restart checkpoint", "grid        : 8x25x8 modes", "step 30"]),
                          ("stats.h5", ["kind        : statistics", "y           : 25 points"]),
                          ("cost.csv", ["cost record of `ifactflow dns` (dns)", "2 ranks x"]),
                          ("snapshots.h5", ["kind        : dns", "wall units  : u_tau ="])):
        rc, out = run(["info", os.path.join(par, name)])
        check(rc == 0 and all(n in out for n in needles), f"info {name}: {out}")
    rc, out = run(["info", os.path.join(par, "timeseries.csv")])
    check(rc != 0 and out.count("\n") == 1 and "not an HDF5 file, nor a cost record" in out,
          f"info on a CSV table: {out}")
    with h5py.File(os.path.join(par, "snapshots.h5"), "r") as f:
        v = f["velocity"]
        check(v.shape == (1, 4, 8, 25, 8, 3), "snapshot shape [1, 4, 8, 25, 8, 3], got %s" % (v.shape,))
        check(f.attrs["format"] in (b"ifactflow-series", "ifactflow-series"), "series format attribute")
        y = f["grid/y"][:]
        check(abs(y[0] + 1) < 1e-15 and abs(y[-1] - 1) < 1e-15 and np.all(np.diff(y) > 0), "y ascending wall to wall")
        check(np.allclose(f["time"][:], [0, 0.2, 0.4, 0.6]), "snapshot times")
        u = v[0, 3]
        check(np.abs(u[:, 0]).max() < 1e-6 and np.abs(u[:, -1]).max() < 1e-6, "no slip at the walls")
        ub = 0.5 * np.trapz(u[..., 0].mean(axis=(0, 2)), y)
        check(abs(ub - 2 / 3) < 2e-3, "snapshot bulk velocity ~ 2/3 (trapezoid), got %.5f" % ub)
    with h5py.File(os.path.join(par, "checkpoint.h5"), "r") as f:
        check(int(f.attrs["step"]) == 30, "checkpoint at the last step")
        check("config" in f.attrs and "grid" in str(f.attrs["config"]), "checkpoint holds the resolved config")

    # 1b. a series snapshot (data contract) spectrally interpolated onto a finer grid
    rc, out = run(["dns", case, "--set", "output.dir=" + os.path.join(tmp, "ser"), "--set", "initial.type=series",
                   "--set", "initial.file=" + os.path.join(par, "snapshots.h5"), "--set", "grid.nx=16",
                   "--set", "grid.ny=33", "--set", "grid.nz=12", "--set", "time.steps=5"], ranks=2)
    check(rc == 0, "dns from a series snapshot exits 0" + ("" if rc == 0 else ": " + out[-500:]))
    if rc == 0:
        first = rows(os.path.join(tmp, "ser", "timeseries.csv"))[0]
        last_par = ts[-1]
        check(abs(float(first["bulk_velocity"]) - float(last_par["bulk_velocity"])) < 1e-6,
              "interpolated bulk velocity equals the snapshot's (float32 storage)")
        check(abs(float(first["kinetic_energy"]) / float(last_par["kinetic_energy"]) - 1) < 1e-3,
              "interpolated kinetic energy close to the snapshot's")
        check(float(first["max_div"]) < 1e-12, "interpolated field is divergence-free")

    # 1c. CFL-controlled dt: a too-large dt is reduced and the run reaches t_end
    rc, out = run(["dns", case, "--set", "output.dir=" + os.path.join(tmp, "cfl_adapt"), "--set", "time.dt=0.2",
                   "--set", "time.steps=0", "--set", "time.t_end=3", "--set", "time.adaptive=true",
                   "--set", "output.csv_every=1"], ranks=2)
    check(rc == 0, "CFL-controlled run exits 0" + ("" if rc == 0 else ": " + out[-500:]))
    if rc == 0:
        ad = rows(os.path.join(tmp, "cfl_adapt", "timeseries.csv"))
        dts = sorted(set(float(r["dt"]) for r in ad))
        check(max(dts) < 0.2, "dt was adapted below time.dt (%d values, %.4g..%.4g)" % (len(dts), min(dts), max(dts)))
        check(float(ad[-1]["t"]) >= 3 - 1e-9, "CFL-controlled run reaches t_end")
        check(max(float(r["cfl"]) for r in ad[5:]) < 0.6, "CFL kept near its band")

    rc, out = run(["dns", case, "--set", "sgs.model=wale", "--set", "time.steps=5",
                   "--set", "output.dir=" + os.path.join(tmp, "les")])
    cost = rows(os.path.join(tmp, "les", "cost.csv")) if rc == 0 else []
    check(rc == 0 and cost[0]["command"] == "les" and cost[0]["model"] == "les-wale" and cost[0]["ranks"] == "1",
          f"an LES run's cost record names its model: {cost or out[-500:]}")
    # 2. restart continues bit-for-bit (same rank count)
    for d, steps in [("a", 20), ("c", 40)]:
        with open(case, "w") as f:
            f.write(CASE.format(steps=steps, dir=os.path.join(tmp, d)))
        rc, out = run(["dns", case])
        check(rc == 0, "run %s exits 0" % d + ("" if rc == 0 else ": " + out[-500:]))
    rc, out = run(["dns", case, "--set", "output.dir=" + os.path.join(tmp, "b"), "--set", "initial.type=restart",
                   "--set", "initial.file=" + os.path.join(tmp, "a", "checkpoint.h5")])
    check(rc == 0, "restart run exits 0" + ("" if rc == 0 else ": " + out[-500:]))
    with h5py.File(os.path.join(tmp, "b", "checkpoint.h5"), "r") as fb, \
            h5py.File(os.path.join(tmp, "c", "checkpoint.h5"), "r") as fc:
        same = all(np.array_equal(fb["state"][k][:], fc["state"][k][:]) for k in fc["state"])
        check(same and int(fb.attrs["step"]) == 40, "restarted state equals the uninterrupted one bit for bit")
    rb, rcsv = rows(os.path.join(tmp, "b", "timeseries.csv")), rows(os.path.join(tmp, "c", "timeseries.csv"))
    check(rb == rcsv, "restarted time series equals the uninterrupted one")
    # a restart into a new folder starts its series at the checkpoint: snapshots 2..4 of the
    # uninterrupted run, bit for bit, and the step of its snapshot 0 recorded
    with h5py.File(os.path.join(tmp, "b", "snapshots.h5"), "r") as fb, \
            h5py.File(os.path.join(tmp, "c", "snapshots.h5"), "r") as fc:
        check(np.array_equal(fb["time"][:], fc["time"][2:]) and np.array_equal(fb["velocity"][:], fc["velocity"][:, 2:])
              and list(fb["first_step"][:]) == [20.0],
              f"the restarted run's series holds the uninterrupted one's snapshots from the checkpoint on "
              f"(times {list(fb['time'][:])})")
    cost = rows(os.path.join(tmp, "b", "cost.csv"))
    check(int(cost[0]["steps"]) == 20 and abs(float(cost[0]["simulated_time"]) - 0.4) < 1e-9,
          f"the restarted run's cost counts its own 20 steps: {cost}")
    with h5py.File(os.path.join(tmp, "b", "snapshots.h5"), "r") as fb, \
            h5py.File(os.path.join(tmp, "c", "snapshots.h5"), "r") as fc:
        check(np.array_equal(fb["velocity"][:, -1], fc["velocity"][:, -1]), "restarted snapshots continue the series")

    # 3. bad input: one line naming the key, non-zero exit, nothing half-written
    rc, out = run(["dns", case, "--set", "physics.viscosity=1"])
    check(rc != 0 and "physics.viscosity" in out, "unknown key is rejected by name")
    rc, out = run(["dns", case, "--set", "physics.driving=sideways"])
    check(rc != 0 and "physics.driving" in out, "bad choice names the key")
    rc, out = run(["dns", case, "--set", "grid.nx=7"])
    check(rc != 0 and "nx" in out, "odd nx is rejected")
    rc, out = run(["dns", case, "--set", "initial.type=restart", "--set", "initial.file=" + case])
    check(rc != 0 and case in out, "a restart file that is not a checkpoint is named")
    rc, out = run(["dns", case, "--set", "time.cfl_max=0.01", "--set", "output.dir=" + os.path.join(tmp, "cfl")])
    check(rc != 0 and "CFL" in out and len(out.strip().splitlines()) <= 3, "CFL limit stops the run with a clear line")

    # 4. a blow-up (dt far too large) stops with a clear line and keeps the last good checkpoint
    blow = os.path.join(tmp, "blow")
    rc, out = run(["dns", case, "--set", "output.dir=" + blow, "--set", "time.dt=0.3", "--set", "time.cfl_max=1e6",
                   "--set", "time.steps=400", "--set", "output.checkpoint_every=4", "--set", "output.csv_every=1"])
    check(rc != 0 and "last good checkpoint" in out, "blow-up reports the last good checkpoint")
    with h5py.File(os.path.join(blow, "checkpoint.h5"), "r") as f:
        good = all(np.isfinite(f["state"][k][:]).all() for k in f["state"])
        check(good and int(f.attrs["step"]) % 4 == 0, "the kept checkpoint is finite (step %d)" % int(f.attrs["step"]))
    check(not any(n.endswith(".partial") for n in os.listdir(blow)), "no partial files after the blow-up")

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
