/* submissionInt.h — building, loading and running a participant's code.
 *
 * build.c compiles image_preprocessor.c and batch_classifier.c (or .cpp)
 * into shared objects in a cache beside the submission, rebuilt when a
 * source, the extra flags or the ABI changes. load (in the child process)
 * dlopens them and resolves the contract's symbols. run.c forks a child per
 * CV fold so that a crash, a hang or garbage output is that fold's error and
 * never the workflow's.
 *
 * Python files (image_preprocessor.py, batch_classifier.py, in any mix with
 * C ones) are syntax-checked at build time and run by the Python plugin
 * (src/python/pyplugin.h), which load dlopens in the child only when needed.
 */
#ifndef RAMP_SUBMISSION_INT_H
#define RAMP_SUBMISSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/classifier.h"
#include "ramp/loader.h"
#include "ramp/status.h"

typedef struct ramp__sub_paths {
    char pp_so[4096];  /* "" when the preprocessor is Python */
    char clf_so[4096]; /* "" when the classifier is Python */
    char pp_py[4096];  /* the .py files, "" when C */
    char clf_py[4096];
} ramp__sub_paths;

/* Compiles what is stale. The compiler's output is appended to *log
   (malloc'd; the caller frees it, even on failure). ECOMPILE when a file
   does not compile; ENOENT when a file is missing. */
ramp_status ramp__sub_build(const char *dir, const char *include_dir, ramp__sub_paths *out,
                            char **log, ramp_err *err);

typedef struct ramp__sub {
    void *h_pp, *h_clf;
    ramp_transform_fn transform, transform_test;
    ramp_status (*clf_new)(const ramp_clf_info *, void **);
    ramp_status (*clf_fit)(void *, ramp_gen_builder *);
    ramp_status (*clf_predict)(void *, const float *, size_t, float *);
    void (*clf_free)(void *);
    /* Python classifier: the last error with its traceback (NULL for C) */
    const char *(*clf_errmsg)(void);
    const struct ramp__py_api *py; /* the plugin, when a file is Python */
} ramp__sub;

/* dlopens both objects and resolves the symbols (missing ones are named;
   an ABI mismatch is ESYMBOL); for .py files, loads the Python plugin and
   imports them. `py_workers` > 0 runs a Python transform in that many worker
   processes, 0 on the loader threads (under the GIL). */
ramp_status ramp__sub_load(const ramp__sub_paths *p, int py_workers, ramp__sub *out,
                           ramp_err *err);
void ramp__sub_unload(ramp__sub *s);

/* Where the Python plugin is: $RAMP_PYTHON_PLUGIN, else ramp_python.so
   beside the ramp program, else <exe>/../LIBDIR/ramp/ (an install). Returns 0
   and writes the places it looked into buf when there is none. */
int ramp__sub_python_plugin(char *buf, size_t len);

/* Where the public headers are: $RAMP_INCLUDE_DIR, else <exe>/../include
   when it holds ramp/, else the source tree's include/ the tool was built
   from. Writes into buf. */
void ramp__sub_include_dir(char *buf, size_t len, const char *fallback);

#endif
