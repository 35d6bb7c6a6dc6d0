#!/usr/bin/env bash
# The main job on the embedded demo case (toy sizes; minutes on 2 cores).
#   bash scripts/run_demo.sh IFACTFLOW_EXE OUTPUT_DIR
# Stages: DNS of a minimal turbulent channel -> filtered-DNS training set (an ensemble of
# perturbed DNS trajectories filtered onto 8x17x8) -> LES (DSM, WALE) on 8x17x8 from the
# held-out trajectory's first snapshot -> IFactFormer-m, IFactFormer-o, FNO and IFNO trained
# briefly on the other trajectories -> rollouts from the same snapshot -> compare: tables,
# figures and report.html.
# Environment (the reduced CI run shortens every stage):
#   IFF_DEMO_RANKS (2), IFF_DEMO_SET (extra --set for the DNS), IFF_DEMO_DATASET_SET (for the
#   dataset), IFF_DEMO_EPOCHS (IFactFormer-m; the others train for half, at least 1),
#   IFF_DEMO_STEPS (rollout and LES length in snapshot intervals; default n_time - 1)
set -euo pipefail
exe="$1"
out="$(mkdir -p "$2" && cd "$2" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ranks="${IFF_DEMO_RANKS:-2}"
epochs="${IFF_DEMO_EPOCHS:-12}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mpi=(mpirun -n "$ranks" --oversubscribe)
start=$(date +%s)
stage() { echo; echo "== [$(( $(date +%s) - start )) s] $*"; }

cat <<MSG
ifactflow demo: TOY SIZES. A minimal channel (pi x 2 x 0.3pi, 16x33x16 modes, Re_tau ~ 180)
becomes turbulent in about a minute on 2 cores; a few perturbed copies of it, filtered onto
8x17x8, train small operators for a few epochs, and LES runs on the same 8x17x8 grid. The
figures show the pipeline working, not converged physics or converged models. The published
set-up (Re_tau 180, DNS 128x129x128, 21 trajectories x 400 snapshots on 32x33x16, operators
at the published sizes) is cases/re180/study.yaml, for a cluster:
  python3 scripts/run_study.py cases/re180/study.yaml --print            # the command lines
  python3 scripts/run_study.py cases/re180/study.yaml --sbatch re180.sbatch   # a Slurm job
MSG

stage "1/7 DNS (${ranks} ranks): cases/demo/dns.yaml"
"${mpi[@]}" "$exe" dns "$root/cases/demo/dns.yaml" --set output.dir="$out/dns" ${IFF_DEMO_SET:-}

stage "2/7 training set: perturbed DNS trajectories from the DNS's last state, filtered onto 8x17x8"
"${mpi[@]}" "$exe" dataset "$root/cases/demo/dataset.yaml" --set initial.file="$out/dns/checkpoint.h5" \
    --set output.dir="$out/dataset" ${IFF_DEMO_DATASET_SET:-}
"$exe" info "$out/dataset/fdns.h5" | tee "$out/dataset/info.txt"
n_traj=$(sed -n 's/^velocity *: \[\([0-9]*\), \([0-9]*\),.*/\1/p' "$out/dataset/info.txt")
n_time=$(sed -n 's/^velocity *: \[\([0-9]*\), \([0-9]*\),.*/\2/p' "$out/dataset/info.txt")
[ -n "$n_traj" ] && [ -n "$n_time" ] || { echo "demo: cannot read the training set's size" >&2; exit 1; }
steps="${IFF_DEMO_STEPS:-$(( n_time - 1 ))}"
held=$(( n_traj - 1 ))   # the operators hold out the last trajectory (data.val_trajectories = 1)
dt_snap=$(sed -n 's/^time *: .*, interval \([0-9.e+-]*\).*/\1/p' "$out/dataset/info.txt")
[ -n "$dt_snap" ] || { echo "demo: cannot read the training set's snapshot interval" >&2; exit 1; }
t_les=$(awk -v s="$steps" -v d="$dt_snap" 'BEGIN {printf "%.10g", s * d}')

stage "3/7 LES on 8x17x8 (DSM, WALE) from the held-out trajectory's first snapshot, ${steps} intervals"
for model in dsm wale; do
  "$exe" dns "$root/cases/demo/les-$model.yaml" --set initial.file="$out/dataset/fdns.h5" \
      --set initial.trajectory="$held" --set initial.time_index=0 --set time.t_end="$t_les" \
      --set output.dir="$out/les-$model" 2>&1 | tee "$out/les-$model.log"
done

stage "4/7 train IFactFormer-m (${epochs} epochs, ${ranks} ranks, data parallel) on the training set"
data=(--set data.series="$out/dataset/fdns.h5" --set data.val_trajectories=1)
"${mpi[@]}" "$exe" train "$root/cases/demo/ifactformer-m.yaml" "${data[@]}" \
    --set output.dir="$out/ifactformer-m" --set train.epochs="$epochs"

short=$(( epochs / 2 > 0 ? epochs / 2 : 1 ))
stage "5/7 train the baselines briefly (${short} epochs): IFactFormer-o, FNO, IFNO"
for model in ifactformer-o fno ifno; do
  "${mpi[@]}" "$exe" train "$root/cases/demo/$model.yaml" "${data[@]}" \
      --set output.dir="$out/$model" --set train.epochs="$short"
done

stage "6/7 rollouts (${ranks} ranks) from the held-out trajectory's first snapshot, ${steps} steps"
for model in ifactformer-m ifactformer-o fno ifno; do
  vtk=0
  [ "$model" = ifactformer-m ] && vtk=2
  "${mpi[@]}" "$exe" rollout "$root/cases/demo/rollout.yaml" --set rollout.checkpoint="$out/$model/best.ckpt" \
      --set rollout.series="$out/dataset/fdns.h5" --set rollout.steps="$steps" \
      --set output.vtk_every="$vtk" --set output.dir="$out/rollout-$model"
done

stage "7/7 compare the LES and the operators with the held-out filtered DNS"
horizon=$(( steps < 10 ? steps : 10 ))
"${mpi[@]}" "$exe" compare "$root/cases/demo/compare.yaml" --set reference.file="$out/dataset/fdns.h5" \
    --set candidates.0.file="$out/les-dsm/snapshots.h5" \
    --set candidates.1.file="$out/les-wale/snapshots.h5" \
    --set candidates.2.file="$out/rollout-ifactformer-m/prediction.h5" \
    --set candidates.3.file="$out/rollout-ifactformer-o/prediction.h5" \
    --set candidates.4.file="$out/rollout-fno/prediction.h5" \
    --set candidates.5.file="$out/rollout-ifno/prediction.h5" \
    --set "horizons=[1, $horizon, $steps]" --set slice.step="$horizon" --set output.dir="$out/compare"

echo
echo "demo finished in $(( $(date +%s) - start )) s. Outputs in $out:"
echo "  compare/report.html                                     THE REPORT: tables and figures on one page"
echo "  compare/summary.md, compare/summary.csv                 errors, statistics, stability, cost per candidate"
echo "  dns/                                                    DNS time series, checkpoint, profiles and spectra"
echo "  dataset/fdns.h5                                         the filtered training set ($n_traj trajectories x $n_time snapshots)"
echo "  les-dsm/, les-wale/                                     LES snapshots, statistics (nu_t, SGS dissipation), cost"
echo "  ifactformer-m/ ifactformer-o/ fno/ ifno/                checkpoints and training logs"
echo "  rollout-*/prediction.h5, rollout-*/rollout.csv          predictions and their error against the filtered DNS"
echo "  rollout-ifactformer-m/vtk/rollout_traj0.pvd             open in ParaView"
echo "report: $out/compare/report.html"
