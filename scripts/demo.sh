#!/usr/bin/env bash
# The README's main job: installs what is missing, builds (Release) and runs the pipeline
# on the embedded demo case (toy sizes, a few minutes on 2 cores). Output: out/demo/.
#   bash scripts/demo.sh [OUTPUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/build.sh
exec bash scripts/run_demo.sh "$root/build/release/apps/ifactflow" "${1:-$root/out/demo}"
