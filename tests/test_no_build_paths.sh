#!/bin/bash
# test_no_build_paths.sh — no path of the machine that built ramp is baked
# into what it ships: the tool, the libraries and the Python plugin name
# neither the source folder nor the build folder (debug info and __FILE__
# are mapped by -ffile-prefix-map; the tool finds its headers and plugin from
# its own place, src/cli/tools.c), and an install tests a submission.
# usage: bash test_no_build_paths.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
RAMP=$1
SRC=$(cd "$2" && pwd -P)
BUILD=$(cd "$(dirname "$RAMP")" && pwd -P)
if grep -q '^RAMP_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2> /dev/null; then
    # GCC's AddressSanitizer names each object's source file, unmapped, in
    # its globals' descriptors; such a build is never shipped
    echo "SKIP: sanitizer build (the plain build is the one checked)"
    exit 77
fi
n=0
bad=0
for f in "$BUILD/ramp" "$BUILD"/libramp.so.*.*.* "$BUILD/libramp.a" "$BUILD/ramp_python.so"; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    for p in "$SRC" "$BUILD"; do
        k=$(grep -caF "$p" "$f")
        if [ "$k" -ne 0 ]; then
            echo "FAIL: ${f##*/} holds $p ($k lines), as in:"
            grep -ao "$p[[:print:]]*" "$f" | sort -u | head -3
            bad=1
        fi
    done
done
[ "$n" -ge 3 ] || { echo "FAIL: only $n of the binaries found in $BUILD"; exit 1; }
[ $bad -eq 0 ] || exit 1
echo "ok: $n binaries name neither $SRC nor $BUILD"

# and an install works on its own: its ramp compiles and runs a submission
# against the headers it finds beside itself
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
cmake --install "$BUILD" --prefix "$WORK/prefix" > /dev/null || { echo "FAIL: install"; exit 1; }
"$WORK/prefix/bin/ramp" data fashion-mnist --out "$WORK/kit" --limit-train 90 --limit-test 30 \
    > /dev/null || { echo "FAIL: installed ramp data"; exit 1; }
mkdir -p "$WORK/kit/submissions"
cp -r "$SRC/kits/fashion_mnist/submissions/starting_kit" "$WORK/kit/submissions/"
rm -rf "$WORK/kit/submissions/starting_kit/.ramp-build"
env -u RAMP_INCLUDE_DIR -u RAMP_PYTHON_PLUGIN "$WORK/prefix/bin/ramp" test --kit "$WORK/kit" \
    --submission starting_kit --quick-test --no-sandbox > "$WORK/out" 2>&1 ||
    { cat "$WORK/out"; echo "FAIL: the installed ramp cannot test a submission"; exit 1; }
grep -q "^Bagged scores" "$WORK/out" || { cat "$WORK/out"; echo "FAIL: no scores"; exit 1; }
echo "ok: the installed ramp tests a submission against its own headers"
