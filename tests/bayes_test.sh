#!/usr/bin/env bash
# Bayes by simulation (record.bayes, issue 14 item 5): two chains per
# replica give q, q_mean and eg_bayes; the same bits for 1 and 2 threads,
# shards and an extension; the first chain is the run without the key bit
# for bit; the variables exist only when asked; the key is refused where
# it applies to no cell; the Bayes estimator beats a Gibbs sample, and
# at the Nishimori temperature q_mean is near R_mean and eg_bayes near
# the Bayes-optimal theory (a loose check at N = 60; the 3-standard-error
# one is the long suite's long_bayes).
# usage: bayes_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-bayes-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

# flip probability p = F/2 = 0.2: the Nishimori temperature 1/ln((1-p)/p)
cat > bayes.yaml <<'YAML'
name: bayes
seed: 11
replicas: 6
N: 60
teacher: {kind: perceptron, normalise: unit_norm}
student: {kind: perceptron, weights: spherical}
data: {alpha: [1, 3], label_noise: 0.4}
train: {algorithm: [metropolis, langevin], temperature: 0.7213475204444817, epochs: 300, burn_in: 100, learning_rate: 0.05}
record: {times: [1, 30, 300], bayes: true}
YAML
expect_exit 0 "run, 1 thread" -- "$PDX" run bayes.yaml -o one.h5 -t 1 -q
expect_exit 0 "run, 2 threads" -- "$PDX" run bayes.yaml -o two.h5 -t 2 -q
same "1 and 2 threads" one.h5 two.h5
expect_exit 0 "shard 0/2" -- "$PDX" run bayes.yaml -o s.h5 --shard 0/2 -q
expect_exit 0 "shard 1/2" -- "$PDX" run bayes.yaml -o s.h5 --shard 1/2 -q
expect_exit 0 "merge" -- "$PDX" merge merged.h5 s.shard-0-of-2.h5 s.shard-1-of-2.h5 -q
same "shards merged = one process" one.h5 merged.h5
sed 's/^replicas: 6/replicas: 8/' bayes.yaml > big.yaml
cp one.h5 ext.h5
expect_exit 0 "extend to 8 replicas" -- "$PDX" run big.yaml -o ext.h5 --extend -t 2 -q
expect_exit 0 "8 replicas, fresh" -- "$PDX" run big.yaml -o big.h5 -t 1 -q
same "extended file = fresh run" ext.h5 big.h5

if $PY - one.h5 > values.txt 2>&1 <<'PY'
import math, sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
alg = [a.decode() for a in f["train.algorithm"][()]]
assert (f["status"][...] == 1).all()
q, qm, eb = f["q"][...], f["q_mean"][...], f["eg_bayes"][...]
Rm, em = f["R_mean"][..., 0, 0], f["eg_mean"][...]
assert q.shape == f["eg"].shape and qm.shape == f["status"].shape
assert np.isfinite(q).all() and np.isfinite(qm).all() and np.isfinite(eb).all()
assert (np.abs(q) <= 1 + 1e-12).all()
# the centre of mass beats a single Gibbs sample in every metropolis cell
# (means; the Langevin cells at this temperature of the mean loss are
# near chance, eg ~ 0.5, where neither can beat the other)
print("eg_bayes", eb.mean(-1)); print("eg_mean", em.mean(-1))
mc = alg.index("metropolis")
assert (eb[:, mc].mean(-1) < em[:, mc].mean(-1) - 0.01).all()
# Nishimori (metropolis, the exact Gibbs measure): q = R, eg_bayes =
# arccos(sqrt(q))/pi = bayes-spherical's eg (0.3545 at alpha 1, 0.2659
# at 3), here loosely (N = 60, 6 replicas)
m = alg.index("metropolis")
print("q_mean", qm[:, m].mean(-1), "R_mean", Rm[:, m].mean(-1))
assert (np.abs(qm[:, m].mean(-1) - Rm[:, m].mean(-1)) < 0.08).all()
assert (np.abs(eb[:, m].mean(-1) - [0.3545, 0.2659]) < 0.05).all()
PY
then pass "q, q_mean, eg_bayes: Bayes beats Gibbs, Nishimori roughly"; else
  fail "Bayes values"; fi
sed 's/^/     /' values.txt

# without the key: no pair variables, every other number identical
sed 's/, bayes: true//' bayes.yaml > plain.yaml
expect_exit 0 "run without record.bayes" -- "$PDX" run plain.yaml -o plain.h5 -q
if $PY - plain.h5 one.h5 > same.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
pair = {"q", "q_mean", "eg_bayes"}
assert not pair & set(a), sorted(a)
skip = pair | {"checksum", "wall_seconds"}
names = sorted(set(a) - skip)
assert names == sorted(set(b) - skip), (names, sorted(b))
for n in names:
    x, y = a[n][...], b[n][...]
    if x.dtype.kind == "f":
        assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), n
    else:
        assert np.array_equal(x, y), n
assert "param:record.bayes" not in a.attrs and "param:record.bayes" in b.attrs
PY
then pass "the second chain changes no other number"; else
  fail "other numbers changed"; sed 's/^/     /' same.txt | head; fi

# where it applies to no cell: refused, naming file, line and key
cat > hebb.yaml <<'YAML'
name: hebb
N: 20
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: 1}
train: {algorithm: hebb}
record: {bayes: true}
YAML
expect_exit 2 "hebb with record.bayes" -- "$PDX" validate hebb.yaml
expect_err "hebb.yaml:7:.*record.bayes.*applies to no cell" "names file, line and key"
finish "record.bayes: identity, values, only when asked"
