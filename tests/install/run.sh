#!/bin/sh
# Installs the build tree into a temp prefix and builds two outside projects
# against it, with CMake (find_package, no C++ standard set) and with
# pkg-config: one uses the client against a separately started wharfd, one
# embeds the broker.
set -eu
build_dir=$1
wharfd=$2
src_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
pc_dir=$(dirname "$(find "$work/prefix" -name wharf.pc)")
for project in consumer_project embed_project; do
  cmake -S "$src_dir/$project" -B "$work/$project" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/$project.configure.log"
  cmake --build "$work/$project" > "$work/$project.build.log"
done
c++ "$src_dir/consumer_project/main.cc" -o "$work/pkg_user" $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs wharf)
c++ "$src_dir/embed_project/main.cc" -o "$work/pkg_embedder" \
  $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs wharf-broker wharf)
# The README's embedding example, as a user copies it.
awk '/^<!-- embedding example/ {on = 1; next} on && /^```cpp/ {next} on && /^```/ {exit} on' \
  "$src_dir/../../README.md" > "$work/readme_example.cc"
grep -q "Broker::start" "$work/readme_example.cc"
c++ -Wall -Wextra -Werror "$work/readme_example.cc" -o "$work/readme_example" \
  $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs wharf-broker wharf)

"$wharfd" --listen 127.0.0.1:0 --kafka-listen off --http-listen off --data-dir "$work/data" > "$work/wharfd.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/wharfd.out" 2>/dev/null && break
  sleep 0.05
done
address=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$work/wharfd.out")
test -n "$address"
"$work/consumer_project/package_user" "$address" via-cmake
"$work/pkg_user" "$address" via-pkg-config
"$work/embed_project/embedder" "$work/embedded-cmake"
"$work/pkg_embedder" "$work/embedded-pkg-config"
(cd "$work" && ./readme_example)
test -f "$work/myapp-wharf/data.mdb"
echo "installed package works"
