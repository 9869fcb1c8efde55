#!/usr/bin/env bash
# Issue 17, items 3-5 through `pdx run`: the noise scale g = eta P/B sets
# sgd's learning rate (a noise_scale cell is bit for bit the cell of its
# learning rate); dropout 0 is plain training bit for bit and dropout > 0
# changes it, for committee/twolayer and deep students; the Laplace
# evidence is written only when asked, costs in `pdx plan`, has
# evidence_null = -P ln 2, leaves training unchanged, and falls below the
# null model for random labels; every number is the same for 1 and 2
# threads and for shards.
# usage: issue17_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-issue17-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

# --- the noise scale: g = 1.6 at B = 4, P = 80 is eta = 0.08
cat > ns.yaml <<'YAML'
name: ns
seed: 3
replicas: 2
N: 40
teacher: {kind: perceptron}
student: {kind: twolayer, hidden: 3}
data: {alpha: 2}
train: {algorithm: sgd, batch: 4, noise_scale: 1.6, loss: logistic, epochs: 5}
record: {times: [1, 5]}
YAML
sed 's/noise_scale: 1.6/learning_rate: 0.08/' ns.yaml > lr.yaml
expect_exit 0 "noise_scale run" -- "$PDX" run ns.yaml -o ns.h5 -q
expect_exit 0 "learning_rate run" -- "$PDX" run lr.yaml -o lr.h5 -q
if $PY - ns.h5 lr.h5 > ns.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
for n in ("eg", "train_error", "loss", "R", "Q"):
    assert np.array_equal(a[n][...], b[n][...], equal_nan=True), n
print(dict(a.attrs).get("param:train.learning_rate"))
PY
then pass "noise_scale 1.6 (B 4, P 80) trains as learning_rate 0.08"; else
  fail "noise_scale cell differs"; sed 's/^/     /' ns.txt | head; fi
expect_exit 0 "plan with noise_scale" -- "$PDX" plan ns.yaml
printf 'train: {learning_rate: 0.1}\n' >> ns.yaml
expect_exit 2 "noise_scale with learning_rate" -- "$PDX" validate ns.yaml
expect_err "ns.yaml:8:.*train.noise_scale: sets the learning rate" "the error names file, line and key"

# --- dropout: committee/twolayer and deep students
cat > drop.yaml <<'YAML'
name: drop
seed: 5
replicas: 2
N: 30
student: {kind: [twolayer, deep], hidden: 4, width: 8, depth: 2, activation: tanh}
teacher: {hidden: 2}
data: {alpha: 2}
train: {algorithm: [sgd, gd], batch: 5, learning_rate: 0.1, epochs: 4, dropout: [0, 0.3]}
record: {times: [2, 4], test_size: 500}
YAML
expect_exit 0 "dropout, 1 thread" -- "$PDX" run drop.yaml -o d1.h5 -t 1 -q
expect_exit 0 "dropout, 2 threads" -- "$PDX" run drop.yaml -o d2.h5 -t 2 -q
same "dropout: 1 and 2 threads" d1.h5 d2.h5
expect_exit 0 "shard 0/2" -- "$PDX" run drop.yaml -o ds.h5 --shard 0/2 -q
expect_exit 0 "shard 1/2" -- "$PDX" run drop.yaml -o ds.h5 --shard 1/2 -q
expect_exit 0 "merge" -- "$PDX" merge dm.h5 ds.shard-0-of-2.h5 ds.shard-1-of-2.h5 -q
same "dropout: shards merged = one process" d1.h5 dm.h5
sed 's/, dropout: \[0, 0.3\]//' drop.yaml > nodrop.yaml
expect_exit 0 "no dropout key" -- "$PDX" run nodrop.yaml -o nd.h5 -q
if $PY - d1.h5 nd.h5 > drop.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
d = list(a["train.dropout"][...])
for n in ("eg", "train_error", "loss"):
    x = a[n][...]
    # axes: student.kind, train.algorithm, train.dropout, replica, time
    assert np.array_equal(x[:, :, d.index(0.0)], b[n][...], equal_nan=True), n
    assert np.all(np.isfinite(x)), n
    # dropout 0.3 changes every student's training
    for s in range(x.shape[0]):
        for g in range(x.shape[1]):
            assert not np.array_equal(x[s, g, d.index(0.0)], x[s, g, d.index(0.3)]), (n, s, g)
PY
then pass "dropout 0 = no dropout bit for bit; 0.3 changes committee and deep training"; else
  fail "dropout identity"; sed 's/^/     /' drop.txt | head; fi
printf 'name: p\nN: 20\nteacher: {kind: perceptron}\nstudent: {kind: perceptron}\ntrain: {algorithm: sgd, dropout: 0.2}\n' > pd.yaml
expect_exit 2 "dropout on a perceptron" -- "$PDX" validate pd.yaml
expect_err "pd.yaml:5:.*train.dropout" "the error names file, line and key"

# --- the evidence
cat > ev.yaml <<'YAML'
name: ev
seed: 9
replicas: 4
N: 20
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: 3, label_noise: [0, 1]}
train: {algorithm: gd, learning_rate: 0.5, loss: logistic, weight_decay: 0.2, epochs: 20}
record: {times: [20], evidence: logistic, prior_precision: [0.2, 1]}
YAML
expect_exit 0 "evidence, 1 thread" -- "$PDX" run ev.yaml -o e1.h5 -t 1 -q
expect_exit 0 "evidence, 2 threads" -- "$PDX" run ev.yaml -o e2.h5 -t 2 -q
same "evidence: 1 and 2 threads" e1.h5 e2.h5
sed 's/, evidence: logistic, prior_precision: \[0.2, 1\]//' ev.yaml > noev.yaml
expect_exit 0 "no evidence" -- "$PDX" run noev.yaml -o ne.h5 -q
if $PY - e1.h5 ne.h5 > ev.txt 2>&1 <<'PY'
import math, sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
assert "log_evidence" not in b and "evidence_occam" not in b
le, cost, occ, null = (a[n][...] for n in ("log_evidence", "evidence_cost",
                                            "evidence_occam", "evidence_null"))
assert np.allclose(le, cost + occ, rtol=1e-12, atol=0)
assert np.all(null == -60 * math.log(2)), np.unique(null)
assert np.all(occ < 0)
# training is unchanged by the evidence: both prior precisions, no evidence
for n in ("eg", "train_error", "loss"):
    for k in range(2):
        assert np.array_equal(a[n][:, k], b[n][...], equal_nan=True), n
ratio = (le - null)              # (label_noise, prior_precision, replica)
print("ratio teacher labels", ratio[0].mean(axis=-1), "random", ratio[1].mean(axis=-1))
assert np.all(ratio[0] > 0) and np.all(ratio[1].mean(axis=-1) < 0)
eg = a["evidence_eg"][...]
assert np.all(eg[0] < eg[1])
PY
then pass "evidence: cost + occam, -P ln 2, training unchanged, random labels below null"; else
  fail "evidence"; sed 's/^/     /' ev.txt | head; fi
expect_exit 0 "plan with evidence" -- "$PDX" plan ev.yaml
grep -i "cost\|work\|flop" out.txt | head -3 > plan_ev.txt
expect_exit 0 "plan without evidence" -- "$PDX" plan noev.yaml
grep -i "cost\|work\|flop" out.txt | head -3 > plan_ne.txt
if ! cmp -s plan_ev.txt plan_ne.txt; then pass "pdx plan counts the evidence"; else
  fail "pdx plan ignores the evidence"; cat plan_ev.txt; fi
printf 'name: c\nN: 20\nstudent: {kind: twolayer}\ntrain: {algorithm: sgd}\nrecord: {evidence: probit}\n' > ec.yaml
expect_exit 2 "evidence for a committee" -- "$PDX" validate ec.yaml
expect_err "ec.yaml:5:.*record.evidence" "the error names file, line and key"
finish "issue 17: noise scale, dropout, evidence"
