"""A smooth channel-like velocity field for the Python test and check scripts: a parabolic
mean profile with travelling x-z waves, different per trajectory and time, on a periodic x-z
grid and Gauss-Lobatto y points (the data contract's layout [n_traj, n_time, nx, ny, nz, 3])."""
import numpy as np


def grid(nx, ny, nz, lx=2 * np.pi, lz=np.pi):
    """x, z periodic without end point; y ascending Gauss-Lobatto points on [-1, 1]."""
    return lx * np.arange(nx) / nx, -np.cos(np.pi * np.arange(ny) / (ny - 1)), lz * np.arange(nz) / nz


def velocity(nt, nx, ny, nz, n_traj=3, lx=2 * np.pi, lz=np.pi, dtype="<f8"):
    """u = (1 - y^2)(1 + 0.1 sin(x + ph)), v = 0.05 (1 - y^2)^2 cos(x + z + ph),
    w = 0.05 (1 - y^2) sin(2z - ph), ph = 0.3 t + trajectory."""
    x, y, z = grid(nx, ny, nz, lx, lz)
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
    a = np.zeros((n_traj, nt, nx, ny, nz, 3), dtype=dtype)
    for tr in range(n_traj):
        for t in range(nt):
            ph = 0.3 * t + tr
            a[tr, t, ..., 0] = (1 - Y**2) * (1 + 0.1 * np.sin(X + ph))
            a[tr, t, ..., 1] = 0.05 * (1 - Y**2) ** 2 * np.cos(X + Z + ph)
            a[tr, t, ..., 2] = 0.05 * (1 - Y**2) * np.sin(2 * Z - ph)
    return a
