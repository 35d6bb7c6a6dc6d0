#!/usr/bin/python3
"""The fault-injection suite (CTest label `faults`): ifactflow's promises for batch jobs,
checked under injected faults on tiny cases, seeded.

  kill        SIGKILL at random moments of dns, dataset, train and rollout (the fault hook's kill
              switch, IFF_FAULT_KILL_AFTER: the process dies before the write that would take
              its output past a random byte count — every state a kill can leave on disk is
              one of these), each followed by the command's resume, again and again; the
              final outputs equal the uninterrupted run's bit for bit (same rank count;
              operator checkpoints by their weights and progress, see compare_ckpt), and
              no work file of a killed writer is left.
  diskfull    ENOSPC at random write positions (IFF_FAULT_ENOSPC_AFTER) for dns, filter,
              import, stats, dataset, train, export, convert and rollout: a non-zero exit, one
              error line naming a file and "No space left on device", and every file left
              under its final name complete (or absent). The resumable commands are then
              resumed on a disk with room and must reach the uninterrupted result.
  concurrent  two runs of dns, and of train, into one folder at once: exactly one proceeds,
              the other fails in one line naming the first; the finished output equals the
              uninterrupted run's.
  fuzz        the mutation fuzzer (test_fuzz_inputs), its case count gathered.
  summary     one line over every section's results (written to the results folder's
              summary.txt as well).

Each command under test is a row of a table (KILL_CASES, DISKFULL_CASES, CONCURRENT_CASES):
a set-up making its tiny case, the first and the resume command lines, and what the
bit-for-bit comparison excludes (with the reason). Adding a command is adding a row.

usage: fault_suite.py SECTION --exe IFACTFLOW --lib LIBIFF_FAULT_FS --results DIR
                      [--ranks N] [--fuzzer TEST_FUZZ_INPUTS] [--torch 0|1] [--vtk 0|1]
Size and seed (environment): IFF_FAULT_SEED (default 1), IFF_FAULT_KILLS (kills per
command and rank count, default 10), IFF_FAULT_DISKFULLS (full disks per command and rank
count, default 5), IFF_FUZZ_CASES (the fuzzer's cases per target, its own default 10,000);
IFF_FAULT_ONLY=dns,train restricts the commands; IFF_KEEP_TEST_FILES keeps the work folder.
"""
import argparse
import fnmatch
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import synthetic_series  # noqa: E402

ARGS = None
SEED = int(os.environ.get("IFF_FAULT_SEED", "1") or 1)
KILLS = int(os.environ.get("IFF_FAULT_KILLS", "10") or 10)
DISKFULLS = int(os.environ.get("IFF_FAULT_DISKFULLS", "5") or 5)
ONLY = [c for c in os.environ.get("IFF_FAULT_ONLY", "").split(",") if c]
LOCK = ".ifactflow.lock"
NO_SPACE = "No space left on device"


class Failure(Exception):
    pass


failures = []


def fail(what):
    print("FAIL " + what, flush=True)
    failures.append(what)


def check(cond, what):
    if not cond:
        fail(what)
    return cond


# ------------------------------------------------------------------ running the command

class Result:
    def __init__(self, rc, out, seconds):
        self.rc, self.out, self.seconds = rc, out, seconds

    def error_lines(self):
        return [l for l in self.out.splitlines() if "ifactflow: error" in l]

    def killed(self):
        """Died by SIGKILL: directly (-9) or, under mpirun, a rank killed by signal 9."""
        if self.rc == -signal.SIGKILL or self.rc == 128 + signal.SIGKILL:
            return True
        return self.rc != 0 and re.search(r"signal 9|Killed", self.out) is not None


def env_base():
    env = dict(os.environ)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl_vader_single_copy_mechanism="none",
               OMP_NUM_THREADS="1")
    for k in ("IFF_FAULT_DIR", "IFF_FAULT_ENOSPC_AFTER", "IFF_FAULT_KILL_AFTER", "IFF_FAULT_TALLY", "LD_PRELOAD"):
        env.pop(k, None)
    return env


def ifactflow(args, ranks=1, fault=None, timeout=600, background=False, log=None):
    """Runs `ifactflow ARGS` on `ranks` ranks; `fault`: the hook's variables (dict), given to
    every rank (mpirun -x) and never to mpirun itself."""
    env = env_base()
    cmd = [ARGS.exe] + [str(a) for a in args]
    fault = dict(fault or {})
    if fault:
        fault["LD_PRELOAD"] = ARGS.lib
    fault = {k: str(v) for k, v in fault.items()}
    if ranks > 1:
        # a clean environment for mpirun (a nested launch refuses inherited OMPI_/PMIX_)
        for k in [k for k in env if k.startswith(("OMPI_COMM", "PMIX_", "OMPI_MCA_orte", "OMPI_FILE"))]:
            env.pop(k)
        opts = []
        for k, v in fault.items():
            opts += ["-x", f"{k}={v}"]
        for k in ("OMP_NUM_THREADS",):
            opts += ["-x", k]
        cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", "--allow-run-as-root", "--bind-to", "none"] + opts + cmd
    else:
        env.update(fault)
    if background:
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        return Result(p.returncode, p.stdout + p.stderr, time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Result(124, out + f"\n[timed out after {timeout} s]", time.monotonic() - t0)


def must(r, what):
    if r.rc != 0:
        raise Failure(f"{what} exited {r.rc}: {r.out[-1500:]}")
    return r


def tally_bytes(args, ranks, out_dir, tally):
    """Runs the uninterrupted command with the hook counting; returns (result, the most bytes
    one rank wrote under out_dir, the most space one rank took there)."""
    if os.path.exists(tally):
        os.remove(tally)
    os.makedirs(out_dir, exist_ok=True)
    r = ifactflow(args, ranks, fault={"IFF_FAULT_DIR": out_dir, "IFF_FAULT_TALLY": tally})
    written = used = 0
    if os.path.exists(tally):
        for line in open(tally):
            f = line.split()
            if len(f) >= 3:
                written, used = max(written, int(f[1])), max(used, int(f[2]))
    return r, written, used


# ------------------------------------------------------------------ comparing outputs

def h5_items(path):
    """{name: (kind, dtype, shape, bytes, {attr: value})} of every group and dataset."""
    items = {}

    def attrs(obj):
        a = {}
        for k in obj.attrs:
            v = obj.attrs[k]
            a[k] = v.tobytes() if isinstance(v, np.ndarray) else (v if not isinstance(v, bytes) else v.decode(errors="replace"))
        return a

    with h5py.File(path, "r") as f:
        items["/"] = ("group", None, None, None, attrs(f))

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                raw = data.tobytes() if isinstance(data, np.ndarray) else repr(data).encode()
                items["/" + name] = ("dataset", str(obj.dtype), obj.shape, raw, attrs(obj))
            else:
                items["/" + name] = ("group", None, None, None, attrs(obj))

        f.visititems(visit)
    return items


def compare_h5(a, b, skip_attrs=(), skip_datasets=()):
    """Differences between two HDF5 files, bit for bit in every dataset and attribute
    (except the named ones); [] when equal."""
    ia, ib = h5_items(a), h5_items(b)
    diffs = []
    skip = lambda n: any(fnmatch.fnmatch(n, p) for p in skip_datasets)
    for name in sorted(set(ia) | set(ib)):
        if skip(name):
            continue
        if name not in ia or name not in ib:
            diffs.append(f"{name} only in {'the reference' if name in ia else 'the resumed run'}")
            continue
        ka, kb = ia[name], ib[name]
        if ka[:3] != kb[:3]:
            diffs.append(f"{name}: {ka[:3]} != {kb[:3]}")
        elif ka[3] != kb[3]:
            diffs.append(f"{name}: values differ")
        for k in sorted(set(ka[4]) | set(kb[4])):
            if f"{name}@{k}" in skip_attrs or k in skip_attrs:
                continue
            if ka[4].get(k, "<absent>") != kb[4].get(k, "<absent>"):
                diffs.append(f"{name} attribute {k} differs")
    return diffs


def compare_csv(a, b, skip_columns=()):
    ra, rb = open(a).read().splitlines(), open(b).read().splitlines()
    if not ra or not rb:
        return [] if ra == rb else ["one is empty"]
    head = ra[0].split(",")
    keep = [i for i, h in enumerate(head) if h not in skip_columns]
    pick = lambda rows: [[r.split(",")[i] if i < len(r.split(",")) else None for i in keep] for r in rows]
    if ra[0] != rb[0]:
        return [f"headers differ: {ra[0]} / {rb[0]}"]
    if pick(ra) != pick(rb):
        n = next((i for i, (x, y) in enumerate(zip(pick(ra), pick(rb))) if x != y), min(len(ra), len(rb)))
        return [f"row {n} differs ({len(ra)} and {len(rb)} rows): {ra[n] if n < len(ra) else '-'} / {rb[n] if n < len(rb) else '-'}"]
    return []


def compare_ckpt(a, b):
    """Differences between two operator checkpoints: their weights (exported state dicts, bit
    for bit) and their description and progress (`ifactflow info`). Not their bytes: libtorch
    keys the optimizer state in its archive by tensor addresses, which differ from run to
    run; the weights a resumed run reaches after further optimizer steps show that the state
    it resumed with was the same."""
    diffs = []
    with tempfile.TemporaryDirectory() as tmp:
        exported = []
        for k, path in enumerate((a, b)):
            pt = os.path.join(tmp, f"{k}.pt")
            r = ifactflow(["export", path, "-o", pt])
            if r.rc != 0:
                return [f"export fails: {r.out.strip()[-300:]}"]
            exported.append(open(pt, "rb").read())
        if exported[0] != exported[1]:
            diffs.append("weights differ")
    infos = [ifactflow(["info", p]).out.splitlines()[1:] for p in (a, b)]
    if infos[0] != infos[1]:
        diffs.append("description or progress differs: " + str([l for l in infos[1] if l not in infos[0]][:3]))
    return diffs


def files_under(d):
    out = []
    for root, dirs, names in os.walk(d):
        for n in names:
            out.append(os.path.relpath(os.path.join(root, n), d))
    return sorted(out)


def compare_dirs(ref, got, rule):
    """Differences between two output folders under `rule` (what is compared how, what is
    excluded); [] when equal."""
    diffs = []
    excluded = lambda n: any(fnmatch.fnmatch(n, p) or fnmatch.fnmatch(os.path.basename(n), p) for p in rule.get("exclude", {}))
    fa = [n for n in files_under(ref) if not excluded(n)]
    fb = [n for n in files_under(got) if not excluded(n)]
    for n in sorted(set(fa) ^ set(fb)):
        diffs.append(f"{n} only in {'the reference' if n in fa else 'the resumed run'}")
    for n in sorted(set(fa) & set(fb)):
        a, b = os.path.join(ref, n), os.path.join(got, n)
        try:
            if n.endswith(".h5"):
                d = compare_h5(a, b, rule.get("skip_attrs", {}), rule.get("skip_datasets", {}))
            elif n.endswith(".ckpt"):
                d = compare_ckpt(a, b)
            elif n.endswith(".csv") and rule.get("skip_columns"):
                d = compare_csv(a, b, rule["skip_columns"])
            else:
                d = [] if open(a, "rb").read() == open(b, "rb").read() else ["bytes differ"]
        except Exception as e:  # an unreadable file is a difference
            d = [f"unreadable: {type(e).__name__}: {e}"]
        diffs += [f"{n}: {x}" for x in d]
    return diffs


# ------------------------------------------------------------------ the tiny cases

GRID = "grid: {nx: 8, ny: 17, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}\n"
PHYS = "physics: {units: centreline, re: 4200, driving: bulk_velocity}\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def dns_case(work, steps=24):
    """A DNS of `steps` steps with snapshots, statistics and checkpoints every few steps."""
    return write(os.path.join(work, "dns.yaml"), GRID + PHYS +
                 f"time: {{dt: 0.002, steps: {steps}}}\n"
                 "initial: {type: perturbed, amplitude: 0.3, seed: 3}\n"
                 "output: {csv_every: 2, snapshot_every: 4, snapshot_dtype: f64, checkpoint_every: 4, "
                 "stats_every: 2, progress_seconds: 0}\n")


def dns_start(work, ranks):
    """A short DNS whose checkpoint starts the dataset (shared by the sections)."""
    out = os.path.join(work, f"start.np{ranks}")
    if not os.path.exists(os.path.join(out, "checkpoint.h5")):
        c = write(os.path.join(work, "start.yaml"), GRID + PHYS.replace("bulk_velocity}", "bulk_velocity, bulk_velocity: 0.6666666666666666}") +
                  "time: {dt: 0.02, steps: 8, startup_substeps: 4}\ninitial: {type: perturbed, amplitude: 0.3, seed: 3}\n"
                  "output: {csv_every: 4, checkpoint_every: 1000, snapshot_every: 2, snapshot_dtype: f64}\n")
        must(ifactflow(["dns", c, "--set", "output.dir=" + out], 1), "the dataset's starting DNS")
    return out


def dataset_case(work, ranks):
    start = dns_start(work, ranks)
    return write(os.path.join(work, "dataset.yaml"), GRID +
                 PHYS.replace("bulk_velocity}", "bulk_velocity, bulk_velocity: 0.6666666666666666}") +
                 f"time: {{dt: 0.02, startup_substeps: 4}}\ninitial: {{file: {start}/checkpoint.h5}}\n"
                 "dataset: {n_traj: 2, n_time: 4, snapshot_every: 2, spinup: 0.04, perturbation: 0.05, seed: 7}\n"
                 "filter: {grid: 8x9x4}\noutput: {keep_full: true, dtype: f64, checkpoint_every: 2, progress_seconds: 0}\n")


def series_for_training(work):
    """A small float64 series (3 trajectories, 5 times, 4x5x4), written with h5py in the
    data contract by `ifactflow import` from a .npy."""
    path = os.path.join(work, "train_series.h5")
    if not os.path.exists(path):
        np.save(os.path.join(work, "train_series.npy"), synthetic_series.velocity(5, 4, 5, 4))
        must(ifactflow(["import", os.path.join(work, "train_series.npy"), "-o", path, "--lx", repr(2 * np.pi), "--lz",
                        repr(np.pi), "--dt", "0.5", "--dtype", "float64"]), "import of the training series")
    return path


def train_case(work):
    series = series_for_training(work)
    return write(os.path.join(work, "train.yaml"),
                 f"data: {{series: {series}, val_trajectories: 1}}\n"
                 "model: {kind: ifactformer-m, dim: 12, heads: 2, dim_head: 4, kernel_multiplier: 1, n_layer: 1}\n"
                 "train: {epochs: 3, batch_size: 3, dtype: float64, threads: 1, seed: 1, checkpoint_every: 1}\n")


# What a resumed run may differ in, and why. Every rule excludes:
#   cost.csv            wall-clock seconds of the run (and its own step count)
#   .*.partial          work files: a resumable one (.NAME.partial) is the resumed run's own;
#                       those of a killed writer (.NAME.HOST-PID-N.partial) must be gone — the
#                       run that takes over the folder removes them (checked apart)
COMMON_EXCLUDE = {"cost.csv": "wall-clock time and the last run's own share",
                  ".*.partial": "work files (those of killed writers checked to be removed)"}
DNS_RULE = {
    "exclude": dict(COMMON_EXCLUDE, **{
        "config.resolved.yaml": "the restart's configuration (initial.type: restart)",
        # statistics are accumulated from the restart on: their sums are not in the checkpoint
        "stats.h5": "statistics restart with the run", "profiles.csv": "statistics restart with the run",
        "spectra_k?.csv": "statistics restart with the run", "wall_units.txt": "statistics restart with the run"}),
    "skip_attrs": {"config": "the restart's configuration"},
}
DATASET_RULE = {"exclude": dict(COMMON_EXCLUDE)}
TRAIN_RULE = {
    "exclude": dict(COMMON_EXCLUDE),
    "skip_columns": {"seconds": "wall-clock time", "samples_per_s": "wall-clock rate"},
}


def stale_work_files(d):
    """The work files of killed writers (.NAME.HOST-PID-N.partial) under d."""
    return [n for n in files_under(d) if re.match(r"^\..+-[0-9]+-[0-9]+\.partial$", os.path.basename(n))]


def dns_kill_row(work, ranks):
    case = dns_case(work)

    def first(out):
        return ["dns", case, "--set", "output.dir=" + out]

    def resume(out):
        ck = os.path.join(out, "checkpoint.h5")
        if not os.path.exists(ck):  # killed before its first checkpoint: the run starts again
            return first(out)
        return first(out) + ["--set", "initial.type=restart", "--set", "initial.file=" + ck]

    return first, resume, DNS_RULE


def dataset_kill_row(work, ranks):
    case = dataset_case(work, ranks)

    def first(out):
        return ["dataset", case, "--set", "output.dir=" + out]

    return first, first, DATASET_RULE  # the same command resumes


def train_kill_row(work, ranks):
    case = train_case(work)

    def first(out):
        return ["train", case, "--set", "output.dir=" + out]

    def resume(out):
        if not os.path.exists(os.path.join(out, "last.ckpt")):
            return first(out)
        return first(out) + ["--resume"]

    return first, resume, TRAIN_RULE


def trained_checkpoint(work):
    """best.ckpt of a short training on the training series (shared by the sections)."""
    ckpt = os.path.join(work, "trained", "best.ckpt")
    if not os.path.exists(ckpt):
        must(ifactflow(["train", train_case(work), "--set", "output.dir=" + os.path.dirname(ckpt)]),
             "training the checkpoint")
    return ckpt


def rollout_case(work, steps):
    """A rollout of every trajectory of the training series, flushed every 2 steps, with VTK
    output (in a build with VTK) and statistics."""
    vtk_every = 3 if ARGS.vtk else 0
    return write(os.path.join(work, f"rollout{steps}.yaml"),
                 f"rollout: {{checkpoint: {trained_checkpoint(work)}, series: {series_for_training(work)}, "
                 f"initial: all, steps: {steps}, energy_band: 0, threads: 1}}\n"
                 f"output: {{series_buffer: 2, vtk_every: {vtk_every}, progress_seconds: 0}}\n")


ROLLOUT_RULE = {"exclude": dict(COMMON_EXCLUDE)}


def rollout_kill_row(work, ranks):
    case = rollout_case(work, steps=4)

    def first(out):
        return ["rollout", case, "--set", "output.dir=" + out]

    return first, lambda out: first(out) + ["--resume"], ROLLOUT_RULE


# command: (row maker, needs libtorch). A row maker (work, ranks) -> (first(out), resume(out),
# comparison rule).
KILL_CASES = {
    "dns": (dns_kill_row, False),
    "dataset": (dataset_kill_row, False),
    "train": (train_kill_row, True),
    "rollout": (rollout_kill_row, True),
}


def commands(table):
    return [c for c, (_, torch_needed) in table.items() if (not ONLY or c in ONLY) and (ARGS.torch or not torch_needed)]


# ------------------------------------------------------------------ section: kill

def section_kill(work, rng, results):
    ranks = ARGS.ranks
    total_kills = 0
    for name in commands(KILL_CASES):
        maker, _ = KILL_CASES[name]
        first, resume, rule = maker(work, ranks)
        # every run writes into the same folder (its path is in the resolved configuration);
        # the uninterrupted one is moved aside
        out, ref = os.path.join(work, f"{name}.out"), os.path.join(work, f"{name}.ref")
        r, written, _ = tally_bytes(first(out), ranks, out, os.path.join(work, "tally"))
        must(r, f"{name}: the uninterrupted run")
        os.rename(out, ref)
        if not check(written > 0, f"{name}: the hook saw no write of the uninterrupted run"):
            continue
        kills, chains, runs, stale = 0, 0, 1, 0
        while kills < KILLS:
            chains += 1
            if os.path.exists(out):
                os.rename(out, os.path.join(work, f"{name}.chain{chains - 1}"))
            args, positions = first(out), []
            while True:
                last = kills >= KILLS
                at = rng.randrange(1, written)
                fault = {"IFF_FAULT_DIR": out} if last else {"IFF_FAULT_DIR": out, "IFF_FAULT_KILL_AFTER": at}
                os.makedirs(out, exist_ok=True)
                r = ifactflow(args, ranks, fault=fault)
                runs += 1
                if r.rc == 0:
                    break
                if last or not r.killed():
                    raise Failure(f"{name} np{ranks}: after kills at bytes {positions}, `{' '.join(map(str, args))}` "
                                  f"exited {r.rc}: {r.out[-1500:]}")
                positions.append(at)
                kills += 1
                args = resume(out)
            diffs = compare_dirs(ref, out, rule)
            left = stale_work_files(out)
            stale += len(left)
            check(not left, f"{name} np{ranks}: work files of the killed runs are left: {left[:4]}")
            check(not os.path.exists(os.path.join(out, LOCK)), f"{name} np{ranks}: the lock is left after the run")
            check(not diffs, f"{name} np{ranks}: killed at bytes {positions} of {written} and resumed, "
                             f"the outputs differ from the uninterrupted run: {diffs[:12]}")
            print(f"{name} np{ranks}: chain {chains}: killed at bytes {positions} (of {written}), resumed: "
                  f"{'equal to the uninterrupted run' if not diffs else 'DIFFERENT'}", flush=True)
            if not diffs and not os.environ.get("IFF_KEEP_TEST_FILES"):
                shutil.rmtree(out)
        total_kills += kills
        results.setdefault("commands", {})[f"{name}.np{ranks}"] = {"kills": kills, "chains": chains, "runs": runs,
                                                                  "stale_work_files": stale}
        results["stale_work_files"] = results.get("stale_work_files", 0) + stale
        print(f"{name} np{ranks}: {kills} kills in {chains} chains ({runs} runs); excluded from the comparison: "
              + "; ".join(f"{k} ({v})" for k, v in {**rule.get("exclude", {}), **rule.get("skip_attrs", {}),
                                                    **rule.get("skip_columns", {})}.items())
              + f"; {stale} work files of killed writers left", flush=True)
    results["kills"] = total_kills


# ------------------------------------------------------------------ section: diskfull

def complete_or_absent(out, ref, allowed_partial):
    """What is wrong with the files a failed run left in `out`: every file under a final name
    opens and is complete — an HDF5 file opens and every dataset reads, a table is whole
    lines and a prefix of the uninterrupted run's, a checkpoint is read by `ifactflow info`,
    other files equal the uninterrupted run's. Work files (.NAME.partial) only where the
    command resumes from them."""
    bad = []
    if not os.path.isdir(out):
        return bad
    for n in files_under(out):
        p, base = os.path.join(out, n), os.path.basename(n)
        r = os.path.join(ref, n)
        if base.endswith(".partial"):
            if not allowed_partial:
                bad.append(f"{n}: a work file is left")
            continue
        if base == LOCK:
            bad.append(f"{n}: the lock is left")
            continue
        try:
            if base.endswith(".h5"):
                h5_items(p)  # reads every dataset and attribute
            elif base.endswith(".ckpt") or base.endswith(".pt"):
                if base.endswith(".ckpt"):
                    i = ifactflow(["info", p])
                    if i.rc != 0:
                        bad.append(f"{n}: `info` fails on it: {i.out.strip()[-300:]}")
            elif base.endswith((".csv", ".txt", ".yaml", ".json")):
                text = open(p).read()
                if text and not text.endswith("\n") and not base.endswith(".json"):
                    bad.append(f"{n}: ends within a line")
                elif base.endswith(".json"):
                    json.loads(text)
                elif os.path.exists(r) and base.endswith(".csv"):
                    want = open(r).read().splitlines()
                    got = text.splitlines()
                    if want[:1] != got[:1]:
                        bad.append(f"{n}: its header is not the uninterrupted run's")
                elif os.path.exists(r) and base.endswith(".yaml") and text.replace(out, ref) != open(r).read():
                    # (the resolved configuration names its own output folder)
                    bad.append(f"{n}: differs from the uninterrupted run's")
                elif not text:
                    bad.append(f"{n}: empty")
            elif os.path.getsize(p) == 0:
                bad.append(f"{n}: empty")
        except Exception as e:
            bad.append(f"{n}: unreadable: {type(e).__name__}: {e}")
    return bad


def diskfull_rows(work, ranks):
    """command: (needs libtorch, set-up(work) -> (args(out), the output folder or file of
    args(out) under out, resume(out) or None))"""
    rows = {}
    dcase = dns_case(work, steps=12)
    rows["dns"] = (False, lambda out: ["dns", dcase, "--set", "output.dir=" + out + "/run"], None)
    fine = os.path.join(dns_start(work, 1), "snapshots.h5")
    rows["filter"] = (False, lambda out: ["filter", fine, "--grid", "4x9x4", "-o", out + "/coarse.h5"], None)
    rows["stats"] = (False, lambda out: ["stats", fine, "-o", out + "/stats"], None)
    series_for_training(work)
    npy = os.path.join(work, "train_series.npy")
    rows["import"] = (False, lambda out: ["import", npy, "-o", out + "/imported.h5", "--dt", "0.5"], None)
    scase = dataset_case(work, ranks)
    ds = lambda out: ["dataset", scase, "--set", "output.dir=" + out + "/ds"]
    rows["dataset"] = (False, ds, ds)
    if ARGS.torch:
        tcase = train_case(work)
        tr = lambda out: ["train", tcase, "--set", "output.dir=" + out + "/train"]
        tr_resume = lambda out: tr(out) + (["--resume"] if os.path.exists(out + "/train/last.ckpt") else [])
        rows["train"] = (True, tr, tr_resume)
        ckpt = trained_checkpoint(work)
        if not os.path.exists(os.path.join(work, "trained", "w.pt")):
            must(ifactflow(["export", ckpt, "-o", os.path.join(work, "trained", "w.pt")]), "export of the checkpoint")
        rows["export"] = (True, lambda out: ["export", ckpt, "-o", out + "/w.pt"], None)
        meta = json.load(open(os.path.join(work, "trained", "w.json")))
        conv = ["convert", os.path.join(work, "trained", "w.pt"), "--model", meta["model"]]
        for k, v in meta["hyper_parameters"].items():
            conv += ["--set", f"model.{k}={str(v).lower() if isinstance(v, bool) else v}"]
        g = meta["grid"]
        conv += ["--set", f"model.grid={g['nx']}x{g['ny']}x{g['nz']}", "--set", f"model.lx={g['lx']!r}",
                 "--set", f"model.lz={g['lz']!r}"]
        rows["convert"] = (True, lambda out: conv + ["-o", out + "/back.ckpt"], None)
        rcase = write(os.path.join(work, "rollout.yaml"),
                      f"rollout: {{checkpoint: {ckpt}, series: {series_for_training(work)}, initial: all, steps: 3, "
                      "energy_band: 0, threads: 1}\n" + ("" if ARGS.vtk else "output: {vtk_every: 0}\n"))
        rows["rollout"] = (True, lambda out: ["rollout", rcase, "--set", "output.dir=" + out + "/rollout"], None)
    return {k: v for k, v in rows.items() if not ONLY or k in ONLY}


def section_diskfull(work, rng, results):
    ranks = ARGS.ranks
    handled = 0
    for name, (_, args, resume) in diskfull_rows(work, ranks).items():
        ref = os.path.join(work, f"{name}.ref")
        r, _, used = tally_bytes(args(ref), ranks, ref, os.path.join(work, "tally"))
        must(r, f"{name}: the run on a disk with room")
        if not check(used > 0, f"{name} np{ranks}: the hook saw no space taken by the run"):
            continue
        n = 0
        resumed = 0
        for i in range(DISKFULLS):
            out = os.path.join(work, f"{name}.full{i}")
            os.makedirs(out)
            at = rng.randrange(0, used)
            r = ifactflow(args(out), ranks, fault={"IFF_FAULT_DIR": out, "IFF_FAULT_ENOSPC_AFTER": at})
            what = f"{name} np{ranks} with ENOSPC after {at} of {used} bytes"
            lines = r.error_lines()
            ok = check(r.rc != 0, f"{what}: exit 0")
            ok &= check(1 <= len(lines) <= ranks and len(set(l.split("ifactflow: error")[-1] for l in lines)) == 1,
                        f"{what}: not one error line: {r.out[-800:]}")
            ok &= check(bool(lines) and NO_SPACE in lines[0] and (out in lines[0]),
                        f"{what}: the error line names no file under {out} and '{NO_SPACE}': {lines[:1]}")
            if ranks == 1:
                stray = [l for l in r.out.splitlines() if l.strip() and "ifactflow: error" not in l
                         and " info " not in l and " warning " not in l and "[info]" not in l and "[warning]" not in l]
                ok &= check(not stray, f"{what}: stray output {stray[:3]}")
            bad = complete_or_absent(out, ref, allowed_partial=resume is not None)
            ok &= check(not bad, f"{what}: {bad[:5]}")
            if ok and resume is not None and i % 2 == 0:
                # room again: the command resumes to the uninterrupted result
                r2 = ifactflow(resume(out), ranks)
                # (the resolved configuration, in its file and in the outputs' attributes,
                # names the run's own output folder)
                diffs = compare_dirs(ref, out, {"exclude": {"cost.csv": "", "*.partial": "", "config.resolved.yaml": ""},
                                                "skip_attrs": {"config": ""},
                                                "skip_columns": {"seconds": "", "samples_per_s": ""}}) if r2.rc == 0 else []
                ok &= check(r2.rc == 0 and not diffs,
                            f"{what}, resumed with room: exit {r2.rc}, {diffs[:4]} {r2.out[-600:] if r2.rc else ''}")
                resumed += ok
            n += ok
            if ok and not os.environ.get("IFF_KEEP_TEST_FILES"):
                shutil.rmtree(out)
        print(f"{name} np{ranks}: {n} of {DISKFULLS} full disks handled ({resumed} resumed with room to the "
              f"uninterrupted result)", flush=True)
        handled += n
        results.setdefault("commands", {})[f"{name}.np{ranks}"] = {"diskfulls": n, "resumed": resumed}
    results["diskfulls"] = handled


# ------------------------------------------------------------------ section: concurrent

def section_concurrent(work, rng, results):
    """Two identical runs launched at once into one folder."""
    # (long enough, about a second, for the second run to start while the first one runs)
    rows = {"dns": lambda out: ["dns", dns_case(work, steps=1200), "--set", "output.dir=" + out]}
    if ARGS.torch:
        rows["train"] = lambda out: ["train", train_case(work), "--set", "output.dir=" + out, "--set", "train.epochs=400"]
    pairs = 0
    rounds = max(2, KILLS // 5)
    for name, args in rows.items():
        if ONLY and name not in ONLY:
            continue
        ref = os.path.join(work, f"{name}.ref")
        must(ifactflow(args(ref)), f"{name}: the run alone")
        for i in range(rounds):
            out = os.path.join(work, f"{name}.both{i}")
            logs = [open(os.path.join(work, f"{name}.both{i}.{k}.log"), "w+") for k in range(2)]
            procs = [ifactflow(args(out), background=True, log=logs[0])]
            time.sleep(rng.uniform(0, 0.05))
            procs.append(ifactflow(args(out), background=True, log=logs[1]))
            rcs = [p.wait(timeout=600) for p in procs]
            outs = []
            for lg in logs:
                lg.seek(0)
                outs.append(lg.read())
                lg.close()
            what = f"{name}: two runs at once (round {i})"
            winners = [k for k in range(2) if rcs[k] == 0]
            if not check(len(winners) == 1, f"{what}: exits {rcs}: {outs[0][-400:]} | {outs[1][-400:]}"):
                continue
            loser = outs[1 - winners[0]]
            lines = [l for l in loser.splitlines() if "ifactflow: error" in l]
            ok = check(len(lines) == 1 and f"output folder {out} is in use by `" in lines[0],
                       f"{what}: the refused run's error is not one line naming the first: {loser[-600:]}")
            rule = dict(TRAIN_RULE if name == "train" else DNS_RULE)
            # (the resolved configuration names the run's own output folder)
            rule["exclude"] = dict(rule["exclude"], **{"config.resolved.yaml": "names the output folder"})
            rule["skip_attrs"] = dict(rule.get("skip_attrs", {}), config="names the output folder")
            diffs = compare_dirs(ref, out, rule)
            ok &= check(not diffs, f"{what}: the finished output differs from a run alone: {diffs[:4]}")
            pairs += ok
        print(f"{name}: {rounds} pairs of runs at once into one folder, one refused in one line each time", flush=True)
    results["concurrent"] = pairs


# ------------------------------------------------------------------ section: fuzz

def section_fuzz(work, rng, results):
    env = env_base()
    p = subprocess.run([ARGS.fuzzer], env=env, capture_output=True, text=True, timeout=1800)
    print(p.stdout[-3000:] + p.stderr[-2000:])
    cases = sum(int(m.group(1)) for m in re.finditer(r"^fuzz [^:\n]+: (\d+) cases", p.stdout, re.M))
    mishandled = sum(int(m.group(1)) for m in re.finditer(r"(\d+) mishandled", p.stdout))
    check(p.returncode == 0, f"the fuzzer failed (exit {p.returncode})")
    check(cases > 0, "the fuzzer reported no cases")
    results["fuzz_cases"] = cases
    results["fuzz_mishandled"] = mishandled


# ------------------------------------------------------------------ section: summary

SECTIONS = ["kill.np1", "kill.np2", "diskfull.np1", "diskfull.np2", "concurrent", "fuzz"]


def section_summary(work, rng, results):
    got = {}
    for s in SECTIONS:
        p = os.path.join(ARGS.results, s + ".json")
        if not check(os.path.exists(p), f"section {s} has no result (not run?)"):
            continue
        got[s] = json.load(open(p))
    if failures:
        return
    bad = [s for s, r in got.items() if not r.get("ok")]
    kills = sum(r.get("kills", 0) for r in got.values())
    full = sum(r.get("diskfulls", 0) for r in got.values())
    conc = sum(r.get("concurrent", 0) for r in got.values())
    fuzz = sum(r.get("fuzz_cases", 0) for r in got.values())
    secs = sum(r.get("seconds", 0) for r in got.values())
    line = (f"faults: {kills} kills resumed to the uninterrupted outputs, {full} disk-fulls handled, {conc} pairs of runs into one "
            f"folder refused one, {fuzz} fuzz cases, seed {SEED}, "
            + ("all handled" if not bad else "FAILED in " + ", ".join(bad))
            + f" ({secs:.0f} s of sections)")
    print(line)
    with open(os.path.join(ARGS.results, "summary.txt"), "w") as f:
        f.write(line + "\n")
    check(not bad, "failed sections: " + ", ".join(bad))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("section", choices=["kill", "diskfull", "concurrent", "fuzz", "summary"])
    ap.add_argument("--exe", default=os.environ.get("IFF_EXE"))
    ap.add_argument("--lib", default=os.environ.get("IFF_FAULT_LIB"))
    ap.add_argument("--results", required=True)
    ap.add_argument("--ranks", type=int, default=1)
    ap.add_argument("--fuzzer")
    ap.add_argument("--torch", type=int, default=1)
    ap.add_argument("--vtk", type=int, default=1)  # 0: a build without VTK (rollouts write none)
    ARGS = ap.parse_args()
    tag = ARGS.section + (f".np{ARGS.ranks}" if ARGS.section in ("kill", "diskfull") else "")
    os.makedirs(ARGS.results, exist_ok=True)
    result_file = os.path.join(ARGS.results, tag + ".json")
    if ARGS.section != "summary" and os.path.exists(result_file):
        os.remove(result_file)
    # one stream of random numbers per section and rank count, from the suite's seed
    rng = random.Random(f"{SEED}:{tag}")
    work = tempfile.mkdtemp(prefix=f"iff-faults-{tag}-")
    results = {"seed": SEED}
    t0 = time.monotonic()
    try:
        globals()["section_" + ARGS.section](work, rng, results)
    except Failure as e:
        fail(str(e))
    finally:
        if not os.environ.get("IFF_KEEP_TEST_FILES"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work files kept in " + work)
    results["seconds"] = time.monotonic() - t0
    results["ok"] = not failures
    if ARGS.section != "summary":
        with open(result_file, "w") as f:
            json.dump(results, f)
        print(f"{tag}: {json.dumps(results)}")
    if failures:
        print(f"{tag}: {len(failures)} failure(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
