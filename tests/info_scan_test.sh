#!/usr/bin/env bash
# pdx info of a set of shard files split between processes (issue 20,
# src/cli/cli_scan.c): the same output and exit code as one process
# reading every file, for intact files, damaged tasks in a child's block,
# a file of another spec there, a file given twice, and a child that
# cannot read its file.
# usage: info_scan_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-info-scan-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=2 HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > s.yaml <<'YAML'
name: info-scan
seed: 20
replicas: 2
N: 20
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: {lin: [0.5, 4, 6]}, label_noise: [0, 0.3]}
train: {algorithm: hebb, epochs: 1}
record: {times: [1]}
YAML
sed 's/seed: 20/seed: 21/' s.yaml > other.yaml
for i in 0 1 2 3 4 5 6 7; do
  "$PDX" run s.yaml -o s.h5 --shard $i/9 --quiet >/dev/null 2>&1 || fail "run shard $i"
done
"$PDX" run other.yaml -o o.h5 --shard 3/9 --quiet >/dev/null 2>&1 || fail "run other spec"

# both ways: split (2 files a process: 4 processes, OMP_NUM_THREADS caps
# at 2) and one process; the same stdout, stderr and exit code
both() {
  local name=$1
  shift
  PDX_INFO_FILES_PER_PROCESS=2 "$PDX" info "$@" >split.out 2>split.err
  local a=$?
  PDX_INFO_FILES_PER_PROCESS=100000 "$PDX" info "$@" >one.out 2>one.err
  local b=$?
  if [[ $a -eq $b ]] && cmp -s split.out one.out && cmp -s split.err one.err; then
    pass "$name: split and one process agree (exit $a)"
  else
    fail "$name: split exit $a, one process exit $b"
    diff split.out one.out | head -8 | sed 's/^/     /'
    diff split.err one.err | head -4 | sed 's/^/     /'
  fi
  cp split.out "$WORK/out.txt"
  cp split.err "$WORK/err.txt"
}
files=(s.shard-*-of-9.h5)
both "intact shards" "${files[@]}"
expect_out "^sweep: 24 tasks \(12 cells x 2 replicas\)" "the sweep's line"
expect_out "no file of shard\(s\) 8 of 9" "the missing shard"
expect_out "checksums: [0-9]+ finished tasks intact" "every task checked"

# damage one task of the file a child reads (the last block)
task=$($PY -c "import h5py; print(int(h5py.File('s.shard-7-of-9.h5')['task'][1]))")
$PY "$SRC/tests/flip_bit.py" s.shard-7-of-9.h5 eg "$task" --bit 3 >/dev/null || fail "flip a bit"
both "a damaged task in a child's block" "${files[@]}"
expect_out "s.shard-7-of-9.h5: 1 of [0-9]+ finished tasks DAMAGED" "the damaged file named"
expect_out "task $task:" "the damaged task listed"

both "a file given twice" "${files[@]}" s.shard-2-of-9.h5
both "a file of another spec in a child's block" "${files[@]:0:6}" o.shard-3-of-9.h5 "${files[@]:6}"
expect_out "different specs" "the other spec said"
printf 'not hdf5' > s.shard-8-of-9.h5
both "a file a child cannot read" "${files[@]}" s.shard-8-of-9.h5
expect_err "s.shard-8-of-9.h5" "the unreadable file named"

finish "info_scan: all checks passed"
