"""What the client scripts share: named checks that collect their failures, and ifactflow
run on 1 or more ranks (mpirun, as root where the machine runs the tests as root)."""
import os
import subprocess
import sys

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(exe, args, ranks=1, env=None, forward=()):
    """(exit status, stdout + stderr) of `exe args` on `ranks` ranks; `env` replaces ENV, and
    under mpirun the variables named in `forward` reach every rank."""
    cmd = [exe] + args
    if ranks > 1:
        cmd = ["mpirun", "-n", str(ranks), "--oversubscribe"] + [a for v in forward for a in ("-x", v)] + cmd
    p = subprocess.run(cmd, env=env or ENV, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def must(exe, args, ranks=1):
    """The output of a run that has to succeed; the script ends with its output otherwise."""
    rc, out = run(exe, args, ranks)
    if rc != 0:
        print(out)
        raise SystemExit(f"{' '.join([exe] + args)} on {ranks} rank(s) failed (exit {rc})")
    return out


def finish(done):
    """Ends the script: the failed checks, or `done`."""
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print(done)
