#!/usr/bin/env bash
# Writes a VTK series with the project's writers and lets ParaView (pvpython, offscreen
# under xvfb) read and render it.
set -euo pipefail
fixture="$1"
script="$2"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$fixture" "$dir"
xvfb-run -a -s "-screen 0 1024x768x24" pvpython "$script" "$dir/run.pvd" "$dir/frame.png"
