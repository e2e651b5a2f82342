#!/usr/bin/env bash
# Installs the Debian 12 packages Fulcrum needs (only those missing), then configures and builds.
# Idempotent: a second run installs nothing and rebuilds only what changed.
#
#   scripts/setup.sh                 build dependencies and test tools; builds everything (what make runs)
#   scripts/setup.sh --build         build dependencies only; builds only the binaries (the image's build stage)
#   scripts/setup.sh --runtime       only the libraries the binaries load; builds nothing (the image's runtime stage)
#   scripts/setup.sh --list-runtime  prints those runtime packages, one a line
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
case "$mode" in
  all | --build | --runtime | --list-runtime) ;;
  *) echo "usage: scripts/setup.sh [--build | --runtime | --list-runtime]" >&2; exit 2 ;;
esac

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev libopenblas0-openmp
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgoogle-glog-dev libgflags-dev
  prometheus-cpp-dev libcpp-httplib-dev libyaml-cpp-dev nlohmann-json3-dev libsentencepiece-dev
  libgtest-dev libgmock-dev zlib1g-dev python3-numpy
  python3-grpcio python3-grpc-tools
  gnuplot-nox
)

# What the binaries and libfulcrum_sentencepiece.so load (their NEEDED libraries, tests/deploy checks
# this list against them), OpenBLAS for LibTorch, and gnuplot for the orchestrator's curves.
runtime_packages=(
  libtorch1.13 libopenblas0-openmp
  libgrpc++1.51 libgrpc29 libprotobuf32 libre2-9
  libabsl20220623 libgoogle-glog0v6 libgflags2.2
  libprometheus-cpp-core1.0 libcpp-httplib0.11
  libyaml-cpp0.7 libsentencepiece0 zlib1g libstdc++6 libgcc-s1 libc6
  gnuplot-nox
)

# The tools of tests/deploy and prometheus_scrape_test: each package only when its commands are missing.
test_tools=()
command -v docker-compose >/dev/null || test_tools+=(docker-compose)
command -v promtool >/dev/null && command -v prometheus >/dev/null || test_tools+=(prometheus)
command -v kubectl >/dev/null || test_tools+=(kubernetes-client)
command -v node >/dev/null || test_tools+=(nodejs npm)

if [ "$mode" = --list-runtime ]; then
  printf '%s\n' "${runtime_packages[@]}"
  exit 0
fi

apt_updated=false
# install_missing [apt-get options] -- package...: installs those of the packages not yet installed.
install_missing() {
  local options=() missing=() p
  while [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" = false ]; then
    apt-get update -qq
    apt_updated=true
  fi
  apt-get install -y -qq "${options[@]}" "${missing[@]}"
}

case "$mode" in
  --runtime) install_missing --no-install-recommends -- "${runtime_packages[@]}" ;;
  --build) install_missing -- "${packages[@]}" ;;
  *)
    install_missing -- "${packages[@]}"
    # Without recommends: docker-compose would bring a container engine, prometheus its exporters.
    install_missing --no-install-recommends -- "${test_tools[@]}"
    ;;
esac

# LibTorch on CPU is ~30x slower with the reference BLAS: make OpenBLAS the system BLAS.
openblas=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [ -e "$openblas" ]; then
  update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas" >/dev/null 2>&1 || true
fi

[ "$mode" != --runtime ] || exit 0

build_type=${BUILD_TYPE:-Release}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
fi
if [ "$mode" = --build ]; then
  cmake --build build --parallel "$(nproc)" --target \
    fulcrum fulcrum-learner fulcrum-actor fulcrum-reward fulcrum-reference fulcrum-data fulcrum_sentencepiece
else
  cmake --build build --parallel "$(nproc)"
fi
