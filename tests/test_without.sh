#!/usr/bin/env bash
# A ramp configured with an optional part OFF (-DRAMP_WITH_PYTHON,
# -DRAMP_WITH_PLATFORM, -DRAMP_WITH_ENGINE, -DRAMP_WITH_ONNX) says so, and how to get it, when
# asked for that part. Registered only in such a build (tests/CMakeLists.txt);
# scripts/test.sh makes one with all three OFF (build-min).
set -uo pipefail
ramp=$1 src=$2 work=$3
build=$(dirname "$ramp")
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
off() { grep -q "^RAMP_WITH_$1:BOOL=OFF" "$build/CMakeCache.txt"; }
rm -rf "$work"; mkdir -p "$work"
"$ramp" data fashion-mnist --out "$work/data" --limit-train 300 --limit-test 100 >/dev/null \
    || fail "cannot build the data"
# expect_fail NAME PATTERN COMMAND...: exit 1 and PATTERN in the output
expect_fail() {
    local name=$1 pat=$2; shift 2
    "$@" > "$work/$name.out" 2>&1
    local rc=$?
    [ $rc -eq 1 ] || { cat "$work/$name.out"; fail "$name: exit $rc, expected 1"; }
    grep -qF -- "$pat" "$work/$name.out" || { cat "$work/$name.out"; fail "$name: no '$pat' in the output"; }
}
n=0
if off ENGINE; then
    expect_fail engine "ramp was built without the engine's oneDNN backend (RAMP_WITH_ENGINE=OFF)" \
        "$ramp" test --kit "$src/kits/fashion_mnist" --data "$work/data/data" --submission cnn --quick-test
    grep -qF -- "-DRAMP_WITH_ENGINE=ON" "$work/engine.out" || fail "engine: the message does not say how"
    ok "without the engine: a net on the oneDNN backend fails saying so"; n=$((n + 1))
fi
if off PYTHON; then
    expect_fail python "which ramp builds with -DRAMP_WITH_PYTHON=ON" \
        "$ramp" test --kit "$src/kits/fashion_mnist" --data "$work/data/data" --submission torch_cnn --quick-test
    [ -e "$build/ramp_python.so" ] && fail "python: ramp_python.so was built"
    ok "without Python: a .py submission fails saying so"; n=$((n + 1))
fi
if off PLATFORM; then
    expect_fail platform "ramp: worker: this ramp was built without the platform" "$ramp" worker --db "$work/x.db"
    ok "without the platform: its commands say so"; n=$((n + 1))
fi
if off ONNX; then
    expect_fail onnx "ramp: model info: ramp was built without ONNX support (RAMP_WITH_ONNX=OFF)" \
        "$ramp" model info "$work/any.onnx"
    grep -qF -- "-DRAMP_WITH_ONNX=ON" "$work/onnx.out" || fail "onnx: the message does not say how"
    expect_fail onnx_predict "ramp was built without ONNX support" \
        "$ramp" model predict "$work/any.onnx" --input "$work/x.npy" --output "$work/p.npy"
    "$ramp" model info --help > /dev/null || fail "onnx: ramp model info --help fails"
    ok "without ONNX: ramp model says so"; n=$((n + 1))
fi
[ $n -gt 0 ] || fail "no part is OFF in this build: the test should not be registered"
# the library links none of what the parts left out need
deps=$(ldd "$build/libramp.so")
off ENGINE && grep -q libdnnl <<<"$deps" && fail "libramp.so links libdnnl without the engine"
off PLATFORM && grep -Eq "libpq|libsqlite3|libmicrohttpd" <<<"$deps" && fail "libramp.so links the platform's libraries without it"
off ONNX && grep -q libprotobuf-c <<<"$deps" && fail "libramp.so links libprotobuf-c without ONNX"
echo "test_without: passed ($n part(s) off)"
