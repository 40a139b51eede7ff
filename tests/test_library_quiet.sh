#!/bin/bash
# test_library_quiet.sh — the library never reads the environment nor writes
# to stdout or stderr: only the command-line tool (src/cli/) does, and hands
# the library what it found (ramp__build_opts, ramp__http_opts, a log
# descriptor). Fails naming each call in src/ outside src/cli/ to getenv and
# its kin, environ, printf/puts/perror, or stdout, stderr, descriptors 1 and 2.
# usage: bash test_library_quiet.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -u
SRC=$2
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
command -v gcc > /dev/null || { echo "SKIP: no gcc to strip comments"; exit 77; }

bad='\<(getenv|secure_getenv|putenv|setenv|unsetenv|clearenv|printf|vprintf|puts|putchar|perror)[[:space:]]*\('
bad="$bad|\\<(environ|stdout|stderr|STDOUT_FILENO|STDERR_FILENO)\\>"
bad="$bad|\\<(write|dprintf)[[:space:]]*\\([[:space:]]*[12][[:space:]]*,"
n=0
found=0
while IFS= read -r f; do
    n=$((n + 1))
    # the code alone: comments out (the preprocessor, includes not expanded),
    # then string and character literals emptied
    # (the line markers give each line its number in the file)
    gcc -fpreprocessed -dD -E -x c "$f" 2> /dev/null |
        sed -E 's/"([^"\\]|\\.)*"/""/g; s/'"'"'([^'"'"'\\]|\\.)*'"'"'/0/g' |
        awk '/^# [0-9]+ / { line = $2; next } { print line ": " $0; line++ }' > "$WORK/code" ||
        { echo "FAIL: cannot read $f"; exit 1; }
    if grep -E "^[0-9]+: .*($bad)" "$WORK/code" > "$WORK/hits"; then
        found=1
        sed "s|^|${f#"$SRC"/}:|" "$WORK/hits"
    fi
done < <(find "$SRC/src" -path "$SRC/src/cli" -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print | sort)
[ "$n" -gt 50 ] || { echo "FAIL: only $n source files found under $SRC/src"; exit 1; }
if [ $found -ne 0 ]; then
    echo "FAIL: the library reads the environment or prints (above)"
    exit 1
fi
# the check finds what it looks for
printf 'int f(void) { return getenv("HOME") != 0; }\n/* printf( in a comment */\n' > "$WORK/probe.c"
gcc -fpreprocessed -dD -E -P -x c "$WORK/probe.c" | grep -qE "$bad" || { echo "FAIL: the probe's getenv went unseen"; exit 1; }
printf '/* printf( in a comment */ const char *s = "stdout";\n' > "$WORK/probe.c"
gcc -fpreprocessed -dD -E -P -x c "$WORK/probe.c" | sed -E 's/"([^"\\]|\\.)*"/""/g' | grep -qE "$bad" &&
    { echo "FAIL: a comment or a string counted as a call"; exit 1; }
echo "ok: $n library files neither read the environment nor print"
