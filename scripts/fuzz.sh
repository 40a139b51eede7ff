#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 20) from its seed
# corpus in tests/fuzz/corpus/<name>. A longer run:  scripts/fuzz.sh 3600
# Needs a fuzz build: CC=clang cmake -S . -B build-fuzz -DRAMP_FUZZ=ON -DRAMP_TESTS=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
fails=0
shopt -s nullglob
for bin in build-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin"); name=${name#fuzz_}
    corpus=tests/fuzz/corpus/$name
    work=build-fuzz/corpus-$name
    mkdir -p "$work" fuzz-artifacts
    echo "fuzz: $name for ${secs}s"
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
            -artifact_prefix=fuzz-artifacts/"$name"- "$work" "$corpus" >"build-fuzz/fuzz-$name.log" 2>&1; then
        echo "fuzz: $name FAILED (log: build-fuzz/fuzz-$name.log)"; tail -30 "build-fuzz/fuzz-$name.log"
        fails=$((fails + 1))
    else
        grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "build-fuzz/fuzz-$name.log" | tail -1 || true
    fi
done
exit $fails
