#!/usr/bin/env bash
# Installs every Debian package ifactflow needs (compilers aside). Idempotent: when all
# packages are present it returns in about a second without touching apt.
set -euo pipefail

packages=(
  # build
  cmake ninja-build ccache pkg-config git
  # numerics and parallelism
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libfftw3-dev libfftw3-mpi-dev libeigen3-dev liblapacke-dev
  # libtorch (CPU) and a fast BLAS for it: without OpenBLAS Debian's libtorch runs on the
  # reference BLAS, about 10x slower
  libtorch-dev libopenblas0-openmp
  # I/O, configuration, logging, tests. VTK comes with paraview-dev: Debian's libvtk9-dev
  # conflicts with python3-paraview (pvpython), which the client tests need
  paraview-dev libyaml-cpp-dev libcli11-dev libfmt-dev libspdlog-dev libgtest-dev
  # real clients used by the tests and plots
  python3-numpy python3-yaml python3-h5py python3-torch python3-matplotlib paraview python3-paraview xvfb
)
# JIT kernels for the small products of IFactFormer-m's axial core (attention/row_gemm.hpp);
# Debian builds libxsmm for x86-64 only, and the build uses BLAS alone without it
[ "$(dpkg --print-architecture)" = amd64 ] && packages+=(libxsmm-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages present"
fi
