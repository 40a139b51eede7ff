#!/usr/bin/env bash
# The public headers as their users compile them (syntax only, warnings as
# errors): every header alone in C11 and in C++17; the C++ form of nn.h's
# option structs (overloads taking them by reference: C++17 with named
# structs or positional fields, C++20 with designated initialisers), as a
# batch_classifier.cpp writes it; and the submission headers, which declare
# the unprefixed transform / batch_classifier_* functions, refusing to be
# included by the library (RAMP_BUILDING_LIBRARY). Skipped (77) without a
# C++ compiler; and, after every other check ran and passed, without C++20
# (the designated-initialiser form was not compiled).
set -euo pipefail
src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
CC=${CC:-cc} CXX=${CXX:-c++}
command -v "$CXX" >/dev/null || { echo "no C++ compiler ($CXX): skipped"; exit 77; }
inc="-I$src/include"
fail() { echo "FAIL: $*"; exit 1; }

for h in "$src"/include/ramp/*.h; do
    name=ramp/$(basename "$h")
    printf '#include <%s>\n' "$name" > "$work/one.c"
    "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only $inc "$work/one.c" \
        || fail "$name does not compile alone in C11"
    cp "$work/one.c" "$work/one.cpp"
    "$CXX" -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only $inc "$work/one.cpp" \
        || fail "$name does not compile alone in C++17"
done
echo "ok: every header alone, C11 and C++17"

cat > "$work/net17.cpp" <<'CPP'
#include <ramp/classifier.h>
#include <ramp/nn.h>
extern "C" ramp_status build(ramp_net **net, ramp_gen *train, size_t nb_train, ramp_err *err)
{
    ramp_net_params p{};
    p.channels = 1;
    p.height = p.width = 28;
    if (ramp_net_new(net, p, err)) return err->code;
    ramp_conv2d c{};
    c.filters = 32;
    c.kernel = 3;
    c.padding = 1;
    ramp_net_conv2d(*net, c);
    ramp_net_conv2d(*net, ramp_conv2d{16, 3, 1, 1, 0, 0, RAMP_INIT_DEFAULT, 1}); // dilation last
    ramp_net_relu(*net);
    ramp_net_flatten(*net);
    ramp_net_dense(*net, ramp_dense{10, 0, RAMP_INIT_DEFAULT});
    ramp_fit_opts o{};
    o.epochs = 1;
    return ramp_net_fit_generator(*net, train, nb_train, nullptr, 0, o);
}
CPP
"$CXX" -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only $inc "$work/net17.cpp" \
    || fail "nn.h's C++17 form does not compile"
echo "ok: nn.h in C++17 (named structs, positional temporaries)"

cat > "$work/net20.cpp" <<'CPP'
#include <ramp/nn.h>
ramp_status build(ramp_net **net, ramp_gen *train, size_t nb_train, ramp_err *err)
{
    if (ramp_net_new(net, ramp_net_params{.channels = 1, .height = 28, .width = 28, .seed = 42}, err))
        return err->code;
    ramp_net_conv2d(*net, ramp_conv2d{.filters = 32, .kernel = 3, .padding = 1});
    ramp_net_relu(*net);
    ramp_net_dense(*net, ramp_dense{.units = 10});
    return ramp_net_fit_generator(*net, train, nb_train, nullptr, 0,
                                  ramp_fit_opts{.epochs = 3, .lr = 0.01f, .momentum = 0.9f});
}
CPP
have_cxx20=0
if "$CXX" -std=c++20 -fsyntax-only -x c++ /dev/null 2>/dev/null; then
    have_cxx20=1
    # (g++'s -Wextra flags the fields a designated initialiser leaves out,
    # which C++20 zeroes as C does: that warning is off, as it is in the -Wall
    # a submission is compiled with)
    "$CXX" -std=c++20 -Wall -Wextra -Wno-missing-field-initializers -Wpedantic -Werror \
        -fsyntax-only $inc "$work/net20.cpp" \
        || fail "nn.h's C++20 form (designated initialisers) does not compile"
    echo "ok: nn.h in C++20 (designated initialisers)"
else
    echo "SKIP: no C++20 in $CXX: the designated-initialiser form is not checked"
fi

# the C compound-literal form of the header's example still compiles as C
cat > "$work/net.c" <<'C'
#include <ramp/nn.h>
ramp_status build(ramp_net **net, ramp_err *err);
ramp_status build(ramp_net **net, ramp_err *err)
{
    if (ramp_net_new(net, &(ramp_net_params){.channels = 1, .height = 28, .width = 28}, err))
        return err->code;
    return ramp_net_conv2d(*net, &(ramp_conv2d){.filters = 32, .kernel = 3, .padding = 1});
}
C
"$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only $inc "$work/net.c" \
    || fail "nn.h's C form does not compile"

for h in classifier preprocess submission_abi; do
    printf '#include <ramp/%s.h>\n' "$h" > "$work/lib.c"
    if "$CC" -std=c11 -DRAMP_BUILDING_LIBRARY -fsyntax-only $inc "$work/lib.c" 2> "$work/lib.err"; then
        fail "ramp/$h.h compiled inside the library (it declares unprefixed names)"
    fi
    grep -q "ramp/$h.h is for submissions" "$work/lib.err" || { cat "$work/lib.err"; fail "ramp/$h.h: not its own refusal"; }
done
grep -rlE '#include "ramp/(classifier|preprocess)\.h"' "$src/src" && fail "a library file includes a submission header"
# classifier.h declares the batch_classifier_* functions only: a classifier's
# file may use the name transform for something else
printf '#include <ramp/classifier.h>\nstatic int transform = 1;\nint main(void) { return transform - 1; }\n' > "$work/clf.c"
"$CC" -std=c11 -Wall -Werror -fsyntax-only $inc "$work/clf.c" \
    || fail "ramp/classifier.h declares transform (a preprocessor's name)"

echo "ok: the submission headers stay out of the library"
if [ $have_cxx20 = 0 ]; then
    echo "SKIPPED: nn.h's C++20 form was not compiled (no C++20 in $CXX); every check that ran passed"
    exit 77
fi
