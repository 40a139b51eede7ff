#!/bin/bash
# test_no_build_paths.sh — no path of the machine that built ramp is baked
# into what it ships: the tool, the libraries and the Python plugin name
# neither the source folder nor the build folder (debug info and __FILE__
# are mapped by -ffile-prefix-map; the tool finds its headers and plugin from
# its own place, src/cli/tools.c).
# usage: bash test_no_build_paths.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
RAMP=$1
SRC=$(cd "$2" && pwd -P)
BUILD=$(cd "$(dirname "$RAMP")" && pwd -P)
n=0
bad=0
for f in "$BUILD/ramp" "$BUILD"/libramp.so.*.*.* "$BUILD/libramp.a" "$BUILD/ramp_python.so"; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    for p in "$SRC" "$BUILD"; do
        k=$(grep -caF "$p" "$f")
        if [ "$k" -ne 0 ]; then
            echo "FAIL: ${f##*/} holds $p ($k lines), as in:"
            strings -a "$f" 2> /dev/null | grep -F "$p" | head -3
            bad=1
        fi
    done
done
[ "$n" -ge 3 ] || { echo "FAIL: only $n of the binaries found in $BUILD"; exit 1; }
[ $bad -eq 0 ] || exit 1
echo "ok: $n binaries name neither $SRC nor $BUILD"
