#!/usr/bin/env bash
# Fuzz the spec parser with libFuzzer (clang), ASan and UBSan.
# usage: scripts/fuzz.sh [SECONDS] [JOBS]     (default 60 s, 1 job)
# Crashes and hangs are written to build-fuzz/findings/; turn each into a
# regression spec under tests/fuzz/regressions/ (the unit suite replays
# them through tests/fuzz_replay).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${2:-1}
scripts/setup.sh --packages-only clang libclang-rt-14-dev
out=build-fuzz
mkdir -p "$out/corpus" "$out/findings"
# seed corpus: every spec we ship and every regression
cp sweeps/*.yaml "$out/corpus/" 2>/dev/null || true
cp tests/fuzz/regressions/* "$out/corpus/" 2>/dev/null || true
cp tests/fuzz/seeds/* "$out/corpus/" 2>/dev/null || true
CFLAGS="-std=c17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=undefined -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
  -Iinclude -Isrc -I$out"
echo '#define PDX_GIT_DESCRIBE "fuzz"' > "$out/version.h"
clang $CFLAGS -o "$out/fuzz_spec" tests/fuzz/fuzz_spec.c src/spec.c \
  src/spec_table.c src/error.c src/grid.c src/rng.c -lyaml -lm
# run inside $out: libFuzzer writes fuzz-<job>.log files to the cwd
(cd "$out" && ./fuzz_spec -max_total_time="$seconds" -jobs="$jobs" \
  -workers="$jobs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -artifact_prefix=findings/ -print_final_stats=1 corpus 2>&1) |
  tee "$out/fuzz.log" | grep -E "^#[0-9]+.*(DONE|pulse)|stat::|ERROR|SUMMARY" || true
if ls "$out/findings/" | grep -q .; then
  echo "fuzz: findings in $out/findings/:" >&2
  ls -l "$out/findings/" >&2
  exit 1
fi
echo "fuzz: no findings in ${seconds}s"
