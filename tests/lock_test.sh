#!/usr/bin/env bash
# One lock per output, held for the whole life of any writer (issue 21,
# item 4): a second writer of a file a live `pdx run` holds -- another
# run (even with --force), a merge, a theory -- fails at once (exit 1)
# naming the file and the holder; two runs started together onto a new
# file cannot both write it; a killed holder blocks no one; readers are
# never blocked. Real concurrent processes; no fixed sleeps: each check
# waits (with a timeout) until the holder's working file exists.
# usage: lock_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-lock-XXXXXX")
holder=""
trap '[[ -n $holder ]] && kill -KILL $holder 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

# A runs for minutes (it is always stopped); B and C are small.
cat > a.yaml <<'YAML'
name: lock-a
seed: 11
replicas: 8
N: 400
teacher: {hidden: 2}
student: {hidden: [2, 4], activation: erf}
train: {learning_rate: {log: [0.1, 2, 6]}, alpha: 2000}
record: {times: {log: [0.1, 2000, 12]}}
YAML
sed 's/lock-a/lock-b/; s/seed: 11/seed: 12/' a.yaml > b.yaml
cat > c.yaml <<'YAML'
name: lock-c
seed: 5
replicas: 2
N: 40
teacher: {hidden: 1}
student: {hidden: 1, activation: erf}
train: {learning_rate: [0.3, 0.7], alpha: 2}
record: {times: {log: [0.1, 2, 4]}, test_size: 100}
YAML

# wait_for FILE: until it exists (30 s at most)
wait_for() {
  local i
  for ((i = 0; i < 3000; i++)); do
    [[ -e $1 ]] && return 0
    sleep 0.01
  done
  return 1
}
# start_holder OUT: `pdx run a.yaml -o OUT` in the background until its
# working file exists; its pid in $holder
start_holder() {
  "$PDX" run a.yaml -o "$1" --quiet --grace 0 >/dev/null 2>"$WORK/holder.txt" &
  holder=$!
  if wait_for "$1"; then pass "holder of $1 started (pid $holder)"; else
    fail "holder of $1 never wrote it"; cat "$WORK/holder.txt"; fi
}
# stop_holder: SIGTERM, exit 75 (a run that was never disturbed)
stop_holder() {
  kill -TERM $holder
  wait $holder
  local rc=$?
  holder=""
  if ((rc == 75)); then pass "the holder stops as usual (exit 75)"; else
    fail "the holder: exit $rc"; sed 's/^/     /' "$WORK/holder.txt" | head; fi
}
spec_name() { $PY -c "import h5py,sys; s = h5py.File(sys.argv[1],'r').attrs['spec']; s = s.decode() if isinstance(s, bytes) else s; print(s.split()[1])" "$1"; }

expect_exit 0 "two shards of c" -- sh -c "'$PDX' run c.yaml -o c.h5 --shard 0/2 --quiet && '$PDX' run c.yaml -o c.h5 --shard 1/2 --quiet"
busy="out.h5: .*being written by another pdx process \(host [^,]+, pid "

# ---- a run, a forced run, a merge, a theory onto a file a run holds ---------
start_holder out.h5
expect_exit 1 "run B onto a file run A writes: refused" -- "$PDX" run b.yaml -o out.h5 --quiet
expect_err "$busy$holder\)" "run B: names the file and the holder"
expect_exit 1 "run B --force does not break a live lock" -- "$PDX" run b.yaml -o out.h5 --force --quiet
expect_err "$busy$holder\).*--force does not break the lock" "run B --force: says why"
expect_exit 1 "run A again (a second resumer of the same file): refused" -- "$PDX" run a.yaml -o out.h5 --quiet
expect_exit 1 "merge onto a file a run writes: refused" -- "$PDX" merge out.h5 c.shard-0-of-2.h5 c.shard-1-of-2.h5 --force
expect_err "$busy$holder\)" "merge: names the holder"
expect_exit 1 "theory onto a file a run writes: refused" -- "$PDX" theory c.yaml -o out.h5 --force --quiet
expect_err "$busy$holder\)" "theory: names the holder"
expect_exit 1 "a shard of the sweep while a whole-grid run writes its merged file" -- "$PDX" run a.yaml -o out.h5 --shard 0/2 --quiet
expect_err "$busy$holder\)" "the shard: names the holder of the merged file"
expect_exit 0 "readers are not blocked: pdx info" -- "$PDX" info out.h5
stop_holder
if [[ $(spec_name out.h5) == lock-a ]]; then pass "the file still holds run A"; else fail "the file holds $(spec_name out.h5)"; fi
[[ ! -e .out.h5.lock ]] && pass "the lock file is removed on release" || fail ".out.h5.lock left"

# ---- a lock through a symbolic link is the target's -------------------------
rm -f out.h5 # start_holder waits for the file to appear
ln -s out.h5 link.h5
start_holder out.h5
expect_exit 1 "run B through a link to a file run A writes: refused" -- "$PDX" run b.yaml -o link.h5 --force --quiet
stop_holder

# ---- a killed holder blocks no one ------------------------------------------
start_holder k.h5
kill -KILL $holder; wait $holder 2>/dev/null; holder=""
[[ -e .k.h5.lock ]] && pass "SIGKILL leaves the lock file" || fail "no lock file after SIGKILL"
expect_exit 0 "after SIGKILL, run B --force takes the file over" -- "$PDX" run c.yaml -o k.h5 --force --quiet
[[ ! -e .k.h5.lock ]] && pass "the next writer removes the dead lock's file" || fail ".k.h5.lock left"

# ---- two runs of different specs started together onto a new file -----------
for round in 1 2 3; do
  rm -f new.h5
  "$PDX" run a.yaml -o new.h5 --quiet --grace 0 >/dev/null 2>"$WORK/ra.txt" & pa=$!
  "$PDX" run b.yaml -o new.h5 --quiet --grace 0 >/dev/null 2>"$WORK/rb.txt" & pb=$!
  holder="$pa $pb"
  # the loser exits at once; the winner runs on until stopped
  for ((i = 0; i < 3000; i++)); do
    kill -0 $pa 2>/dev/null && kill -0 $pb 2>/dev/null || break
    sleep 0.01
  done
  if kill -0 $pa 2>/dev/null; then win=$pa; lose=$pb; wname=lock-a; lerr=rb.txt; else
    win=$pb; lose=$pa; wname=lock-b; lerr=ra.txt; fi
  wait $lose; lrc=$?
  wait_for new.h5
  kill -TERM $win; wait $win; wrc=$?
  holder=""
  if ((lrc == 1 && wrc == 75)) && grep -Eq "new.h5: .*being written by another pdx process|new.h5: is in use" "$WORK/$lerr"; then
    pass "round $round: two runs onto a new file: one writes, the other stops (exit 1)"
  else fail "round $round: exits $lrc (loser) and $wrc (winner)"; cat "$WORK/$lerr"; fi
  if [[ $(spec_name new.h5) == "$wname" ]]; then pass "round $round: the file is the winner's"; else
    fail "round $round: the file holds $(spec_name new.h5), the winner was $wname"; fi
done

no_temporaries "lock tests"
finish "all lock checks passed"
