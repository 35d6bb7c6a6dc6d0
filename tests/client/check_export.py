#!/usr/bin/python3
"""Export round trip with PyTorch as the real client: a tiny IFactFormer-m trained by ifactflow
(float64) is exported (`ifactflow export`), the state_dict is read by torch.load and re-saved
the way users save (an OrderedDict), converted back (`ifactflow convert` with the
hyper-parameters and normalisation of the exported JSON) and exported again: names, shapes,
dtypes and values are the same bit for bit, and the converted checkpoint rolls out to the same
prediction as the trained one.

usage: check_export.py IFACTFLOW
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import synthetic_series  # noqa: E402
import torch

exe = sys.argv[1]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, ok=True):
    p = subprocess.run([exe] + args, env=env, capture_output=True, text=True)
    if ok and p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit(f"ifactflow {' '.join(args)} failed")
    return p


with tempfile.TemporaryDirectory() as d:
    nt, nx, ny, nz = 6, 8, 9, 4
    np.save(os.path.join(d, "data.npy"), synthetic_series.velocity(nt, nx, ny, nz))
    series = os.path.join(d, "series.h5")
    run(["import", os.path.join(d, "data.npy"), "-o", series, "--lx", repr(2 * np.pi), "--lz", repr(np.pi),
         "--dt", "0.5", "--dtype", "float64"])
    with open(os.path.join(d, "train.yaml"), "w") as f:
        f.write(f"""data: {{series: {series}, val_trajectories: 1}}
model: {{kind: ifactformer-m, dim: 12, heads: 2, dim_head: 6, n_layer: 2}}
train: {{epochs: 1, batch_size: 2, seed: 0, threads: 1, dtype: float64}}
output: {{dir: {d}/train}}
""")
    run(["train", os.path.join(d, "train.yaml")])
    ckpt = os.path.join(d, "train", "best.ckpt")

    run(["export", ckpt, "-o", os.path.join(d, "w.pt")])
    check(os.path.exists(os.path.join(d, "w.json")), "export writes w.json beside w.pt")
    meta = json.load(open(os.path.join(d, "w.json")))
    sd = torch.load(os.path.join(d, "w.pt"))
    check(isinstance(sd, dict) and all(isinstance(v, torch.Tensor) for v in sd.values()), "a dict of tensors")
    check(all(v.dtype == torch.float64 for v in sd.values()), "float64 weights stay float64")
    check("encoder.layers.0.1.to_z.1.out_ffn.norm.bias" in sd and "simple_to_out.3.bias" in sd,
          "reference names (encoder.layers.0.1..., simple_to_out...)")
    check(meta["model"] == "ifactformer-m" and meta["dtype"] == "float64", f"json model/dtype {meta['model']}")
    hp = meta["hyper_parameters"]
    check(hp["dim"] == 12 and hp["heads"] == 2 and hp["dim_head"] == 6 and hp["n_layer"] == 2, f"hyper {hp}")
    check(meta["grid"]["nx"] == nx and meta["grid"]["ny"] == ny and meta["grid"]["nz"] == nz, "grid sizes")
    check(abs(meta["grid"]["lx"] - 2 * np.pi) < 1e-12 and abs(meta["grid"]["lz"] - np.pi) < 1e-12, "box")
    norm = meta["normalization"]
    check(all(len(norm[k]) == 3 for k in ("in_mean", "in_std", "out_mean", "out_std")), "normalisation per component")
    check(norm["in_std"][1] > 0 and norm["in_mean"] != [0, 0, 0], f"trained normalisation {norm}")

    # back in, saved as users save (an OrderedDict), and out again
    od = collections.OrderedDict(sd)
    od._metadata = collections.OrderedDict([("", {"version": 1})])
    torch.save(od, os.path.join(d, "user.pt"))
    with open(os.path.join(d, "norm.txt"), "w") as f:
        for k in ("in_mean", "in_std", "out_mean", "out_std"):
            f.write(k + ": " + " ".join(repr(v) for v in norm[k]) + "\n")
    sets = [f"model.{k}={v if not isinstance(v, bool) else str(v).lower()}" for k, v in hp.items()]
    sets += [f"model.grid={nx}x{ny}x{nz}", f"model.lx={meta['grid']['lx']!r}", f"model.lz={meta['grid']['lz']!r}"]
    args = ["convert", os.path.join(d, "user.pt"), "--model", meta["model"], "--norm", os.path.join(d, "norm.txt"),
            "-o", os.path.join(d, "back.ckpt")]
    for s in sets:
        args += ["--set", s]
    run(args)
    run(["export", os.path.join(d, "back.ckpt"), "-o", os.path.join(d, "w2.pt")])
    sd2 = torch.load(os.path.join(d, "w2.pt"))
    check(list(sd2) == list(sd), "same names in the same order")
    check(all(sd2[k].dtype == sd[k].dtype and sd2[k].shape == sd[k].shape and torch.equal(sd2[k], sd[k]) for k in sd),
          "same shapes, dtypes and values bit for bit")
    meta2 = json.load(open(os.path.join(d, "w2.json")))
    for k in ("model", "hyper_parameters", "grid", "positions", "normalization", "dtype"):
        check(meta2[k] == meta[k], f"json {k}: {meta2[k]} != {meta[k]}")

    # the converted checkpoint predicts what the trained one does
    preds = []
    for name, c in (("trained", ckpt), ("converted", os.path.join(d, "back.ckpt"))):
        with open(os.path.join(d, name + ".yaml"), "w") as f:
            f.write(f"""rollout: {{checkpoint: {c}, series: {series}, initial: all, steps: 2, energy_band: 0, threads: 1}}
output: {{dir: {d}/{name}, vtk_every: 0}}
""")
        run(["rollout", os.path.join(d, name + ".yaml")])
        with h5py.File(os.path.join(d, name, "prediction.h5"), "r") as f:
            preds.append(f["velocity"][...])
    check(np.array_equal(preds[0], preds[1]), "the converted checkpoint's rollout equals the trained one's")
    # a directory as the output is refused up front, nothing written
    os.makedirs(os.path.join(d, "dir.pt"))
    p = run(["export", ckpt, "-o", os.path.join(d, "dir.pt")], ok=False)
    check(p.returncode != 0 and "is a directory" in p.stderr, f"export -o DIR: {p.stderr.strip()}")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("export: state_dict and JSON round trip exactly through PyTorch and convert")
