#!/usr/bin/env bash
# A neural operator (bench_slab --model; IFactFormer-m by default) with each sample split in x-slabs (bench_slab) at 1, 2 and 4 ranks of one
# thread, and at 1 rank of 2 threads: time, resident-set peak per rank and bytes moved per
# forward, with each figure's ratio to the unsplit 1-rank x 1-thread run of the same script.
#   bash bench/operators/slab_scaling.sh [BUILD_DIR] [bench_slab options, e.g. --grid 64x33x32 --model fno]
# Ranks beyond the cores are oversubscribed: their memory figures hold, their times do not.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build/release}"
shift || true
exe="$build/bench/operators/bench_slab"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
run() {  # ranks threads
  mpirun -n "$1" --oversubscribe --bind-to none "$exe" --threads "$2" "${@:3}"
}
lines=()
lines+=("$(run 1 1 "$@")")
lines+=("$(run 1 2 "$@")")
lines+=("$(run 2 1 "$@")")
lines+=("$(run 4 1 "$@")")
printf '%s\n' "${lines[@]}"
printf '%s\n' "${lines[@]}" | /usr/bin/python3 -c '
import re, sys
rows = []
for ln in sys.stdin:
    rows.append({k: float(v) for k, v in re.findall(r"(\w+) ([-0-9.e+na]+)", ln.split(":", 1)[1])})
b = rows[0]
print("ranks x threads | forward s (speed-up) | train step s (speed-up) | train peak GiB per rank (ratio)"
      " | MB moved per rank: forward, train step")
for r in rows:
    fw, st, pk = r["forward"], r["train_step"], r["train_peak"]
    print("%d x %d | %.3g (%.2fx) | %.3g (%.2fx) | %.3f (%.2f) | %.4g, %.4g" % (
        r["ranks"], r["threads"], fw, b["forward"] / fw, st, b["train_step"] / st, pk, pk / b["train_peak"],
        r["forward_bytes_per_rank"], r.get("train_bytes_per_rank", float("nan"))))
'
