#!/usr/bin/env bash
# The test command: installs the dependencies, builds with warnings as errors,
# runs the tests, runs them again under AddressSanitizer + UBSan, builds
# everything with clang and warnings as errors, builds without the optional
# parts and runs the tests of that, runs the loader's tests under
# ThreadSanitizer, then each fuzzer for a short bounded time
# (RAMP_FUZZ_SECONDS, default 20). Ends with one line
# "N passed, N failed, N skipped" counting every test run (the ctest runs,
# the clang build as one check, each fuzz target, and a failed build as one
# failure; a test that cannot run on this machine is skipped, never passed).
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
run_ctest() { # run_ctest BUILD_DIR [CTEST_ARGS...]: adds the tests' counts
    local dir=$1; shift
    local log=$logs/$(basename "$dir").log
    echo "=== tests in $dir"
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 900 "$@" 2>&1 | tee "$log"
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

# clang's warnings differ from GCC's: the whole tree (library, tool, tests,
# benchmarks) must build warning-free with both; a clean build counts as one
# passed check
if build "clang -Werror" bash -c "CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DRAMP_WERROR=ON >/dev/null && cmake --build build-clang -j$jobs"; then
    passed=$((passed + 1))
fi

# without the optional parts (-DRAMP_WITH_PYTHON/PLATFORM/ENGINE/ONNX=OFF): the
# library and tool still build, install and say what they lack when asked
if build "without optional parts" bash -c "cmake -S . -B build-min -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DRAMP_WERROR=ON -DRAMP_WITH_PYTHON=OFF -DRAMP_WITH_PLATFORM=OFF -DRAMP_WITH_ENGINE=OFF -DRAMP_WITH_ONNX=OFF \
        >/dev/null && cmake --build build-min -j$jobs --target ramp ramp_shared ramp_static"; then
    run_ctest build-min -R '^test_(without|cli_args|exports|install)$'
fi

# ThreadSanitizer over the threaded loader and its generators (test_loader;
# the engine's tests are left out: libgomp is not instrumented, so TSan sees
# none of OpenMP's fork/join edges and reports every parallel region)
if build tsan bash -c "cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMP_WERROR=ON \
        -DRAMP_TSAN=ON >/dev/null && cmake --build build-tsan -j$jobs --target test_loader"; then
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 run_ctest build-tsan -R '^test_loader$'
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
