#!/usr/bin/env bash
# Runs scripts/run_demo.sh with shortened stages and checks that each stage left its output.
set -euo pipefail
exe="$1"
root="$2"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export IFF_DEMO_SET="--set time.t_end=2 --set output.snapshot_every=25"
bash "$root/scripts/run_demo.sh" "$exe" "$out"
test -s "$out/dns/config.resolved.yaml"
ls "$out"/dns/*.h5 >/dev/null
ls "$out"/dns/*.csv >/dev/null
echo "reduced demo produced: $(cd "$out" && find . -type f | sort | tr '\n' ' ')"
