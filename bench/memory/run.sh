#!/bin/bash
# run.sh — a fold's peak memory beside PyTorch's for the same work: `ramp
# test` on the Fashion-MNIST kit's `cnn` submission (its per-fold peak RSS,
# which ramp measures and writes to --json), then bench_torch_fold.py, the
# same net, rows, epochs and batch sizes in PyTorch.
#   bench/memory/run.sh [build-dir=build] [full]   (full: every row, 10 epochs;
#                                                   default: --quick-test)
# Needs Debian's dataset-fashion-mnist and python3-torch (/usr/bin/python3).
# Last line: RATIO fold_peak_vs_torch=<fold's largest peak / PyTorch's>
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
full=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
threads=$(nproc)
"$build/ramp" data fashion-mnist --out "$work/fm" > /dev/null
mkdir -p "$work/kit/submissions"
cp "$root/kits/fashion_mnist/problem.ini" "$work/kit/"
cp -r "$root/kits/fashion_mnist/submissions/cnn" "$work/kit/submissions/"
args=(test --kit "$work/kit" --data "$work/fm/data" --submission cnn --json "$work/run.json")
[ "$full" = full ] || args+=(--quick-test)
"$build/ramp" sandbox-check > /dev/null 2>&1 || args+=(--no-sandbox)
"$build/ramp" "${args[@]}" > "$work/log" 2>&1 || { cat "$work/log"; exit 1; }
grep 'max RSS' "$work/log" | sed 's/; log .*//'
# the fold sizes and the peak, from ramp's own figures
read -r ntr nva nte peak < <(/usr/bin/python3 - "$work/run.json" "$work/kit/problem.ini" <<'PY'
import configparser, json, sys
s = json.load(open(sys.argv[1]))["submissions"][0]
cv = configparser.ConfigParser(); cv.read(sys.argv[2])
valid = int(round(s["n_train"] * float(cv["cv"]["test_size"])))
print(s["n_train"] - valid, valid, s["n_test"], max(f["max_rss_kb"] for f in s["folds"]))
PY
)
epochs=1
[ "$full" = full ] && epochs=10
echo "FOLD submission=cnn rows=$ntr+$nva+$nte epochs=$epochs threads=$threads max_rss_kb=$peak"
torch=$(OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$here/bench_torch_fold.py" \
    "$ntr" "$nva" "$nte" "$epochs" "$threads")
echo "$torch"
tk=${torch##*=}
awk -v f="$peak" -v t="$tk" 'BEGIN { printf "fold %.0f MiB, PyTorch %.0f MiB\nRATIO fold_peak_vs_torch=%.2f\n", f / 1024, t / 1024, f / t }'
