#!/usr/bin/python3
"""`train` and `rollout` estimate their memory per rank before the first step and refuse, in
one line with the estimate, what the node cannot hold (IFF_MEMORY_AVAILABLE stands for the
node's memory): at 1 and 2 ranks each refuses under 100 MB per rank, naming the model, the
grid, the samples per rank and the terms of the estimate, writes no output, and runs with room.
A rollout also refuses, in one line, a series in another box than the checkpoint's.

usage: check_operator_memory.py IFACTFLOW"""
import os
import re
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import synthetic_series  # noqa: E402

from cli_checks import ENV, check, finish  # noqa: E402
from cli_checks import run as run_ifactflow  # noqa: E402

exe = sys.argv[1]
nt, nx, ny, nz = 6, 8, 9, 4


def run(args, ranks=1, available=None):
    env = dict(ENV)
    if available is not None:
        env["IFF_MEMORY_AVAILABLE"] = str(available)
    return run_ifactflow(exe, args, ranks, env, forward=["IFF_MEMORY_AVAILABLE"] if available is not None else [])


def refused(what, rc, out, ranks, needles):
    errors = [l for l in out.splitlines() if "ifactflow: error" in l]
    check(rc != 0 and 1 <= len(errors) <= ranks, f"{what} at {ranks} rank(s): refused in one line (exit {rc}): "
          f"{out[-600:] if rc == 0 or not errors else errors[0]}")
    if errors:
        for n in needles:
            check(n in errors[0], f"{what} at {ranks} rank(s): the line names '{n}'")
        m = re.search(r"needs about ([\d.e+]+) (MB|GB) per rank", errors[0])
        check(m is not None and "100 MB are available per rank" in errors[0],
              f"{what} at {ranks} rank(s): the estimate and the availability are given")


def write_series(series, lx):
    x, y, z = synthetic_series.grid(nx, ny, nz, lx=lx)
    with h5py.File(series, "w") as f:
        f.create_dataset("velocity", data=synthetic_series.velocity(nt, nx, ny, nz).astype("<f4"))
        f["time"] = 0.5 * np.arange(nt)
        f["grid/x"], f["grid/y"], f["grid/z"] = x, y, z
        a = f.attrs
        a["format"], a["format_version"], a["kind"] = "ifactflow-series", 1, "fdns"
        a["re_tau"], a["nu"], a["lx"], a["ly"], a["lz"] = 0.0, 1 / 4200, lx, 2.0, np.pi
        a["units"], a["filter"], a["model"], a["config"], a["git_commit"] = "h, U_c", "sharp", "", "", "test"


with tempfile.TemporaryDirectory() as d:
    series = os.path.join(d, "series.h5")
    write_series(series, 2 * np.pi)

    def train_case(out):
        p = os.path.join(d, os.path.basename(out) + ".yaml")
        with open(p, "w") as f:
            f.write(f"""data: {{series: {series}, val_trajectories: 1}}
model: {{kind: fno, modes_x: 2, modes_y: 3, modes_z: 2, width: 4, n_layer: 2}}
train: {{epochs: 1, batch_size: 4, seed: 0, threads: 1}}
output: {{dir: {out}}}
""")
        return p

    for ranks in (1, 2):
        out = os.path.join(d, f"refused{ranks}")
        rc, log = run(["train", train_case(out)], ranks, available=1e8)
        per_rank = 4 // ranks
        refused("train", rc, log, ranks, [f"training fno on 8x9x4 with {per_rank} sample(s) per rank",
                                          "parameters x 5 (weights, gradients, AdamW moments, all-reduce)"])
        check(not os.path.exists(os.path.join(out, "last.ckpt")) and not os.path.exists(
            os.path.join(out, "config.resolved.yaml")), f"train at {ranks} rank(s): a refused run writes nothing")
    rc, log = run(["train", train_case(os.path.join(d, "train"))], available=1e12)
    check(rc == 0, "train runs with room" + ("" if rc == 0 else ": " + log[-800:]))
    ckpt = os.path.join(d, "train", "best.ckpt")

    def rollout_case(out, series=series):
        p = os.path.join(d, os.path.basename(out) + ".yaml")
        with open(p, "w") as f:
            f.write(f"""rollout: {{checkpoint: {ckpt}, series: {series}, initial: list, states: [0, 1, 2, 2], steps: 2,
          energy_band: 100, threads: 1}}
output: {{dir: {out}, vtk_every: 0, progress_seconds: 0}}
""")
        return p

    for ranks in (1, 2):
        out = os.path.join(d, f"roll_refused{ranks}")
        rc, log = run(["rollout", rollout_case(out)], ranks, available=1e8)
        refused("rollout", rc, log, ranks, [f"rolling out {2 // ranks} trajectory(ies) per rank on 8x9x4",
                                            "activation values per point and sample"])
        check(not os.path.exists(os.path.join(out, "prediction.h5")), f"rollout at {ranks} rank(s): nothing written")
    rc, log = run(["rollout", rollout_case(os.path.join(d, "roll"))], 2, available=1e12)
    check(rc == 0, "rollout runs with room" + ("" if rc == 0 else ": " + log[-800:]))
    # the same grid in another box: the model's positional features do not fit it
    other = os.path.join(d, "other_box.h5")
    write_series(other, np.pi)
    rc, log = run(["rollout", rollout_case(os.path.join(d, "roll_box"), other)])
    errors = [l for l in log.splitlines() if "ifactflow: error" in l]
    check(rc != 0 and len(errors) == 1 and "is for a box 6.28319 x 2 x 3.14159" in errors[0]
          and "is 3.14159 x 2 x 3.14159" in errors[0], f"rollout refuses a series in another box: {errors or log[-400:]}")

finish("train and rollout: memory estimated before the first step; refused in one line at 1 and 2 ranks")
