#!/usr/bin/env python3
"""Runs, prints or writes as a batch script the stages of a study (cases/*/study.yaml):
one `ifactflow` command per stage, each under the study's MPI launcher with its own rank
count, in order, stopping at the first failure.

usage: run_study.py STUDY.yaml [--exe PATH] [--print | --run | --sbatch FILE] [--only NAME ...]
                    [--from NAME] [--ranks N]

STUDY.yaml:
  study:   {name, launcher: "mpirun -n {ranks}", record: FILE,
            slurm: {nodes, ntasks_per_node, time, partition?, account?}}
  stages:  [{name, command, args: [...], ranks, max_ranks, set: ["key=value", ...],
             resume: [arg, ...], may_fail: false, estimate: "text"}, ...]
Paths in args are relative to the directory the study is run from (the repository root).

--run keeps a record (study.record, JSON) of each stage's start, end and duration. A stage
recorded as finished is skipped; one that started and did not finish (killed, timed out,
failed) is run again with its `resume` arguments added, so that it continues from its own
checkpoints. --from NAME runs NAME and every later stage whatever the record says (fresh
unless the record says NAME started and did not finish). --ranks N runs every stage on
min(N, max_ranks) ranks (max_ranks: the most the stage can use; default its ranks), so the
same study file runs on a workstation and on a cluster. At the end the stages' durations
are printed, with those of stages finished by earlier runs. A stage with may_fail: true
whose command fails is recorded as finished with its exit status and the study goes on (a
rollout whose trajectories all blew up is an outcome for the comparison, which reads what
it left).
"""
import datetime
import json
import argparse
import os
import shlex
import subprocess
import sys
import time

import yaml

COMMANDS = {"dns", "dataset", "filter", "import", "train", "convert", "rollout", "stats", "compare", "info"}
STUDY_KEYS = {"name", "launcher", "slurm", "description", "record"}
STAGE_KEYS = {"name", "command", "args", "ranks", "max_ranks", "set", "resume", "may_fail", "estimate"}
SLURM_KEYS = {"nodes", "ntasks_per_node", "time", "partition", "account"}


def fail(msg):
    sys.exit(f"run_study: error: {msg}")


def load(path):
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    except yaml.YAMLError as e:
        fail(f"{path} is not valid YAML: {str(e).splitlines()[0]}")
    if not isinstance(doc, dict) or set(doc) - {"study", "stages"} or "stages" not in doc:
        fail(f"{path}: expected top-level keys 'study' and 'stages'")
    study = doc.get("study") or {}
    for k in set(study) - STUDY_KEYS:
        fail(f"{path}: unknown key study.{k}")
    for k in set(study.get("slurm") or {}) - SLURM_KEYS:
        fail(f"{path}: unknown key study.slurm.{k}")
    names = set()
    for i, s in enumerate(doc["stages"]):
        where = f"{path}: stage {i + 1}"
        if not isinstance(s, dict):
            fail(f"{where} is not a mapping")
        for k in set(s) - STAGE_KEYS:
            fail(f"{where}: unknown key '{k}'")
        for k in ("name", "command", "args"):
            if k not in s:
                fail(f"{where}: missing key '{k}'")
        if s["name"] in names:
            fail(f"{where}: duplicate stage name '{s['name']}'")
        names.add(s["name"])
        if s["command"] not in COMMANDS:
            fail(f"{where} ({s['name']}): unknown ifactflow command '{s['command']}'")
        for key in ("ranks", "max_ranks"):
            if not isinstance(s.get(key, 1), int) or s.get(key, 1) < 1:
                fail(f"{where} ({s['name']}): {key} must be a positive integer")
    return study, doc["stages"]


def argv(stage, exe, resume=False):
    a = [exe, stage["command"]] + [str(x) for x in stage["args"]]
    for kv in stage.get("set") or []:
        a += ["--set", str(kv)]
    if resume:
        a += [str(x) for x in stage.get("resume") or []]
    return a


def ranks_of(stage, cap):
    """The stage's rank count: its own, or min(cap, max_ranks) under --ranks."""
    if cap is None:
        return stage.get("ranks", 1)
    return max(1, min(cap, stage.get("max_ranks", stage.get("ranks", 1))))


class Record:
    """The study's record of stage runs (JSON, replaced atomically after each change)."""

    def __init__(self, path):
        self.path = path
        self.stages = {}
        if path and os.path.exists(path):
            try:
                with open(path) as f:
                    self.stages = json.load(f).get("stages", {})
            except (OSError, ValueError) as e:
                fail(f"cannot read the study record {path}: {e}")

    def get(self, name):
        return self.stages.get(name, {})

    def set(self, name, **fields):
        self.stages[name] = {**self.get(name), **fields}
        if not self.path:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        tmp = f"{self.path}.{os.getpid()}.partial"
        with open(tmp, "w") as f:
            json.dump({"stages": self.stages}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def now():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def hms(seconds):
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def launcher(study, ranks):
    return shlex.split(study.get("launcher", "mpirun -n {ranks}").format(ranks=ranks))


def select(stages, only, start):
    names = [s["name"] for s in stages]
    for n in (only or []) + ([start] if start else []):
        if n not in names:
            fail(f"no stage named '{n}' (stages: {', '.join(names)})")
    if only:
        return [s for s in stages if s["name"] in only]
    if start:
        return stages[names.index(start):]
    return stages


def sbatch_text(study, stages, exe, study_path):
    sl = study.get("slurm") or {}
    lines = ["#!/bin/bash", f"#SBATCH --job-name=ifactflow-{study.get('name', 'study')}"]
    for key, opt in (("nodes", "nodes"), ("ntasks_per_node", "ntasks-per-node"), ("time", "time"),
                     ("partition", "partition"), ("account", "account")):
        if key in sl:
            lines.append(f"#SBATCH --{opt}={sl[key]}")
    lines += ["#SBATCH --output=ifactflow-%x-%j.log", "",
              f"# written by scripts/run_study.py from {study_path}. After a time-out, resubmit from the",
              "# stage that stopped; it continues from its checkpoints when told to (dns: initial.type=",
              "# restart; dataset: as is; train: add --resume).",
              "set -euo pipefail", "export OMP_NUM_THREADS=1", ""]
    for s in stages:
        if s.get("estimate"):
            lines.append(f"# {s['name']}: {s['estimate']}")
        cmd = ["srun", "-n", str(s.get("ranks", 1))] + argv(s, exe)
        lines.append(" ".join(shlex.quote(c) for c in cmd))
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("study")
    p.add_argument("--exe", default="build/release/apps/ifactflow")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--print", action="store_true", help="print the command lines (default)")
    g.add_argument("--run", action="store_true", help="run the stages here, in order")
    g.add_argument("--sbatch", metavar="FILE", help="write a Slurm batch script")
    p.add_argument("--only", nargs="+", metavar="NAME")
    p.add_argument("--from", dest="start", metavar="NAME")
    p.add_argument("--ranks", type=int, metavar="N", help="every stage on min(N, max_ranks) ranks")
    a = p.parse_args()
    if a.ranks is not None and a.ranks < 1:
        fail("--ranks must be a positive integer")
    study, stages = load(a.study)
    stages = select(stages, a.only, a.start)
    if a.sbatch:
        tmp = a.sbatch + ".partial"
        with open(tmp, "w") as f:
            f.write(sbatch_text(study, stages, a.exe, a.study))
        os.chmod(tmp, 0o755)
        os.replace(tmp, a.sbatch)
        print(f"run_study: wrote {a.sbatch} ({len(stages)} stages)")
        return
    if not a.run:
        for s in stages:
            cmd = launcher(study, ranks_of(s, a.ranks)) + argv(s, a.exe)
            est = f"   # {s['estimate']}" if s.get("estimate") else ""
            print(" ".join(shlex.quote(c) for c in cmd) + est)
        return
    record = Record(study.get("record"))
    forced = {s["name"] for s in stages} if a.start else set()
    for s in stages:
        name, rec = s["name"], record.get(s["name"])
        if rec.get("finished") and name not in forced:
            print(f"== {name}: finished {rec['finished']} in {hms(rec['seconds'])}, skipped", flush=True)
            continue
        resume = bool(rec.get("started")) and not rec.get("finished")
        cmd = launcher(study, ranks_of(s, a.ranks)) + argv(s, a.exe, resume)
        text = " ".join(shlex.quote(c) for c in cmd)
        print(f"== {name}{' (resumed)' if resume else ''}: {text}", flush=True)
        record.set(name, started=now(), finished=None, command=text)
        t0 = time.time()
        rc = subprocess.call(cmd)
        how = f"killed by signal {-rc}" if rc < 0 else f"exit {rc}"
        if rc != 0 and not (s.get("may_fail") and rc > 0):
            record.set(name, failed=now(), exit_status=rc)
            fail(f"stage '{name}' failed ({how}); rerun to continue it"
                 f"{' from its checkpoints' if s.get('resume') else ''}")
        seconds = time.time() - t0
        record.set(name, finished=now(), seconds=round(seconds, 1), exit_status=rc)
        print(f"== {name}: {'done' if rc == 0 else how + ' (may_fail: the study goes on)'} in {hms(seconds)}",
              flush=True)
    done = [(s["name"], record.get(s["name"])) for s in stages]
    total = sum(r.get("seconds", 0) for _, r in done if r.get("finished"))
    print("== stage durations (h:mm:ss):")
    for name, r in done:
        status = f" (exit {r['exit_status']})" if r.get("finished") and r.get("exit_status") else ""
        print(f"   {name:<24} {hms(r['seconds']) + status if r.get('finished') else 'not finished'}")
    print(f"   {'total':<24} {hms(total)}", flush=True)

if __name__ == "__main__":
    main()
