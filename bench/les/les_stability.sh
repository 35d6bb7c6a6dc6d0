#!/usr/bin/env bash
# Full-length LES stability runs (not CI): tests/validation/solvers/test_les_stability with
# 2,000 steps at Re_tau = 180 (32x33x16, dt 0.0025) and 300 steps at Re_tau = 395 (64x49x24,
# dt 0.0005) and 590 (96x65x48, dt 0.0004), each SGS model, from a turbulent-like state
# (Reichardt mean profile + random fluctuations). Prints one line per run (max CFL, E', Re_tau,
# <nu_t>/nu in the core, min (nu + nu_t)/nu).
#   bench/les/les_stability.sh [BUILD_DIR]      (default build/release, the release preset)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/release}"
exe="$build/tests/validation/solvers/test_les_stability"
[ -x "$exe" ] || { echo "les_stability.sh: $exe not built" >&2; exit 1; }
IFF_LES_STEPS=2000 "$exe" | grep -E "^Re_tau|FAILED"
IFF_LES_RE=395 IFF_LES_STEPS=300 "$exe" | grep -E "^Re_tau|FAILED"
IFF_LES_RE=590 IFF_LES_STEPS=300 "$exe" | grep -E "^Re_tau|FAILED"
