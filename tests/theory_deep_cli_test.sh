#!/usr/bin/env bash
# theory_deep_cli_test.sh PDX SOURCE_ROOT — `pdx theory --curve deep-*`: the
# mean-field theory of random deep networks as CSV (values against the
# independent reference of tests/deep_theory_reference.py and exact
# limits), and every class of bad usage.
set -u
PDX=$(readlink -f "$1")
ROOT=$2
PY=/usr/bin/python3
export HDF5_USE_FILE_LOCKING=FALSE
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_exit() { # CODE CMD...
    local want=$1; shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    [ "$got" = "$want" ] || { fail "exit $got (want $want): $*"; cat "$TMP/err"; }
}
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

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "theory deep CLI: ok"
