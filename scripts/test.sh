#!/bin/sh
# The whole test suite, as CI runs it: installs dependencies, builds with
# warnings as errors, runs every test, then builds again under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs every test again.
# Usage: scripts/test.sh [--quick]   (--quick skips the sanitizer pass)
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

run_suite() {
  dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DWHARF_WERROR=ON "$@" > /dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" -j "$jobs" --output-on-failure --timeout 600
}

echo "== build and test (RelWithDebInfo, -Werror)"
run_suite build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ "${1:-}" != "--quick" ]; then
  echo "== build and test under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/asan -DCMAKE_BUILD_TYPE=Debug -DWHARF_SANITIZE=address,undefined -DWHARF_BUILD_BENCHMARKS=OFF
fi
echo "== all tests passed"
