#!/usr/bin/env bash
# The seed's Python preprocessor (verbatim) on a 64×64 RGB JPEG kit, run on
# the loader threads under the GIL or in worker processes, with 1 and 2
# loader threads: images/s of one epoch as a Python classifier pulls it.
#   bench/python/transform_modes.sh [BUILD_DIR] [N_TRAIN]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
ramp=${1:-$src/build}/ramp
n=${2:-2500}
work=$(mktemp -d /tmp/ramp-bench-pymodes.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$ramp" data fashion-mnist --out "$work/jpg" --format jpg --size 64 --rgb \
    --limit-train "$n" --limit-test 64 >/dev/null
sub=$work/kit/submissions/m
mkdir -p "$sub"
sed -e 's/^n_splits *=.*/n_splits = 1/' -e 's/^test_size *=.*/test_size = 0.05/' \
    "$src/kits/fashion_mnist/problem.ini" > "$work/kit/problem.ini"
cp "$src/tests/fixtures/python/seed_image_preprocessor.py" "$sub/image_preprocessor.py"
cp "$here/pull_classifier.py" "$sub/batch_classifier.py"
for jobs in 1 2; do
    for mode in threads processes; do
        RAMP_PY_TRANSFORM=$mode "$ramp" test --kit "$work/kit" --data "$work/jpg/data" \
            --submission m --n-jobs $jobs > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
        echo "$mode n_jobs=$jobs: $(grep -o 'CONSUMER.*' "$sub/.ramp-build/fold_0.log")"
    done
done
