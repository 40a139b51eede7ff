#!/usr/bin/env bash
# The test command: installs the dependencies, builds with warnings as errors,
# runs the tests, runs them again under AddressSanitizer + UBSan, then each
# fuzzer for a short bounded time. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
jobs=$(nproc)
passed=0; failed=0
step() { # step NAME COMMAND...: runs a step and counts it
    local name=$1; shift
    echo "=== $name"
    if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"
    else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}
ctest_run() { # ctest_run BUILD_DIR
    ctest --test-dir "$1" --output-on-failure -j"$jobs" --timeout 900
}
step "build" scripts/build.sh
step "tests" ctest_run build
step "build (asan+ubsan)" bash -c "cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRAMP_WERROR=ON -DRAMP_SANITIZE=ON >/dev/null && cmake --build build-asan -j$jobs"
ctest_asan() {
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest_run build-asan
}
step "tests (asan+ubsan)" ctest_asan
step "build (fuzzers)" bash -c "CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMP_FUZZ=ON -DRAMP_TESTS=OFF >/dev/null && cmake --build build-fuzz -j$jobs"
step "fuzz (${RAMP_FUZZ_SECONDS:-20}s each)" scripts/fuzz.sh "${RAMP_FUZZ_SECONDS:-20}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
