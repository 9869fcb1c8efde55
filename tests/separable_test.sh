#!/usr/bin/env bash
# The exact separability test of training sets (record.separable, issue 14
# item 6): random labels at N = 20 are separable as often as Cover's (1965)
# counting theorem says (1 at alpha = 1, 1/2 at alpha = 2, 0.007 at alpha =
# 3), noise-free teacher labels always are, the variable is written only
# when asked for, the numbers are the same for 1 and 2 threads and shards,
# nothing else changes, and the key is refused where it applies to no cell.
# usage: separable_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-separable-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > sep.yaml <<'YAML'
name: sep
seed: 7
replicas: 60
N: 20
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: [1, 2, 3], label_noise: [1, 0]}
train: {algorithm: perceptron, epochs: 10}
record: {times: [10], separable: true}
YAML
expect_exit 0 "run, 1 thread" -- "$PDX" run sep.yaml -o one.h5 -t 1 -q
expect_exit 0 "run, 2 threads" -- "$PDX" run sep.yaml -o two.h5 -t 2 -q
same "1 and 2 threads" one.h5 two.h5
expect_exit 0 "shard 0/2" -- "$PDX" run sep.yaml -o s.h5 --shard 0/2 -q
expect_exit 0 "shard 1/2" -- "$PDX" run sep.yaml -o s.h5 --shard 1/2 -q
expect_exit 0 "merge" -- "$PDX" merge merged.h5 s.shard-0-of-2.h5 s.shard-1-of-2.h5 -q
same "shards merged = one process" one.h5 merged.h5

# Cover: C(P, N) = 2^(1-P) sum_{k<N} binom(P-1, k), within 4 standard
# errors of 60 sets; teacher labels (label_noise 0) always separable
if $PY - one.h5 > "$WORK/cover.txt" 2>&1 <<'PY'
import math, sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
s = f["separable"][...]            # (alpha, label_noise, replica)
alphas = f["data.alpha"][...]
noise = list(f["data.label_noise"][...])
assert set(np.unique(s)) <= {0.0, 1.0}, np.unique(s)
N, bad = 20, 0
for i, a in enumerate(alphas):
    P = int(round(a * N))
    c = sum(math.comb(P - 1, k) for k in range(N)) * 2.0 ** (1 - P)
    frac = s[i, noise.index(1.0)].mean()
    se = math.sqrt(c * (1 - c) / s.shape[-1]) + 1.0 / s.shape[-1]
    ok = abs(frac - c) <= 4 * se
    print(f"alpha {a}: {frac:.3f} separable, Cover {c:.4f} {'ok' if ok else 'FAIL'}")
    bad += not ok
    bad += not (s[i, noise.index(0.0)] == 1.0).all()
sys.exit(1 if bad else 0)
PY
then pass "Cover's fractions, teacher labels separable"; else
  fail "Cover's fractions"; sed 's/^/     /' "$WORK/cover.txt"; fi

# not asked for: no variable, and every other number identical
sed 's/, separable: true//' sep.yaml > plain.yaml
expect_exit 0 "run without the test" -- "$PDX" run plain.yaml -o plain.h5 -q
if $PY -c 'import sys, h5py; sys.exit("separable" in h5py.File(sys.argv[1], "r"))' plain.h5
then pass "no separable variable unless asked"; else fail "separable written unasked"; fi
if $PY - plain.h5 one.h5 > same.txt 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
skip = {"separable", "checksum", "wall_seconds"}
names = sorted(set(a) - skip)
assert names == sorted(set(b) - skip), (names, sorted(b))
for n in names:
    x, y = a[n][...], b[n][...]
    if x.dtype.kind == "f":
        assert np.array_equal(x.view(np.uint64 if x.itemsize == 8 else np.uint32),
                              y.view(np.uint64 if y.itemsize == 8 else np.uint32)), n
    else:
        assert np.array_equal(x, y), n
PY
then pass "the test changes no other number"; else fail "other numbers changed"; sed 's/^/     /' same.txt | head; fi

# where it applies to no cell: refused, naming file, line and key
cat > online.yaml <<'YAML'
name: online
N: 20
train: {algorithm: online}
record: {separable: true}
YAML
expect_exit 2 "online sweep with record.separable" -- "$PDX" validate online.yaml
expect_err "online.yaml:4:.*record.separable" "the error names file, line and key"
# record.overlaps: true (the default, written out) applies to every cell
printf 'name: o\nN: 20\ntrain: {algorithm: online}\nrecord: {overlaps: true}\n' > ov.yaml
expect_exit 0 "record.overlaps: true is accepted" -- "$PDX" validate ov.yaml
finish "separable: Cover's fractions, identity, only when asked"
