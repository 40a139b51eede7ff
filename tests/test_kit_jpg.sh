#!/bin/bash
# test_kit_jpg.sh — the JPEG, upscaled, RGB path: `ramp data fashion-mnist
# --format jpg --size 64 --rgb` on a few images, then `ramp data check`
# must report 64x64 JPEGs with 3 channels.
# usage: bash test_kit_jpg.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
RAMP=$1
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
KIT=$WORK/kit
"$RAMP" data fashion-mnist --out "$KIT" --format jpg --size 64 --rgb --limit-train 30 --limit-test 10 \
    > "$WORK/build.txt" || fail "build"
cat "$WORK/build.txt"
grep -q "30 train + 10 test images, JPEG q90 64x64 RGB" "$WORK/build.txt" || fail "build summary"
head -c 3 "$KIT/data/imgs/train_00000" | od -An -tx1 | grep -q "ff d8 ff" || fail "not a JPEG"
"$RAMP" data check "$KIT" > "$WORK/check.txt" 2>&1 || { cat "$WORK/check.txt"; fail "check"; }
cat "$WORK/check.txt"
grep -q "images: 40 (0 PNG, 40 JPEG), size 64x64, channels: 3 (40 images)" "$WORK/check.txt" \
    || fail "check summary"
# --force rebuilds into the same folder, here as gray PNG
"$RAMP" data fashion-mnist --out "$KIT" --force --size 32 --limit-train 20 --limit-test 5 > /dev/null \
    || fail "--force"
"$RAMP" data check "$KIT" > "$WORK/check2.txt" 2>&1 || fail "check after --force"
grep -q "images: 25 (25 PNG, 0 JPEG), size 32x32, channels: 1 (25 images)" "$WORK/check2.txt" \
    || { cat "$WORK/check2.txt"; fail "check summary after --force"; }
# usage errors exit 2
"$RAMP" data fashion-mnist --out "$WORK/x" --format gif > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad --format"
"$RAMP" data fashion-mnist > /dev/null 2>&1; [ $? -eq 2 ] || fail "no --out"
"$RAMP" data check > /dev/null 2>&1; [ $? -eq 2 ] || fail "check without a kit"
# a bad --source names the missing file
"$RAMP" data fashion-mnist --out "$WORK/y" --source "$WORK/nowhere" 2> "$WORK/src.txt"; [ $? -eq 1 ] || fail "bad --source"
grep -q "nowhere/train-images-idx3-ubyte.gz" "$WORK/src.txt" || fail "bad --source message"
# --out whose parents do not exist yet
"$RAMP" data fashion-mnist --out "$WORK/new/deeper/kit" --limit-train 20 --limit-test 10 > /dev/null \
    || fail "--out with missing parents"
[ -s "$WORK/new/deeper/kit/data/train.csv" ] || fail "--out with missing parents: no train.csv"
echo "PASS"
