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
- each trajectory is written once: 16 rows in rollout.csv, and cost.csv's trajectory time
  is 2 x 7 x 0.5 at every split;
- refused in one line, writing nothing: a rank count the split does not divide;
- training split the same way (train.ranks_per_sample 2, on 2 ranks and in 2 groups on 4):
  the epoch's losses equal the whole samples' to 1e-6 (float32), and a rollout of the split
  run's checkpoint equals that of the whole run's to 1e-4 of max |u|.

usage: check_rollout_split.py IFACTFLOW
"""
import csv
import os
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

    def rollout(model, split, ranks, name, dtype="checkpoint", ok=True, kill_after=None, resume=False):
        out = os.path.join(d, name)
        case = os.path.join(d, name + ".yaml")
        with open(case, "w") as f:
            f.write(f"rollout:\n  checkpoint: {ckpt[model]}\n  series: {series}\n  initial: list\n"
                    f"  states: [0, 0, 2, 1]\n  steps: 7\n  energy_band: 0\n  threads: 1\n  dtype: {dtype}\n"
                    f"  ranks_per_trajectory: {split}\n"
                    f"output:\n  dir: {out}\n  vtk_every: 0\n  series_buffer: 2\n  progress_seconds: 0\n")
        p = run(["rollout", case] + (["--resume"] if resume else []), ranks=ranks, ok=ok, kill_after=kill_after)
        return out, p

    def velocity(out):
        with h5py.File(os.path.join(out, "prediction.h5"), "r") as f:
            return f["velocity"][...].astype(np.float64)

    for model in ("ifactformer-m", "ifactformer-o", "fno"):
        for dtype, tol in (("float64", 1e-12), ("checkpoint", 1e-4)):
            whole = velocity(rollout(model, 1, 1, f"{model}-{dtype}-whole", dtype)[0])
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
    rollout("ifactformer-m", 2, 2, "resume", resume=True)
    check(np.array_equal(velocity(out), velocity(os.path.join(d, "ifactformer-m-checkpoint-split2-ranks2"))),
          "the resumed split rollout differs from the uninterrupted one")

    # refusals: one line, no output folder
    out, p = rollout("ifactformer-m", 2, 3, "refused-ranks", ok=False)
    check(p.returncode != 0 and "ranks_per_trajectory = 2 needs a rank count it divides" in p.stderr,
          f"3 ranks for splits of 2: {p.stderr[-400:]}")
    check(not os.path.exists(os.path.join(out, "prediction.h5")), "a refused rollout wrote prediction.h5")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("rollout and training split over 2 and 3 ranks: the whole results to round-off, resumable, each trajectory written once")
