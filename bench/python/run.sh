#!/usr/bin/env bash
# PyTorch fed by ramp's loader vs by torchvision's DataLoader(num_workers=2).
# The same reference CNN (net.py) trains one epoch, batch 64, 2 torch
# threads, on the same 64×64 RGB JPEG files, resized to 32×32 with the seed's
# preprocessing: in ramp by a C preprocessor on ramp's loader threads, the
# batches reaching Python as zero-copy numpy views; in torchvision by PIL in
# two worker processes. End-to-end images/s of the training loop, same run.
#   bench/python/run.sh [BUILD_DIR] [N_TRAIN]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
n=${2:-6000}
ramp=$build/ramp
py=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 # OpenBLAS threads fight torch's OpenMP team
work=$(mktemp -d /tmp/ramp-bench-python.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$ramp" data fashion-mnist --out "$work/jpg" --format jpg --size 64 --rgb \
    --limit-train "$n" --limit-test 64 >/dev/null
kit=$work/kit
sub=$kit/submissions/bench
mkdir -p "$sub"
# one fold holding nearly every training row; small chunks: the first batch comes early
sed -e 's/^n_splits *=.*/n_splits = 1/' -e 's/^test_size *=.*/test_size = 0.05/' \
    -e 's/^chunk_size *=.*/chunk_size = 256/' \
    "$src/kits/fashion_mnist/problem.ini" > "$kit/problem.ini"
cp "$here/image_preprocessor.c" "$here/net.py" "$sub/"
cp "$here/ramp_classifier.py" "$sub/batch_classifier.py"

RAMP_BENCH_OUT=$work/ramp.txt "$ramp" test --kit "$kit" --data "$work/jpg/data" \
    --submission bench > "$work/ramp.out" 2>&1 || { cat "$work/ramp.out"; exit 1; }
read -r n_ramp s_ramp < "$work/ramp.txt"
grep -o 'loader: .*for data' "$work/ramp.out" | sed 's/^/ramp /' || true
(cd "$here" && "$py" dataloader.py "$work/jpg/data") > "$work/dl.txt"
read -r n_dl s_dl < "$work/dl.txt"
(cd "$here" && "$py" inmemory.py $(( (n_ramp + 63) / 64 ))) > "$work/mem.txt"
read -r n_mem s_mem < "$work/mem.txt"

awk -v a="$n_ramp" -v b="$s_ramp" -v c="$n_dl" -v d="$s_dl" -v e="$n_mem" -v f="$s_mem" 'BEGIN {
    r = a / b; t = c / d
    printf "torch, batches already in memory (the ceiling):         %d images in %.2f s = %.0f images/s\n", e, f, e / f
    printf "torch fed by ramp (C preprocessor, zero-copy batches): %d images in %.2f s = %.0f images/s\n", a, b, r
    printf "torch fed by DataLoader(num_workers=2), PIL:           %d images in %.2f s = %.0f images/s\n", c, d, t
    printf "RATIO torch_fed_by_ramp_vs_dataloader=%.2f\n", r / t
}'
