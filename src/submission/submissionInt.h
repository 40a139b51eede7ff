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
 * (its table is src/submission/pyplugin.h, which the plugin in src/python/
 * fills), which load dlopens in the child only when needed.
 */
#ifndef RAMP_SUBMISSION_INT_H
#define RAMP_SUBMISSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/submission.h"
#include "ramp/loader.h"
#include "ramp/status.h"
#include "sandbox/sandboxInt.h"

typedef struct ramp__sub_paths {
    char pp_so[4096];  /* "" when the preprocessor is Python */
    char clf_so[4096]; /* "" when the classifier is Python */
    char pp_py[4096];  /* the .py files, "" when C */
    char clf_py[4096]; /* batch_classifier.py, or image_classifier.py when simplified */
    int simplified;    /* rampwf's simplified_image_classifier: image_classifier.py alone */
    int arrays;        /* rampwf's ObjectDetector: object_detector.py alone (fit(X, y) and
                          predict(X) over arrays; no preprocessor: the images as decoded) */
    int model;         /* ramp__model: which contract the second file implements */
} ramp__sub_paths;

/* The model file a workflow asks for: batch_classifier.c, batch_detector.c
   or batch_segmenter.c (or .cpp, .py), with its functions' prefix. */
typedef enum ramp__model {
    RAMP__MODEL_CLASSIFIER = 0,
    RAMP__MODEL_DETECTOR = 1,
    RAMP__MODEL_SEGMENTER = 2,
} ramp__model;

/* "batch_classifier", "batch_detector" or "batch_segmenter". */
const char *ramp__model_name(int model);

/* Called about every 0.2 s while a fold or a compile runs; a non-zero
   return stops it (the caller's reason: a signal, a lost lease). */
typedef int (*ramp__tick_fn)(void *ctx);

/* How a submission is compiled. Zero fields take the defaults shown. The
   programs and files come from the caller (the command line reads $RAMP_CC
   and the like): the library reads no environment. */
typedef struct ramp__build_opts {
    const char *include_dir;  /* ramp's public headers (host path) */
    const char *cc, *cxx;     /* the C and C++ compilers ("cc", "c++") */
    const char *python;       /* the Python that checks a .py file parses (the one ramp
                                 was built for) */
    const char *python_plugin; /* ramp_python.so (host path), NULL when there is none */
    const char *python_plugin_looked; /* where the caller looked, for the message
                                         when there is none */
    ramp__sandbox_mode sandbox; /* RAMP__SANDBOX_ON (default) or OFF */
    uint32_t uid, gid;        /* the sandbox's user when run by root (0: one per sandbox) */
    double timeout_s;         /* per compiler run (120) */
    size_t max_output;        /* compiler output kept in the log (64 KiB) */
    uint64_t mem_bytes;       /* the compiler's address space (4 GiB) */
    ramp__tick_fn tick;       /* may stop the compile; NULL: none */
    void *tick_ctx;
    int model;                /* ramp__model (classifier) */
} ramp__build_opts;

/* Compiles what is stale, in the sandbox: objects go to
   DIR/.ramp-build/out/. build.flags is checked against the allowlist
   (ECOMPILE naming the flag). The compiler's output, which names files
   relative to DIR, is appended to *log (malloc'd; the caller frees it, even
   on failure). ECOMPILE when a file does not compile or the time limit
   stopped it; ENOENT when a file is missing; EUNSUPPORTED when the sandbox
   cannot be made. */
ramp_status ramp__sub_build_with(const char *dir, const ramp__build_opts *o, ramp__sub_paths *out,
                                 char **log, ramp_err *err);

struct ramp__py_images;

typedef struct ramp__sub {
    void *h_pp, *h_clf;
    ramp_transform_fn transform, transform_test;
    ramp_status (*clf_new)(void **, const ramp_clf_info *);
    ramp_status (*clf_fit)(void *, ramp_gen_builder *);
    ramp_status (*clf_predict)(void *, const float *, size_t, float *); /* or a segmenter's */
    ramp_status (*det_predict)(void *, const float *, size_t, ramp_obj *, size_t *);
    void (*clf_free)(void *);
    /* Python classifier: the last error with its traceback (NULL for C) */
    const char *(*clf_errmsg)(void);
    const struct ramp__py_api *py; /* the plugin, when a file is Python */
    /* rampwf's simplified workflow (image_classifier.py): fit and predict
       over images (pyplugin.h); NULL otherwise */
    ramp_status (*simple_fit)(void *, const struct ramp__py_images *);
    ramp_status (*simple_predict)(void *, const struct ramp__py_images *, float *);
} ramp__sub;

/* How a fold's Python starts (all borrowed). */
typedef struct ramp__sub_python {
    const char *plugin; /* ramp_python.so, as this process sees it ("": none) */
    const char *lib;    /* the folder that holds ramp's `rampwf` package ("": none) */
    const char *env;    /* a virtualenv / conda prefix whose site-packages Python adds ("") */
    int workers;        /* > 0: transform worker processes; 0: the loader threads (GIL) */
    int log_fd;         /* where Python tracebacks are written (the fold's log; -1: none) */
} ramp__sub_python;

/* dlopens both objects and resolves the symbols (missing ones are named;
   an ABI mismatch is ESYMBOL); for .py files, loads the Python plugin `py`
   names and imports them (pyplugin.h). */
ramp_status ramp__sub_load(const ramp__sub_paths *p, const ramp__sub_python *py, ramp__sub *out,
                           ramp_err *err);
void ramp__sub_unload(ramp__sub *s);

#endif
