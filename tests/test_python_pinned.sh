#!/usr/bin/env bash
# A Python submission's batches and page-locked memory (loader.h's
# pin_memory): on a CPU fold gen_builder.pin_memory and the generators' are
# False (the batches pageable, as before); on a CUDA fold (`--device cuda`)
# they are True, torch sees torch.from_numpy(X) as pinned, and
# .to('cuda', non_blocking=True) copies every batch exactly (the fixture
# asserts it, fold_0.log says so). `--math` reaches the fold as
# ramp.info['math'] (fp32 by default; bf16 said computed in fp32 on the
# CPU). The CUDA part needs a GPU, ramp built with
# CUDA and a CUDA PyTorch: without them it reports SKIPPED (exit 77) after
# the CPU part passed. Skipped at once when the plugin was not built.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

if [ ! -e "$(dirname "$ramp")/ramp_python.so" ]; then
    echo "SKIP: ramp_python.so was not built (python3-dev and python3-numpy are needed)"
    exit 77
fi
"$ramp" data fashion-mnist --out "$work/data" --limit-train 150 --limit-test 40 >/dev/null \
    || fail "cannot build the PNG data"
kit=$work/kit
mkdir -p "$kit/submissions/pinned"
sed 's/^n_splits *=.*/n_splits = 1/' "$src/kits/fashion_mnist/problem.ini" > "$kit/problem.ini"
cp "$src/tests/fixtures/submissions/image_preprocessor.c" \
   "$src/tests/fixtures/python_pinned/batch_classifier.py" "$kit/submissions/pinned/"
log=$kit/submissions/pinned/.ramp-build/fold_0.log

run() { # run [ARGS...]: ramp test of the submission, scored
    "$ramp" test --kit "$kit" --data "$work/data/data" --submission pinned --timeout 300 "$@" \
        > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; cat "$log" 2>/dev/null; fail "ramp test $*: non-zero exit"; }
    grep -q "Bagged scores" "$work/out.txt" || { cat "$work/out.txt"; fail "ramp test $*: not scored"; }
}

run --device cpu
grep -q "PIN_MEMORY builder=False train=False valid=False" "$log" \
    || { cat "$log"; fail "cpu fold: the batches should say pin_memory False"; }
echo "ok: a CPU fold's batches are pageable (pin_memory False)"
grep -q "^MATH fp32$" "$log" || { cat "$log"; fail "no --math: ramp.info['math'] should be fp32"; }
run --device cpu --math bf16
grep -q "^MATH bf16$" "$log" || { cat "$log"; fail "--math bf16: ramp.info['math'] should be bf16"; }
grep -q "^\[ramp\] Math: bf16 (computed in fp32 on the CPU)$" "$work/out.txt" \
    || { cat "$work/out.txt"; fail "--math bf16 on the CPU: no Math line"; }
echo "ok: --math reaches the fold (ramp.info['math'])"

why=""
command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 || why="no NVIDIA GPU"
[ -n "$why" ] || /usr/bin/python3 -c "import torch, sys; sys.exit(not torch.cuda.is_available())" \
    2>/dev/null || why="no CUDA PyTorch for /usr/bin/python3"
if [ -n "$why" ]; then
    echo "SKIPPED: the CUDA fold ($why); the CPU part passed"
    exit 77
fi
run --device cuda
grep -q "PIN_MEMORY builder=True train=True valid=True" "$log" \
    || { cat "$log"; fail "cuda fold: the batches should say pin_memory True"; }
grep -q "PINNED_COPIES [0-9]* batches, non_blocking, equal" "$log" \
    || { cat "$log"; fail "cuda fold: no checked non_blocking copies"; }
echo "ok: a CUDA fold's batches are page-locked; torch copies them with non_blocking=True"
