#!/usr/bin/env bash
# Installs ramp into a temporary prefix and compiles a program against the
# installed headers through pkg-config, as a participant's submission is.
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
# shared library
cc -std=c11 -Wall -Werror "$work/prog.c" -o "$work/prog" $(pkg-config --cflags --libs ramp)
LD_LIBRARY_PATH=$(dirname "$(dirname "$pc")") "$work/prog"
# static library, with its dependencies as the system ships them (shared;
# libpq, for one, has no complete static form on Debian)
deps=$(pkg-config --print-requires-private ramp | awk '{print $1}')
cc -std=c11 -Wall -Werror "$work/prog.c" -o "$work/prog_static" $(pkg-config --cflags ramp) \
    "$(dirname "$(dirname "$pc")")/libramp.a" $(pkg-config --libs $deps) \
    $(sed -n 's/^Libs.private: //p' "$pc")
"$work/prog_static" $(pkg-config --cflags ramp) \
    "$(dirname "$(dirname "$pc")")/libramp.a" $(pkg-config --libs-only-l --static ramp | sed 's/-lramp//')
"$work/prog_static"
echo "install test passed"
