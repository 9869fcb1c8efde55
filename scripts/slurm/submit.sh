#!/usr/bin/env bash
# Submit a pdx sweep to SLURM: an array of N shards and a merge job that runs
# when all of them succeeded.
#
#   scripts/slurm/submit.sh [-n N] [-c CPUS] [-t TIME] [-p PARTITION]
#                           [-s "SBATCH OPTIONS"] SPEC OUT [pdx run options]
#
#   -n N      shards = array tasks (default 4)
#   -c CPUS   CPUs per task = OpenMP threads (default 2)
#   -t TIME   time limit per array task (sbatch --time), e.g. 04:00:00; a
#             task that reaches it stops cleanly and is requeued
#   -p PART   partition
#   -s OPTS   more sbatch options for both jobs (e.g. "--account=abc")
#
# PDX names the pdx executable (default: pdx on PATH, else ./build/pdx).
# Logs go next to OUT: OUT.logs/pdx-ARRAYJOB_TASK.log, pdx-merge-JOB.log.
# Prints the two job ids. Follow with squeue; `pdx info OUT.shard-*` shows
# the progress of the shards, OUT is written by the merge job.
#
# The jobs run a snapshot of SPEC (OUT.logs/spec-TIME.yaml, read-only),
# not SPEC itself: editing SPEC while the array is queued (or a task is
# requeued) cannot give the shards different specs. KEY=VALUE arguments
# among the pdx run options are overrides (pdx run SPEC KEY=VALUE).
# Resubmitting after an edit makes a new snapshot; its spec must still be
# the same (keys and values) for the shards to resume.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=4 cpus=2 time_limit="" partition="" extra=""
while getopts "n:c:t:p:s:h" opt; do
  case $opt in
    n) n=$OPTARG ;;
    c) cpus=$OPTARG ;;
    t) time_limit=$OPTARG ;;
    p) partition=$OPTARG ;;
    s) extra=$OPTARG ;;
    h) sed -n '2,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if (($# < 2)); then
  echo "usage: $0 [-n N] [-c CPUS] [-t TIME] [-p PART] [-s OPTS] SPEC OUT [pdx run options]" >&2
  exit 2
fi
if ! [[ $n =~ ^[1-9][0-9]*$ && $cpus =~ ^[1-9][0-9]*$ ]]; then
  echo "submit: -n and -c take positive integers" >&2
  exit 2
fi
spec=$(readlink -f "$1")
out=$(readlink -f "$2")
shift 2
if [[ -z ${PDX:-} ]]; then
  if command -v pdx >/dev/null; then PDX=$(command -v pdx)
  else PDX=$here/../../build/pdx; fi
fi
PDX=$(readlink -f "$PDX")
export PDX
# refuse a bad spec here, not in N jobs (with the overrides of "$@")
overrides=()
for a in "$@"; do
  [[ $a =~ ^[A-Za-z_][A-Za-z0-9_.]*= ]] && overrides+=("$a")
done
"$PDX" validate "$spec" "${overrides[@]}" >/dev/null
logs="$out.logs"
mkdir -p "$logs"
# the jobs read this copy, never the live spec
snapshot="$logs/spec-$(date -u +%Y%m%dT%H%M%S)-$$.yaml"
cp -- "$spec" "$snapshot"
chmod a-w "$snapshot"
spec=$snapshot
common=(--parsable)
[[ -n $partition ]] && common+=(--partition="$partition")
# shellcheck disable=SC2206
[[ -n $extra ]] && common+=($extra)
array_opts=(--array="0-$((n - 1))" --cpus-per-task="$cpus"
            --output="$logs/pdx-%A_%a.log")
[[ -n $time_limit ]] && array_opts+=(--time="$time_limit")
if ((n == 1)); then
  # one task needs no merge: it writes OUT itself
  job=$(sbatch "${common[@]}" --cpus-per-task="$cpus" --output="$logs/pdx-%j.log" \
        ${time_limit:+--time="$time_limit"} "$here/pdx-array.sbatch" "$spec" "$out" --shard 0/1 "$@")
  echo "pdx job $job (1 task) -> $out (spec snapshot: $spec)"
  exit 0
fi
array=$(sbatch "${common[@]}" "${array_opts[@]}" "$here/pdx-array.sbatch" "$spec" "$out" "$@")
array=${array%%;*}
merge=$(sbatch "${common[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
        --output="$logs/pdx-merge-%j.log" "$here/pdx-merge.sbatch" "$out" "$n")
merge=${merge%%;*}
echo "pdx array job $array ($n shards), merge job $merge -> $out"
echo "spec snapshot: $spec"
echo "array=$array merge=$merge"
