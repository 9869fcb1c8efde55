#!/usr/bin/env bash
# Install what pdx needs (Debian 12 packages) and build it into ./build.
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and the script stops. Idempotent and quick when
# everything is already there.
#
# Two sets (issue 19): by default only what building, running and plotting
# need, as a workstation user running the quickstart (or a cluster login
# node, docs/CLUSTERS.md "Building without root") wants; --test adds what
# only the test suite needs (scripts/test.sh passes it).
set -euo pipefail
cd "$(dirname "$0")/.."

# build and run: compiler, meson, ninja, GSL, HDF5, libyaml, Random123,
# zlib, nettle, GLPK (the separability test); plot: the Python packages
# pdx_analysis imports
PACKAGES=(
  gcc pkg-config git meson ninja-build
  libgsl-dev libhdf5-dev libyaml-dev librandom123-dev zlib1g-dev nettle-dev
  libglpk-dev
  python3 python3-numpy python3-h5py python3-matplotlib python3-pandas
  python3-xarray python3-h5netcdf
)
# only the tests: cmocka (unit tests), pytest, h5dump/ncdump (the CLI tests
# read files with them), scipy (a reference computation), a single-host
# SLURM with munge (tests/slurm_test.sh), OpenMPI (the MPI build),
# valgrind (scripts/test-sanitize.sh)
TEST_PACKAGES=(
  libcmocka-dev python3-pytest hdf5-tools netcdf-bin python3-scipy
  slurm-wlm munge openmpi-bin libopenmpi-dev valgrind
  # the example notebook run headless by the python suite
  # (analysis/tests/test_notebook.py)
  python3-nbclient python3-nbformat python3-ipykernel
)
# --packages-only: install, do not build. --test: also the test-only
# packages (and configure ./build with its tests). --bench: also what the
# benchmark needs (the PyTorch peers; OpenBLAS, measured by bench_deep
# against pdx's kernels, not used by pdx). Extra arguments are more
# packages a caller needs.
build=1 tests=0
for a in "$@"; do
  if [[ $a == --packages-only ]]; then build=0
  elif [[ $a == --test ]]; then tests=1; PACKAGES+=("${TEST_PACKAGES[@]}")
  elif [[ $a == --bench ]]; then PACKAGES+=(python3-torch libopenblas-dev)
  else PACKAGES+=("$a"); fi
done

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages; run as root:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "(no root at all, e.g. on a cluster login node: docs/CLUSTERS.md," >&2
    echo " \"Building without root\")" >&2
    exit 1
  fi
fi

((build)) || exit 0
if [[ ! -f build/build.ninja ]]; then
  meson setup build >/dev/null
elif ((tests)) && ! grep -q 'test_spec' build/build.ninja; then
  # configured before cmocka was installed: its tests were left out
  meson setup --reconfigure build >/dev/null
fi
if ((tests)); then
  ninja -C build >/dev/null
else
  ninja -C build pdx >/dev/null   # the program only: quicker
fi
echo "setup: built $(pwd)/build/pdx" >&2
