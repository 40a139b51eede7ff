#!/bin/bash
# run.sh — engine vs PyTorch training throughput, same run, same threads.
#   bench/train/run.sh [build-dir=build] [threads=2] [steps=40]
# Last line: RATIO train_refcnn_vs_torch=<x> train_resnet_vs_torch=<y>
# (engine img/s over PyTorch's better layout, medians of 3).
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
threads=${2:-2}
steps=${3:-40}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1
"$build/bench/bench_train" "$threads" "$steps" | tee -a "$out"
/usr/bin/python3 "$here/bench_torch.py" "$threads" "$steps" | tee -a "$out"
awk '
/^ENGINE/ { split($2, m, "="); split($3, v, "="); eng[m[2]] = v[2] }
/^TORCH/  { split($2, m, "="); split($4, v, "="); if (v[2] > best[m[2]]) best[m[2]] = v[2] }
END { printf "RATIO train_refcnn_vs_torch=%.2f train_resnet_vs_torch=%.2f\n",
             eng["refcnn"] / best["refcnn"], eng["resnet"] / best["resnet"] }' "$out"
