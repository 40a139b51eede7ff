/* runInt.h — running one CV fold of a submission in a sandboxed process.
 *
 * The trust boundary: the parent (trusted) holds every label and scores;
 * the fold child (untrusted: it runs the participant's code) is a fresh
 * program, `ramp __fold`, started in the sandbox (sandbox/sandboxInt.h), so
 * it inherits no memory of the parent's. What it gets:
 *
 *   fd 0  the fold specification (ramp__fold_wire, a sealed memory file):
 *         the fold-train rows' image ids and labels, the fold-valid and test
 *         rows' ids only, its code's paths, the settings
 *   fd 1, 2  its output, read by the parent into the fold's log (bounded)
 *   fd 3  the protocol pipe, child → parent: "STEP training|validating|
 *         testing", "STATS ...", "ERR <status> <msg>", "DONE", and progress,
 *         the builder's ramp_progress: "PROG epoch n_epochs batch n_batches
 *         loss acc val_loss val_acc seconds epoch_seconds images" (nan:
 *         unknown)
 *   fd 4  the predictions (a memory file of fixed, sealed size): fold-train,
 *         fold-valid, then test rows, n_classes floats each, then a guard
 *
 * and in the sandbox the images (read-only, at /data/imgs), its own
 * submission folder (read-only, at /submission) and a private /tmp. The
 * parent checks every prediction cell (written, finite, non-negative, rows
 * with a positive sum, renormalised; nothing past the end) and measures the times
 * and the memory itself; nothing the child writes is read back as a result
 * except those cells.
 */
#ifndef RAMP_RUN_INT_H
#define RAMP_RUN_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ramp/submission.h"
#include "ramp/loader.h"
#include "ramp/problem.h"
#include "sandbox/sandboxInt.h"
#include "submission/submissionInt.h"

typedef enum ramp__step { RAMP__STEP_TRAIN, RAMP__STEP_VALID, RAMP__STEP_TEST } ramp__step;

/* A fold's progress as the parent reads it: the child's ramp_progress
   (gen.h), its figures unchecked but for the epoch and batch counts. */
typedef ramp_progress ramp__progress;

/* At most this many epochs are kept in a fold's history. */
#define RAMP__HISTORY_MAX 10000

/* What the child is told (fold_wire.c). Strings and arrays are borrowed
   when encoding; owned by `arena` and the arrays after decoding. */
typedef struct ramp__fold_wire {
    int n_classes;
    ramp_loader_opts loader;
    size_t test_batch_size;
    ramp_clf_info info; /* n_classes, ndim and shape are filled in by the child */
    const char *imgs_dir; /* ids are relative to it, as the child sees it */
    ramp__sub_paths paths; /* the submission's code, as the child sees it */
    ramp_workflow_kind workflow;
    const char *py_plugin; /* ramp_python.so as the child sees it ("" if none) */
    const char *py_lib; /* the folder that holds ramp's `rampwf` package ("" if none) */
    const char *py_env; /* a virtualenv / conda prefix whose site-packages Python adds ("") */
    int py_workers;     /* Python transform worker processes; 0: on the loader threads */
    size_t n_train, n_valid, n_test;
    const char **train_ids;
    int32_t *train_labels;
    const char **valid_ids, **test_ids;
    /* detection: the geometry, the cap on predictions per image, and the
       fold-train rows' objects (train_obj_off: n_train + 1 offsets) */
    int geometry, max_objects;
    ramp_obj *train_objs;
    size_t *train_obj_off;
    /* segmentation: the fold-train rows' masks (PNG bytes), and the size of
       every predicted row's image (fold-train, fold-valid, test: 2 each) */
    const uint8_t **train_masks;
    size_t *train_mask_len;
    uint32_t *pred_wh;
    char *arena;
} ramp__fold_wire;

ramp_status ramp__fold_wire_encode(const ramp__fold_wire *w, uint8_t **out, size_t *len,
                                   ramp_err *err);
ramp_status ramp__fold_wire_decode(const uint8_t *buf, size_t len, ramp__fold_wire *w,
                                   ramp_err *err);
void ramp__fold_wire_clear(ramp__fold_wire *w);

typedef struct ramp__fold_spec {
    const char *exe;        /* the ramp program (host path), run as `ramp __fold` */
    const char *sub_dir;    /* the submission folder (host) */
    const ramp__sub_paths *paths; /* its built code (host paths, under sub_dir) */
    const char *imgs_dir;   /* the images folder (host); ids are relative to it */
    const ramp_samples *train; /* every row of train.csv (ids and labels) */
    const uint32_t *fold_train;
    size_t n_fold_train;
    const uint32_t *fold_valid;
    size_t n_fold_valid;
    const ramp_samples *test; /* only its ids are sent */
    int n_classes;
    ramp_loader_opts loader;
    size_t test_batch_size;
    ramp_clf_info info; /* seed, threads, quick_test, fold (submission_dir: set here) */
    ramp_workflow_kind workflow; /* image_classifier, simplified_image_classifier, detection or
                                    segmentation (train's objs or mask_paths give the targets) */
    int geometry, max_objects;   /* detection */
    /* segmentation: each row's image width and height (2 per row), of
       `train` (every row) and of `test` */
    const uint32_t *train_wh, *test_wh;
    const char *py_env;          /* an activated virtualenv / conda prefix (host path) whose
                                    site-packages the fold's Python adds, or NULL */
    const char *python_plugin;   /* ramp_python.so (host path), or NULL when there is none */
    int py_threads;              /* Python transforms on the loader threads (under the GIL)
                                    instead of one worker process per loader thread */
    double timeout_s;
    /* the sandbox: mode, limits, uid, environment (mounts and descriptors
       are added here) */
    const ramp__sandbox_opts *sandbox;
    const char *log_path; /* the child's output goes there, written by the parent */
    size_t log_max;       /* bytes kept in the log (0: 8 MiB); the rest is counted */
    void (*on_progress)(void *ctx, const ramp__progress *p);
    void *progress_ctx;
    ramp__tick_fn tick;
    void *tick_ctx;
} ramp__fold_spec;

typedef struct ramp__fold_result {
    ramp_status status;
    ramp__step step; /* the step that failed, or the last one */
    int done;
    ramp_status reported; /* the status the child reported with its error, if any */
    char message[2048];
    /* rows: fold-train, then fold-valid, then test. Classification:
       n_classes probabilities a row; detection: a count, then max_objects
       objects of 6 floats (class, confidence, 4 coordinates in the original
       image's pixels); segmentation: pred_seg, a class per pixel of each
       row's image, row i at seg_off[i] */
    float *pred;
    uint8_t *pred_seg;
    size_t *seg_off;
    /* measured by the parent: each step from the child's announcement of it
       to the next (train includes loading the code) */
    double time_train, time_valid, time_test, wall;
    /* the loader's figures as the child reports them (informational) */
    uint64_t train_images;
    double train_images_per_s, train_stall;
    uint64_t valid_images;
    double valid_images_per_s, valid_stall;
    long max_rss_kb;
    int canceled; /* the tick asked to stop */
    /* each epoch's end as the child reported it, in order (epochs only go
       forward; at most RAMP__HISTORY_MAX) */
    ramp__progress *history;
    size_t n_history;
} ramp__fold_result;

/* Runs the fold; r->status and r->message say how it went. The caller
   frees r->pred and r->history with ramp__fold_result_clear(). */
ramp_status ramp__fold_run(const ramp__fold_spec *f, ramp__fold_result *r);
void ramp__fold_result_clear(ramp__fold_result *r);

/* The parent's reading of the protocol alone, for the fuzzer: `bytes` as
   the child's output on fd 3, arriving `piece` bytes at a time, into r. */
void ramp__fold_protocol_test(const uint8_t *bytes, size_t n, size_t piece, ramp__fold_result *r);

/* The fold child's whole program (`ramp __fold`): reads fd 0, runs the
   submission, reports on fd 3, writes predictions into fd 4, and writes
   its own lines for the fold's log (and Python's tracebacks) to log_fd.
   Returns the process exit code; *embedded_python says whether it started
   Python (whose interpreter is never finalized: the caller may end the
   process at once). */
int ramp__fold_child_main(int log_fd, int *embedded_python);

/* "training_error", "validating_error" or "testing_error". */
const char *ramp__step_error_name(ramp__step s);

#endif
