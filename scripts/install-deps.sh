#!/bin/sh
# Installs the Debian 12 packages Wharf builds and tests with. Skips apt
# when everything is already there.
set -eu
packages="build-essential cmake ninja-build pkg-config git
  libasio-dev libflatbuffers-dev flatbuffers-compiler liblmdb-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libspdlog-dev libtomlplusplus-dev prometheus-cpp-dev libcpp-httplib-dev libssl-dev openssl python3-prometheus-client nlohmann-json3-dev libabsl-dev
  clang libclang-rt-14-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
  librdkafka-dev kcat python3-confluent-kafka python3-kafka
  chromium chromium-driver python3-selenium"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
as_root=""
[ "$(id -u)" -ne 0 ] && as_root="sudo"
$as_root apt-get update -q
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q --no-install-recommends $missing
