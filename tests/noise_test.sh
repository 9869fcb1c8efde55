#!/usr/bin/env bash
# The gradient-noise geometry and probability currents of issue 17 end to
# end: bad input gets the spec error form (file:line:column: key), pdx
# plan counts the cost, the file holds the eigen dimension, the keys change
# no training, the numbers are the same for any thread count, shard layout,
# extension and resume after a stop, and Langevin dynamics on a quadratic loss (an OU process
# with isotropic noise) has no current while SGD, whose noise D does not
# commute with the Hessian, has one.
# usage: noise_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-noise-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE PDX
source "$SRC/tests/test_lib.sh"

cat > sweep.yaml <<'YAML'
name: noise-committee
seed: 17
replicas: 2
N: 12
teacher: {kind: perceptron}
student: {kind: committee, hidden: [1, 2], second_layer: trained}
data: {alpha: [0.5, 3], label_noise: 0.1}
train: {algorithm: sgd, temperature: 0.05, batch: 2, loss: logistic, epochs: 30, weight_decay: 0.02}
record: {times: [5, 30], noise_eigen: 3, current: true, current_burn_in: 10}
YAML

# ---- bad input ----
bad() { # NAME SED-EXPRESSION REGEX
  sed "$2" sweep.yaml > bad.yaml
  expect_exit 2 "$1" -- "$PDX" validate bad.yaml
  expect_err "$3" "$1: message"
}
bad "negative noise_eigen" 's/noise_eigen: 3/noise_eigen: -1/' \
  '^pdx: error: bad.yaml:9:[0-9]+: record.noise_eigen: -1 is out of range'
bad "noise_eigen text" 's/noise_eigen: 3/noise_eigen: many/' \
  'bad.yaml:9:[0-9]+: record.noise_eigen: expected '
bad "noise_eigen axis" 's/noise_eigen: 3/noise_eigen: [2, 3]/' \
  'bad.yaml:9:[0-9]+: record.noise_eigen: '
bad "current with one direction" 's/noise_eigen: 3/noise_eigen: 1/' \
  'bad.yaml:9:[0-9]+: record.current: needs record.noise_eigen >= 2'
bad "current burn-in past the end" 's/current_burn_in: 10/current_burn_in: 30/' \
  'bad.yaml:9:[0-9]+: record.current_burn_in: 30 is not below train.epochs'
bad "current not a boolean" 's/current: true/current: maybe/' \
  'bad.yaml:9:[0-9]+: record.current: '
bad "hebb only" 's/algorithm: sgd, temperature: 0.05, batch: 2, loss: logistic, epochs: 30, weight_decay: 0.02/algorithm: hebb, epochs: 1/; s/times: \[5, 30\]/times: [1]/; s/, current: true, current_burn_in: 10//; s/, second_layer: trained//; s/committee, hidden: \[1, 2\]/perceptron/' \
  'bad.yaml:9:[0-9]+: record.noise_eigen: .*applies to no cell.*sgd, gd or langevin'

# ---- plan and the file ----
expect_exit 0 "plan" -- "$PDX" plan sweep.yaml
expect_out "^noise    D's top 3 eigenvalues at 2 checkpoints, the current" "plan names the noise geometry"
work_with=$(grep '^work' "$WORK/out.txt" | sed 's/.*SGD steps, //; s/ flop.*//')
sed 's/, noise_eigen: 3, current: true, current_burn_in: 10//' sweep.yaml > plain.yaml
"$PDX" plan plain.yaml > plain-plan.txt
work_without=$(grep '^work' plain-plan.txt | sed 's/.*SGD steps, //; s/ flop.*//')
if $PY -c "import sys; sys.exit(0 if float('$work_with') > 1.2 * float('$work_without') else 1)"; then
  pass "plan counts the noise geometry's work ($work_without -> $work_with flop)"
else fail "plan counts the noise geometry's work ($work_without -> $work_with flop)"; fi
expect_exit 0 "run, 1 thread" -- "$PDX" run sweep.yaml -o one.h5 --threads 1 --quiet
if $PY - one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "eigen dimension and variables"; else fail "eigen dimension and variables"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert list(f["eigen"][:]) == [1, 2, 3], f["eigen"][:]
e = f["noise_eigenvalues"]
assert [d[0].name.strip("/") for d in e.dims][-2:] == ["time", "eigen"]
assert e.shape == (2, 2, 2, 2, 3), e.shape
ev = e[:]
assert np.all(np.diff(ev, axis=-1) <= 0), "not descending"
assert np.all(ev >= 0)
tr = f["noise_trace"][:]
assert np.all(ev.sum(-1) <= tr * (1 + 1e-12))
d = f["noise_dimension"][:]
assert set(d[0].ravel()) == {13.0} and set(d[1].ravel()) == {26.0}, d
r99 = f["noise_rank99"][:]
assert np.all((r99 >= 1) & (r99 <= d[..., None]))
assert np.allclose(f["noise_rank99_fraction"][:], r99 / d[..., None])
pr = f["noise_rank"][:]
assert np.all((pr >= 1) & (pr <= d[..., None] + 1e-9))
assert np.all(f["grad_snr"][:] > 0)
J, se = f["current"][:], f["current_se"][:]
assert [x[0].name.strip("/") for x in f["current"].dims][-2:] == ["eigen", "eigen2"]
assert np.allclose(J, -np.swapaxes(J, -1, -2))
assert np.all(se[..., 0, 1] > 0)
steps = f["current_steps"][:]
# (30 - 10) epochs of ceil(P / 2) steps: P = 6 at alpha 0.5, 36 at 3
assert set(steps[:, 0].ravel()) == {20 * 3} and set(steps[:, 1].ravel()) == {20 * 18}, steps
assert f.attrs["param:record.noise_eigen"] == 3
PY

# ---- determinism ----
expect_exit 0 "run, 2 threads" -- "$PDX" run sweep.yaml -o two.h5 --threads 2 --quiet
same "same bits for 1 and 2 threads" one.h5 two.h5
for i in 0 1 2; do "$PDX" run sweep.yaml -o sh.h5 --shard "$i/3" --threads 1 --quiet >/dev/null 2>&1 || fail "shard $i/3"; done
expect_exit 0 "merge shards" -- "$PDX" merge merged.h5 sh.shard-*-of-3.h5
same "same bits from 3 shards" one.h5 merged.h5
sed 's/^replicas: 2/replicas: 3/; s/alpha: \[0.5, 3\]/alpha: [0.5, 3, 1]/' sweep.yaml > big.yaml
cp one.h5 ext.h5
expect_exit 0 "extend" -- "$PDX" run big.yaml -o ext.h5 --extend --threads 2 --quiet
expect_exit 0 "bigger spec, fresh" -- "$PDX" run big.yaml -o big.h5 --threads 1 --quiet
same "extended file identical to a fresh run" ext.h5 big.h5

# a stop in the middle of the current's steps (grace 0: running tasks are
# abandoned between blocks of 256 steps), then the same command resumes:
# the file equals an uninterrupted run
# (long.yaml: ~4 s of CPU, ~2 s on two idle cores; the stop comes at 0.5 s)
sed 's/^replicas: 2/replicas: 256/; s/epochs: 30, /epochs: 900, /; s/times: \[5, 30\]/times: [5, 900]/' sweep.yaml > long.yaml
expect_exit 0 "reference for the resume" -- "$PDX" run long.yaml -o long-ref.h5 --quiet
"$PDX" run long.yaml -o long.h5 --grace 0 --threads 2 >/dev/null 2>"$WORK/err.txt" &
pid=$!
sleep 0.5
kill -USR1 $pid
wait $pid
rc=$?
if ((rc == 75)); then pass "stopped mid-run (exit 75)"; else fail "stopped mid-run: exit $rc (the run was too short?)"; fi
expect_exit 0 "the same command resumes" -- "$PDX" run long.yaml -o long.h5 --quiet
same "resumed = uninterrupted" long-ref.h5 long.h5

# the geometry changes no training: the other variables equal a run
# without it (the current steps one step at a time after its burn-in)
expect_exit 0 "run without the geometry" -- "$PDX" run plain.yaml -o plain.h5 --quiet
if $PY - one.h5 plain.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "training unchanged by the geometry"; else fail "training unchanged by the geometry"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for name in ["Q", "R", "v", "train_error", "loss", "eg", "time_to_fit"]:
    assert np.array_equal(a[name][:], b[name][:], equal_nan=True), name
assert "noise_trace" not in b and "eigen" not in b
PY

# ---- physics: a linear student on the squared loss (a quadratic: SGD
# and Langevin are Ornstein-Uhlenbeck processes). Langevin's noise is
# isotropic: no current, chi2 per pair near 19/17; SGD's D does not
# commute with the Hessian at alpha 1.5: a current far beyond its se.
cat > ou.yaml <<'YAML'
name: noise-ou
seed: 5
replicas: 12
N: 8
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: 1.5}
train: {algorithm: ALG, batch: 1, loss: squared, epochs: 4000, weight_decay: 0.05}
record: {times: [4000], noise_eigen: 3, current: true, current_burn_in: 400}
YAML
sed 's/algorithm: ALG, batch: 1/algorithm: sgd, temperature: 0.4, batch: 1/' ou.yaml > sgd.yaml
sed 's/algorithm: ALG, batch: 1/algorithm: langevin, learning_rate: 0.4, temperature: 0.4/' ou.yaml > langevin.yaml
expect_exit 0 "sgd on a quadratic" -- "$PDX" run sgd.yaml -o sgd.h5 --quiet
expect_exit 0 "langevin on a quadratic" -- "$PDX" run langevin.yaml -o langevin.h5 --quiet
if $PY - sgd.h5 langevin.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "langevin: no current; sgd: a current"; else fail "langevin: no current; sgd: a current"; fi
import sys, h5py, numpy as np
sgd = h5py.File(sys.argv[1], "r")["current_chi2"][:].ravel() / 3
lan = h5py.File(sys.argv[2], "r")["current_chi2"][:].ravel() / 3
print("chi2 per pair: sgd", sgd.round(1), "langevin", lan.round(1))
assert abs(lan.mean() - 19 / 17) < 0.6, lan.mean()
assert np.median(sgd) > 4 * 19 / 17, np.median(sgd)
PY
sed 's/^/     /' "$WORK/py.txt"

# linear regression with isotropic Gaussian inputs and label noise: at the
# minimum D -> sigma^2 H as P grows (alpha 64 here), and SGD has no current
# within its se (at alpha 1.5 the finite set's D and H do not commute and
# it has one: docs/FORMAT.md, "Probability currents")
cat > lr.yaml <<'YAML'
name: noise-linear-regression
seed: 5
replicas: 16
N: 8
teacher: {kind: committee, hidden: 1, activation: linear, output_noise: 0.5}
student: {kind: committee, hidden: 1, activation: linear}
data: {alpha: 64}
train: {algorithm: sgd, temperature: 0.4, batch: 1, loss: squared, epochs: 187, weight_decay: 0.05}
record: {times: [187], noise_eigen: 3, current: true, current_burn_in: 18}
YAML
expect_exit 0 "sgd, linear regression" -- "$PDX" run lr.yaml -o lr.h5 --quiet
if $PY - lr.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "linear regression (D ~ H): no current"; else fail "linear regression (D ~ H): no current"; fi
import sys, h5py, numpy as np
c = h5py.File(sys.argv[1], "r")["current_chi2"][:].ravel() / 3
print("chi2 per pair:", c.round(1))
assert abs(c.mean() - 19 / 17) < 0.6, c.mean()
PY
sed 's/^/     /' "$WORK/py.txt"

finish "noise: all checks passed"
