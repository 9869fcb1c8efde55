# theory_test_lib.sh — the set-up shared by the `pdx theory` CLI tests
# (theory_cli_test.sh, theory_deep_cli_test.sh). Source it with the test's
# arguments (PDX SOURCE_ROOT): it sets PDX, ROOT, PY and a scratch TMP
# (removed at exit), counts failures in `fails` (fail MESSAGE), and
# `expect_exit CODE CMD...` runs CMD with stdout in $TMP/out and stderr in
# $TMP/err and fails unless it exits with CODE.
set -u
PDX=$(readlink -f "$1")
ROOT=$2
PY=/usr/bin/python3
export HDF5_USE_FILE_LOCKING=FALSE
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_exit() { # CODE CMD...
    local want=$1; shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    [ "$got" = "$want" ] || { fail "exit $got (want $want): $*"; cat "$TMP/err"; }
}
