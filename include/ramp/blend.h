/* ramp/blend.h — RAMP's blending: greedy forward selection with
 * replacement over submissions, per CV fold, giving the combined score and
 * each submission's contributivity.
 *
 *     ramp_blend_memory mem = { valid, test, 3 };  // [fold * n_sub + sub] float matrices
 *     ramp_blend_input in = {
 *         .n_sub = 3, .n_folds = 2, .n_classes = 10,
 *         .n_train = 1000, .y_train = y_train,
 *         .n_valid = n_valid, .valid_index = valid_index,   // per fold
 *         .n_test = 500, .y_test = y_test,
 *         .load = ramp_blend_load_memory, .load_ctx = &mem,
 *     };
 *     ramp_blend_params p = { .kind = RAMP_SCORE_ACCURACY };
 *     ramp_blend_result *r;
 *     if (ramp_blend_run(&r, &in, &p, &err) == RAMP_OK) {
 *         printf("combined test %.4f, sub 0 contributes %d\n",
 *                r->combined_test, r->contributivity_pct[0]);
 *         ramp_blend_result_free(r);
 *     }
 *
 * Algorithm (rampdb's blend_submissions, on each fold f):
 *   - every submission's validation predictions are clipped to
 *     [1e-15, 1 − 1e-15] and row-renormalised once (in double), then kept
 *     as float32 copies;
 *   - the selection starts from the best single submission (first on ties);
 *   - each round tries appending every submission (with replacement) and
 *     scores the mean of the selected copies (ties between candidates: the
 *     first); the best is kept when it is better than the current score by
 *     more than min_improvement; selection stops when none is, or when the
 *     list holds max_n_ensemble entries.
 *   - contributivity of s on f = (times s is in the list) / (list length);
 *     a submission's contributivity is the mean over folds.
 * Reported scores are computed exactly (ramp_score_compute on double
 * matrices): the ensemble of fold f on its validation set; bagged over folds
 * with RAMP's combine rule (ramp_combine), the combined ensembles on the
 * training samples seen in validation and on the test set; and the same for
 * the best single submission of each fold ("foldwise best").
 *
 * Speed: the running sum of the selected copies is kept in double, so trying
 * one candidate is one pass over n_valid rows; for accuracy, error and nll
 * most rows are decided from per-row summaries (true-class value, row sum,
 * largest other value) without reading the row. Candidates are scored by
 * n_threads pthreads. Memory: n_sub × n_valid × c floats for one fold at a
 * time, plus a few n_valid × c double matrices.
 */
#ifndef RAMP_BLEND_H
#define RAMP_BLEND_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/score.h" /* ramp_score_kind */
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ramp_blend_which {
    RAMP_BLEND_VALID = 0, /* rows: n_valid[fold], the fold's validation samples */
    RAMP_BLEND_TEST = 1,  /* rows: n_test */
} ramp_blend_which;

/* Fills dst (rows × c floats, row-major, owned by blend) with submission
   `sub`'s predictions on fold `fold`. Called from the thread that runs
   ramp_blend_run, unless params->parallel_load is set, in which case it may
   be called concurrently from n_threads threads (for different dst). A
   non-OK status aborts the blend and is returned with its message. */
typedef ramp_status (*ramp_blend_load_fn)(void *ctx, int sub, int fold, ramp_blend_which which,
                                          float *dst, size_t rows, int c, ramp_err *err);

typedef struct ramp_blend_input {
    int n_sub, n_folds, n_classes;
    size_t n_train;
    const int32_t *y_train;            /* [n_train] */
    const size_t *n_valid;             /* [n_folds] */
    const size_t *const *valid_index;  /* [n_folds][n_valid[f]]: rows of the training set */
    size_t n_test;                     /* 0: no test set; test scores are NaN */
    const int32_t *y_test;             /* [n_test] */
    ramp_blend_load_fn load;
    void *load_ctx;
} ramp_blend_input;

typedef struct ramp_blend_params {
    ramp_score_kind kind;   /* the official score */
    double param;           /* θ or k (ramp_score_type.default_param when 0 and needed) */
    int max_n_ensemble;     /* 0 → 80 */
    double min_improvement; /* ≥ 0; 0 keeps any strict improvement */
    int n_threads;          /* 0 → 2 */
    int parallel_load;      /* 1: load may run concurrently (see ramp_blend_load_fn) */
} ramp_blend_params;

typedef struct ramp_blend_result {
    int n_sub, n_folds;
    double *contributivity;      /* [n_sub] mean over folds of the share in the list */
    int *contributivity_pct;     /* [n_sub] round(100 × contributivity) */
    int **selected;              /* [n_folds][n_selected[f]] submission indices, in order */
    int *n_selected;             /* [n_folds] */
    double *fold_valid;          /* [n_folds] ensemble score on the fold's validation set */
    int *fold_best;              /* [n_folds] best single submission on the fold */
    double *fold_best_valid;     /* [n_folds] its validation score */
    double combined_valid;       /* bagged ensembles, on the samples seen in validation */
    double combined_test;        /* bagged ensembles, test set (NaN without one) */
    double foldwise_best_valid;  /* bagged best singles, validation */
    double foldwise_best_test;   /* bagged best singles, test */
} ramp_blend_result;

/* Runs the blend. `in` and its arrays are borrowed for the call. On success
   the caller frees *out with ramp_blend_result_free(); on failure *out is
   NULL and err says which submission, fold or row was at fault. Thread-safe
   for distinct calls (no shared state). */
ramp_status ramp_blend_run(ramp_blend_result **out, const ramp_blend_input *in,
                           const ramp_blend_params *params, ramp_err *err);

/* Frees a result; NULL is a no-op. */
void ramp_blend_result_free(ramp_blend_result *r);

/* A ready-made loader over in-memory matrices: ctx is a ramp_blend_memory,
   matrices indexed [fold * n_sub + sub] (test may be NULL without a test
   set). Copies into dst; safe to call concurrently. */
typedef struct ramp_blend_memory {
    const float *const *valid;
    const float *const *test;
    int n_sub;
} ramp_blend_memory;
ramp_status ramp_blend_load_memory(void *ctx, int sub, int fold, ramp_blend_which which,
                                   float *dst, size_t rows, int c, ramp_err *err);

#ifdef __cplusplus
}
#endif
#endif
