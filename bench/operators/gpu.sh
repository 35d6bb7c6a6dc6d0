#!/usr/bin/env bash
# Builds the model library and its benchmark against a given libtorch (e.g. PyTorch's own,
# with CUDA) with the torch-only preset — no MPI, HDF5, VTK or FFTW needed — and times the
# operators on the GPU in one go. Keep it short: GPUs are lent for minutes.
#
#   bench/operators/gpu.sh TORCH_DIR [BUILD_DIR] [-- bench_operators options]
#   TORCH_DIR: the folder holding TorchConfig.cmake, e.g.
#     $(python3 -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
torch_dir=${1:?usage: gpu.sh TORCH_DIR [BUILD_DIR] [-- options]}
shift
build=${1:-$root/build/torch-only-gpu}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIFF_TORCH_ONLY=ON -DTorch_DIR="$torch_dir" \
  ${CUDAARCHS:+-DCMAKE_CUDA_ARCHITECTURES=$CUDAARCHS}
cmake --build "$build" --target bench_operators -j"$(nproc)"
"$build/bench/operators/bench_operators" --device cuda --threads "$(nproc)" --repeats 5 "$@"
