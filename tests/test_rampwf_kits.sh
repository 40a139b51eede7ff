#!/usr/bin/env bash
# RAMP kits as rampwf publishes them (problem.py, data/*.csv, data/imgs/),
# run unchanged by `ramp test`, with submissions written as the public kits'
# are (they import rampwf):
# - image: rw.workflows.ImageClassifier, 44 classes (40 of 2-6 images), ids
#   in a sub-folder, odd images (CMYK and gray JPEGs, RGBA, palette, 16-bit
#   gray and LA PNGs); torch_vgg (skimage resize + a small PyTorch CNN) must
#   learn, and the probe checks rampwf's contract from inside the fold;
# - simplified: rw.workflows.SimplifiedImageClassifier on Fashion-MNIST PNGs;
#   torch_simple must learn, and a probe checks the ImageLoader.
# The folds ramp used (the probe's X_array per fold) are compared with
# scikit-learn's StratifiedShuffleSplit on train.csv, the images a transform
# gets with skimage.io.imread, the draws of two runs with the same --seed.
# tests/fixtures/rampwf/check.py does the comparing; the kits are made by
# tests/fixtures/rampwf/make_kit.py.
# Skipped (exit 77) without python3 and its numpy, pandas, sklearn, skimage,
# PIL, torch, or without ramp_python.so beside ramp.
set -uo pipefail
ramp=$1 src=$2 work=$3
fx=$src/tests/fixtures/rampwf
fail() { echo "FAIL: $*"; exit 1; }

# the first python3 with every module (the plugin embeds /usr/bin/python3)
py='' missing=''
for cand in ${RAMP_TEST_PYTHON:-} /usr/bin/python3 python3; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if missing=$("$cand" -c '
import importlib.util as u
m = [n for n in ("numpy", "pandas", "sklearn", "skimage", "PIL", "torch") if not u.find_spec(n)]
print(" ".join(m)); raise SystemExit(1 if m else 0)'); then
        py=$(command -v "$cand"); break
    fi
done
if [ -z "$py" ]; then
    echo "SKIP: no python3 with numpy, pandas, sklearn, skimage, PIL and torch (${missing:-no python3})"
    exit 77
fi
if [ ! -e "$(dirname "$ramp")/ramp_python.so" ]; then
    echo "SKIP: ramp_python.so was not built beside $ramp"; exit 77
fi
rm -rf "$work"; mkdir -p "$work/bin"; work=$(cd "$work" && pwd)
# a python3 on PATH for anything that looks there (ramp's reader runs the
# Python ramp was built for when no virtualenv is active)
ln -s "$py" "$work/bin/python3"
export PATH=$work/bin:$PATH PYTHONDONTWRITEBYTECODE=1
start=$(date +%s)

"$ramp" data fashion-mnist --out "$work/fashion" --limit-train 300 --limit-test 100 >/dev/null \
    || fail "ramp data fashion-mnist (Debian's fashion-mnist data set is needed)"
"$py" "$fx/make_kit.py" image "$work/image" || fail "make_kit.py image"
"$py" "$fx/make_kit.py" simplified "$work/simplified" "$work/fashion" || fail "make_kit.py simplified"
cp -r "$fx/image/submissions/." "$work/image/submissions/"
cp -r "$fx/simplified/submissions/." "$work/simplified/submissions/"
if [ -e "$work/image/problem.ini" ] || [ -e "$work/simplified/problem.ini" ]; then
    fail "a kit has a problem.ini (RAMP kits have problem.py only)"
fi

# run KIT SUB NAME [ARGS...]: ramp test into $work/runs/NAME (its output,
# scores.json, the fold logs); status=1 on a non-zero exit
status=0
run() {
    local kname=$1 kit=$work/$1 sub=$2 name=$3; shift 3
    local out=$work/runs/$name t0=$SECONDS
    mkdir -p "$out"
    rm -f "$kit/submissions/$sub/.ramp-build/"fold_*.log  # none left from the run before
    "$ramp" test --kit "$kit" --submission "$sub" --json "$out/scores.json" "$@" \
        > "$out/out.txt" 2>&1
    local rc=$?
    cp "$kit/submissions/$sub/.ramp-build/"fold_*.log "$out/" 2>/dev/null
    if [ $rc -ne 0 ] || ! grep -q "Bagged scores" "$out/out.txt"; then
        tail -25 "$out/out.txt"
        echo "FAIL: ramp test --kit $kname --submission $sub $*: exit code $rc"
        status=1
        return 1
    fi
    echo "ok: ramp test --kit $kname --submission $sub $* ($((SECONDS - t0)) s)"
}

# an AddressSanitizer build: the probe skips its fork checks there (GCC 12's
# ASan allocator may deadlock a child forked from a threaded process)
# (not `ldd | grep -q` under pipefail: grep leaving at libasan, the first
# line, can kill ldd with SIGPIPE before its last line, and the build then
# looked plain: its fork checks were expected and missing)
case "$(ldd "$ramp" 2>/dev/null)" in *libasan*) export RAMP_TEST_ASAN=1 ;; esac
check() { "$py" "$fx/check.py" "$@" || status=1; }

run image probe probe_a --seed 3
run image probe probe_b --seed 3
run image probe probe_c --seed 4
check image-probe "$work/image" "$work/runs/probe_a" "$work/runs/probe_b" "$work/runs/probe_c"

run simplified probe sprobe --seed 3
check simplified-probe "$work/simplified" "$work/runs/sprobe"

# real submissions learn: chance is 0.156 (the largest test class) for the
# image kit, 0.1 for Fashion-MNIST
run image torch_vgg torch_vgg --quick-test
check scores "$work/runs/torch_vgg" accuracy 0.35
run simplified torch_simple torch_simple --quick-test
check scores "$work/runs/torch_simple" acc 0.5

echo "runtime: $(($(date +%s) - start)) s"
[ $status -eq 0 ] || fail "some checks failed (above)"
if [ "${RAMP_TEST_ASAN:-}" = 1 ]; then
    echo "SKIPPED: the fork checks (AddressSanitizer build); every other check passed"
    exit 77
fi
echo "all rampwf kit tests passed"
