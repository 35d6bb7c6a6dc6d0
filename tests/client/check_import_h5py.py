#!/usr/bin/python3
"""Client test: numpy writes a 6-D .npy, `ifactflow import` converts it (1 and 2 ranks),
h5py reads the result and checks it against the data contract (docs/design.md)."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe = sys.argv[1]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


with tempfile.TemporaryDirectory() as d:
    rng = np.random.default_rng(7)
    for dtype, comps in (("<f4", 4), ("<f8", 3)):
        a = rng.standard_normal((3, 5, 8, 9, 4, comps)).astype(dtype)
        src = os.path.join(d, "data.npy")
        np.save(src, a)
        y = -np.cos(np.pi * np.arange(9) / 8)
        np.savetxt(os.path.join(d, "y.txt"), y)
        for ranks in (1, 2):
            out = os.path.join(d, f"out{ranks}.h5")
            cmd = [exe, "import", src, "-o", out, "--lx", "6.0", "--lz", "2.0", "--re-tau", "180",
                   "--dt", "0.25", "--y-coords", os.path.join(d, "y.txt")]
            if ranks > 1:
                cmd = ["mpirun", "-n", str(ranks), "--oversubscribe"] + cmd
            subprocess.run(cmd, check=True, env=env, capture_output=True)
            with h5py.File(out, "r") as f:
                tag = f"{dtype} c={comps} ranks={ranks}"
                v = f["velocity"]
                check(v.shape == (3, 5, 8, 9, 4, 3), f"{tag}: velocity shape {v.shape}")
                check(v.dtype == np.dtype(dtype).newbyteorder("="), f"{tag}: dtype {v.dtype}")
                check(v.chunks == (1, 1, 8, 9, 4, 3), f"{tag}: chunks {v.chunks}")
                check(v.maxshape[1] is None, f"{tag}: time axis not extensible")
                check(np.array_equal(v[...], a[..., :3]), f"{tag}: velocity differs from the .npy")
                if comps == 4:
                    check(np.array_equal(f["pressure"][...], a[..., 3]), f"{tag}: pressure differs")
                else:
                    check("pressure" not in f, f"{tag}: unexpected pressure")
                check(np.allclose(f["time"][...], 0.25 * np.arange(5)), f"{tag}: time")
                check(np.allclose(f["grid/x"][...], 6.0 * np.arange(8) / 8), f"{tag}: grid x")
                check(np.allclose(f["grid/z"][...], 2.0 * np.arange(4) / 4), f"{tag}: grid z")
                check(np.allclose(f["grid/y"][...], y), f"{tag}: grid y")
                at = f.attrs
                check(at["format"] == "ifactflow-series", f"{tag}: format {at.get('format')}")
                check(int(at["format_version"]) == 1, f"{tag}: format_version")
                check(at["kind"] == "fdns", f"{tag}: kind")
                for key, want in (("re_tau", 180.0), ("lx", 6.0), ("ly", 2.0), ("lz", 2.0), ("nu", 1 / 180)):
                    check(abs(float(at[key]) - want) < 1e-12, f"{tag}: attribute {key} = {at[key]}")
                for key in ("units", "filter", "model", "config", "git_commit"):
                    check(key in at, f"{tag}: attribute {key} missing")
                check("import" in at["config"], f"{tag}: config attribute does not record the import")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("h5py read every imported file as the contract says")
