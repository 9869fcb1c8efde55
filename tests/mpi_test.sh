#!/usr/bin/env bash
# An MPI build (-Dmpi=enabled) under mpirun: each rank runs a shard, rank 0
# merges; the result must be identical to a single-process run, for 2 and 3
# ranks, after a stop (USR1 forwarded by mpirun: exit 75, then resume) and
# after a rank is killed with SIGKILL (then resume).
# usage: mpi_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdx-mpi-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export HDF5_USE_FILE_LOCKING=FALSE
# root (CI) needs --allow-run-as-root; 3 ranks on 2 cores need --oversubscribe
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
source "$SRC/tests/test_lib.sh"
command -v mpirun >/dev/null || { echo "FAIL mpirun not found: scripts/setup.sh --test installs openmpi-bin"; exit 1; }
# mpi NAME EXPECTED_EXIT NP ARGS...: run under mpirun with a time limit
mpi() {
  local name=$1 code=$2 np=$3; shift 3
  local t0=$SECONDS
  timeout 120 "${MPIRUN[@]}" -np "$np" "$PDX" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  local rc=$?
  if ((rc == code)); then pass "$name (exit $rc, $((SECONDS - t0)) s)"; else
    fail "$name: exit $rc, expected $code"; sed 's/^/     /' "$WORK/err.txt" | tail -15; fi
}

cat > sweep.yaml <<'YAML'
name: mpi
seed: 9
replicas: 3
N: 300
teacher: {hidden: 2}
student: {hidden: [1, 2, 3], activation: [erf, relu]}
train: {learning_rate: {log: [0.1, 3, 5]}, alpha: 200}
record: {times: {log: [0.1, 200, 8]}, test_size: 300}
YAML
"$PDX" run sweep.yaml -o single.h5 --quiet --threads 2 >/dev/null || { echo "FAIL reference run"; exit 1; }

for np in 2 3; do
  mpi "mpirun -np $np" 0 $np run sweep.yaml -o np$np.h5 --threads 1
  same "$np ranks = single run" single.h5 np$np.h5
  [[ -z $(ls | grep "np$np.shard-") ]] && pass "$np ranks: shard files removed after the merge" \
    || fail "$np ranks: shard files left: $(ls | grep "np$np.shard-")"
done
grep -q "merged 3 shard files into np3.h5" "$WORK/err.txt" && pass "rank 0 reports the merge" || fail "no merge message"
mpi "mpirun on a finished file" 0 2 run sweep.yaml -o np2.h5 --threads 1
grep -q "already complete" "$WORK/err.txt" && pass "nothing to do" || fail "finished file rerun: $(cat "$WORK/err.txt")"

# ---- stop: mpirun forwards USR1 to every rank; all exit 75; resume ---------------
timeout 120 "${MPIRUN[@]}" -np 2 "$PDX" run sweep.yaml -o stop.h5 --threads 1 --grace 0.2 \
  >/dev/null 2>"$WORK/err.txt" &
tpid=$!
for ((i = 0; i < 200; i++)); do
  [[ -f stop.shard-0-of-2.h5 && -f stop.shard-1-of-2.h5 ]] && break
  sleep 0.05
done
sleep 0.5
mpirun_pid=$(pgrep -P $tpid mpirun)
kill -USR1 "$mpirun_pid"
wait $tpid
rc=$?
((rc == 75)) && pass "USR1 to mpirun: exit 75" || { fail "USR1 to mpirun: exit $rc"; tail "$WORK/err.txt"; }
[[ ! -e stop.h5 ]] && pass "no merge after a stop" || fail "stop.h5 written after a stop"
"$PDX" info stop.shard-0-of-2.h5 stop.shard-1-of-2.h5 >"$WORK/out.txt" 2>&1 \
  && grep -q "pending" "$WORK/out.txt" && pass "the shard files are valid snapshots" \
  || fail "shard snapshots: $(cat "$WORK/out.txt")"
mpi "the same mpirun command resumes" 0 2 run sweep.yaml -o stop.h5 --threads 1
grep -q "resuming stop.shard-0-of-2.h5" "$WORK/err.txt" && pass "rank 0 resumed its shard" || fail "rank 0 did not resume"
same "stopped and resumed = single run" single.h5 stop.h5

# ---- a rank killed with SIGKILL: mpirun ends the job; resume ------------------------
timeout 120 "${MPIRUN[@]}" -np 2 "$PDX" run sweep.yaml -o kill.h5 --threads 1 \
  >/dev/null 2>"$WORK/err.txt" &
tpid=$!
for ((i = 0; i < 200; i++)); do
  [[ -f kill.shard-1-of-2.h5 ]] && break
  sleep 0.05
done
sleep 0.5
victim=$(pgrep -f "pdx run sweep.yaml -o kill.h5" | while read -r p; do
  [[ $(ps -o comm= -p "$p") == pdx ]] && echo "$p"; done | tail -n 1)
kill -KILL "$victim"
wait $tpid
rc=$?
((rc != 0)) && pass "a rank killed with SIGKILL: mpirun exits $rc" || fail "SIGKILL of a rank: exit 0"
sleep 0.5
mpi "the same command resumes after the kill" 0 2 run sweep.yaml -o kill.h5 --threads 1
same "killed and resumed = single run" single.h5 kill.h5

no_temporaries "MPI runs"
finish "all MPI checks passed"
