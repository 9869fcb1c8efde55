#!/usr/bin/env bash
# Memory-safety pass, run by CI after scripts/test.sh:
#  1. the unit and CLI suites built with -Db_sanitize=address,undefined
#     (any UBSan report is fatal);
#  2. a small sweep of every algorithm family under valgrind memcheck
#     (a generic -Dnative=false build: valgrind cannot decode AVX-512),
#     whose files must be bit-identical to the native build's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test   # packages, and the native build in build/
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
if [[ ! -f build-asan/build.ninja ]]; then
  meson setup build-asan -Db_sanitize=address,undefined >/dev/null
fi
ninja -C build-asan >/dev/null
meson test -C build-asan --suite unit --suite cli --print-errorlogs

if [[ ! -f build-valgrind/build.ninja ]]; then
  meson setup build-valgrind -Dnative=false -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-valgrind pdx >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for spec in online finite sgd; do
  valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    build-valgrind/pdx run "tests/specs/memcheck-$spec.yaml" -o "$tmp/$spec.h5" --quiet --threads 2
  echo "memcheck: $spec sweep clean"
done

# The generic build writes the same bits as the native one (no FMA
# contraction, fixed-order reductions): compare them on the same sweeps.
for spec in online finite sgd; do
  build/pdx run "tests/specs/memcheck-$spec.yaml" -o "$tmp/$spec-native.h5" --quiet --threads 2 >/dev/null
  /usr/bin/python3 tests/pdx_identical.py --ignore-attr git_describe \
    "$tmp/$spec.h5" "$tmp/$spec-native.h5"
done
