#!/usr/bin/env bash
# The test command of the README (and of .ci/run): installs what is missing, builds the
# Release preset and runs every test label (unit, validation, mpi, client, slow).
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -L unit         # extra arguments go to ctest
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$(date +%s)
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ctest --test-dir build/release --output-on-failure --no-tests=error -j "$(nproc)" "$@"
echo "tests: finished in $(( $(date +%s) - start )) s (build included)"
