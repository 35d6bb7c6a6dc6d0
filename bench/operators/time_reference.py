#!/usr/bin/env python3
"""Times the reference PyTorch IFactFormer (forward, batch 1, float32) on this machine.

    time_reference.py REFERENCE_DIR [--kind ifactformer-m] [--grid 32x33x16] [--threads 2]
                      [--repeats 3] [--train-batch B]

REFERENCE_DIR is a checkout of huiyu-2002/IFactFormer-m (holding libs/); it is imported, not
copied (check_reference.py supplies the einops stand-in when einops is missing). Prints the
median of REPEATS forwards after one warm-up, and the FLOPs of its matrix products as
PyTorch's profiler counts them. --train-batch B also times a training step at batch B
(forward, relative L2 loss, backward, AdamW step) and prints the process's peak resident
memory after it. Weights are the reference's random initialisation: the
forward's cost does not depend on them.
"""
import argparse
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_reference  # noqa: E402


def median_seconds(f, repeats):
    """Median wall-clock time of `repeats` calls of f after one warm-up call."""
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference_dir")
    ap.add_argument("--kind", default="ifactformer-m", choices=["ifactformer-m", "ifactformer-o"])
    ap.add_argument("--grid", default="32x33x16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--train-batch", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    check_reference.install_einops_stand_in()
    model, pos, (nx, ny, nz) = check_reference.reference_model(a.reference_dir, a.kind, a.grid)
    model.eval()
    u = torch.randn(1, 1, nx, ny, nz, 3)
    with torch.no_grad():
        t = median_seconds(lambda: model(u.clone(), pos), a.repeats)
        with torch.profiler.profile(with_flops=True) as prof:
            model(u.clone(), pos)
    flops = sum(e.flops for e in prof.events() if e.flops)
    print(f"reference {a.kind} (PyTorch {torch.__version__}) forward batch 1, {a.threads} thread(s): "
          f"{t:.3f} s median of {a.repeats}, {flops / 1e9:.1f} GFLOP counted by the profiler, {flops / t / 1e9:.1f} GFLOP/s")

    if a.train_batch > 0:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=5e-4)
        x = torch.randn(a.train_batch, 1, nx, ny, nz, 3)
        y = torch.randn(a.train_batch, nx, ny, nz, 3)

        def step():
            opt.zero_grad()
            out = model(x.clone(), pos).reshape(a.train_batch, -1)
            target = y.reshape(a.train_batch, -1)
            loss = ((out - target).norm(dim=1) / target.norm(dim=1)).mean()
            loss.backward()
            opt.step()

        t = median_seconds(step, a.repeats)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"reference {a.kind} training step batch {a.train_batch}, {a.threads} thread(s): "
              f"{t:.3f} s median of {a.repeats}, peak resident {peak:.2f} GiB")

if __name__ == "__main__":
    main()
