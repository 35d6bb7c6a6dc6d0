#!/usr/bin/env python3
"""Checks that PyTorch reproduces an ifactflow-trained model from its export.

    check_export.py REFERENCE_DIR IFACTFLOW [--kind ifactformer-m|ifactformer-o]

REFERENCE_DIR is a checkout of huiyu-2002/IFactFormer-m (imported, not copied). The script
trains a small IFactFormer in float64 with `ifactflow train` on a synthetic series, exports it
(`ifactflow export`), builds the reference Model from the exported JSON's hyper-parameters,
loads the state_dict with load_state_dict(strict=True), runs it in PyTorch on the normalised
initial states with the reference positions (linspace(0, L, n), L = (lx, 2, lz)) and
de-normalises, and compares with one step of `ifactflow rollout` (rollout.dtype float64).
Exit status 1 when the relative difference exceeds 1e-9.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import types

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from check_reference import install_einops_stand_in  # noqa: E402
import synthetic_series  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference_dir")
    ap.add_argument("ifactflow")
    ap.add_argument("--kind", default="ifactformer-m", choices=["ifactformer-m", "ifactformer-o"])
    a = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")

    def run(*args):
        subprocess.run([a.ifactflow, *args], check=True, stdout=subprocess.DEVNULL, env=env)

    print("einops:", install_einops_stand_in())
    work = tempfile.mkdtemp(prefix="iff_exportcheck_")
    nt, nx, ny, nz = 6, 8, 9, 6
    lx, lz = 2 * math.pi, math.pi
    data = synthetic_series.velocity(nt, nx, ny, nz, lx=lx, lz=lz)
    np.save(os.path.join(work, "data.npy"), data)
    series = os.path.join(work, "series.h5")
    run("import", os.path.join(work, "data.npy"), "-o", series, "--lx", repr(lx), "--lz", repr(lz), "--dt", "0.5",
        "--dtype", "float64")
    with open(os.path.join(work, "train.yaml"), "w") as f:
        f.write(f"data: {{series: {series}, val_trajectories: 1}}\n"
                f"model: {{kind: {a.kind}, dim: 18, heads: 2, dim_head: 8, n_layer: 3}}\n"
                f"train: {{epochs: 2, batch_size: 2, seed: 0, threads: 2, dtype: float64}}\n"
                f"output: {{dir: {work}/train}}\n")
    run("train", os.path.join(work, "train.yaml"))
    run("export", os.path.join(work, "train", "best.ckpt"), "-o", os.path.join(work, "model.pt"))
    meta = json.load(open(os.path.join(work, "model.json")))
    hp = meta["hyper_parameters"]

    sys.path.insert(0, a.reference_dir)
    import libs.factorization_module as fm
    import libs.model as rm
    rm.FABlock3D_o = fm.FABlock3D_o  # libs/model.py imports only FABlock3D_m
    cfg = types.SimpleNamespace(in_dim=hp["in_dim"], out_dim=hp["out_dim"], in_time_window=hp["in_time_window"],
                                dim=hp["dim"], heads=hp["heads"], depth=hp["depth"], dim_head=hp["dim_head"],
                                n_layer=hp["n_layer"],
                                model="IFactFormer_m" if meta["model"] == "ifactformer-m" else "IFactFormer_o")
    model = rm.Model(cfg).double()
    missing = model.load_state_dict(torch.load(os.path.join(work, "model.pt")), strict=True)
    print(f"reference {meta['model']} loaded the export with strict=True ({missing})")
    model.eval()
    g = meta["grid"]
    pos = [torch.linspace(0, L, n, dtype=torch.float32).double().unsqueeze(-1)
           for L, n in ((g["lx"], g["nx"]), (2.0, g["ny"]), (g["lz"], g["nz"]))]
    norm = {k: torch.tensor(v, dtype=torch.float64) for k, v in meta["normalization"].items() if k != "components"}
    u0 = torch.from_numpy(data[:, 0])  # the first snapshot of every trajectory
    with torch.no_grad():
        out = model(((u0 - norm["in_mean"]) / norm["in_std"]).unsqueeze(1).clone(), pos)
    want = out * norm["out_std"] + norm["out_mean"]

    with open(os.path.join(work, "rollout.yaml"), "w") as f:
        f.write(f"rollout: {{checkpoint: {work}/train/best.ckpt, series: {series}, initial: all, steps: 1, "
                f"energy_band: 0, dtype: float64, threads: 2}}\noutput: {{dir: {work}/rollout, vtk_every: 0}}\n")
    run("rollout", os.path.join(work, "rollout.yaml"))
    with h5py.File(os.path.join(work, "rollout", "prediction.h5"), "r") as f:
        got = torch.from_numpy(f["velocity"][:, 1])
    diff = (got - want).abs().max().item()
    rel = diff / want.abs().max().item()
    print(f"PyTorch (reference model, exported weights) vs ifactflow rollout, float64: max |diff| {diff:.3e}, "
          f"relative to max |output| {rel:.3e}")
    return 0 if rel < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
