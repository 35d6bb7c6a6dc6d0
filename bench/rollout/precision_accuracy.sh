#!/usr/bin/env bash
# Accuracy of bf16-mixed arithmetic against fp32, from the same weights and the same initial
# state: each trained operator is rolled out twice (rollout.precision: fp32 | bf16-mixed) for
# STEPS steps without the energy stop, and the two predictions are compared.
#
# Prints, per model:
#   - the relative L2 difference ||u_bf16 - u_fp32|| / ||u_fp32|| of the velocity at steps
#     1 (the one-step error), 10, 50, 100 and STEPS;
#   - the long-term statistics of both rollouts (over steps >= STATS_START): for U, u_rms,
#     v_rms, w_rms and -uv the largest difference over y, relative to that profile's largest
#     magnitude in the fp32 rollout.
#
# Usage: bench/rollout/precision_accuracy.sh [IFACTFLOW] [DEMO_DIR]
#   IFACTFLOW  the ifactflow binary (default build/release/apps/ifactflow)
#   DEMO_DIR   the demo job's output (default out/demo): its dataset/fdns.h5 and <model>/best.ckpt
# Environment: MODELS (default "ifactformer-m ifactformer-o fno ifno"), STEPS (200),
#   STATS_START (40), THREADS (2), WORK (a temporary folder).
# Needs a CPU with AVX512-BF16; elsewhere the bf16-mixed rollout refuses with its reason.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
ifactflow=${1:-$here/build/release/apps/ifactflow}
demo=$(cd "${2:-$here/out/demo}" && pwd)
models=${MODELS:-"ifactformer-m ifactformer-o fno ifno"}
steps=${STEPS:-200}
stats_start=${STATS_START:-40}
threads=${THREADS:-2}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"

for model in $models; do
  for precision in fp32 bf16-mixed; do
    "$ifactflow" rollout "$here/cases/demo/rollout.yaml" \
      --set rollout.checkpoint="$demo/$model/best.ckpt" \
      --set rollout.series="$demo/dataset/fdns.h5" \
      --set rollout.steps="$steps" \
      --set rollout.energy_band=0 \
      --set rollout.threads="$threads" \
      --set rollout.precision="$precision" \
      --set output.vtk_every=0 \
      --set output.stats_start="$stats_start" \
      --set output.dir="$work/$model-$precision" > "$work/$model-$precision.log" 2>&1 \
      || { echo "rollout $model $precision failed: see $work/$model-$precision.log" >&2; exit 1; }
  done
done

/usr/bin/python3 - "$work" "$steps" "$stats_start" $models <<'EOF'
import sys
import h5py, numpy as np

work, steps, start, models = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
marks = sorted({s for s in (1, 10, 50, 100, steps) if s <= steps})
columns = ["U", "u_rms", "v_rms", "w_rms", "minus_uv"]

def velocity(model, precision):
    with h5py.File(f"{work}/{model}-{precision}/prediction.h5") as f:
        return f["velocity"][0]                       # [t, x, y, z, component]

def profiles(u):
    """Mean and fluctuation profiles over t, x and z: U(y), the rms of u', v', w', -<u'v'>."""
    mean = u.mean(axis=(0, 1, 3))
    f = u - mean[None, None, :, None, :]
    rms = np.sqrt((f ** 2).mean(axis=(0, 1, 3)))
    return dict(U=mean[:, 0], u_rms=rms[:, 0], v_rms=rms[:, 1], w_rms=rms[:, 2],
                minus_uv=-(f[..., 0] * f[..., 1]).mean(axis=(0, 1, 3)))

def difference(a, b):
    return [np.max(np.abs(b[c] - a[c])) / np.max(np.abs(a[c])) for c in columns]

print("relative L2 difference of the velocity, bf16-mixed against fp32")
print(f"{'model':<15}" + "".join(f"{'step ' + str(s):>12}" for s in marks))
for m in models:
    a, b = velocity(m, "fp32"), velocity(m, "bf16-mixed")
    row = [np.linalg.norm(b[s] - a[s]) / np.linalg.norm(a[s]) for s in marks]
    print(f"{m:<15}" + "".join(f"{e:>12.3e}" for e in row))

half = (start + steps + 1) // 2
print()
print(f"statistics over steps {start}..{steps}: max over y of |difference| / max |fp32 profile|")
print(f"  'bf16 vs fp32': the two rollouts; 'fp32 halves': steps {start}..{half - 1} against "
      f"{half}..{steps} of the fp32 rollout, its own sampling variation")
print(f"{'model':<15}{'':<14}" + "".join(f"{c:>10}" for c in columns))
for m in models:
    a, b = velocity(m, "fp32"), velocity(m, "bf16-mixed")
    rows = {"bf16 vs fp32": difference(profiles(a[start:]), profiles(b[start:])),
            "fp32 halves": difference(profiles(a[start:half]), profiles(a[half:]))}
    for label, row in rows.items():
        print(f"{m:<15}{label:<14}" + "".join(f"{e:>10.3e}" for e in row))
EOF
