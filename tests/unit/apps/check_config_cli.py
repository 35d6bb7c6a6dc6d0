"""`ifactflow config`: every case key of every command is listed with its meaning, default
and allowed values; every case file of the repository reads without an unknown key; relative
paths in a case file are resolved against its folder, those given by --set against the
working directory.

usage: python3 check_config_cli.py IFACTFLOW REPO_ROOT
"""
import concurrent.futures
import glob
import os
import subprocess
import sys
import tempfile

exe, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, cwd=root):
    return subprocess.run([exe, "--log-level", "warn", *args], capture_output=True, text=True, cwd=cwd)


def table(text):
    """{key: (value, allowed, meaning)} from the columns of `ifactflow config`."""
    lines = text.splitlines()
    head = lines[0]
    cols = [head.index(c) for c in ("key", head.split()[1], "allowed", "meaning")]
    rows = {}
    for ln in lines[1:]:
        cut = [ln[cols[i]:cols[i + 1]].strip() if i + 1 < len(cols) else ln[cols[i]:].strip() for i in range(4)]
        rows[cut[0]] = tuple(cut[1:])
    return rows


with_torch = "libtorch       : not built" not in run("--version").stdout
commands = ["dns", "dataset", "rollout", "compare"] + (["train"] if with_torch else [])
expected = {
    "dns": {"grid.nx": "32", "time.dt": "0.01", "time.order": "3", "initial.type": "perturbed", "sgs.model": "none",
            "sgs.dsm.test_filter": "sharp", "fftw.planner": "estimate", "output.spectra_y_plus": "[5, 15, 30, 100]"},
    "dataset": {"initial.file": "(required)", "dataset.n_traj": "21", "filter.grid": "32x33x16", "time.dt": "0.01"},
    "rollout": {"rollout.series": "(required)", "rollout.states": "[]", "rollout.steps": "100", "output.vtk_every": "10"},
    "compare": {"reference.file": "(required)", "candidates.0.label": "(required)", "horizons": "[1, 10, 100]",
                "slice.y_plus": "15"},
    "train": {"data.series": "(required)", "model.kind": "ifactformer-m", "model.dim": "96", "model.modes_x": "8",
              "model.n_layer": "10 / 4", "train.epochs": "30", "output.dir": "out/train"},
}
for cmd in commands:
    p = run("config", cmd)
    check(p.returncode == 0, f"config {cmd}: exit {p.returncode}: {p.stderr}")
    if p.returncode != 0:
        continue
    rows = table(p.stdout)
    check(len(rows) >= 10, f"config {cmd}: {len(rows)} keys")
    for key, (default, allowed, meaning) in rows.items():
        check(len(meaning) >= 8, f"config {cmd}: {key} has no meaning ({meaning!r})")
        check(default != "" or key.endswith(("dir", "file", "checkpoint", "solver", "plot_script", "kind", "label")),
              f"config {cmd}: {key} has no default")
    for key, default in expected.get(cmd, {}).items():
        check(key in rows, f"config {cmd}: {key} missing")
        if key in rows:
            check(rows[key][0] == default, f"config {cmd}: {key} default {rows[key][0]!r}, expected {default!r}")
    # the meanings carry their units where a key has them
    if cmd == "dns":
        check("[h]" in rows["grid.lx"][2] and "h/u_tau" in rows["time.dt"][2], "config dns: units of grid.lx, time.dt")
        check(rows["time.order"][1] == "[1, 3]", f"config dns: time.order allowed {rows['time.order'][1]!r}")
        check("restart" in rows["initial.type"][1], "config dns: initial.type choices")
        check(rows["output.dir"][1] == "path", "config dns: output.dir is a path")


def command_of(path):
    text = open(path).read()
    tops = {ln.split(":")[0] for ln in text.splitlines() if ln and not ln[0].isspace() and not ln.startswith("#")}
    if "candidates" in tops:
        return "compare"
    if "rollout" in tops:
        return "rollout"
    if "dataset" in tops:
        return "dataset"
    if tops & {"train", "model", "data"}:
        return "train"
    return "dns"


cases = [c for c in sorted(glob.glob(os.path.join(root, "cases", "*", "*.yaml")))
         if not os.path.basename(c).startswith("study")]
check(len(cases) >= 40, f"{len(cases)} case files")
def resolve(path):
    rel = os.path.relpath(path, root)
    cmd = command_of(path)
    if cmd == "train" and not with_torch:
        return rel, cmd, None
    return rel, cmd, run("config", cmd, "--resolved", rel)


# each run is mostly process start-up (MPI, libtorch): several at once
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
    for rel, cmd, p in pool.map(resolve, cases):
        if p is None:
            continue
        check(p.returncode == 0, f"config {cmd} --resolved {rel}: {p.stderr.strip()}")
        if p.returncode == 0:
            rows = table(p.stdout)
            out = rows.get("output.dir", ("",))[0]
            # the repository's cases write under out/ of the repository root
            check(out.startswith("out/") or out == "", f"{rel}: output.dir resolves to {out!r}")

# relative to the case file's folder, wherever the command runs from; --set: the working directory
with tempfile.TemporaryDirectory() as d:
    p = run("config", "dns", "--resolved", os.path.join(root, "cases", "demo", "dns.yaml"), cwd=d)
    check(p.returncode == 0 and table(p.stdout)["output.dir"][0] == os.path.join(root, "out", "demo", "dns"),
          f"absolute case path from elsewhere: {p.stdout[:200]} {p.stderr}")
    p = run("config", "rollout", "--resolved", "cases/demo/rollout-les-dsm.yaml")
    check(p.returncode == 0 and table(p.stdout)["rollout.solver"][0] == "cases/demo/les-dsm.yaml",
          f"rollout.solver beside the case: {p.stdout[:300]} {p.stderr}")
    p = run("config", "dns", "--resolved", "cases/demo/dns.yaml", "--set", "output.dir=elsewhere", "--set", "time.dt=0.5")
    rows = table(p.stdout) if p.returncode == 0 else {}
    check(rows.get("output.dir", ("",))[0] == "elsewhere", f"--set output.dir stays as given: {rows.get('output.dir')}")
    check(rows.get("time.dt", ("",))[0] == "0.5", f"--set time.dt: {rows.get('time.dt')}")
    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write("grid: {nx: 16}\ntime: {dtt: 0.1}\n")
    p = run("config", "dns", "--resolved", bad)
    check(p.returncode != 0 and "unknown key time.dtt" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
          f"unknown key: exit {p.returncode}, {p.stderr!r}")
    p = run("config", "simulate")
    check(p.returncode != 0 and "simulate" in p.stderr, f"unknown command: {p.stderr!r}")
    p = run("config", "dns", "--set", "time.dt=1")
    check(p.returncode != 0 and "--set needs --resolved" in p.stderr, f"--set alone: {p.stderr!r}")

# docs/case-keys.md is what this build reads (train only in a build with libtorch)
if with_torch:
    with tempfile.TemporaryDirectory() as d:
        made = subprocess.run(["bash", os.path.join(root, "scripts", "case_keys_doc.sh"), exe, os.path.join(d, "keys.md")],
                              capture_output=True, text=True)
        check(made.returncode == 0, f"case_keys_doc.sh: exit {made.returncode}: {made.stderr}")
        if made.returncode == 0:
            with open(os.path.join(d, "keys.md")) as f, open(os.path.join(root, "docs", "case-keys.md")) as g:
                check(f.read() == g.read(), "docs/case-keys.md differs from the build's keys: run bash scripts/case_keys_doc.sh")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
