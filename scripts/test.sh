#!/usr/bin/env bash
# The test command of the README (and of .ci/run): installs what is missing, builds the
# Release preset and runs every test label (unit, validation, mpi, client, slow, faults),
# then builds the asan preset and runs the torch-free tests and the input fuzzer under
# AddressSanitizer + UBSan (scripts/test_asan.sh), and prints the fault suite's summary line.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -L unit         # extra arguments go to ctest (Release only; no ASan stage)
#   IFF_NO_ASAN=1 bash scripts/test.sh   # Release only
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$(date +%s)
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
status=0
ctest --test-dir build/release --output-on-failure --no-tests=error -j "$(nproc)" "$@" || status=$?
release=$(date +%s)
if [ -f build/release/faults/summary.txt ]; then
  cat build/release/faults/summary.txt
fi
if [ $# -eq 0 ] && [ -z "${IFF_NO_ASAN:-}" ]; then
  bash scripts/test_asan.sh || status=$?
fi
echo "tests: finished in $(( $(date +%s) - start )) s (Release build and tests $(( release - start )) s)"
exit "$status"
