#!/usr/bin/env bash
# Runs scripts/run_demo.sh with shortened stages and checks that each stage left its output.
set -euo pipefail
exe="$1"
root="$2"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export IFF_DEMO_SET="--set time.t_end=4 --set output.snapshot_every=20"
export IFF_DEMO_EPOCHS=1 IFF_DEMO_STEPS=3
bash "$root/scripts/run_demo.sh" "$exe" "$out"
for f in dns/config.resolved.yaml dns/timeseries.csv dns/snapshots.h5 dns/stats/profiles.csv \
         dns/stats/spectra_kx.csv fdns.h5 fdns_stats/profiles.csv ifactformer-m/best.ckpt ifactformer-m/train_log.csv fno/best.ckpt \
         rollout/prediction.h5 rollout/rollout.csv rollout/vtk/rollout_traj0.pvd rollout/stats/profiles.csv; do
  test -s "$out/$f" || { echo "missing output: $f"; exit 1; }
done
echo "reduced demo produced every stage's output"
