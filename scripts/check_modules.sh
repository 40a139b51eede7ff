#!/usr/bin/env bash
# check_modules.sh — checks every #include in src/ and include/ramp/ against
# the module table in docs/architecture.md (between the modules:begin and
# modules:end markers): a module may include its own headers, the public
# headers (include/ramp/) of the modules in its "uses" column and the
# internal headers (src/<module>/*.h) of those in its "internals" column.
# Both include/ and src/ are on the include path, so <ramp/x.h> and
# <module/x.h> are checked as "ramp/x.h" and "module/x.h" are; other <...>
# headers (the system's, a dependency's) are not the table's. A public header
# includes public headers only ("ramp/x.h" or <ramp/x.h>): its users have
# include/ alone. Fails, naming file:line and the arrow, on an include the
# table does not allow, on a header or folder the table does not know, and on
# a cycle in the table itself; warns (without failing) about an arrow the
# table allows that no include takes.
# usage: scripts/check_modules.sh [ROOT]   (ROOT: the source tree, default ..)
set -uo pipefail
root=${1:-$(dirname "$0")/..}
doc=$root/docs/architecture.md
[ -f "$doc" ] || { echo "check_modules: no $doc" >&2; exit 2; }

# the table: "module|owns|uses|internals" per row
table=$(awk '/<!-- modules:begin -->/{on=1; next} /<!-- modules:end -->/{on=0}
    on && /^\|/ && !/^\| *---/ && !/^\| *module *\|/ {
        n = split($0, f, "|")
        for (i = 2; i <= 5; i++) { gsub(/^ +| +$/, "", f[i]); if (f[i] == "-") f[i] = "" }
        print f[2] "|" f[3] "|" f[4] "|" f[5]
    }' "$doc")
[ -n "$table" ] || { echo "check_modules: $doc has no module table" >&2; exit 2; }

# a cycle in the table (tsort names the modules on it)
edges=$(awk -F'|' '{ n = split($3 " " $4, d, " "); print $1, $1
    for (i = 1; i <= n; i++) if (d[i] != "" && d[i] != $1) print $1, d[i] }' <<<"$table")
if ! tsort <<<"$edges" > /dev/null 2> "${TMPDIR:-/tmp}/check_modules.$$"; then
    echo "$doc: the module table has a cycle:"
    sed 's/^/  /' "${TMPDIR:-/tmp}/check_modules.$$"
    rm -f "${TMPDIR:-/tmp}/check_modules.$$"
    exit 1
fi
rm -f "${TMPDIR:-/tmp}/check_modules.$$"

# every header and source file with its module, then each include line
files=()
while IFS= read -r f; do files+=("$f"); done < <(cd "$root" && find src include/ramp -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
[ ${#files[@]} -gt 0 ] || { echo "check_modules: no sources under $root" >&2; exit 2; }

cd "$root" && awk -v table="$table" -v doc="docs/architecture.md" '
BEGIN {
    n = split(table, rows, "\n")
    for (r = 1; r <= n; r++) {
        split(rows[r], f, "|"); m = f[1]; known[m] = 1
        k = split(f[2], w, " "); for (i = 1; i <= k; i++) owner[w[i]] = m
        k = split(f[3], w, " "); for (i = 1; i <= k; i++) uses[m, w[i]] = 1
        k = split(f[4], w, " "); for (i = 1; i <= k; i++) { internals[m, w[i]] = 1; uses[m, w[i]] = 1 }
    }
    bad = 0
}
FNR == 1 {
    # the module of this file: src/<module>/..., or the owner of include/ramp/<h>
    mod = ""
    if (FILENAME ~ /^src\//) { split(FILENAME, p, "/"); mod = p[2] }
    else { h = FILENAME; sub(/^include\/ramp\//, "", h); mod = owner[h] }
    if (mod == "" || !(mod in known)) {
        printf "%s: belongs to no module of %s\n", FILENAME, doc; bad++; nextfile
    }
}
/^[ \t]*#[ \t]*include[ \t]*["<]/ {
    inc = $0; sub(/^[^"<]*["<]/, "", inc)
    quoted = (substr($0, index($0, "include"), length($0)) ~ /^include[ \t]*"/)
    if (quoted) { sub(/".*$/, "", inc); spelled = "\"" inc "\"" }
    else { sub(/>.*$/, "", inc); spelled = "<" inc ">" }
    pub_file = (FILENAME !~ /^src\//)
    if (inc ~ /^ramp\//) {
        h = inc; sub(/^ramp\//, "", h); to = owner[h]; kind = "public"
        if (to == "") { printf "%s:%d: #include %s: no module of %s owns %s\n", FILENAME, FNR, spelled, doc, h; bad++; next }
    } else if (inc ~ /\//) {
        split(inc, p, "/"); to = p[1]; kind = "internal"
        if (!(to in known)) {
            if (!quoted) next  # <sys/types.h>, a header of a dependency
            printf "%s:%d: #include %s: %s is no module of %s\n", FILENAME, FNR, spelled, to, doc; bad++; next
        }
    } else {
        if (!quoted) next  # <stdio.h>
        to = mod; kind = "own"  # a header beside the file
    }
    # a public header is compiled by users of the library, who have include/ only
    if (pub_file && kind != "public") {
        printf "%s:%d: #include %s: a public header includes ramp/<name>.h only\n", FILENAME, FNR, spelled; bad++; next
    }
    if (to == mod) next
    if (kind == "public" && (mod, to) in uses) { used_pub[mod, to] = 1; next }
    if (kind == "internal" && (mod, to) in internals) { used_int[mod, to] = 1; next }
    printf "%s:%d: %s -> %s (%s header, #include %s) is not allowed by %s\n", FILENAME, FNR, mod, to, kind, spelled, doc
    bad++
}
END {
    if (bad) { printf "%d include(s) break the module table\n", bad; exit 1 }
    # arrows the table allows that no include takes: a warning, not a failure
    for (r = 1; r <= n; r++) {
        split(rows[r], f, "|"); m = f[1]
        k = split(f[3], w, " ")
        for (i = 1; i <= k; i++) if (!((m, w[i]) in used_pub) && !((m, w[i]) in used_int))
            printf "warning: %s: %s -> %s (uses) is taken by no include\n", doc, m, w[i]
        k = split(f[4], w, " ")
        for (i = 1; i <= k; i++) if (!((m, w[i]) in used_int))
            printf "warning: %s: %s -> %s (internals) is taken by no include\n", doc, m, w[i]
    }
}
' "${files[@]}" || exit 1
echo "check_modules: ${#files[@]} files follow the module table"
