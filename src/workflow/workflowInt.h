/* workflowInt.h — RAMP's workflow on the trusted side: build a submission,
 * train and predict it on each CV fold (each fold in the sandbox), score
 * every fold, the mean ± std over folds and the bag, optionally retrain on
 * every training row, and save the outputs in rampwf's layout.
 *
 * One call, ramp__workflow_run, does what `ramp test` does; the command
 * prints its result and the platform's worker stores it, both in their own
 * (trusted) process. The labels of the validation and test rows never leave
 * this side: the folds see ids (submission/runInt.h), the scores are
 * computed here from the predictions the folds hand back.
 *
 *     ramp__wf_opts o = {.problem = pb, .train = &train, .test = &test,
 *                        .imgs_dir = "KIT/data/imgs", .sub_dir = "KIT/submissions/x",
 *                        .exe = "/usr/bin/ramp", .timeout_s = 7200, ...};
 *     ramp__wf_result r;
 *     ramp__workflow_run(&o, &r);     // r.status, r.folds[k].scores, r.bagged
 *     ramp__wf_result_clear(&r);
 *
 * The folds are the problem's (ramp_folds_make: sklearn's splitters or the
 * kit's folds file), their rows in the order the splitter gives them, not
 * ascending; everything below keeps each prediction with its row.
 */
#ifndef RAMP_WORKFLOW_INT_H
#define RAMP_WORKFLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/detection.h"
#include "ramp/loader.h"
#include "ramp/problem.h"
#include "sandbox/sandboxInt.h"
#include "submission/runInt.h"

#define RAMP__WF_MAX_SCORES 16

/* Detections of n images, packed: image i's are obj[off[i] .. off[i+1]). */
typedef struct ramp__wf_dets {
    ramp_det_obj *obj;
    size_t *off;
    size_t n;
} ramp__wf_dets;

enum { RAMP__ROW_TRAIN, RAMP__ROW_VALID, RAMP__ROW_TEST, RAMP__N_ROWS };

/* Scores [row][score] (NaN when missing) and times [row] of a fold, the
   mean, the standard deviation or the bag. */
typedef struct ramp__wf_scores {
    double v[RAMP__N_ROWS][RAMP__WF_MAX_SCORES];
    double time[RAMP__N_ROWS];
} ramp__wf_scores;

typedef struct ramp__wf_fold {
    ramp__fold_result run; /* status, step, message, measured figures, predictions:
                              fold-train, fold-valid, then test rows (n_classes columns) */
    ramp__wf_scores scores;
    int ok;
    /* the fold's rows as positions in the result's train_rows (the rows the
       run uses), in the splitter's order; train_rows[train_idx[i]] is the
       row in train.csv. The retrain has every run row and no valid row. */
    uint32_t *train_idx, *valid_idx;
    size_t n_train, n_valid;
    char log_path[4200];
} ramp__wf_fold;

typedef struct ramp__wf_result ramp__wf_result;

typedef struct ramp__wf_opts {
    const ramp_problem *problem;
    const ramp_samples *train, *test; /* every row of train.csv / test.csv, with labels */
    const char *imgs_dir;             /* the ids are relative to it */
    const char *sub_dir;              /* the submission folder */
    const char *exe;                  /* the ramp program that runs folds (`ramp __fold`) */
    const char *log_dir;              /* fold logs (NULL: SUB/.ramp-build) */
    const char *save_dir;             /* --save-output's folder (SUB/training_output), or NULL */
    const char *py_env;               /* an activated virtualenv / conda prefix, or NULL */
    int py_threads;                   /* Python transforms on the loader threads (under the
                                         GIL), not in worker processes */
    int quick;                        /* a subset: ramp_split_quick's quick_train rows (the
                                         kit's folds restricted to them when they come from a
                                         file), a stratified quick_test of the test rows */
    size_t quick_train, quick_test;
    int retrain;                      /* after the CV folds, train on every run row and
                                         predict the test rows (rampwf's --retrain) */
    uint64_t seed;
    int n_jobs;                       /* loader threads (0: the problem's) */
    int n_threads;                    /* the classifier's compute threads */
    int device;                       /* ramp_clf_info.device: 0 CPU, 1 CUDA (resolved; the
                                         sandbox's gpu flag goes with it) */
    int math;                         /* ramp_clf_info.math: ramp_math's value */
    double timeout_s;                 /* per fold */
    ramp__sandbox_opts sandbox;       /* the folds' sandbox: mode, limits, uid, environment */
    ramp__build_opts build;           /* the compile's (include_dir, compilers, the Python
                                         plugin the folds load too, mode, limits) */
    /* callbacks (all optional), on the calling thread; fold -1 is the
       retrain (on_fold_start and on_progress only) */
    void *ctx;
    void (*on_fold_start)(void *ctx, int fold, int n_folds);
    void (*on_progress)(void *ctx, int fold, const ramp__progress *p);
    void (*on_fold_end)(void *ctx, int fold, const ramp__wf_result *r);
    /* after the last fold, with the mean, std and bag (r->complete), before
       the retrain */
    void (*on_cv_end)(void *ctx, const ramp__wf_result *r);
    ramp__tick_fn tick; /* non-zero stops the run (status ECANCELED) */
} ramp__wf_opts;

struct ramp__wf_result {
    ramp_status status; /* OK only when every fold trained and scored */
    char message[2048]; /* what failed (empty when OK) */
    int failed_fold;    /* the fold that failed, or -1 (build, set-up) */
    char *build_log;    /* the compiler's output (may be NULL) */
    int built;          /* the build succeeded (a failure before it is a training_error) */
    int n_folds, n_scores, n_classes;
    size_t n_train, n_test;           /* the rows used (a quick test uses fewer) */
    uint32_t *train_rows, *test_rows; /* those rows, numbered as in the CSV files */
    ramp__wf_fold *folds;             /* [n_folds]; folds[k].ok when scored */
    ramp__wf_scores mean, std;        /* over the folds, when complete */
    ramp__wf_scores bagged;           /* valid (the CV rows some fold validated) and test rows */
    ramp__wf_scores *bag_steps;       /* [n_folds]: the bag of folds 0..i (rampwf's n_bag i),
                                         valid and test rows; bag_steps[n_folds-1] is bagged */
    float *bagged_test;               /* n_test × n_classes */
    ramp__wf_dets bagged_dets;        /* detection: the bag's test rows, in run order */
    uint8_t **bagged_seg;             /* segmentation: the bag's class map of each test row */
    int complete;                     /* mean, std and bag are there */
    ramp__wf_fold retrain;            /* --retrain: run, log_path, scores (train and test rows;
                                         valid NaN); retrain.ok when scored */
};

/* Runs the workflow. Returns r->status; r is filled as far as it got (the
   folds before a failure keep their scores). The caller clears r. */
ramp_status ramp__workflow_run(const ramp__wf_opts *o, ramp__wf_result *r);
void ramp__wf_result_clear(ramp__wf_result *r);

/* A fold's outputs as .npy bytes, as the store keeps them: its validation
   predictions (n_valid × c, float32), their rows in train.csv (int64), and
   its test predictions in test.csv's row order (NaN rows outside the run).
   Each malloc'd. */
ramp_status ramp__wf_fold_npy(const ramp__wf_result *r, int fold, size_t n_test_all,
                              uint8_t **valid_pred, size_t *valid_pred_len, uint8_t **valid_idx,
                              size_t *valid_idx_len, uint8_t **test_pred, size_t *test_pred_len,
                              ramp_err *err);

/* ---- detection and segmentation (targets.c) ---- */

/* Row `row` of a fold's detection predictions (runInt.h's layout, `stride`
   floats a row) into dst (room for max_objects); returns their number. */
size_t ramp__wf_det_row(ramp_det_obj *dst, const float *pred, size_t stride, size_t row);
/* Rows row0 .. row0+n of a fold's detection predictions (runInt.h's
   layout, `stride` floats a row) as packed detections. */
ramp_status ramp__wf_dets_from_rows(ramp__wf_dets *d, const float *pred, size_t stride,
                                    size_t row0, size_t n);
void ramp__wf_dets_free(ramp__wf_dets *d);
/* Scores d (image i is row idx[i] of truth, its size wh[2 row], wh[2 row + 1];
   idx NULL: row i) with every score
   of the problem into out (NaN where a score fails). */
void ramp__wf_score_det(const ramp_problem *pb, const ramp_samples *truth, const uint32_t *wh,
                        const uint32_t *idx, size_t n, const ramp__wf_dets *d, double *out);
/* Fuses the objects n_models folds predicted for one image (fold m's are
   in[model_off[m] .. model_off[m + 1])) into out (room for all of them);
   mode is the problem's bagging: 0 weighted box fusion, 1 NMS, 2 rampwf's
   combination (targets.c's note). Returns the number written, SIZE_MAX
   when out of memory. */
size_t ramp__wf_fuse(ramp_det_obj *out, const ramp_det_obj *in, const size_t *model_off,
                     int n_models, int circles, double iou_threshold, int mode);
/* Each row's image size (masks 0) or mask size (masks 1), 2 per row, read
   from the files' headers. */
ramp_status ramp__wf_sizes(const ramp_samples *s, int masks, uint32_t **wh, ramp_err *err);
/* Scores n class maps pred[i] (row idx[i] of truth, of size wh[2 row],
   wh[2 row + 1]) with the problem's segmentation scores. */
ramp_status ramp__wf_score_seg(const ramp_problem *pb, const ramp_samples *truth,
                               const uint32_t *idx, size_t n, const uint8_t *const *pred,
                               const uint32_t *wh, double *out, ramp_err *err);
/* Per-pixel vote of k class maps (ties: the lowest class). */
void ramp__wf_vote(uint8_t *out, const uint8_t *const *maps, int k, size_t n_pixels, int n_classes);
/* Saves detections as a CSV (id,class,confidence,geometry) / class maps as
   PNG files DIR/<id>. */
ramp_status ramp__wf_save_dets(const char *path, const ramp_samples *s, const uint32_t *idx,
                               const ramp__wf_dets *d, int circles, ramp_err *err);
ramp_status ramp__wf_save_masks(const char *dir, const ramp_samples *s, const uint32_t *idx,
                                size_t n, const uint8_t *const *pred, const uint32_t *wh,
                                ramp_err *err);

/* Python's repr() of a float (the shortest text that reads back as v:
   "0.1", "1.0", "1e-05", "nan"), as pandas writes floats into CSV files and
   rampwf into its time files. Returns buf. */
char *ramp__wf_repr(char *buf, size_t len, double v);

/* Writes an .npz archive (np.savez_compressed): n members KEY.npy holding
   the .npy bytes npy[i] (npy_len[i] bytes; borrowed). Written to PATH.tmp,
   then renamed. */
ramp_status ramp__npz_write(const char *path, size_t n, const char *const *keys,
                            const uint8_t *const *npy, const size_t *npy_len, ramp_err *err);

#endif
