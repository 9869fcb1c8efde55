#!/usr/bin/env bash
# Choice coordinates carry their names (issue 19, docs/FORMAT.md "Choice
# coordinates"): netCDF-4 strings that ncdump, h5dump, h5py and raw
# xarray.open_dataset read as the names (ds.sel by name, plot labels), in
# result and theory files; `pdx info` lists them. Files of a pdx before
# (int32 codes with CF flag_values/flag_meanings, made here by
# tests/old_choice_coords.py) still resume, merge, extend, show in `pdx
# info` and load in pdx_analysis, and what comes out of them is the file
# of this pdx, bit for bit. pdx_analysis.load(path, short_names=True)
# renames dotted keys to keyword-friendly names.
# usage: choice_coords_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-choice-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=2 HDF5_USE_FILE_LOCKING=FALSE MPLBACKEND=Agg
export PYTHONPATH=$SRC/analysis${PYTHONPATH:+:$PYTHONPATH}
source "$SRC/tests/test_lib.sh"
OLD=("student.activation=erf:0,relu:1" "train.algorithm=sgd:3,gd:4")
old_style() { $PY "$SRC/tests/old_choice_coords.py" "$1" "${OLD[@]}" || fail "could not make $1 old-style"; }

cat > c.yaml <<'YAML'
name: choices
seed: 19
replicas: 2
N: 20
teacher: {kind: committee, hidden: 1}
student: {kind: committee, hidden: 1, activation: [erf, relu]}
data: {alpha: [1, 2], label_noise: 0.1}
train: {algorithm: [sgd, gd], epochs: 2, learning_rate: 0.1}
record: {times: [1, 2]}
YAML

# ---- the names in the file -------------------------------------------------
expect_exit 0 "run a sweep with two choice axes" -- "$PDX" run c.yaml -o c.h5 --quiet
ncdump c.h5 > dump.txt 2>&1 && pass "ncdump reads the file" || fail "ncdump: $(head -3 dump.txt)"
grep -q '^	string student.activation(student.activation) ;' dump.txt &&
  grep -q 'student.activation = "erf", "relu" ;' dump.txt &&
  grep -q 'train.algorithm = "sgd", "gd" ;' dump.txt &&
  pass "netCDF-C sees string coordinates holding the names" ||
  fail "ncdump: $(grep -A1 'activation =\|algorithm =' dump.txt | head -6)"
h5dump -d /train.algorithm c.h5 > h5dump.txt 2>&1 && grep -q '(0): "sgd", "gd"' h5dump.txt &&
  pass "h5dump reads the names" || fail "h5dump: $(head -12 h5dump.txt)"
$PY - c.h5 <<'EOF' && pass "raw xarray.open_dataset: names, selection by name, plot labels" || fail "raw xarray"
import sys
import matplotlib
matplotlib.use("Agg")
import xarray as xr
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
assert list(ds["student.activation"].values) == ["erf", "relu"], ds["student.activation"].values
assert list(ds["train.algorithm"].values) == ["sgd", "gd"]
assert "flag_values" not in ds["train.algorithm"].attrs
eg = ds["eg"].sel({"student.activation": "relu", "train.algorithm": "gd"})
assert eg.dims == ("data.alpha", "replica", "time"), eg.dims
# names label legends and facets (xarray draws no string x axis: it
# needs numbers there; pdx_analysis's plots do)
line = ds["eg"].isel(time=-1).mean("replica").sel({"train.algorithm": "gd"})
ax = line.plot.line(x="data.alpha", hue="student.activation")[0].axes
assert [t.get_text() for t in ax.get_legend().get_texts()] == ["erf", "relu"]
assert ax.get_legend().get_title().get_text() == "student activation"
g = ds["eg"].isel(time=-1).mean("replica").plot(x="data.alpha", hue="student.activation",
                                                col="train.algorithm")
assert [a.get_title() for a in g.axs.flat] == ["train.algorithm = sgd", "train.algorithm = gd"]
EOF
expect_exit 0 "pdx info" -- "$PDX" info c.h5
expect_out "^  student.activation +2  erf relu$" "pdx info lists the names of a choice axis"
expect_out "^  train.algorithm +2  sgd gd$" "pdx info lists the algorithm names"
expect_exit 0 "theory file of the same grid" -- "$PDX" theory c.yaml -o c-theory.h5 --quiet
$PY - c.h5 c-theory.h5 <<'EOF' && pass "the theory file has the same named coordinates" || fail "theory coordinates"
import sys, xarray as xr
a, b = (xr.open_dataset(p, engine="h5netcdf") for p in sys.argv[1:3])
for k in ("student.activation", "train.algorithm"):
    assert list(a[k].values) == list(b[k].values), (k, b[k].values)
EOF
expect_exit 0 "the same sweep on 1 thread" -- "$PDX" run c.yaml -o c1.h5 --quiet --threads 1
same "deterministic: the same file on 1 and 2 threads" c.h5 c1.h5

# ---- files of a pdx before issue 19 -----------------------------------------
cp c.h5 old.h5; old_style old.h5
$PY - old.h5 <<'EOF' && pass "an old-style file holds int32 flags" || fail "old-style file"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
c = f["train.algorithm"]
assert c.dtype == "<i4" and list(c[()]) == [3, 4] and c.attrs["flag_meanings"] == b"sgd gd"
assert [s.name for s in f["eg"].dims[2].values()] == ["/train.algorithm"]
EOF
expect_exit 0 "pdx info of an old file" -- "$PDX" info old.h5
expect_out "^  train.algorithm +2  sgd gd$" "pdx info of an old file lists the flag names"
expect_exit 0 "an old finished file is complete for its spec" -- "$PDX" run c.yaml -o old.h5
expect_err "already complete for this spec" "the old file's coordinates are checked as codes"
# an old working file (half the tasks) resumes
expect_exit 0 "shard 0 of 2" -- "$PDX" run c.yaml -o sh.h5 --shard 0/2 --quiet
expect_exit 0 "shard 1 of 2" -- "$PDX" run c.yaml -o sh.h5 --shard 1/2 --quiet
expect_exit 0 "a whole-grid working file of shard 0" -- "$PDX" merge part.h5 sh.shard-0-of-2.h5 --partial
old_style part.h5
expect_exit 0 "an old working file resumes" -- "$PDX" run c.yaml -o part.h5 --quiet
same "the resumed old working file is the file of one run" c.h5 part.h5
# old shard files merge
old_style sh.shard-0-of-2.h5; old_style sh.shard-1-of-2.h5
expect_exit 0 "merge old shard files" -- "$PDX" merge merged.h5 sh.shard-0-of-2.h5 sh.shard-1-of-2.h5
same "merged old shards are the file of one run" c.h5 merged.h5
# an old file is extended
sed 's/^replicas: 2/replicas: 3/' c.yaml > more.yaml
cp old.h5 ext.h5
expect_exit 0 "extend an old file" -- "$PDX" run more.yaml -o ext.h5 --extend --quiet
expect_exit 0 "the extended spec from scratch" -- "$PDX" run more.yaml -o more.h5 --quiet
same "an extended old file is the file of the extended spec" more.h5 ext.h5
# a damaged name is found like a damaged number
cp c.h5 bad.h5
$PY -c 'import h5py; h5py.File("bad.h5", "r+")["train.algorithm"][1] = "gb"' || fail "could not damage bad.h5"
expect_exit 1 "a damaged name" -- "$PDX" run c.yaml -o bad.h5
expect_err "train.algorithm: coordinate value 1 is 'gb' in the file but 'gd' for this spec: the file's labels are damaged" "the damaged name is named"
# pdx_analysis: old and new files load to the same names and plot
$PY - c.h5 old.h5 c-theory.h5 <<'EOF' && pass "pdx_analysis loads old and new files to the same names" || fail "pdx_analysis names"
import sys, numpy as np, xarray as xr
import pdx_analysis as pa
new, old = pa.load(sys.argv[1]), pa.load(sys.argv[2])
for engine in ("h5netcdf", "h5py"):
    for ds in (pa.load(sys.argv[1], engine=engine), pa.load(sys.argv[2], engine=engine)):
        for k, want in (("student.activation", ["erf", "relu"]), ("train.algorithm", ["sgd", "gd"])):
            assert ds[k].dtype.kind == "U" and list(ds[k].values) == want, (engine, k, ds[k].values)
assert list(old["train.algorithm_code"].values) == [3, 4]  # the codes of old files
assert "train.algorithm_code" not in new.coords
np.testing.assert_array_equal(new["eg"].values, old["eg"].values)
loaded = pa.load_files([sys.argv[2], sys.argv[3]])  # an old run beside a new theory file
xr.align(loaded.sim["eg"], loaded.theory["status"], join="exact")
assert new.pdx.sel({"train.algorithm": "gd"})["eg"].shape == old.pdx.sel({"train.algorithm": "gd"})["eg"].shape
EOF
for f in c old; do
  expect_exit 0 "pdx_analysis plot over a choice axis ($f file)" -- $PY -m pdx_analysis plot $f.h5 -x data.alpha -y train.algorithm --sel student.activation=relu -o $f.png
  [[ -s $f.png ]] && pass "the $f file's figure is written" || fail "no $f.png"
done

# ---- keyword-friendly names -------------------------------------------------
$PY - c.h5 <<'EOF' && pass "load(short_names=True): keyword names, clashes prefixed, dotted names kept" || fail "short names"
import sys
import pdx_analysis as pa
ds = pa.load(sys.argv[1], short_names=True)
assert ds["eg"].dims[:3] == ("activation", "alpha", "algorithm"), ds["eg"].dims
assert ds["alpha"].attrs["pdx_key"] == "data.alpha"
assert ds["eg"].sel(activation="relu", alpha=2, algorithm="gd").dims == ("replica", "time")
assert ds.sel(alpha=1).sizes["algorithm"] == 2
assert pa.short_names(pa.load(sys.argv[1])).identical(ds)
EOF

no_temporaries "choice coordinate checks"
finish "all choice coordinate checks passed"
