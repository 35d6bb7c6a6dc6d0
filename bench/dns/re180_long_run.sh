#!/usr/bin/env bash
# The DNS validation against Moser, Kim & Mansour (1999) at Re_tau ~ 180 (not CI): the resolved
# channel of cases/re180/validation-dns.yaml from transition to a statistically steady state,
# then the table and figures of compare_mkm.py (docs/validation-re180.md shows them).
#
#   bench/dns/re180_long_run.sh [ranks] [t_end] [stats_start]     (defaults: 1, 40, 15)
#
# Rerun after a stop continues the flow from the run's checkpoint, but the statistics of a
# restarted run average from the restart on: keep t_end - (restart time) >= 20 h/u_tau.
# Needs a built ifactflow (IFF_EXE, default build/release/apps/ifactflow). On one core of a
# 2-core machine, 64x65x64 modes take about 0.15 s per step, dt ~ 0.001 h/u_tau: about
# 1.7 hours per 40 h/u_tau.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ranks="${1:-1}"
t_end="${2:-40}"
start="${3:-15}"
exe="${IFF_EXE:-$root/build/release/apps/ifactflow}"
out="${OUT:-$root/out/re180/validation-dns}"
sets=(--set "output.dir=$out" --set "time.t_end=$t_end" --set "output.stats_start=$start")
if [ -f "$out/checkpoint.h5" ]; then
  sets+=(--set initial.type=restart --set "initial.file=$out/checkpoint.h5")
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mpirun --oversubscribe -n "$ranks" "$exe" dns "$root/cases/re180/validation-dns.yaml" "${sets[@]}"
/usr/bin/python3 "$here/compare_mkm.py" "$out" --figures "$root/docs/images/re180" --markdown "$out/mkm.md"
