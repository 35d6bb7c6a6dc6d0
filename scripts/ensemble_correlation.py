#!/usr/bin/python3
"""How independent the trajectories of a training set are: the correlation coefficient of
the velocity fluctuations (about each snapshot's x-z plane means) between every pair of
trajectories at one snapshot, and each trajectory's autocorrelation against its snapshot 0
at a few lags.

usage: /usr/bin/python3 scripts/ensemble_correlation.py SERIES.h5 [TIME_INDEX] [LAG ...]
       (defaults: time index 0; lags 1 2 5 10 25 50 snapshot intervals)"""
import sys

import h5py
import numpy as np


def fluctuation(a):
    return a - a.mean(axis=(0, 2), keepdims=True)  # [nx][ny][nz][3]: the x-z mean per y


def corr(a, b):
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.split("\n\n")[1])
    ti = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    lags = [int(x) for x in sys.argv[3:]] or [1, 2, 5, 10, 25, 50]
    with h5py.File(sys.argv[1], "r") as f:
        v, t = f["velocity"], f["time"][:]
        n_traj, n_time = v.shape[0], v.shape[1]
        dt = t[1] - t[0] if n_time > 1 else 0.0
        first = [fluctuation(v[k, ti].astype(float)) for k in range(n_traj)]
        pairs = [corr(first[i], first[j]) for i in range(n_traj) for j in range(i + 1, n_traj)]
        if pairs:
            print(f"{n_traj} trajectories at time index {ti}: pairwise correlation mean {np.mean(pairs):.3f}, "
                  f"largest |c| {max(abs(c) for c in pairs):.3f}")
        for lag in lags:
            if ti + lag >= n_time:
                continue
            c = [corr(first[k], fluctuation(v[k, ti + lag].astype(float))) for k in range(n_traj)]
            print(f"lag {lag} ({lag * dt:.3g} time units): autocorrelation {np.mean(c):.3f} "
                  f"(trajectories {min(c):.3f} to {max(c):.3f})")


if __name__ == "__main__":
    main()
