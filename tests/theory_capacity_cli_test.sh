#!/usr/bin/env bash
# theory_capacity_cli_test.sh PDX SOURCE_ROOT — `pdx theory --curve
# gardner-capacity | binary-storage | binary-capacity`: the CSV tables
# (published values, docs/THEORY.md "Capacities") and every class of bad
# usage.
source "$(dirname "$0")/theory_test_lib.sh" "$@"
expect_error() { # MESSAGE CMD...: exit 2 and MESSAGE on stderr, no crash
    local msg=$1; shift
    expect_exit 2 "$@"
    grep -qF -- "$msg" "$TMP/err" || { fail "no '$msg' for: $*"; cat "$TMP/err"; }
    [ -s "$TMP/out" ] && fail "output on a usage error: $*"
}
field() { # CSV ROW COLUMN: the value of COLUMN in data row ROW (1-based)
    awk -F, -v row="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++)
        if ($i == col) c = i } NR == row + 1 { print $c }' "$1"
}
near() { # A B TOL: |A - B| <= TOL
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d;
        exit !(d <= t) }'
}

# --- help ---------------------------------------------------------------------
expect_exit 0 "$PDX" theory --help
for w in gardner-capacity binary-storage binary-capacity franz-parisi --kappa --distance; do
    grep -q -- "$w" "$TMP/out" || fail "theory --help lacks $w"
done

# --- bad usage ----------------------------------------------------------------
C=(theory --curve)
expect_error "--kappa: -0.5 is negative" "$PDX" "${C[@]}" gardner-capacity --kappa 0,-0.5
expect_error "--kappa: 'x' is not a list" "$PDX" "${C[@]}" binary-capacity --kappa x
expect_error "needs --alpha" "$PDX" "${C[@]}" binary-storage
expect_error "random labels only" "$PDX" "${C[@]}" binary-capacity --label-noise 0.5
expect_error "--label-noise: '1.5' is not in [0, 1]" "$PDX" "${C[@]}" gardner-capacity --label-noise 1.5
expect_error "unknown curve 'gardner'" "$PDX" "${C[@]}" gardner
expect_error "needs --distance" "$PDX" "${C[@]}" franz-parisi --alpha 0.5
expect_error "needs --alpha" "$PDX" "${C[@]}" franz-parisi --distance 0.1
expect_error "--distance: 0.5 is not in (0, 1/2)" "$PDX" "${C[@]}" franz-parisi --alpha 0.5 --distance 0.1,0.5
expect_error "--distance: 'd' is not a list" "$PDX" "${C[@]}" franz-parisi --alpha 0.5 --distance d
# the perceptron curves still refuse random labels (flip probability 1/2)
expect_exit 2 "$PDX" "${C[@]}" gibbs-spherical --alpha 1 --label-noise 1

# --- curves -------------------------------------------------------------------
expect_exit 0 "$PDX" "${C[@]}" gardner-capacity --kappa 0,1
cp "$TMP/out" "$TMP/g.csv"
[ "$(head -1 "$TMP/g.csv")" = "kappa,label_noise,flip_probability,alpha_c,R,status" ] ||
    fail "gardner-capacity header: $(head -1 "$TMP/g.csv")"
near "$(field "$TMP/g.csv" 1 alpha_c)" 2 1e-9 || fail "alpha_c(0) is not 2 (Cover 1965)"
near "$(field "$TMP/g.csv" 2 alpha_c)" 0.5195722296 1e-9 || fail "alpha_c(1) (Gardner 1988)"
[ "$(field "$TMP/g.csv" 1 label_noise)" = 1 ] || fail "default label noise is not 1"
expect_error "is not a number" "$PDX" "${C[@]}" gardner-capacity --label-noise 0,0.2
expect_exit 0 "$PDX" "${C[@]}" gardner-capacity --label-noise 0
[ "$(field "$TMP/out" 1 alpha_c)" = inf ] || fail "noise-free threshold is not inf"
expect_exit 0 "$PDX" "${C[@]}" gardner-capacity --label-noise 0.2
near "$(field "$TMP/out" 1 alpha_c)" 2.992286 1e-5 || fail "alpha_c(F = 0.2)"
near "$(field "$TMP/out" 1 flip_probability)" 0.1 1e-12 || fail "flip probability"

expect_exit 0 "$PDX" "${C[@]}" binary-capacity --kappa 0
near "$(field "$TMP/out" 1 alpha_c)" 0.833078599 1e-8 || fail "Krauth-Mezard capacity"
expect_exit 0 "$PDX" "${C[@]}" binary-storage --alpha 0.5,0.833078599,1
cp "$TMP/out" "$TMP/b.csv"
[ "$(wc -l < "$TMP/b.csv")" = 4 ] || fail "binary-storage rows"
near "$(field "$TMP/b.csv" 2 entropy)" 0 1e-8 || fail "entropy at alpha_KM"
awk -F, 'NR > 1 && $NF != "solved" { exit 1 }' "$TMP/b.csv" || fail "unsolved binary-storage rows"
awk -F, 'NR == 4 && !($5 < 0) { exit 1 }' "$TMP/b.csv" || fail "entropy above alpha_KM is not negative"
# Franz-Parisi: the storage entropy at the typical distance (1 - q)/2,
# negative next to a typical solution (isolated), not applicable beyond
# alpha_KM
q=$(field "$TMP/b.csv" 1 q)
d_typ=$(awk -v q="$q" 'BEGIN { printf "%.12g", (1 - q) / 2 }')
expect_exit 0 "$PDX" "${C[@]}" franz-parisi --alpha 0.5,0.9 --distance "$d_typ,0.002"
cp "$TMP/out" "$TMP/fp.csv"
[ "$(wc -l < "$TMP/fp.csv")" = 5 ] || fail "franz-parisi rows"
near "$(field "$TMP/fp.csv" 1 entropy)" "$(field "$TMP/b.csv" 1 entropy)" 1e-6 || fail "franz-parisi at the typical distance"
awk -F, 'NR == 3 && !($4 < 0 && $NF == "solved") { exit 1 }' "$TMP/fp.csv" || fail "franz-parisi at d = 0.002 is not negative"
awk -F, 'NR >= 4 && $NF != "not_applicable" { exit 1 }' "$TMP/fp.csv" || fail "franz-parisi beyond alpha_KM"
if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "theory capacity CLI: ok"
