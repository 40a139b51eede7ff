#!/bin/bash
# test_data_objects.sh — `ramp data objects` and `ramp data circles`: small
# detection, segmentation and circles kits made with the kits' problem.ini,
# the same bytes for the same seed (whatever the thread count) and other
# bytes for another seed, boxes and masks that agree with each other,
# `ramp data check` passing on them and failing with the exact message on
# corrupted masks and CSVs.
# usage: bash test_data_objects.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
RAMP=$1
SRC=$2
WORK=$3
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || {
    echo "SKIPPED: no Fashion-MNIST (dataset-fashion-mnist)"; exit 77; }

DET=$WORK/det SEG=$WORK/seg CIR=$WORK/cir

"$RAMP" data objects --out "$DET" --n-train 40 --n-test 12 --seed 7 > "$WORK/det.txt" || fail "objects"
cat "$WORK/det.txt"
grep -q "objects data in $DET/data: 40 train + 12 test images 128x128" "$WORK/det.txt" || fail "objects summary"
"$RAMP" data objects --out "$SEG" --n-train 40 --n-test 12 --seed 7 --threads 3 --segmentation \
    > "$WORK/seg.txt" || fail "objects (3 threads)"
"$RAMP" data circles --out "$CIR" --n-train 30 --n-test 10 --seed 7 > "$WORK/cir.txt" || fail "circles"
grep -q "circles data in $CIR/data: 30 train + 10 test images 128x128" "$WORK/cir.txt" || fail "circles summary"
# the kits' problem files, written where there was none (and only there)
grep -qx "$SEG/problem.ini: the segmentation kit's (kits/objects_segmentation/problem.ini)" "$WORK/seg.txt" \
    || fail "problem.ini line"
for k in det:objects_detection seg:objects_segmentation cir:circles; do
    diff "$WORK/${k%%:*}/problem.ini" "$SRC/kits/${k#*:}/problem.ini" || fail "problem.ini of ${k%%:*}"
done
mkdir -p "$WORK/own" && echo "# mine" > "$WORK/own/problem.ini"
"$RAMP" data circles --out "$WORK/own" --n-train 1 --n-test 1 > "$WORK/own.txt" || fail "circles into a kit"
[ "$(cat "$WORK/own/problem.ini")" = "# mine" ] || fail "an existing problem.ini was replaced"
grep -q "problem.ini" "$WORK/own.txt" && fail "said it wrote problem.ini"

# the same seed: the same bytes, whatever the thread count
diff -r "$DET/data" "$SEG/data" > /dev/null || fail "objects: same seed, other bytes"
"$RAMP" data circles --out "$WORK/cir2" --n-train 30 --n-test 10 --seed 7 --threads 1 > /dev/null || fail "circles again"
diff -r "$CIR/data" "$WORK/cir2/data" > /dev/null || fail "circles: same seed, other bytes"
# another seed: other images
"$RAMP" data circles --out "$WORK/cir3" --n-train 30 --n-test 10 --seed 8 > /dev/null || fail "circles seed 8"
cmp -s "$CIR/data/imgs/train_00000.png" "$WORK/cir3/data/imgs/train_00000.png" && fail "circles: seed 8 gave seed 7's image"
cmp -s "$CIR/data/train.csv" "$WORK/cir3/data/train.csv" && fail "circles: seed 8 gave seed 7's CSV"

# a non-empty data folder is refused without --force
"$RAMP" data objects --out "$DET" --n-train 1 --n-test 1 2> "$WORK/refuse.txt" && fail "non-empty data accepted"
grep -q "$DET/data: exists and is not empty (use --force)" "$WORK/refuse.txt" || fail "refusal message"
"$RAMP" data objects --out "$WORK/f" --n-train 1 --n-test 1 --size 16 2> "$WORK/size.txt" && fail "--size 16 accepted"
for sub in objects circles; do
    "$RAMP" data $sub --help | grep -q "usage: ramp data $sub --out DIR" || fail "--help of data $sub"
done
"$RAMP" data circles --out "$WORK/x" --source /tmp 2> /dev/null && fail "circles took --source"
"$RAMP" data circles --out "$WORK/x" --segmentation 2> /dev/null && fail "circles took --segmentation"

# files and formats: boxes from the masks, circles inside, ids
$PY - "$DET/data" "$CIR/data" <<'PY' || fail "file contents"
import csv, sys
from PIL import Image
import numpy as np
det, cir = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(det + '/train.csv')))
assert list(rows[0].keys()) == ['id', 'class', 'x0', 'y0', 'x1', 'y1'], rows[0].keys()
ids = [l.strip() for l in open(det + '/seg_train.csv')][1:]
assert ids == ['train_%05d.png' % i for i in range(40)], ids[:3]
seen = []
for r in rows:
    if r['id'] not in seen: seen.append(r['id'])
assert seen == ids, 'every image in the box CSV, in order'
n_obj = 0
for r in rows:
    if not r['class']: continue
    n_obj += 1
    c, x0, y0, x1, y1 = (int(r[k]) for k in ('class', 'x0', 'y0', 'x1', 'y1'))
    assert 0 <= c < 10 and 0 <= x0 < x1 <= 128 and 0 <= y0 < y1 <= 128, r
assert 40 <= n_obj <= 160, n_obj
for i in ids:
    im = Image.open(det + '/imgs/' + i); m = Image.open(det + '/masks/' + i)
    assert im.mode == 'RGB' and im.size == (128, 128), (im.mode, im.size)
    assert m.mode == 'L' and m.size == (128, 128), (m.mode, m.size)
    a = np.array(m)
    assert set(np.unique(a)) <= set(range(11)) | {255}, np.unique(a)
    assert (a == 0).mean() > 0.3, 'mostly background'
# every item pixel in a mask lies in a box of its class (boxes are tight
# around the solid pixels, occluded or not)
for i in ids:
    a = np.array(Image.open(det + '/masks/' + i)).astype(int)
    cover = np.zeros_like(a, dtype=bool)
    for r in rows:
        if r['id'] != i or not r['class']: continue
        c, x0, y0, x1, y1 = (int(r[k]) for k in ('class', 'x0', 'y0', 'x1', 'y1'))
        cover[y0:y1, x0:x1] |= a[y0:y1, x0:x1] == c + 1
        # a box is tight: each of its edges holds a pixel of some item (the
        # item's own, unless a later one covers it, or the later one's rim)
        for edge in (a[y0:y1, x0], a[y0:y1, x1 - 1], a[y0, x0:x1], a[y1 - 1, x0:x1]):
            assert (edge != 0).any(), (i, r)
    solid = (a != 0) & (a != 255)
    assert (cover == solid).all(), i
codes = open(det + '/seg_class_codes.csv').read().splitlines()
assert codes[:2] == ['class,name', '0,background'] and codes[2] == '1,T-shirt/top', codes
assert open(det + '/class_codes.csv').read().splitlines()[1] == '0,T-shirt/top'
crows = list(csv.DictReader(open(cir + '/train.csv')))
assert list(crows[0].keys()) == ['id', 'x', 'y', 'r']
for r in crows:
    if not r['x']: continue
    x, y, rad = float(r['x']), float(r['y']), float(r['r'])
    assert 0 <= x <= 128 and 0 <= y <= 128 and 4 <= rad <= 24, r
assert Image.open(cir + '/imgs/train_00000.png').mode == 'L'
PY

# the kits check
for k in det seg cir; do
    "$RAMP" data check "$WORK/$k" > "$WORK/check_$k.txt" 2>&1 || { cat "$WORK/check_$k.txt"; fail "check of $k"; }
    cat "$WORK/check_$k.txt"
done
grep -q "train 40 images, [0-9]* objects; objects per class:" "$WORK/check_det.txt" || fail "det summary"
grep -q "train 40 images; mask pixels per class (%):" "$WORK/check_seg.txt" || fail "seg summary"
grep -q "images: 52 (52 PNG, 0 JPEG), size 128x128, channels: 3 (52 images)" "$WORK/check_seg.txt" || fail "seg images"
grep -q "images: 40 (40 PNG, 0 JPEG), size 128x128, channels: 1 (40 images)" "$WORK/check_cir.txt" || fail "circles images"

# corruptions: each reported with its exact message
expect() { # KIT MESSAGE
    "$RAMP" data check "$1" > "$WORK/bad.txt" 2>&1 && { cat "$WORK/bad.txt"; fail "check passed: $2"; }
    grep -qxF -- "$2" "$WORK/bad.txt" || { cat "$WORK/bad.txt"; fail "no line '$2'"; }
}
M=$SEG/data/masks
# a mask of another size, a colour mask, a value out of range, a missing mask
$PY - "$M" <<'PY' || fail "corrupting masks"
import sys
from PIL import Image
import numpy as np
m = sys.argv[1]
Image.fromarray(np.zeros((64, 128), np.uint8)).save(m + '/train_00001.png')
Image.fromarray(np.zeros((128, 128, 3), np.uint8)).save(m + '/train_00002.png')
a = np.zeros((128, 128), np.uint8); a[5, 9] = 11
Image.fromarray(a).save(m + '/train_00003.png')
Image.fromarray(np.zeros((128, 128), np.uint16)).save(m + '/train_00005.png')
PY
rm "$M/train_00004.png"
echo "not a png" > "$M/test_00000.png"
C=$SEG/data/seg_train.csv
expect "$SEG" "$C:3: mask 'train_00001.png': 128x64, but its image is 128x128"
expect "$SEG" "$C:4: mask 'train_00002.png': a PNG of bit depth 8 and colour type 2 (an 8-bit gray PNG is required: bit depth 8, colour type 0)"
expect "$SEG" "$C:5: mask 'train_00003.png': pixel (9, 5) has value 11 (classes are 0..10, 255 void)"
expect "$SEG" "$C:6: mask 'train_00004.png': missing file ($M/train_00004.png)"
expect "$SEG" "$C:7: mask 'train_00005.png': a PNG of bit depth 16 and colour type 0 (an 8-bit gray PNG is required: bit depth 8, colour type 0)"
expect "$SEG" "$SEG/data/seg_test.csv:2: mask 'test_00000.png': not a PNG file ($M/test_00000.png)"
grep -q "^6 problems found in $SEG" "$WORK/bad.txt" || fail "problem count (seg)"

# detection CSV rows: bad class, box outside, x0 > x1, an unknown image
D=$DET/data/train.csv
{ echo "id,class,x0,y0,x1,y1"; echo "train_00000.png,10,1,1,5,5"; echo "train_00001.png,0,100,100,129,120";
  echo "train_00002.png,0,9,1,5,5"; echo "nope.png,1,1,1,2,2"; echo "train_00003.png,,,,,"; } > "$D"
expect "$DET" "$D:2: id 'train_00000.png': class 10 out of range [0, 10)"
expect "$DET" "$D:3: id 'train_00001.png': box (100, 100, 129, 120) is not inside the 128x128 image"
expect "$DET" "$D:4: id 'train_00002.png': box (9, 1, 5, 5) has x0 > x1"
expect "$DET" "$D:5: image 'nope.png': missing file ($DET/data/imgs/nope.png)"
grep -q "^4 problems found in $DET" "$WORK/bad.txt" || fail "problem count (det)"
# a circle whose centre leaves the image; a box CSV in a circles kit
{ echo "id,x,y,r"; echo "train_00000.png,130,5,3"; echo "train_00001.png,-1,5,3"; echo "train_00002.png,127,127,30"; } > "$CIR/data/train.csv"
expect "$CIR" "$CIR/data/train.csv:2: id 'train_00000.png': circle centre (130, 5) is not inside the 128x128 image"
expect "$CIR" "$CIR/data/train.csv:3: id 'train_00001.png': circle centre (-1, 5) is not inside the 128x128 image"
grep -q "^2 problems found in $CIR" "$WORK/bad.txt" || fail "problem count (circles)"
cp "$WORK/cir2/data/train.csv" "$CIR/data/train.csv"
echo "id,class,x0,y0,x1,y1" > "$CIR/data/test.csv"
expect "$CIR" "$CIR/data/test.csv:1: header has box (x0,y0,x1,y1) columns, but the problem's geometry is circle"
echo "ok: objects and circles data, determinism, checks"
