#!/usr/bin/env bash
# The sandbox's cost: (1) start-up, from bench_sandbox (start and end
# /bin/true, then `ramp --version`, with and without the sandbox); (2) whole folds of the `cnn`
# submission on the Fashion-MNIST kit, `ramp test` with the sandbox and with
# --no-sandbox, alternated ROUNDS times: train time and the loader's images/s
# while training. Prints RATIO lines (sandboxed / not; 1.00 is free).
#   bench/sandbox/run.sh [BUILD_DIR] [ROUNDS] [N_TRAIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rounds=${2:-3}
ntrain=${3:-6000}
ramp=$build/ramp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

"$build/bench/bench_sandbox" 200
"$build/bench/bench_sandbox" 50 "$(readlink -f "$ramp")" --version | grep -v "^ramp "

"$ramp" data fashion-mnist --out "$work/fm" --limit-train "$ntrain" --limit-test 1000 >/dev/null
kit=$work/kit
mkdir -p "$kit/submissions"
cp kits/fashion_mnist/problem.ini "$kit/"
cp -r kits/fashion_mnist/submissions/cnn "$kit/submissions/"
fig() { # fig JSON: mean train time and mean loader images/s over the folds
    python3 -c 'import json,sys
f=json.load(open(sys.argv[1]))["submissions"][0]["folds"]
print("%.3f %.1f" % (sum(x["time"]["train"] for x in f)/len(f), sum(x["loader"]["images_per_s"] for x in f)/len(f)))' "$1"
}
on_t=(); off_t=(); on_i=(); off_i=()
for r in $(seq "$rounds"); do
    for mode in on off; do
        flag=""; [ $mode = off ] && flag=--no-sandbox
        "$ramp" test --kit "$kit" --data "$work/fm/data" --submission cnn $flag \
            --json "$work/$mode.json" >/dev/null 2>&1
        read -r t i <<<"$(fig "$work/$mode.json")"
        echo "round $r sandbox $mode: train $t s/fold, loader $i images/s"
        if [ $mode = on ]; then on_t+=("$t"); on_i+=("$i"); else off_t+=("$t"); off_i+=("$i"); fi
    done
done
python3 - "${on_t[*]}" "${off_t[*]}" "${on_i[*]}" "${off_i[*]}" <<'PY'
import statistics as s, sys
ot, ft, oi, fi = ([float(x) for x in a.split()] for a in sys.argv[1:5])
print("cnn fold train time, median: sandbox %.2f s, none %.2f s" % (s.median(ot), s.median(ft)))
print("RATIO train_time_sandbox_over_none %.3f" % (s.median(ot) / s.median(ft)))
print("RATIO loader_images_per_s_sandbox_over_none %.3f" % (s.median(oi) / s.median(fi)))
PY
