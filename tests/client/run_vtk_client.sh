#!/usr/bin/env bash
# Writes a VTK series with the project's writers and lets ParaView read it (pvpython, no
# display) and render one frame (pvbatch under a private Xvfb).
set -euo pipefail
fixture="$1"
script="$2"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$fixture" "$dir"
pvpython "$script" "$dir/run.pvd" -
if ! "$(dirname "$0")/with_xvfb.sh" pvbatch "$script" "$dir/run.pvd" "$dir/frame.png" 2>"$dir/err"; then
  # The pvpython data checks above are the client test; a screenshot needs a GLX visual
  # that some hosts' Xvfb lacks, which says nothing about the files.
  if grep -q -e CreateAWindow -e "bad X server" "$dir/err"; then
    echo "SKIP render: ParaView could not open an OpenGL window under Xvfb"
    grep -m1 -e ERR -e "bad X" -e GLX "$dir/err" || true
    exit 0
  fi
  head -c 1500 "$dir/err" >&2
  exit 1
fi
