#!/usr/bin/env bash
# Installs the Debian 12 packages Fulcrum needs (only those missing), then configures and builds.
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev libopenblas0-openmp
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgoogle-glog-dev libgflags-dev
  prometheus-cpp-dev libyaml-cpp-dev nlohmann-json3-dev libsentencepiece-dev
  libgtest-dev libgmock-dev zlib1g-dev python3-numpy
  python3-grpcio python3-grpc-tools
  gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi

# LibTorch on CPU is ~30x slower with the reference BLAS: make OpenBLAS the system BLAS.
openblas=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [ -e "$openblas" ]; then
  update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas" >/dev/null 2>&1 || true
fi

build_type=${BUILD_TYPE:-Release}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
fi
cmake --build build --parallel "$(nproc)"
