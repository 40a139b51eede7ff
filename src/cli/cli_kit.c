/* cli_kit.c — the command line's side of opening a kit: the user's Python (the
 * activated virtualenv's, else conda's, else the Python ramp was built for),
 * ramp's reader of RAMP kits beside this program, and $TMPDIR, handed to
 * the data module's loader (src/data/kit_load.c) in its options; and the
 * report of a failed load on stderr.
 *
 * Only this layer reads the environment; the library never does.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

#ifndef RAMP_PYTHON_EXE
#define RAMP_PYTHON_EXE "python3" /* built without the Python plugin */
#endif

const char *ramp__cli_py_env(const char **which)
{
    const char *names[2] = {"VIRTUAL_ENV", "CONDA_PREFIX"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        if (v && v[0]) {
            if (which) *which = names[i];
            return v;
        }
    }
    return NULL;
}

int ramp__cli_reader(char *script, size_t slen, char *python, size_t plen)
{
    char exe[4096];
    if (ramp__cli_exe(exe, sizeof exe) != 0) return -1;
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    const char *cand[2] = {"%s/python/ramp_problem.py", "%s/../share/ramp/python/ramp_problem.py"};
    int found = 0;
    for (int i = 0; i < 2 && !found; i++) {
        snprintf(script, slen, cand[i], exe);
        found = is_file(script);
    }
    if (!found) {
        snprintf(script, slen, "%s/python/ramp_problem.py", exe);
        return -1;
    }
    /* the environment the folds' Python will add, else the Python ramp was
       built for (the folds' own: a python3 on PATH may be another one) */
    const char *env = ramp__cli_py_env(NULL);
    if (env)
        snprintf(python, plen, "%s/bin/python", env);
    else
        snprintf(python, plen, "%s", RAMP_PYTHON_EXE);
    return 0;
}

char *ramp__cli_mkdtemp(const char *what)
{
    const char *base = getenv("TMPDIR");
    if (!base || !base[0]) base = "/tmp";
    size_t n = strlen(base) + strlen(what) + 16;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/ramp-%s-XXXXXX", base, what);
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

ramp_status ramp__cli_kit_load(ramp__kit *k, const ramp__kit_opts *o, ramp_err *err)
{
    char script[4096] = "", python[4096];
    ramp__kit_opts full = *o;
    /* a missing reader is reported by the loader, naming where it looked,
       and only for a kit that needs it */
    if (!full.reader || !full.python) {
        if (ramp__cli_reader(script, sizeof script, python, sizeof python) != 0)
            snprintf(python, sizeof python, "%s", RAMP_PYTHON_EXE);
        if (!full.reader) full.reader = script;
        if (!full.python) full.python = python;
    }
    if (!full.tmp_base) full.tmp_base = getenv("TMPDIR");
    return ramp__kit_load(k, &full, err);
}

ramp_status ramp__kit_open(ramp__kit *k, const char *kit_dir, const char *data_dir, ramp_err *err)
{
    ramp__kit_opts o = {.kit_dir = kit_dir, .data_dir = data_dir};
    return ramp__cli_kit_load(k, &o, err);
}

void ramp__kit_report(ramp__kit *k, const ramp_err *err)
{
    ramp__cli_error("%s", err->msg);
    if (k->reader_log && k->reader_log[0]) {
        size_t n = strlen(k->reader_log);
        fprintf(stderr, "%s%s", k->reader_log, k->reader_log[n - 1] == '\n' ? "" : "\n");
    }
    free(k->reader_log);
    k->reader_log = NULL;
}

