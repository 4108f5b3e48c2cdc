#!/usr/bin/env bash
# Installs every Debian package Stepwise needs to build, test and fuzz, when missing.
# Safe to run repeatedly: it does nothing when all packages are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  librocksdb-dev libspdlog-dev libfmt-dev libabsl-dev
  libpq-dev postgresql-15 zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev openssl curl
  libgoogle-perftools-dev
  libgraphviz-dev
  awscli nodejs
  autoconf automake libtool
  chromium fonts-dejavu-core
  clang libclang-rt-14-dev lld
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
