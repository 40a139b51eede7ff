#!/bin/sh
# bench/loader/run.sh [--build DIR] [--work DIR] [--limit-train N] [--runs R]
#                     [--kits "png jpg photo"] [--jobs J] [--photos N]
#
# ramp's streaming loader against PyTorch's DataLoader, end to end from
# a kit on disk (open, decode, preprocess, to float, batch 64, shuffled,
# J loader threads / J workers, default every core), one full epoch over
# train.csv, both sides in the same run on the same kits:
#   png: the Fashion-MNIST PNG kit, 28×28 gray → 1×32×32 float, normalised
#   jpg: the 64×64 RGB JPEG kit → 3×32×32 float CHW, mean-subtracted
#   photo: N (default 3000) 500×375 photo JPEGs made by make_photos.py from
#        scikit-image's sample photographs (or, without scikit-image, from
#        sources it draws with numpy and Pillow) → shorter side 256, random
#        224×224 crop, random flip → 3×224×224 float CHW, ImageNet mean/std
#        (the ImageNet training transform; PyTorch side PIL + numpy)
# png and jpg need torchvision (their torchvision-way lines); photo does not.
# PyTorch runs twice per kit: the torchvision way (ToTensor + Normalize) and
# --lean (numpy for the same values: PyTorch at its best); the RATIO line
# divides by the better of the two. On the JPEG kit it also runs --lean
# --draft (Image.draft: libjpeg's DCT scaling, as ramp's resize does; the
# output then equals ramp's exactly) for an extra like-for-like line.
# The kits are built under WORK (default /tmp/ramp-bench-loader) when absent;
# --limit-train N makes small ones (a different N needs a fresh WORK; the
# photo kit has a folder per --photos N, photo-N). The
# page cache is warmed by reading every image once; each process then warms
# up on the first 4096 images (photo: 512) and times one epoch. The R runs (default 3)
# are interleaved (ramp, torch, torch lean per kit, in turn, repeat) so a
# change in machine load hits both sides alike; each figure is the median.
# Ends with the line
#   RATIO loader_png_vs_torch=<x> loader_jpg_vs_torch=<y> loader_photo_vs_torch=<z>
# (the kits run only).
# The machine may be shared: the load average is printed with the figures.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../../build
work=${WORK:-/tmp/ramp-bench-loader}
limit=
runs=3
kits="png jpg photo"
jobs=$(nproc)
photos=3000
usage="usage: $0 [--build DIR] [--work DIR] [--limit-train N] [--runs R] [--kits LIST] [--jobs J] [--photos N]"
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --limit-train) limit=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --kits) kits=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --photos) photos=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
done
has() { case " $kits " in *" $1 "*) return 0 ;; esac; return 1; }
ramp=$build/ramp
bin=$build/bench/bench_loader
py=/usr/bin/python3
for f in "$ramp" "$bin"; do
    [ -x "$f" ] || { echo "build ramp and bench_loader first (missing $f)" >&2; exit 1; }
done
$py -c 'import torch, PIL, numpy' 2>/dev/null ||
    { echo "$py lacks torch/Pillow/numpy (Debian's python3-torch, python3-pil)" >&2; exit 1; }
if has png || has jpg; then
    $py -c 'import torchvision' 2>/dev/null ||
        { echo "$py lacks torchvision (python3-torchvision), needed by the png and jpg kits: try --kits photo" >&2; exit 1; }
fi
export OPENBLAS_NUM_THREADS=1

mkdir -p "$work"
lim=${limit:+--limit-train $limit}
! has png || [ -f "$work/png/data/train.csv" ] || "$ramp" data fashion-mnist --out "$work/png" $lim >&2
! has jpg || [ -f "$work/jpg/data/train.csv" ] ||
    "$ramp" data fashion-mnist --format jpg --size 64 --rgb --out "$work/jpg" $lim >&2
# a kit's folder; the photo kit's is named by its size (--photos 300 once
# timed an older 1,500-photo kit in silence)
kdir() { if [ "$1" = photo ]; then echo "$work/photo-$photos"; else echo "$work/$1"; fi; }
! has photo || [ -f "$(kdir photo)/data/train.csv" ] ||
    $py "$here/make_photos.py" "$(kdir photo)" --n "$photos" >&2
for k in $kits; do # hot page cache for both sides
    find "$(kdir $k)/data/imgs" -type f -print0 | xargs -0 cat >/dev/null
done

out=$work/results.txt
: >"$out"
echo "# $(nproc) cores, $jobs loader threads / workers, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
quiet() { tee -a "$out" | grep -v '^[a-z]*_loader_' || true; }
r=1
while [ "$r" -le "$runs" ]; do
    for k in $kits; do
        [ "$k" = photo ] && w=512 || w=4096
        "$bin" "$(kdir $k)/data" $k 1 $w "$jobs" | quiet
        $py "$here/bench_torch.py" "$(kdir $k)/data" $k --warmup $w --workers "$jobs" | quiet
        [ "$k" = photo ] ||
            $py "$here/bench_torch.py" "$(kdir $k)/data" $k --lean --workers "$jobs" | quiet
    done
    ! has jpg || $py "$here/bench_torch.py" "$work/jpg/data" jpg --lean --draft --workers "$jobs" | quiet
    r=$((r + 1))
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk -v kits="$kits" '
  /^(ramp|torch)_loader_/ { v[$1] = v[$1] " " $2 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function max(a, b) { return a > b ? a : b }
  END {
    nk = split(kits, k, " ")
    for (i = 1; i <= nk; i++) has[k[i]] = 1
    if (has["png"]) need = need " ramp_loader_png torch_loader_png torch_loader_png_lean"
    if (has["jpg"]) need = need " ramp_loader_jpg torch_loader_jpg torch_loader_jpg_lean torch_loader_jpg_lean_draft"
    if (has["photo"]) need = need " ramp_loader_photo torch_loader_photo"
    nn = split(need, nd, " ")
    for (i = 1; i <= nn; i++) if (!(nd[i] in v)) { print "bench/loader: no figure for " nd[i] > "/dev/stderr"; exit 1 }
    for (x in v) printf "%-28s median %6.0f img/s  (runs:%s)\n", x, median(v[x]), v[x]
    ratio = "RATIO"
    if (has["png"]) {
      rp = median(v["ramp_loader_png"]); tp = max(median(v["torch_loader_png"]), median(v["torch_loader_png_lean"]))
      printf "png 28x28 gray -> 1x32x32 float: ramp %.0f img/s, PyTorch (best) %.0f img/s: %.2fx (torchvision way: %.2fx)\n", rp, tp, rp / tp, rp / median(v["torch_loader_png"])
      ratio = ratio sprintf(" loader_png_vs_torch=%.2f", rp / tp)
    }
    if (has["jpg"]) {
      rj = median(v["ramp_loader_jpg"]); tj = max(median(v["torch_loader_jpg"]), median(v["torch_loader_jpg_lean"]))
      td = median(v["torch_loader_jpg_lean_draft"])
      printf "jpg 64x64 RGB -> 3x32x32 float:  ramp %.0f img/s, PyTorch (best) %.0f img/s: %.2fx (torchvision way: %.2fx)\n", rj, tj, rj / tj, rj / median(v["torch_loader_jpg"])
      printf "jpg, PyTorch lean + Image.draft (DCT scaling like ramp, same output): %.0f img/s: %.2fx\n", td, rj / td
      ratio = ratio sprintf(" loader_jpg_vs_torch=%.2f", rj / tj)
    }
    if (has["photo"]) {
      ro = median(v["ramp_loader_photo"]); to = median(v["torch_loader_photo"])
      printf "photo 500x375 JPEG -> 256 -> random 224 crop, flip -> 3x224x224 float: ramp %.0f img/s, PyTorch %.0f img/s: %.2fx\n", ro, to, ro / to
      ratio = ratio sprintf(" loader_photo_vs_torch=%.2f", ro / to)
    }
    print ratio
  }' "$out"
