#!/bin/bash
# test_kit_check.sh — builds a small Fashion-MNIST kit, checks it, then
# corrupts it in eight ways and asserts that `ramp data check` exits 1 and
# reports each problem by id (or csv line) and reason.
# usage: bash test_kit_check.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
RAMP=$1
SRC=$2
WORK=$3
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
KIT=$WORK/kit
IMGS=$KIT/data/imgs

"$RAMP" data fashion-mnist --out "$KIT" --limit-train 200 --limit-test 50 > "$WORK/build.txt" \
    || fail "building the kit"
cat "$WORK/build.txt"
grep -q "200 train + 50 test images, PNG 28x28 gray" "$WORK/build.txt" || fail "build summary"
diff "$KIT/problem.ini" "$SRC/kits/fashion_mnist/problem.ini" || fail "problem.ini differs from kits/fashion_mnist"
[ "$(ls "$IMGS" | wc -l)" -eq 250 ] || fail "expected 250 images"
[ "$(wc -l < "$KIT/data/train.csv")" -eq 201 ] || fail "train.csv rows"
grep -qx "0,T-shirt/top" "$KIT/data/class_codes.csv" || fail "class codes"
[ -f "$IMGS/test_00049" ] && [ ! -e "$IMGS/test_00050" ] || fail "image names"

"$RAMP" data check "$KIT" > "$WORK/ok.txt" 2>&1 || { cat "$WORK/ok.txt"; fail "check of a fresh kit"; }
cat "$WORK/ok.txt"
grep -q "train 200 rows" "$WORK/ok.txt" || fail "summary rows"
grep -q "250 (250 PNG, 0 JPEG), size 28x28, channels: 1 (250 images)" "$WORK/ok.txt" || fail "summary images"

# a non-empty --out is refused without --force
if "$RAMP" data fashion-mnist --out "$KIT" --limit-train 1 --limit-test 1 2> "$WORK/refuse.txt"; then
    fail "a non-empty --out was accepted"
fi
grep -q "exists and is not empty (use --force)" "$WORK/refuse.txt" || fail "refusal message"

# --help on every subcommand
for sub in "" "fashion-mnist" "check"; do
    "$RAMP" data $sub --help | grep -q "usage: ramp data" || fail "--help of 'data $sub'"
done

# a real JPEG to corrupt
"$RAMP" data fashion-mnist --out "$WORK/jk" --format jpg --limit-train 2 --limit-test 1 > /dev/null \
    || fail "building the JPEG kit"
JPG=$WORK/jk/data/imgs/train_00000

# 1. truncated JPEG
head -c $(( $(wc -c < "$JPG") * 2 / 3 )) "$JPG" > "$IMGS/train_00001"
# 2. zero-byte file
: > "$IMGS/train_00002"
# 3. a text file
echo "this is not an image" > "$IMGS/train_00003"
# 4. PNG with a bad CRC (the IHDR chunk's CRC, bytes 29..32)
$PY - "$IMGS/train_00004" <<'PY' || fail "patching the PNG"
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
assert b[12:16] == b'IHDR'
b[30] ^= 0xFF
open(p, 'wb').write(b)
PY
# 5. a JPEG whose SOF0 claims 60000x60000
$PY - "$JPG" "$IMGS/train_00005" <<'PY' || fail "patching the JPEG"
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.find(b'\xff\xc0')
assert i > 0
b[i + 5:i + 7] = (60000).to_bytes(2, 'big')   # height
b[i + 7:i + 9] = (60000).to_bytes(2, 'big')   # width
open(sys.argv[2], 'wb').write(b)
PY
# 6. a missing file
rm "$IMGS/train_00006"
# 7. an unknown class (line 9 holds train_00007)
sed -i 's/^train_00007,.*$/train_00007,10/' "$KIT/data/train.csv"
# 8. a duplicate id
echo "train_00008,3" >> "$KIT/data/train.csv"

"$RAMP" data check "$KIT" > "$WORK/bad.txt" 2>&1
rc=$?
cat "$WORK/bad.txt"
[ $rc -eq 1 ] || fail "check exited $rc, expected 1"
expect() { grep -qF -- "$1" "$WORK/bad.txt" || fail "missing report: $1"; }
expect "data/train.csv:3: image 'train_00001': EFORMAT"
expect "data/train.csv:4: image 'train_00002': empty file"
expect "data/train.csv:5: image 'train_00003': not a JPEG or PNG file"
expect "data/train.csv:6: image 'train_00004': EFORMAT"
expect "data/train.csv:7: image 'train_00005': ETOOBIG"
expect "data/train.csv:8: image 'train_00006': missing file"
expect "data/train.csv:9: id 'train_00007': class 10 out of range [0, 10)"
expect "data/train.csv:202: duplicate id 'train_00008' (first on line 10)"
expect "8 problems found"
[ "$(grep -c "^$KIT/data/" "$WORK/bad.txt")" -eq 8 ] || fail "expected exactly 8 problem lines"

# --data points elsewhere; a broken problem.ini is reported too
cp -r "$WORK/jk" "$WORK/jk2"
echo "bogus = 1" >> "$WORK/jk2/problem.ini"
"$RAMP" data check "$WORK/jk2" > "$WORK/bad2.txt" 2>&1 && fail "a bad problem.ini passed"
grep -qF "problem.ini:23: unknown key 'bogus' in [workflow]" "$WORK/bad2.txt" || { cat "$WORK/bad2.txt"; fail "problem.ini report"; }
"$RAMP" data check "$WORK/jk2" --data "$WORK/jk/data" > /dev/null 2>&1 && fail "--data: a bad problem.ini passed"
"$RAMP" data check "$WORK/jk" --data "$WORK/jk/data" > /dev/null || fail "--data"
echo "PASS"
