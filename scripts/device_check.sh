#!/usr/bin/env bash
# device_check.sh — on a GPU machine (the one to plan for: an H200, 16
# cores, the CUDA toolkit with cuDNN, no package registry), builds ramp with
# its CUDA backend and runs the CUDA tests, in under 8 minutes, then prints
# a summary. The Debian libraries ramp links come with the tree as .debs
# (scripts/fetch_gpu_debs.sh on a build machine), unpacked here with
# `dpkg -x` into a prefix; nothing is installed.
#   scripts/device_check.sh [DEPS_DIR]   (default: gpu-deps/)
# Environment: JOBS (default: the cores), CUDA_HOME (default /usr/local/cuda),
# CUDNN_ROOT (when cuDNN is outside the toolkit, e.g. PyTorch's wheel:
# python3 -c 'import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))').
# Exit status: 0 when every CUDA test passed (none skipped), 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
deps=${1:-gpu-deps}
jobs=${JOBS:-$(nproc)}
cuda=${CUDA_HOME:-/usr/local/cuda}
work=$root/build-gpu
t0=$(date +%s)
summary=()
note() { summary+=("$*"); echo "== $*"; }
left() { echo $((480 - ($(date +%s) - t0))); } # seconds left of the 8 minutes

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -8
"$cuda/bin/nvcc" --version 2>&1 | tail -1
nproc

# --- the libraries: unpack the .debs into a prefix ---------------------------
prefix=$work/prefix
mkdir -p "$prefix"
if [ -d "$deps/debs" ]; then
    for d in "$deps"/debs/*.deb; do dpkg -x "$d" "$prefix" || note "FAIL unpack $d"; done
    # their pkg-config files name /usr: point them at the prefix
    find "$prefix" -name '*.pc' -exec sed -i "s|=/usr|=$prefix/usr|g" {} +
    arch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
    lib=$prefix/usr/lib/$arch
    export CPATH=$prefix/usr/include${CPATH:+:$CPATH}
    export LIBRARY_PATH=$lib${LIBRARY_PATH:+:$LIBRARY_PATH}
    export LD_LIBRARY_PATH=$lib:$cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export PKG_CONFIG_PATH=$lib/pkgconfig:$prefix/usr/share/pkgconfig
    export PATH=$prefix/usr/bin:$PATH
    note "deps: $(ls "$deps"/debs/*.deb | wc -l) .debs unpacked into $prefix"
else
    note "deps: no $deps/debs: using the machine's own libraries"
fi
# CMake ≥ 3.24: the wheel's, else the machine's, else the .debs' (--cmake)
cmake=cmake
if ! cmake --version 2>/dev/null | awk 'NR==1 { split($3, v, "."); exit !(v[1] > 3 || (v[1] == 3 && v[2] >= 24)) }' &&
    [ -x "$prefix/usr/bin/cmake" ]; then
    cmake=$prefix/usr/bin/cmake
fi
if [ -n "$(ls "$deps"/wheels/cmake-*.whl 2>/dev/null)" ]; then
    python3 -m zipfile -e "$(ls "$deps"/wheels/cmake-*.whl | head -1)" "$work/cmake-wheel" &&
        cmake=$(find "$work/cmake-wheel" -path '*/bin/cmake' -type f | head -1) && chmod +x "$cmake" \
            "$(dirname "$cmake")"/* 2>/dev/null
fi
"$cmake" --version | head -1 || { note "FAIL no cmake"; exit 1; }

# --- configure and build only what the CUDA tests need ------------------------
cfg=(-S "$root" -B "$work" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMP_CUDA=ON -DRAMP_WERROR=ON
     -DRAMP_WITH_PLATFORM=OFF -DRAMP_WITH_ONNX=OFF -DRAMP_WITH_PYTHON=OFF
     -DCMAKE_PREFIX_PATH="$prefix/usr" -DCUDAToolkit_ROOT="$cuda"
     -DCMAKE_CUDA_COMPILER="$cuda/bin/nvcc")
[ -n "${CUDNN_ROOT:-}" ] && cfg+=(-DCUDNN_ROOT="$CUDNN_ROOT")
if timeout "$(left)" "$cmake" "${cfg[@]}" > "$work/configure.log" 2>&1; then
    note "configure: ok ($(grep -o 'CUDA backend: .*' "$work/configure.log"))"
else
    tail -30 "$work/configure.log"
    note "FAIL configure (log: $work/configure.log)"
    printf '%s\n' "${summary[@]}"
    exit 1
fi
targets=(ramp test_nn_device test_nn_cuda test_sandbox_dev bench_gpu bench_busy)
if timeout "$(left)" "$cmake" --build "$work" -j "$jobs" --target "${targets[@]}" \
    > "$work/build.log" 2>&1; then
    note "build: ok in $(( $(date +%s) - t0 )) s"
else
    grep -E "error|Error" "$work/build.log" | head -30
    note "FAIL build (log: $work/build.log)"
    printf '%s\n' "${summary[@]}"
    exit 1
fi
"$work/ramp" --version

# --- the tests: the GPU entries must pass, not skip ----------------------------
cd "$work" || exit 1
timeout "$(left)" ctest -R "test_nn_device|test_nn_cuda|test_sandbox_dev" --output-on-failure \
    > "$work/ctest.log" 2>&1
tail -60 "$work/ctest.log"
status=0
for t in test_nn_device test_nn_device_gpu test_nn_cuda test_nn_cuda_gpu test_sandbox_dev \
    test_sandbox_dev_gpu; do
    line=$(grep -E " $t \.+" "$work/ctest.log" | head -1)
    case "$line" in
    *Passed*) note "PASS $t" ;;
    *Skipped*) note "SKIP $t (a GPU test skipped on the GPU machine is a failure here)"; status=1 ;;
    "") note "MISSING $t (did not run: out of time?)"; status=1 ;;
    *) note "FAIL $t"; status=1 ;;
    esac
done

# --- the cnn submission on the GPU and on the CPU, quick, if the data is here --
# (fetch_gpu_debs.sh brings Debian's dataset-fashion-mnist; the folds run
# without the sandbox: its libraries are in the prefix, which the sandbox
# does not show; test_sandbox_dev_gpu checks the driver inside it)
src=$prefix/usr/share/datasets/fashion-mnist
kit=$work/fashion_mnist
if [ -d "$src" ] && [ "$(left)" -gt 120 ]; then
    "$work/ramp" data fashion-mnist --out "$kit" --source "$src" --limit-train 6000 \
        --limit-test 1000 --threads "$jobs" --force > "$work/data.log" 2>&1 ||
        note "FAIL ramp data fashion-mnist (log: $work/data.log)"
    for dev in cuda cpu; do
        [ "$(left)" -gt 40 ] || { note "skipped: ramp test --device $dev (no time left)"; continue; }
        if timeout "$(( $(left) - 20 ))" "$work/ramp" test --kit "$kit" \
            --ramp-submission-dir "$root/kits/fashion_mnist/submissions" --submission cnn \
            --quick-test --device "$dev" --no-sandbox > "$work/kit_$dev.log" 2>&1; then
            note "PASS ramp test --device $dev (cnn, quick): $(grep -E '^[[:space:]]+(valid|test) ' "$work/kit_$dev.log" | tail -2 | tr -s ' \t' ' ' | tr '\n' ';')"
        else
            tail -20 "$work/kit_$dev.log"
            note "FAIL ramp test --device $dev (log: $work/kit_$dev.log)"
            status=1
        fi
    done
else
    note "skipped: ramp test --device cuda (no dataset-fashion-mnist in $deps, or no time left)"
fi

# the GPU benches, with what time is left: the engine beside PyTorch CUDA on
# the reference CNN, ResNet-8 and ResNet-18 (bench/gpu/run.sh's RATIO line),
# then how busy ResNet-18 keeps the GPU when each side's loader feeds it from
# JPEG files (bench/gpu/busy.sh: a 1024-photo kit made here, 5 warm-up steps
# and one epoch's worth timed; its RATIO gpu_busy_*, gpu_util_*,
# gpu_epoch_ramp_vs_torch). The second keeps `busy_need` seconds for itself
# when there is time for both.
busy_need=150
gpu_limit=$(( $(left) - 10 ))
[ "$(left)" -gt $((60 + busy_need)) ] && gpu_limit=$(( $(left) - busy_need ))
if [ "$(left)" -gt 60 ]; then
    if timeout "$gpu_limit" "$root/bench/gpu/run.sh" "$work" 10 64 cuda \
        > "$work/bench_gpu.log" 2>&1; then
        note "bench/gpu: $(grep -E '^(ENGINE|SKIP)' "$work/bench_gpu.log" | tr '\n' ';') $(tail -1 "$work/bench_gpu.log")"
    else
        tail -5 "$work/bench_gpu.log"
        note "bench/gpu: stopped or failed (log: $work/bench_gpu.log)"
    fi
else
    note "skipped: bench/gpu (no time left)"
fi
if [ "$(left)" -gt 60 ]; then
    if timeout "$(( $(left) - 10 ))" "$root/bench/gpu/busy.sh" --build "$work" --work "$work/busy" \
        --device cuda --photos 1024 --warmup 5 > "$work/bench_busy.log" 2>&1; then
        note "bench/gpu/busy.sh: $(grep -E '^(BUSY|SKIP)' "$work/bench_busy.log" | tr '\n' ';') $(tail -1 "$work/bench_busy.log")"
    else
        tail -5 "$work/bench_busy.log"
        note "bench/gpu/busy.sh: stopped or failed (log: $work/bench_busy.log)"
    fi
else
    note "skipped: bench/gpu/busy.sh (no time left)"
fi

echo
echo "== device_check summary ($(( $(date +%s) - t0 )) s of 480)"
printf '%s\n' "${summary[@]}"
exit $status
