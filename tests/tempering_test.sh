#!/usr/bin/env bash
# Equilibrated Monte Carlo through the CLI (issue 14 item 4): a sweep with
# parallel tempering and the version-space entry gives the same file for
# 1 and 2 threads, for 3 shards merged, and after a stop and resume; its
# diagnostics are in the file; the spec refuses a ladder that is no axis,
# and an extension refuses to change the ladder.
# usage: tempering_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-tempering-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > pt.yaml <<'YAML'
name: pt
seed: 77
replicas: 2
N: 40
teacher: {kind: perceptron, weights: binary}
student: {kind: perceptron, weights: [binary, spherical]}
data: {alpha: [1.0, 3.0]}
train:
  algorithm: metropolis
  temperature: [0, 0.2, 0.5, 1.5]
  start: [hot, cold]
  entry: perceptron
  parallel_tempering: true
  epochs: 600
  burn_in: 100
record: {times: [1, 600]}
YAML
expect_exit 0 "reference run, 1 thread" -- "$PDX" run pt.yaml -o one.h5 --threads 1 --quiet
expect_exit 0 "2 threads" -- "$PDX" run pt.yaml -o two.h5 --threads 2 --quiet
same "tempering: 2 threads = 1 thread" one.h5 two.h5
for i in 0 1 2; do
  "$PDX" run pt.yaml -o sh.h5 --shard "$i/3" --threads 2 --quiet >/dev/null 2>&1 ||
    fail "shard $i/3"
done
expect_exit 0 "merge 3 shards" -- "$PDX" merge sh.h5 sh.shard-*-of-3.h5
same "tempering: 3 shards merged = 1 thread" one.h5 sh.h5

# a stop and a resume: SIGTERM with no grace, then run again
"$PDX" run pt.yaml -o res.h5 --threads 2 --grace 0 --commit-window 0 --quiet \
  >/dev/null 2>&1 &
pid=$!
sleep 0.4
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
[[ $rc -eq 0 || $rc -eq 75 ]] && pass "stopped run: exit $rc" || fail "stopped run: exit $rc"
expect_exit 0 "resume" -- "$PDX" run pt.yaml -o res.h5 --threads 2 --quiet
same "tempering: stopped and resumed = 1 thread" one.h5 res.h5

expect_exit 0 "diagnostics in the file" -- $PY - one.h5 <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
for v in ("tau_energy", "tau_eg", "n_eff", "drift_z", "equilibrated",
          "entry_epochs", "swap_rate"):
    assert v in f, v
    assert f[v].attrs["long_name"], v
T = f["train.temperature"][()]
dims = [[s.name for s in d.values()][0].lstrip("/")
        for d in f["swap_rate"].dims]
swap = np.moveaxis(f["swap_rate"][()], dims.index("train.temperature"), 0)
assert np.isnan(swap[-1]).all(), "the top of the ladder has no partner"
assert ((swap[:-1] >= 0) & (swap[:-1] <= 1)).all(), swap
assert (swap[:-1] > 0).any(), "no exchange accepted"
eq = f["equilibrated"][()]
assert set(np.unique(eq)) <= {0.0, 1.0}, np.unique(eq)
# binary weights: no entry (NaN); spherical: the entry is found (alpha 1, 3)
w = np.moveaxis(f["entry_epochs"][()], dims.index("student.weights"), 0)
assert np.isnan(w[0]).all() and np.isfinite(w[1]).all(), w
# at T = 0 an equilibrated task has no training error
te = np.moveaxis(f["train_error_mean"][()], dims.index("train.temperature"), 0)
e0 = np.moveaxis(eq, dims.index("train.temperature"), 0)[0]
assert (te[0][e0 == 1] == 0).all()
PYEOF

# refusals
sed 's/temperature: \[0, 0.2, 0.5, 1.5\]/temperature: 0.5/' pt.yaml > one-t.yaml
expect_exit 2 "a single temperature is no ladder" -- "$PDX" run one-t.yaml -o x.h5 --quiet
expect_err "one-t.yaml:[0-9]+:[0-9]+: train.parallel_tempering: replica exchange runs along the temperature axis" "the error names file, line and key"
cat > zip.yaml <<'YAML'
N: 20
teacher: {kind: perceptron, weights: binary}
student: {kind: perceptron, weights: binary}
zip:
  data.alpha: [1, 2]
  train.temperature: [0.5, 1]
train: {algorithm: metropolis, parallel_tempering: true, epochs: 10}
record: {times: [1]}
YAML
expect_exit 2 "a zipped temperature is no ladder" -- "$PDX" run zip.yaml -o x.h5 --quiet
expect_err "zip.yaml:7:[0-9]+: train.parallel_tempering: train.temperature is in a zip group" "the zip error names file, line and key"
sed 's/student: {kind: perceptron, weights: \[binary, spherical\]}/student: {kind: perceptron, weights: binary}/' pt.yaml > binentry.yaml
expect_exit 2 "train.entry for binary students only" -- "$PDX" run binentry.yaml -o x.h5 --quiet
expect_err "binentry.yaml:[0-9]+:[0-9]+: train.entry: applies to no cell" "the entry error names file, line and key"
sed 's/temperature: \[0, 0.2, 0.5, 1.5\]/temperature: [0, 0.2, 0.5, 1.5, 3]/' pt.yaml > ext.yaml
expect_exit 2 "an extension cannot change the ladder" -- "$PDX" run ext.yaml -o one.h5 --extend --quiet
expect_err "train.temperature.*whole temperature ladder" "the extension's error says why"
no_temporaries "tempering runs"
finish "tempering: all checks passed"
