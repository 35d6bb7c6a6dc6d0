#!/usr/bin/env bash
# Configures and builds the Release preset (after installing what is missing).
#   bash scripts/build.sh            # setup + configure + build
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# ccache hits across clones in different folders
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
# compilations with the precompiled torch header are cacheable only with this sloppiness
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
jobs="${IFF_JOBS:-$(nproc)}"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
