#!/usr/bin/env bash
# The whole test suite: install/build, then every meson test (cmocka unit
# tests, CLI integration tests, Python tests, the kill loop, shards, a full
# disk, a real single-host SLURM), then the MPI suite of an MPI build
# (build-mpi, -Dmpi=enabled). Extra arguments go to `meson test` of ./build
# only (e.g. --suite unit); the long suite runs with --suite long.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test   # the build and the test-only packages
meson test -C build --print-errorlogs "$@"
if (($# == 0)); then
  if [[ ! -f build-mpi/build.ninja ]]; then
    meson setup build-mpi -Dmpi=enabled >/dev/null
  fi
  ninja -C build-mpi >/dev/null
  meson test -C build-mpi --print-errorlogs --suite mpi
fi
