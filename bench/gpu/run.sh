#!/bin/bash
# run.sh — the engine's training on the GPU beside PyTorch CUDA, same GPU,
# same models and batch (bench_gpu.c, bench_torch_gpu.py).
#   [PYTHON=python-with-torch] [ENGINE_BF16=1] bench/gpu/run.sh [build-dir=build] [steps=20] [batch=64] [device=cuda]
# Last line: RATIO gpu_train_<model>_vs_torch=<x> for each model the engine
# ran (engine fp32 img/s over PyTorch's better fp32 layout), and
# gpu_train_<model>_vs_torch_bf16=<x> against PyTorch's bf16 (the engine's
# fp32 figure); with ENGINE_BF16=1 the engine also runs in bf16 (math bf16,
# its own pass after the others: opt-in, it doubles the engine's time) and
# gpu_train_<model>_bf16_vs_torch_bf16=<x> compares like with like. Where the device cannot run the
# engine (no GPU, or ramp built without CUDA) its lines say SKIP and no
# ratio is printed. device=cpu is a smoke run of the scripts themselves.
# The data here is random and already in memory; busy.sh beside it trains
# ResNet-18 fed from JPEG files, ramp's loader against PyTorch's DataLoader,
# and reports how busy each keeps the GPU (RATIO gpu_busy_ramp=...
# gpu_busy_torch=... gpu_epoch_ramp_vs_torch=...; see its header).
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
steps=${2:-20}
batch=${3:-64}
device=${4:-cuda}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/bench/bench_gpu" "$device" "$steps" "$batch" | tee -a "$out"
"${PYTHON:-python3}" "$here/bench_torch_gpu.py" "$steps" "$batch" refcnn,resnet8,resnet18 "$device" | tee -a "$out"
if [ "${ENGINE_BF16:-0}" = 1 ]; then
    "$build/bench/bench_gpu" "$device" "$steps" "$batch" refcnn,resnet8,resnet18 bf16 | tee -a "$out"
fi
awk '
/^ENGINE/ { split($2, m, "="); split($5, v, "=");
            if ($6 == "math=bf16") e16[m[2]] = v[2]; else eng[m[2]] = v[2] }
/^TORCH/  { split($2, m, "="); split($4, d, "="); split($7, v, "=");
            if (d[2] == "fp32" && v[2] > f32[m[2]]) f32[m[2]] = v[2];
            if (d[2] == "bf16" && v[2] > b16[m[2]]) b16[m[2]] = v[2] }
END { line = "RATIO"
      for (k in eng) {
          if (f32[k] > 0) line = line sprintf(" gpu_train_%s_vs_torch=%.2f", k, eng[k] / f32[k])
          if (b16[k] > 0) line = line sprintf(" gpu_train_%s_vs_torch_bf16=%.2f", k, eng[k] / b16[k])
      }
      for (k in e16)
          if (b16[k] > 0) line = line sprintf(" gpu_train_%s_bf16_vs_torch_bf16=%.2f", k, e16[k] / b16[k])
      print line }' "$out"
