#!/bin/sh
# bench/onnx/run.sh [BUILD_DIR] — import of a ResNet-50-sized ONNX file
# (about 100 MB, made by make_resnet50.py into a temporary folder) by
# ramp_net_load_onnx, against onnx.load of the same file in Python, same
# run, medians of BENCH_RUNS (default 7) loads after a warm-up. Ends with
#   RATIO onnx_import_resnet50_s=<ramp's seconds> onnx_import_vs_onnx_load=<ramp / onnx.load>
# ramp's figure builds the whole net (layers, weights copied in); onnx.load
# only parses. The goal is under 1 s.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bin=$build/bench/bench_onnx
[ -x "$bin" ] || { echo "build bench_onnx first (missing $bin)" >&2; exit 1; }
py=/usr/bin/python3
runs=${BENCH_RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$py "$here/make_resnet50.py" "$work/resnet50.onnx" 2>/dev/null
ls -l "$work/resnet50.onnx" | awk '{ printf "model: %.1f MB\n", $5 / 1e6 }'
"$bin" "$work/resnet50.onnx" "$runs" | tee "$work/ramp.txt"
$py "$here/bench_onnx_load.py" "$work/resnet50.onnx" "$runs" | tee "$work/py.txt"
awk '
  { v[$1] = $2 }
  END {
    printf "RATIO onnx_import_resnet50_s=%.3f onnx_import_vs_onnx_load=%.2f\n", v["ramp_onnx_import_s"], v["ramp_onnx_import_s"] / v["onnx_load_s"]
  }' "$work/ramp.txt" "$work/py.txt"
