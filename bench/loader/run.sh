#!/bin/sh
# bench/loader/run.sh [--build DIR] [--work DIR] [--limit-train N] [--runs R]
#
# ramp's streaming loader against torchvision's DataLoader, end to end from
# a kit on disk (open, decode, resize 32×32, to float, batch 64, shuffled,
# 2 loader threads / 2 workers), one full epoch over train.csv, both sides
# in the same run on the same kits:
#   png: the Fashion-MNIST PNG kit, 28×28 gray → 1×32×32 float, normalised
#   jpg: the 64×64 RGB JPEG kit → 3×32×32 float CHW, mean-subtracted
# PyTorch runs twice per kit: the torchvision way (ToTensor + Normalize) and
# --lean (numpy for the same values: PyTorch at its best); the RATIO line
# divides by the better of the two. On the JPEG kit it also runs --lean
# --draft (Image.draft: libjpeg's DCT scaling, as ramp's resize does; the
# output then equals ramp's exactly) for an extra like-for-like line.
# The kits are built under WORK (default /tmp/ramp-bench-loader) when absent;
# --limit-train N makes small ones (a different N needs a fresh WORK). The
# page cache is warmed by reading every image once; each process then warms
# up on the first 4096 images and times one epoch. The R runs (default 3)
# are interleaved (ramp, torch, torch lean on png, then on jpg, repeat) so a
# change in machine load hits both sides alike; each figure is the median.
# Ends with the line
#   RATIO loader_png_vs_torch=<x> loader_jpg_vs_torch=<y>
# The machine may be shared: the load average is printed with the figures.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../../build
work=${WORK:-/tmp/ramp-bench-loader}
limit=
runs=3
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --limit-train) limit=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--work DIR] [--limit-train N] [--runs R]" >&2; exit 2 ;;
    esac
done
ramp=$build/ramp
bin=$build/bench/bench_loader
py=/usr/bin/python3
for f in "$ramp" "$bin"; do
    [ -x "$f" ] || { echo "build ramp and bench_loader first (missing $f)" >&2; exit 1; }
done
$py -c 'import torch, torchvision' 2>/dev/null ||
    { echo "$py lacks torch/torchvision (Debian's python3-torch, python3-torchvision)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1

mkdir -p "$work"
lim=${limit:+--limit-train $limit}
[ -f "$work/png/data/train.csv" ] || "$ramp" data fashion-mnist --out "$work/png" $lim >&2
[ -f "$work/jpg/data/train.csv" ] ||
    "$ramp" data fashion-mnist --format jpg --size 64 --rgb --out "$work/jpg" $lim >&2
for k in png jpg; do # hot page cache for both sides
    find "$work/$k/data/imgs" -type f -print0 | xargs -0 cat >/dev/null
done

out=$work/results.txt
: >"$out"
echo "# $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
quiet() { tee -a "$out" | grep -v '^[a-z]*_loader_' || true; }
r=1
while [ "$r" -le "$runs" ]; do
    for k in png jpg; do
        "$bin" "$work/$k/data" $k 1 4096 | quiet
        $py "$here/bench_torch.py" "$work/$k/data" $k | quiet
        $py "$here/bench_torch.py" "$work/$k/data" $k --lean | quiet
    done
    $py "$here/bench_torch.py" "$work/jpg/data" jpg --lean --draft | quiet
    r=$((r + 1))
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk '
  /^(ramp|torch)_loader_/ { v[$1] = v[$1] " " $2 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function max(a, b) { return a > b ? a : b }
  END {
    split("ramp_loader_png torch_loader_png torch_loader_png_lean ramp_loader_jpg torch_loader_jpg torch_loader_jpg_lean torch_loader_jpg_lean_draft", need, " ")
    for (i in need) if (!(need[i] in v)) { print "bench/loader: no figure for " need[i] > "/dev/stderr"; exit 1 }
    for (k in v) printf "%-28s median %6.0f img/s  (runs:%s)\n", k, median(v[k]), v[k]
    rp = median(v["ramp_loader_png"]); tp = max(median(v["torch_loader_png"]), median(v["torch_loader_png_lean"]))
    rj = median(v["ramp_loader_jpg"]); tj = max(median(v["torch_loader_jpg"]), median(v["torch_loader_jpg_lean"]))
    td = median(v["torch_loader_jpg_lean_draft"])
    printf "png 28x28 gray -> 1x32x32 float: ramp %.0f img/s, PyTorch (best) %.0f img/s: %.2fx (torchvision way: %.2fx)\n", rp, tp, rp / tp, rp / median(v["torch_loader_png"])
    printf "jpg 64x64 RGB -> 3x32x32 float:  ramp %.0f img/s, PyTorch (best) %.0f img/s: %.2fx (torchvision way: %.2fx)\n", rj, tj, rj / tj, rj / median(v["torch_loader_jpg"])
    printf "jpg, PyTorch lean + Image.draft (DCT scaling like ramp, same output): %.0f img/s: %.2fx\n", td, rj / td
    printf "RATIO loader_png_vs_torch=%.2f loader_jpg_vs_torch=%.2f\n", rp / tp, rj / tj
  }' "$out"
