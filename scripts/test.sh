#!/usr/bin/env bash
# The whole test suite: install/build, then every meson test (cmocka unit
# tests, CLI integration tests, Python tests). Extra arguments go to
# `meson test` (e.g. --suite unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
meson test -C build --print-errorlogs "$@"
