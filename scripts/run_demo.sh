#!/usr/bin/env bash
# The main job on the embedded demo case (toy sizes; minutes on 2 cores).
#   bash scripts/run_demo.sh IFACTFLOW_EXE OUTPUT_DIR
# Stages: DNS of a minimal turbulent channel -> statistics -> filtered DNS on a coarse grid
# -> IFactFormer-m (and FNO) trained for a few epochs on the DNS snapshots -> rollout with
# VTK, errors and spectra.
# IFF_DEMO_SET adds --set overrides to the DNS (the reduced CI run shortens it);
# IFF_DEMO_EPOCHS and IFF_DEMO_STEPS shorten training and rollout.
set -euo pipefail
exe="$1"
out="$(mkdir -p "$2" && cd "$2" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ranks="${IFF_DEMO_RANKS:-2}"
epochs="${IFF_DEMO_EPOCHS:-4}"
steps="${IFF_DEMO_STEPS:-40}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mpi=(mpirun -n "$ranks" --oversubscribe)
start=$(date +%s)
stage() { echo; echo "== [$(( $(date +%s) - start )) s] $*"; }

cat <<MSG
ifactflow demo: TOY SIZES. A minimal channel (pi x 2 x 0.3pi, 16x33x16 modes, Re_tau ~ 180)
becomes turbulent in about a minute on 2 cores; small operators train on its snapshots for
a few epochs. These figures only show the pipeline working, not converged physics or a
converged model. The published set-ups are in cases/re180/ (DNS 4pi x 2 x 4pi/3 on
128x129x128; operators at the published sizes); on a cluster, e.g.
  mpirun -n 64 build/release/apps/ifactflow dns   cases/re180/dns.yaml
  mpirun -n 8  build/release/apps/ifactflow train cases/re180/ifactformer-m.yaml
MSG

stage "1/6 DNS (${ranks} ranks): cases/demo/dns.yaml"
# snapshots every 0.5 time units (25 steps): the operators learn that step
"${mpi[@]}" "$exe" dns "$root/cases/demo/dns.yaml" --set output.dir="$out/dns" --set output.snapshot_every=25 \
    ${IFF_DEMO_SET:-}
"$exe" info "$out/dns/snapshots.h5" | tee "$out/dns/info.txt"
n_time=$(sed -n 's/^time *: \([0-9]*\) snapshots.*/\1/p' "$out/dns/info.txt")

stage "2/6 statistics and spectra of the second half of the DNS snapshots"
"$exe" stats "$out/dns/snapshots.h5" -o "$out/dns/stats" --start $(( n_time / 2 ))

stage "3/6 filtered DNS: the snapshots filtered onto the coarse grid 8x17x8 (a small training set)"
"${mpi[@]}" "$exe" filter "$out/dns/snapshots.h5" --grid 8x17x8 -o "$out/fdns.h5"
"$exe" stats "$out/fdns.h5" -o "$out/fdns_stats" --start $(( n_time / 2 ))

stage "4/6 train IFactFormer-m (${epochs} epochs, ${ranks} ranks, data parallel)"
"${mpi[@]}" "$exe" train "$root/cases/demo/ifactformer-m.yaml" --set data.series="$out/dns/snapshots.h5" \
    --set output.dir="$out/ifactformer-m" --set train.epochs="$epochs"

stage "5/6 train FNO briefly (baseline)"
"${mpi[@]}" "$exe" train "$root/cases/demo/fno.yaml" --set data.series="$out/dns/snapshots.h5" \
    --set output.dir="$out/fno" --set train.epochs="$epochs"

stage "6/6 rollout of IFactFormer-m (${ranks} ranks): VTK, errors, statistics"
last=$(( n_time - 1 ))
first=$(( last > steps ? last - steps : 0 ))
"${mpi[@]}" "$exe" rollout "$root/cases/demo/rollout.yaml" --set rollout.checkpoint="$out/ifactformer-m/best.ckpt" \
    --set rollout.series="$out/dns/snapshots.h5" --set rollout.states="[0, $first]" \
    --set rollout.steps="$steps" --set output.dir="$out/rollout"

echo
echo "demo finished in $(( $(date +%s) - start )) s. Outputs in $out:"
echo "  dns/timeseries.csv, dns/snapshots.h5, dns/stats/       DNS time series, snapshots, profiles and spectra"
echo "  fdns.h5, fdns_stats/                                   filtered DNS on 8x17x8 and its statistics"
echo "  ifactformer-m/, fno/                                   checkpoints and training logs"
echo "  rollout/prediction.h5, rollout/rollout.csv             prediction and its error against the DNS"
echo "  rollout/vtk/rollout_traj0.pvd                          open in ParaView"
echo "  rollout/stats/                                         profiles and spectra of the prediction"
