#!/usr/bin/env bash
# The demo's training and rollout on a GPU node, timed against the same stages on its CPUs.
# Builds ifactflow against a given libtorch (e.g. PyTorch's own, with CUDA) without VTK —
# besides libtorch only MPI, parallel HDF5, FFTW and the header/small libraries
# (scripts/setup.sh) are needed — then runs, on the demo case (cases/demo/):
#   1. dns and dataset (CPU, MPI): the filtered-DNS training set, unless one is given;
#   2. for each device (cpu, then cuda): train IFactFormer-m (cases/demo/ifactformer-m.yaml,
#      --device DEVICE), then roll it out from the held-out trajectory's first snapshot
#      (cases/demo/rollout.yaml, rollout.device = DEVICE, output.vtk_every = 0);
# and prints the wall time of each stage per device, the rollout's steps per second
# (cost.csv) and both rollouts' last relative L2 error (rollout.csv).
#
#   scripts/gpu_demo.sh TORCH_DIR [BUILD_DIR]
#   TORCH_DIR: the folder holding TorchConfig.cmake, e.g.
#     $(python3 -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')
#   BUILD_DIR: default build/gpu (configured with IFF_WITH_VTK=OFF, no tests or benchmarks)
# Environment:
#   IFF_GPU_DEMO_OUT      outputs (default BUILD_DIR/demo)
#   IFF_GPU_DEMO_DATASET  an existing training set (e.g. out/demo/dataset/fdns.h5): skips stage 1
#   IFF_GPU_DEMO_DEVICES  devices to time (default "cpu cuda"; "cuda" alone saves time)
#   IFF_GPU_DEMO_RANKS    ranks of train and rollout (default 1: one GPU; the DNS uses 2)
#   IFF_DEMO_EPOCHS       IFactFormer-m epochs (default 12, as scripts/run_demo.sh)
#   IFF_JOBS              build jobs (default nproc)
# Keep it short: GPUs are lent for minutes. Copying a training set made elsewhere
# (IFF_GPU_DEMO_DATASET) leaves the GPU machine only the stages being compared.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
torch_dir=${1:?usage: scripts/gpu_demo.sh TORCH_DIR [BUILD_DIR]}
build=$(mkdir -p "${2:-$root/build/gpu}" && cd "${2:-$root/build/gpu}" && pwd)
out=$(mkdir -p "${IFF_GPU_DEMO_OUT:-$build/demo}" && cd "${IFF_GPU_DEMO_OUT:-$build/demo}" && pwd)
devices=${IFF_GPU_DEMO_DEVICES:-cpu cuda}
ranks=${IFF_GPU_DEMO_RANKS:-1}
epochs=${IFF_DEMO_EPOCHS:-12}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
mpi=(mpirun -n "$ranks" --oversubscribe)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
declare -A seconds

t=$(now)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIFF_WITH_VTK=OFF -DIFF_BUILD_TESTS=OFF \
  -DIFF_BUILD_BENCH=OFF -DTorch_DIR="$torch_dir"
cmake --build "$build" --target ifactflow -j "${IFF_JOBS:-$(nproc)}"
seconds[build]=$(since "$t")
exe="$build/apps/ifactflow"
"$exe" --version
case " $devices " in
  *" cuda "*) "$exe" --version | grep -q "cuda x" ||
    { echo "gpu_demo: this libtorch sees no CUDA device ($torch_dir); IFF_GPU_DEMO_DEVICES=cpu runs the CPU half" >&2; exit 1; } ;;
esac

data=${IFF_GPU_DEMO_DATASET:-}
t=$(now)
if [ -z "$data" ]; then
  echo "== dns and dataset (CPU, 2 ranks): cases/demo/dns.yaml, cases/demo/dataset.yaml"
  OMP_NUM_THREADS=1 mpirun -n 2 --oversubscribe "$exe" dns "$root/cases/demo/dns.yaml" --set output.dir="$out/dns"
  OMP_NUM_THREADS=1 mpirun -n 2 --oversubscribe "$exe" dataset "$root/cases/demo/dataset.yaml" \
    --set initial.file="$out/dns/checkpoint.h5" --set output.dir="$out/dataset"
  data="$out/dataset/fdns.h5"
fi
seconds[data]=$(since "$t")
n_time=$("$exe" info "$data" | sed -n 's/^velocity *: \[\([0-9]*\), \([0-9]*\),.*/\2/p')
[ -n "$n_time" ] || { echo "gpu_demo: cannot read the training set's size ($data)" >&2; exit 1; }
steps=$(( n_time - 1 ))

for dev in $devices; do
  echo "== $dev: train IFactFormer-m ($epochs epochs, $ranks rank(s))"
  t=$(now)
  "${mpi[@]}" "$exe" train "$root/cases/demo/ifactformer-m.yaml" --device "$dev" \
    --set data.series="$data" --set data.val_trajectories=1 --set train.epochs="$epochs" \
    --set output.dir="$out/$dev/ifactformer-m"
  seconds[train.$dev]=$(since "$t")
  echo "== $dev: rollout IFactFormer-m, $steps steps"
  t=$(now)
  "${mpi[@]}" "$exe" rollout "$root/cases/demo/rollout.yaml" --set rollout.device="$dev" \
    --set rollout.checkpoint="$out/$dev/ifactformer-m/best.ckpt" --set rollout.series="$data" \
    --set rollout.steps="$steps" --set rollout.threads=0 --set output.vtk_every=0 \
    --set output.dir="$out/$dev/rollout-ifactformer-m"
  seconds[rollout.$dev]=$(since "$t")
done

# column NAME of the last row of a CSV file
column() { awk -F, -v n="$2" 'NR == 1 {for (i = 1; i <= NF; ++i) if ($i == n) c = i; next} END {if (c) print $c}' "$1"; }
echo
echo "gpu_demo: build ${seconds[build]} s, training set ${seconds[data]} s ($data)"
printf '%-10s %12s %12s %16s %14s\n' device "train [s]" "rollout [s]" "rollout steps/s" "last err_total"
for dev in $devices; do
  r="$out/$dev/rollout-ifactformer-m"
  printf '%-10s %12s %12s %16s %14s\n' "$dev" "${seconds[train.$dev]}" "${seconds[rollout.$dev]}" \
    "$(column "$r/cost.csv" steps_per_second)" "$(column "$r/rollout.csv" err_total)"
done
echo "(wall times of whole commands, start-up and I/O included; outputs in $out)"
