#!/usr/bin/env bash
# The torch-free tests under AddressSanitizer + UBSan: builds the asan preset (Debug,
# IFF_SANITIZE, no libtorch) and runs the `unit` label and the input fuzzer (faults_fuzz)
# there. Not part of scripts/test.sh (a second full build: see the README's test section).
#   bash scripts/test_asan.sh              # build + run
#   bash scripts/test_asan.sh -R npy       # extra arguments go to ctest
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$(date +%s)
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake --preset asan >/dev/null
cmake --build --preset asan -j "${IFF_JOBS:-$(nproc)}"
built=$(date +%s)
# the test preset sets ASAN_OPTIONS and UBSAN_OPTIONS: halt on the first report of either,
# no leak check (MPI and HDF5 keep allocations to exit), the full-disk hook preloaded before
# the ASan runtime (its calls go on to ASan's interceptors); it also leaves out the fault
# suite's kill, full-disk and two-run sections (minutes of DNS under ASan; Release only)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ctest --preset asan -j "$(nproc)" -L 'unit|faults' "$@"
echo "asan: build $(( built - start )) s, tests $(( $(date +%s) - built )) s"
