#!/bin/bash
# test_cli_args.sh — every subcommand's options go through one parser: a bad
# value, a missing value, an unknown option or an extra argument exits 2 with
# a message naming the command, the option and the value; --help exits 0.
# usage: bash test_cli_args.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
RAMP=$1
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# expect_error "message" ramp-arguments...: exit 2 and the message on stderr
expect_error() {
    local want=$1
    shift
    "$RAMP" "$@" > "$WORK/out" 2> "$WORK/err"
    local rc=$?
    [ $rc -eq 2 ] || fail "ramp $*: exit $rc, want 2 ($(cat "$WORK/err"))"
    grep -qF -- "$want" "$WORK/err" || fail "ramp $*: stderr '$(cat "$WORK/err")', want '$want'"
}

expect_error "test: --timeout wants a positive number of seconds, not 'abc'" test --timeout abc
expect_error "test: --timeout wants a positive number of seconds, not '0'" test --timeout 0
expect_error "test: --n-jobs wants an integer in [1, 1024], not '0'" test --n-jobs 0
expect_error "test: --n-jobs wants an integer in [1, 1024], not '4x'" test --n-jobs 4x
expect_error "test: --seed wants an integer in [0, 2^64), not '-1'" test --seed -1
expect_error "test: --seed wants an integer in [0, 2^64), not '18446744073709551616'" \
    test --seed 18446744073709551616
expect_error "test: --timeout wants a positive number of seconds, not 'nan'" test --timeout nan
expect_error "test: --kit needs a value" test --kit
expect_error "test: unknown option '--bogus' (see 'ramp test --help')" test --bogus
expect_error "test: unexpected argument 'extra'" test extra
# rampwf's ramp-test flags that ramp does not implement: refused by name
expect_error "test: --notebook is not supported by ramp: " test --notebook
expect_error "test: --pickle is not supported by ramp: " test --pickle
expect_error "test: --partial-train is not supported by ramp: " test --partial-train
expect_error "test: --data-label is not supported by ramp: " test --data-label small
expect_error "test: --data-label needs a value" test --data-label
expect_error "test: --kit and --ramp-kit-dir both name the kit" test --kit a --ramp-kit-dir b
expect_error "test: --data (the data folder) and --ramp-data-dir" test --data a --ramp-data-dir b
expect_error "test: --ramp-submission-dir needs a value" test --ramp-submission-dir
expect_error "kit: unknown subcommand 'export'" kit export x
expect_error "kit import: unexpected argument 'b'" kit import a b
expect_error "kit import: unknown option '--quick-test'" kit import a --quick-test
expect_error "data fashion-mnist: --size wants an integer in [1, 4096], not '0'" \
    data fashion-mnist --out "$WORK/k" --size 0
expect_error "data fashion-mnist: --format is png or jpg, not 'gif'" \
    data fashion-mnist --out "$WORK/k" --format gif
expect_error "data fashion-mnist: --limit-train wants an integer >= 0, not '-5'" \
    data fashion-mnist --out "$WORK/k" --limit-train -5
expect_error "data check: --threads wants an integer in [1, 64], not '100'" data check k --threads 100
expect_error "data check: unexpected argument 'b'" data check a b
expect_error "blend: --min-improvement wants a number >= 0, not 'nan'" \
    blend --pred-dir p --min-improvement nan
expect_error "blend: --max-n-ensemble wants an integer in [1, 1000000], not '0'" \
    blend --pred-dir p --max-n-ensemble 0
expect_error "score: unknown option '--splits'" score --splits train
expect_error "model: unknown subcommand 'bogus'" model bogus x
expect_error "model info: unexpected argument 'b'" model info a b
expect_error "model info: --shape wants CxHxW (e.g. 3x224x224), not '3x2'" model info m.onnx --shape 3x2
expect_error "model predict: --batch wants an integer in [1, 256], not '0'" \
    model predict m.onnx --input x.npy --output p.npy --batch 0
expect_error "model predict: --backend is dnnl or ref, not 'gpu'" \
    model predict m.onnx --input x.npy --output p.npy --backend gpu
expect_error "model predict: --output is required" model predict m.onnx --input x.npy
expect_error "model predict: --input is required" model predict m.onnx --output p.npy
expect_error "model export: --output is required" model export w.bin
expect_error "model export: unknown option '--arch'" model export w.bin --output m.onnx --arch vgg
platform_cmds="event team submit worker leaderboard serve label"
if "$RAMP" worker --help 2>&1 | grep -q "built without the platform"; then
    # a ramp configured with -DRAMP_WITH_PLATFORM=OFF: each platform command
    # exits 1 saying so, and how to get it
    for cmd in $platform_cmds; do
        "$RAMP" $cmd --db x > "$WORK/out" 2> "$WORK/err" && fail "ramp $cmd without the platform: exit 0"
        grep -qF "ramp: $cmd: this ramp was built without the platform" "$WORK/err" \
            && grep -qF -- "-DRAMP_WITH_PLATFORM=ON" "$WORK/err" \
            || fail "ramp $cmd without the platform: stderr '$(cat "$WORK/err")'"
    done
    echo "ok: built without the platform, its commands say so"
    platform_cmds=""
else
    expect_error "worker: --lease wants a positive number of seconds, not '-3'" worker --db x --lease -3
    expect_error "worker: --mem-limit wants an integer >= 0, not 'lots'" worker --db x --mem-limit lots
    expect_error "serve: --threads wants an integer in [1, 256], not 'many'" serve --db x --threads many
    expect_error "serve: --cache wants a number >= 0, not '-1'" serve --db x --cache -1
    expect_error "serve: --max-upload wants an integer >= 1, not '0'" serve --db x --max-upload 0
    expect_error "event: --min-gap wants a number >= 0, not '1h'" event --kit k --min-gap 1h
    expect_error "team: unexpected argument 'c'" team add b c
    expect_error "submit: unexpected argument 'two'" submit --team t --name n one two
    expect_error "leaderboard: --view is public, private or competition, not 'all'" \
        leaderboard --db x --view all
    expect_error "label: --fill wants an integer in [0, 255], not '256'" label export --db x --out o --fill 256
    expect_error "label: --max-shapes wants an integer in [1, 1000], not '0'" label add --db x --max-shapes 0
    expect_error "label: usage: ramp label add|on|off|status|export" label --db x
    expect_error "label add: --images DIR is required" label add --db x
    expect_error "label export: --out DIR is required" label export --db x
fi

for cmd in test score blend $platform_cmds "data check" \
    "data fashion-mnist" "kit import" "model info" "model predict" "model export"; do
    # shellcheck disable=SC2086
    "$RAMP" $cmd --help > "$WORK/out" 2>&1 || fail "ramp $cmd --help: non-zero exit"
    grep -q "^usage: ramp $cmd" "$WORK/out" || fail "ramp $cmd --help: no usage line"
done
# ramp test's usage names rampwf's flags
"$RAMP" test --help > "$WORK/out" 2>&1
for flag in --ramp-kit-dir --ramp-data-dir --ramp-submission-dir --retrain --save-output \
    --quick-test --ignore-warning; do
    grep -q -- "$flag" "$WORK/out" || fail "ramp test --help does not name $flag"
done
"$RAMP" kit > /dev/null 2>&1; [ $? -eq 2 ] || fail "ramp kit without a subcommand: want exit 2"
"$RAMP" model > /dev/null 2>&1; [ $? -eq 2 ] || fail "ramp model without a subcommand: want exit 2"
"$RAMP" model --help > "$WORK/out" 2>&1 || fail "ramp model --help: non-zero exit"
grep -q "^usage: ramp model info" "$WORK/out" || fail "ramp model --help: no usage line"
# --device: a bad name is an argument error; cuda where CUDA cannot run (a
# build without it, or no GPU) fails before any kit is read or fold runs,
# saying why; --version says whether CUDA is built in
expect_error "test: --device 'gpu': give cpu, cuda or auto" test --device gpu
"$RAMP" --version > "$WORK/version" 2>&1 || fail "ramp --version: non-zero exit"
grep -q "CUDA: \(built (\|not built\)" "$WORK/version" || fail "ramp --version does not say whether CUDA is built: $(cat "$WORK/version")"
if grep -q "CUDA: not built" "$WORK/version" || [ ! -e /dev/nvidiactl ]; then
    "$RAMP" test --device cuda --kit "$WORK/no-such-kit" > "$WORK/out" 2> "$WORK/err"
    rc=$?
    [ $rc -eq 1 ] || fail "ramp test --device cuda without a GPU: exit $rc, want 1 ($(cat "$WORK/err"))"
    grep -q "test: --device cuda: .*device cpu" "$WORK/err" || fail "ramp test --device cuda: stderr '$(cat "$WORK/err")'"
    grep -q "no-such-kit" "$WORK/err" && fail "ramp test --device cuda read the kit before refusing the device"
    if grep -q "CUDA: not built" "$WORK/version"; then
        grep -q "built without CUDA" "$WORK/err" || fail "ramp test --device cuda: does not say CUDA is not built"
    fi
fi
"$RAMP" test --help > "$WORK/out" 2>&1
grep -q -- "--device cpu|cuda|auto" "$WORK/out" || fail "ramp test --help does not name --device"
grep -q -- "--math fp32|tf32|bf16" "$WORK/out" || fail "ramp test --help does not name --math"
# --math: a bad name is an argument error, before the kit is read
expect_error "test: --math 'fp16': give fp32, tf32 or bf16" test --math fp16 --kit "$WORK/no-such-kit"
grep -q "no-such-kit" "$WORK/err" && fail "ramp test --math fp16 read the kit before refusing"
# the worker's (a build with the platform): the same check before any claim
if "$RAMP" worker --help 2>/dev/null | grep -q -- "--device cpu|cuda|auto"; then
    expect_error "worker: --device 'tpu': give cpu, cuda or auto" worker --db "$WORK/none.db" --device tpu
    expect_error "worker: --math 'fp64': give fp32, tf32 or bf16" worker --db "$WORK/none.db" --math fp64
    [ -e "$WORK/none.db" ] && fail "ramp worker --math fp64 opened the store before refusing"
    if grep -q "CUDA: not built" "$WORK/version"; then
        "$RAMP" worker --db "$WORK/none.db" --device cuda > "$WORK/out" 2> "$WORK/err"
        [ $? -eq 1 ] || fail "ramp worker --device cuda without CUDA: want exit 1"
        grep -q "worker: --device cuda: ramp was built without CUDA" "$WORK/err" || fail "ramp worker --device cuda: stderr '$(cat "$WORK/err")'"
        [ -e "$WORK/none.db" ] && fail "ramp worker --device cuda opened the store before refusing"
    fi
fi
echo "cli argument tests passed"
