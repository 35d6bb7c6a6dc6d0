#!/usr/bin/python3
"""Split trajectories end to end (rollout.ranks_per_trajectory): a tiny IFactFormer-m and a
tiny IFactFormer-o and a tiny FNO are trained on a synthetic series of 8 x planes and rolled out from 2
initial states whole on 1 rank, split over 2 and 3 ranks (3 splits 8 planes unevenly, 3/3/2),
and in 2 groups of 2 ranks on 4 ranks. h5py reads the predictions back.

What is promised, and tested:
- float64 (rollout.dtype: float64): every split equals the whole prediction to 1e-12 of
  max |u| after 7 steps (the split changes only the order of the sums, by ~1e-16 a step);
- float32: to 1e-4 of max |u| (round-off of 2^-24 a product, grown over 7 steps; measured
  0 to 5.4e-8 here: a split may also give the same bits);
- with rollout.batch 1 a trajectory's prediction depends on the split alone: 2 groups of 2
  on 4 ranks equal 1 group of 2 on 2 ranks bit for bit, and so does a split rollout killed
  after step 3 and resumed;
- each rank holds, reads and writes only its x planes of each state: the measures in
  rollout.csv (kinetic energy, centre-line velocity, errors against the reference), taken
  from the slabs, equal the whole run's to 1e-10 relative in float64 (as printed there:
  measured 0), and so do the statistics of the prediction (stats/, read in x-slabs over
  every rank of the job, the spectra planes gathered on rank 0);
- each trajectory is written once: 16 rows in rollout.csv, and cost.csv's trajectory time
  is 2 x 7 x 0.5 at every split;
- rollout.state.h5 is the same file whatever the split: the windows a split run saved
  when killed after step 3 equal those of a whole run killed there (the float32 tolerance);
- VTK files of split states (gathered on the group's first rank) are written once per
  trajectory and hold the whole box (float64: the whole run's velocity to 1e-12);
- refused in one line, writing nothing: a rank count the split does not divide;
- training split the same way (train.ranks_per_sample 2, on 2 ranks and in 2 groups on 4):
  the epoch's losses equal the whole samples' to 1e-6 (float32), and a rollout of the split
  run's checkpoint equals that of the whole run's to 1e-4 of max |u|.

usage: check_rollout_split.py IFACTFLOW
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import synthetic_series  # noqa: E402

exe = sys.argv[1]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, ranks=1, ok=True, kill_after=None):
    cmd = [exe] + args
    if ranks > 1 or kill_after:
        cmd = ["mpirun", "-n", str(ranks), "--oversubscribe"] + (
            ["-x", f"IFF_ROLLOUT_KILL_AFTER={kill_after}"] if kill_after else []) + cmd
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if ok and p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit(f"{' '.join(cmd)} failed")
    return p


MODELS = {
    "ifactformer-m": "kind: ifactformer-m\n  positions: grid\n  dim: 24\n  heads: 2\n  dim_head: 8\n"
                     "  kernel_multiplier: 2\n  n_layer: 2",
    "ifactformer-o": "kind: ifactformer-o\n  positions: grid\n  dim: 24\n  heads: 2\n  dim_head: 8\n"
                     "  kernel_multiplier: 2\n  n_layer: 2",
    "fno": "kind: fno\n  modes_x: 2\n  modes_y: 3\n  modes_z: 2\n  width: 4\n  n_layer: 2",
}

with tempfile.TemporaryDirectory() as d:
    nt, nx, ny, nz = 8, 8, 9, 4
    np.save(os.path.join(d, "data.npy"), synthetic_series.velocity(nt, nx, ny, nz, dtype="<f4"))
    series = os.path.join(d, "series.h5")
    run(["import", os.path.join(d, "data.npy"), "-o", series, "--lx", str(2 * np.pi), "--lz", str(np.pi),
         "--dt", "0.5", "--kind", "fdns"])

    ckpt = {}
    for model, spec in MODELS.items():
        case = os.path.join(d, f"train-{model}.yaml")
        with open(case, "w") as f:
            f.write(f"data:\n  series: {series}\n  val_trajectories: 1\nmodel:\n  {spec}\n"
                    f"train:\n  epochs: 1\n  batch_size: 4\n  seed: 0\n  threads: 1\n"
                    f"output:\n  dir: {d}/train-{model}\n")
        run(["train", case])
        ckpt[model] = os.path.join(d, f"train-{model}", "best.ckpt")

    def losses(folder):
        row = list(csv.DictReader(open(os.path.join(folder, "train_log.csv"))))[0]
        return float(row["train_loss"]), float(row["val_loss"])

    # the same training with each sample split over 2 ranks, alone and as 2 groups on 4 ranks
    whole_losses = losses(os.path.join(d, "train-ifactformer-m"))
    for ranks in (2, 4):
        folder = os.path.join(d, f"train-split-{ranks}")
        p = run(["train", os.path.join(d, "train-ifactformer-m.yaml"), "--set", "train.ranks_per_sample=2",
                 "--set", f"output.dir={folder}"], ranks=ranks)
        check("each sample split in x-slabs over 2 ranks" in p.stderr + p.stdout, f"training on {ranks} ranks: no split logged")
        got = losses(folder)
        rel = max(abs(a - b) / abs(b) for a, b in zip(got, whole_losses))
        print(f"training split over 2 ranks ({ranks} ranks): losses {got} vs whole {whole_losses}, rel {rel:.3g}")
        check(rel < 1e-6, f"training split over 2 ranks ({ranks} ranks): losses {got}, whole {whole_losses}")
        ckpt[f"split-{ranks}"] = os.path.join(folder, "best.ckpt")

    def rollout(model, split, ranks, name, dtype="checkpoint", ok=True, kill_after=None, resume=False, vtk=0):
        out = os.path.join(d, name)
        case = os.path.join(d, name + ".yaml")
        with open(case, "w") as f:
            f.write(f"rollout:\n  checkpoint: {ckpt[model]}\n  series: {series}\n  initial: list\n"
                    f"  states: [0, 0, 2, 1]\n  steps: 7\n  energy_band: 0\n  threads: 1\n  dtype: {dtype}\n"
                    f"  ranks_per_trajectory: {split}\n"
                    f"output:\n  dir: {out}\n  vtk_every: {vtk}\n  vtk_trajectories: 2\n  series_buffer: 2\n"
                    f"  progress_seconds: 0\n")
        p = run(["rollout", case] + (["--resume"] if resume else []), ranks=ranks, ok=ok, kill_after=kill_after)
        return out, p

    def velocity(out):
        with h5py.File(os.path.join(out, "prediction.h5"), "r") as f:
            return f["velocity"][...].astype(np.float64)

    def measures(out):
        rows = list(csv.DictReader(open(os.path.join(out, "rollout.csv"))))
        keys = ("kinetic_energy", "u_centre", "err_u", "err_v", "err_w", "err_total", "err_fluct")
        return np.array([[float(r[k]) if r[k] else np.nan for k in keys] for r in rows])  # empty: past the reference

    for model in ("ifactformer-m", "ifactformer-o", "fno"):
        for dtype, tol in (("float64", 1e-12), ("checkpoint", 1e-4)):
            whole_out = rollout(model, 1, 1, f"{model}-{dtype}-whole", dtype)[0]
            whole = velocity(whole_out)
            check(whole.shape == (2, 8, nx, ny, nz, 3), f"{model}: prediction shape {whole.shape}")
            for split, ranks in ((2, 2), (3, 3), (2, 4)):
                name = f"{model}-{dtype}-split{split}-ranks{ranks}"
                out, p = rollout(model, split, ranks, name, dtype)
                u = velocity(out)
                rel = np.abs(u - whole).max() / np.abs(whole).max()
                print(f"{model} {dtype}: split over {split} ranks ({ranks} ranks), 7 steps: "
                      f"max |diff| / max |u| = {rel:.3g}")
                check(rel < tol, f"{name}: differs from the whole prediction by {rel:.3g} of max |u| (tolerance {tol})")
                check(f"split in x-slabs over {split} ranks" in p.stderr + p.stdout, f"{name}: the log names no split")
                rows = list(csv.DictReader(open(os.path.join(out, "rollout.csv"))))
                check(len(rows) == 16, f"{name}: {len(rows)} rows in rollout.csv, want 16 (2 trajectories x 8)")
                if dtype == "float64" and len(rows) == 16:
                    a, b = measures(out), measures(whole_out)
                    check(np.array_equal(np.isnan(a), np.isnan(b)), f"{name}: rollout.csv has other empty errors")
                    mrel = np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
                    print(f"{model} {dtype}: split over {split} ranks: rollout.csv measures within {mrel:.3g} relative")
                    check(mrel < 1e-10, f"{name}: rollout.csv measures differ from the whole run's by {mrel:.3g}")
                    for table in ("profiles.csv", "spectra_kx.csv", "spectra_kz.csv"):
                        a, b = (np.loadtxt(os.path.join(o, "stats", table), delimiter=",", skiprows=1)
                                for o in (out, whole_out))
                        trel = np.abs(a - b).max() / np.abs(b).max()
                        check(a.shape == b.shape and trel < 1e-10,
                              f"{name}: stats/{table} differs from the whole run's by {trel:.3g} of its largest value")
                cost = list(csv.DictReader(open(os.path.join(out, "cost.csv"))))[0]
                check(abs(float(cost["trajectory_time"]) - 7.0) < 1e-9,
                      f"{name}: trajectory time {cost['trajectory_time']}, want 2 x 3.5")
                check(int(cost["ranks"]) == ranks, f"{name}: cost record ranks {cost['ranks']}")
                check(os.path.exists(os.path.join(out, "stats", "profiles.csv")), f"{name}: no stats/profiles.csv")
            # the split alone fixes the prediction: two groups of two equal one group of two
            two = velocity(os.path.join(d, f"{model}-{dtype}-split2-ranks2"))
            four = velocity(os.path.join(d, f"{model}-{dtype}-split2-ranks4"))
            check(np.array_equal(two, four), f"{model} {dtype}: 2 groups of 2 ranks differ from 1 group of 2")

    # the split-trained weights predict what the whole-trained ones do
    whole = velocity(os.path.join(d, "ifactformer-m-float64-whole"))
    for ranks in (2, 4):
        u = velocity(rollout(f"split-{ranks}", 1, 1, f"trained-split-{ranks}", "float64")[0])
        rel = np.abs(u - whole).max() / np.abs(whole).max()
        print(f"rollout of the weights trained split ({ranks} ranks): max |diff| / max |u| = {rel:.3g}")
        check(rel < 1e-4, f"weights trained split on {ranks} ranks predict {rel:.3g} of max |u| away from the whole run's")

    # killed after step 3 (the series flushed at step 2), resumed: the uninterrupted file
    out, p = rollout("ifactformer-m", 2, 2, "resume", ok=False, kill_after=3)
    check(p.returncode != 0, "the killed split rollout exited 0")
    check(os.path.exists(os.path.join(out, "rollout.state.h5")), "no rollout.state.h5 after the kill")
    shutil.copy(os.path.join(out, "rollout.state.h5"), os.path.join(out, "rollout.state.h5.killed"))
    rollout("ifactformer-m", 2, 2, "resume", resume=True)
    check(np.array_equal(velocity(out), velocity(os.path.join(d, "ifactformer-m-checkpoint-split2-ranks2"))),
          "the resumed split rollout differs from the uninterrupted one")

    # the state file does not depend on the split
    out1, p = rollout("ifactformer-m", 1, 1, "state-whole", ok=False, kill_after=3)
    check(p.returncode != 0, "the killed whole rollout exited 0")
    with h5py.File(os.path.join(out1, "rollout.state.h5"), "r") as f1, \
            h5py.File(os.path.join(d, "resume", "rollout.state.h5.killed"), "r") as f2:
        h1, h2 = f1["history"][...], f2["history"][...]
        check(h1.shape == h2.shape == (2, 1, nx, ny * nz * 3), f"state /history shapes {h1.shape}, {h2.shape}")
        srel = np.abs(h1 - h2).max() / np.abs(h1).max()
        print(f"rollout.state.h5 killed after step 3, split over 2 ranks vs whole: /history within {srel:.3g} of max |u|")
        check(srel < 1e-4 and f1.attrs["step"] == f2.attrs["step"],
              f"split and whole states differ ({srel:.3g}; steps {f1.attrs['step']}, {f2.attrs['step']})")
        for k in ("completed", "alive", "initial_energy"):
            check(np.allclose(f1[k][...], f2[k][...], rtol=1e-6), f"state /{k}: {f1[k][...]} vs {f2[k][...]}")

    # VTK files of split states
    vtk_whole, p = rollout("ifactformer-m", 1, 1, "vtk-whole", "float64", vtk=7, ok=False)
    if "VTK output is not built" in p.stderr:
        print("VTK not built: the split VTK files are not checked")
    else:
        check(p.returncode == 0, f"whole rollout with VTK failed: {p.stderr[-400:]}")
        vtk_split, p = rollout("ifactformer-m", 3, 3, "vtk-split", "float64", vtk=7)
        for out in (vtk_whole, vtk_split):
            names = sorted(os.listdir(os.path.join(out, "vtk")))
            want = sorted([f"traj{i}_step{s:06d}.vtr" for i in (0, 1) for s in (0, 7)] +
                          [f"rollout_traj{i}.pvd" for i in (0, 1)])
            check(names == want, f"{out}: vtk files {names}, want {want}")
        try:
            from vtkmodules.vtkIOXML import vtkXMLRectilinearGridReader
            from vtkmodules.util.numpy_support import vtk_to_numpy

            def vtr(path):
                r = vtkXMLRectilinearGridReader()
                r.SetFileName(path)
                r.Update()
                g = r.GetOutput()
                return g.GetDimensions(), vtk_to_numpy(g.GetPointData().GetArray("velocity"))
            (dw, uw), (ds, us) = (vtr(os.path.join(o, "vtk", "traj1_step000007.vtr")) for o in (vtk_whole, vtk_split))
            vrel = np.abs(us - uw).max() / np.abs(uw).max()
            print(f"VTK of a state split over 3 ranks: dimensions {ds}, velocity within {vrel:.3g} of the whole run's")
            check(ds == dw == (nx + 1, ny, nz + 1) and vrel < 1e-12, f"split VTK {ds} vs {dw}, {vrel:.3g}")
        except ImportError:
            print("no vtk Python module: the split VTK values are not compared")

    # refusals: one line, no output folder
    out, p = rollout("ifactformer-m", 2, 3, "refused-ranks", ok=False)
    check(p.returncode != 0 and "ranks_per_trajectory = 2 needs a rank count it divides" in p.stderr,
          f"3 ranks for splits of 2: {p.stderr[-400:]}")
    check(not os.path.exists(os.path.join(out, "prediction.h5")), "a refused rollout wrote prediction.h5")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("rollout and training split over 2 and 3 ranks: the whole results to round-off, resumable, each trajectory written once")
