#!/usr/bin/env bash
# The install split (issue 19, item 6): scripts/setup.sh installs only what
# building, running and plotting need; the test-only packages come with
# --test (scripts/test.sh), and the quickstart's command builds without
# them. usage: setup_split_test.sh SOURCE_ROOT
set -uo pipefail
SRC=$(readlink -f "$1")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-setup-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$SRC/tests/test_lib.sh"
# the two package lists as the script defines them
eval "$(sed -n '/^PACKAGES=(/,/^)/p; /^TEST_PACKAGES=(/,/^)/p' "$SRC/scripts/setup.sh")"
for p in libcmocka-dev python3-pytest slurm-wlm munge openmpi-bin libopenmpi-dev valgrind hdf5-tools netcdf-bin; do
  [[ " ${PACKAGES[*]} " == *" $p "* ]] && fail "$p is installed by the main job's set-up" || pass "$p not in the main set-up"
  [[ " ${TEST_PACKAGES[*]} " == *" $p "* ]] && pass "$p in the test set-up" || fail "$p missing from --test"
done
for p in gcc meson ninja-build libgsl-dev libhdf5-dev libyaml-dev librandom123-dev zlib1g-dev nettle-dev python3-matplotlib python3-xarray; do
  [[ " ${PACKAGES[*]} " == *" $p "* ]] && pass "$p in the main set-up" || fail "$p missing from the main set-up"
done
grep -q '^scripts/setup.sh --test' "$SRC/scripts/test.sh" && pass "scripts/test.sh installs the test packages" \
  || fail "scripts/test.sh does not pass --test"
grep -q '^scripts/setup.sh$' "$SRC/scripts/quickstart.sh" && pass "the quickstart installs the main packages only" \
  || fail "scripts/quickstart.sh calls setup.sh with more"
# meson without the tests (as without cmocka): pdx alone configures, with a message
if meson setup "$WORK/b" "$SRC" -Dtests=disabled >"$WORK/setup.txt" 2>&1; then
  grep -q "tests disabled (pdx itself builds)" "$WORK/setup.txt" && pass "meson says the tests are disabled" \
    || fail "no message about the disabled tests"
  grep -q "test_spec" "$WORK/b/build.ninja" && fail "test programs configured without cmocka" \
    || pass "no test programs without cmocka"
  grep -q "build pdx:" "$WORK/b/build.ninja" && pass "the pdx target is configured" || fail "no pdx target"
else
  fail "meson setup -Dtests=disabled failed"; sed 's/^/     /' "$WORK/setup.txt" | tail -5
fi
finish "the install split holds"
