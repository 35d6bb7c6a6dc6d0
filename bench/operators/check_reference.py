#!/usr/bin/env python3
"""Checks ifactflow's IFactFormer-m/-o against the reference PyTorch implementation.

    check_reference.py REFERENCE_DIR CHECK_TOOL [--kind ifactformer-m] [--grid 32x33x16]
                       [--ifactflow IFACTFLOW]

REFERENCE_DIR is a checkout of huiyu-2002/IFactFormer-m (holding libs/); it is imported, not
copied. The script builds the reference Model at its default size with random weights, runs
it in float64 on a random input with the reference positions (linspace(0, L, n), L = (4pi, 2,
4pi/3)), saves the weights as users do (torch.save(dict(model.state_dict()), f)), and lets
CHECK_TOOL (bench/operators/check_reference) import them as `ifactflow convert` does, run the
checkpoint on the same input and compare. If the `einops` package is missing, a
minimal stand-in for its rearrange/repeat/Rearrange (enough for the reference's patterns) is
installed for this run.

With --ifactflow, the same weights also go through the command line as a user's would: saved
as torch.save(model.state_dict(), f) (an OrderedDict), `ifactflow convert`, the input imported
as a float64 series (`ifactflow import`), one step of `ifactflow rollout` with
rollout.dtype: float64, and prediction.h5 (read with h5py) compared with the reference output;
exit status 1 when the relative difference exceeds 1e-9. The converted checkpoint is also
exported again (`ifactflow export`): exit status 1 unless its state_dict has the reference
model's names (order aside), shapes, dtypes and values exactly.
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import types

import torch


def _parse(side):
    groups = []
    for tok in re.findall(r"\([^)]*\)|\S+", side):
        groups.append(tok[1:-1].split() if tok.startswith("(") else [tok])
    return groups


def rearrange(x, pattern, **sizes):
    """einops-style axis rearrangement: split groups, permute, merge groups."""
    lhs, rhs = [_parse(s) for s in pattern.split("->")]
    shape = list(x.shape)
    # expand '...' into anonymous names
    def expand(groups, ndim_known):
        out = []
        for g in groups:
            if g == ["..."]:
                out += [["_e%d" % i] for i in range(ndim_known)]
            else:
                out.append(g)
        return out
    n_ell = len(shape) - (len(lhs) - 1) if ["..."] in lhs else 0
    lhs, rhs = expand(lhs, n_ell), expand(rhs, n_ell)
    known = dict(sizes)
    elems, unit = [], 0
    for g, n in zip(lhs, shape):
        names = []
        for name in g:
            if name == "1":
                name = "_one%d" % unit
                unit += 1
                known[name] = 1
            names.append(name)
        unknown = [a for a in names if a not in known]
        prod = math.prod(known[a] for a in names if a in known)
        if unknown:
            known[unknown[0]] = n // prod
        elems += names
    x = x.reshape([known[a] for a in elems])
    out_elems = [a for g in rhs for a in g if a != "1"]
    new_axes = [a for a in out_elems if a not in elems]  # repeat(): broadcast new axes
    drop = [a for a in elems if a not in out_elems]
    for a in drop:
        assert known[a] == 1, "cannot drop axis " + a
    keep = [a for a in elems if a in out_elems]
    x = x.reshape([known[a] for a in keep])
    for a in new_axes:
        x = x.unsqueeze(0)
        keep = [a] + keep
    x = x.permute([keep.index(a) for a in out_elems])
    x = x.expand([known[a] for a in out_elems])
    return x.reshape([math.prod(known[a] if a != "1" else 1 for a in g) for g in rhs])


class Rearrange(torch.nn.Module):
    def __init__(self, pattern, **sizes):
        super().__init__()
        self.pattern, self.sizes = pattern, sizes

    def forward(self, x):
        sizes = {k: v for k, v in self.sizes.items() if k in self.pattern.split("->")[0]}
        return rearrange(x, self.pattern, **sizes)


def install_einops_stand_in(force=False):
    """The real einops unless missing (or `force`: recent einops rejects the reference's
    unused axis in Rearrange('b c i l r -> b i l r c', h=heads))."""
    if not force:
        try:
            import einops  # noqa: F401
            return "einops " + einops.__version__
        except ImportError:
            pass
    mod = types.ModuleType("einops")
    mod.rearrange, mod.repeat, mod.reduce = rearrange, rearrange, None
    layers = types.ModuleType("einops.layers")
    lt = types.ModuleType("einops.layers.torch")
    lt.Rearrange = Rearrange
    sys.modules.update({"einops": mod, "einops.layers": layers, "einops.layers.torch": lt})
    return "stand-in"


def reference_model(reference_dir, kind, grid):
    """The reference Model at its default size (seed 0) for `kind` on an NXxNYxNZ `grid`, the
    positions it was trained with (linspace(0, L, n), L = (4pi, 2, 4pi/3)) and (nx, ny, nz).
    The einops stand-in must be installed first when einops is missing."""
    sys.path.insert(0, reference_dir)
    import libs.factorization_module as fm
    import libs.model as rm
    rm.FABlock3D_o = fm.FABlock3D_o  # libs/model.py imports only FABlock3D_m
    nx, ny, nz = (int(v) for v in grid.split("x"))
    cfg = types.SimpleNamespace(in_dim=3, out_dim=3, in_time_window=1, dim=96, heads=5, depth=1, dim_head=96,
                                n_layer=10, model="IFactFormer_m" if kind == "ifactformer-m" else "IFactFormer_o")
    torch.manual_seed(0)
    model = rm.Model(cfg)
    pos = [torch.linspace(0, L, n).unsqueeze(-1) for L, n in ((4 * math.pi, nx), (2.0, ny), (4 * math.pi / 3, nz))]
    return model, pos, (nx, ny, nz)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference_dir")
    ap.add_argument("check_tool")
    ap.add_argument("--kind", default="ifactformer-m", choices=["ifactformer-m", "ifactformer-o"])
    ap.add_argument("--grid", default="32x33x16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ifactflow", help="also check through convert, import and rollout of this executable")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print("einops:", install_einops_stand_in())
    model, pos, (nx, ny, nz) = reference_model(a.reference_dir, a.kind, a.grid)
    with torch.no_grad():  # non-trivial norms and kernels
        for name, p in model.named_parameters():
            if "norm" in name:
                p.normal_(1.0, 0.2)
            if "to_q" in name or "to_k" in name:
                p.normal_(0.0, 0.05)
    u = torch.randn(2, 1, nx, ny, nz, 3)
    with torch.no_grad():
        t0 = time.time()
        model(u[:1].clone(), pos)
        t32 = time.time() - t0
        m64 = model.double()
        for p in m64.parameters():  # weights that float32 cannot hold: a float64 path must keep them
            p.add_(1e-9 * torch.randn_like(p))
        y = m64(u.double().clone(), [p.double() for p in pos])
    n_params = sum(p.numel() for p in model.parameters())
    print(f"reference {a.kind}: {n_params} parameters; float32 forward, batch 1, {a.threads} threads: {t32:.2f} s")
    work = tempfile.mkdtemp(prefix="iff_refcheck_")
    sd_path, io_path, ckpt = (os.path.join(work, f) for f in ("weights.pt", "io.pt", "model.ckpt"))
    torch.save(dict(m64.state_dict()), sd_path)
    torch.save({"input": u.double().squeeze(1), "output": y}, io_path)
    status = subprocess.run([a.check_tool, sd_path, io_path, a.kind, a.grid, ckpt]).returncode
    if a.ifactflow:
        status = max(status, check_command_line(a.ifactflow, m64, u.double(), y, a.kind, a.grid, work))
    return status


def check_command_line(exe, model, u, y, kind, grid, work):
    """convert -> import -> rollout (float64, one step) against the reference output y."""
    import h5py
    import numpy as np

    def run(*args):
        subprocess.run([exe, *args], check=True, stdout=subprocess.DEVNULL)

    sd = os.path.join(work, "state_dict.pt")
    torch.save(model.state_dict(), sd)  # an OrderedDict, as most users save
    run("convert", sd, "--model", kind, "--set", "model.grid=" + grid, "-o", os.path.join(work, "cli.ckpt"))
    # the round trip reference weights -> checkpoint -> state_dict: the same names (in sorted
    # order; load_state_dict does not depend on the order), shapes, dtypes and values, bit for bit
    exported = os.path.join(work, "exported.pt")
    run("export", os.path.join(work, "cli.ckpt"), "-o", exported)
    back, ref_sd = torch.load(exported), model.state_dict()
    same = sorted(back) == sorted(ref_sd) and all(
        back[k].shape == v.shape and back[k].dtype == v.dtype and torch.equal(back[k], v) for k, v in ref_sd.items())
    print(f"reference weights -> convert -> export: {len(back)} tensors, "
          f"{'names, shapes, dtypes and values equal' if same else 'DIFFERENT'}")
    # the input as trajectory b, snapshot 0 of a float64 series (the 4pi x 2 x 4pi/3 box)
    np.save(os.path.join(work, "input.npy"), u.numpy())  # [b, 1, nx, ny, nz, 3]
    series = os.path.join(work, "input.h5")
    run("import", os.path.join(work, "input.npy"), "-o", series, "--dtype", "float64",
        "--lx", repr(4 * math.pi), "--lz", repr(4 * math.pi / 3))
    case = os.path.join(work, "rollout.yaml")
    with open(case, "w") as f:
        f.write(f"rollout:\n  checkpoint: {work}/cli.ckpt\n  series: {series}\n  initial: all\n  steps: 1\n"
                f"  energy_band: 0\n  dtype: float64\n  threads: 2\noutput:\n  dir: {work}/rollout\n"
                f"  vtk_every: 0\n")
    run("rollout", case)
    with h5py.File(os.path.join(work, "rollout", "prediction.h5"), "r") as f:
        got = torch.from_numpy(f["velocity"][:, 1])
        dtype = f["velocity"].dtype
    abs_diff = (got - y).abs().max().item()
    rel = abs_diff / y.abs().max().item()
    print(f"ifactflow rollout (rollout.dtype float64, series {dtype}) vs reference: max |diff| {abs_diff:.3e}, "
          f"relative to max |output| {rel:.3e}")
    return 0 if rel < 1e-9 and same else 1


if __name__ == "__main__":
    sys.exit(main())
