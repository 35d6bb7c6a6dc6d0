#!/usr/bin/env bash
# Runs scripts/run_demo.sh with shortened stages and checks that each stage left its output
# and that the report links only files that exist.
set -euo pipefail
exe="$1"
root="$2"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export IFF_DEMO_SET="--set time.t_end=4"
export IFF_DEMO_DATASET_SET="--set dataset.n_time=8 --set dataset.spinup=2"
export IFF_DEMO_EPOCHS=1
bash "$root/scripts/run_demo.sh" "$exe" "$out"
for f in dns/config.resolved.yaml dns/timeseries.csv dns/checkpoint.h5 dataset/fdns.h5 \
         les-dsm/snapshots.h5 les-dsm/profiles.csv les-wale/snapshots.h5 \
         ifactformer-m/best.ckpt ifactformer-m/train_log.csv ifactformer-o/best.ckpt fno/best.ckpt ifno/best.ckpt \
         rollout-ifactformer-m/prediction.h5 rollout-ifactformer-m/rollout.csv rollout-ifactformer-m/cost.csv \
         rollout-ifactformer-m/vtk/rollout_traj0.pvd rollout-ifactformer-m/stats/profiles.csv \
         rollout-fno/prediction.h5 rollout-ifno/prediction.h5 rollout-ifactformer-o/prediction.h5 \
         compare/summary.csv compare/summary.md compare/report.html; do
  test -s "$out/$f" || { echo "missing output: $f"; exit 1; }
done
rows=$(($(wc -l <"$out/compare/summary.csv") - 1))
[ "$rows" = 6 ] || { echo "compare/summary.csv has $rows candidate rows, want 6"; exit 1; }
for ref in $(grep -o -E '(src|href)="[^"#]+"' "$out/compare/report.html" | sed -E 's/^(src|href)="//; s/"$//'); do
  test -s "$out/compare/$ref" || { echo "report.html links a missing file: $ref"; exit 1; }
done
echo "reduced demo produced every stage's output and a report with $rows candidates"
