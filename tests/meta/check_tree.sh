#!/bin/sh
# Checks that the tree and its descriptions agree:
#  1. every tests/ folder holding *_test.cc files is built by tests/CMakeLists.txt;
#  2. docs/ARCHITECTURE.md lists every top-level and broker/ folder, and
#     every folder it lists exists;
#  3. includes point down the layers (see allowed() below).
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
for dir in $(find . broker protocol -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -name 'build*' ! -name 'wharf-data' ! -name 'generated' | sed 's|^\./||' | sort -u); do
  case "$dir" in include) dir=include/wharf ;; esac
  echo "$listed" | grep -qx "$dir/" || { echo "$dir/ is missing from docs/ARCHITECTURE.md"; fail=1; }
done

# 3. Layers point one way. A folder may include only itself and the folders
#    below it; broker/net (a front end) reaches the engines through their
#    interfaces and never names storage.
allowed() {
  case "$1" in
    base) echo "base" ;;
    protocol) echo "base protocol wharf" ;;
    protocol/kafka) echo "base protocol protocol/kafka wharf" ;;
    protocol/sasl) echo "base protocol/sasl" ;;
    broker/storage) echo "base protocol wharf broker/storage" ;;
    broker/log) echo "base protocol wharf broker/storage broker/log" ;;
    broker/queue) echo "base protocol wharf broker/storage broker/queue" ;;
    broker/groups) echo "base protocol protocol/kafka wharf broker/log broker/groups" ;;
    broker/auth) echo "base protocol protocol/sasl wharf broker/storage broker/auth" ;;
    broker/net) echo "base protocol protocol/sasl wharf broker/log broker/queue broker/groups broker/auth broker/net" ;;
    broker/kafka) echo "base protocol protocol/kafka protocol/sasl wharf broker/log broker/groups broker/auth broker/net broker/kafka" ;;
    broker/http) echo "base protocol protocol/kafka wharf broker/storage broker/log broker/queue broker/groups broker/auth broker/net broker/http" ;;
    broker/config) echo "base protocol wharf broker/config" ;;
    broker) echo "base protocol protocol/kafka protocol/sasl wharf broker/storage broker/log broker/queue broker/groups broker/auth broker/net broker/kafka broker/http broker/config broker" ;;
    client) echo "base protocol protocol/sasl wharf client" ;;
    cli) echo "wharf cli" ;;
  esac
}
for dir in base protocol protocol/kafka protocol/sasl broker/storage broker/log broker/queue broker/groups broker/auth broker/net broker/kafka broker/http broker/config broker client cli; do
  ok=$(allowed "$dir")
  for file in $(find "$dir" -maxdepth 1 -name '*.h' -o -maxdepth 1 -name '*.cc'); do
    for inc in $(sed -n 's/^#include "\([^"]*\)\/[^/"]*".*/\1/p' "$file" | sort -u); do
      echo " $ok " | grep -q " $inc " && continue
      echo "$file includes a header from $inc/, which $dir/ may not depend on"
      fail=1
    done
  done
done
if grep -n 'storage::' broker/net/*.h broker/net/*.cc broker/kafka/*.h broker/kafka/*.cc; then
  echo "a front end names storage:: (above): it must use the engines' own types"
  fail=1
fi

[ "$fail" -eq 0 ] && echo "tree and docs agree"
exit "$fail"
