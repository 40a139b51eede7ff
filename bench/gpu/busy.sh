#!/bin/sh
# busy.sh — how busy training keeps the GPU when it is fed from JPEG files:
# the engine fed by ramp's loader (bench_busy.c) beside the same net in
# PyTorch fed by its DataLoader (bench_torch_busy.py), in the same run, on
# the same photo kit, device, cores, net and batch.
#   [PYTHON=python-with-torch] bench/gpu/busy.sh [--build DIR] [--work DIR]
#       [--device cuda|cpu] [--photos N] [--steps S] [--warmup W] [--batch B]
#       [--jobs J] [--model resnet18|resnet8s] [--chunk C] [--synthetic]
#
# The kit: N (default 2000) 500×375 JPEGs from bench/loader/make_photos.py
# (scikit-image's sample photographs, or sources it draws with numpy and
# Pillow alone where scikit-image is absent, as on a GPU machine without a
# package registry, or with --synthetic), made under WORK (default
# /tmp/ramp-bench-busy) when absent, then read once to warm the page cache.
# Both sides: the ImageNet training transform (shorter side 256, random
# 224×224 crop, flip, ImageNet mean/std) on J loader threads / J DataLoader
# workers (default every core), ResNet-18 at 224×224 with the kit's classes
# (--model resnet8s: the small one, for a CPU smoke run), batch B (64), SGD
# with momentum, fp32; W warm-up steps (10), then S timed steps (0: one
# epoch's worth, ceil(N / B)) on the same stream.
# Per side: a BUSY line with images/s, wall time, the time the training
# loop waited for data (ramp: the generator's stall_seconds; PyTorch: the
# time in next(iterator)), busy = 1 − wait / wall, and on cuda the GPU's
# utilisation sampled by NVML every 50 ms (nvml_util; a SKIP nvml line where
# NVML is absent). Where a side cannot run (no GPU, ramp without CUDA,
# PyTorch without CUDA) its line is a SKIP. Ends with
#   RATIO gpu_busy_ramp=<x> gpu_busy_torch=<y> gpu_util_ramp=<u> gpu_util_torch=<v>
#         gpu_epoch_ramp_vs_torch=<ramp img/s over PyTorch's>
# (cpu_… on device cpu; a figure only where its side ran). device=cpu is a
# smoke run of the scripts themselves.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build
work=${WORK:-/tmp/ramp-bench-busy}
device=cuda
photos=2000
steps=0
warmup=10
batch=64
jobs=$(nproc)
model=resnet18
chunk=256
synthetic=
usage="usage: $0 [--build DIR] [--work DIR] [--device cuda|cpu] [--photos N] [--steps S] [--warmup W] [--batch B] [--jobs J] [--model resnet18|resnet8s] [--chunk C] [--synthetic]"
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --photos) photos=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --chunk) chunk=$2; shift 2 ;;
    --synthetic) synthetic=--synthetic; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
done
py=${PYTHON:-python3}
bin=$build/bench/bench_busy
[ -x "$bin" ] || { echo "build bench_busy first (missing $bin)" >&2; exit 1; }
if ! "$py" -c 'import numpy, PIL' 2>/dev/null; then
    echo "SKIP side=ramp why=\"$py lacks numpy or Pillow: no photo kit\""
    echo "SKIP side=torch why=\"$py lacks numpy or Pillow\""
    echo "RATIO"
    exit 0
fi
export OPENBLAS_NUM_THREADS=1

kit=$work/photo-$photos${synthetic:+-syn}
if [ ! -f "$kit/data/train.csv" ]; then
    mkdir -p "$work"
    t=$(date +%s)
    "$py" "$here/../loader/make_photos.py" "$kit" --n "$photos" $synthetic >&2
    echo "# kit made in $(($(date +%s) - t)) s"
fi
find "$kit/data/imgs" -type f -print0 | xargs -0 cat >/dev/null # hot page cache for both
echo "# kit: $(cat "$kit/data/make_photos.txt" 2>/dev/null || echo "$photos photos (source unknown)")"
echo "# $(nproc) cores, $jobs loader threads / workers, load before: $(cut -d' ' -f1-3 /proc/loadavg)"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" "$device" "$kit/data" "$steps" "$batch" "$jobs" "$model" "$warmup" "$chunk" | tee -a "$out"
if "$py" -c 'import torch' 2>/dev/null; then
    "$py" "$here/bench_torch_busy.py" "$kit/data" --device "$device" --steps "$steps" \
        --batch "$batch" --workers "$jobs" --model "$model" --warmup "$warmup" | tee -a "$out"
else
    echo "SKIP side=torch why=\"$py lacks torch\"" | tee -a "$out"
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v p="$([ "$device" = cuda ] && echo gpu || echo cpu)" '
/^BUSY/ { side = ""; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
          side = f["side"]; busy[side] = f["busy"]; util[side] = f["nvml_util"]; ips[side] = f["img_per_s"] }
END { line = "RATIO"
      if ("ramp" in busy) line = line sprintf(" %s_busy_ramp=%s", p, busy["ramp"])
      if ("torch" in busy) line = line sprintf(" %s_busy_torch=%s", p, busy["torch"])
      if (util["ramp"] != "" && util["ramp"] != "na") line = line sprintf(" %s_util_ramp=%s", p, util["ramp"])
      if (util["torch"] != "" && util["torch"] != "na") line = line sprintf(" %s_util_torch=%s", p, util["torch"])
      if (ips["ramp"] > 0 && ips["torch"] > 0)
          line = line sprintf(" %s_epoch_ramp_vs_torch=%.2f", p, ips["ramp"] / ips["torch"])
      print line }' "$out"
