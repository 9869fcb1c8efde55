#!/usr/bin/env bash
# Replicated training (issue 16) end to end: bad combinations get the spec
# error form (file:line:column: key), the file holds the replicated
# variables, and replicated Metropolis and SGD give the same bits for any
# thread count, shard layout, extension, and after a kill and resume.
# usage: replicated_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-replicated-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > mc.yaml <<'YAML'
name: replicated-mc
seed: 5
replicas: 3
N: 61
teacher: {kind: perceptron}
student: {kind: perceptron, weights: binary}
data: {alpha: [0.3, 0.6], label_noise: 1}
train: {algorithm: replicated_mc, temperature: 1, beta_growth: 0.05, replica_count: [1, 3], replica_gamma: 0.3, replica_gamma_growth: 0.05, replica_coupling: [traced, centre], mc_energy: stability, epochs: 80}
record: {times: [5, 80]}
YAML
cat > sgd.yaml <<'YAML'
name: replicated-sgd
seed: 6
replicas: 2
N: 40
teacher: {kind: perceptron}
student: {kind: committee, hidden: 3}
data: {alpha: [0.5, 1.5]}
train: {algorithm: replicated_sgd, learning_rate: 0.5, batch: 8, loss: logistic, replica_count: 3, replica_gamma: [0, 0.02], replica_gamma_growth: 0.1, replica_coupling: [traced, centre], epochs: 20}
record: {times: [2, 20], test_size: 300}
YAML
# deep students (issue 16 item 1): replicated SGD (both couplings) and
# Entropy-SGD (noise, averaging, scoping) next to plain sgd
cat > deep.yaml <<'YAML'
name: replicated-deep
seed: 8
replicas: 2
N: 24
teacher: {kind: perceptron}
student: {kind: deep, depth: 2, width: 10, sigma_w2: 1.5, sigma_b2: 0.05}
data: {alpha: [1, 2]}
train: {algorithm: [sgd, replicated_sgd, entropy_sgd], learning_rate: 0.08, batch: 6, replica_count: 3, replica_gamma: 0.05, replica_gamma_growth: 0.2, replica_coupling: [traced, centre], esgd_langevin_steps: 4, esgd_gamma: 0.5, esgd_noise: 0.01, esgd_alpha: 0.7, esgd_inner_learning_rate: 0.1, epochs: 15}
record: {times: [3, 15], test_size: 200}
YAML
# binary committee machines (issue 16 item 1): replicated annealing of
# K = 3 sign units, with the local energy (flipped weights)
cat > cmc.yaml <<'YAML'
name: replicated-committee
seed: 10
replicas: 3
N: 45
teacher: {kind: perceptron}
student: {kind: committee, hidden: 3, weights: binary}
data: {alpha: [0.3, 0.7], label_noise: 1}
train: {algorithm: replicated_mc, temperature: 1, beta_growth: 0.05, replica_count: [1, 3], replica_gamma: 0.3, replica_gamma_growth: 0.05, replica_coupling: [traced, centre], epochs: 60}
record: {times: [5, 60], test_size: 200, perturbations: [0, 0.05, 0.2], perturbation_draws: 4}
YAML

# ---- bad input ----
bad() { # NAME FILE SED-EXPRESSION REGEX
  sed "$3" "$2" > bad.yaml
  expect_exit 2 "$1" -- "$PDX" validate bad.yaml
  expect_err "$4" "$1: message"
}
bad "mc of continuous weights" mc.yaml 's/weights: binary/weights: spherical/' \
  '^pdx: error: bad.yaml:6:[0-9]+: student.weights: replicated_mc trains binary perceptrons'
bad "mc without a temperature" mc.yaml 's/temperature: 1, //' \
  'bad.yaml:8:[0-9]+: train.algorithm: replicated_mc needs train.temperature'
bad "no replicas" mc.yaml 's/replica_count: \[1, 3\]/replica_count: 0/' \
  'bad.yaml:8:[0-9]+: train.replica_count: 0 is out of range'
bad "too many replicas" mc.yaml 's/replica_count: \[1, 3\]/replica_count: 65/' \
  'bad.yaml:8:[0-9]+: train.replica_count: 65 is out of range'
bad "negative gamma" mc.yaml 's/replica_gamma: 0.3/replica_gamma: -1/' \
  'bad.yaml:8:[0-9]+: train.replica_gamma: -1 is out of range'
bad "unknown coupling" mc.yaml 's/\[traced, centre\]/mean/' \
  'bad.yaml:8:[0-9]+: train.replica_coupling: '
bad "beta growth for sgd" sgd.yaml 's/epochs: 20/epochs: 20, beta_growth: 0.1/' \
  'bad.yaml:8:[0-9]+: train.beta_growth: applies to no cell'
bad "replica keys for plain sgd" sgd.yaml 's/algorithm: replicated_sgd/algorithm: sgd/' \
  'bad.yaml:8:[0-9]+: train.replica_count: applies to no cell'
bad "sgd of binary weights" sgd.yaml 's/kind: committee, hidden: 3/kind: perceptron, weights: binary/' \
  'bad.yaml:6:[0-9]+: student.kind: replicated_sgd trains perceptron'
bad "even committee" cmc.yaml 's/hidden: 3/hidden: 4/' \
  'bad.yaml:6:[0-9]+: student.hidden: 4: a binary committee machine votes with an odd number of units'
bad "committee on stability" cmc.yaml 's/epochs: 60/epochs: 60, mc_energy: stability/' \
  'bad.yaml:8:[0-9]+: train.mc_energy: binary committee machines are annealed on errors'
bad "binary committee by sgd" cmc.yaml 's/algorithm: replicated_mc, temperature: 1, beta_growth: 0.05/algorithm: replicated_sgd/' \
  'bad.yaml:[0-9]+:[0-9]+: student.weights: binary weights are for student.kind perceptron'
bad "deep students by replicated_mc" deep.yaml 's/algorithm: \[sgd, replicated_sgd, entropy_sgd\], learning_rate: 0.08/algorithm: replicated_mc, temperature: 1/' \
  'bad.yaml:[0-9]+:[0-9]+: train.algorithm: deep students are trained by sgd, gd, replicated_sgd or entropy_sgd .*not by replicated_mc'

# ---- the files ----
for s in mc sgd deep cmc; do
  expect_exit 0 "$s: plan" -- "$PDX" plan $s.yaml
  expect_exit 0 "$s: run, 1 thread" -- "$PDX" run $s.yaml -o $s-one.h5 --threads 1 --quiet
done
if $PY - mc-one.h5 sgd-one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "replicated variables"; else fail "replicated variables"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
for name in sys.argv[1:]:
    f = h5py.File(name, "r")
    for v in ["success", "time_to_success", "replica_distance",
              "replica_train_error", "replica_eg"]:
        assert v in f, (name, v)
    s, t = f["success"][()], f["time_to_success"][()]
    assert set(np.unique(s)) <= {0.0, 1.0}, s
    assert np.array_equal(s == 1, np.isfinite(t)), (s, t)
    assert np.all(f["replica_distance"][()] >= 0)
    assert np.all((f["replica_train_error"][()] >= 0) & (f["replica_train_error"][()] <= 1))
    assert f.attrs["time_units"] if "time_units" in f.attrs else True
mc = h5py.File(sys.argv[1], "r")
# y = 1, traced: the centre is the one replica (an explicit centre is a
# variable of its own)
d = mc["replica_distance"][()]       # alpha, count, coupling, replica, time
assert np.all(d[:, 0, 0] == 0), d[:, 0, 0]
assert np.all(d[:, 1, ..., 0] > 0), d[:, 1]  # apart at t = 5
assert np.all(mc["accept_rate"][()] > 0)
# plain and replicated solve alpha = 0.3 always
assert np.all(mc["success"][0] == 1), mc["success"][0]
PY
# variables of replicated training only where some cell is replicated
cat > plain.yaml <<'YAML'
name: plain
N: 31
teacher: {kind: perceptron}
student: {kind: perceptron, weights: binary}
data: {alpha: 0.5}
train: {algorithm: metropolis, temperature: 0.5, epochs: 3}
YAML
expect_exit 0 "plain metropolis" -- "$PDX" run plain.yaml -o plain.h5 --quiet
if $PY - plain.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "no replicated variables in plain files"; else fail "no replicated variables in plain files"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py
f = h5py.File(sys.argv[1], "r")
for v in ["success", "time_to_success", "replica_distance", "replica_train_error", "replica_eg"]:
    assert v not in f, v
assert not any(k.startswith("param:train.replica") for k in f.attrs), list(f.attrs)
PY

# deep students: the replicas' distance counts every parameter; y = 1 is
# not in this grid, so replicas sit apart at t = 3; they learn
if $PY - deep-one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "deep: replicated variables"; else fail "deep: replicated variables"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert np.all(f["status"][()] == 1), f["status"][()]
d = f["replica_distance"][()]    # alpha, algorithm, coupling, replica, time
assert np.all(np.isnan(d[:, [0, 2]])) and np.all(d[:, 1, :, :, 0] > 0), d
# plain and Entropy-SGD students and the replicas learn (the centre, the
# mean of differently started nets, only once gamma has pulled them
# together)
te = f["train_error"][()]
assert np.all(te[:, [0, 2], ..., 1] < 0.45), te[..., 1]
assert np.all(f["replica_train_error"][()][:, 1, ..., 1] < 0.2)
assert np.all(np.isfinite(f["eg"][()])), f["eg"][()]
PY
# binary committees: success at the small load, replicas apart at t = 5,
# the size-0 local energy is the centre's training error
if $PY - cmc-one.h5 <<'PY' >"$WORK/py.txt" 2>&1; then pass "committee: replicated variables"; else fail "committee: replicated variables"; sed 's/^/     /' "$WORK/py.txt"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert np.all(f["status"][()] == 1), f["status"][()]
assert np.all(f["success"][0] == 1), f["success"][0]
d = f["replica_distance"][()]     # alpha, count, coupling, replica, time
assert np.all(d[:, 0, 0] == 0) and np.all(d[:, 1, ..., 0] > 0), d
e, te = f["local_energy"][()], f["train_error"][()]
ok = np.isfinite(te)
assert np.allclose(e[..., 0][ok], te[ok]), (e[..., 0], te)
assert np.nanmean(e[..., 2]) > np.nanmean(e[..., 0])
assert np.all(np.isfinite(f["eg"][()]))
PY

# ---- determinism ----
for s in mc sgd deep cmc; do
  expect_exit 0 "$s: run, 2 threads" -- "$PDX" run $s.yaml -o $s-two.h5 --threads 2 --quiet
  same "$s: same bits for 1 and 2 threads" $s-one.h5 $s-two.h5
  for i in 0 1 2; do "$PDX" run $s.yaml -o $s-sh.h5 --shard "$i/3" --threads 1 --quiet >/dev/null 2>&1 || fail "$s: shard $i/3"; done
  expect_exit 0 "$s: merge shards" -- "$PDX" merge $s-merged.h5 $s-sh.shard-*-of-3.h5
  same "$s: same bits from 3 shards" $s-one.h5 $s-merged.h5
done
# an extension (more replicas, a new load) keeps the finished tasks' bits
sed 's/^replicas: 3/replicas: 4/; s/alpha: \[0.3, 0.6\]/alpha: [0.3, 0.6, 0.45]/' mc.yaml > big.yaml
cp mc-one.h5 ext.h5
expect_exit 0 "extend" -- "$PDX" run big.yaml -o ext.h5 --extend --threads 2 --quiet
expect_exit 0 "bigger spec, fresh" -- "$PDX" run big.yaml -o big.h5 --threads 1 --quiet
same "extended file identical to a fresh run" ext.h5 big.h5

# ---- a kill and a resume ----
# slow.yaml takes ~5 s on one idle core (the kill comes after 1.5 s)
cat > slow.yaml <<'YAML'
name: slow-replicated
seed: 9
replicas: 48
N: 151
teacher: {kind: perceptron}
student: {kind: perceptron, weights: binary}
data: {alpha: {lin: [0.4, 0.8, 5]}, label_noise: 1}
train: {algorithm: replicated_mc, temperature: 1, beta_growth: 0.03, replica_count: 3, replica_gamma: 0.3, replica_gamma_growth: 0.03, mc_energy: stability, replica_stop: false, epochs: 150}
record: {times: [10, 150]}
YAML
expect_exit 0 "reference run" -- "$PDX" run slow.yaml -o ref.h5 --threads 2 --quiet
"$PDX" run slow.yaml -o k.h5 --threads 1 --quiet --commit-window 0.2 &
pid=$!
for i in $(seq 1 200); do [[ -e k.h5 ]] && break; sleep 0.05; done
sleep 1.5
if kill -0 "$pid" 2>/dev/null; then
  kill -KILL "$pid"; wait "$pid"; code=$?
  [[ $code == 137 ]] && pass "SIGKILL during the run (exit $code)" || fail "SIGKILL: exit $code"
else
  wait "$pid"; fail "the run finished before the kill (make slow.yaml slower)"
fi
expect_exit 0 "... resumed" -- "$PDX" run slow.yaml -o k.h5 --threads 2 --quiet
same "killed + resumed = uninterrupted" ref.h5 k.h5
# deep students: killed and resumed (slow-deep.yaml ~4 s on one core)
sed 's/^replicas: 2/replicas: 40/; s/epochs: 15/epochs: 40/' deep.yaml > slow-deep.yaml
expect_exit 0 "deep: reference run" -- "$PDX" run slow-deep.yaml -o dref.h5 --threads 2 --quiet
"$PDX" run slow-deep.yaml -o dk.h5 --threads 1 --quiet --commit-window 0.2 &
pid=$!
for i in $(seq 1 200); do [[ -e dk.h5 ]] && break; sleep 0.05; done
sleep 1.0
if kill -0 "$pid" 2>/dev/null; then
  kill -KILL "$pid"; wait "$pid"; code=$?
  [[ $code == 137 ]] && pass "deep: SIGKILL during the run (exit $code)" || fail "deep: SIGKILL: exit $code"
else
  wait "$pid"; fail "deep: the run finished before the kill (make slow-deep.yaml slower)"
fi
expect_exit 0 "deep: ... resumed" -- "$PDX" run slow-deep.yaml -o dk.h5 --threads 2 --quiet
same "deep: killed + resumed = uninterrupted" dref.h5 dk.h5

finish "replicated training: all checks passed"
