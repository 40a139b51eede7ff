#!/usr/bin/env bash
# The transfer experiment (docs/pretrained.md): pretrain ramp's small CNN on
# Fashion-MNIST classes 0–4, export it as ONNX, then for 3 seeds fine-tune the
# imported network on 1,000 images of classes 5–9 against the same network
# trained from scratch on them; prints RATIO transfer_acc_vs_scratch.
#
#   bench/transfer/run.sh [BUILD=build] [--kit-file]
#
# --kit-file also copies the pretrained file to the kit's transfer
# submission (kits/fashion_mnist/submissions/transfer/pretrained.onnx).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build kit_file=0
for a in "$@"; do
    case $a in
        --kit-file) kit_file=1 ;;
        *) build=$a ;;
    esac
done
bin=$build/bench/bench_transfer
[ -x "$bin" ] || { echo "no $bin: build ramp first (cmake --build $build)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" pretrain "$work/pretrained.onnx"
if [ $kit_file = 1 ]; then
    cp "$work/pretrained.onnx" kits/fashion_mnist/submissions/transfer/pretrained.onnx
    echo "copied to kits/fashion_mnist/submissions/transfer/pretrained.onnx"
fi
"$bin" compare "$work/pretrained.onnx" 3 1000
