#!/usr/bin/env bash
# A real single-host SLURM (Debian's slurm-wlm and munge), configured here on
# localhost with its own munge key and socket, ports and state directories:
# scripts/slurm/submit.sh queues a 3-task array of pdx shards and the merge
# job; one array task is told to stop (USR1, as --signal sends before a time
# limit), exits 75 and requeues itself, resumes and finishes; the merge job
# then writes a file identical to a single-process run. Daemons are stopped
# (by pid) whatever happens; every wait has a timeout.
# Needs root (CI runs as root); without root or the packages it fails, it
# is never skipped.
# usage: slurm_test.sh PDX_EXE SOURCE_ROOT
set -uo pipefail
PDX=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/pdx-slurm-XXXXXX)
chmod 755 "$WORK"
PIDS=()
source "$SRC/tests/test_lib.sh"
die() { echo "FAIL $1"; exit 1; }

cleanup() {
  if [[ -n ${SLURM_CONF:-} ]]; then
    timeout 10 scancel --quiet --user=root >/dev/null 2>&1 || true
  fi
  # munged runs under runuser: stop it by its own pid, then its parent
  [[ -f $WORK/munge/munged.pid ]] && kill -TERM "$(cat "$WORK/munge/munged.pid")" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if ((failures)) || [[ -n ${PDX_TEST_KEEP:-} ]]; then
    for f in "$WORK"/log/*.log "$WORK"/out/*.logs/*.log; do
      [[ -f $f ]] && { echo "---- $f"; tail -n 30 "$f"; }
    done
  fi
  [[ -n ${PDX_TEST_KEEP:-} ]] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || die "the SLURM test runs slurmctld, slurmd and munged: it needs root (CI runs as root)"
for cmd in slurmctld slurmd munged sbatch squeue scontrol scancel sinfo runuser; do
  command -v $cmd >/dev/null || die "$cmd not found: scripts/setup.sh --test installs slurm-wlm and munge"
done

host=$(hostname -s)
mkdir -p "$WORK"/{munge,state,spool,log,out}
# ---- munge: a private daemon, key and socket ---------------------------------
chown munge: "$WORK/munge"
chmod 755 "$WORK/munge"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chown munge: "$WORK/munge/munge.key"
chmod 400 "$WORK/munge/munge.key"
socket=$WORK/munge/munge.socket
runuser -u munge -- munged --foreground --socket="$socket" \
  --key-file="$WORK/munge/munge.key" --pid-file="$WORK/munge/munged.pid" \
  --log-file="$WORK/munge/munged.log" --seed-file="$WORK/munge/munged.seed" \
  >"$WORK/log/munged.out" 2>&1 &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do [[ -S $socket ]] && break; sleep 0.1; done
[[ -S $socket ]] || { cat "$WORK/log/munged.out" "$WORK/munge/munged.log" 2>/dev/null; die "munged did not start"; }
pass "munged runs (socket $socket)"

# ---- slurm: free ports, a one-node cluster on 127.0.0.1 (the host name need
# not resolve) -----------------------------------------------------------------
read -r port_ctld port_d < <($PY -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
node=$(slurmd -C | head -n 1)
cat > "$WORK/slurm.conf" <<EOF
ClusterName=pdxtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port_ctld
SlurmdPort=$port_d
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket,cred_expire=10
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=600
MailProg=/bin/true
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$WORK/slurm.conf
slurmctld -D -i >"$WORK/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D >"$WORK/log/slurmd.out" 2>&1 &
PIDS+=($!)
ready=0
for ((i = 0; i < 300; i++)); do
  if timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -Eq '^idle'; then ready=1; break; fi
  sleep 0.2
done
((ready)) || { tail -20 "$WORK/log/slurmctld.log" "$WORK/log/slurmd.log" 2>/dev/null; die "the node did not become idle within 60 s"; }
pass "slurmctld and slurmd run; node $host idle"

# ---- the sweep: 3 shards of about 8 s each on one CPU ----------------------------
cd "$WORK/out"
cat > sweep.yaml <<'YAML'
name: slurm
seed: 1203
replicas: 3
N: 300
teacher: {hidden: 2}
student: {hidden: [1, 2], activation: [erf, relu]}
train: {learning_rate: {log: [0.1, 3, 4]}, alpha: 300}
record: {times: {log: [0.1, 300, 10]}, test_size: 300}
YAML
t0=$SECONDS
OMP_NUM_THREADS=2 "$PDX" run "$WORK/out/sweep.yaml" -o single.h5 --quiet >/dev/null || die "single-process reference run"
echo "     reference run: $((SECONDS - t0)) s on 2 threads"

t0=$SECONDS
PDX=$PDX timeout 30 "$SRC/scripts/slurm/submit.sh" -n 3 -c 1 sweep.yaml sweep.h5 --bundle 1 >"$WORK/log/submit.txt" 2>&1 \
  || { cat "$WORK/log/submit.txt"; die "submit.sh failed"; }
eval "$(grep '^array=' "$WORK/log/submit.txt")"
[[ -n ${array:-} && -n ${merge:-} ]] || { cat "$WORK/log/submit.txt"; die "submit.sh printed no job ids"; }
pass "submitted array job $array (3 tasks) and merge job $merge"
# issue 19: the jobs run a snapshot of the spec: editing the live spec
# while the array is queued (task 1 is requeued below and reads it again)
# changes nothing
snap=$(sed -n 's/^spec snapshot: //p' "$WORK/log/submit.txt")
[[ -n $snap && -f $snap && $(stat -c %A "$snap") != *w* ]] && cmp -s "$snap" sweep.yaml \
  && pass "submit.sh made a read-only snapshot of the spec" || fail "no spec snapshot ($snap)"
sed -i 's/^seed: 1203$/seed: 4711/' sweep.yaml

job_state() { # JOB -> JobState (COMPLETED, RUNNING, ...)
  timeout 10 scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2
}
# stop task 1 as a time limit would (USR1 to the batch script) once it runs
# and has committed a task
victim=${array}_1
stopped=0
for ((i = 0; i < 600; i++)); do
  if [[ $(job_state "$victim") == RUNNING ]] && [[ -f sweep.shard-1-of-3.h5 ]] \
     && "$PDX" info sweep.shard-1-of-3.h5 2>/dev/null | grep -Eq '^tasks .*: [1-9][0-9]* done'; then
    timeout 10 scancel --batch --signal=USR1 "$victim" && stopped=1
    break
  fi
  sleep 0.1
done
((stopped)) && pass "sent USR1 to array task $victim after its first commits" || fail "array task $victim never ran"

# wait for the merge job (which waits for the whole array)
done_=0
for ((i = 0; i < 900; i++)); do
  state=$(job_state "$merge")
  case $state in
    COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) done_=1; break ;;
  esac
  sleep 0.2
done
elapsed=$((SECONDS - t0))
((done_)) || die "the merge job did not end within 180 s (state ${state:-unknown})"
[[ $state == COMPLETED ]] && pass "merge job $merge COMPLETED ($elapsed s after submission)" \
  || fail "merge job $merge ended $state"
for t in 0 1 2; do
  st=$(job_state "${array}_$t")
  [[ $st == COMPLETED ]] && pass "array task ${array}_$t COMPLETED" || fail "array task ${array}_$t: $st"
done

log1=$(ls sweep.h5.logs/pdx-${array}_1.log 2>/dev/null)
if [[ -n $log1 ]] && grep -q "exit 75" "$log1" && grep -q "requeueing ${array}_1" "$log1" \
   && grep -q "restart 1" "$log1"; then
  pass "task 1 stopped (exit 75), requeued itself and ran again (restart 1)"
else
  fail "task 1's log does not show stop, requeue and restart"; cat "$log1" 2>/dev/null | sed 's/^/     /'
fi
grep -q "resuming" "$log1" 2>/dev/null && pass "the requeued task resumed its shard file" \
  || fail "the requeued task did not resume"
grep -Eq "pdx: [0-9]+ tasks run .*[1-9][0-9]* already done" "$log1" 2>/dev/null \
  && pass "finished tasks were not run again" || fail "no 'already done' tasks after the requeue"

same "the merged file is identical to the single-process run" single.h5 sweep.h5
no_temporaries "the SLURM jobs" "$WORK/out"
echo "     slurm test: $elapsed s from submission to the merged file"
finish "all SLURM checks passed"
