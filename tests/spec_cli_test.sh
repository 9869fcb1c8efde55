#!/usr/bin/env bash
# Specs from the command line (issue 19, item 4): KEY=VALUE overrides for
# run, validate and plan, recorded in the file's spec text (resume with the
# same overrides, refusal naming the keys without them); the spec's
# identity from its parsed form (a comment-only edit resumes; a file of an
# older pdx, whose spec_sha256 is the hash of the raw text, still resumes
# when the text matches); zip groups as one dimension with auxiliary
# coordinates that xarray reads, identical to the same cells of a crossed
# grid, through shards, merge and --extend; keys that apply to no cell.
# usage: spec_cli_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-spec-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=2 HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > base.yaml <<'YAML'
name: spec19
seed: 1903
replicas: 2
N: 30
teacher: {kind: perceptron}
student: {kind: perceptron, weights: spherical}
data: {alpha: [0.5, 1, 2]}
train: {algorithm: metropolis, temperature: 0.5, epochs: 20, burn_in: 10}
record: {times: [5, 20]}
YAML

# ---- overrides ---------------------------------------------------------------
expect_exit 0 "validate with overrides" -- "$PDX" validate base.yaml N=40 'train.temperature=[0.25, 1]'
expect_out "ok: 2 axes, 6 cells, 12 tasks" "validate counts the overridden axis"
expect_exit 0 "plan with overrides" -- "$PDX" plan base.yaml 'data.alpha={log: [0.25, 4, 5]}'
expect_out "^cells +5" "plan sees the overridden axis"
expect_exit 2 "an override of an unknown key" -- "$PDX" validate base.yaml train.temprature=1
expect_err "^pdx: error: <command line>:1: train.temprature: \(override 1\) unknown key; did you mean 'train.temperature'\?" "the error names the override"
expect_exit 2 "an override with a bad value" -- "$PDX" run base.yaml N=40 N=abc -o bad.h5
expect_err "<command line>:2: N: \(override 2\) overridden twice" "a key overridden twice is named"
expect_exit 2 "an argument that is no override" -- "$PDX" run base.yaml other.yaml
expect_err "'other.yaml' after it is no KEY=VALUE override" "a second spec is refused"
[[ ! -e bad.h5 ]] && pass "nothing written for a bad override" || fail "bad.h5 written"

expect_exit 0 "run with overrides" -- "$PDX" run base.yaml -o over.h5 --quiet 'train.temperature=[0.25, 1]' seed=7
$PY - over.h5 <<'EOF' && pass "the file's spec text records the overrides and names the axis" || fail "spec text of an overridden run"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
text = f.attrs["spec"].decode()
assert text.endswith("--- # pdx command-line overrides\ntrain.temperature: [0.25, 1]\nseed: 7\n"), text
assert list(f["train.temperature"][()]) == [0.25, 1.0]
assert f.attrs["seed"] == 7, f.attrs["seed"]
EOF
expect_exit 0 "the same overrides: complete" -- "$PDX" run base.yaml -o over.h5 'train.temperature=[0.25, 1]' seed=7
expect_err "already complete for this spec" "rerun with the same overrides finds the file complete"
expect_exit 2 "without the overrides: refused" -- "$PDX" run base.yaml -o over.h5
expect_err "different spec: seed: 7 -> 1903; train.temperature: \[0.25, 1\] -> 0.5" "the refusal names the overridden keys"
expect_exit 0 "theory with the same overrides" -- "$PDX" theory base.yaml -o over-theory.h5 --quiet 'train.temperature=[0.25, 1]' seed=7
$PY - over.h5 over-theory.h5 <<'EOF' && pass "the theory file of the overridden spec has the run's identity and axes" || fail "theory with overrides"
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert a.attrs["spec_sha256"] == b.attrs["spec_sha256"]
assert list(b["train.temperature"][()]) == [0.25, 1.0]
EOF
# the spec text of the file runs as a spec of its own
$PY -c 'import h5py, sys; open("from-file.yaml", "w").write(h5py.File("over.h5", "r").attrs["spec"].decode())'
expect_exit 0 "the file's spec text is a spec of this file" -- "$PDX" run from-file.yaml -o over.h5
expect_err "already complete for this spec" "the recorded text identifies the file's spec"

# ---- identity: comments and layout do not matter --------------------------
expect_exit 0 "run the base spec" -- "$PDX" run base.yaml -o ident.h5 --quiet
{ echo "# a comment added after the run"; sed 's/^data: {alpha: \[0.5, 1, 2\]}$/data:\n  alpha: [0.50, 1.0, 2]   # load/' base.yaml; } > commented.yaml
expect_exit 0 "a comment-only edit: complete" -- "$PDX" run commented.yaml -o ident.h5
expect_err "already complete for this spec" "comments and layout leave the spec's identity"
# an interrupted run resumes after a comment-only edit
expect_exit 0 "a partial run (shard file)" -- "$PDX" run base.yaml -o part.h5 --shard 0/2 --quiet
expect_exit 0 "resumes after a comment-only edit" -- "$PDX" run commented.yaml -o part.h5 --shard 0/2
expect_err "already complete" "the shard is the same spec's"
sed 's/epochs: 20/epochs: 30/' base.yaml > changed.yaml
expect_exit 2 "a changed value: refused" -- "$PDX" run changed.yaml -o ident.h5
expect_err "different spec: train.epochs: 20 -> 30" "the refusal names the changed key"
# a file of an older pdx holds the hash of the raw text: still this spec's
$PY - ident.h5 base.yaml <<'EOF' || fail "could not make an old-style file"
import sys, hashlib, h5py, numpy as np
raw = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest().encode()
with h5py.File(sys.argv[1], "r+") as f:
    old = f.attrs["spec_sha256"]
    assert old != raw, "the canonical hash should differ from the raw one"
    f.attrs.create("spec_sha256", raw, dtype=h5py.string_dtype("ascii", len(raw)))
EOF
expect_exit 0 "an old-style hash of the same text: complete" -- "$PDX" run base.yaml -o ident.h5
expect_err "already complete for this spec" "raw-text hashes of older files still match"
expect_exit 2 "an old-style hash of another text: refused" -- "$PDX" run changed.yaml -o ident.h5
expect_err "different spec: train.epochs: 20 -> 30" "the refusal of an old-style file names the changed key"
# ... and of a comment-edited text: the spec text the file stores decides
expect_exit 0 "an old-style file after a comment-only edit: complete" -- "$PDX" run commented.yaml -o ident.h5
expect_err "already complete for this spec" "an old-style file is its stored spec's, comments aside"
sed 's/^  alpha: \[0.50, 1.0, 2\]   # load$/  alpha: [0.5, 1, 2, 4]   # more/' commented.yaml > more.yaml
expect_exit 2 "an old-style file, a spec that adds a value: refused" -- "$PDX" run more.yaml -o ident.h5
expect_err "data.alpha: \[0.5, 1, 2\] -> \[0.5, 1, 2, 4\]" "the refusal names the added values"
expect_err "this spec extends it: use --extend" "the refusal suggests --extend"
cp ident.h5 ident-ext.h5
expect_exit 0 "an old-style file extended by an edited spec" -- "$PDX" run more.yaml -o ident-ext.h5 --extend --quiet
# an interrupted old-style run (a working file) resumes after a comment-only edit
expect_exit 0 "shard 1 of 2" -- "$PDX" run base.yaml -o part.h5 --shard 1/2 --quiet
expect_exit 0 "a working file of half the tasks" -- "$PDX" merge work.h5 part.shard-0-of-2.h5 --partial
$PY - work.h5 base.yaml <<'EOF' || fail "could not make an old-style working file"
import sys, hashlib, h5py
raw = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest().encode()
with h5py.File(sys.argv[1], "r+") as f:
    assert f.attrs["pdx_complete"] == 0
    assert f.attrs["spec"] == open(sys.argv[2], "rb").read()
    f.attrs.create("spec_sha256", raw, dtype=h5py.string_dtype("ascii", len(raw)))
EOF
expect_exit 0 "an old-style working file resumes after a comment-only edit" -- "$PDX" run commented.yaml -o work.h5 --quiet
same "the resumed old-style file is the file of one run" ident.h5 work.h5
expect_exit 0 "theory of the base spec" -- "$PDX" theory base.yaml -o th.h5 --quiet
$PY - th.h5 base.yaml <<'EOF' || fail "could not make an old-style theory file"
import sys, hashlib, h5py
raw = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest().encode()
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs.create("spec_sha256", raw, dtype=h5py.string_dtype("ascii", len(raw)))
EOF
expect_exit 0 "an old-style theory file after a comment-only edit: complete" -- "$PDX" theory commented.yaml -o th.h5
expect_err "already complete" "the old-style theory file is its stored spec's"

# ---- zip groups -----------------------------------------------------------------
cat > zip.yaml <<'YAML'
name: zipped
seed: 1903
replicas: 2
N: 30
teacher: {kind: perceptron}
student: {kind: perceptron, weights: spherical}
train: {algorithm: metropolis, temperature: [0.5, 1]}
zip:
  data.alpha: [0.5, 1, 2, 4]
  train:
    epochs: [40, 20, 20, 10]
    burn_in: [20, 10, 10, 5]
record: {times: [5, 10]}
YAML
expect_exit 0 "validate a zip spec" -- "$PDX" validate zip.yaml
expect_out "ok: 4 axes, 8 cells, 16 tasks" "a zip group is one dimension"
expect_exit 0 "run a zip spec" -- "$PDX" run zip.yaml -o zip.h5 --quiet
$PY - zip.h5 <<'EOF' && pass "xarray opens the zip file: named dimensions, zipped keys as coordinates" || fail "zip file in xarray"
import sys, xarray as xr
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
assert ds["eg"].dims == ("train.temperature", "data.alpha", "replica", "time"), ds["eg"].dims
for k in ("train.epochs", "train.burn_in"):
    assert k in ds.coords and ds[k].dims == ("data.alpha",), (k, ds.coords)
assert list(ds["train.epochs"].values) == [40, 20, 20, 10]
assert list(ds["data.alpha"].values) == [0.5, 1, 2, 4]
assert ds["eg"].sel({"data.alpha": 2}).shape == (2, 2, 2)
EOF
# a zip cell is the cell of the same values run on its own (cells are
# identified by their parameter values)
sed -e '/^zip:/,/burn_in/d' zip.yaml > one.yaml
expect_exit 0 "one cell of the zip group on its own" -- "$PDX" run one.yaml data.alpha=2 train.epochs=20 train.burn_in=10 -o one.h5 --quiet
$PY - zip.h5 one.h5 <<'EOF' && pass "the zip cell's numbers are the single cell's, bit for bit" || fail "zip cell differs from the single cell"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
for v in ("eg", "eg_mean", "steps", "train_error"):
    assert np.array_equal(a[v][:, 2], b[v][()], equal_nan=True), v
EOF
expect_exit 0 "zip shard 0 of 2" -- "$PDX" run zip.yaml -o zs.h5 --shard 0/2 --quiet
expect_exit 0 "zip shard 1 of 2" -- "$PDX" run zip.yaml -o zs.h5 --shard 1/2 --quiet
expect_exit 0 "merge the zip shards" -- "$PDX" merge zs.h5 zs.shard-0-of-2.h5 zs.shard-1-of-2.h5
same "merged zip shards are the single-process file" zip.h5 zs.h5
sed -e 's/\[0.5, 1, 2, 4\]/[0.5, 1, 2, 4, 8]/; s/\[40, 20, 20, 10\]/[40, 20, 20, 10, 10]/; s/\[20, 10, 10, 5\]/[20, 10, 10, 5, 5]/' zip.yaml > zip-more.yaml
cp zip.h5 zext.h5
expect_exit 0 "extend a zip group" -- "$PDX" run zip-more.yaml -o zext.h5 --extend --quiet
expect_exit 0 "the extended spec from scratch" -- "$PDX" run zip-more.yaml -o zfull.h5 --quiet
same "an extended zip file is the file of the extended spec" zext.h5 zfull.h5
sed -e 's/epochs: \[40, 20, 20, 10\]/epochs: [40, 20, 30, 10]/' zip.yaml > zip-other.yaml
cp zip.h5 zother.h5
expect_exit 2 "a changed zipped value is no extension" -- "$PDX" run zip-other.yaml -o zother.h5 --extend
expect_err "train.epochs: value 20 of the file's zip group at data.alpha = 2" "the refusal names the zipped key"
cat > crossed.yaml <<'YAML'
name: zipped
seed: 1903
replicas: 2
N: 30
teacher: {kind: perceptron}
student: {kind: perceptron, weights: spherical}
train: {algorithm: metropolis, temperature: [0.5, 1]}
zip:
  - {data.alpha: [0.5, 1, 2, 4], train.epochs: [40, 20, 20, 10]}
  - {train.burn_in: [9, 8, 7, 5], data.label_noise: [0, 0, 0, 0.5]}
record: {times: [5, 10]}
YAML
cp zip.h5 zgroups.h5
expect_exit 2 "other zip groups: refused" -- "$PDX" run crossed.yaml -o zgroups.h5
expect_err "zip: data.alpha\+train.epochs\+train.burn_in -> data.alpha\+train.epochs, train.burn_in\+data.label_noise" "the refusal names the zip groups"
expect_exit 0 "theory of a zip spec" -- "$PDX" theory zip.yaml -o zip-theory.h5 --quiet
$PY - zip-theory.h5 <<'EOF' && pass "theory file of a zip spec: the same coordinates" || fail "zip theory file"
import sys, xarray as xr
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
assert "train.epochs" in ds.coords and ds["eg"].dims[:2] == ("train.temperature", "data.alpha")
EOF
expect_exit 2 "zip lengths differ" -- "$PDX" validate zip.yaml 'zip={data.alpha: [1, 2], train.epochs: [5]}'
expect_err "<command line>:1: train.epochs: \(override 1\) has 1 values, but data.alpha, the first axis of its zip group" "unequal zip lengths named"

# ---- keys that apply to no cell ---------------------------------------------
expect_exit 2 "student.hidden for a perceptron" -- "$PDX" validate base.yaml 'student.hidden=[1, 2]'
expect_err "student.hidden: \(override 1\) applies to no cell of this sweep: it is for student.kind committee or twolayer" "the error says where the key applies"
expect_exit 0 "an axis that applies to some cells: a warning" -- "$PDX" validate "$SRC/sweeps/online-committee.yaml" 'student.kind=[committee, twolayer]' 'student.second_layer_init=[1, 2]'
[[ ! -s $WORK/err.txt ]] && pass "no warning where the key applies to every cell" || fail "unexpected warning: $(cat "$WORK/err.txt")"

cat > committee.yaml <<'YAML'
name: w
N: 20
teacher: {kind: committee, hidden: 1}
student: {kind: committee, hidden: 1}
data.alpha: 1
train: {algorithm: sgd, epochs: 1, learning_rate: 0.1}
record: {times: [1]}
YAML
expect_exit 0 "an override axis that applies to some cells: a warning" -- "$PDX" validate committee.yaml 'train.algorithm=[sgd, gd]' 'train.batch=[2, 4]'
expect_err "^pdx: <command line>:2: train.batch: \(override 2\) warning: the axis applies to some cells only \(train.algorithm sgd, replicated_sgd or entropy_sgd\); the others run the same task for each of its 2 values" "the warning names the override"

no_temporaries "spec CLI checks"
finish "all spec CLI checks passed"
