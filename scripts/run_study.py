#!/usr/bin/env python3
"""Runs, prints or writes as a batch script the stages of a study (cases/*/study.yaml):
one `ifactflow` command per stage, each under the study's MPI launcher with its own rank
count, in order, stopping at the first failure.

usage: run_study.py STUDY.yaml [--exe PATH] [--print | --run | --sbatch FILE] [--only NAME ...] [--from NAME]

STUDY.yaml:
  study:   {name, launcher: "mpirun -n {ranks}", slurm: {nodes, ntasks_per_node, time, partition?, account?}}
  stages:  [{name, command, args: [...], ranks, set: ["key=value", ...], estimate: "text"}, ...]
Paths in args are relative to the directory the study is run from (the repository root).
"""
import argparse
import os
import shlex
import subprocess
import sys
import time

import yaml

COMMANDS = {"dns", "dataset", "filter", "import", "train", "convert", "rollout", "stats", "compare", "info"}
STUDY_KEYS = {"name", "launcher", "slurm", "description"}
STAGE_KEYS = {"name", "command", "args", "ranks", "set", "estimate"}
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
        if not isinstance(s.get("ranks", 1), int) or s.get("ranks", 1) < 1:
            fail(f"{where} ({s['name']}): ranks must be a positive integer")
    return study, doc["stages"]


def argv(stage, exe):
    a = [exe, stage["command"]] + [str(x) for x in stage["args"]]
    for kv in stage.get("set") or []:
        a += ["--set", str(kv)]
    return a


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
    a = p.parse_args()
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
    for s in stages:
        cmd = launcher(study, s.get("ranks", 1)) + argv(s, a.exe)
        text = " ".join(shlex.quote(c) for c in cmd)
        if not a.run:
            est = f"   # {s['estimate']}" if s.get("estimate") else ""
            print(f"{text}{est}")
            continue
        print(f"== {s['name']}: {text}", flush=True)
        t0 = time.time()
        rc = subprocess.call(cmd)
        if rc != 0:
            fail(f"stage '{s['name']}' failed (exit {rc}); rerun with --from {s['name']}")
        print(f"== {s['name']}: done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
