#!/usr/bin/env bash
# Long run (not CI): Re_tau = 180 channel (cases/re180/dns.yaml: MKM box, U_b+ = 15.68) from
# transition to a statistically steady state, then Re_tau, U_b+, U_c+ and the peak u'+
# against Moser, Kim & Mansour (1999) (VALIDATION.md).
#
#   bench/dns/re180_long_run.sh [coarse|full] [ranks] [t_end]
#     coarse: 64 x 65 x 64 modes (default), full: 128 x 129 x 128
# Needs a built ifactflow (IFF_EXE or build/dns/apps/ifactflow). On 2 cores the coarse grid
# takes roughly 0.1 s per step, i.e. about 3 hours per 100 h/u_tau at dt+ = 0.18.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
grid="${1:-coarse}"
ranks="${2:-2}"
t_end="${3:-100}"
exe="${IFF_EXE:-$root/build/dns/apps/ifactflow}"
out="${OUT:-$root/out/re180_long_$grid}"
sets=(--set "output.dir=$out" --set "time.t_end=$t_end" --set "output.stats_start=$(python3 -c "print(0.5*$t_end)")")
if [ "$grid" = coarse ]; then
  sets+=(--set grid.nx=64 --set grid.ny=65 --set grid.nz=64 --set time.dt=0.002)
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --oversubscribe -n "$ranks" "$exe" dns "$root/cases/re180/dns.yaml" "${sets[@]}"
python3 "$here/compare_mkm.py" "$out"
