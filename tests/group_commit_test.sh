#!/usr/bin/env bash
# Group commits and incremental merges (issue 20, items 1 and 2).
#   1. Tiny tasks are committed in groups: with --commit-window 5 a few
#      thousand tasks take a handful of commits (the summary counts them),
#      and the file is identical to one committed task by task
#      (--commit-window 0), for 1 and 2 threads.
#   2. A kill loses the open group and nothing else: SIGKILL of a run whose
#      window is an hour, once tasks have finished, leaves a valid file with
#      no finished task; SIGTERM commits the tasks of the open group before
#      the run exits (75); both resume to the file of an uninterrupted run.
#   3. A merge into an existing working target (--partial, one shard more
#      each time) works in place: the target keeps its inode (not rebuilt
#      and renamed), copies only the new shard's tasks, and the last merge
#      finishes a file identical to the single run.
#   4. Bad values of --commit-window are usage errors (exit 2).
# usage: group_commit_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-group-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
source "$SRC/tests/test_lib.sh"

# finished FILE: tasks of FILE whose status is not 0
finished() {
  $PY - "$1" <<'PYEOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    print(int(np.count_nonzero(f["status"][()])))
PYEOF
}

cat > tiny.yaml <<'YAML'
name: tiny
seed: 4711
replicas: 1
N: 20
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: {lin: [0.1, 4, 60]}, label_noise: {lin: [0, 0.5, 50]}}
train: {algorithm: hebb, epochs: 1}
record: {times: [1]}
YAML
tasks=3000

# ---- 1. groups --------------------------------------------------------------
expect_exit 0 "task by task (--commit-window 0)" -- "$PDX" run tiny.yaml -o one.h5 --threads 1 --commit-window 0
expect_err "$tasks tasks run .* $tasks commits in" "... one commit per task"
expect_exit 0 "grouped (--commit-window 5), 1 thread" -- "$PDX" run tiny.yaml -o g1.h5 --threads 1 --commit-window 5
commits=$(sed -n 's/.* \([0-9]*\) commits in .*/\1/p' "$WORK/err.txt")
[[ -n $commits && $commits -ge 1 && $commits -le 10 ]] && pass "... $tasks tasks in $commits commits" \
  || fail "grouped run made '$commits' commits for $tasks tasks"
same "grouped = task by task (1 thread)" one.h5 g1.h5
expect_exit 0 "grouped, 2 threads, default window" -- "$PDX" run tiny.yaml -o g2.h5 --threads 2
same "grouped = task by task (2 threads)" one.h5 g2.h5

# ---- 2. a kill loses the open group, nothing else -------------------------------
cat > slow.yaml <<'YAML'
name: slow
seed: 4711
replicas: 1
N: 150
teacher: {kind: perceptron}
student: {kind: perceptron}
data: {alpha: {lin: [1, 30, 80]}, label_noise: {lin: [0, 0.5, 60]}}
train: {algorithm: hebb, epochs: 1}
record: {times: [1]}
YAML
expect_exit 0 "reference run" -- "$PDX" run slow.yaml -o ref.h5 --threads 2 --quiet
# run_until_busy OUT SIGNAL: start a run with an hour-long window on one
# thread (whose group is written only when it runs out of tasks), wait
# until its file exists and tasks have been finishing for 1 s (the run
# takes ~4 s on one core), send SIGNAL; prints the exit code
run_until_busy() {
  "$PDX" run slow.yaml -o "$1" --threads 1 --quiet --commit-window 3600 &
  local pid=$! i
  for i in $(seq 1 200); do [[ -e $1 ]] && break; sleep 0.05; done
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; echo "finished-early"; return; fi
  kill "-$2" "$pid"
  wait "$pid"
  echo $?
}
code=$(run_until_busy k.h5 KILL)
[[ $code == 137 ]] && pass "SIGKILL during an open group (exit $code)" || fail "SIGKILL: exit $code (the run must still be busy after 1 s)"
got=$(finished k.h5)
[[ $got == 0 ]] && pass "... the killed file is valid and holds no task of the open group" \
  || fail "the killed file holds $got finished tasks, expected 0 (nothing committed within the window)"
expect_exit 0 "... resumed" -- "$PDX" run slow.yaml -o k.h5 --threads 2 --quiet
same "killed + resumed = uninterrupted" ref.h5 k.h5
code=$(run_until_busy t.h5 TERM)
[[ $code == 75 ]] && pass "SIGTERM during an open group stops the run (exit $code)" || fail "SIGTERM: exit $code"
got=$(finished t.h5)
[[ $got -gt 0 ]] && pass "... the tasks of the open group were committed ($got)" \
  || fail "SIGTERM left no finished task: the open group was lost"
expect_exit 0 "... resumed" -- "$PDX" run slow.yaml -o t.h5 --threads 2 --quiet
same "stopped + resumed = uninterrupted" ref.h5 t.h5

# ---- 3. incremental merge, in place ---------------------------------------------
for i in 0 1 2; do "$PDX" run tiny.yaml -o s.h5 --shard "$i/3" --quiet >/dev/null 2>&1 || fail "shard $i/3"; done
expect_exit 0 "merge shard 0 (--partial)" -- "$PDX" merge p.h5 s.shard-0-of-3.h5 --partial
n0=$(finished p.h5)
inode=$(stat -c %i p.h5)
expect_exit 0 "merge shards 0 and 1 into it (--partial)" -- "$PDX" merge p.h5 s.shard-0-of-3.h5 s.shard-1-of-3.h5 --partial
[[ $(stat -c %i p.h5) == "$inode" ]] && pass "... in place (the target was not rebuilt)" \
  || fail "the partial target was rebuilt and renamed instead of merged into in place"
n1=$(finished p.h5)
[[ $n1 -gt $n0 && $n1 -lt $tasks ]] && pass "... it grew from $n0 to $n1 tasks" || fail "p.h5: $n0 then $n1 tasks"
expect_exit 0 "the last shard completes it" -- "$PDX" merge p.h5 s.shard-0-of-3.h5 s.shard-1-of-3.h5 s.shard-2-of-3.h5
same "incremental merges = single run" one.h5 p.h5
no_temporaries "after the merges"

# ---- 4. bad input ---------------------------------------------------------------
for bad in -1 x 1e9 nan; do
  expect_exit 2 "--commit-window $bad is refused" -- "$PDX" run tiny.yaml -o bad.h5 --commit-window "$bad"
  expect_err "commit-window" "... naming the option"
done

finish "group commits and incremental merges: all checks passed"
