#!/usr/bin/env bash
# Data-parallel training throughput, 1 rank x 2 threads vs 2 ranks x 1 thread (same global
# batch, same cores), with `ifactflow train` on a synthetic series (random fields written
# with numpy and converted by `ifactflow import`). Prints the samples/s of each run.
#
#   bench/operators/train_scaling.sh [IFACTFLOW] [CASE] [GRID] [STEPS]
#   defaults: build/release/apps/ifactflow, cases/demo/ifactformer-m.yaml, 16x33x16, 8
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exe=${1:-$root/build/release/apps/ifactflow}
case_file=${2:-$root/cases/demo/ifactformer-m.yaml}
grid=${3:-16x33x16}
steps=${4:-8}
work=$(mktemp -d /tmp/iff-train-scaling-XXXXXX)
trap 'rm -rf "$work"' EXIT
IFS=x read -r nx ny nz <<<"$grid"
/usr/bin/python3 - "$work/data.npy" "$nx" "$ny" "$nz" <<'PY'
import sys, numpy as np
path, nx, ny, nz = sys.argv[1], *map(int, sys.argv[2:])
rng = np.random.default_rng(0)
np.save(path, rng.standard_normal((2, 12, nx, ny, nz, 3)).astype(np.float32))
PY
"$exe" import "$work/data.npy" -o "$work/series.h5" --lx 3.14159 --lz 0.942478 >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for ranks in 1 2; do
  threads=$((2 / ranks))
  line=$(mpirun --oversubscribe -n "$ranks" "$exe" train "$case_file" --set data.series="$work/series.h5" \
           --set data.val_trajectories=0 --set output.dir="$work/out$ranks" --set train.epochs=100 \
           --set train.max_steps="$steps" --set train.batch_size=4 --threads "$threads" 2>&1 | grep "train: done")
  echo "$ranks rank(s) x $threads thread(s): ${line#*train: }"
done
