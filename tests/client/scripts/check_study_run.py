"""Client test of `scripts/run_study.py --run` with ifactflow itself: a two-stage study (a
short DNS, then `info` on its checkpoint) whose DNS is killed by SIGKILL part-way
(IFF_DNS_KILL_AFTER) stops the study with one line and a record saying the stage started and
did not finish; the next run continues that stage with its `resume` arguments (a restart
from its checkpoint) and finishes; a third run skips both finished stages; --from reruns
from the named stage; the stage durations are printed; --ranks caps every stage at its
max_ranks; a failing stage with may_fail is recorded with its exit status and the study goes
on, one without it stops the study.

usage: python3 check_study_run.py REPO_ROOT IFACTFLOW
"""
import json
import os
import subprocess
import sys
import tempfile

root, exe = sys.argv[1], os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(root, "tests", "support"))
import cli_checks as c  # noqa: E402

runner = os.path.join(root, "scripts", "run_study.py")


def study(path, *args, env=None):
    return subprocess.run([sys.executable, runner, path, "--exe", exe, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


with tempfile.TemporaryDirectory() as d:
    dns_dir = os.path.join(d, "dns")
    with open(os.path.join(d, "dns.yaml"), "w") as f:
        f.write("grid: {nx: 8, ny: 17, nz: 8, lx: 6.283185307179586, lz: 3.141592653589793}\n"
                "physics: {units: centreline, re: 2000, driving: pressure_gradient}\n"
                "time: {dt: 0.01, steps: 40}\n"
                "initial: {type: perturbed, amplitude: 0.1, seed: 3}\n"
                f"output: {{dir: {dns_dir}, csv_every: 5, checkpoint_every: 10, progress_seconds: 0}}\n")
    record = os.path.join(d, "out", "record.json")
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(f"study: {{name: t, launcher: '', record: {record}}}\n"
                "stages:\n"
                f"  - {{name: dns, command: dns, args: [{d}/dns.yaml], ranks: 1, max_ranks: 4,\n"
                f"     resume: [--set, initial.type=restart, --set, initial.file={dns_dir}/checkpoint.h5]}}\n"
                f"  - {{name: info, command: info, args: [{dns_dir}/checkpoint.h5]}}\n")
    path = os.path.join(d, "study.yaml")

    p = study(path, "--run", env={"IFF_DNS_KILL_AFTER": "25"})
    c.check(p.returncode != 0, f"killed stage: exit {p.returncode}")
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    c.check(last.startswith("run_study: error: stage 'dns' failed (killed by signal 9)")
            and "rerun to continue it from its checkpoints" in last, f"killed stage: last line {last!r}")
    rec = json.load(open(record))["stages"]
    c.check(rec["dns"].get("started") and not rec["dns"].get("finished"), f"record after the kill: {rec}")
    c.check("info" not in rec, f"the stage after the failed one did not start: {rec}")

    p = study(path, "--run")
    c.check(p.returncode == 0, f"resumed run: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    c.check("== dns (resumed):" in p.stdout and "initial.type=restart" in p.stdout, f"resumed run: {p.stdout}")
    c.check("restart from" in p.stderr + p.stdout, "the dns stage restarted from its checkpoint")
    rows = open(os.path.join(dns_dir, "timeseries.csv")).read().splitlines()
    c.check(rows[-1].startswith("40,"), f"the resumed DNS ran to step 40: {rows[-1]}")
    rec = json.load(open(record))["stages"]
    c.check(all(rec[s].get("finished") and rec[s].get("seconds", -1) >= 0 for s in ("dns", "info")), f"record: {rec}")
    c.check("== stage durations" in p.stdout and "total" in p.stdout, f"durations printed: {p.stdout}")

    mtime = os.path.getmtime(os.path.join(dns_dir, "checkpoint.h5"))
    p = study(path, "--run")
    c.check(p.returncode == 0 and p.stdout.count(", skipped") == 2, f"finished stages skipped: {p.stdout}")
    c.check(os.path.getmtime(os.path.join(dns_dir, "checkpoint.h5")) == mtime, "a skipped stage writes nothing")

    p = study(path, "--run", "--from", "info")
    c.check(p.returncode == 0 and "== info:" in p.stdout and "== dns" not in p.stdout.split("== stage durations")[0],
            f"--from info: {p.stdout}")

    # may_fail: a failing stage (info on a missing file) is recorded and the next one runs
    failing = os.path.join(d, "failing.yaml")
    record2 = os.path.join(d, "out", "record2.json")
    for may_fail in (True, False):
        if os.path.exists(record2):
            os.remove(record2)
        with open(failing, "w") as f:
            f.write(f"study: {{name: f, launcher: '', record: {record2}}}\n"
                    "stages:\n"
                    f"  - {{name: bad, command: info, args: [{d}/missing.h5], may_fail: {str(may_fail).lower()}}}\n"
                    f"  - {{name: good, command: info, args: [{dns_dir}/checkpoint.h5]}}\n")
        p = study(failing, "--run")
        rec = json.load(open(record2))["stages"]
        if may_fail:
            c.check(p.returncode == 0 and "may_fail: the study goes on" in p.stdout and rec["bad"].get("finished")
                    and rec["bad"].get("exit_status") == 1 and rec["good"].get("finished"),
                    f"may_fail: exit {p.returncode}, record {rec}\n{p.stdout}")
            c.check("(exit 1)" in p.stdout.split("== stage durations")[-1], f"may_fail: durations {p.stdout}")
        else:
            c.check(p.returncode != 0 and "good" not in rec and not rec["bad"].get("finished"),
                    f"without may_fail: exit {p.returncode}, record {rec}")

    # --ranks N: every stage on min(N, max_ranks) ranks (max_ranks defaults to ranks)
    cluster = os.path.join(d, "cluster.yaml")
    with open(cluster, "w") as f:
        f.write("study: {name: c, launcher: 'mpirun -n {ranks}'}\n"
                "stages:\n  - {name: a, command: dns, args: [x.yaml], ranks: 2, max_ranks: 16}\n"
                "  - {name: b, command: rollout, args: [y.yaml], ranks: 2}\n")
    for n, want in ((None, ["mpirun -n 2 ", "mpirun -n 2 "]), ("8", ["mpirun -n 8 ", "mpirun -n 2 "]),
                    ("1", ["mpirun -n 1 ", "mpirun -n 1 "])):
        p = study(cluster, "--print", *(["--ranks", n] if n else []))
        lines = p.stdout.splitlines()
        c.check(p.returncode == 0 and len(lines) == 2 and all(l.startswith(w) for l, w in zip(lines, want)),
                f"--ranks {n}: {lines} {p.stderr}")

c.finish("run_study --run: kill, resume, skip, --from")
