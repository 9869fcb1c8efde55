#!/usr/bin/env bash
# Merges only ever add finished tasks (issue 21, item 1): a task finished in
# any input or in the existing output stays finished with its data, whatever
# the flags (--partial, --force) and whatever inputs are given; a target
# whose finished tasks disagree with an input is refused and left as it was.
# usage: merge_add_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-merge-add-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=2 HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > sweep.yaml <<'YAML'
name: merge-add
seed: 2385
replicas: 3
teacher: {hidden: 2}
student: {hidden: [1, 3], activation: [erf, relu]}
train: {learning_rate: [0.2, 1.3], alpha: 2}
N: [30, 60]
record: {times: {log: [0.05, 2, 5]}, test_size: 150}
YAML
expect_exit 0 "single-process reference run" -- "$PDX" run sweep.yaml -o single.h5 --quiet
for i in 0 1 2; do "$PDX" run sweep.yaml -o m.h5 --shard "$i/3" --quiet >/dev/null 2>&1 || fail "shard $i/3"; done
for i in 0 1; do "$PDX" run sweep.yaml -o out.h5 --shard "$i/2" --quiet >/dev/null 2>&1 || fail "shard $i/2"; done

# counts STATUS FILE: tasks of FILE with status STATUS (0 pending, 1 done...)
counts() {
  $PY - "$2" "$1" <<'PYEOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    print(int(np.count_nonzero(f["status"][()] == int(sys.argv[2]))))
PYEOF
}
complete() {
  $PY - "$1" <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    print(int(f.attrs.get("pdx_complete", 0)))
PYEOF
}
# still_complete NAME FILE: FILE is finished and identical to the reference
still_complete() {
  local done
  done=$(counts 1 "$2")
  if [[ $done == "$tasks" && $(complete "$2") == 1 ]]; then pass "$1: $done of $tasks done, finished file"
  else fail "$1: $done of $tasks tasks done, pdx_complete $(complete "$2")"; fi
  same "$1: = single run" single.h5 "$2"
}
tasks=$(counts 1 single.h5)
shard0=$(counts 1 out.shard-0-of-2.h5)

# ---- the reproducer: --partial with one shard onto a complete merged file ----
expect_exit 0 "merge the two shards" -- "$PDX" merge out.h5 out.shard-0-of-2.h5 out.shard-1-of-2.h5
still_complete "merged file" out.h5
expect_exit 0 "--partial with shard 0 onto the complete file" -- "$PDX" merge out.h5 out.shard-0-of-2.h5 --partial
still_complete "a --partial merge keeps the complete target" out.h5
expect_err "merged 1 files into out.h5: $tasks of $tasks tasks finished" "the summary counts the target's tasks"
expect_err "$((tasks - shard0)) only in the existing out.h5, kept" "the summary says what the target kept"
expect_exit 0 "plain merge of shard 0 onto the complete file" -- "$PDX" merge out.h5 out.shard-0-of-2.h5
still_complete "a plain merge keeps the complete target" out.h5
expect_exit 0 "--force --partial with shard 0 onto the complete file" -- "$PDX" merge out.h5 out.shard-0-of-2.h5 --partial --force
still_complete "--force does not drop the target's tasks" out.h5
# a re-run merge job after the shards were deleted
rm -f out.shard-1-of-2.h5
expect_exit 0 "the merge job re-run with shard 1 deleted" -- "$PDX" merge out.h5 out.shard-0-of-2.h5
still_complete "a re-run merge job keeps the complete target" out.h5

# ---- a partial target takes more shards ---------------------------------------
m0=$(counts 1 m.shard-0-of-3.h5)
m1=$(counts 1 m.shard-1-of-3.h5)
expect_exit 0 "partial merge of shard 0 of 3" -- "$PDX" merge p.h5 m.shard-0-of-3.h5 --partial
expect_exit 0 "partial merge adds shard 1 to the partial target" -- "$PDX" merge p.h5 m.shard-1-of-3.h5 --partial
got=$(counts 1 p.h5)
[[ $got == $((m0 + m1)) ]] && pass "the partial target holds shards 0 and 1 ($got tasks)" \
  || fail "the partial target holds $got done tasks, expected $((m0 + m1))"
expect_exit 1 "a plain merge still lists what no file holds" -- "$PDX" merge p.h5 m.shard-1-of-3.h5
expect_err "^pdx: $((tasks - m0 - m1)) of $tasks tasks are missing \(pending in every file\)" "... counting the target's tasks as present"
[[ $(counts 1 p.h5) == $((m0 + m1)) ]] && pass "a refused merge leaves the partial target" || fail "p.h5 changed"
expect_exit 0 "the last shard completes the partial target" -- "$PDX" merge p.h5 m.shard-2-of-3.h5
still_complete "partial target + last shard" p.h5
# the partial target completed by pdx run, after a merge of one shard only
rm -f q.h5
"$PDX" merge q.h5 m.shard-0-of-3.h5 m.shard-1-of-3.h5 --partial >/dev/null 2>&1
expect_exit 0 "--partial with an already merged shard" -- "$PDX" merge q.h5 m.shard-1-of-3.h5 --partial
[[ $(counts 1 q.h5) == $((m0 + m1)) ]] && pass "re-merging a shard loses nothing" || fail "q.h5 lost tasks"
expect_exit 0 "pdx run completes it" -- "$PDX" run sweep.yaml -o q.h5 --quiet
same "partial merges + run = single run" single.h5 q.h5

# ---- diverged and failed tasks are finished too --------------------------------
cp p.h5 d.h5
"$PDX" merge w.h5 m.shard-0-of-3.h5 --partial >/dev/null 2>&1
# (each change keeps its task's checksum matching: a file as a pdx that
# computed these values writes it; tests/checksum_test.sh damages files)
$PY - w.h5 <<'PYEOF'
import sys, zlib, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    s = f["status"][()]
    flat = s.reshape(-1)
    done = np.flatnonzero(flat == 1)
    flat[done[0]], flat[done[1]] = 2, 3
    f["status"][()] = flat.reshape(s.shape)
    names = f["checksum"].attrs["checksum_of"].decode().split()
    for t in done[:2]:
        i = np.unravel_index(t, s.shape)
        f["checksum"][i] = zlib.crc32(b"".join(
            np.ascontiguousarray(f[n][i]).tobytes() for n in names))
PYEOF
expect_exit 0 "shard 1 onto a target with diverged and failed tasks" -- "$PDX" merge w.h5 m.shard-1-of-3.h5 --partial
[[ $(counts 2 w.h5) == 1 && $(counts 3 w.h5) == 1 && $(counts 1 w.h5) == $((m0 + m1 - 2)) ]] \
  && pass "diverged and failed tasks of the target stay finished" \
  || fail "w.h5: $(counts 1 w.h5) done, $(counts 2 w.h5) diverged, $(counts 3 w.h5) failed"

# ---- a target that disagrees with an input is refused, and left alone ---------
cp single.h5 bad.h5
$PY - bad.h5 <<'PYEOF'
import sys, zlib, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    f["eg"][(0,) * (f["eg"].ndim - 1) + (2,)] += 1e-12
    i = (0,) * f["status"].ndim
    names = f["checksum"].attrs["checksum_of"].decode().split()
    f["checksum"][i] = zlib.crc32(b"".join(
        np.ascontiguousarray(f[n][i]).tobytes() for n in names))
PYEOF
sum_before=$(sha256sum bad.h5)
expect_exit 1 "a target that disagrees with an input is refused" -- "$PDX" merge bad.h5 m.shard-0-of-3.h5 m.shard-1-of-3.h5 m.shard-2-of-3.h5
expect_err "eg: task 0 \(.*\) is finished in both .*m.shard-[0-2]-of-3.h5 and .*bad.h5 with different values" "the task and both files are named"
[[ $(sha256sum bad.h5) == "$sum_before" ]] && pass "the disagreeing target is untouched" || fail "bad.h5 changed"
# ---- the merged file of a spec this one extends ------------------------------
# Its tasks reach the new file only through the extended sweep's shards (each
# starts with its share): a partial merge of some shards would drop the rest.
sed 's/learning_rate: \[0.2, 1.3\]/learning_rate: [0.2]/' sweep.yaml > small.yaml
"$PDX" run small.yaml -o sx.h5 --quiet >/dev/null 2>&1 || fail "run of the smaller spec"
for i in 0 1; do
  "$PDX" run sweep.yaml -o sx.h5 --extend --shard $i/2 --quiet >/dev/null 2>&1 || fail "extended shard $i/2"
done
sum_before=$(sha256sum sx.h5)
expect_exit 2 "a partial merge of one extended shard onto the smaller spec's file" -- "$PDX" merge sx.h5 sx.shard-0-of-2.h5 --partial
expect_err "sx.h5 holds the results of a spec this one extends" "the refusal says why"
[[ $(sha256sum sx.h5) == "$sum_before" ]] && pass "the smaller spec's file is untouched" || fail "sx.h5 changed"
expect_exit 0 "every extended shard, --partial or not" -- "$PDX" merge sx.h5 sx.shard-0-of-2.h5 sx.shard-1-of-2.h5 --partial
same "extended shards merged = single run" single.h5 sx.h5
# ---- an output that is a symbolic link stays one (issue 21, smaller items) ----
mkdir -p real
"$PDX" merge real/r.h5 m.shard-0-of-3.h5 --partial >/dev/null 2>&1 || fail "partial merge into real/r.h5"
ln -s real/r.h5 link.h5
expect_exit 0 "a merge into a symbolic link" -- "$PDX" merge link.h5 m.shard-0-of-3.h5 m.shard-1-of-3.h5 m.shard-2-of-3.h5
[[ -L link.h5 && $(readlink link.h5) == real/r.h5 ]] && pass "the link stays a link" || fail "link.h5 is no longer the link: $(ls -l link.h5)"
still_complete "the link's file takes the merge" real/r.h5
no_temporaries "a merge through a link" real
ln -s nowhere.h5 dangling.h5
expect_exit 2 "a link to nothing is refused" -- "$PDX" merge dangling.h5 m.shard-0-of-3.h5 m.shard-1-of-3.h5 m.shard-2-of-3.h5
expect_err "dangling.h5 is a symbolic link whose file cannot be resolved" "... saying so"
[[ -L dangling.h5 && ! -e nowhere.h5 ]] && pass "nothing written for the link to nothing" || fail "dangling.h5 replaced"
# ---- the overwrite policy (issue 21): merge never writes over a file of
# another kind, even with --force ----------------------------------------------
"$PDX" theory sweep.yaml -o th.h5 --quiet >/dev/null 2>&1 || fail "pdx theory for the kind check"
cp sweep.yaml spec-copy.yaml
printf 'notes\n' > notes.txt
mkdir -p adir
for target in th.h5 spec-copy.yaml notes.txt adir; do
  sum_before=$(sha256sum "$target" 2>/dev/null || echo dir)
  expect_exit 2 "merge --force onto $target" -- "$PDX" merge "$target" m.shard-0-of-3.h5 m.shard-1-of-3.h5 m.shard-2-of-3.h5 --force
  expect_err "$target already exists and is" "... names $target and what it is"
  [[ $(sha256sum "$target" 2>/dev/null || echo dir) == "$sum_before" ]] && pass "$target untouched" || fail "$target changed"
done
no_temporaries "merges onto existing targets"

finish "all merge-only-adds checks passed"
