/* tools.c — what the command line hands the library instead of letting it
 * read the environment: the compilers ($RAMP_CC, $RAMP_CXX), the Python
 * that checks .py files ($RAMP_PYTHON), ramp's public headers
 * ($RAMP_INCLUDE_DIR), the Python plugin ($RAMP_PYTHON_PLUGIN) and how
 * Python transforms run ($RAMP_PY_TRANSFORM). Files are found from this
 * program's own place (/proc/self/exe), never from a path baked in at build
 * time: a build folder and an install both work wherever they are. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cliInt.h"
#include "submission/pyplugin.h"
#include "submission/submissionInt.h"

#ifndef RAMP_PYTHON_EXE
#define RAMP_PYTHON_EXE "python3" /* built without the Python plugin */
#endif
/* where an install puts the plugin, relative to the prefix */
#ifndef RAMP_PLUGIN_LIBDIR
#define RAMP_PLUGIN_LIBDIR "lib/ramp"
#endif
/* the install's headers, when neither place beside the program has them */
#ifndef RAMP_INSTALL_INCLUDEDIR
#define RAMP_INSTALL_INCLUDEDIR "/usr/local/include"
#endif

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && v[0] ? v : dflt;
}

static int has_headers(const char *inc)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/ramp/classifier.h", inc);
    return stat(p, &sb) == 0;
}

void ramp__cli_tools_find(ramp__cli_tools *t)
{
    memset(t, 0, sizeof *t);
    t->cc = env_or("RAMP_CC", NULL);
    t->cxx = env_or("RAMP_CXX", NULL);
    t->python = env_or("RAMP_PYTHON", RAMP_PYTHON_EXE);
    const char *m = getenv("RAMP_PY_TRANSFORM");
    t->py_threads = m && strcmp(m, "threads") == 0;

    char dir[4096] = "";
    if (ramp__cli_exe(dir, sizeof dir) == 0) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            dir[0] = '\0';
    }

    /* the headers: an install's (or a build folder inside the source tree)
       ../include, a build folder's include (a link CMake makes to the
       source's), else the install prefix's */
    const char *inc = getenv("RAMP_INCLUDE_DIR");
    if (inc && inc[0]) {
        snprintf(t->include_dir, sizeof t->include_dir, "%s", inc);
    } else {
        const char *cand[2] = {"%s/../include", "%s/include"};
        int found = 0;
        for (int i = 0; i < 2 && dir[0] && !found; i++) {
            snprintf(t->include_dir, sizeof t->include_dir, cand[i], dir);
            found = has_headers(t->include_dir);
        }
        if (!found) snprintf(t->include_dir, sizeof t->include_dir, "%s", RAMP_INSTALL_INCLUDEDIR);
    }

    /* the plugin: beside this program (a build folder), else an install's
       <prefix>/LIBDIR/ramp/ */
    const char *plugin = getenv("RAMP_PYTHON_PLUGIN");
    if (plugin && plugin[0]) {
        snprintf(t->plugin_looked, sizeof t->plugin_looked, "%s", plugin);
        if (access(plugin, R_OK) == 0)
            snprintf(t->python_plugin, sizeof t->python_plugin, "%s", plugin);
        return;
    }
    char cand[2][4200];
    snprintf(cand[0], sizeof cand[0], "%s/" RAMP__PY_PLUGIN_FILE, dir);
    snprintf(cand[1], sizeof cand[1], "%s/../" RAMP_PLUGIN_LIBDIR "/" RAMP__PY_PLUGIN_FILE, dir);
    snprintf(t->plugin_looked, sizeof t->plugin_looked, "%s and %s", cand[0], cand[1]);
    for (int i = 0; i < 2; i++)
        if (access(cand[i], R_OK) == 0) {
            snprintf(t->python_plugin, sizeof t->python_plugin, "%s", cand[i]);
            break;
        }
}

void ramp__cli_tools_build(const ramp__cli_tools *t, ramp__build_opts *o)
{
    o->include_dir = t->include_dir;
    o->cc = t->cc;
    o->cxx = t->cxx;
    o->python = t->python;
    o->python_plugin = t->python_plugin[0] ? t->python_plugin : NULL;
    o->python_plugin_looked = t->plugin_looked;
}
