#!/usr/bin/env bash
# Checksums on data (issue 21, item 6): a flipped bit in a finished task's
# data -- in a working file, a finished file, a shard before its merge --
# is found by its checksum, reported by cell, and never trusted: `pdx run`
# runs the task again and ends with the file of an uninterrupted run, `pdx
# merge` does not copy it, `pdx info` names it and exits 1. Files without
# checksums (an older pdx) still open, resume, merge and show, unverified.
# The damage is made by tests/flip_bit.py, at the byte offset HDF5 gives
# (working files) or through the raw chunk (finished files).
# usage: checksum_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
FLIP="$PY $SRC/tests/flip_bit.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-checksum-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=2 HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

cat > sweep.yaml <<'YAML'
name: checksum
seed: 2385
replicas: 3
N: 25
teacher: {hidden: 2}
student: {hidden: [1, 3], activation: [erf, relu]}
train: {learning_rate: [0.2, 1.3], alpha: 2}
record: {times: {log: [0.05, 2, 5]}, test_size: 150}
YAML
expect_exit 0 "reference run" -- "$PDX" run sweep.yaml -o clean.h5 --quiet
for i in 0 1; do "$PDX" run sweep.yaml -o sh.h5 --shard "$i/2" --quiet >/dev/null 2>&1 || fail "shard $i/2"; done
cp sh.shard-0-of-2.h5 shard0.h5
cp sh.shard-1-of-2.h5 shard1.h5

# status_of FILE TASK: the status of a task (global index) of FILE
status_of() {
  $PY - "$1" "$2" <<'PYEOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st = f["status"][()]
    t = int(sys.argv[2])
    if "task" in f and st.ndim == 1:
        print(int(st[np.flatnonzero(f["task"][()] == t)[0]]))
    else:
        print(int(st.ravel()[t]))
PYEOF
}
# tasks_of FILE STATUS: the first two tasks of FILE with that status
tasks_of() {
  $PY - "$1" "$2" <<'PYEOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st = f["status"][()].ravel()
    hit = np.flatnonzero(st == int(sys.argv[2]))
    if "task" in f and f["status"].ndim == 1:
        hit = f["task"][()][hit]
    print(" ".join(str(int(t)) for t in hit[:2]))
PYEOF
}

# ---- (a) a working file: resume reports the cell, runs it again ----
expect_exit 0 "a working file (partial merge of shard 0)" -- "$PDX" merge w.h5 shard0.h5 --partial
read -r a1 a2 <<<"$(tasks_of w.h5 1)"
read -r p1 _ <<<"$(tasks_of w.h5 0)"
$FLIP w.h5 eg "$a1" --element 2 >/dev/null || fail "flip eg of task $a1"
$FLIP w.h5 R "$a2" --bit 51 >/dev/null || fail "flip R of task $a2"
expect_exit 1 "info on the damaged working file" -- "$PDX" info w.h5
expect_out "checksums +2 of [0-9]+ finished tasks DAMAGED" "info: 2 damaged tasks"
expect_out "^  task $a1: student.hidden=[0-9]+, student.activation=[a-z]+, train.learning_rate=[0-9.]+, replica=[0-9]" "info names the cell of task $a1"
expect_out "^  task $a2: " "info names task $a2"
expect_err "w.h5: 2 damaged \(listed above" "info: the error says so"
expect_exit 0 "info --no-verify does not check" -- "$PDX" info w.h5 --no-verify
expect_out "checksums +not checked \(--no-verify\)" "info --no-verify says so"
expect_exit 0 "resume the damaged working file" -- "$PDX" run sweep.yaml -o w.h5
expect_err "w.h5: 2 of [0-9]+ finished tasks are damaged" "resume reports the damage"
expect_err "^  task $a1: student.hidden=" "resume names the cell of task $a1"
expect_err "^  task $a2: " "resume names task $a2"
same "resumed working file = uninterrupted run" clean.h5 w.h5
expect_exit 0 "info on the resumed file" -- "$PDX" info w.h5
expect_out "checksums +24 finished tasks intact" "info: every task intact"

# a status flipped from pending to done, and a flipped checksum
"$PDX" merge w2.h5 shard0.h5 --partial >/dev/null 2>&1 || fail "partial merge w2.h5"
$FLIP w2.h5 status "$p1" >/dev/null || fail "flip the status of pending task $p1"
$FLIP w2.h5 checksum "$a1" --bit 9 >/dev/null || fail "flip the checksum of task $a1"
expect_exit 1 "info: a task marked done without its data" -- "$PDX" info w2.h5
expect_out "^  task $p1: " "info names the task marked done ($p1)"
expect_out "^  task $a1: " "info names the task with a flipped checksum ($a1)"
expect_exit 0 "resume it" -- "$PDX" run sweep.yaml -o w2.h5 --quiet
expect_err "task $p1: " "resume names task $p1 (quiet too)"
same "resumed = uninterrupted run (status, checksum)" clean.h5 w2.h5

# ---- (b) a finished file: not 'already complete'; rebuilt ----
cp clean.h5 f.h5
$FLIP f.h5 Q 7 --element 1 >/dev/null || fail "flip Q of task 7 in the finished file"
expect_exit 1 "info on the damaged finished file" -- "$PDX" info f.h5
expect_out "^  task 7: student.hidden=" "info names the cell of task 7"
expect_exit 0 "run on the damaged finished file" -- "$PDX" run sweep.yaml -o f.h5
if grep -q "already complete" "$WORK/err.txt"; then fail "a damaged finished file is 'already complete'"
else pass "a damaged finished file is not 'already complete'"; fi
expect_err "f.h5: 1 of 24 finished tasks are damaged" "run reports the damage"
expect_err "^  task 7: student.hidden=" "run names the cell of task 7"
expect_err "23 finished tasks kept" "the intact tasks are kept"
expect_err "1 tasks run" "only the damaged task runs"
same "rebuilt finished file = uninterrupted run" clean.h5 f.h5
expect_exit 0 "run again: complete now" -- "$PDX" run sweep.yaml -o f.h5
expect_err "already complete" "the rebuilt file is complete"
# a chunk that no longer inflates: every task in it runs again
cp clean.h5 z.h5
$FLIP z.h5 eg 5 --compressed >/dev/null || fail "damage a compressed chunk"
expect_exit 1 "info on a file with an unreadable chunk" -- "$PDX" info z.h5
expect_out "^  task 5: " "info names task 5 (unreadable)"
expect_exit 0 "run on it" -- "$PDX" run sweep.yaml -o z.h5 --quiet
same "rebuilt after an unreadable chunk = uninterrupted run" clean.h5 z.h5

# a flipped bit in a coordinate (the labels of whole rows of cells): loud
cp clean.h5 c.h5
$PY - c.h5 <<'PYEOF' || fail "flip a bit of train.learning_rate"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    d = f["train.learning_rate"]
    bits = d[()].view(np.uint64).copy()
    bits[1] ^= np.uint64(1)
    d[...] = bits.view(np.float64)
PYEOF
expect_exit 1 "info on a file with a damaged coordinate" -- "$PDX" info c.h5
expect_err "train.learning_rate: coordinate value 1 is 1.2999999999999998 in the file but 1.3 for this spec" "info names the coordinate"
expect_exit 1 "run on it" -- "$PDX" run sweep.yaml -o c.h5
expect_err "labels are damaged" "run says the labels are damaged"
expect_exit 1 "merge of it" -- "$PDX" merge cm.h5 c.h5
expect_err "train.learning_rate: coordinate value 1" "merge names the coordinate"

# ---- (c) a shard before its merge ----
read -r s1 _ <<<"$(tasks_of shard1.h5 1)"
$FLIP sh.shard-1-of-2.h5 v "$s1" >/dev/null || fail "flip v of task $s1 in shard 1"
expect_exit 1 "merge with a damaged shard is refused" -- "$PDX" merge m.h5 sh.shard-0-of-2.h5 sh.shard-1-of-2.h5
expect_err "task $s1 in sh.shard-1-of-2.h5: student.hidden=" "merge names the task, its file and cell"
expect_err "damaged" "merge says damaged"
[[ -e m.h5 ]] && fail "a refused merge wrote m.h5" || pass "a refused merge writes nothing"
expect_exit 0 "--partial writes the rest" -- "$PDX" merge m.h5 sh.shard-0-of-2.h5 sh.shard-1-of-2.h5 --partial
expect_err "task $s1 in sh.shard-1-of-2.h5" "--partial names the damaged task"
[[ $(status_of m.h5 "$s1") == 0 ]] && pass "the damaged task is pending in the partial merge" \
  || fail "the damaged task was copied into m.h5"
expect_exit 0 "an intact copy in another input is taken" -- "$PDX" merge m2.h5 sh.shard-1-of-2.h5 sh.shard-0-of-2.h5 clean.h5
expect_err "an intact copy in another file was taken" "merge says the intact copy was taken"
same "merge with an intact copy = uninterrupted run" clean.h5 m2.h5
expect_exit 1 "info over the shards names the damaged task" -- "$PDX" info sh.shard-0-of-2.h5 sh.shard-1-of-2.h5
expect_out "sh.shard-1-of-2.h5: 1 of 12 finished tasks DAMAGED" "info over shards: the damaged file"
expect_out "^  task $s1: " "info over shards: the task"
expect_exit 0 "rerun the damaged shard" -- "$PDX" run sweep.yaml -o sh.h5 --shard 1/2
expect_err "task $s1: " "the shard run names the damaged task"
same "rebuilt shard = the shard's uninterrupted run" shard1.h5 sh.shard-1-of-2.h5
rm -f m.h5
expect_exit 0 "merge after the rerun" -- "$PDX" merge m.h5 sh.shard-0-of-2.h5 sh.shard-1-of-2.h5
same "merged = uninterrupted run" clean.h5 m.h5

# ---- a dimension list pointing at the wrong coordinate (netCDF readers
# would label the axis wrongly): info names it ----
cp clean.h5 dl.h5
$PY - dl.h5 <<'PYEOF' || fail "relabel a dimension of eg"
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    eg = f["eg"]
    at = eg.ndim - 2  # replica
    eg.dims[at].detach_scale(f["replica"])
    eg.dims[at].attach_scale(f["time"])
PYEOF
expect_exit 1 "info on a file with a wrong dimension list" -- "$PDX" info dl.h5
expect_out "^labels +eg: dimension 3 is 'time', expected 'replica': its dimension list is DAMAGED" "info names the variable and dimension"

# ---- damaged HDF5 metadata: the global heap of the dimension lists ----
# (pdx info reports, never dies: a damaged list is named; a crash of HDF5
# 1.10 reading the file is reported as such). damage_heap FILE OFFSET BIT
# flips BIT at OFFSET from the start of the first heap object that is a
# dimension list (object references), not the name of a choice
# coordinate (text, issue 19): 16 is its body (a scale's address), 8 its
# size.
damage_heap() {
  $PY - "$@" <<'PYEOF'
import struct, sys
path, offset, bit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
at = data.find(b"GCOL") + 16
while True:
    index, _, _, size = struct.unpack_from("<HHIQ", data, at)
    body = data[at + 16:at + 16 + size]
    if index != 0 and not (body and all(32 <= c < 127 for c in body)):
        break
    at += 16 + (size + 7) // 8 * 8
with open(path, "r+b") as f:
    f.seek(at + offset)
    b = f.read(1)[0]
    f.seek(at + offset)
    f.write(bytes([b ^ bit]))
PYEOF
}
"$PDX" merge g.h5 shard0.h5 --partial >/dev/null 2>&1 || fail "partial merge g.h5"
cp g.h5 g-size.h5
damage_heap g.h5 16 64 || fail "damage a dimension list's reference"
expect_exit 1 "info on a file whose dimension list is damaged" -- "$PDX" info g.h5
expect_out "its dimension list is DAMAGED" "info says so"
# a wrong size misaligns the heap's later objects: HDF5 1.10 reports the
# lists damaged or crashes reading them (which depends on what follows
# the object); either way info names the file and exits 1
damage_heap g-size.h5 8 128 || fail "damage a dimension list's size"
expect_exit 1 "info on a file whose heap sizes are damaged" -- "$PDX" info g-size.h5
if grep -q "its dimension list is DAMAGED" "$WORK/out.txt" ||
   grep -q "g-size.h5: reading the file crashed the HDF5 library (signal [0-9]*): its metadata are damaged" "$WORK/err.txt"; then
  pass "info reports the damaged heap"
else
  fail "info on a damaged heap: neither the lists nor the crash reported"
fi
expect_exit 0 "run resumes it (it reads no dimension list)" -- "$PDX" run sweep.yaml -o g.h5 --quiet
same "resumed = uninterrupted run (metadata rebuilt by the repack)" clean.h5 g.h5
# the names of a choice coordinate (issue 19) live in the same heap: a
# flipped bit in an object's size made HDF5 1.10 crash reading them; pdx
# reads them itself (src/store/choice_names.c) and reports damaged labels
"$PDX" merge h.h5 shard0.h5 --partial >/dev/null 2>&1 || fail "partial merge h.h5"
$PY - h.h5 <<'PYEOF' || fail "damage the names in the global heap"
import sys
path = sys.argv[1]
at = open(path, "rb").read().find(b"GCOL") + 24 + 1  # first object's size
with open(path, "r+b") as f:
    f.seek(at)
    b = f.read(1)[0]
    f.seek(at)
    f.write(bytes([b ^ 0x80]))
PYEOF
expect_exit 1 "info on a file whose choice names are damaged" -- "$PDX" info h.h5
expect_err "h.h5: student.activation: the names of the coordinate cannot be read \(its part of the file's global heap is damaged" "info names the damaged coordinate"
expect_exit 1 "run refuses it, no crash" -- "$PDX" run sweep.yaml -o h.h5 --quiet
expect_err "student.activation: the names of the coordinate cannot be read.*--force recomputes it" "run names the damaged coordinate"
expect_exit 0 "run --force recomputes it" -- "$PDX" run sweep.yaml -o h.h5 --force --quiet
same "recomputed = uninterrupted run" clean.h5 h.h5

# ---- (d) files without checksums (an older pdx): unverified, not refused ----
drop_checksums() {
  $PY - "$1" <<'PYEOF' || fail "drop the checksums of $1"
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f["checksum"]
PYEOF
}
cp clean.h5 old.h5; drop_checksums old.h5
expect_exit 0 "info on a file without checksums" -- "$PDX" info old.h5
expect_out "checksums +none \(written by an older pdx\): 24 finished tasks unverified" "info: unverified"
expect_exit 0 "run on it: complete" -- "$PDX" run sweep.yaml -o old.h5
expect_err "already complete" "a finished file without checksums is complete"
expect_err "no checksums" "run says it is unverified"
cp shard0.h5 old0.h5; cp shard1.h5 old1.h5; drop_checksums old0.h5; drop_checksums old1.h5
expect_exit 0 "merge files without checksums" -- "$PDX" merge om.h5 old0.h5 old1.h5
expect_err "copied unverified" "merge says they were unverified"
same "their merge (checksums computed) = uninterrupted run" clean.h5 om.h5
"$PDX" merge ow.h5 shard0.h5 --partial >/dev/null 2>&1 && drop_checksums ow.h5
expect_exit 0 "resume a working file without checksums" -- "$PDX" run sweep.yaml -o ow.h5
expect_exit 0 "info on the result" -- "$PDX" info ow.h5
expect_out "unverified" "it stays a file without checksums"
no_temporaries "no temporaries"

finish "checksum: damaged tasks are found, named and run again"
