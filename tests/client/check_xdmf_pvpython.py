"""pvpython: ParaView's XDMF (Xdmf2) reader opens the .xmf file beside a series and sees what
the series holds: one block per trajectory, the series' times, the grid's bounds in
ParaView's frame (X = z, Y = y, Z = x), and at sampled points u, v, w, p and the vector
velocity = (w, v, u) equal to the values h5py reads from the .h5 file.

usage: pvpython check_xdmf_pvpython.py SERIES.xmf[=SERIES.h5] ...
(the series defaults to the .h5 file beside the .xmf file)"""
import math
import os
import random
import sys

import h5py
import numpy as np
from paraview.simple import UpdatePipeline, XDMFReader
from vtkmodules.numpy_interface import dataset_adapter as dsa

bad = []


def check(arg):
    xmf, _, h5 = arg.partition("=")
    h5 = h5 or os.path.splitext(xmf)[0] + ".h5"
    with h5py.File(h5, "r") as f:
        times = f["time"][:]
        vel = f["velocity"][:]
        pres = f["pressure"][:] if "pressure" in f else None
        x, y, z = f["grid/x"][:], f["grid/y"][:], f["grid/z"][:]
    n_traj, n_time = vel.shape[0], vel.shape[1]
    r = XDMFReader(FileNames=[xmf])
    got = list(r.TimestepValues) if n_time > 1 else [float(r.TimestepValues)] if r.TimestepValues else [times[0]]
    if len(got) != n_time or max(abs(a - b) for a, b in zip(got, times)) > 1e-12 * max(1.0, abs(times).max()):
        bad.append(f"{xmf}: times {got}, the series has {list(times)}")
        return
    rng = random.Random(1)
    for t in sorted({0, n_time - 1, rng.randrange(n_time)}):
        UpdatePipeline(time=got[t], proxy=r)
        # (pvpython runs a built-in server: the reader's own output, not a Fetch, which
        # does not carry a rectilinear grid's coordinates)
        data = r.GetClientSideObject().GetOutputDataObject(0)
        blocks = [data.GetBlock(k) for k in range(data.GetNumberOfBlocks())] if data.IsA("vtkMultiBlockDataSet") else [data]
        if len(blocks) != n_traj:
            bad.append(f"{xmf}: {len(blocks)} blocks, the series has {n_traj} trajectories")
            return
        for k, b in enumerate(blocks):
            while b is not None and b.IsA("vtkMultiBlockDataSet"):
                b = b.GetBlock(0)
            if b is None or b.GetNumberOfPoints() != len(x) * len(y) * len(z):
                bad.append(f"{xmf}: trajectory {k}, t index {t}: {b and b.GetNumberOfPoints()} points")
                continue
            want_bounds = (z.min(), z.max(), y.min(), y.max(), x.min(), x.max())
            if max(abs(a - w) for a, w in zip(b.GetBounds(), want_bounds)) > 1e-12:
                bad.append(f"{xmf}: bounds {b.GetBounds()}, want {want_bounds} (X = z, Y = y, Z = x)")
            w = dsa.WrapDataObject(b)
            for _ in range(5):
                i, j, kz = rng.randrange(len(x)), rng.randrange(len(y)), rng.randrange(len(z))
                pid = b.FindPoint(z[kz], y[j], x[i])
                for c, name in enumerate("uvw"):
                    a = float(np.asarray(w.PointData[name])[pid])
                    if abs(a - vel[k, t, i, j, kz, c]) > 1e-6 * (1 + abs(vel[k, t, i, j, kz, c])):
                        bad.append(f"{xmf}: trajectory {k}, t {t}, point ({i},{j},{kz}): {name} = {a}, "
                                   f"the series {vel[k, t, i, j, kz, c]}")
                v = np.asarray(w.PointData["velocity"])[pid]
                if np.abs(v - vel[k, t, i, j, kz, ::-1]).max() > 1e-6 * (1 + np.abs(v).max()):
                    bad.append(f"{xmf}: velocity vector {v}, want (w, v, u) = {vel[k, t, i, j, kz, ::-1]}")
                if pres is not None:
                    a = float(np.asarray(w.PointData["p"])[pid])
                    if not math.isclose(a, pres[k, t, i, j, kz], rel_tol=1e-6, abs_tol=1e-6):
                        bad.append(f"{xmf}: p = {a}, the series {pres[k, t, i, j, kz]}")
    print(f"{xmf}: {n_traj} trajectories x {n_time} times checked")


for xmf in sys.argv[1:]:
    check(xmf)
print("\n".join(bad) if bad else "ParaView XDMF reader: every series as h5py reads it")
sys.exit(1 if bad else 0)
