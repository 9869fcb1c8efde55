#!/usr/bin/env bash
# Entropy-SGD and the local energy of issue 16 end to end: bad input gets
# the spec error form (file:line:column: key), the file holds the
# perturbation dimension and its labels, the numbers are the same bits for
# any thread count, shard layout and after a kill and resume, and the
# perturbations change no training.
# usage: flatness_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-flat-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE PDX
source "$SRC/tests/test_lib.sh"

cat > sweep.yaml <<'YAML'
name: flatness
seed: 5
replicas: 2
N: 40
teacher: {kind: perceptron}
student: {kind: [perceptron, committee], hidden: 3, init_scale: 1}
data: {alpha: [1, 2], label_noise: 1}
train: {algorithm: [sgd, entropy_sgd], epochs: 12, batch: 8, loss: hinge, esgd_langevin_steps: 4, esgd_gamma: 0.3, esgd_gamma_growth: 0.1}
record: {times: [4, 12], test_size: 100, perturbations: [0.3, 0, 0.1], perturbation_draws: 6}
YAML

# ---- bad input ----
bad() { # NAME SED-EXPRESSION REGEX
  sed "$2" sweep.yaml > bad.yaml
  expect_exit 2 "$1" -- "$PDX" validate bad.yaml
  expect_err "$3" "$1: message"
}
bad "negative perturbation" 's/perturbations: \[0.3, 0, 0.1\]/perturbations: [0.1, -0.2]/' \
  '^pdx: error: bad.yaml:9:[0-9]+: record.perturbations: -0.2 is out of range'
bad "empty perturbations" 's/perturbations: \[0.3, 0, 0.1\]/perturbations: []/' \
  'bad.yaml:9:[0-9]+: record.perturbations: empty list of perturbations'
bad "repeated perturbation" 's/perturbations: \[0.3, 0, 0.1\]/perturbations: [0.1, 0.1]/' \
  'bad.yaml:9:[0-9]+: record.perturbations: repeated value 0.1'
bad "zero draws" 's/perturbation_draws: 6/perturbation_draws: 0/' \
  'bad.yaml:9:[0-9]+: record.perturbation_draws: 0 is out of range'
bad "binary p above 1" 's/kind: \[perceptron, committee\], hidden: 3, init_scale: 1/kind: perceptron, weights: binary/; s/algorithm: \[sgd, entropy_sgd\]/algorithm: metropolis, temperature: 0.1/; s/perturbations: \[0.3, 0, 0.1\]/perturbations: [0.5, 1.5]/' \
  'bad.yaml:9:[0-9]+: record.perturbations: 1.5: binary students flip a fraction p'
bad "online" 's/teacher: {kind: perceptron}/teacher: {kind: committee}/; s/kind: \[perceptron, committee\]/kind: committee/; s/data: {alpha: \[1, 2\], label_noise: 1}/train.alpha: 3/; s/^train: {algorithm: \[sgd, entropy_sgd\], .*$/train.algorithm: online/' \
  'record.perturbations: the local energy is the training error of'
bad "entropy_sgd of binary weights" 's/kind: \[perceptron, committee\], hidden: 3, init_scale: 1/kind: perceptron, weights: binary/; s/, loss: hinge//' \
  'bad.yaml:[0-9]+:[0-9]+: student.weights: binary weights are trained by metropolis'
bad "esgd alpha 0" 's/esgd_gamma: 0.3/esgd_gamma: 0.3, esgd_alpha: 0/' \
  'bad.yaml:8:[0-9]+: train.esgd_alpha: 0 is out of range'

# ---- the file ----
expect_exit 0 "plan" -- "$PDX" plan sweep.yaml
expect_out '^perturbations 3 local-energy sizes, 0 .. 0.3' "plan names the sizes"
expect_exit 0 "run, 1 thread" -- "$PDX" run sweep.yaml -o one.h5 --threads 1 --quiet
if $PY - one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "perturbation dimension and variables"; else fail "perturbation dimension and variables"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert list(f["perturbation"][:]) == [0, 0.1, 0.3], f["perturbation"][:]
assert f["perturbation"].attrs["long_name"].decode() == "perturbation size p or σ"
for name in ["local_energy", "local_energy_se", "local_loss", "local_loss_se"]:
    e = f[name]
    dims = [d[0].name.strip("/") for d in e.dims]
    assert dims[-2:] == ["time", "perturbation"], dims
    assert e.shape == (2, 2, 2, 2, 2, 3), e.shape
    assert "long_name" in e.attrs
e = f["local_energy"][:]
# size 0 is the training error itself, exactly
assert np.allclose(e[..., 0], f["train_error"][:], atol=1e-12), "size 0"
assert np.all(f["local_energy_se"][..., 0] < 1e-12)
assert np.all(f["local_energy_se"][..., 1:] >= 0) and np.mean(f["local_energy_se"][..., 1:] > 0) > 0.5
assert f.attrs["param:record.perturbations"].tolist() == [0, 0.1, 0.3]
PY

# ---- determinism ----
expect_exit 0 "run, 2 threads" -- "$PDX" run sweep.yaml -o two.h5 --threads 2 --quiet
same "same bits for 1 and 2 threads" one.h5 two.h5
for i in 0 1 2; do "$PDX" run sweep.yaml -o sh.h5 --shard "$i/3" --threads 1 --quiet >/dev/null 2>&1 || fail "shard $i/3"; done
expect_exit 0 "merge shards" -- "$PDX" merge merged.h5 sh.shard-*-of-3.h5
same "same bits from 3 shards" one.h5 merged.h5
# an extension (a replica and a load more) keeps the finished tasks' bits
# and computes the new ones as a fresh run of the bigger spec does
sed 's/^replicas: 2/replicas: 3/; s/alpha: \[1, 2\]/alpha: [1, 2, 3]/' sweep.yaml > big.yaml
cp one.h5 ext.h5
expect_exit 0 "extend" -- "$PDX" run big.yaml -o ext.h5 --extend --threads 2 --quiet
expect_exit 0 "bigger spec, fresh" -- "$PDX" run big.yaml -o big.h5 --threads 1 --quiet
same "extended file identical to a fresh run" ext.h5 big.h5
# a kill part-way and a resume: the same bits (long.yaml takes ~4 s on
# one idle core; the kill comes after 0.4 s)
sed 's/^replicas: 2/replicas: 480/; s/epochs: 12/epochs: 60/' sweep.yaml > long.yaml
expect_exit 0 "long run, uninterrupted" -- "$PDX" run long.yaml -o full.h5 --threads 2 --quiet
"$PDX" run long.yaml -o killed.h5 --threads 1 --quiet >/dev/null 2>&1 &
pid=$!
sleep 0.4
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
code=$?
[[ $code == 137 ]] && pass "killed part-way (exit $code)" || fail "kill -9: exit $code (the run finished first?)"
expect_exit 0 "resume after kill -9" -- "$PDX" run long.yaml -o killed.h5 --threads 2 --quiet
same "resumed file identical to an uninterrupted run" full.h5 killed.h5

# perturbations change no training: the other variables equal a run
# without them
if $PY - one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "training unchanged by the perturbations"; else fail "training unchanged by the perturbations"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, subprocess, h5py, numpy as np, os
spec = open("sweep.yaml").read().replace(", perturbations: [0.3, 0, 0.1], perturbation_draws: 6", "")
open("plain.yaml", "w").write(spec)
subprocess.run([os.environ["PDX"], "run", "plain.yaml", "-o", "plain.h5", "--quiet"], check=True)
a, b = h5py.File(sys.argv[1], "r"), h5py.File("plain.h5", "r")
for name in ["Q", "R", "train_error", "loss", "eg"]:
    assert np.array_equal(a[name][:], b[name][:], equal_nan=True), name
PY

# ---- replicated training: the local energy is the centre's ----
# replicated_sgd (centre = the replicas' mean) and replicated_mc (the
# majority of the binary replicas), stopped at the first success: the
# size-0 local energy is the centre's training error, not a replica's, and
# the numbers are the same bits for 1 and 2 threads and from 2 shards.
cat > rep.yaml <<'YAML'
name: flatness-replicated
seed: 7
replicas: 3
N: 41
teacher: {kind: perceptron}
student: {hidden: 3, init_scale: 1}
data: {alpha: 0.6, label_noise: 1}
train: {epochs: 40, batch: 5, loss: hinge, temperature: 2, mc_energy: stability, replica_count: 3, replica_gamma: 0.05, replica_gamma_growth: 0.02}
zip: {student.kind: [committee, perceptron], student.weights: [continuous, binary], train.algorithm: [replicated_sgd, replicated_mc]}
record: {times: [10, 40], test_size: 100, perturbations: [0, 0.05, 0.2], perturbation_draws: 6}
YAML
expect_exit 0 "replicated, 1 thread" -- "$PDX" run rep.yaml -o rep1.h5 --threads 1 --quiet
expect_exit 0 "replicated, 2 threads" -- "$PDX" run rep.yaml -o rep2.h5 --threads 2 --quiet
same "replicated local energy: same bits for 1 and 2 threads" rep1.h5 rep2.h5
for i in 0 1; do "$PDX" run rep.yaml -o rsh.h5 --shard "$i/2" --threads 1 --quiet >/dev/null 2>&1 || fail "replicated shard $i/2"; done
expect_exit 0 "merge replicated shards" -- "$PDX" merge rmerged.h5 rsh.shard-*-of-2.h5
same "replicated local energy: same bits from 2 shards" rep1.h5 rmerged.h5
if $PY - rep1.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "replicated: local energy of the centre"; else fail "replicated: local energy of the centre"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
e, te = f["local_energy"][:], f["train_error"][:]
rte = f["replica_train_error"][:]
ok = np.isfinite(te)
assert ok.sum() >= 6, ok.sum()
assert np.allclose(e[..., 0][ok], te[ok], atol=1e-12), (e[..., 0], te)
# the centre is not a replica: somewhere its error differs from theirs
assert np.any(np.abs(te[ok] - rte[ok]) > 1e-9), (te, rte)
# perturbing costs errors on average
assert np.nanmean(e[..., 2]) > np.nanmean(e[..., 0]), e
PY

# ---- deep students: every parameter perturbed ----
# sgd and entropy_sgd of a deep tanh net: size 0 is the student's training
# error, noise raises the loss, the same bits for 1 and 2 threads.
cat > deep.yaml <<'YAML'
name: flatness-deep
seed: 11
replicas: 2
N: 24
teacher: {kind: perceptron}
student: {kind: deep, depth: 2, width: 12, activation: tanh}
data: {alpha: 3}
train: {algorithm: [sgd, entropy_sgd], epochs: 10, batch: 8, learning_rate: 0.05, esgd_langevin_steps: 3, esgd_gamma: 0.3}
record: {times: [5, 10], test_size: 100, perturbations: [0, 0.3, 1], perturbation_draws: 4}
YAML
expect_exit 0 "deep, 1 thread" -- "$PDX" run deep.yaml -o deep1.h5 --threads 1 --quiet
expect_exit 0 "deep, 2 threads" -- "$PDX" run deep.yaml -o deep2.h5 --threads 2 --quiet
same "deep local energy: same bits for 1 and 2 threads" deep1.h5 deep2.h5
if $PY - deep1.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "deep: local energy of the student"; else fail "deep: local energy of the student"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
e, loss, te = f["local_energy"][:], f["local_loss"][:], f["train_error"][:]
assert np.all(np.isfinite(e)) and np.all(np.isfinite(loss)), e
assert np.array_equal(e[..., 0], te), (e[..., 0], te)
assert np.all(loss[..., 2] > loss[..., 0]), loss
PY

finish "flatness: all checks passed"
