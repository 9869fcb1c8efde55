#!/usr/bin/env bash
# theory_deep_cli_test.sh PDX SOURCE_ROOT — `pdx theory --curve deep-*`: the
# mean-field theory of random deep networks as CSV (values against the
# independent reference of tests/deep_theory_reference.py and exact
# limits), and every class of bad usage.
source "$(dirname "$0")/theory_test_lib.sh" "$@"
expect_error() { # MESSAGE CMD...: exit 2 and MESSAGE on stderr, no crash
    local msg=$1; shift
    expect_exit 2 "$@"
    grep -qF -- "$msg" "$TMP/err" || { fail "no '$msg' for: $*"; cat "$TMP/err"; }
    [ -s "$TMP/out" ] && fail "output on a usage error: $*"
}

# --- help ---------------------------------------------------------------------
expect_exit 0 "$PDX" theory --help
for w in deep-order-chaos deep-scales deep-layers --sigma-w2 --sigma-b2 \
         --activation --depth --q0 --c0; do
    grep -q -- "$w" "$TMP/out" || fail "theory --help lacks $w"
done

# --- bad usage ----------------------------------------------------------------
D=(theory --curve)
expect_error "needs --sigma-b2" "$PDX" "${D[@]}" deep-order-chaos
expect_error "needs --sigma-w2" "$PDX" "${D[@]}" deep-scales --sigma-b2 0.1
expect_error "needs --depth" "$PDX" "${D[@]}" deep-layers --sigma-w2 1 --sigma-b2 0.1
expect_error "--sigma-w2: 0 is not > 0" "$PDX" "${D[@]}" deep-scales --sigma-w2 0 --sigma-b2 0.1
expect_error "--sigma-w2: -1 is not > 0" "$PDX" "${D[@]}" deep-scales --sigma-w2 1,-1 --sigma-b2 0.1
expect_error "--sigma-b2: -0.5 is not >= 0" "$PDX" "${D[@]}" deep-order-chaos --sigma-b2 -0.5
expect_error "not a list of numbers" "$PDX" "${D[@]}" deep-order-chaos --sigma-b2 0.1,x
expect_error "not a list of numbers" "$PDX" "${D[@]}" deep-scales --sigma-w2 nan --sigma-b2 0
expect_error "--activation: 'sign'" "$PDX" "${D[@]}" deep-scales --sigma-w2 1 --sigma-b2 0 --activation sign
expect_error "--depth: '0'" "$PDX" "${D[@]}" deep-layers --sigma-w2 1 --sigma-b2 0 --depth 0
expect_error "--depth: '2.5'" "$PDX" "${D[@]}" deep-layers --sigma-w2 1 --sigma-b2 0 --depth 2.5
expect_error "--depth: '1e9'" "$PDX" "${D[@]}" deep-layers --sigma-w2 1 --sigma-b2 0 --depth 1e9
expect_error "--c0: 1.5 is not in [-1, 1]" "$PDX" "${D[@]}" deep-layers --sigma-w2 1 --sigma-b2 0 --depth 3 --c0 1.5
expect_error "--q0: '-1' is negative" "$PDX" "${D[@]}" deep-layers --sigma-w2 1 --sigma-b2 0 --depth 3 --q0 -1
expect_error "'inf' is not a number" "$PDX" "${D[@]}" deep-layers --sigma-w2 1 --sigma-b2 0 --depth 3 --q0 inf
expect_error "takes no SPEC" "$PDX" "${D[@]}" deep-scales --sigma-w2 1 --sigma-b2 0 extra

# --- curves -------------------------------------------------------------------
"$PDX" theory --curve deep-order-chaos --sigma-b2 0,0.05,0.5,2 >"$TMP/oc.csv" ||
    fail "deep-order-chaos"
"$PDX" theory --curve deep-order-chaos --activation relu --sigma-b2 0,0.05 \
    >"$TMP/ocr.csv" || fail "deep-order-chaos relu"
"$PDX" theory --curve deep-scales --sigma-w2 0.5,1.5,2,4 --sigma-b2 0.05 \
    >"$TMP/sc.csv" || fail "deep-scales"
"$PDX" theory --curve deep-scales --activation relu --sigma-w2 1,2,3 \
    --sigma-b2 0,0.1 >"$TMP/scr.csv" || fail "deep-scales relu"
"$PDX" theory --curve deep-layers --sigma-w2 2 --sigma-b2 0.05 --depth 150 \
    --c0 0.5,1 >"$TMP/ly.csv" || fail "deep-layers"
"$PDX" theory --curve deep-scales --activation erf --sigma-w2 lin:1:4:4 \
    --sigma-b2 0,0.3 >"$TMP/erf.csv" || fail "deep-scales erf"
$PY - "$TMP" <<'EOF' || fail "deep CSV values"
import csv, math, os, sys
d = sys.argv[1]
def rows(name):
    return list(csv.DictReader(open(os.path.join(d, name))))
# the order-to-chaos line of tanh: exactly 1 at sigma_b2 = 0 (Poole 2016),
# ~1.76 at 0.05 (Schoenholz 2017); the rest tests/deep_theory_reference.py
oc = rows("oc.csv")
want = [1.0, 1.760954639607, 2.843167459724, 4.266396106127]
for r, w in zip(oc, want):
    assert r["status"] == "solved", r
    assert abs(float(r["sigma_w2"]) - w) < 1e-7, (r, w)
assert len(oc) == 4
# relu: critical at (2, 0) only; with a bias q* is infinite
ocr = rows("ocr.csv")
assert ocr[0]["status"] == "solved" and float(ocr[0]["sigma_w2"]) == 2, ocr
assert ocr[1]["status"] == "not_applicable" and ocr[1]["q_star"] == "inf"
sc = rows("sc.csv")
ref = {0.5: (0.087579865187, 0.431987381821, 1.0),
       1.5: (0.418037200533, 0.938636268199, 1.0),
       2.0: (0.721761872652, 1.047665999576, 0.744082419501),
       4.0: (2.195493928034, 1.342402414445, 0.165064962022)}
for r in sc:
    q, chi, c = ref[float(r["sigma_w2"])]
    assert r["status"] == "solved", r
    assert abs(float(r["q_star"]) - q) < 1e-8, r
    assert abs(float(r["chi_1"]) - chi) < 1e-8, r
    assert abs(float(r["c_star"]) - c) < 1e-8, r
    assert abs(float(r["xi_c"]) + 1 / math.log(float(r["chi_c"]))) < 1e-6 * float(r["xi_c"])
    assert abs(float(r["xi_grad"]) + 1 / math.log(chi)) < 1e-6 * abs(float(r["xi_grad"]))
    assert abs(float(r["xi_q"]) + 1 / math.log(float(r["slope_q"]))) < 1e-6 * float(r["xi_q"])
scr = {(float(r["sigma_w2"]), float(r["sigma_b2"])): r for r in rows("scr.csv")}
assert scr[(2.0, 0.0)]["status"] == "solved" and scr[(2.0, 0.0)]["xi_c"] == "inf"
assert scr[(1.0, 0.1)]["status"] == "solved"
assert abs(float(scr[(1.0, 0.1)]["q_star"]) - 0.2) < 1e-12
for k in ((3.0, 0.0), (2.0, 0.1), (3.0, 0.1)):
    assert scr[k]["status"] == "not_applicable" and scr[k]["q_star"] == "inf", scr[k]
    assert abs(float(scr[k]["chi_1"]) - k[0] / 2) < 1e-12
ly = rows("ly.csv")
assert len(ly) == 300
first = [r for r in ly if r["c0"] == "0.5"]
assert [int(r["layer"]) for r in first] == list(range(1, 151))
assert abs(float(first[0]["q"]) - 2.05) < 1e-12
assert abs(float(first[3]["c"]) - 0.500320741982) < 1e-9
last = first[-1]
assert abs(float(last["q"]) - float(last["q_star"])) < 1e-6
# c^l approaches c* at the rate chi_c = 0.961114791974 a layer (xi_c = 25)
cs = float(last["c_star"])
ratio = (cs - float(first[-1]["c"])) / (cs - float(first[-2]["c"]))
assert abs(ratio - 0.961114791974) < 5e-4, ratio
# identical inputs stay identical (c = 1 is a fixed point, unstable here)
assert all(float(r["c"]) == 1.0 for r in ly if r["c0"] == "1")
# erf(z/sqrt 2) closed forms: q* = sb + sw (2/pi) asin(q*/(1 + q*))
for r in rows("erf.csv"):
    q, sw, sb = float(r["q_star"]), float(r["sigma_w2"]), float(r["sigma_b2"])
    assert abs(sb + sw * 2 / math.pi * math.asin(q / (1 + q)) - q) < 1e-8, r
    assert abs(float(r["chi_1"]) - sw * 2 / math.pi / math.sqrt(1 + 2 * q)) < 1e-8
print("deep curves ok")
EOF

# --- pdx theory SPEC: deep students -------------------------------------------
cat >"$TMP/prop.yaml" <<'YAML'
name: prop
seed: 7
replicas: 2
N: 40
student: {kind: deep, depth: [3, 5], width: 16, activation: tanh,
          sigma_w2: [1.2, 2.0], sigma_b2: 0.05}
train: {algorithm: propagate}
propagate: {q0: 1.0, c0: 0.5, probes: 2, curve_points: 16}
YAML
cat >"$TMP/relu.yaml" <<'YAML'
name: relu
seed: 7
N: 40
student: {kind: deep, depth: 4, width: 16, activation: relu,
          sigma_w2: [1.0, 3.0], sigma_b2: 0.1}
train: {algorithm: propagate}
propagate: {q0: 2.0, c0: 0.3, probes: 2, curve_points: 16}
YAML
cat >"$TMP/train.yaml" <<'YAML'
name: deeptrain
seed: 3
N: 20
teacher: {kind: committee, hidden: 1, activation: erf}
student: {kind: deep, depth: [2, 4], width: 8, activation: tanh,
          sigma_w2: [1.0, 3.0], sigma_b2: 0.05}
data: {alpha: 2}
train: {algorithm: sgd, learning_rate: 0.01, batch: 4, epochs: 1}
record: {times: [1]}
YAML
for n in prop relu train; do
    expect_exit 0 "$PDX" theory "$TMP/$n.yaml" -o "$TMP/$n-theory.h5" --quiet
done
expect_exit 0 "$PDX" theory "$ROOT/sweeps/quickstart.yaml" -o "$TMP/qs-theory.h5" --quiet
$PY - "$PDX" "$TMP" "$ROOT" <<'EOF' || fail "deep theory files"
import csv, io, math, os, subprocess, sys
import h5py
import numpy as np
pdx, d, root = sys.argv[1:4]
def curve(*args):
    out = subprocess.run([pdx, "theory", "--curve", *args], capture_output=True,
                         text=True, check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))
f = h5py.File(os.path.join(d, "prop-theory.h5"), "r")
assert (f["status"][:] == 1).all(), f["status"][:]
meanings = f["theory"].attrs["flag_meanings"]
meanings = meanings.decode() if isinstance(meanings, bytes) else meanings
assert meanings.split()[f["theory"][0, 0]] == "deep-mean-field", meanings
refs = f.attrs["theory_references"]
assert b"Schoenholz" in (refs if isinstance(refs, bytes) else refs.encode())
# same dimension and names as the simulation: (axes..., layer), layer 1..L
assert list(f["layer"][:]) == [1, 2, 3, 4, 5], f["layer"][:]
q, c = f["q_layer"][:], f["c_layer"][:]   # depth, sigma_w2, layer
assert q.shape == (2, 2, 5), q.shape
for j, sw in enumerate((1.2, 2.0)):
    rows = curve("deep-layers", "--sigma-w2", str(sw), "--sigma-b2", "0.05",
                 "--depth", "5", "--c0", "0.5")
    for l, r in enumerate(rows):
        assert abs(q[1, j, l] - float(r["q"])) < 1e-8 * q[1, j, l], (sw, l)
        assert abs(c[1, j, l] - float(r["c"])) < 1e-8, (sw, l)
    # the depth-3 cells stop at layer 3
    assert np.isnan(q[0, j, 3:]).all() and np.isfinite(q[0, j, :3]).all()
    assert np.array_equal(q[0, j, :3], q[1, j, :3])
    sc = curve("deep-scales", "--sigma-w2", str(sw), "--sigma-b2", "0.05")[0]
    for v in ("q_star", "c_star", "chi_1", "chi_c", "xi_q", "xi_c", "xi_grad"):
        assert abs(f[v][1, j] - float(sc[v])) <= 1e-9 * abs(float(sc[v])), v
    assert abs(f["trainable_depth"][1, j] - 6 * f["xi_c"][1, j]) < 1e-9
    assert abs(f["sigma_w2_critical"][1, j] - 1.760954639607) < 1e-9
    # layer 1 is linear: sqrt(sigma_w2) times the input polygon's length
    # 2 pi sqrt(q0) C sin(pi/C)/pi
    poly = 2 * 16 * math.sin(math.pi / 16)
    assert abs(f["curve_length_layer"][1, j, 0] - math.sqrt(sw) * poly) < 1e-9
    chi = f["chi_layer"][1, j]
    assert np.all((chi > 0) & (chi < sw))
# relu above sigma_w2 = 2 with a bias: q diverges, no fixed point, but the
# layers are finite and the propagate cell is solved
r = h5py.File(os.path.join(d, "relu-theory.h5"), "r")
assert (r["status"][:] == 1).all()
assert np.isinf(r["q_star"][1]) and np.isnan(r["c_star"][1])
assert abs(r["chi_1"][1] - 1.5) < 1e-12 and np.isnan(r["sigma_w2_critical"][1])
ql = r["q_layer"][1]
assert abs(ql[0] - (3.0 * 2.0 + 0.1)) < 1e-12
assert np.allclose(ql[1:], 1.5 * ql[:-1] + 0.1, rtol=1e-13)
assert abs(r["q_star"][0] - 0.2) < 1e-12   # sb / (1 - sw/2)
# a deep training sweep: the per-cell values, 6 xi_c, no layer dimension
t = h5py.File(os.path.join(d, "train-theory.h5"), "r")
assert "layer" not in t and "q_layer" not in t
assert (t["status"][:] == 1).all()
assert np.allclose(t["trainable_depth"][:], 6 * t["xi_c"][:], rtol=1e-15)
# other theory files do not change: no deep variables, no deep kind
qs = h5py.File(os.path.join(d, "qs-theory.h5"), "r")
assert "q_star" not in qs and "layer" not in qs
m = qs["theory"].attrs["flag_meanings"]
assert b"deep" not in (m if isinstance(m, bytes) else m.encode())
# the analysis package: the theory lines of deep sweeps
sys.path.insert(0, os.path.join(root, "analysis"))
import pdx_analysis as pa
lines = {b.kind: b for b in pa.theory_lines(pa.load(os.path.join(d, "prop-theory.h5")))}
assert "order_chaos" in lines and "trainable_depth" in lines, lines
oc = lines["order_chaos"].table
assert np.allclose(oc["student.sigma_w2"], 1.760954639607, atol=1e-9)
td = pa.load(os.path.join(d, "train-theory.h5"))
line = [b for b in pa.theory_lines(td) if b.kind == "trainable_depth"][0]
assert line.along == "student.depth" and line.across == "student.sigma_w2"
print("deep theory files ok")
EOF
# simulation and theory files of a propagate sweep line up: the analysis
# package draws the theory's q^l over the simulation's against the layer
expect_exit 0 "$PDX" run "$TMP/prop.yaml" -o "$TMP/prop.h5" --quiet
MPLBACKEND=Agg $PY - "$TMP" "$ROOT" <<'EOF' || fail "deep overlays"
import os, sys
d, root = sys.argv[1:3]
sys.path.insert(0, os.path.join(root, "analysis"))
import pdx_analysis as pa
from pdx_analysis import lines
both = pa.load_files([os.path.join(d, "prop.h5"), os.path.join(d, "prop-theory.h5")])
res = lines.slices(both.sim, "layer", hue="student.sigma_w2",
                   variables=["q_layer", "c_layer"], sel={"student.depth": 5},
                   theory=both.theory)
assert all(len(t) == 2 for t in res.theory_lines), res.theory_lines
# the theory's layer coordinate is the simulation's
assert list(both.sim["layer"].values) == list(both.theory["layer"].values)
print("deep overlays ok")
EOF

# the deep-mean-field kind is no --curve
expect_error "unknown curve" "$PDX" theory --curve deep-mean-field --alpha 1

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "theory deep CLI: ok"
