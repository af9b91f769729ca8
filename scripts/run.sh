#!/bin/sh
# Quick start: installs dependencies, builds a Release build and runs
# wharfd on 127.0.0.1:7420 with its data in ./wharf-data. Extra arguments
# go to wharfd (see `wharfd --help`).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
cmake -S "$repo" -B "$repo/build/release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DWHARF_BUILD_TESTS=OFF > /dev/null
cmake --build "$repo/build/release" -j "$(nproc)"
exec "$repo/build/release/broker/wharfd" --listen 127.0.0.1:7420 --data-dir ./wharf-data "$@"
