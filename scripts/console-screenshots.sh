#!/bin/sh
# Retakes the web console's pictures in docs/console/ (linked from the
# README): the browser tests save them as they pass.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHARF_WERROR=ON > /dev/null
cmake --build build/test --target wharfd wharf
/usr/bin/python3 tests/console/browser_test.py --wharfd build/test/broker/wharfd --wharf build/test/cli/wharf \
  --screenshots docs/console
