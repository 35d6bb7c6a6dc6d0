#!/usr/bin/env bash
# Training in bf16-mixed against fp32 from the same seed, on the demo's training set: each demo
# operator (cases/demo/<model>.yaml) is trained twice for EPOCHS epochs, train.precision fp32 and
# bf16-mixed, everything else equal. Prints, per model, the train and validation loss of both
# every EVERY epochs, the final validation losses and their relative difference, and the median
# seconds per epoch of each.
#
# Usage: bench/operators/precision_training.sh [IFACTFLOW] [DEMO_DIR]
#   IFACTFLOW  the ifactflow binary (default build/release/apps/ifactflow)
#   DEMO_DIR   the demo job's output (default out/demo): its dataset/fdns.h5
# Environment: MODELS (default "ifactformer-m ifactformer-o fno ifno"), EPOCHS (20), EVERY (5),
#   THREADS (2), WORK (a temporary folder).
# Needs a CPU with AVX512-BF16; elsewhere the bf16-mixed run refuses with its reason.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
ifactflow=${1:-$here/build/release/apps/ifactflow}
demo=$(cd "${2:-$here/out/demo}" && pwd)
models=${MODELS:-"ifactformer-m ifactformer-o fno ifno"}
epochs=${EPOCHS:-20}
every=${EVERY:-5}
threads=${THREADS:-2}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"

for model in $models; do
  for precision in fp32 bf16-mixed; do
    "$ifactflow" train "$here/cases/demo/$model.yaml" \
      --set train.threads="$threads" \
      --set data.series="$demo/dataset/fdns.h5" \
      --set train.epochs="$epochs" \
      --set train.precision="$precision" \
      --set output.dir="$work/$model-$precision" > "$work/$model-$precision.log" 2>&1 \
      || { echo "train $model $precision failed: see $work/$model-$precision.log" >&2; exit 1; }
  done
done

/usr/bin/python3 - "$work" "$every" $models <<'EOF'
import csv, statistics, sys

work, every, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def log(model, precision):
    with open(f"{work}/{model}-{precision}/train_log.csv") as f:
        return list(csv.DictReader(f))

for m in models:
    a, b = log(m, "fp32"), log(m, "bf16-mixed")
    print(f"{m}: loss by epoch (fp32 | bf16-mixed)")
    print(f"{'epoch':>7}{'train fp32':>14}{'train bf16':>14}{'val fp32':>14}{'val bf16':>14}")
    for ra, rb in zip(a, b):
        e = int(ra["epoch"])
        if e % every == 0 or e == 1 or e == len(a):
            print(f"{e:>7}" + "".join(f"{float(x):>14.5e}" for x in
                  (ra["train_loss"], rb["train_loss"], ra["val_loss"], rb["val_loss"])))
    va, vb = float(a[-1]["val_loss"]), float(b[-1]["val_loss"])
    sa = statistics.median(float(r["seconds"]) for r in a)
    sb = statistics.median(float(r["seconds"]) for r in b)
    print(f"  final validation loss: fp32 {va:.5e}, bf16-mixed {vb:.5e}, "
          f"relative difference {(vb - va) / va:+.2%}")
    print(f"  median seconds per epoch: fp32 {sa:.3f}, bf16-mixed {sb:.3f}, ratio {sa / sb:.2f}x")
    print()
EOF
