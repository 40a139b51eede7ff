#!/usr/bin/env bash
# The main job: installs what it needs, builds, makes the Fashion-MNIST kit
# from Debian's dataset-fashion-mnist (70,000 images), checks it, and trains
# the starting kit and the reference CNN on it with `ramp test`.
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
# real training runs on every CV fold: the framework-free starting kit, then
# the reference CNN on ramp's built-in engine
for sub in starting_kit cnn; do
    build/ramp test --kit kits/fashion_mnist --data "$data/data" --submission "$sub" \
        --json "$data/$sub.json"
done
