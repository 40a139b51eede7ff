#!/usr/bin/env bash
# Python submissions through the embedded interpreter (ramp_python.so):
# every mix of Python and C files, the seed's Python preprocessor verbatim
# with a PyTorch classifier on an RGB JPEG kit, and failures (an exception in
# fit with its traceback, an exception in transform, a syntax error, NaN
# probabilities) reported per fold and step.
# Skipped, with a message, only when the plugin was not built (no python3-dev
# or numpy). It runs as is in the ASan+UBSan build too (the plugin is then
# instrumented; libpython, numpy and torch are not, which ASan tolerates).
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
fx=$src/tests/fixtures/python

if [ ! -e "$(dirname "$ramp")/ramp_python.so" ]; then
    echo "SKIP: ramp_python.so was not built (python3-dev and python3-numpy are needed)"
    exit 77
fi

"$ramp" data fashion-mnist --out "$work/data" --limit-train 300 --limit-test 100 >/dev/null \
    || fail "cannot build the PNG data"
kit=$work/kit
mkdir -p "$kit/submissions"
sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/fashion_mnist/problem.ini" > "$kit/problem.ini"

sub() { # sub NAME FILE...: a submission folder with these files
    local d=$kit/submissions/$1; shift
    mkdir -p "$d"; cp "$@" "$d/"
}
sub pypy "$fx/image_preprocessor.py" "$fx/batch_classifier.py"
sub cpy "$src/tests/fixtures/submissions/image_preprocessor.c" "$fx/batch_classifier.py"
sub pyc "$fx/image_preprocessor.py" "$src/tests/fixtures/submissions/batch_classifier.c"
sub fit_error "$fx/image_preprocessor.py" "$fx/batch_classifier.py"
sed -i "s/^BUG = None/BUG = 'fit'/" "$kit/submissions/fit_error/batch_classifier.py"
sub nan "$fx/image_preprocessor.py" "$fx/batch_classifier.py"
sed -i "s/^BUG = None/BUG = 'nan'/" "$kit/submissions/nan/batch_classifier.py"
sub syntax "$fx/image_preprocessor.py" "$fx/batch_classifier.py"
printf 'def broken(:\n    pass\n' >> "$kit/submissions/syntax/batch_classifier.py"
sub tf_error "$fx/image_preprocessor.py" "$src/tests/fixtures/submissions/batch_classifier.c"
printf 'def transform(x):\n    raise KeyError("no such pixel")\n' >> "$kit/submissions/tf_error/image_preprocessor.py"

good() { # good NAME [ENV=VALUE]: exit 0, scored
    local name=$1; shift
    env "$@" "$ramp" test --kit "$kit" --data "$work/data/data" --submission "$name" \
        > "$work/$name.out" 2>&1 || { cat "$work/$name.out"; fail "$name: non-zero exit"; }
    grep -q "Bagged scores" "$work/$name.out" || { cat "$work/$name.out"; fail "$name: not scored"; }
    echo "ok: $name $*"
}
good pypy
good pypy RAMP_PY_TRANSFORM=threads
good cpy
good pyc
good pyc RAMP_PY_TRANSFORM=threads
# a process forked in fit and left sleeping: the fold still ends when its
# work does (the Python transform workers' pipes, inherited by the sleeper,
# once kept them from reading EOF, and the fold waited for its --timeout)
sub sleeper "$fx/image_preprocessor.py" "$fx/batch_classifier.py"
sed -i "s/^BUG = None/BUG = 'sleeper'/" "$kit/submissions/sleeper/batch_classifier.py"
t0=$SECONDS
"$ramp" test --kit "$kit" --data "$work/data/data" --submission sleeper --quick-test --timeout 90 \
    > "$work/sleeper.out" 2>&1 || { cat "$work/sleeper.out"; fail "sleeper: non-zero exit (waited for the sleeping child?)"; }
grep -q "Bagged scores" "$work/sleeper.out" || { cat "$work/sleeper.out"; fail "sleeper: not scored"; }
[ $((SECONDS - t0)) -lt 80 ] || fail "sleeper: ramp test took $((SECONDS - t0)) s (waited for the sleeping child?)"
echo "ok: sleeper: a child forked in fit and left sleeping does not hold the fold ($((SECONDS - t0)) s)"
# the numpy classifier learns something (chance is 0.10)
acc=$(awk '/Bagged scores/{b=1} b && $1=="test"{print $2; exit}' "$work/pypy.out")
awk -v a="$acc" 'BEGIN{exit !(a > 0.3)}' || fail "pypy: bagged test accuracy $acc"

expect() { # expect NAME PATTERN...: exit 1 and each pattern in the output
    local name=$1; shift
    "$ramp" test --kit "$kit" --data "$work/data/data" --submission "$name" --timeout 60 \
        > "$work/$name.out" 2>&1
    local rc=$?
    [ $rc -eq 1 ] || { cat "$work/$name.out"; fail "$name: exit code $rc, expected 1"; }
    for pat in "$@"; do
        grep -q -- "$pat" "$work/$name.out" || { cat "$work/$name.out"; fail "$name: no '$pat' in the output"; }
    done
    echo "ok: $name"
}
expect fit_error "training_error: batch_classifier.py: fit raised ValueError: deliberate failure in fit" \
    "Traceback (most recent call last)" 'batch_classifier.py", line [0-9]*, in fit'
expect nan "training_error" "is NaN"
expect syntax "training_error" "does not compile (Python syntax error)" "SyntaxError"
expect tf_error "training_error" "transform raised KeyError: 'no such pixel'"

# an activated virtualenv's site-packages (and ramp's rampwf) are importable in
# the fold; a virtualenv of another Python is named
pyver=$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
venv=$work/venv
mkdir -p "$venv/lib/$pyver/site-packages/venvmark"
echo "MARK = 'from the virtualenv'" > "$venv/lib/$pyver/site-packages/venvmark/__init__.py"
sub venv "$fx/image_preprocessor.py" "$fx/batch_classifier.py"
cat >> "$kit/submissions/venv/batch_classifier.py" <<'PY'
import venvmark
from rampwf.workflows.image_classifier import get_nb_minibatches
assert get_nb_minibatches(10, 3) == 4
print("VENVMARK", venvmark.MARK)
PY
VIRTUAL_ENV=$venv "$ramp" test --kit "$kit" --data "$work/data/data" --submission venv --timeout 60 \
    > "$work/venv.out" 2>&1 || { cat "$work/venv.out"; fail "venv: non-zero exit"; }
grep -q "VENVMARK from the virtualenv" "$kit/submissions/venv/.ramp-build/fold_0.log" \
    || fail "venv: the virtualenv's package was not imported"
mkdir -p "$work/venv_other/lib/python3.99/site-packages"
VIRTUAL_ENV=$work/venv_other "$ramp" test --kit "$kit" --data "$work/data/data" --submission pypy \
    --timeout 60 > "$work/venv_other.out" 2>&1 && fail "venv_other: accepted"
grep -q "has no $pyver/site-packages (it has python3.99)" "$work/venv_other.out" \
    || { cat "$work/venv_other.out"; fail "venv_other: no message naming the Python versions"; }
echo "ok: virtualenv"

# the seed's preprocessor, verbatim, with a PyTorch CNN on an RGB JPEG kit
if /usr/bin/python3 -c "import torch, skimage" 2>/dev/null; then
    "$ramp" data fashion-mnist --out "$work/jpg" --format jpg --size 64 --rgb \
        --limit-train 200 --limit-test 60 >/dev/null || fail "cannot build the JPEG data"
    sub seed_torch "$fx/seed_image_preprocessor.py" "$src/kits/fashion_mnist/submissions/torch_cnn/batch_classifier.py"
    mv "$kit/submissions/seed_torch/seed_image_preprocessor.py" "$kit/submissions/seed_torch/image_preprocessor.py"
    "$ramp" test --kit "$kit" --data "$work/jpg/data" --submission seed_torch --quick-test \
        > "$work/seed_torch.out" 2>&1 || { cat "$work/seed_torch.out"; fail "seed_torch: non-zero exit"; }
    grep -q "Bagged scores" "$work/seed_torch.out" || fail "seed_torch: not scored"
    echo "ok: seed preprocessor + PyTorch on the RGB JPEG kit"
else
    echo "SKIPPED: seed_torch (python3-torch or python3-skimage missing); every other part passed"
    exit 77
fi
echo "all Python submission tests passed"
