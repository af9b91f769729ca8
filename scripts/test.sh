#!/bin/sh
# The whole test suite, as CI runs it:
#   1. build with warnings as errors and run every test, including the
#      crash cycles, the soak run and the installed-package test;
#   2. build under AddressSanitizer + UndefinedBehaviorSanitizer and run
#      every test again (without the long crash and soak runs);
#   3. build under ThreadSanitizer and run the concurrent tests;
#   4. build with clang (-Wthread-safety -Werror: the lock annotations are
#      checked) and run each libFuzzer target for a while.
# Usage: scripts/test.sh [--quick]   (--quick stops after step 1)
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
long="CrashCycles|Soak|InstalledPackage"
# As root the disk-full test can mount its tmpfs: make it fail, not skip, if that breaks.
[ "$(id -u)" = 0 ] && export WHARF_REQUIRE_MOUNT=1

build() {
  dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DWHARF_WERROR=ON "$@" > /dev/null
  cmake --build "$dir" -j "$jobs"
}

echo "== 1. build and test (RelWithDebInfo, -Werror)"
build build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build/test -j "$jobs" --output-on-failure --timeout 900 -E "$long"
ctest --test-dir build/test --output-on-failure --timeout 900 -R "$long"
[ "${1:-}" = "--quick" ] && { echo "== quick: all tests passed"; exit 0; }

echo "== 2. ASan + UBSan"
build build/asan -DCMAKE_BUILD_TYPE=Debug -DWHARF_SANITIZE=address,undefined -DWHARF_BUILD_BENCHMARKS=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan -j "$jobs" --output-on-failure --timeout 900 -E "$long|MetaTreeChecks"

echo "== 3. ThreadSanitizer, concurrent tests"
build build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHARF_SANITIZE=thread -DWHARF_BUILD_BENCHMARKS=OFF
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build/tsan -j "$jobs" --output-on-failure --timeout 900 -R "^(Client|Queue|Net|Storage|Log|WriterDurability|AdminApi|ConsoleAuth)"

echo "== 4. clang build with -Wthread-safety -Werror; fuzzers (ASan), ${WHARF_FUZZ_SECONDS:=45} s each"
CC=clang CXX=clang++ build build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHARF_SANITIZE=address \
  -DWHARF_BUILD_FUZZERS=ON -DWHARF_BUILD_TESTS=OFF -DWHARF_BUILD_BENCHMARKS=OFF -DWHARF_FUZZ_SECONDS="$WHARF_FUZZ_SECONDS"
ctest --test-dir build/fuzz --output-on-failure --timeout 900

echo "== all tests passed"
