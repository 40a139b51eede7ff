#!/usr/bin/env bash
# The test command: installs the dependencies, builds with warnings as errors,
# runs the tests, runs them again under AddressSanitizer + UBSan, then each
# fuzzer for a short bounded time (RAMP_FUZZ_SECONDS, default 20). Ends with
# one line "N passed, N failed, N skipped" counting every test run (both ctest
# runs, each fuzz target, and a failed build as one failure; a test that
# cannot run on this machine is skipped, never passed).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
jobs=$(nproc)
passed=0; failed=0; skipped=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

build() { # build NAME COMMAND...: a failed build counts as one failure
    echo "=== build ($1)"; local name=$1; shift
    if "$@"; then return 0; fi
    echo "=== build ($name) FAILED"; failed=$((failed + 1)); return 1
}
run_ctest() { # run_ctest BUILD_DIR: adds the tests' counts
    local log=$logs/$(basename "$1").log
    echo "=== tests in $1"
    ctest --test-dir "$1" --output-on-failure -j"$jobs" --timeout 900 2>&1 | tee "$log"
    local line
    line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -1)
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    local f t s
    f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    s=$(grep -cE "Test +#[0-9]+: .*\*\*\*Skipped|Test +#[0-9]+: .* Skipped" "$log")
    passed=$((passed + t - f - s)); failed=$((failed + f)); skipped=$((skipped + s))
}

if build plain scripts/build.sh; then run_ctest build; fi

if build "asan+ubsan" bash -c "cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRAMP_WERROR=ON \
        -DRAMP_SANITIZE=ON >/dev/null && cmake --build build-asan -j$jobs"; then
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_ctest build-asan
fi

if build fuzzers bash -c "CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DRAMP_FUZZ=ON -DRAMP_TESTS=OFF >/dev/null && cmake --build build-fuzz -j$jobs"; then
    echo "=== fuzz (${RAMP_FUZZ_SECONDS:-20}s each)"
    scripts/fuzz.sh "${RAMP_FUZZ_SECONDS:-20}" 2>&1 | tee "$logs/fuzz.log"
    targets=$(grep -c "^fuzz: .* for " "$logs/fuzz.log")
    bad=$(grep -c "^fuzz: .* FAILED" "$logs/fuzz.log")
    passed=$((passed + targets - bad)); failed=$((failed + bad))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
