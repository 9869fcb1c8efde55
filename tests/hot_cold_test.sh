#!/usr/bin/env bash
# The hot/cold check of Monte Carlo tasks (issue 14 item 4): in a grid with
# both train.start values every task also runs the other start's chain, and
# `equilibrated` = 1 only when both starts pass their own test and agree
# (hot_cold_z <= 4). Checked against runs of each start alone (the same
# cells, the same streams, no partner): every other number is the same
# bit for bit, hot_cold_z is |hot - cold| / sqrt(sem_hot^2 + sem_cold^2)
# of their means, the verdict is own(hot) and own(cold) and z <= 4, and it
# bites: binary students at T = 0 and on the poor branch above alpha_c
# pass their own test in some replicas while the other start disagrees.
# Also: 1 and 2 threads give the same file; an extension cannot add or
# drop a start.
# usage: hot_cold_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-hotcold-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > pair.yaml <<'YAML'
name: hot-cold
seed: 14
replicas: 8
N: 100
teacher: {kind: perceptron, weights: binary}
student: {kind: perceptron, weights: binary}
data: {alpha: [0.5, 2.0]}
train:
  algorithm: metropolis
  temperature: [0, 0.25, 1.0]
  start: [hot, cold]
  epochs: 4000
  burn_in: 1000
record: {times: [4000]}
YAML
sed 's/start: \[hot, cold\]/start: hot/' pair.yaml > hot.yaml
sed 's/start: \[hot, cold\]/start: cold/' pair.yaml > cold.yaml
expect_exit 0 "both starts, 2 threads" -- "$PDX" run pair.yaml -o pair.h5 --threads 2 --quiet
expect_exit 0 "both starts, 1 thread" -- "$PDX" run pair.yaml -o pair1.h5 --threads 1 --quiet
same "hot/cold: 2 threads = 1 thread" pair.h5 pair1.h5
expect_exit 0 "hot start alone" -- "$PDX" run hot.yaml -o hot.h5 --threads 2 --quiet
expect_exit 0 "cold start alone" -- "$PDX" run cold.yaml -o cold.h5 --threads 2 --quiet

expect_exit 0 "the verdict is own(hot), own(cold) and hot_cold_z <= 4" -- $PY - pair.h5 hot.h5 cold.h5 <<'PYEOF'
import sys, h5py, numpy as np
pair, hot, cold = (h5py.File(p, "r") for p in sys.argv[1:4])
assert "hot_cold_z" not in hot and "hot_cold_z" not in cold
dims = [[s.name for s in d.values()][0].lstrip("/")
        for d in pair["equilibrated"].dims]
ax = dims.index("train.start")
starts = pair["train.start"].attrs["flag_meanings"]
starts = (starts.decode() if isinstance(starts, bytes) else starts).split()
alone = {"hot": hot, "cold": cold}
# every variable of the single-start runs, bit for bit, but the verdict
for name, f in alone.items():
    i = starts.index(name)
    for v in f:
        if v in ("equilibrated", "wall_seconds") or v not in pair or \
                v.startswith("checksum"):
            continue
        if f[v].ndim == 0 or "train.start" not in [
                [s.name for s in d.values()][0].lstrip("/") if len(d) else ""
                for d in pair[v].dims]:
            continue
        a = np.take(pair[v][()], i, axis=ax)
        assert np.array_equal(a, f[v][()], equal_nan=True), (name, v)
h, c = starts.index("hot"), starts.index("cold")
z = np.take(pair["hot_cold_z"][()], h, axis=ax)
assert np.array_equal(z, np.take(pair["hot_cold_z"][()], c, axis=ax),
                      equal_nan=True), "both tasks hold the same z"
want = np.zeros_like(z)
for m, s in (("train_error_mean", "train_error_sem"), ("eg_mean", "eg_sem")):
    d = np.abs(hot[m][()] - cold[m][()])
    se = np.sqrt(hot[s][()] ** 2 + cold[s][()] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        zi = np.where(d == 0, 0.0, np.where(se > 0, d / se, np.inf))
    want = np.fmax(want, np.where(np.isnan(d), np.nan, zi))
assert np.allclose(z, want, rtol=1e-12, atol=0, equal_nan=True), (z, want)
own_h, own_c = hot["equilibrated"][()] == 1, cold["equilibrated"][()] == 1
verdict = own_h & own_c & (z <= 4)
for i in (h, c):
    got = np.take(pair["equilibrated"][()], i, axis=ax) == 1
    assert np.array_equal(got, verdict), (got, verdict)
# the check bites: tasks that pass alone but not with their partner, and
# where hot and cold disagree by more than 0.1 in eg
bitten = (own_h & ~verdict) | (own_c & ~verdict)
far = np.abs(hot["eg_mean"][()] - cold["eg_mean"][()]) > 0.1
print(f"tasks passing alone: hot {own_h.sum()}, cold {own_c.sum()}; "
      f"with the hot/cold check {verdict.sum()} pairs; "
      f"unmarked by the check {bitten.sum()}, of which {(bitten & far).sum()} "
      "with |eg_hot - eg_cold| > 0.1")
assert bitten.any() and (bitten & far).any()
assert verdict.any(), "some pairs pass (high T, small alpha)"
PYEOF
sed 's/^/     /' "$WORK/out.txt"
sed 's/start: \[hot, cold\]/start: [hot]/' pair.yaml > hotaxis.yaml
expect_exit 0 "a one-value start axis" -- "$PDX" run hotaxis.yaml -o hotaxis.h5 --threads 2 --quiet
expect_exit 2 "an extension cannot add a start" -- "$PDX" run pair.yaml -o hotaxis.h5 --extend --quiet
expect_err "train.start.*checks the other start" "the extension's error says why"
no_temporaries "hot/cold runs"
finish "hot/cold: all checks passed"
