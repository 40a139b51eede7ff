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
#include <stdint.h>

#include "ramp/submission.h"
#include "ramp/loader.h"

#define RAMP__PY_API_VERSION 5
#define RAMP__PY_PLUGIN_SYMBOL "ramp__python_plugin"
#define RAMP__PY_PLUGIN_FILE "ramp_python.so"

/* Images for rampwf's simplified workflow (its ImageLoader): borrowed for
   the call (the loader Python gets is its own copy). */
typedef struct ramp__py_images {
    const char *folder;       /* the image folder, as the submission sees it */
    const char *const *ids;   /* n ids, relative to folder */
    const int32_t *labels;    /* n labels, or NULL when predicting */
    size_t n;
    int n_classes;
    int n_jobs;               /* threads that parallel_load decodes with */
    uint64_t max_pixels;      /* the decoder's limit */
} ramp__py_images;

/* Which Python contract the model file follows (load_classifier). */
enum {
    RAMP__PY_OWN = 0,        /* ramp's: batch_classifier.py, batch_detector.py, ... */
    RAMP__PY_SIMPLIFIED = 1, /* rampwf's simplified_image_classifier */
    RAMP__PY_ARRAYS = 2,     /* rampwf's ObjectDetector */
};

typedef struct ramp__py_api {
    int api_version;
    /* Starts the interpreter (once). sys.path: `sub_dir`, then `py_lib` (ramp's
       own packages: the `rampwf` RAMP kits import; "" for none), then the
       site-packages of `py_env` (an activated virtualenv or conda env; ""),
       then the system's. Checks the Python version and numpy. Errors go to
       msg; the whole traceback of each Python error is also written to
       `log_fd` (the fold's log; -1: nowhere). */
    ramp_status (*init)(const char *sub_dir, const char *py_lib, const char *py_env, int log_fd,
                        char *msg, size_t len);
    /* Imports image_preprocessor.py; *tf_test is NULL without transform_test.
       `n_workers` > 0 runs the transforms in that many worker processes
       (forked here, before any classifier import), 0 on the calling loader
       threads under the GIL. */
    ramp_status (*load_preprocessor)(const char *path, int n_workers, ramp_transform_fn *tf,
                                     ramp_transform_fn *tf_test, char *msg, size_t len);
    /* Imports batch_classifier.py and finds its BatchClassifier class; for
       `model` RAMP__MODEL_DETECTOR or RAMP__MODEL_SEGMENTER
       (submissionInt.h), batch_detector.py's BatchDetector or
       batch_segmenter.py's BatchSegmenter. `contract` RAMP__PY_SIMPLIFIED:
       image_classifier.py and its ImageClassifier (rampwf's
       simplified_image_classifier); RAMP__PY_ARRAYS: object_detector.py's
       ObjectDetector (rampwf's ObjectDetector, fit(X, y) over arrays), put
       on the detector contract by rampwf.workflows.object_detector's
       FoldDetector. */
    ramp_status (*load_classifier)(const char *path, int contract, int model, char *msg,
                                   size_t len);
    /* The classifier contract (classifier.h), over the imported class. */
    ramp_status (*clf_new)(void **self, const ramp_clf_info *info);
    ramp_status (*clf_fit)(void *self, ramp_gen_builder *gb);
    ramp_status (*clf_predict)(void *self, const float *X, size_t n, float *proba);
    /* A detector's predict (detector.h's batch_detector_predict); NULL
       unless the model is a detector. A segmenter's predict_proba is
       clf_predict, over n × n_classes × H × W. */
    ramp_status (*det_predict)(void *self, const float *X, size_t n, ramp_obj *objs,
                               size_t *n_objs);
    void (*clf_free)(void *self);
    /* The simplified workflow: fit(img_loader) over labelled images, and
       predict_proba(img_loader) over unlabelled ones into proba (n × c). */
    ramp_status (*simple_fit)(void *self, const ramp__py_images *imgs);
    ramp_status (*simple_predict)(void *self, const ramp__py_images *imgs, float *proba);
    /* What the simplified workflow's image loader decoded so far, and the
       wall time it spent decoding. */
    void (*simple_stats)(uint64_t *images, double *seconds);
    /* The last classifier error: what failed, the exception and its
       traceback (borrowed; "" if none). */
    const char *(*errmsg)(void);
    /* Stops the transform workers (if any). */
    void (*shutdown)(void);
} ramp__py_api;

typedef const ramp__py_api *(*ramp__py_plugin_fn)(void);

#endif
