#!/bin/sh
# Installs the build tree into a temp prefix, builds an outside project
# against it with CMake (find_package) and with pkg-config, and runs both
# against a real wharfd.
set -eu
build_dir=$1
wharfd=$2
src_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$src_dir/consumer_project" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/cmake-build" > "$work/build.log"
pc_dir=$(dirname "$(find "$work/prefix" -name wharf.pc)")
c++ "$src_dir/consumer_project/main.cc" -o "$work/pkg_user" $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs wharf)

"$wharfd" --listen 127.0.0.1:0 --data-dir "$work/data" > "$work/wharfd.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/wharfd.out" 2>/dev/null && break
  sleep 0.05
done
address=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$work/wharfd.out")
test -n "$address"
"$work/cmake-build/package_user" "$address" via-cmake
"$work/pkg_user" "$address" via-pkg-config
echo "installed package works"
