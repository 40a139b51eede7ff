#!/usr/bin/env bash
# Installs the Debian packages ramp needs to build, test and run its demo.
# Idempotent: apt-get skips what is already installed.
#   scripts/deps.sh          build + tests + demo
#   scripts/deps.sh --bench  also what the benchmarks compare against (torchvision)
set -euo pipefail

packages=(
    build-essential cmake pkg-config git
    libturbojpeg0-dev libjpeg62-turbo-dev libjpeg-turbo-progs libspng-dev libpng-dev zlib1g-dev
    libdnnl-dev libopenblas-dev
    libprotobuf-c-dev protobuf-c-compiler
    libcmocka-dev libseccomp-dev
    libsqlite3-dev libpq-dev postgresql libmicrohttpd-dev nettle-dev chromium wrk curl
    clang libclang-rt-14-dev
    dataset-fashion-mnist
    python3 python3-numpy python3-pil python3-skimage python3-sklearn
    python3-dev python3-torch python3-onnx
)
if [ "${1:-}" = "--bench" ]; then
    packages+=(python3-torchvision)
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# apt-get update first, always: an old package list can name files that are gone
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "deps: all ${#packages[@]} packages present"
fi
