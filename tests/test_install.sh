#!/usr/bin/env bash
# Installs ramp into a temporary prefix and compiles a program against the
# installed headers, linked with libramp.so and with libramp.a, through
# pkg-config and through the CMake package (find_package(ramp)).
set -euo pipefail
ramp_bin=$1 src=$2 work=$3
build=$(dirname "$(dirname "$ramp_bin")")
[ -f "$build/CMakeCache.txt" ] || build=$(dirname "$ramp_bin")
if grep -q '^RAMP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "SKIPPED: sanitizer build: the install test runs in the plain build only"; exit 77
fi
rm -rf "$work"; mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(find "$work/prefix" -name ramp.pc | head -1)
[ -n "$pc" ] || { echo "ramp.pc not installed"; exit 1; }
[ -f "$work/prefix/include/ramp/image.h" ] || { echo "headers not installed"; exit 1; }
ls "$work/prefix"/lib*/libramp.a "$work/prefix"/lib*/libramp.so >/dev/null
cat > "$work/prog.c" <<'C'
#include <ramp/image.h>
#include <stdio.h>
int main(void)
{
    ramp_pp *pp;
    if (ramp_pp_new(&pp, NULL)) return 1;
    const uint8_t px[4] = {0, 64, 128, 255};
    const ramp_image *x = ramp_img_from_pixels(pp, px, 2, 2, 1, 2);
    const ramp_image *y = ramp_img_flip_h(pp, x);
    const uint8_t *p = ramp_img_pixels(pp, y, NULL);
    int ok = p && p[0] == 64 && p[1] == 0 && p[2] == 255 && p[3] == 128;
    printf("%s\n", ok ? "installed ok" : ramp_pp_errmsg(pp));
    ramp_pp_free(pp);
    return !ok;
}
C
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(dirname "$(dirname "$pc")")
# no libramp.so among what a statically linked program needs
static_only() { # static_only PROGRAM
    if readelf -d "$1" | grep NEEDED | grep -q 'libramp\.so'; then
        echo "$1 needs libramp.so: not linked statically"; exit 1
    fi
}
# shared library, through pkg-config
cc -std=c11 -Wall -Werror "$work/prog.c" -o "$work/prog" $(pkg-config --cflags --libs ramp)
LD_LIBRARY_PATH=$libdir "$work/prog"
# static library: libramp.a, then its dependencies (Requires.private,
# Libs.private) as the system ships them, shared: libpq, for one, has no
# complete static form on Debian (`pkg-config --static` names -lpgcommon)
deps=$(pkg-config --print-requires-private ramp | awk '{print $1}')
cc -std=c11 -Wall -Werror "$work/prog.c" -o "$work/prog_static" $(pkg-config --cflags ramp) \
    "$libdir/libramp.a" $(pkg-config --libs $deps) $(sed -n 's/^Libs.private: //p' "$pc")
static_only "$work/prog_static"
"$work/prog_static"

# the CMake package: find_package(ramp) gives ramp::ramp and ramp::ramp_static
mkdir -p "$work/consumer"
cp "$work/prog.c" "$work/consumer/"
cat > "$work/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.24)
project(consumer C)
find_package(ramp 0.1 REQUIRED COMPONENTS static)
add_executable(prog_cmake prog.c)
target_link_libraries(prog_cmake PRIVATE ramp::ramp)
add_executable(prog_cmake_static prog.c)
target_link_libraries(prog_cmake_static PRIVATE ramp::ramp_static)
CMAKE
cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_C_FLAGS="-Wall -Werror" > "$work/consumer.log" 2>&1 \
    || { cat "$work/consumer.log"; echo "find_package(ramp) failed"; exit 1; }
cmake --build "$work/consumer/build" >> "$work/consumer.log" 2>&1 \
    || { cat "$work/consumer.log"; echo "the find_package consumer does not build"; exit 1; }
"$work/consumer/build/prog_cmake" # its run path names the installed libdir
readelf -d "$work/consumer/build/prog_cmake" | grep NEEDED | grep -q 'libramp\.so' \
    || { echo "prog_cmake does not link libramp.so"; exit 1; }
static_only "$work/consumer/build/prog_cmake_static"
"$work/consumer/build/prog_cmake_static"
# the version file: a 0.1 ramp is no 0.2 (0.x minor versions may break the API)
sed -i 's/find_package(ramp 0.1 /find_package(ramp 0.2 /' "$work/consumer/CMakeLists.txt"
if cmake -S "$work/consumer" -B "$work/consumer/build2" -DCMAKE_PREFIX_PATH="$work/prefix" \
        > "$work/consumer2.log" 2>&1; then
    echo "find_package(ramp 0.2) accepted ramp $(sed -n 's/^Version: //p' "$pc")"; exit 1
fi
echo "install test passed"
