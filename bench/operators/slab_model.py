#!/usr/bin/python3
"""Time per step of IFactFormer-m split in x-slabs, modelled up to 1,024 ranks.

  /usr/bin/python3 bench/operators/slab_model.py --measured 128x65x64:FORWARD_S:TRAIN_S \
      [--bandwidth GB/s] [--latency us] [--grids 96x65x48,256x129,256]

FORWARD_S and TRAIN_S are bench_slab's forward and training step at 1 rank x 1 thread on
the measured grid (bench/operators/slab_scaling.sh prints them). The model, per layer and
rank (docs/domain-decomposition.md derives it):

  compute   t_c = F(grid) / (R * rate),  F = n * (2*dim*H + 2*H*(nx+ny+nz) + 6*H*dim + 4*dim^2)
            flops per layer (H = heads*dim_head; V, the three axial products, to_out.2,
            to_out.4 and the Fourier-feature linear), rate calibrated on the measured grid;
  exchange  t_x = k * latency * ceil(log2 R) + bytes(R) / bandwidth,
            bytes(R) = 4 * H * n * (R-1)/R  (V gathered over x, one head at a time) plus the
            pooled features; k = 3 + 3 * heads collectives per layer in the forward (the
            pooled x features, the y and z sums, V per head, two moment sums per head).

A training step moves three times the forward's bytes (the recomputed forward's gather
again in the backward, and the reduce-scatter of dV) in 8 * heads + 6 collectives; its
compute is TRAIN_S / FORWARD_S times the forward's. Exchanges are not overlapped with
compute. x-slabs need R <= nx.
"""
import argparse
import math


def parse_grid(text):
    nx, ny, nz = (int(v) for v in text.split("x"))
    return nx, ny, nz


def flops_per_layer(grid, dim, heads, dim_head):
    nx, ny, nz = grid
    n, h = nx * ny * nz, heads * dim_head
    return n * (2 * dim * h + 2 * h * (nx + ny + nz) + 6 * h * dim + 4 * dim * dim)


def bytes_per_layer(grid, ranks, dim, heads, dim_head):
    """Received per rank in one layer's forward (float32)."""
    nx, ny, nz = grid
    n, h = nx * ny * nz, heads * dim_head
    values = 4 * h * n * (ranks - 1) / ranks
    pooled = 4 * dim * (nx / ranks + ny + nz) * (ranks - 1)  # x features gathered, y and z sums
    return values + pooled


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--measured", required=True, help="GRID:FORWARD_S:TRAIN_S at 1 rank x 1 thread")
    ap.add_argument("--bandwidth", type=float, default=12.5, help="GB/s per rank (default: 100 Gb/s)")
    ap.add_argument("--latency", type=float, default=2.0, help="microseconds per collective step")
    ap.add_argument("--grids", default="96x65x48,256x129x256")
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--dim", type=int, default=96)
    ap.add_argument("--heads", type=int, default=5)
    ap.add_argument("--dim-head", type=int, default=96)
    a = ap.parse_args()
    g, fwd, train = a.measured.split(":")
    measured = parse_grid(g)
    fwd, train = float(fwd), float(train)
    rate = a.layers * flops_per_layer(measured, a.dim, a.heads, a.dim_head) / fwd
    train_factor = train / fwd
    bw, lat = a.bandwidth * 1e9, a.latency * 1e-6
    print(f"calibrated on {g}: {rate / 1e9:.1f} GFLOP/s per rank (forward), training step = "
          f"{train_factor:.2f} x forward; network {a.bandwidth:g} GB/s, {a.latency:g} us")
    grids = [measured] + [parse_grid(t) for t in a.grids.split(",") if t]
    for grid in grids:
        nx = grid[0]
        print(f"\ngrid {grid[0]}x{grid[1]}x{grid[2]} ({grid[0] * grid[1] * grid[2] / 1e6:.2f} M points)")
        print("ranks | forward s (efficiency) | training step s (efficiency) | MB moved per layer and rank (forward)")
        t1f = a.layers * flops_per_layer(grid, a.dim, a.heads, a.dim_head) / rate
        t1t = t1f * train_factor
        half = None
        counts = [1 << k for k in range(11) if 1 << k <= nx]
        if nx < 1024 and counts[-1] != nx:
            counts.append(nx)  # one plane per rank
        for r in counts:
            steps = math.ceil(math.log2(r)) if r > 1 else 0
            b = bytes_per_layer(grid, r, a.dim, a.heads, a.dim_head)
            xf = a.layers * ((3 + 3 * a.heads) * lat * steps + b / bw) if r > 1 else 0.0
            xt = a.layers * ((8 * a.heads + 6) * lat * steps + 3 * b / bw) if r > 1 else 0.0
            tf, tt = t1f / r + xf, t1t / r + xt
            ef, et = t1f / (r * tf), t1t / (r * tt)
            if half is None and et < 0.5:
                half = r
            print(f"{r} | {tf:.4g} ({ef:.0%}) | {tt:.4g} ({et:.0%}) | {b / 1e6:.4g}")
        cap = "" if nx >= 1024 else f"; x-slabs stop at {nx} ranks (one plane each)"
        print(f"training efficiency below 50% from {half} ranks{cap}" if half else
              f"training efficiency stays above 50% to {min(1024, nx)} ranks{cap}")


if __name__ == "__main__":
    main()
