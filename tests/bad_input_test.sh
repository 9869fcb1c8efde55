#!/usr/bin/env bash
# Bad input and bad luck: every case exits 2 (usage/spec) or 1 (runtime)
# with a message naming the file, line, key or path, and leaves no output
# that looks complete. usage: bad_input_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$1
SRC=$2
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-bad-XXXXXX")
cleanup() { mountpoint -q "$WORK/ro" 2>/dev/null && umount "$WORK/ro"; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
source "$SRC/tests/test_lib.sh"
# check NAME CODE REGEX -- command...: exit code and a stderr message
check() {
  local name=$1 code=$2 regex=$3; shift 4
  timeout 60 "$@" >out.txt 2>err.txt
  local got=$?
  if [[ $got -ne $code ]]; then fail "$name: exit $got, expected $code"; sed 's/^/     /' err.txt | head -3; return; fi
  if [[ -n $regex ]] && ! grep -Eq -- "$regex" err.txt; then fail "$name: stderr does not match /$regex/"; sed 's/^/     /' err.txt | head -3; return; fi
  pass "$name"
}
no_output() { # NAME FILE: nothing at FILE or FILE.tmp-*
  if compgen -G "$2*" >/dev/null; then fail "$1: left $(ls -d "$2"*)"; else pass "$1: no output left"; fi
}

# ---- malformed YAML -----------------------------------------------------
printf 'student:\n\thidden: 2\n' > tab.yaml
check "tab indentation" 2 "tab.yaml:2:1: YAML syntax error" -- "$PDX" validate tab.yaml
head -c 4000 /dev/urandom > garbage.yaml
check "binary garbage" 2 "garbage.yaml:[0-9]+:[0-9]+: " -- "$PDX" validate garbage.yaml
$PY -c "print('N: ' + '[' * 100000 + ']' * 100000)" > deep.yaml
check "deep nesting" 2 "deep.yaml:1:[0-9]+: nested more than 32 levels" -- "$PDX" validate deep.yaml
$PY -c "print('train:\n  ' + 'x' * 2000000 + ': 1')" > bigkey.yaml
check "enormous key" 2 "bigkey.yaml:2:" -- "$PDX" validate bigkey.yaml
$PY - > bomb.yaml <<'PYEOF'
print("a: &a [x, x, x, x, x, x, x, x, x]")
for i in range(1, 12):
    print(f"a{i}: &a{i} [" + ", ".join(["*a" if i == 1 else f"*a{i-1}"] * 9) + "]")
PYEOF
check "alias expansion bomb" 2 "bomb.yaml:1:[0-9]+: .*anchors and aliases" -- "$PDX" validate bomb.yaml
printf '' > empty.yaml
check "empty file" 2 "empty.yaml" -- "$PDX" validate empty.yaml
printf -- '- 1\n- 2\n' > list.yaml
check "top level not a mapping" 2 "list.yaml:1:1: " -- "$PDX" validate list.yaml

# ---- values not allowed ---------------------------------------------------
bad() { printf '%s\n' "$3" > v.yaml; check "$1" 2 "$2" -- "$PDX" validate v.yaml; }
bad "NaN" "v.yaml:1:24: train.learning_rate: .*finite" 'train: {learning_rate: .nan}'
bad "Inf" "v.yaml:1:24: train.learning_rate: .*finite" 'train: {learning_rate: .inf}'
bad "-Inf in an axis" "v.yaml:1:[0-9]+: train.learning_rate: .*finite" 'train: {learning_rate: [0.1, -.inf]}'
bad "negative N" "v.yaml:1:4: N: .*out of range" 'N: -5'
bad "zero learning rate" "v.yaml:1:24: train.learning_rate: .*out of range" 'train: {learning_rate: 0}'
bad "zero replicas" "v.yaml:1:11: replicas: .*out of range" 'replicas: 0'
bad "unknown model" "v.yaml:1:17: student.kind: .*choices" 'student: {kind: resnet}'
bad "unknown activation" "v.yaml:1:23: teacher.activation: .*choices" 'teacher: {activation: gelu}'
bad "unknown algorithm" "v.yaml:1:20: train.algorithm: .*choices" 'train: {algorithm: adam}'
bad "enormous axis" "v.yaml:1:[0-9]+: train.learning_rate: " 'train: {learning_rate: {log: [0.001, 1, 100000000]}}'
# (about 10 GB a thread: 8 threads, whatever the caller's OMP_NUM_THREADS,
# do not fit a machine of this project's size)
OMP_NUM_THREADS=8 bad "N too large for memory" "v.yaml: .*memory" $'N: 10000000\nstudent: {hidden: 64}\nteacher: {hidden: 64}'
# issue 21: these validated and gave all-NaN "done" cells / a learning rate
# above its bound
bad "epochs before the first checkpoint" "v.yaml:3:33: train.epochs: 0.5 ends training before the first checkpoint" \
  $'teacher: {kind: perceptron}\nstudent: {kind: twolayer}\ntrain: {algorithm: sgd, epochs: 0.5}\nrecord: {times: [1, 2]}'
bad "online alpha before the first checkpoint" "v.yaml:1:16: train.alpha: 0.5 ends training before the first checkpoint" \
  $'train: {alpha: 0.5}\nrecord: {times: [1, 2]}'
bad "temperature above the learning rate's bound" "v.yaml:3:48: train.temperature: 2000 gives sgd the learning rate 16000" \
  $'teacher: {kind: perceptron}\nstudent: {kind: twolayer}\ntrain: {algorithm: sgd, batch: 8, temperature: 2000}'

# ---- output paths -----------------------------------------------------------
printf 'N: 20\ntrain: {alpha: 0.5}\nrecord: {times: [0.5]}\n' > tiny.yaml
check "unwritable output directory" 1 "nodir/out.h5.*No such file" -- "$PDX" run tiny.yaml -o nodir/out.h5 --quiet
no_output "unwritable output directory" nodir/out.h5
mkdir -p ro
if [[ $(id -u) -eq 0 ]]; then
  if mount -t tmpfs -o size=1m,ro tmpfs ro; then
    check "read-only file system" 1 "ro/out.h5.*Read-only file system" -- "$PDX" run tiny.yaml -o ro/out.h5 --quiet
    umount ro
  else
    fail "read-only file system: cannot mount a read-only tmpfs (needed for this check)"
  fi
else
  chmod 555 ro
  check "read-only directory" 1 "ro/out.h5.*Permission denied" -- "$PDX" run tiny.yaml -o ro/out.h5 --quiet
fi

# ---- truncated and foreign files -----------------------------------------
check "tiny run" 0 "" -- "$PDX" run tiny.yaml -o good.h5 --quiet
head -c 3000 good.h5 > trunc.h5
check "info on a truncated file" 1 "trunc.h5: .*truncated" -- "$PDX" info trunc.h5
check "merge with a truncated file" 1 "trunc.h5" -- "$PDX" merge merged.h5 trunc.h5 good.h5
no_output "merge with a truncated file" merged.h5
check "analysis on a truncated file" 2 "trunc.h5" -- env PYTHONPATH="$SRC/analysis" MPLBACKEND=Agg $PY -m pdx_analysis info trunc.h5
$PY -c "import h5py; f = h5py.File('foreign.h5', 'w'); f['x'] = [1, 2, 3]"
check "info on a foreign HDF5 file" 1 "foreign.h5: .*not a pdx" -- "$PDX" info foreign.h5
check "analysis on a foreign HDF5 file" 2 "foreign.h5.*not a pdx" -- env PYTHONPATH="$SRC/analysis" MPLBACKEND=Agg $PY -m pdx_analysis info foreign.h5
check "run onto a foreign HDF5 file" 2 "foreign.h5 already exists.*not a pdx" -- "$PDX" run tiny.yaml -o foreign.h5 --quiet
$PY -c "import h5py; assert list(h5py.File('foreign.h5', 'r').keys()) == ['x']" \
  && pass "foreign file left untouched" || fail "foreign file was changed"
# issue 21: --force never writes over a file that is not a pdx result file
check "run --force onto a foreign HDF5 file" 2 "foreign.h5 already exists.*not a pdx file.*even with --force" -- "$PDX" run tiny.yaml -o foreign.h5 --quiet --force
$PY -c "import h5py; assert list(h5py.File('foreign.h5', 'r').keys()) == ['x']" \
  && pass "foreign file left untouched by --force" || fail "foreign file was replaced by --force"
head -c 3000 /dev/urandom > noise.h5
cp noise.h5 noise.orig
check "run onto a non-HDF5 file" 2 "noise.h5 already exists and is not an HDF5 file" -- "$PDX" run tiny.yaml -o noise.h5 --quiet
check "run --force onto a non-HDF5 file" 2 "noise.h5 already exists and is not an HDF5 file.*even with --force" -- "$PDX" run tiny.yaml -o noise.h5 --quiet --force
cmp -s noise.h5 noise.orig && pass "non-HDF5 file left untouched" || fail "non-HDF5 file was replaced"
check "theory --force onto a result file" 2 "good.h5 already exists and is a pdx result file" -- "$PDX" theory tiny.yaml -o good.h5 --quiet --force
check "run --force onto a truncated file" 1 "trunc.h5" -- "$PDX" run tiny.yaml -o trunc.h5 --quiet --force

finish "all bad-input checks passed"
