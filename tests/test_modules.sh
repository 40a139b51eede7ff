#!/bin/bash
# test_modules.sh — the module arrows: scripts/check_modules.sh passes on
# the tree, and (its self-test) fails, naming file, line and arrow, on a
# tree with a bad include of each kind ("..." and <...>, an internal header
# in a public one) and on a table with a cycle.
# usage: bash test_modules.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
SRC=$2
WORK=$3
CHECK=$SRC/scripts/check_modules.sh
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

bash "$CHECK" "$SRC" > "$WORK/tree.txt" 2>&1 || { cat "$WORK/tree.txt"; fail "the tree breaks the module table"; }
cat "$WORK/tree.txt"

# fake ROOT: the real table, one source file; expect_bad LINE FILE TEXT
fake() {
    rm -rf "$WORK/root" && mkdir -p "$WORK/root/docs" "$WORK/root/src/$1" "$WORK/root/include/ramp" || exit 1
    cp "$SRC/docs/architecture.md" "$WORK/root/docs/" || exit 1
}
expect_bad() { # expect_bad WHAT PATTERN: the check fails with a line matching PATTERN
    bash "$CHECK" "$WORK/root" > "$WORK/out.txt" 2>&1
    local rc=$?
    cat "$WORK/out.txt"
    [ $rc -eq 1 ] || fail "$1: exit $rc, expected 1"
    grep -qF -- "$2" "$WORK/out.txt" || fail "$1: no line '$2'"
}

# score may not include data's public header (Data depends on Score, not back)
fake score
printf '#include <stdio.h>\n\n#include "ramp/problem.h"\n' > "$WORK/root/src/score/bad.c"
expect_bad "public arrow" 'src/score/bad.c:3: score -> data (public header, #include "ramp/problem.h") is not allowed'

# the engine may not include the loader's internals
fake nn
printf '#include "core/coreInt.h"\n#include "loader/x.h"\n' > "$WORK/root/src/nn/bad.c"
expect_bad "internal arrow" 'src/nn/bad.c:2: nn -> loader (internal header, #include "loader/x.h") is not allowed'

# a public header of the data module may not include the loader's
fake data
printf '#include "ramp/status.h"\n#include "ramp/loader.h"\n' > "$WORK/root/include/ramp/dataset.h"
printf '#include "ramp/dataset.h"\n' > "$WORK/root/src/data/ok.c"
expect_bad "public header" 'include/ramp/dataset.h:2: data -> loader (public header'

# the <...> forms: include/ and src/ are both on the include path, so
# <ramp/x.h> and <module/x.h> are checked as their quoted forms are
fake score
printf '#include <stdio.h>\n#include <ramp/problem.h>\n' > "$WORK/root/src/score/bad.c"
expect_bad "public arrow, <>" 'src/score/bad.c:2: score -> data (public header, #include <ramp/problem.h>) is not allowed'
fake nn
printf '#include <sys/types.h>\n#include <loader/x.h>\n' > "$WORK/root/src/nn/bad.c"
expect_bad "internal arrow, <>" 'src/nn/bad.c:2: nn -> loader (internal header, #include <loader/x.h>) is not allowed'
fake core
printf '#include <ramp/nope.h>\n' > "$WORK/root/src/core/bad.c"
expect_bad "unknown header, <>" 'src/core/bad.c:1: #include <ramp/nope.h>: no module'

# a public header includes public headers only, even an internal one its
# module may include from src/ (its users have include/ alone)
fake image
printf '#include "ramp/status.h"\n#include "core/coreInt.h"\n' > "$WORK/root/include/ramp/image.h"
expect_bad "internal header in a public one" 'include/ramp/image.h:2: #include "core/coreInt.h": a public header includes ramp/<name>.h only'
fake image
printf '#include <ramp/status.h>\n#include <core/coreInt.h>\n' > "$WORK/root/include/ramp/image.h"
expect_bad "internal header in a public one, <>" 'include/ramp/image.h:2: #include <core/coreInt.h>: a public header includes ramp/<name>.h only'

# headers and folders the table does not know
fake core
printf '#include "ramp/nope.h"\n' > "$WORK/root/src/core/bad.c"
expect_bad "unknown header" 'src/core/bad.c:1: #include "ramp/nope.h": no module'
fake nomodule
printf '#include "ramp/status.h"\n' > "$WORK/root/src/nomodule/x.c"
expect_bad "unknown folder" 'src/nomodule/x.c: belongs to no module'

# a cycle in the table itself
fake score
printf '#include "ramp/score.h"\n' > "$WORK/root/src/score/ok.c"
sed -i 's/^| score | \(.*\) | core | core |$/| score | \1 | core data | core |/' "$WORK/root/docs/architecture.md"
grep -q '^| score |.*| core data | core |$' "$WORK/root/docs/architecture.md" || fail "could not make the cyclic table"
expect_bad "cycle" 'the module table has a cycle'

# and a good fake tree passes (system and dependency headers are not the
# table's), warning about the arrows it allows that no include takes
fake score
printf '#include <stdio.h>\n#include <sys/types.h>\n#include <nettle/sha2.h>\n#include "core/coreInt.h"\n#include <ramp/status.h>\n#include "scoreInt.h"\n#include <score/blendInt.h>\n' > "$WORK/root/src/score/ok.c"
bash "$CHECK" "$WORK/root" > "$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt"; fail "a good tree failed"; }
grep -qxF 'warning: docs/architecture.md: nn -> core (uses) is taken by no include' "$WORK/out.txt" \
    || { cat "$WORK/out.txt"; fail "no warning for the unused arrow nn -> core"; }
grep -qF 'score -> core' "$WORK/out.txt" && { cat "$WORK/out.txt"; fail "a warning for score -> core, which ok.c takes"; }
echo "ok: the module table holds, and its check catches each kind of bad include"
