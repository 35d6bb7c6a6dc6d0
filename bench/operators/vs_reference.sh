#!/usr/bin/env bash
# IFactFormer forward (batch 1, 32x33x16, float32) of ifactflow against the reference PyTorch
# code on the same machine in the same script: the two run alternately ROUNDS times, and
# the medians over the rounds and their ratio are printed, with the sgemm rate bench_operators
# measures in each of its runs.
#
#   bench/operators/vs_reference.sh REFERENCE_DIR [BENCH_OPERATORS] [ROUNDS] [THREADS]
#   REFERENCE_DIR: a checkout of huiyu-2002/IFactFormer-m (imported, not copied)
#   defaults: build/release/bench/operators/bench_operators, 3 rounds, 2 threads
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=${1:?usage: vs_reference.sh REFERENCE_DIR [BENCH_OPERATORS] [ROUNDS] [THREADS]}
bench=${2:-$root/build/release/bench/operators/bench_operators}
rounds=${3:-3}
threads=${4:-2}
[ -d "$ref/libs" ] || { echo "vs_reference.sh: $ref has no libs/ (not a checkout of IFactFormer-m)" >&2; exit 2; }
[ -x "$bench" ] || { echo "vs_reference.sh: $bench not built" >&2; exit 2; }
ours=() theirs=() sgemm=()
for r in $(seq "$rounds"); do
  line=$(/usr/bin/python3 "$root/bench/operators/time_reference.py" "$ref" --threads "$threads" 2>/dev/null | grep '^reference')
  echo "round $r: $line"
  theirs+=("$(sed -E 's/.*: ([0-9.]+) s median.*/\1/' <<<"$line")")
  out=$("$bench" --threads "$threads" --models ifactformer-m --repeats 3 --forward-only)
  fwd=$(grep 'forward  batch 1' <<<"$out")
  echo "round $r: ifactflow ifactformer-m $fwd"
  ours+=("$(sed -E 's/.*batch 1 : +([0-9.]+) s.*/\1/' <<<"$fwd")")
  sgemm+=("$(sed -nE 's/^sgemm.* ([0-9.]+) GFLOP\/s.*/\1/p' <<<"$out")")
done
/usr/bin/python3 - "${theirs[*]}" "${ours[*]}" "${sgemm[*]}" <<'PY'
import statistics as st, sys
ref, ours, sg = ([float(v) for v in s.split()] for s in sys.argv[1:4])
mr, mo, ms = st.median(ref), st.median(ours), st.median(sg)
print(f"median over {len(ref)} rounds: reference {mr:.3f} s, ifactflow {mo:.3f} s, ratio {mr / mo:.2f}x; "
      f"sgemm {ms:.1f} GFLOP/s; ifactflow {79.8 / mo:.1f} GFLOP/s = {100 * 79.8 / mo / ms:.1f}% of sgemm (79.8 GFLOP)")
PY
