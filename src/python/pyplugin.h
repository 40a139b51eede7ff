/* pyplugin.h — the table between the workflow and the Python plugin.
 *
 * Python submissions run in an embedded interpreter that lives in a separate
 * shared object, ramp_python.so (built from src/python/ when python3-dev and
 * numpy are present), so that libramp, the ramp tool and C submissions never
 * depend on libpython. The fold's child process dlopens the plugin (with
 * RTLD_GLOBAL: numpy's extension modules expect libpython's symbols to be
 * global) only when a submission has a .py file, resolves the one symbol
 * below and checks the table's version, like a ggml backend.
 *
 * The embedded interpreter is process-wide, so the plugin keeps one state
 * for the process (one preprocessor, one classifier module): the functions
 * it hands out have the plain C contracts' signatures (ramp_transform_fn and
 * the batch_classifier_* functions) and plug straight into ramp__sub.
 */
#ifndef RAMP_PYPLUGIN_H
#define RAMP_PYPLUGIN_H

#include <stddef.h>

#include "ramp/classifier.h"
#include "ramp/loader.h"

#define RAMP__PY_API_VERSION 1
#define RAMP__PY_PLUGIN_SYMBOL "ramp__python_plugin"
#define RAMP__PY_PLUGIN_FILE "ramp_python.so"

typedef struct ramp__py_api {
    int api_version;
    /* Starts the interpreter (once) with `sub_dir` first on sys.path; checks
       the Python version and numpy. Errors go to msg. */
    ramp_status (*init)(const char *sub_dir, char *msg, size_t len);
    /* Imports image_preprocessor.py; *tf_test is NULL without transform_test.
       `n_workers` > 0 runs the transforms in that many worker processes
       (forked here, before any classifier import), 0 on the calling loader
       threads under the GIL. */
    ramp_status (*load_preprocessor)(const char *path, int n_workers, ramp_transform_fn *tf,
                                     ramp_transform_fn *tf_test, char *msg, size_t len);
    /* Imports batch_classifier.py and finds its BatchClassifier class. */
    ramp_status (*load_classifier)(const char *path, char *msg, size_t len);
    /* The classifier contract (classifier.h), over the imported class. */
    ramp_status (*clf_new)(const ramp_clf_info *info, void **self);
    ramp_status (*clf_fit)(void *self, ramp_gen_builder *gb);
    ramp_status (*clf_predict)(void *self, const float *X, size_t n, float *proba);
    void (*clf_free)(void *self);
    /* The last classifier error: what failed, the exception and its
       traceback (borrowed; "" if none). */
    const char *(*errmsg)(void);
    /* Stops the transform workers (if any). */
    void (*shutdown)(void);
} ramp__py_api;

typedef const ramp__py_api *(*ramp__py_plugin_fn)(void);

#endif
