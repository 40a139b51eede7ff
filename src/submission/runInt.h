/* runInt.h — running one CV fold of a submission in a child process. */
#ifndef RAMP_RUN_INT_H
#define RAMP_RUN_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ramp/classifier.h"
#include "ramp/loader.h"
#include "submission/submissionInt.h"

typedef enum ramp__step { RAMP__STEP_TRAIN, RAMP__STEP_VALID, RAMP__STEP_TEST } ramp__step;

typedef struct ramp__progress {
    int epoch, n_epochs;
    size_t batch, n_batches;
    double loss, accuracy; /* < 0: unknown */
    double seconds;        /* since fit started */
    unsigned long long images; /* training samples served since fit started */
} ramp__progress;

typedef struct ramp__fold_spec {
    const ramp__sub_paths *paths;
    const ramp_samples *train; /* every row of train.csv */
    const uint32_t *fold_train;
    size_t n_fold_train;
    const uint32_t *fold_valid;
    size_t n_fold_valid;
    const ramp_samples *test;
    int n_classes;
    ramp_loader_opts loader;
    size_t test_batch_size;
    ramp_clf_info info; /* seed, threads, quick_test, fold, submission_dir */
    double timeout_s;
    const char *log_path;
    void (*on_progress)(void *ctx, const ramp__progress *p);
    void *progress_ctx;
} ramp__fold_spec;

typedef struct ramp__fold_result {
    ramp_status status;
    ramp__step step; /* the step that failed, or the last one */
    int done;
    ramp_status reported; /* the status the child reported with its error, if any */
    char message[2048];
    /* rows: fold-train, then fold-valid, then test; n_classes columns */
    float *pred;
    double time_train, time_valid, time_test, wall;
    uint64_t train_images;
    double train_images_per_s, train_stall;
    uint64_t valid_images;
    double valid_images_per_s, valid_stall;
    long max_rss_kb;
} ramp__fold_result;

/* Runs the fold; r->status and r->message say how it went. The caller
   frees r->pred with ramp__fold_result_clear(). */
ramp_status ramp__fold_run(const ramp__fold_spec *f, ramp__fold_result *r);
void ramp__fold_result_clear(ramp__fold_result *r);

/* "training_error", "validating_error" or "testing_error". */
const char *ramp__step_error_name(ramp__step s);

#endif
