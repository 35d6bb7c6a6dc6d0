#!/usr/bin/env bash
# Rollout throughput of IFactFormer-m, FNO and IFNO (reference sizes, cases/re180/*.yaml) on
# the 32x33x16 grid, 1 rank x 2 threads and 2 ranks x 1 thread (same two cores), with the
# prediction series written every step and VTK of every trajectory every 10 steps. Each
# figure is the median of REPEATS runs of `ifactflow rollout`, read from the run's own
# cost.csv. Beside them, when the LES cases exist, the LES cost per unit simulated time on
# the same grid (`ifactflow dns cases/re180/les-*.yaml`, its cost.csv), per trajectory and
# per core, so that an operator step is set against the solver it replaces.
#
# Each operator runs in each arithmetic of PRECISIONS (rollout.precision): fp32, and
# bf16-mixed where the CPU has AVX512-BF16 (elsewhere bf16 is emulated, no faster, and not
# timed).
#
# The operators are trained for one optimizer step on a synthetic series (random weights
# are as fast as trained ones); the initial states are smooth synthetic fields.
#
#   bench/rollout/throughput.sh [IFACTFLOW]
#   env: STEPS (20), REPEATS (3), MODELS ("ifactformer-m fno ifno"), LES ("dsm wale smagorinsky"),
#        LES_STEPS (200), PRECISIONS ("fp32 bf16-mixed", or "fp32" without AVX512-BF16)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exe=${1:-$root/build/release/apps/ifactflow}
steps=${STEPS:-20}
repeats=${REPEATS:-3}
models=${MODELS:-ifactformer-m fno ifno}
les_models=${LES-dsm wale smagorinsky}
les_steps=${LES_STEPS:-200}
if grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null; then precisions=${PRECISIONS:-fp32 bf16-mixed}
else precisions=${PRECISIONS:-fp32}; fi
work=$(mktemp -d /tmp/iff-rollout-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi() { mpirun --oversubscribe --bind-to none -n "$@"; }

# two trajectories x 3 snapshots of a laminar profile with smooth disturbances
/usr/bin/python3 - "$work/data.npy" <<'PY'
import sys, numpy as np
nx, ny, nz = 32, 33, 16
x = np.arange(nx) * 4 * np.pi / nx
y = -np.cos(np.pi * np.arange(ny) / (ny - 1))
z = np.arange(nz) * 4 * np.pi / 3 / nz
X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
a = np.zeros((2, 3, nx, ny, nz, 3), np.float32)
for tr in range(2):
    for t in range(3):
        ph = 0.3 * tr + 0.1 * t
        a[tr, t, ..., 0] = 15 * (1 - Y**2) * (1 + 0.1 * np.sin(X + ph))
        a[tr, t, ..., 1] = (1 - Y**2) ** 2 * np.cos(X + 1.5 * Z + ph)
        a[tr, t, ..., 2] = (1 - Y**2) * np.sin(3 * Z - ph)
np.save(sys.argv[1], a)
PY
"$exe" import "$work/data.npy" -o "$work/series.h5" --lx 12.566370614359172 --lz 4.1887902047863905 --dt 0.2 \
  --kind fdns --re-tau 180 >/dev/null 2>&1

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
field() {  # field NAME FILE: a column of a one-row cost.csv
  awk -F, -v name="$1" 'NR==1 {for (i=1;i<=NF;i++) if ($i==name) c=i} NR==2 {print $c}' "$2"
}

printf "%-14s %-10s %-7s %9s %10s %12s %14s %8s\n" model precision layout "steps/s" "traj-st/s" "s/unit-time" \
  "core-s/unit/tr" output%
# every key comes from the --set options below
printf "rollout:\n  steps: 1\n" >"$work/rollout.yaml"
for model in $models; do
  "$exe" train "$root/cases/re180/$model.yaml" --set data.series="$work/series.h5" --set data.val_trajectories=0 \
    --set output.dir="$work/train-$model" --set train.max_steps=1 --set train.batch_size=1 --set train.epochs=1 \
    --threads 2 >/dev/null 2>&1 || { echo "$model: training for the checkpoint failed" >&2; exit 1; }
  for precision in $precisions; do
  for ranks in 1 2; do
    threads=$((2 / ranks))
    rm -f "$work/rates" "$work/unit" "$work/share"
    for r in $(seq "$repeats"); do
      out="$work/roll-$model-$precision-$ranks-$r"
      mpi "$ranks" "$exe" rollout "$work/rollout.yaml" --set rollout.checkpoint="$work/train-$model/last.ckpt" \
        --set rollout.series="$work/series.h5" --set rollout.initial=list --set "rollout.states=[0,0,1,0]" \
        --set rollout.steps="$steps" --set rollout.energy_band=0 --set rollout.batch=1 --set rollout.precision="$precision" \
        --set rollout.threads="$threads" --set output.dir="$out" --set output.vtk_every=10 \
        --set output.vtk_trajectories=2 --set output.series_every=1 --set output.progress_seconds=0 >"$out.log" 2>&1 ||
        { echo "$model ($precision): rollout on $ranks rank(s) failed:" >&2; { grep -m 1 "error" "$out.log" || tail -n 3 "$out.log"; } >&2; exit 1; }
      field steps_per_second "$out/cost.csv" >>"$work/rates"
      field wall_per_unit_time "$out/cost.csv" >>"$work/unit"
      awk -F, 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="wall_seconds") w=i; if ($i=="output_seconds") o=i}}
               NR==2 {print 100 * $o / $w}' "$out/cost.csv" >>"$work/share"
    done
    rate=$(median <"$work/rates"); unit=$(median <"$work/unit"); share=$(median <"$work/share")
    awk -v m="$model" -v p="$precision" -v l="${ranks}x${threads}" -v r="$rate" -v u="$unit" -v s="$share" \
      'BEGIN {printf "%-14s %-10s %-7s %9.3g %10.3g %12.4g %14.4g %7.1f%%\n", m, p, l, r, 2 * r, u, u, s}'
  done
  done
done

# LES on the same grid: one trajectory per run, from the same kind of state
les_seen=0
for model in $les_models; do
  case_file="$root/cases/re180/les-$model.yaml"
  [ -f "$case_file" ] || continue
  les_seen=1
  for ranks in 1 2; do
    rm -f "$work/unit"
    for r in $(seq "$repeats"); do
      out="$work/les-$model-$ranks-$r"
      mpi "$ranks" "$exe" dns "$case_file" --set initial.type=series --set initial.file="$work/series.h5" \
        --set initial.time_index=0 --set time.steps="$les_steps" --set time.adaptive=false \
        --set output.dir="$out" --set output.snapshot_every=0 --set output.stats_every=0 \
        --set output.checkpoint_every=100000 --set output.progress_seconds=0 >/dev/null 2>&1 ||
        { echo "les-$model on $ranks rank(s) failed (see $out)" >&2; exit 1; }
      [ -f "$out/cost.csv" ] || { echo "les-$model: no cost.csv from the dns command" >&2; exit 1; }
      field wall_per_unit_time "$out/cost.csv" >>"$work/unit"
    done
    unit=$(median <"$work/unit")
    awk -v m="les-$model" -v l="${ranks}x1" -v u="$unit" -v n="$ranks" \
      'BEGIN {printf "%-14s %-10s %-7s %9s %10s %12.4g %14.4g %8s\n", m, "fp64", l, "", "", u, u * n, ""}'
  done
done
[ "$les_seen" = 1 ] || echo "(LES cost not measured: LES is empty or no cases/re180/les-*.yaml)"
echo "s/unit-time: wall-clock seconds per unit of simulated time for the whole run (operators: 2 trajectories"
echo "advanced together; LES: 1); core-s/unit/tr: the same times the cores used (2), per trajectory."
echo "median of $repeats runs; operators: $steps steps of 0.2, series every step, VTK every 10 steps."
