#!/bin/sh
# Checks that the tree and its descriptions agree:
#  1. every tests/ folder holding *_test.cc files is built by tests/CMakeLists.txt;
#  2. docs/ARCHITECTURE.md lists every top-level and broker/ folder, and
#     every folder it lists exists.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fail=0

for dir in $(find tests -name '*_test.cc' -exec dirname {} \; | sort -u); do
  name=${dir#tests/}
  if ! grep -q "wharf_test_binary($name[ )]" tests/CMakeLists.txt; then
    echo "tests/$name has tests that no wharf_test_binary() builds"
    fail=1
  fi
done

listed=$(sed -n 's/^- `\([^`]*\/\)`.*/\1/p' docs/ARCHITECTURE.md)
for path in $listed; do
  [ -d "$path" ] || { echo "docs/ARCHITECTURE.md lists $path, which does not exist"; fail=1; }
done
for dir in $(find . broker -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -name 'build*' ! -name 'wharf-data' | sed 's|^\./||' | sort -u); do
  case "$dir" in include) dir=include/wharf ;; esac
  echo "$listed" | grep -qx "$dir/" || { echo "$dir/ is missing from docs/ARCHITECTURE.md"; fail=1; }
done

[ "$fail" -eq 0 ] && echo "tree and docs agree"
exit "$fail"
