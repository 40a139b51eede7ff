#!/usr/bin/env bash
# libramp.so and the ramp tool (which submissions and the Python plugin link
# against at load time) export the public ramp_ API only: no ramp__ internal,
# nothing unprefixed of ramp's own (cmake/ramp.map).
set -euo pipefail
ramp=$1
build=$(dirname "$ramp")
fail() { echo "FAIL: $*"; exit 1; }
lib=$build/libramp.so
[ -e "$lib" ] || fail "no libramp.so beside $ramp"
for f in "$lib" "$ramp"; do
    syms=$(nm -D --defined-only "$f" | awk '{print $3}')
    internal=$(grep '^ramp__' <<<"$syms" || true)
    [ -z "$internal" ] || fail "$(basename "$f") exports $(wc -l <<<"$internal") ramp__ internal(s): $(head -5 <<<"$internal" | tr '\n' ' ')"
    # the rest is ramp_, glibc's copy-relocated data (stdout@GLIBC_2.2.5) or
    # the implementation's own (a sanitizer's __asan_ variables)
    other=$(grep -v '^ramp_' <<<"$syms" | grep -v '@' | grep -v '^__' || true)
    [ -z "$other" ] || fail "$(basename "$f") exports non-ramp_ names: $(head -5 <<<"$other" | tr '\n' ' ')"
    for want in ramp_pp_new ramp_strerror ramp_net_new ramp_gen_next; do
        grep -qx "$want" <<<"$syms" || fail "$(basename "$f") does not export $want"
    done
    echo "ok: $(basename "$f") exports $(grep -c '^ramp_' <<<"$syms") ramp_ names and no ramp__ internal"
done
