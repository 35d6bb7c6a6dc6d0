#!/usr/bin/python3
"""bf16-mixed arithmetic end to end: a tiny IFactFormer-m and a tiny FNO are trained in fp32 and
in bf16-mixed from the same seed on a synthetic series, and each fp32 checkpoint is rolled out
in both arithmetics. h5py reads the predictions: bf16-mixed must differ from fp32 (it took
effect) by no more than bf16's rounding allows, the prediction must record its arithmetic, and
a float64 checkpoint must be refused with one line and no output.

Tolerances, from bench/rollout/precision_accuracy.sh and bench/operators/precision_training.sh
on the demo's operators (AVX512-BF16): the one-step relative L2 difference was 0.3e-3 to 1.1e-3,
7e-2 to 2.2e-1 after 200 steps; the validation loss after 20 epochs within 3.3 %. bf16's unit
rounding is 2^-8 = 3.9e-3: one step may differ by at most 1e-2, seven steps by 5e-2, and one
epoch's losses by 5 %. A difference under 1e-6 would mean bf16 was not used.

On a CPU without AVX512-BF16 bf16-mixed is refused unless IFF_BF16_EMULATE=1, which computes
the same bf16 roundings on float32 kernels: this test checks the refusal there, then emulates.

usage: check_rollout_precision.py IFACTFLOW
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
cpuinfo = open("/proc/cpuinfo").read()
native = "avx512_bf16" in cpuinfo or "amx_bf16" in cpuinfo
env = dict(os.environ, OMP_NUM_THREADS="1")
env.pop("IFF_BF16_EMULATE", None)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, ok=True, extra_env=None):
    p = subprocess.run([exe] + args, env=dict(env, **(extra_env or {})), capture_output=True, text=True)
    if ok and p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit(f"{' '.join([exe] + args)} failed")
    return p


MODELS = {
    "ifactformer-m": "kind: ifactformer-m\n  positions: grid\n  dim: 24\n  heads: 2\n  dim_head: 8\n"
                     "  kernel_multiplier: 2\n  n_layer: 2",
    "fno": "kind: fno\n  modes_x: 2\n  modes_y: 3\n  modes_z: 2\n  width: 8\n  n_layer: 2",
}

with tempfile.TemporaryDirectory() as d:
    nt, nx, ny, nz = 8, 8, 9, 4
    np.save(os.path.join(d, "data.npy"), synthetic_series.velocity(nt, nx, ny, nz, dtype="<f4"))
    series = os.path.join(d, "series.h5")
    run(["import", os.path.join(d, "data.npy"), "-o", series, "--lx", str(2 * np.pi), "--lz", str(np.pi),
         "--dt", "0.5", "--kind", "fdns"])

    def train(model, precision, dtype="float32"):
        out = os.path.join(d, f"train-{model}-{precision}-{dtype}")
        case = os.path.join(d, f"train-{model}-{precision}-{dtype}.yaml")
        with open(case, "w") as f:
            f.write(f"data:\n  series: {series}\n  val_trajectories: 1\nmodel:\n  {MODELS[model]}\n"
                    f"train:\n  epochs: 1\n  batch_size: 4\n  seed: 0\n  threads: 1\n  dtype: {dtype}\n"
                    f"  precision: {precision}\noutput:\n  dir: {out}\n")
        return case, out

    def rollout(ckpt, precision, name):
        out = os.path.join(d, name)
        case = os.path.join(d, name + ".yaml")
        with open(case, "w") as f:
            f.write(f"rollout:\n  checkpoint: {ckpt}\n  series: {series}\n  initial: list\n  states: [0, 0]\n"
                    f"  steps: 7\n  energy_band: 0\n  precision: {precision}\n  threads: 1\n"
                    f"output:\n  dir: {out}\n  vtk_every: 0\n  progress_seconds: 0\n")
        return case, out

    # without the CPU feature and without emulation, bf16-mixed is refused before any output
    if not native:
        case, out = train("fno", "bf16-mixed")
        p = run(["train", case], ok=False)
        check(p.returncode != 0 and "train.precision" in p.stderr and "AVX512-BF16" in p.stderr,
              f"train refusal without AVX512-BF16: rc {p.returncode}, {p.stderr[-300:]}")
        check(not os.path.exists(os.path.join(out, "best.ckpt")), "a refused training wrote a checkpoint")
    emulate = {} if native else {"IFF_BF16_EMULATE": "1"}

    for model in MODELS:
        losses = {}
        for precision in ("fp32", "bf16-mixed"):
            case, out = train(model, precision)
            run(["train", case], extra_env=emulate)
            with open(os.path.join(out, "train_log.csv")) as f:
                row = list(csv.DictReader(f))[-1]
            losses[precision] = (float(row["train_loss"]), float(row["val_loss"]))
        for i, what in enumerate(("train", "validation")):
            a, b = losses["fp32"][i], losses["bf16-mixed"][i]
            rel = abs(b - a) / a
            print(f"{model}: one epoch's {what} loss fp32 {a:.6e}, bf16-mixed {b:.6e}, relative {rel:.3g}")
            check(np.isfinite(b) and rel < 5e-2, f"{model} {what} loss differs by {rel:.3g} in bf16-mixed")

        ckpt = os.path.join(d, f"train-{model}-fp32-float32", "best.ckpt")
        preds = {}
        for precision in ("fp32", "bf16-mixed"):
            case, out = rollout(ckpt, precision, f"roll-{model}-{precision}")
            run(["rollout", case], extra_env=emulate)
            with h5py.File(os.path.join(out, "prediction.h5"), "r") as f:
                preds[precision] = f["velocity"][...].astype(np.float64)
                label = f.attrs["model"]
            check(precision in label, f"{model} prediction's model attribute lacks {precision}: {label}")
            if precision == "bf16-mixed" and not native:
                check("emulated" in label, f"{model} prediction's model attribute lacks 'emulated': {label}")
        a, b = preds["fp32"], preds["bf16-mixed"]
        check(np.all(np.isfinite(b)), f"{model}: non-finite bf16-mixed prediction")
        for step, bound in ((1, 1e-2), (7, 5e-2)):
            rel = np.linalg.norm(b[:, step] - a[:, step]) / np.linalg.norm(a[:, step])
            print(f"{model}: bf16-mixed against fp32 at step {step}: relative L2 {rel:.3g}")
            check(1e-6 < rel < bound, f"{model} step {step}: relative L2 {rel:.3g} outside (1e-6, {bound})")
        check(np.array_equal(a[:, 0], b[:, 0]), f"{model}: the initial states differ")

    # a float64 checkpoint cannot run bf16 products: one line naming the key, nothing written
    case, _ = train("fno", "fp32", dtype="float64")
    run(["train", case])
    case, out = rollout(os.path.join(d, "train-fno-fp32-float64", "best.ckpt"), "bf16-mixed", "roll-f64")
    p = run(["rollout", case], ok=False, extra_env=emulate)
    err = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode != 0 and len(err) == 1 and "rollout.precision" in err[0] and "float32" in err[0],
          f"float64 refusal: rc {p.returncode}, stderr {p.stderr[-400:]}")
    check(not os.path.exists(os.path.join(out, "prediction.h5")), "a refused rollout wrote a prediction")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("bf16-mixed: training and rollout within bf16's rounding of fp32, recorded, refused where it cannot run")
