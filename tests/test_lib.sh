# test_lib.sh — checks shared by the shell tests of shards, disks, SLURM and
# MPI. Source it after setting WORK (a scratch directory) and SRC (the
# source root). Each check prints "ok   NAME" or "FAIL NAME" with the
# evidence; `finish` prints the summary and sets the exit code.
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# expect_exit CODE NAME -- command...: stdout to $WORK/out.txt, stderr to
# $WORK/err.txt
expect_exit() {
  local code=$1 name=$2
  shift 3
  "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  local got=$?
  if [[ $got -eq $code ]]; then pass "$name (exit $got)"; else
    fail "$name: exit $got, expected $code"; sed 's/^/     /' "$WORK/err.txt" | head -8; fi
}
# expect_err REGEX NAME / expect_out REGEX NAME: the last command's output
expect_err() {
  if grep -Eq -- "$1" "$WORK/err.txt"; then pass "$2"; else
    fail "$2: stderr does not match /$1/"; sed 's/^/     /' "$WORK/err.txt" | head -8; fi
}
expect_out() {
  if grep -Eq -- "$1" "$WORK/out.txt"; then pass "$2"; else
    fail "$2: stdout does not match /$1/"; sed 's/^/     /' "$WORK/out.txt" | head -8; fi
}
# same NAME A B: identical result files (docs/FORMAT.md, "Identity")
same() {
  if /usr/bin/python3 "$SRC/tests/pdx_identical.py" "$2" "$3" >"$WORK/same.txt" 2>&1; then
    pass "$1"
  else fail "$1"; sed 's/^/     /' "$WORK/same.txt" | head -8; fi
}
# no_temporaries NAME [DIR...]: no OUT.tmp-* or OUT.merge-* left, and no
# .OUT.lock (a writer removes its lock file when it ends; only a killed
# one leaves it, and the next writer of OUT removes it)
no_temporaries() {
  local name=$1
  shift
  local left
  left=$(find "${@:-$WORK}" -name '*.tmp-*' -o -name '*.merge-*' -o -name '*.lock')
  if [[ -z $left ]]; then pass "$name: no temporary files left"; else fail "$name: left $left"; fi
}
finish() {
  echo
  if ((failures)); then echo "$failures check(s) failed"; exit 1; fi
  echo "$1"
}
