#!/usr/bin/env python3
"""`ifactflow dns` as an LES, end to end: a short DNS is filtered onto the demo's coarse grid
(ifactflow filter) and the demo LES cases (cases/demo/les-dsm.yaml, les-wale.yaml) start from
that filtered-DNS snapshot on 1 and 2 ranks: the snapshots carry kind les-<model> and agree
between rank counts, profiles.csv and stats.h5 hold the SGS columns (nu_t, eps_sgs, c_sgs),
the DNS keeps its columns; a wall-unit case adds nu_t_over_nu and eps_sgs_plus; bad sgs keys
fail with one line naming the key."""
import csv
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE = os.environ["IFF_EXE"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MPI = ["mpirun", "--oversubscribe", "-n", "2"]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, ranks=1):
    cmd = (MPI if ranks == 2 else []) + [EXE] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


def header(path):
    with open(path) as f:
        return next(csv.reader(f))


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


with tempfile.TemporaryDirectory() as tmp:
    # 1. a short DNS of the demo box, filtered onto 8x17x8
    dns = os.path.join(tmp, "dns")
    rc, out = run(["dns", os.path.join(ROOT, "cases/demo/dns.yaml"), "--set", "output.dir=" + dns,
                   "--set", "grid.nx=12", "--set", "grid.ny=25", "--set", "grid.nz=12", "--set", "time.steps=40",
                   "--set", "time.t_end=0", "--set", "output.snapshot_every=20", "--set", "output.stats_every=20",
                   "--set", "output.stats_start=0", "--set", "output.progress_seconds=0"])
    check(rc == 0, "short DNS exits 0" + ("" if rc == 0 else ": " + out[-400:]))
    dns_cols = header(os.path.join(dns, "profiles.csv"))
    check(not any(c in dns_cols for c in ["nu_t", "eps_sgs", "c_sgs"]), "DNS profiles.csv has no SGS columns")
    fdns = os.path.join(tmp, "fdns.h5")
    rc, out = run(["filter", os.path.join(dns, "snapshots.h5"), "--grid", "8x17x8", "-o", fdns])
    check(rc == 0, "filter exits 0" + ("" if rc == 0 else ": " + out[-400:]))

    # 2. the demo LES cases from the filtered snapshot, 1 and 2 ranks
    for model in ["dsm", "wale"]:
        fields = {}
        for ranks in [1, 2]:
            d = os.path.join(tmp, "les-%s-np%d" % (model, ranks))
            rc, out = run(["dns", os.path.join(ROOT, "cases/demo/les-%s.yaml" % model), "--set", "initial.file=" + fdns,
                           "--set", "initial.trajectory=0", "--set", "initial.time_index=-1", "--set", "time.t_end=1", "--set", "output.dir=" + d,
                           "--set", "output.snapshot_dtype=f64", "--set", "output.progress_seconds=0"], ranks)
            check(rc == 0, "%s LES on %d rank(s) exits 0" % (model, ranks) + ("" if rc == 0 else ": " + out[-400:]))
            if rc != 0:
                continue
            check(("les: %s model" % model) in out, "%s: the log names the model" % model)
            with h5py.File(os.path.join(d, "snapshots.h5"), "r") as f:
                kind = f.attrs["kind"]
                kind = kind.decode() if isinstance(kind, bytes) else kind
                check(kind == "les-" + model, "%s: snapshot kind les-%s, got %s" % (model, model, kind))
                v = f["velocity"]
                check(v.shape == (1, 3, 8, 17, 8, 3), "%s: snapshots [1, 3, 8, 17, 8, 3], got %s" % (model, v.shape))
                fields[ranks] = v[...]
                check(np.allclose(f["time"][:], [0, 0.5, 1.0]), "%s: snapshots every 0.5" % model)
            cols = header(os.path.join(d, "profiles.csv"))
            check(all(c in cols for c in ["nu_t", "eps_sgs", "c_sgs"]), "%s: profiles.csv has nu_t, eps_sgs, c_sgs" % model)
            pr = rows(os.path.join(d, "profiles.csv"))
            nut = np.array([float(r["nu_t"]) for r in pr])
            eps = np.array([float(r["eps_sgs"]) for r in pr])
            check(nut[0] == 0 and nut[-1] == 0, "%s: nu_t = 0 at the walls" % model)
            check(nut[1:-1].mean() > 0 and eps[1:-1].mean() > 0, "%s: mean nu_t and eps_sgs positive inside" % model)
            with h5py.File(os.path.join(d, "stats.h5"), "r") as f:
                check(all(k in f for k in ["nu_t", "eps_sgs", "c_sgs"]), "%s: stats.h5 has /nu_t, /eps_sgs, /c_sgs" % model)
                check(np.allclose(f["nu_t"][:], nut, rtol=1e-9, atol=0), "%s: stats.h5 /nu_t equals profiles.csv" % model)
            with open(os.path.join(d, "config.resolved.yaml")) as f:
                check("sgs:" in f.read(), "%s: the resolved config records the sgs section" % model)
        if 1 in fields and 2 in fields:
            diff = np.abs(fields[1] - fields[2]).max()
            check(diff < 1e-11, "%s: 1 and 2 ranks agree (max diff %.1e)" % (model, diff))

    # 3. a wall-unit case adds the profiles in wall units
    d = os.path.join(tmp, "re180")
    rc, out = run(["dns", os.path.join(ROOT, "cases/re180/les-wale.yaml"), "--set", "initial.type=perturbed",
                   "--set", "initial.amplitude=3", "--set", "time.steps=10", "--set", "output.dir=" + d,
                   "--set", "output.stats_every=5", "--set", "output.stats_start=0", "--set", "output.snapshot_every=5",
                   "--set", "output.progress_seconds=0"], 2)
    check(rc == 0, "re180 WALE case exits 0" + ("" if rc == 0 else ": " + out[-400:]))
    if rc == 0:
        cols = header(os.path.join(d, "profiles.csv"))
        check("nu_t_over_nu" in cols and "eps_sgs_plus" in cols, "wall units: nu_t_over_nu and eps_sgs_plus columns")
        pr = rows(os.path.join(d, "profiles.csv"))
        ok = all(abs(float(r["nu_t_over_nu"]) - 180 * float(r["nu_t"])) <= 1e-9 * (1 + abs(float(r["nu_t_over_nu"])))
                 for r in pr)
        check(ok, "nu_t_over_nu = nu_t / nu")

    # 4. bad input: one line naming the key
    for bad, key in [("sgs.model=vreman", "sgs.model"), ("sgs.cs_typo=0.1", "sgs.cs_typo"), ("sgs.cw=-1", "sgs.cw")]:
        rc, out = run(["dns", os.path.join(ROOT, "cases/demo/les-wale.yaml"), "--set", bad, "--set",
                       "output.dir=" + os.path.join(tmp, "bad")])
        lines = [l for l in out.strip().splitlines() if l.strip()]
        check(rc != 0 and key in out and len(lines) <= 2, "--set %s fails naming %s: %s" % (bad, key, out.strip()[-200:]))
    rc, out = run(["dns", os.path.join(ROOT, "cases/demo/les-dsm.yaml"), "--set", "initial.file=" + os.path.join(tmp, "missing.h5"), "--set", "initial.trajectory=0",
                   "--set", "output.dir=" + os.path.join(tmp, "bad2")])
    check(rc != 0 and "missing.h5" in out, "a missing filtered-DNS file fails naming it")

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
