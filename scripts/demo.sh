#!/usr/bin/env bash
# The main job: installs what it needs, builds, makes the Fashion-MNIST kit
# from Debian's dataset-fashion-mnist (70,000 images), checks it, and trains
# the starting kit, the reference CNN and the pretrained network fine-tuned
# (transfer) on it with `ramp test`.
#   DATA=DIR  where to put the kit's data (default: out/fashion_mnist)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
data=${DATA:-out/fashion_mnist}
if [ ! -f "$data/data/train.csv" ]; then
    build/ramp data fashion-mnist --out "$data" --force
fi
build/ramp data check "$data"
# real training runs on every CV fold: the framework-free starting kit, the
# reference CNN on ramp's built-in engine, then a network pretrained on other
# classes (an ONNX file the submission ships) given a new head and fine-tuned
for sub in starting_kit cnn transfer; do
    build/ramp test --kit kits/fashion_mnist --data "$data/data" --submission "$sub" \
        --json "$data/$sub.json"
done
