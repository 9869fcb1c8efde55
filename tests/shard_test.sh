#!/usr/bin/env bash
# Shards, merge, --extend, refusals and signals, through the CLI. Every
# merged, extended or resumed file must be identical (tests/pdx_identical.py)
# to an uninterrupted single-process run.
# usage: shard_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-shard-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=2 HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

# Cells of very different cost on the last axis: N [30, 300]. The old
# task % n dealt every N=300 task of this grid to one shard of 2.
cat > sweep.yaml <<'YAML'
name: shards
seed: 4242
replicas: 3
teacher: {hidden: 2}
student: {hidden: [1, 3], activation: [erf, relu]}
train: {learning_rate: [0.2, 1.3, 30.0], alpha: 3}
N: [30, 300]
record: {times: {log: [0.05, 3, 7]}, test_size: 200}
YAML
expect_exit 0 "single-process reference run" -- "$PDX" run sweep.yaml -o single.h5 --quiet

# ---- shard + merge identity for several shard counts -------------------
for n in 1 2 3 5 8; do
  rm -f m.h5
  for ((i = 0; i < n; i++)); do
    "$PDX" run sweep.yaml -o m.h5 --shard "$i/$n" --quiet >/dev/null 2>"$WORK/err.txt" \
      || { fail "shard $i/$n"; cat "$WORK/err.txt"; }
  done
  if ((n == 1)); then
    same "--shard 0/1 is the whole run" single.h5 m.h5
    continue
  fi
  expect_exit 0 "merge $n shards" -- "$PDX" merge m.h5 m.shard-*-of-$n.h5
  expect_err "merged $n files into m.h5: 72 of 72 tasks" "merge $n shards: summary"
  same "$n shards merged = single run" single.h5 m.h5
done
no_temporaries "shard runs and merges"

# shard files hold only their tasks, and the deal balances cost
expect_exit 0 "shards are cost-balanced and partition the tasks" -- $PY - m.shard-*-of-8.h5 <<'PYEOF'
import sys, h5py, numpy as np
tasks, steps = [], []
for p in sys.argv[1:]:
    with h5py.File(p, "r") as f:
        assert f["status"].shape == f["task"].shape, p
        assert f["eg"].shape[0] == f["task"].shape[0], p
        tasks += list(f["task"][()])
        steps.append(int(f["steps"][()].sum()))
assert sorted(tasks) == list(range(72)), "not a partition"
# work ~ steps x N; N differs 10x between cells; max/min share below 1.6
cost = []
for p in sys.argv[1:]:
    with h5py.File(p, "r") as f:
        n = f["N"][()]
        shape = (len(f["student.hidden"]), len(f["student.activation"]),
                 len(f["train.learning_rate"]), len(n), len(f["replica"]))
        c = 0
        for t in f["task"][()]:
            c += n[np.unravel_index(int(t), shape)[3]]
        cost.append(c)
print("cost per shard:", cost)
assert max(cost) <= 1.6 * min(cost), cost
PYEOF

# ---- pdx info on a set of shards ------------------------------------------
rm -f m.h5
expect_exit 0 "info on a set of shards" -- "$PDX" info m.shard-0-of-3.h5 m.shard-2-of-3.h5
expect_out "m.shard-0-of-3.h5: shard 0 of 3, finished" "info: a line per shard"
expect_out "^sweep: 72 tasks .* pending: [0-9.]+% finished" "info: the sweep's progress"
expect_out "no file of shard\(s\) 1 of 3" "info: the missing shard"
expect_exit 0 "info on one shard file" -- "$PDX" info m.shard-1-of-3.h5
expect_out "^shard +1 of 3" "info: a shard file says which shard"

# ---- missing shards: refused and listed; --partial writes a working file --
expect_exit 1 "merge with a shard missing is refused" -- "$PDX" merge m.h5 m.shard-0-of-3.h5 m.shard-2-of-3.h5
expect_err "tasks are missing" "merge names the missing tasks"
expect_err "no file of shard\(s\) 1 of 3" "merge names the missing shard"
[[ ! -e m.h5 ]] && pass "nothing written" || fail "a refused merge wrote m.h5"
expect_exit 0 "merge --partial" -- "$PDX" merge m.h5 m.shard-0-of-3.h5 m.shard-2-of-3.h5 --partial
expect_exit 0 "pdx run completes a partial merge" -- "$PDX" run sweep.yaml -o m.h5 --quiet
same "partial merge + run = single run" single.h5 m.h5
# a shard run seeds itself from a partial merged file of its spec
rm -f m.h5 p.h5 p.shard-*
"$PDX" run sweep.yaml -o p.h5 --shard 0/2 --quiet >/dev/null
"$PDX" merge p.h5 p.shard-0-of-2.h5 --partial 2>/dev/null >/dev/null
rm -f p.shard-0-of-2.h5
expect_exit 0 "shard 0/2 seeds from the partial merge" -- "$PDX" run sweep.yaml -o p.h5 --shard 0/2
expect_err "finished tasks kept from p.h5" "the seeded shard says so"
expect_err "0 tasks run" "the seeded shard computes nothing"

# ---- overlaps: identical ones merge, different ones are refused ----------
expect_exit 0 "overlapping identical files merge" -- "$PDX" merge o.h5 single.h5 m.shard-1-of-3.h5 m.shard-0-of-3.h5
expect_err "[1-9][0-9]* in several files, identical" "overlaps are counted"
same "merge with overlaps = single run" single.h5 o.h5
cp m.shard-1-of-3.h5 bad.shard-1-of-3.h5
$PY - bad.shard-1-of-3.h5 <<'PYEOF'
import sys, zlib, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:   # other values, checksum matching
    i = list(f["status"][()]).index(1)
    f["eg"][i, 3] += 1e-12
    names = f["checksum"].attrs["checksum_of"].decode().split()
    f["checksum"][i] = zlib.crc32(b"".join(
        np.ascontiguousarray(f[n][i]).tobytes() for n in names))
PYEOF
expect_exit 1 "overlapping files that disagree are refused" -- "$PDX" merge x.h5 single.h5 bad.shard-1-of-3.h5
expect_err "eg: task [0-9]+ \(.*replica=[0-9]\) is finished in both .* different values" "the disagreeing task and files are named"
[[ ! -e x.h5 ]] && pass "nothing written on disagreement" || fail "x.h5 written"

# ---- specs must match ---------------------------------------------------------
sed 's/seed: 4242/seed: 4243/' sweep.yaml > other.yaml
"$PDX" run other.yaml -o other.h5 --shard 1/3 --quiet >/dev/null
expect_exit 1 "shards of different specs do not merge" -- "$PDX" merge y.h5 m.shard-0-of-3.h5 other.shard-1-of-3.h5
expect_err "written for another spec" "the spec mismatch is named"
"$PDX" run other.yaml -o other.h5 --quiet >/dev/null
expect_exit 2 "merge will not overwrite another spec's file" -- "$PDX" merge other.h5 m.shard-0-of-3.h5 m.shard-1-of-3.h5 m.shard-2-of-3.h5
expect_err "other.h5 exists and is not a result file of this spec" "the refusal names the file"
expect_exit 0 "... unless --force" -- "$PDX" merge other.h5 m.shard-0-of-3.h5 m.shard-1-of-3.h5 m.shard-2-of-3.h5 --force
same "a forced merge = single run" single.h5 other.h5

# ---- a different spec onto an existing file -----------------------------------
expect_exit 2 "a different spec onto a finished file is refused" -- "$PDX" run other.yaml -o single.h5 --quiet
expect_err "does not match this spec .*different spec" "refusal says why"
expect_err "--extend" "refusal mentions --extend"
expect_err "--force" "refusal mentions --force"
cp single.h5 work.h5
$PY - work.h5 <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:   # a working file (as after a kill)
    f.attrs.modify("pdx_complete", f.attrs["pdx_complete"] * 0)
PYEOF
expect_exit 2 "a different spec onto a working file is refused" -- "$PDX" run other.yaml -o work.h5 --quiet
expect_exit 2 "a shard run refuses a merged file of another spec" -- "$PDX" run other.yaml -o single.h5 --shard 0/2 --quiet
expect_exit 2 "a whole-grid run onto a shard file is refused" -- "$PDX" run sweep.yaml -o m.shard-0-of-3.h5 --quiet
expect_err "the file holds shard 0 of 3, this run the whole grid" "the shard mismatch is named"

# ---- --extend -------------------------------------------------------------------
cat > small.yaml <<'YAML'
name: shards
seed: 4242
replicas: 2
teacher: {hidden: 2}
student: {hidden: [1], activation: [erf, relu]}
train: {learning_rate: [0.2, 30.0], alpha: 3}
N: [300]
record: {times: {log: [0.05, 3, 7]}, test_size: 200}
YAML
expect_exit 0 "a small sweep" -- "$PDX" run small.yaml -o ext.h5 --quiet
expect_exit 2 "the larger spec without --extend is refused" -- "$PDX" run sweep.yaml -o ext.h5 --quiet
expect_exit 0 "--extend runs only the new tasks" -- "$PDX" run sweep.yaml -o ext.h5 --extend
expect_err "8 finished tasks kept from ext.h5" "--extend keeps the old tasks"
expect_err "64 tasks run .* 8 already done" "--extend runs the 64 new ones"
same "extended file = single run of the larger spec" single.h5 ext.h5
expect_exit 0 "--extend of a file already complete for the spec" -- "$PDX" run sweep.yaml -o ext.h5 --extend
expect_err "already complete" "nothing to do"
# extending a sharded sweep: shards seed from the merged file
"$PDX" run small.yaml -o sx.h5 --quiet >/dev/null
for i in 0 1 2; do
  "$PDX" run sweep.yaml -o sx.h5 --extend --shard $i/3 --quiet >/dev/null 2>&1 || fail "extended shard $i"
done
expect_exit 0 "merge the shards of an extended sweep" -- "$PDX" merge sx.h5 sx.shard-*-of-3.h5
same "extended shards merged = single run" single.h5 sx.h5
# not an extension: a changed setting, a removed value, a changed axis order
sed 's/alpha: 3}/alpha: 2.5}/' sweep.yaml > alpha.yaml
expect_exit 2 "--extend refuses a changed setting" -- "$PDX" run alpha.yaml -o ext.h5 --extend --quiet
expect_err "train.alpha: 3 in the file's spec, 2.5 in this spec" "the changed key is named"
sed 's/learning_rate: \[0.2, 1.3, 30.0\]/learning_rate: [0.2, 1.3]/' sweep.yaml > fewer.yaml
"$PDX" run small.yaml -o ext2.h5 --quiet >/dev/null
expect_exit 2 "--extend refuses a removed axis value" -- "$PDX" run fewer.yaml -o ext2.h5 --extend --quiet
expect_err "train.learning_rate: value 30 of the file's axis is not a value" "the missing value is named"
"$PDX" run small.yaml -o small-ref.h5 --quiet >/dev/null
same "a refused --extend leaves the file as it was" small-ref.h5 ext2.h5

# ---- SLURM array defaults ---------------------------------------------------------
rm -f arr.*
for id in 3 5 7; do
  env SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_MAX=7 \
      SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_COUNT=3 \
      "$PDX" run sweep.yaml -o arr.h5 --quiet >/dev/null 2>&1 || fail "array task $id"
done
[[ -f arr.shard-0-of-3.h5 && -f arr.shard-1-of-3.h5 && -f arr.shard-2-of-3.h5 ]] \
  && pass "array tasks 3,5,7 (step 2) run shards 0,1,2 of 3" || fail "array shard files: $(ls arr.*)"
expect_exit 0 "merge the array's shards" -- "$PDX" merge arr.h5 arr.shard-*.h5
same "array shards merged = single run" single.h5 arr.h5
expect_exit 2 "an irregular array needs --shard" -- env SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 \
  SLURM_ARRAY_TASK_MAX=9 SLURM_ARRAY_TASK_COUNT=3 "$PDX" run sweep.yaml -o arr2.h5 --quiet
expect_err "give --shard I/N" "the message says what to do"
expect_exit 0 "--shard overrides the array" -- env SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 \
  SLURM_ARRAY_TASK_MAX=9 SLURM_ARRAY_TASK_COUNT=3 "$PDX" run sweep.yaml -o arr3.h5 --shard 0/1 --quiet
expect_exit 2 "bad --shard" -- "$PDX" run sweep.yaml --shard 3/3
expect_err "'3/3' is not I/N" "bad --shard message"

# ---- signals: stop, grace period, snapshot, exit 75, resume ------------------
cat > long.yaml <<'YAML'
name: long
seed: 99
replicas: 4
N: 400
teacher: {hidden: 2}
student: {hidden: [2, 4], activation: erf}
train: {learning_rate: {log: [0.1, 2, 6]}, alpha: 500}
record: {times: {log: [0.1, 500, 12]}}
YAML
expect_exit 0 "reference for the signal tests" -- "$PDX" run long.yaml -o long-ref.h5 --quiet
ref_seconds=$($PY -c "import h5py; f=h5py.File('long-ref.h5','r'); print(f['wall_seconds'][()].sum())")
echo "     (uninterrupted: $ref_seconds s of task time)"
signal_case() { # NAME SIGNAL GRACE DELAY SECOND_SIGNAL
  local name=$1 sig=$2 grace=$3 delay=$4 again=$5 out=sig-$2-$3.h5
  rm -f "$out"
  "$PDX" run long.yaml -o "$out" --grace "$grace" 2>"$WORK/err.txt" >/dev/null &
  local pid=$!
  sleep "$delay"
  kill -"$sig" $pid
  if [[ -n $again ]]; then sleep 0.3; kill -"$sig" $pid; fi
  local start=$SECONDS
  wait $pid
  local rc=$?
  if ((rc == 75)); then pass "$name: exit 75"; else fail "$name: exit $rc"; sed 's/^/     /' "$WORK/err.txt" | head; fi
  expect_err "stopped by a signal after [0-9]+ of 48 tasks; run the same command again" "$name: says how to resume"
  if ! grep -q "error" "$WORK/err.txt"; then pass "$name: a stop is not reported as an error"; else fail "$name: 'error' in the stop message"; fi
  "$PDX" info "$out" >"$WORK/out.txt" && expect_out "pending" "$name: the snapshot is a valid working file"
  expect_exit 0 "$name: the same command resumes" -- "$PDX" run long.yaml -o "$out" --grace "$grace"
  expect_err "resuming" "$name: resumed"
  same "$name: resumed = uninterrupted" long-ref.h5 "$out"
}
signal_case "SIGTERM, running tasks finish" TERM 60 1 ""
signal_case "SIGINT twice: stop at once" INT 60 1 again
signal_case "SIGUSR1, grace 0.2 s: running tasks abandoned" USR1 0.2 1 ""
# the grace period bounds the time to exit
rm -f g.h5
"$PDX" run long.yaml -o g.h5 --grace 0.5 --quiet >/dev/null 2>&1 &
pid=$!; sleep 1; t0=$(date +%s.%N); kill -TERM $pid; wait $pid; rc=$?
t1=$(date +%s.%N)
if ((rc == 75)) && $PY -c "import sys; sys.exit(0 if $t1 - $t0 < 3 else 1)"; then
  pass "grace 0.5 s: exited 75 within $($PY -c "print(round($t1 - $t0, 2))") s"
else fail "grace 0.5 s: exit $rc after $($PY -c "print(round($t1 - $t0, 2))") s"; fi
no_temporaries "signals"

finish "all shard, merge, extend and signal checks passed"
