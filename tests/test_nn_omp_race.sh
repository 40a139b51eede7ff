#!/bin/bash
# test_nn_omp_race.sh — the engine's OpenMP lookup (src/nn/omp.c) under
# ThreadSanitizer: tests/race_nn_omp.c makes its first ramp__nn_parallel
# call from eight threads at once; TSan fails the run on a data race.
# Skipped (77) where the compiler cannot build or run a TSan program.
# usage: bash test_nn_omp_race.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
SRC=$2
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
CC=${CC:-cc}
if ! "$CC" -std=c11 -fsanitize=thread -g -O1 -I"$SRC/src" -I"$SRC/include" \
        "$SRC/tests/race_nn_omp.c" "$SRC/src/nn/omp.c" -o "$WORK/race" -ldl -lpthread \
        > "$WORK/cc.txt" 2>&1; then
    cat "$WORK/cc.txt"
    echo "SKIPPED: $CC cannot build a ThreadSanitizer program here"
    exit 77
fi
# a TSan runtime that cannot map its shadow memory (some kernels) fails
# before main: that is this machine, not the code
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$WORK/race" > "$WORK/out.txt" 2>&1
rc=$?
cat "$WORK/out.txt"
if [ $rc -ne 0 ] && ! grep -q "bodies ran\|ThreadSanitizer: data race" "$WORK/out.txt"; then
    echo "SKIPPED: the ThreadSanitizer runtime does not start here"
    exit 77
fi
[ $rc -eq 0 ] || { echo "FAIL: ramp__nn_parallel races on its first calls (exit $rc)"; exit 1; }
grep -q "^8 bodies ran" "$WORK/out.txt" || { echo "FAIL: not every call ran its body"; exit 1; }
echo "ok: no race in ramp__nn_parallel's first calls"
