#!/usr/bin/env bash
# pdx refine end to end: bad arguments (exit 2, the argument named), a
# boundary whose location is known exactly (a contour of `steps`, which is
# round(alpha N) for the Hebb rule), the refined bracket against a uniform
# run of the lattice (and its cells bit-identical to that run's), thread
# counts, kill -9 at random moments then the same command, and settings
# shards merged.
# usage: refine_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$1
SRC=$2
PY=/usr/bin/python3
export PDX_PYTHON=$PY
export PYTHONPATH="$SRC/analysis"
export HDF5_USE_FILE_LOCKING=FALSE
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-refine-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
source "$SRC/tests/test_lib.sh"

# Hebb perceptrons: steps = P = round(alpha N) examples, so the contour
# steps = 37.5 lies at alpha = 37.5 / N exactly. Lattice: {lin: [0.5, 4.5,
# 257]} (8 x 32 steps of 1/64 <= 0.02), on which 37.5/20 = 1.875 and
# 37.5/40 = 0.9375 are lattice points: the brackets are [1.859375, 1.875]
# and [0.921875, 0.9375] (round(37.5) = 38 > 37.5).
cat > steps.yaml <<'EOF'
name: refine-steps
seed: 3
replicas: 2
N: [20, 40]
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: {lin: [0.5, 4.5, 9]}}
train: {algorithm: hebb, epochs: 1}
record: {times: [1]}
EOF

# ---- bad arguments: exit 2, naming the argument ---------------------------
expect_exit 0 "refine --help exit" -- "$PDX" refine --help
grep -q "usage: pdx refine" "$WORK/out.txt" && pass "refine usage text" || fail "refine usage text"
expect_exit 2 "unknown kind" -- "$PDX" refine steps.yaml --along data.alpha --kind ridge --tol 0.1
expect_err "--kind: unknown boundary kind 'ridge'" "unknown kind named"
expect_exit 2 "axis not in spec" -- "$PDX" refine steps.yaml --along train.learning_rate --kind interpolation --tol 0.1
expect_err "--along: 'train.learning_rate' is not an axis of steps.yaml \(its axes: N, data.alpha\)" "axis named"
expect_exit 2 "unknown axis name" -- "$PDX" refine steps.yaml --along alphaa --kind interpolation --tol 0.1
expect_err "--along: 'alphaa' is not an axis" "unknown axis named"
expect_exit 2 "tolerance 0" -- "$PDX" refine steps.yaml --along data.alpha --kind interpolation --tol 0
expect_err "--tol" "tolerance 0 named"
expect_exit 2 "tolerance < 0" -- "$PDX" refine steps.yaml --along data.alpha --kind interpolation --tol -0.5
expect_err "--tol: '-0.5' is not a tolerance" "negative tolerance named"
expect_exit 2 "tolerance not a number" -- "$PDX" refine steps.yaml --along data.alpha --kind interpolation --tol abc
expect_err "--tol: 'abc' is not a number" "bad tolerance named"
expect_exit 2 "no tolerance" -- "$PDX" refine steps.yaml --along data.alpha --kind interpolation
expect_err "--tol" "missing tolerance named"
expect_exit 2 "tolerance too small" -- "$PDX" refine steps.yaml --along data.alpha --kind interpolation --tol 1e-9
expect_err "--tol 1e-09: the lattice along data.alpha would have more than" "tiny tolerance named"
expect_exit 2 "contour without level" -- "$PDX" refine steps.yaml --along data.alpha --kind contour --var eg --tol 0.1
expect_err "--level" "contour level named"
expect_exit 2 "no input" -- "$PDX" refine nothing.yaml --along data.alpha --kind jump --tol 0.1
expect_err "nothing.yaml" "missing input named"
expect_exit 2 "start of 1 point" -- "$PDX" refine steps.yaml --along N --kind jump --tol 0.1 --start 1
expect_err "--start" "bad start named"
[[ ! -e refine-steps-refine.h5 ]] && pass "nothing written on bad arguments" || fail "a file was written"

# ---- the known location ----------------------------------------------------
expect_exit 0 "refine contour of steps" -- "$PDX" refine steps.yaml --along data.alpha \
  --kind contour --var steps --level 37.5 --tol 0.02 -o a.h5 -t 2 -q
$PY - <<'EOF' && pass "contour found within tolerance at the known location" || fail "contour location"
import json
r = json.load(open("a.refine.json"))
want = {20: (1.859375, 1.875), 40: (0.921875, 0.9375)}
assert len(r["settings"]) == 2, r["settings"]
for s in r["settings"]:
    lo, hi = want[s["coords"]["N"]]
    assert (s["lo"], s["hi"]) == (lo, hi), (s, lo, hi)
    assert hi - lo <= 0.02 and lo <= 37.5 / s["coords"]["N"] <= hi
assert r["cells_uniform"] == 2 * 257, r["cells_uniform"]
assert r["cells_run"] * 5 <= r["cells_uniform"], (r["cells_run"], r["cells_uniform"])
assert r["cells_run"] == sum(len(x) for x in r["rounds"])
EOF
expect_exit 0 "rerun of a finished refinement" -- "$PDX" refine steps.yaml --along data.alpha \
  --kind contour --var steps --level 37.5 --tol 0.02 -o a.h5 -q
grep -q "steps" a.refine.yaml && grep -q "{lin: \[0.5, 4.5, 257\]}" a.refine.yaml \
  && pass "lattice spec: the axis replaced" || fail "lattice spec text"
expect_exit 2 "another tolerance on the same output" -- "$PDX" refine steps.yaml --along data.alpha \
  --kind contour --var steps --level 37.5 --tol 0.05 -o a.h5 -q
expect_err "a.h5 holds a refinement of another lattice" "another lattice refused"
grep -q "257" a.refine.yaml && pass "its lattice spec kept" || fail "lattice spec overwritten"
# put the lattice spec back for the next checks
"$PDX" refine steps.yaml --along data.alpha --kind contour --var steps --level 37.5 \
  --tol 0.02 -o a.h5 -q --force 2>/dev/null

# ---- a result file as input (its stored spec), a short axis name -----------
expect_exit 0 "uniform run of the spec" -- "$PDX" run steps.yaml -o coarse.h5 -q
expect_exit 0 "refine a result file, --along alpha" -- "$PDX" refine coarse.h5 --along alpha \
  --kind contour --var steps --level 37.5 --tol 0.02 -o fromfile.h5 -q
cmp -s fromfile.refine.yaml a.refine.yaml && pass "the result file's spec, the same lattice" \
  || fail "lattice spec from a result file"

# ---- the interpolation threshold against a uniform run of the lattice -------
cat > perc.yaml <<'EOF'
name: refine-perc
seed: 7
replicas: 3
N: 40
teacher: {kind: perceptron}
student: {kind: perceptron}
data:
  alpha: {lin: [0.5, 3.5, 4]}
  label_noise: [0.5, 1]
train: {algorithm: perceptron, epochs: 200}
record: {times: [200]}
EOF
expect_exit 0 "refine interpolation (2 threads)" -- "$PDX" refine perc.yaml --along data.alpha \
  --kind interpolation --tol 0.05 -o p2.h5 -t 2 -q
expect_exit 0 "refine interpolation (1 thread)" -- "$PDX" refine perc.yaml --along data.alpha \
  --kind interpolation --tol 0.05 -o p1.h5 -t 1 -q
expect_exit 0 "uniform run of the lattice" -- "$PDX" run p2.refine.yaml -o uniform.h5 -t 2 -q
expect_exit 0 "any thread count: identical files" -- $PY "$SRC/tests/pdx_identical.py" p1.h5 p2.h5
$PY - <<'EOF' && pass "refined cells bit-identical to the uniform run's, bracket a crossing of the uniform grid" \
  || fail "refine against the uniform grid"
import json
import numpy as np
import pdx_analysis as pa
from pdx_analysis.estimators import step_fit
u, r = pa.load("uniform.h5"), pa.load("p2.h5")
rec = json.load(open("p2.refine.json"))
done = r["status"].values != 0
assert done.any() and not done.all()
for v in ("status", "steps", "eg", "train_error", "checksum"):
    a, b = u[v].values, r[v].values
    m = done.reshape(done.shape + (1,) * (a.ndim - done.ndim))
    m = np.broadcast_to(m, a.shape)
    assert np.array_equal(a[m], b[m], equal_nan=True), v
# the uniform grid's bracket of the majority of replicas (level: 1% of
# the largest replica mean of the refine's round-0 points, as documented)
x = u["data.alpha"].values
te = u["train_error"].isel(time=-1).transpose("data.label_noise", "data.alpha", "replica").values
for s, row in enumerate(rec["settings"]):
    pos = (2 * (te[s] > row["level"]).sum(axis=1) > te.shape[2])
    j0, j1 = list(x).index(row["lo"]), list(x).index(row["hi"])
    # a crossing of the uniform grid's classification, inside the zone
    # where it flips (finite-size noise makes it flip more than once)
    assert j1 == j0 + 1 and not pos[j0] and pos[j1], (row, pos)
    assert np.flatnonzero(pos)[0] <= j1 and j0 <= np.flatnonzero(~pos)[-1]
    k, _ = step_fit(pos)  # the uniform grid's best single step
    zone = np.flatnonzero(~pos)[-1] - np.flatnonzero(pos)[0] + 2
    assert abs(j1 - k) <= zone, (j1, k, zone)
    assert row["hi"] - row["lo"] <= 0.05
    assert 1.3 < row["location"] < 3.0, row  # capacity ~2 (Gardner) at F = 1
print(rec["cells_run"], "of", rec["cells_uniform"])
EOF

# ---- kill -9 at random moments, then the same command ----------------------
ok=1
for delay in 0.3 1.1 2.3 3.7 5.3; do
  "$PDX" refine perc.yaml --along data.alpha --kind interpolation --tol 0.05 -o k.h5 -t 2 -q \
    >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
"$PDX" refine perc.yaml --along data.alpha --kind interpolation --tol 0.05 -o k.h5 -t 2 -q \
  2>"$WORK/err.txt" || { ok=0; sed 's/^/     /' "$WORK/err.txt" | head; }
[[ $ok == 1 ]] && $PY "$SRC/tests/pdx_identical.py" k.h5 p2.h5 >/dev/null \
  && $PY - <<'EOF' && pass "kill -9 five times, rerun: identical file and record" || fail "resume after kill -9"
import json
a, b = json.load(open("k.refine.json")), json.load(open("p2.refine.json"))
for r in (a, b):
    r.pop("command_line"); r.pop("file")
assert a == b
EOF

# ---- shards of the settings, merged --------------------------------------
for i in 0 1; do
  expect_exit 0 "shard $i/2" -- "$PDX" refine perc.yaml --along data.alpha --kind interpolation \
    --tol 0.05 -o s.h5 --shard $i/2 -q
done
[[ -e s.part-0-of-2.h5 && -e s.part-1-of-2.refine.json ]] && pass "shard files named" || fail "shard names"
expect_exit 0 "merge the shards" -- "$PDX" merge --partial s.h5 s.part-0-of-2.h5 s.part-1-of-2.h5
expect_exit 0 "refine over the merged shards" -- "$PDX" refine perc.yaml --along data.alpha \
  --kind interpolation --tol 0.05 -o s.h5 -q
$PY - <<'EOF' && pass "shards: the same record (no cell run twice)" || fail "sharded refinement"
import json
a, b = json.load(open("s.refine.json")), json.load(open("p2.refine.json"))
for r in (a, b):
    r.pop("command_line"); r.pop("file")
assert a == b
EOF

# ---- scripts/slurm/pdx-refine.sbatch, its array tasks and its final job ----
# (run here with the variables SLURM sets; the real scheduler: slurm_test.sh)
for i in 0 1; do
  PDX=$PDX SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_JOB_ID=7 \
    bash "$SRC/scripts/slurm/pdx-refine.sbatch" perc.yaml b.h5 2 --along data.alpha \
    --kind interpolation --tol 0.05 -q >/dev/null 2>&1 || fail "sbatch array task $i"
done
PDX=$PDX bash "$SRC/scripts/slurm/pdx-refine.sbatch" perc.yaml b.h5 2 --along data.alpha \
  --kind interpolation --tol 0.05 -q >/dev/null 2>"$WORK/err.txt" || fail "sbatch final job"
$PY - <<'EOF' && pass "sbatch script: parts, merge, the whole record" || fail "sbatch record"
import json
a, b = json.load(open("b.refine.json")), json.load(open("p2.refine.json"))
for r in (a, b):
    r.pop("command_line"); r.pop("file")
assert a == b
EOF

finish "all refine checks passed"
