#!/bin/sh
# bench/decode/run.sh [BUILD_DIR] — ramp's decoders against Pillow, same
# images, same run, both pinned to CPU 0. Ends with the line
#   RATIO decode_jpeg_vs_pil=<x> decode_png_vs_pil=<y>
# where x = ramp JPEG 64×64 → 32×32 float CHW / Pillow open+resize(BILINEAR)
# +asarray(float32), y = ramp PNG 28×28 → float / Pillow open+asarray.
# A line before it also compares with Pillow given draft() (libjpeg's DCT
# scaling, which ramp uses too): the like-for-like figure for the JPEG case.
# The machine may be shared: run it when idle, and read both lines.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bin=$build/bench/bench_decode
[ -x "$bin" ] || { echo "build bench_decode first (missing $bin)" >&2; exit 1; }
py=/usr/bin/python3
n=${BENCH_IMAGES:-2000}
secs=${BENCH_SECONDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$py "$here/make_images.py" "$work" "$n"
taskset -c 0 "$bin" "$work" "$secs" | tee "$work/ramp.txt"
taskset -c 0 $py "$here/bench_pil.py" "$work" "$secs" | tee "$work/pil.txt"
awk '
  { v[$1] = $2 }
  END {
    pd = v["pil_jpeg64_to32_float_draft"]
    printf "ratio jpeg64_full=%.2f\n", v["ramp_jpeg64_full"] / v["pil_jpeg64_full"]
    printf "ratio decode_jpeg_vs_pil_draft=%.2f (Pillow also scaling in the DCT domain)\n", v["ramp_jpeg64_to32_float"] / pd
    printf "RATIO decode_jpeg_vs_pil=%.2f decode_png_vs_pil=%.2f\n", v["ramp_jpeg64_to32_float"] / v["pil_jpeg64_to32_float"], v["ramp_png28_float"] / v["pil_png28_float"]
  }' "$work/ramp.txt" "$work/pil.txt"
