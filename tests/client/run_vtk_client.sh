#!/usr/bin/env bash
# Writes a VTK series with the project's writers and lets ParaView (pvpython, offscreen
# under xvfb) read and render it.
set -euo pipefail
fixture="$1"
script="$2"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$fixture" "$dir"
pvpython "$script" "$dir/run.pvd" -
"$(dirname "$0")/with_xvfb.sh" pvbatch "$script" "$dir/run.pvd" "$dir/frame.png"
