#!/usr/bin/python3
"""ParaView opens what `dns` and `dataset` write through the XDMF file beside each series: a
DNS at 1 and 2 ranks writes snapshots.xmf, a data set at 1 and 2 ranks fdns.xmf and dns.xmf
(and no XDMF file for its work files), `ifactflow xdmf SERIES -o ELSEWHERE/NAME.xmf` writes
one that refers to the series from another folder; ParaView's XDMF reader
(check_xdmf_pvpython.py, under pvpython) sees every series as h5py reads it.

usage: check_xdmf.py IFACTFLOW"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cli_checks import check, finish, must  # noqa: E402

exe = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))


def run(args, ranks=1):
    must(exe, args, ranks)


with tempfile.TemporaryDirectory() as d:
    xmfs = []
    for ranks in (1, 2):
        dns = os.path.join(d, f"dns{ranks}")
        with open(os.path.join(d, f"dns{ranks}.yaml"), "w") as f:
            f.write("grid: {nx: 8, ny: 17, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}\n"
                    "physics: {units: centreline, re: 4200, driving: bulk_velocity}\n"
                    "time: {dt: 0.002, steps: 20}\n"
                    "initial: {type: perturbed, amplitude: 0.3, seed: 3}\n"
                    f"output: {{dir: {dns}, snapshot_every: 5, snapshot_dtype: f64}}\n")
        run(["dns", os.path.join(d, f"dns{ranks}.yaml")], ranks)
        ds = os.path.join(d, f"dataset{ranks}")
        with open(os.path.join(d, f"dataset{ranks}.yaml"), "w") as f:
            f.write("grid: {nx: 8, ny: 17, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}\n"
                    "physics: {units: centreline, re: 4200, driving: bulk_velocity, bulk_velocity: 0.6666666666666666}\n"
                    "time: {dt: 0.002, order: 3}\n"
                    f"initial: {{file: {dns}/checkpoint.h5}}\n"
                    "dataset: {n_traj: 2, n_time: 3, snapshot_every: 2, spinup: 0.004, perturbation: 0.05, seed: 1}\n"
                    "filter: {grid: 4x9x4, kind: sharp}\n"
                    f"output: {{dir: {ds}, file: fdns.h5, keep_full: true}}\n")
        run(["dataset", os.path.join(d, f"dataset{ranks}.yaml")], ranks)
        names = sorted(os.listdir(ds))
        check([n for n in names if n.endswith(".xmf")] == ["dns.xmf", "fdns.xmf"],
              f"dataset at {ranks} rank(s): an XDMF file for each series and none for a work file ({names})")
        check(os.path.exists(os.path.join(dns, "snapshots.xmf")), f"dns at {ranks} rank(s) wrote snapshots.xmf")
        xmfs += [os.path.join(dns, "snapshots.xmf"), os.path.join(ds, "fdns.xmf"), os.path.join(ds, "dns.xmf")]
    # a series seen from another folder: the XDMF file refers to it by its relative path
    other = os.path.join(d, "views", "deeper")
    os.makedirs(other)
    run(["xdmf", os.path.join(d, "dataset1", "fdns.h5"), "-o", os.path.join(other, "fdns.xmf")])
    with open(os.path.join(other, "fdns.xmf")) as f:
        text = f.read()
    check("../../dataset1/fdns.h5:/velocity" in text, "`ifactflow xdmf -o` refers to the series by its relative path")
    xmfs.append(os.path.join(other, "fdns.xmf") + "=" + os.path.join(d, "dataset1", "fdns.h5"))
    p = subprocess.run(["pvpython", os.path.join(here, "check_xdmf_pvpython.py")] + xmfs, capture_output=True, text=True)
    print(p.stdout[-3000:])
    check(p.returncode == 0, "ParaView's XDMF reader reads every series as h5py does:\n" + p.stdout[-1500:] + p.stderr[-1500:])

finish("xdmf: dns and dataset series at 1 and 2 ranks open in ParaView with their times, grids and values")
