#!/usr/bin/env bash
# The main job on the embedded demo case (toy sizes; minutes on 2 cores).
#   bash scripts/run_demo.sh IFACTFLOW_EXE OUTPUT_DIR
# Stages: DNS of a minimal turbulent channel -> summary of its snapshot series.
set -euo pipefail
exe="$1"
out="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ranks="${IFF_DEMO_RANKS:-2}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mpi=(mpirun -n "$ranks" --oversubscribe)
mkdir -p "$out"
start=$(date +%s)

cat <<MSG
ifactflow demo: TOY SIZES. A minimal channel (pi x 2 x 0.3pi, 16x33x16 modes, Re_tau ~ 180)
that becomes turbulent in about a minute on 2 cores. The published set-up is
cases/re180/dns.yaml (4pi x 2 x 4pi/3, 128x129x128): run it on a cluster with
  mpirun -n 64 build/release/apps/ifactflow dns cases/re180/dns.yaml
MSG

echo "== 1/2 DNS (${ranks} ranks): cases/demo/dns.yaml"
"${mpi[@]}" "$exe" dns "$root/cases/demo/dns.yaml" --set output.dir="$out/dns" ${IFF_DEMO_SET:-}

echo "== 2/2 what the DNS wrote"
for f in "$out"/dns/*.h5; do
  case "$f" in *checkpoint*) continue ;; esac
  "$exe" info "$f"
done
echo "demo finished in $(( $(date +%s) - start )) s; outputs in $out"
