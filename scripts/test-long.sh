#!/bin/sh
# The long runs that CI does in bounded form (see docs/TESTING.md):
#   1,000 crash cycles, a 30-minute soak, 10 million executions per fuzzer.
# Usage: scripts/test-long.sh [crash|soak|fuzz ...]   (default: all three)
# Knobs: CYCLES, SOAK_SECONDS, FUZZ_RUNS, SEED (crash checker seed).
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
      CC=clang CXX=clang++ build build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHARF_SANITIZE=address \
        -DWHARF_BUILD_FUZZERS=ON -DWHARF_BUILD_TESTS=OFF -DWHARF_BUILD_BENCHMARKS=OFF
      for t in frame dispatch ops; do
        echo "== fuzz $t: ${FUZZ_RUNS:=10000000} executions"
        corpus=build/fuzz/long-corpus-$t
        rm -rf "$corpus" && mkdir -p "$corpus" && cp -r "tests/fuzz/corpus/$t/." "$corpus"
        ASAN_OPTIONS=detect_leaks=0 "build/fuzz/tests/fuzz/${t}_fuzzer" "$corpus" \
          -runs="$FUZZ_RUNS" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
          -artifact_prefix="build/fuzz/$t-"
      done
      ;;
    *)
      echo "unknown part: $part (crash, soak or fuzz)" >&2
      exit 2
      ;;
  esac
done
echo "== long runs passed"
