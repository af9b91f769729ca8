#!/bin/sh
# The long runs that CI does in bounded form (see docs/TESTING.md):
#   1,000 crash cycles, a 30-minute soak, 10 million executions per fuzzer.
# Usage: scripts/test-long.sh [crash|soak|fuzz ...]   (default: all three)
# Knobs: CYCLES, SEED (crash checker seed), SOAK_SECONDS, FUZZ_RUNS,
# FUZZ_TARGETS (frame dispatch ops kafka http), FUZZ_PROCS (cores), FUZZ_SANITIZE.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
parts=${*:-crash soak fuzz}

build() {
  dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" > /dev/null
  cmake --build "$dir" -j "$jobs"
}

for part in $parts; do
  case $part in
    crash)
      build build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
      echo "== crash cycles: ${CYCLES:=1000}"
      build/test/tests/crash_checker --wharfd build/test/broker/wharfd --cycles "$CYCLES" ${SEED:+--seed "$SEED"}
      ;;
    soak)
      build build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
      echo "== soak: ${SOAK_SECONDS:=1800} s"
      build/test/tests/soak --wharfd build/test/broker/wharfd --seconds "$SOAK_SECONDS"
      ;;
    fuzz)
      # One process per core, sharing one corpus (libFuzzer reloads it),
      # FUZZ_RUNS executions in all. UBSan by default: ASan makes the ops
      # fuzzer 2.2 times slower, and CI runs every target under ASan.
      dir=build/fuzz-long
      CC=clang CXX=clang++ build $dir -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHARF_SANITIZE="${FUZZ_SANITIZE:=undefined}" \
        -DWHARF_BUILD_FUZZERS=ON -DWHARF_BUILD_TESTS=OFF -DWHARF_BUILD_BENCHMARKS=OFF
      procs=${FUZZ_PROCS:-$jobs}
      for t in ${FUZZ_TARGETS:-frame dispatch ops kafka http}; do
        echo "== fuzz $t ($FUZZ_SANITIZE): ${FUZZ_RUNS:=10000000} executions in $procs processes"
        corpus=$dir/long-corpus-$t
        rm -rf "$corpus" && mkdir -p "$corpus" && cp -r "tests/fuzz/corpus/$t/." "$corpus"
        pids=
        for i in $(seq "$procs"); do
          ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 "$dir/tests/fuzz/${t}_fuzzer" "$corpus" \
            -runs=$((FUZZ_RUNS / procs)) -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=64 -print_final_stats=1 \
            -artifact_prefix="$dir/$t-$i-" > "$dir/$t-$i.log" 2>&1 &
          pids="$pids $!"
        done
        failed=0
        for p in $pids; do wait "$p" || failed=1; done
        for i in $(seq "$procs"); do grep -E "^(#[0-9]+[[:space:]]+DONE|stat::)" "$dir/$t-$i.log" || true; done
        if [ $failed -ne 0 ]; then
          echo "fuzz $t failed: see $dir/$t-*.log and the artifacts next to them" >&2
          exit 1
        fi
      done
      ;;
    *)
      echo "unknown part: $part (crash, soak or fuzz)" >&2
      exit 2
      ;;
  esac
done
echo "== long runs passed"
