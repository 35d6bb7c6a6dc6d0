#!/usr/bin/env bash
# IFactFormer with each sample split in x-slabs (bench_slab) at 1, 2 and 4 ranks of one
# thread, and at 1 rank of 2 threads: time, resident-set peak per rank and bytes moved per
# forward, with each figure's ratio to the unsplit 1-rank x 1-thread run of the same script.
#   bash bench/operators/slab_scaling.sh [BUILD_DIR] [bench_slab options, e.g. --grid 64x33x32]
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
    f = dict(re.findall(r"(\w+) ([-0-9.e+na]+)", ln.split(":", 1)[1]))
    rows.append(f)
b = rows[0]
print("ranks x threads | forward s (speed-up) | train step s (speed-up) | train peak GiB per rank (ratio) | forward MB moved per rank")
for r in rows:
    sp = lambda k: float(b[k]) / float(r[k]) if float(r[k]) > 0 else float("nan")
    print(f"{r[\"ranks\"]} x {r[\"threads\"]} | {float(r[\"forward\"]):.3g} ({sp(\"forward\"):.2f}x) | "
          f"{float(r[\"train_step\"]):.3g} ({sp(\"train_step\"):.2f}x) | "
          f"{float(r[\"train_peak\"]):.3f} ({float(r[\"train_peak\"]) / float(b[\"train_peak\"]):.2f}) | "
          f"{float(r[\"forward_bytes_per_rank\"]):.4g}")
'
