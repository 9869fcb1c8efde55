#!/usr/bin/env bash
# The robust error of issue 18 end to end: bad budgets and bad
# combinations get the spec error form (file:line:column: key), the file
# holds the budget dimension, and attacks give the same bits for any
# thread count, shard layout and resume.
# usage: robust_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-robust-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > sweep.yaml <<'YAML'
name: robust-committee
seed: 11
replicas: 2
N: 30
teacher: {kind: perceptron}
student: {kind: committee, hidden: [2, 4]}
data: {alpha: [1, 3]}
train: {algorithm: sgd, epochs: 6, loss: logistic}
record: {times: [2, 6], test_size: 150, budgets: [0.5, 0, 0.2], norm: [l2, linf], attack_steps: 4, attack_restarts: 2}
YAML

# ---- bad input ----
bad() { # NAME SED-EXPRESSION REGEX
  sed "$2" sweep.yaml > bad.yaml
  expect_exit 2 "$1" -- "$PDX" validate bad.yaml
  expect_err "$3" "$1: message"
}
bad "negative budget" 's/budgets: \[0.5, 0, 0.2\]/budgets: [0.5, -0.1]/' \
  '^pdx: error: bad.yaml:9:[0-9]+: record.budgets: -0.1 is out of range'
bad "NaN budget" 's/budgets: \[0.5, 0, 0.2\]/budgets: [.nan]/' \
  'bad.yaml:9:[0-9]+: record.budgets: expected a finite number'
bad "budgets not a list" 's/budgets: \[0.5, 0, 0.2\]/budgets: {a: 1}/' \
  'bad.yaml:9:[0-9]+: record.budgets: unknown axis form'
bad "budget text" 's/budgets: \[0.5, 0, 0.2\]/budgets: [0.1, big]/' \
  'bad.yaml:9:[0-9]+: record.budgets: expected a number'
bad "empty budgets" 's/budgets: \[0.5, 0, 0.2\]/budgets: []/' \
  'bad.yaml:9:[0-9]+: record.budgets: empty list of budgets'
bad "repeated budget" 's/budgets: \[0.5, 0, 0.2\]/budgets: [0.1, 0.1]/' \
  'bad.yaml:9:[0-9]+: record.budgets: repeated value 0.1'
bad "exact on committees" 's/attack_steps: 4/attack: exact, attack_steps: 4/' \
  'bad.yaml:9:[0-9]+: record.attack: exact needs a perceptron student'
bad "unknown norm" 's/norm: \[l2, linf\]/norm: l1/' \
  'bad.yaml:9:[0-9]+: record.norm: '
bad "propagate" 's/kind: committee, hidden: \[2, 4\]/kind: deep, depth: 2, width: 8/; s/algorithm: sgd/algorithm: propagate/; s/, loss: logistic//' \
  'bad.yaml:9:[0-9]+: record.budgets: the robust error is measured on trained'
bad "adversarial gd" 's/algorithm: sgd/algorithm: gd, adversarial_budget: 0.1/' \
  'bad.yaml:8:[0-9]+: train.adversarial_budget: adversarial training needs'

# ---- the file ----
expect_exit 0 "plan" -- "$PDX" plan sweep.yaml
expect_out '^budgets  3 robust-error budgets, 0 .. 0.5' "plan names the budgets"
expect_exit 0 "run, 1 thread" -- "$PDX" run sweep.yaml -o one.h5 --threads 1 --quiet
if $PY - one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "budget dimension and variables"; else fail "budget dimension and variables"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert list(f["budget"][:]) == [0, 0.2, 0.5], f["budget"][:]
e = f["robust_error"]
dims = [d[0].name.strip("/") for d in e.dims]
assert dims[-2:] == ["time", "budget"], dims
assert e.shape == (2, 2, 2, 2, 2, 3), e.shape
err = e[:]
assert np.all(np.diff(err, axis=-1) >= 0), "not monotone in the budget"
assert np.all(err[..., 2] > err[..., 0]), "budget 0.5 broke nothing"
assert np.all(f["robust_error_consistent"][:] <= err)
assert np.all(f["robust_attack"][:] == 3)  # pgd
assert np.all(np.isnan(f["robust_distance"][:]))
assert f.attrs["param:record.budgets"].tolist() == [0, 0.2, 0.5]
PY

# ---- determinism ----
expect_exit 0 "run, 2 threads" -- "$PDX" run sweep.yaml -o two.h5 --threads 2 --quiet
same "same bits for 1 and 2 threads" one.h5 two.h5
for i in 0 1 2; do "$PDX" run sweep.yaml -o sh.h5 --shard "$i/3" --threads 1 --quiet >/dev/null 2>&1 || fail "shard $i/3"; done
expect_exit 0 "merge shards" -- "$PDX" merge merged.h5 sh.shard-*-of-3.h5
same "same bits from 3 shards" one.h5 merged.h5

# an extension (more replicas and a new width) keeps the finished tasks'
# bits and computes the new ones as a fresh run of the bigger spec does
sed 's/^replicas: 2/replicas: 3/; s/hidden: \[2, 4\]/hidden: [2, 4, 3]/' sweep.yaml > big.yaml
cp one.h5 ext.h5
expect_exit 0 "extend" -- "$PDX" run big.yaml -o ext.h5 --extend --threads 2 --quiet
expect_exit 0 "bigger spec, fresh" -- "$PDX" run big.yaml -o big.h5 --threads 1 --quiet
same "extended file identical to a fresh run" ext.h5 big.h5

# deep students (attacked by FGSM and PGD through backpropagation to the
# input): the same bits for 1 and 2 threads and from 2 shards
sed 's/kind: committee, hidden: \[2, 4\]/kind: deep, depth: [1, 3], width: 8/; s/, loss: logistic/, batch: 6, learning_rate: 0.05/; s/attack_steps: 4/attack: [fgsm, pgd], attack_steps: 4/' sweep.yaml > deep.yaml
expect_exit 0 "deep, 1 thread" -- "$PDX" run deep.yaml -o deep1.h5 --threads 1 --quiet
expect_exit 0 "deep, 2 threads" -- "$PDX" run deep.yaml -o deep2.h5 --threads 2 --quiet
same "deep: same bits for 1 and 2 threads" deep1.h5 deep2.h5
for i in 0 1; do "$PDX" run deep.yaml -o dsh.h5 --shard "$i/2" --threads 1 --quiet >/dev/null 2>&1 || fail "deep shard $i/2"; done
expect_exit 0 "merge deep shards" -- "$PDX" merge dmerged.h5 dsh.shard-*-of-2.h5
same "deep: same bits from 2 shards" deep1.h5 dmerged.h5
if $PY - deep1.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "deep students attacked"; else fail "deep students attacked"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
err = f["robust_error"][:]
assert np.all(np.diff(err, axis=-1) >= 0), "not monotone in the budget"
assert np.all(err[..., 2] > err[..., 0]), "budget 0.5 broke nothing"
att = f["robust_attack"][:]
assert set(np.unique(att)) == {2, 3}, att  # fgsm and pgd
PY

# budgets change no training: the other variables equal a run without them
if $PY - one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "training unchanged by the budgets"; else fail "training unchanged by the budgets"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, subprocess, h5py, numpy as np, os
spec = open("sweep.yaml").read().replace(", budgets: [0.5, 0, 0.2], norm: [l2, linf], attack_steps: 4, attack_restarts: 2", "")
open("plain.yaml", "w").write(spec)
subprocess.run([os.environ["PDX"], "run", "plain.yaml", "-o", "plain.h5", "--quiet"], check=True)
a, b = h5py.File(sys.argv[1], "r"), h5py.File("plain.h5", "r")
for name in ["Q", "R", "train_error", "loss", "eg"]:
    x = a[name][:]
    for n in range(x.shape[2]):  # every record.norm gives the same training
        assert np.array_equal(x[:, :, n], b[name][:], equal_nan=True), name
PY

# theory on the same grid: the closed form from the theory's R against
# the replica mean of the exact perceptron robust error (N = 400, loads and
# budgets held back from the unit tests), within 3 standard errors; and
# the same numbers as pdx theory --curve hebb --budgets
cat > hebb.yaml <<'YAML'
name: robust-hebb-theory
seed: 21
replicas: 6
N: 400
teacher: {kind: perceptron}
student: {kind: perceptron, weights: continuous}
data: {alpha: [1.5, 6]}
train: {algorithm: hebb, epochs: 1}
record: {times: [1], test_size: 5000, budgets: [0.03, 0.25, 0.6], norm: [l2, linf]}
YAML
expect_exit 0 "hebb sweep" -- "$PDX" run hebb.yaml -o hebb.h5 --quiet
expect_exit 0 "hebb theory" -- "$PDX" theory hebb.yaml -o hebb-theory.h5 --quiet
"$PDX" theory --curve hebb --alpha 1.5,6 --budgets 0.03,0.25,0.6 > curve.csv 2>"$WORK/err.txt" || fail "theory --curve hebb --budgets"
if $PY - <<'PY' >"$WORK/py.txt" 2>&1; then pass "theory file against simulation and --curve"; else fail "theory file against simulation and --curve"; sed 's/^/     /' "$WORK/py.txt"; fi
import csv, h5py, numpy as np
s, t = h5py.File("hebb.h5", "r"), h5py.File("hebb-theory.h5", "r")
assert list(t["budget"][:]) == list(s["budget"][:])
th = t["robust_error"][:, :, 0, :]              # alpha, norm, budget
sim = s["robust_error"][:, :, :, 0, :]          # alpha, norm, replica, budget
m, se = sim.mean(2), sim.std(2, ddof=1) / np.sqrt(sim.shape[2])
z = np.abs(m - th) / np.maximum(se, 1e-12)
bad = (z > 3) & (np.abs(m - th) > 1e-3)
assert not bad.any(), f"simulation vs theory beyond 3 se: z = {z}"
rows = list(csv.DictReader(open("curve.csv")))
for r in rows:
    a = [1.5, 6].index(float(r["alpha"]))
    b = [0.03, 0.25, 0.6].index(float(r["budget"]))
    assert abs(float(r["robust_error"]) - th[a, 0, b]) < 1e-9, (r, th[a, 0, b])
assert len(rows) == 6
PY

# adversarial training: budget 0 is plain sgd bit for bit, a budget
# trains differently, and the same bits for any thread count
cat > adv.yaml <<'YAML'
name: adversarial
seed: 12
replicas: 2
N: 30
teacher: {kind: perceptron}
student: {kind: committee, hidden: 3}
data: {alpha: 2}
train: {algorithm: sgd, epochs: 4, loss: logistic, batch: 3, adversarial_budget: [0, 0.4], adversarial_attack: [fgsm, pgd]}
record: {times: [4], test_size: 100, budgets: [0, 0.4], norm: linf}
YAML
expect_exit 0 "adversarial training, 1 thread" -- "$PDX" run adv.yaml -o adv1.h5 --threads 1 --quiet
expect_exit 0 "adversarial training, 2 threads" -- "$PDX" run adv.yaml -o adv2.h5 --threads 2 --quiet
same "adversarial training: same bits for 1 and 2 threads" adv1.h5 adv2.h5
sed 's/, adversarial_budget: \[0, 0.4\], adversarial_attack: \[fgsm, pgd\]//' adv.yaml > adv0.yaml
expect_exit 0 "plain training" -- "$PDX" run adv0.yaml -o adv0.h5 --quiet
if $PY - adv1.h5 adv0.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "budget 0 is plain sgd, 0.4 is not"; else fail "budget 0 is plain sgd, 0.4 is not"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for n in range(2):
    assert np.array_equal(a["Q"][0, n], b["Q"][:]), "budget 0 differs from plain sgd"
    assert not np.array_equal(a["Q"][1, n], b["Q"][:]), "budget 0.4 trains as plain sgd"
assert not np.array_equal(a["Q"][1, 0], a["Q"][1, 1]), "fgsm and pgd train alike"
PY

finish "robust: all checks passed"
