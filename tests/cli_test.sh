#!/usr/bin/env bash
# CLI integration tests: small real sweeps checked with ncdump, h5dump and
# Python; every class of bad spec gives exit 2 and the right message.
# usage: cli_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$1
SRC=$2
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-cli-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
source "$SRC/tests/test_lib.sh"

# ---- help and version -------------------------------------------------
expect_exit 0 "--version" -- "$PDX" --version
grep -q "^pdx " "$WORK/out.txt" && pass "version text" || fail "version text"
expect_exit 0 "--help" -- "$PDX" --help
for c in validate plan run info keys; do
  expect_exit 0 "$c --help" -- "$PDX" $c --help
  grep -q "usage: pdx $c" "$WORK/out.txt" && pass "$c usage text" || fail "$c usage text"
done
expect_exit 2 "unknown command" -- "$PDX" frobnicate
expect_err "unknown command 'frobnicate'" "unknown command message"
expect_exit 2 "run without spec" -- "$PDX" run
expect_exit 0 "keys" -- "$PDX" keys
grep -q '`train.learning_rate`' "$WORK/out.txt" && pass "keys lists train.learning_rate" || fail "keys table"

# ---- the documented key table is the one the program prints ------------
if diff <(sed -n '/<!-- keys:begin -->/,/<!-- keys:end -->/p' "$SRC/docs/SPEC.md" | sed '1d;$d') \
        <("$PDX" keys) >/dev/null; then pass "docs/SPEC.md key table is current"
else fail "docs/SPEC.md key table differs from 'pdx keys' (regenerate it)"; fi

# ---- the shipped specs validate ------------------------------------------
for s in "$SRC"/sweeps/*.yaml; do
  expect_exit 0 "validate $(basename "$s")" -- "$PDX" validate "$s"
done
expect_exit 0 "plan online-committee" -- "$PDX" plan "$SRC/sweeps/online-committee.yaml"
grep -q "^cells *36" "$WORK/out.txt" && grep -q "^tasks *144" "$WORK/out.txt" \
  && grep -q "^memory" "$WORK/out.txt" && grep -q "^output" "$WORK/out.txt" \
  && pass "plan reports cells, tasks, memory, output" || fail "plan content"

# ---- bad specs: exit 2 and FILE:LINE:COLUMN: key: message ----------------
bad() { # NAME REGEX YAML
  printf '%s\n' "$3" > "$WORK/bad.yaml"
  expect_exit 2 "bad spec: $1" -- "$PDX" validate "$WORK/bad.yaml"
  expect_err "$2" "bad spec message: $1"
}
bad "misspelt key" "bad.yaml:2:3: .*student.hiden.*did you mean 'student.hidden'" \
'student:
  hiden: 3'
bad "unknown section" "bad.yaml:1:1: .*techer.*did you mean 'teacher" 'techer: {hidden: 2}'
bad "wrong type" "bad.yaml:1:4: N: .*integer" 'N: many'
bad "float for integer" "bad.yaml:1:4: N: .*integer" 'N: 2.5'
bad "out of range" "bad.yaml:2:24: train.learning_rate: -0.5 is out of range" \
'name: x
train: {learning_rate: -0.5}'
bad "empty axis" "bad.yaml:1:19: student.hidden: .*empty" 'student: {hidden: []}'
bad "empty lin axis" "bad.yaml:1:.*train.learning_rate: " 'train: {learning_rate: {lin: [0.1, 1, 0]}}'
bad "duplicate key" "bad.yaml:3:1: N: given twice; first given at line 1" \
'N: 10
seed: 3
N: 20'
bad "bad choice" "bad.yaml:1:.*student.activation: .*did you mean 'erf'" 'student: {activation: erff}'
bad "not an axis" "bad.yaml:1:7: seed: .*axis" 'seed: [1, 2]'
bad "yaml syntax" "bad.yaml:2:" 'train: {alpha: 3
N: [1, 2'
bad "grid overflows" "bad.yaml:[0-9]+:[0-9]+: .*at most 2\^53" \
'replicas: 1000000
student: {init_scale: {log: [0.001, 1, 1000000]}}
train: {learning_rate: {log: [0.01, 1, 1000000]}}'
bad "memory exceeds machine" "bad.yaml: .*memory" \
'N: 10000000
student: {activation: relu}
record: {test_size: 10000000}'
# issue 21: a SPEC that names nothing or a directory is bad usage (2), the
# same for validate, plan, run and theory (exit 1 before)
expect_exit 2 "missing spec file" -- "$PDX" validate "$WORK/nope.yaml"
expect_err "nope.yaml: no such spec file" "missing file is named"
for cmd in validate plan run theory; do
  expect_exit 2 "$cmd: missing spec file" -- "$PDX" $cmd "$WORK/nope.yaml"
  expect_err "nope.yaml: no such spec file" "$cmd names the missing spec"
  expect_exit 2 "$cmd: a directory as spec" -- "$PDX" $cmd "$WORK"
  expect_err "a directory, not a spec file" "$cmd: directory spec"
done

# ---- finite training sets: one bad spec per new key ---------------------
P='teacher: {kind: perceptron}
student: {kind: perceptron}'
bad "teacher.kind choice" "bad.yaml:1:.*teacher.kind: .*did you mean 'perceptron'" 'teacher: {kind: perceptorn}'
bad "teacher.weights binary committee" "bad.yaml:1:.*teacher.weights: binary weights are for teacher.kind perceptron" \
'teacher: {weights: binary}
train: {algorithm: sgd}'
bad "student.kind perceptron needs perceptron teacher" "bad.yaml:1:.*student.kind: .*needs teacher.kind perceptron" \
'student: {kind: perceptron}
train: {algorithm: sgd}'
bad "student.weights binary with sgd" "bad.yaml:2:.*student.weights: binary weights are trained by metropolis" \
"teacher: {kind: perceptron}
student: {kind: perceptron, weights: binary}
train: {algorithm: sgd}"
bad "student.weights on a committee" "bad.yaml:1:.*student.weights: spherical weights are for student.kind perceptron" \
'student: {weights: spherical}
train: {algorithm: sgd}'
bad "data.alpha zero" "bad.yaml:.*data.alpha: 0 is out of range" "$P
data: {alpha: 0}
train: {algorithm: sgd}"
bad "data.alpha empty set" "bad.yaml:3:.*data.alpha: .*empty training set" "$P
data: {alpha: 0.001}
N: 10
train: {algorithm: sgd}"
bad "data.alpha with online" "bad.yaml:1:.*data.alpha: applies to training on a fixed training set" 'data: {alpha: 2}'
bad "data.label_noise above 1" "bad.yaml:.*data.label_noise: 1.5 is out of range" "$P
data: {label_noise: 1.5}"
bad "data.input_noise negative" "bad.yaml:.*data.input_noise: -0.1 is out of range" "$P
data: {input_noise: -0.1}"
bad "data.input_corruption above 1" "bad.yaml:.*data.input_corruption: 2 is out of range" "$P
data: {input_corruption: 2}"
bad "train.algorithm choice" "bad.yaml:1:.*train.algorithm: .*did you mean 'metropolis'" 'train: {algorithm: metropolsi}'
bad "online and sgd in one sweep" "bad.yaml:1:.*train.algorithm: online learning .* cannot share one time axis" \
'train: {algorithm: [online, sgd]}'
bad "train.alpha with sgd" "bad.yaml:1:.*train.alpha: is the training time of online learning" \
'train: {algorithm: sgd, alpha: 3}'
bad "train.temperature and learning_rate" "bad.yaml:1:.*train.temperature: .*give train.temperature or train.learning_rate, not both" \
'train: {algorithm: sgd, temperature: 0.01, learning_rate: 0.1}'
bad "train.temperature zero for sgd" "bad.yaml:1:.*train.temperature: sgd needs a temperature above 0" \
'train: {algorithm: sgd, temperature: 0}'
bad "train.temperature missing for langevin" "bad.yaml:1:.*train.algorithm: langevin needs train.temperature" \
'train: {algorithm: langevin}'
bad "train.temperature negative" "bad.yaml:.*train.temperature: -1 is out of range" "$P
train: {algorithm: metropolis, temperature: -1}"
bad "train.batch zero" "bad.yaml:1:.*train.batch: 0 is out of range" 'train: {algorithm: sgd, batch: 0}'
bad "train.epochs zero" "bad.yaml:1:.*train.epochs: 0 is out of range" 'train: {algorithm: sgd, epochs: 0}'
bad "train.loss choice" "bad.yaml:.*train.loss: .*did you mean 'hinge'" "$P
train: {algorithm: sgd, loss: hing}"
bad "train.loss logistic with real labels" "bad.yaml:1:.*train.loss: the logistic loss needs \+-1 labels" \
'train: {algorithm: sgd, loss: logistic}'
bad "train.weight_decay negative" "bad.yaml:1:.*train.weight_decay: -0.5 is out of range" 'train: {algorithm: sgd, weight_decay: -0.5}'
bad "train.burn_in not below epochs" "bad.yaml:.*train.burn_in: 30 is not below train.epochs = 20" "$P
student.weights: binary
train: {algorithm: metropolis, temperature: 1, epochs: 20, burn_in: 30}"
bad "train.start choice" "bad.yaml:.*train.start: .*did you mean 'cold'" "$P
train: {algorithm: metropolis, temperature: 1, start: colt}"
bad "train.start cold for a committee" "bad.yaml:1:.*train.start: a cold start .* needs student.kind perceptron" \
'train: {algorithm: sgd, start: cold}'
bad "train.move_scale too large" "bad.yaml:.*train.move_scale: 4 is out of range" "$P
train: {algorithm: metropolis, temperature: 1, move_scale: 4}"
bad "metropolis with continuous weights" "bad.yaml:2:.*student.weights: metropolis samples binary or spherical" \
"teacher: {kind: perceptron}
student: {kind: perceptron, weights: continuous}
train: {algorithm: metropolis, temperature: 1}"
bad "metropolis with default weights" "bad.yaml:3:.*train.algorithm: metropolis samples binary or spherical" "$P
train: {algorithm: metropolis, temperature: 1}"
bad "metropolis needs a perceptron student" "bad.yaml:2:.*train.algorithm: metropolis trains perceptron students" \
'teacher: {kind: perceptron}
train: {algorithm: metropolis, temperature: 1}'

# ---- finite training sets: a small real sweep, 1 vs 2 threads -----------
cat > finite.yaml <<'YAML'
name: finite
seed: 2385
replicas: 2
N: 30
teacher: {kind: perceptron, weights: binary}
student: {kind: perceptron, weights: [binary, spherical]}
data: {alpha: [0.5, 2], label_noise: [0, 0.3]}
train: {algorithm: metropolis, temperature: [0.3, 3], epochs: 40, burn_in: 20, start: [hot, cold]}
record: {times: {log: [1, 40, 5]}}
YAML
cat > finite-sgd.yaml <<'YAML'
name: finite-sgd
seed: 2385
replicas: 2
N: 30
teacher: {kind: perceptron}
student: {kind: twolayer, hidden: 4, init_scale: 1}
data: {alpha: [1, 3], label_noise: [0, 1]}
train: {algorithm: sgd, batch: [1, 8], temperature: 0.05, epochs: 30, loss: logistic}
record: {times: {log: [0.5, 40, 6]}, test_size: 500}
YAML
for f in finite finite-sgd; do
  expect_exit 0 "run $f (1 thread)" -- "$PDX" run $f.yaml -o $f-1.h5 --threads 1 --quiet
  expect_exit 0 "run $f (2 threads)" -- "$PDX" run $f.yaml -o $f-2.h5 --threads 2 --quiet
  expect_exit 0 "$f: 1 and 2 threads bit-identical" -- $PY - $f-1.h5 $f-2.h5 <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = sorted(k for k in a.keys() if k != "wall_seconds")
assert names == sorted(k for k in b.keys() if k != "wall_seconds"), names
for k in names:
    x, y = a[k][()], b[k][()]
    assert x.shape == y.shape and np.array_equal(x.view(np.uint8), y.view(np.uint8)), k
PYEOF
done
expect_exit 0 "finite files: variables, per-task values, time axis" -- $PY - finite-1.h5 finite-sgd-1.h5 <<'PYEOF'
import sys, warnings, numpy as np, xarray as xr
warnings.simplefilter("error")
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
for v in ["train_error", "train_error_clean", "loss"]:
    assert ds[v].dims[-1] == "time", (v, ds[v].dims)
for v in ["time_to_fit", "eg_mean", "train_error_mean", "accept_rate"]:
    assert ds[v].dims[-1] == "replica", (v, ds[v].dims)
assert (ds["status"].values == 1).all()
assert np.isfinite(ds["eg_mean"].values).all() and np.isfinite(ds["accept_rate"].values).all()
# cold starts at zero noise begin with zero training error
cold = ds.sel({"train.start": "cold" if ds["train.start"].dtype.kind == "U" else 1, "data.label_noise": 0.0})
assert (cold["time_to_fit"].values == 0).all(), cold["time_to_fit"].values
# times after train.epochs are NaN
assert np.isnan(ds["eg"].values[..., ds["time"].values > 40]).all()
sgd = xr.open_dataset(sys.argv[2], engine="h5netcdf")
assert np.isnan(sgd["eg"].values[..., -1]).all()  # time 40 > epochs 30
fin = sgd["eg"].values[..., :-1]
assert np.isfinite(fin).all() and ((fin >= 0) & (fin <= 1)).all()
print("ok")
PYEOF

# ---- deep networks (issue 15): threads, shards, the layer dimension -----
cat > deep-train.yaml <<'YAML'
name: deep-train
seed: 15
replicas: 2
N: 24
teacher: {kind: deep, depth: 3, width: 12, activation: erf}
student: {kind: deep, depth: [1, 4], width: 20, activation: [tanh, relu], sigma_w2: 1.5}
data: {alpha: 3, input_noise: 0.1}
train: {algorithm: [sgd, gd], batch: 8, learning_rate: 0.02, epochs: 12}
record: {times: {log: [1, 12, 4]}, test_size: 300}
YAML
cat > deep-prop.yaml <<'YAML'
name: deep-prop
seed: 16
replicas: 2
N: 30
student: {kind: deep, depth: [3, 7], width: 40, activation: [tanh, hard_tanh, sigmoid], sigma_w2: [1, 3], sigma_b2: 0.1}
train: {algorithm: propagate}
propagate: {c0: [0.1, 0.9], probes: 3, curve_points: 12}
record: {times: [1]}
YAML
for f in deep-train deep-prop; do
  expect_exit 0 "run $f (1 thread)" -- "$PDX" run $f.yaml -o $f-1.h5 --threads 1 --quiet
  expect_exit 0 "run $f (2 threads)" -- "$PDX" run $f.yaml -o $f-2.h5 --threads 2 --quiet
  expect_exit 0 "run $f (shard 0/3)" -- "$PDX" run $f.yaml -o $f-s.h5 --shard 0/3 --quiet
  expect_exit 0 "run $f (shard 1/3)" -- "$PDX" run $f.yaml -o $f-s.h5 --shard 1/3 --threads 1 --quiet
  expect_exit 0 "run $f (shard 2/3)" -- "$PDX" run $f.yaml -o $f-s.h5 --shard 2/3 --quiet
  expect_exit 0 "merge $f" -- "$PDX" merge $f-m.h5 $f-s.shard-*-of-3.h5 --quiet
  expect_exit 0 "$f: 1 and 2 threads and 3 shards bit-identical" -- $PY - $f-1.h5 $f-2.h5 $f-m.h5 <<'PYEOF'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")
names = sorted(k for k in a.keys() if k != "wall_seconds")
for other in sys.argv[2:]:
    b = h5py.File(other, "r")
    assert names == sorted(k for k in b.keys() if k != "wall_seconds"), names
    for k in names:
        x, y = a[k][()], b[k][()]
        assert x.shape == y.shape and np.array_equal(x.view(np.uint8), y.view(np.uint8)), (other, k)
PYEOF
done
expect_exit 0 "deep files: layer dimension, NaN beyond depth, status" -- $PY - deep-train-1.h5 deep-prop-1.h5 <<'PYEOF'
import sys, warnings, numpy as np, xarray as xr
warnings.simplefilter("error")
t = xr.open_dataset(sys.argv[1], engine="h5netcdf")
assert "layer" not in t.dims and "q_layer" not in t  # training: no layer dimension
assert (t["status"].values == 1).all()
assert np.isfinite(t["eg"].values).all() and np.isfinite(t["train_error"].values).all()
assert "param:student.depth" not in t.attrs and "param:student.width" in t.attrs
p = xr.open_dataset(sys.argv[2], engine="h5netcdf")
assert list(p["layer"].values) == [1, 2, 3, 4, 5, 6, 7], p["layer"].values
for v in ["q_layer", "c_layer", "chi_layer", "curve_length_layer"]:
    assert p[v].dims[-2:] == ("replica", "layer"), (v, p[v].dims)
    short = p[v].sel({"student.depth": 3})
    assert np.isfinite(short.isel(layer=slice(0, 3))).all() and np.isnan(short.isel(layer=slice(3, None))).all(), v
    assert np.isfinite(p[v].sel({"student.depth": 7})).all(), v
# c0 at the input: c^1 = (sigma_w2 q0 c0 + sigma_b2)/q^1 up to sampling noise
c1 = p["c_layer"].isel(layer=0).mean("replica")
assert (c1.sel({"propagate.c0": 0.9}) > c1.sel({"propagate.c0": 0.1})).all()
assert "param:propagate.probes" in p.attrs and "param:teacher.depth" not in p.attrs
PYEOF
printf 'student: {kind: deep, width: 0}\n' > bad-deep.yaml
expect_exit 2 "deep: width 0" -- "$PDX" validate bad-deep.yaml
expect_err "bad-deep.yaml:1:30: student.width: 0 is out of range" "deep: width 0 message"
printf 'student: {kind: deep}\ntrain: {algorithm: metropolis, temperature: 1}\n' > bad-deep.yaml
expect_exit 2 "deep: metropolis" -- "$PDX" validate bad-deep.yaml
expect_err "train.algorithm: deep students are trained by sgd, gd" "deep: metropolis message"

# ---- a small real sweep -------------------------------------------------
cat > small.yaml <<'YAML'
name: small
seed: 2385
replicas: 3
N: 60
teacher: {hidden: 2}
student: {hidden: [1, 3], activation: [erf, relu]}
train: {learning_rate: [0.3, 1.7, 40.0], alpha: 3}
record: {times: {log: [0.05, 4, 9]}, test_size: 500}
YAML
expect_exit 0 "run small (1 thread)" -- "$PDX" run small.yaml -o t1.h5 --threads 1 --quiet
expect_exit 0 "run small (2 threads)" -- env OMP_NUM_THREADS=2 "$PDX" run small.yaml -o t2.h5 --quiet
expect_exit 0 "run small (progress lines)" -- "$PDX" run small.yaml -o t3.h5 --threads 2
expect_err "pdx: +[0-9.]+% done" "progress lines on a non-TTY stderr"

expect_exit 0 "1 and 2 threads bit-identical" -- $PY - t1.h5 t2.h5 <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = sorted(k for k in a.keys() if k != "wall_seconds")
assert names == sorted(k for k in b.keys() if k != "wall_seconds"), names
for k in names:
    x, y = a[k][()], b[k][()]
    assert x.dtype == y.dtype and x.shape == y.shape, k
    if x.dtype.kind == "f":
        assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), f"{k} differs"
    else:
        assert np.array_equal(x, y), f"{k} differs"
print("identical:", names)
PYEOF

# bundles (online tasks of one replica sharing each input) change no bit
cat > online.yaml <<'YAML'
name: online
seed: 41
replicas: 2
N: 70
teacher: {hidden: 2, output_noise: [0, 0.3]}
student: {hidden: [1, 3], second_layer: [fixed, trained]}
train: {learning_rate: {log: [0.1, 3, 4]}, alpha: [1.5, 3]}
record: {times: {log: [0.02, 3, 7]}}
YAML
expect_exit 0 "online tasks run alone (--bundle 1)" -- "$PDX" run online.yaml -o alone.h5 --bundle 1 --quiet
expect_exit 0 "online tasks bundled (--bundle 5)" -- "$PDX" run online.yaml -o bundled.h5 --bundle 5 --quiet
expect_exit 0 "bundled and lone runs bit-identical" -- $PY - alone.h5 bundled.h5 <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in a:
    if k == "wall_seconds":
        continue
    x, y = a[k][()], b[k][()]
    assert x.tobytes() == y.tobytes(), k
assert (a["status"][()] == 1).all()
print("identical")
PYEOF
expect_exit 2 "bad --bundle" -- "$PDX" run online.yaml --bundle 0

expect_exit 0 "ncdump -h names the dimensions" -- ncdump -h t1.h5
if grep -q phony_dim "$WORK/out.txt"; then fail "ncdump shows phony dimensions"; else pass "no phony dimensions"; fi
for d in student.hidden student.activation train.learning_rate replica time student_unit teacher_unit; do
  grep -Eq "^\s+\"?$d\"? = [0-9]+ ;" "$WORK/out.txt" && pass "ncdump dimension $d" || fail "ncdump dimension $d"
done
grep -Eq "double eg\(student.hidden, student.activation, train.learning_rate, replica, time\)" "$WORK/out.txt" \
  && pass "ncdump: eg has named dimensions" || fail "ncdump: eg dimensions"
expect_exit 0 "h5dump reads the file" -- h5dump -H t1.h5

expect_exit 0 "xarray: labelled variables, statuses, NaN after divergence" -- $PY - t1.h5 <<'PYEOF'
import sys, warnings, numpy as np, xarray as xr
warnings.simplefilter("error")
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
assert ds["eg"].dims == ("student.hidden", "student.activation", "train.learning_rate", "replica", "time"), ds["eg"].dims
assert ds["Q"].dims[-2:] == ("student_unit", "student_unit2")
assert list(ds["student.hidden"].values) == [1, 3]
assert ds["student.activation"].attrs["flag_meanings"] == "erf relu"
assert ds.attrs["title"] == "small" and len(ds.attrs["spec_sha256"]) == 64
st = ds["status"].values
lr = list(ds["train.learning_rate"].values)
# relu students diverge at learning rate 40; at 0.3 every run converges
# (erf students saturate instead of diverging)
relu = list(ds["student.activation"].attrs["flag_meanings"].split()).index("relu")
assert (st[:, relu, lr.index(40.0)] == 2).all(), st
assert (st[:, :, lr.index(0.3)] == 1).all(), st
eg = ds["eg"].values
assert np.isnan(eg[st == 2][:, -1]).all()
ok = eg[st == 1]
# times beyond train.alpha = 3 are NaN, the others finite
t = ds["time"].values
assert np.isnan(ok[:, t > 3]).all() and np.isfinite(ok[:, t <= 3]).all()
# K = 1 student: units beyond K are NaN in Q
assert np.isnan(ds["Q"].values[0, ..., 1, :]).all()
print("ok")
PYEOF

expect_exit 0 "info" -- "$PDX" info t1.h5
grep -Eiq "done" "$WORK/out.txt" && grep -Eiq "diverged" "$WORK/out.txt" \
  && pass "info reports status counts" || fail "info content"
expect_exit 1 "info on a non-pdx file" -- "$PDX" info small.yaml
expect_err "small.yaml" "info names the bad file"

# ---- rerun, refusal, force ----------------------------------------------
expect_exit 0 "rerun of a finished file" -- "$PDX" run small.yaml -o t1.h5
expect_err "already complete" "rerun says the file is complete"
sed 's/seed: 2385/seed: 2386/' small.yaml > other.yaml
expect_exit 2 "different spec onto the same file is refused" -- "$PDX" run other.yaml -o t1.h5 --quiet
expect_err "(does not match|different)" "refusal message"
expect_err "--force" "refusal suggests --force"
# issue 21: the refusal names the keys that differ (old -> new) and says
# whether --extend keeps the results; --force only as the last resort
expect_err "written for a different spec: seed: 2385 -> 2386; not an extension: " "refusal names the changed key"
expect_err "^--extend cannot keep its results; use -o .*--force starts over and discards" "no --extend for a changed seed"
sed 's/replicas: 3/replicas: 5/; s/learning_rate: \[0.3, 1.7, 40.0\]/learning_rate: [0.3, 1.7, 40.0, 90.0]/' small.yaml > more.yaml
expect_exit 2 "an extending spec onto the same file is refused" -- "$PDX" run more.yaml -o t1.h5 --quiet
expect_err "different spec: replicas: 3 -> 5; train.learning_rate: \[0.3, 1.7, 40\] -> \[0.3, 1.7, 40, 90\]\);" "refusal names the added replicas and axis values"
expect_err "^this spec extends it: use --extend to keep its results" "refusal suggests --extend"
expect_exit 0 "--force starts over" -- "$PDX" run other.yaml -o t1.h5 --quiet --force
# issue 21: --extend --force contradict each other (accepted before)
expect_exit 2 "--extend --force refused" -- "$PDX" run other.yaml -o t1.h5 --quiet --force --extend
expect_err "--force and --extend" "--extend --force message"
# issue 21: never over a file that is not a pdx result file, even forced
cp small.yaml keep.yaml
expect_exit 2 "run --force onto the spec itself" -- "$PDX" run keep.yaml -o keep.yaml --quiet --force
expect_err "keep.yaml already exists and is not an HDF5 file.*even with --force" "run names the spec it refuses"
cmp -s small.yaml keep.yaml && pass "spec left untouched" || fail "spec was overwritten"
"$PDX" --help >/dev/null
"$PDX" run --help | grep -q "never written over, even with --force" \
  && pass "run --help states the overwrite policy" || fail "run --help lacks the overwrite policy"
# issue 21: a symbolic link as output is written through
ln -sf t1.h5 t1-link.h5
expect_exit 0 "rerun through a symbolic link" -- "$PDX" run other.yaml -o t1-link.h5
expect_err "already complete" "the link's target is the finished file"
expect_exit 0 "--force through a symbolic link" -- "$PDX" run other.yaml -o t1-link.h5 --quiet --force
[[ -L t1-link.h5 ]] && pass "the link stays a link" || fail "the link was replaced by a regular file"
expect_exit 0 "the target holds the new run" -- "$PDX" run other.yaml -o t1.h5
expect_err "already complete" "the finished file is the link's target"

finish "all CLI checks passed"
