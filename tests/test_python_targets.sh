#!/usr/bin/env bash
# Python detectors and segmenters (batch_detector.py's BatchDetector,
# batch_segmenter.py's BatchSegmenter) on two tiny kits built here
# (tests/fixtures/python_targets/make_kits.py: 32x32 squares, their boxes or
# masks) with a Python preprocessor that halves the images (the loader
# assumes that resize for the targets): numpy submissions that check the
# targets they get (a list of (k, 5) float32 arrays in tensor pixels; an
# int64 n x H x W mask) and must score well; a PyTorch segmenter when
# /usr/bin/python3 imports torch, and then the objects kits' PyTorch
# submissions (torch_centernet, torch_unet) run to the end on a few images; predict results of the wrong shape, too
# many objects, NaN, too few images, reported by the fold naming them.
# Skipped (exit 77) when the plugin was not built or /usr/bin/python3 has no
# numpy or PIL to make the kits.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
fx=$src/tests/fixtures/python_targets

if [ ! -e "$(dirname "$ramp")/ramp_python.so" ]; then
    echo "SKIP: ramp_python.so was not built (python3-dev and python3-numpy are needed)"
    exit 77
fi
if ! /usr/bin/python3 -c 'import numpy, PIL' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no numpy or PIL to make the kits"
    exit 77
fi
/usr/bin/python3 "$fx/make_kits.py" "$work" || fail "cannot make the kits"
for k in det seg; do
    "$ramp" data check "$work/$k" > "$work/check_$k.out" 2>&1 \
        || { cat "$work/check_$k.out"; fail "$k: ramp data check"; }
done

sub() { # sub KIT NAME MODEL_FILE: image_preprocessor.py and that model file
    local d=$work/$1/submissions/$2
    mkdir -p "$d"; cp "$fx/image_preprocessor.py" "$d/"
    cp "$3" "$d/$([ "$1" = det ] && echo batch_detector.py || echo batch_segmenter.py)"
}
bug() { # bug KIT NAME MODEL_FILE BUG
    sub "$1" "$2" "$3"
    sed -i "s/^BUG = None/BUG = '$4'/" "$work/$1/submissions/$2"/batch_*.py
}
sub det np "$fx/batch_detector.py"
sub seg np "$fx/batch_segmenter.py"
for b in shape many nan count; do bug det "$b" "$fx/batch_detector.py" "$b"; done
for b in shape nan; do bug seg "$b" "$fx/batch_segmenter.py" "$b"; done

score() { # score FILE NAME: the bagged test score of that column
    awk -v col="$2" '/Bagged scores/{b=1} b && $1=="score"{for(i=2;i<=NF;i++) if($i==col) c=i}
                     b && c && $1=="test"{print $c; exit}' "$1"
}
good() { # good KIT NAME SCORE MIN: exit 0 and the bagged test SCORE above MIN
    local out=$work/$1_$2.out
    "$ramp" test --kit "$work/$1" --submission "$2" --quick-test > "$out" 2>&1 \
        || { cat "$out"; fail "$1/$2: non-zero exit"; }
    local s; s=$(score "$out" "$3")
    awk -v s="$s" -v m="$4" 'BEGIN{exit !(s != "" && s + 0 > m)}' \
        || { cat "$out"; fail "$1/$2: bagged test $3 '$s', expected above $4"; }
    echo "ok: $1/$2 ($3 $s)"
}
good det np map 0.7
good seg np miou 0.8

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    sub seg torch "$fx/torch_segmenter.py"
    good seg torch miou 0.6
    # the kits' PyTorch submissions run to the end (a few steps: --quick-test)
    "$ramp" data objects --out "$work/objects" --n-train 48 --n-test 16 > /dev/null \
        || fail "ramp data objects"
    for k in objects_detection:torch_centernet objects_segmentation:torch_unet; do
        kit=$work/${k%%:*} name=${k#*:}
        mkdir -p "$kit/submissions"
        ln -sfn "$work/objects/data" "$kit/data"
        sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/${k%%:*}/problem.ini" > "$kit/problem.ini"
        cp -r "$src/kits/${k%%:*}/submissions/$name" "$kit/submissions/"
        rm -rf "$kit/submissions/$name/.ramp-build" "$kit/submissions/$name/training_output"
        "$ramp" test --kit "$kit" --submission "$name" --quick-test > "$work/$name.out" 2>&1 \
            || { cat "$work/$name.out"; fail "$name: non-zero exit"; }
        grep -q "Bagged scores" "$work/$name.out" || { cat "$work/$name.out"; fail "$name: not scored"; }
        echo "ok: ${k%%:*}/$name runs"
    done
else
    echo "skipped: the PyTorch segmenter (/usr/bin/python3 has no torch)"
fi

expect() { # expect KIT NAME PATTERN...: exit 1 and each pattern in the output
    local out=$work/$1_$2.out
    "$ramp" test --kit "$work/$1" --submission "$2" --quick-test --timeout 60 > "$out" 2>&1
    local rc=$?
    [ $rc -eq 1 ] || { cat "$out"; fail "$1/$2: exit code $rc, expected 1"; }
    shift 2
    for pat in "$@"; do
        grep -qF -- "$pat" "$out" || { cat "$out"; fail "no '$pat' in the output"; }
    done
    echo "ok: error: $pat"
}
expect det shape "batch_detector.py: predict: image 0: an array of shape (1 × 5), expected (k × 6)"
expect det many "batch_detector.py: predict: image 1: 5 objects, more than max_objects (4"
expect det nan "object 0: a coordinate is not finite (class 0, confidence 0.5, nan"
expect det count "batch_detector.py: predict returned 15 items for 16 images"
expect seg shape "batch_segmenter.py: predict_proba returned shape (16 × 3 × 15 × 16), expected (16 × 3 × 16 × 16)"
expect seg nan "batch_segmenter_predict_proba: sample '" "value 0 of 3 × 16 × 16 is nan"
echo "PASS"
