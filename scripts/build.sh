#!/usr/bin/env bash
# Configures and builds ramp into build/ (Release flags, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMP_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
