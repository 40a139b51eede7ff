#!/usr/bin/env bash
# fetch_gpu_debs.sh — on a build machine with Debian's package registry,
# downloads what scripts/device_check.sh needs on a GPU machine that has
# none: the .debs of the libraries ramp links (and their headers, cmocka
# for the tests, pkgconf, and Fashion-MNIST's files for a short training run),
# and a CMake from its Python wheel (a static
# binary: the GPU machine may have no CMake, or one older than 3.24).
# Nothing is installed here.
#   scripts/fetch_gpu_debs.sh [--cmake] [DIR]   (default: gpu-deps/, ignored by git)
# --cmake also downloads Debian's CMake and the libraries it runs on, for a
# GPU machine without CMake ≥ 3.24 where no CMake wheel could be fetched.
# Then carry DIR with the tree; device_check.sh unpacks it (dpkg -x).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
with_cmake=0
if [ "${1:-}" = "--cmake" ]; then with_cmake=1; shift; fi
dir=${1:-gpu-deps}
mkdir -p "$dir/debs" "$dir/wheels"
# Only what is not in every Linux base image: libc6, libgcc-s1, libstdc++6
# and libgomp1 come from the GPU machine itself (mixing C libraries breaks
# its programs). libdnnl2 also wants an OpenCL loader at link time.
packages=(
    libdnnl-dev libdnnl2 ocl-icd-libopencl1
    libturbojpeg0-dev libturbojpeg0 libjpeg62-turbo-dev libjpeg62-turbo
    libspng-dev libspng0
    zlib1g-dev
    libseccomp-dev libseccomp2
    libcmocka-dev libcmocka0
    pkgconf pkgconf-bin libpkgconf3 pkg-config
    dataset-fashion-mnist
)
if [ $with_cmake = 1 ]; then
    packages+=(cmake cmake-data libjsoncpp25 librhash0 libuv1 libarchive13 libcurl4 libbrotli1
               libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2
               libidn2-0 libunistring2 libldap-2.5-0 libsasl2-2 libsasl2-modules-db
               libnghttp2-14 libpsl5 librtmp1 libgnutls30 libhogweed6 libnettle8 libgmp10
               libp11-kit0 libtasn1-6 libffi8 libssh2-1 libgcrypt20 libgpg-error0 libssl3
               libzstd1 libacl1 libbz2-1.0 liblz4-1 liblzma5 libxml2 libicu72)
fi
apt-get update -qq 2>/dev/null || echo "fetch_gpu_debs: apt-get update failed (not root?): using the current lists"
(cd "$dir/debs" && apt-get download "${packages[@]}")
# CMake ≥ 3.24 as a manylinux wheel (zip): unpacked, bin/cmake runs anywhere
python3 -m pip download --quiet --only-binary=:all: --no-deps --dest "$dir/wheels" \
    "cmake>=3.24,<4" || echo "fetch_gpu_debs: no CMake wheel (the GPU machine's own CMake must do)"
ls -l "$dir/debs" "$dir/wheels"
echo "fetch_gpu_debs: $(ls "$dir/debs" | wc -l) packages in $dir/debs"
