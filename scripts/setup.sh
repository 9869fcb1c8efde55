#!/usr/bin/env bash
# Install what pdx needs (Debian 12 packages) and build it into ./build.
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and the script stops. Idempotent and quick when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  gcc pkg-config git meson ninja-build
  libgsl-dev libhdf5-dev hdf5-tools netcdf-bin libcmocka-dev libyaml-dev
  librandom123-dev zlib1g-dev nettle-dev libglpk-dev
  python3 python3-h5py python3-numpy python3-matplotlib python3-xarray
  python3-h5netcdf python3-pytest python3-scipy
  slurm-wlm munge openmpi-bin libopenmpi-dev
)
# Test only (issue 19): the example notebook run headless by the python
# suite (analysis/tests/test_notebook.py)
PACKAGES+=(python3-nbclient python3-nbformat python3-ipykernel)
# --packages-only: install, do not build. --bench: also what the
# benchmark needs (the PyTorch peers; OpenBLAS, measured by bench_deep
# against pdx's kernels, not used by pdx). Extra arguments are more
# packages a caller needs.
build=1
for a in "$@"; do
  if [[ $a == --packages-only ]]; then build=0
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
    exit 1
  fi
fi

((build)) || exit 0
if [[ ! -f build/build.ninja ]]; then
  meson setup build >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built $(pwd)/build/pdx" >&2
