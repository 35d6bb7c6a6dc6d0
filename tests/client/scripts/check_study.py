"""Client test of scripts/run_study.py on the repository's study files: every stage names
a known command and existing case files, the printed command lines carry the launcher and
the rank counts, the Slurm script it writes is valid bash, and bad study files are
rejected with one line naming the problem.

usage: python3 check_study.py REPO_ROOT
"""
import glob
import os
import subprocess
import sys
import tempfile

import yaml

root = sys.argv[1]
runner = os.path.join(root, "scripts", "run_study.py")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def study(*args, cwd=root):
    return subprocess.run([sys.executable, runner, *args], capture_output=True, text=True, cwd=cwd)


studies = sorted(glob.glob(os.path.join(root, "cases", "*", "study*.yaml")))
check(len(studies) >= 3, f"study files found: {studies}")
for path in studies:
    rel = os.path.relpath(path, root)
    with open(path) as f:
        doc = yaml.safe_load(f)
    stages = doc["stages"]
    for s in stages:
        for a in s["args"]:
            if isinstance(a, str) and a.startswith("cases/"):
                check(os.path.exists(os.path.join(root, a)), f"{rel}: stage {s['name']} names missing {a}")
    p = study(rel, "--exe", "IFF")
    check(p.returncode == 0, f"{rel}: --print failed: {p.stderr}")
    lines = p.stdout.splitlines()
    check(len(lines) == len(stages), f"{rel}: {len(lines)} command lines for {len(stages)} stages")
    for s, line in zip(stages, lines):
        check(line.startswith(f"mpirun -n {s.get('ranks', 1)} IFF {s['command']} "),
              f"{rel}: stage {s['name']} printed as {line!r}")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "job.sbatch")
        p = study(rel, "--sbatch", out)
        check(p.returncode == 0 and os.path.exists(out), f"{rel}: --sbatch failed: {p.stderr}")
        if os.path.exists(out):
            text = open(out).read()
            check(text.count("\nsrun -n ") == len(stages), f"{rel}: srun lines in the batch script")
            check(subprocess.run(["bash", "-n", out]).returncode == 0, f"{rel}: batch script is not valid bash")
            check(not os.path.exists(out + ".partial"), f"{rel}: partial batch script left behind")
    p = study(rel, "--only", stages[-1]["name"], "--exe", "IFF")
    check(p.returncode == 0 and len(p.stdout.splitlines()) == 1, f"{rel}: --only printed {p.stdout!r}")

with tempfile.TemporaryDirectory() as d:
    bad = {
        "unknown key": ("study: {name: x}\nstages:\n  - {name: a, command: dns, args: [c.yaml], rank: 2}\n", "unknown key 'rank'"),
        "unknown command": ("stages:\n  - {name: a, command: simulate, args: []}\n", "unknown ifactflow command 'simulate'"),
        "duplicate": ("stages:\n  - {name: a, command: dns, args: []}\n  - {name: a, command: dns, args: []}\n",
                      "duplicate stage name 'a'"),
        "bad ranks": ("stages:\n  - {name: a, command: dns, args: [], ranks: 0}\n", "ranks must be a positive integer"),
    }
    for what, (text, want) in bad.items():
        path = os.path.join(d, what.replace(" ", "_") + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        p = study(path)
        check(p.returncode != 0 and want in p.stderr and len(p.stderr.strip().splitlines()) == 1,
              f"{what}: exit {p.returncode}, stderr {p.stderr!r}")
    p = study(os.path.join(d, "missing.yaml"))
    check(p.returncode != 0 and "missing.yaml" in p.stderr, f"missing file: {p.stderr!r}")
    p = study(studies[0], "--only", "nonexistent") if studies else None
    check(p is None or (p.returncode != 0 and "no stage named 'nonexistent'" in p.stderr), "unknown --only stage")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print(f"run_study: {len(studies)} study files check out")
