#!/usr/bin/env bash
# Long run (not CI): LES-DSM and LES-WALE at Re_tau = 180 on the coarse grid 32 x 33 x 16
# (cases/re180/les-dsm.yaml, les-wale.yaml: MKM box, U_b+ = 15.68, dt 0.0025) to a
# statistically steady state; then Re_tau, U_b+, U_c+, peak u'+ and peak -u'v'+ of each LES
# beside the filtered DNS and Moser, Kim & Mansour (1999) (compare_les.py).
#
#   bench/les/re180_les_long_run.sh [t_end] [ranks] [FDNS.h5]
#     t_end   simulated time in h/u_tau (default 100; statistics over t >= t_end/2)
#     FDNS.h5 filtered-DNS series on 32x33x16 (default out/re180/dataset/fdns.h5, the training set
#             of cases/re180/dataset.yaml). When it exists the LES start from its first snapshot
#             and its statistics (ifactflow stats) form the filtered-DNS column; otherwise the LES
#             start from laminar flow plus a random perturbation of rms 3 u_tau (transition takes
#             some 20-40 h/u_tau) and the filtered-DNS column stays empty.
# Needs a built ifactflow (IFF_EXE or build/release/apps/ifactflow, the release preset). Measured on the shared 2-core
# machine, 1 rank, t_end = 100 (40,000 steps, outputs included): DSM 15m44s, WALE 11m24s.
# Recorded (t_end = 100, no training set: perturbed laminar start, statistics over t >= 50):
#               Re_tau   U_b+   U_c+  peak u'+  peak -u'v'+
#   LES-DSM     165.6   17.05  20.05   2.93      0.57
#   LES-WALE    166.2   16.98  20.09   2.86      0.64
#   MKM 1999    178.1   15.68  18.30   2.66      0.72
# (the coarse grid under-predicts the wall shear by ~7%, so U_b+ and U_c+ are ~9% high)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
t_end="${1:-100}"
ranks="${2:-1}"
fdns="${3:-$root/out/re180/dataset/fdns.h5}"
exe="${IFF_EXE:-$root/build/release/apps/ifactflow}"
out="${OUT:-$root/out/re180_les_long}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
half=$(/usr/bin/python3 -c "print(0.5*$t_end)")
init=(--set initial.type=perturbed --set initial.amplitude=3)
compare=()
if [ -f "$fdns" ]; then
  init=(--set "initial.file=$fdns")
  "$exe" stats "$fdns" -o "$out/fdns_stats" --re-tau 180
  compare=(--fdns "$out/fdns_stats")
else
  echo "re180_les_long_run: no filtered-DNS series at $fdns: LES start from a perturbed laminar flow"
fi
for model in dsm wale; do
  mpirun --oversubscribe -n "$ranks" "$exe" dns "$root/cases/re180/les-$model.yaml" "${init[@]}" \
      --set "time.t_end=$t_end" --set "output.stats_start=$half" --set "output.dir=$out/les-$model" \
      --set output.snapshot_every=0 --set output.progress_seconds=30
done
/usr/bin/python3 "$here/compare_les.py" "$out/les-dsm" "$out/les-wale" "${compare[@]}"
