/* ramp/score.h — classification scores and RAMP's rule to combine
 * predictions (bagging across folds, blending submissions).
 *
 *     double acc, nll;
 *     ramp_err err;
 *     // proba: n × c row-major probabilities, y: n labels in [0, c)
 *     if (ramp_score_accuracy(&acc, proba, y, n, c, &err) ||
 *         ramp_score_nll(&nll, proba, y, n, c, &err))
 *         fprintf(stderr, "%s\n", err.msg);
 *
 *     const ramp_score_type *t = ramp_score_type_find("f1_above");
 *     double f1a;
 *     ramp_score_compute(&f1a, t->kind, t->default_param, proba, y, n, c, &err);
 *
 * Definitions (each matches scikit-learn 1.2 on the same inputs; the tests
 * check that to 1e-12 on committed fixtures):
 *
 *   pred_i      = argmax_k proba[i,k], the FIRST maximum on ties (numpy).
 *   accuracy    = (1/n) Σ_i [pred_i == y_i]
 *   error       = 1 − accuracy
 *   nll         = sklearn.metrics.log_loss(y, proba, eps=1e-15,
 *                 labels=range(c)):  q = clip(proba, 1e-15, 1 − 1e-15);
 *                 q_i ← q_i / Σ_k q_ik (every row renormalised);
 *                 nll = −(1/n) Σ_i log q_{i,y_i}.
 *   F1 of class k = 2·tp_k / (2·tp_k + fp_k + fn_k) with pred_i as above;
 *                 0 when the denominator is 0 (zero_division = 0). Computed
 *                 as one exactly rounded division of integers.
 *   U           = the classes present in y ∪ pred (sklearn's unique_labels).
 *   f1_above(θ) = |{k ∈ U : F1_k > θ}| / |U|   (strict; RAMP's F1Above)
 *   macro_f1    = (1/|U|) Σ_{k∈U} F1_k  (f1_score(average='macro',
 *                 zero_division=0))
 *   top_k(k)    = sklearn.metrics.top_k_accuracy_score(y, proba, k=k,
 *                 labels=range(c)): the true class is a hit when
 *                 |{j : p_j > p_y}| + |{j > y : p_j == p_y}| < k.
 *                 Tie rule: sklearn ranks by a stable ascending sort
 *                 reversed, so among equal probabilities the HIGHER class
 *                 index ranks first. Hence top_k(1) can differ from accuracy
 *                 on rows with tied maxima. k ≥ c gives 1.
 *
 * rampwf's other classification scores (rampwf/score_types, on sklearn
 * 1.2; the tests check them to 1e-12 against sklearn on committed
 * fixtures), with recall_k = tp_k / (tp_k + fn_k), 0 when undefined:
 *
 *   balanced_accuracy = rampwf's BalancedAccuracy, which is sklearn's
 *                 balanced_accuracy_score(adjusted=True): R = the mean of
 *                 recall_k over the m classes PRESENT IN y, then
 *                 (R − 1/m) / (1 − 1/m); in [1/(1−m), 1], chance is 0.
 *                 m = 1 gives (R − 1)/0: NaN or −inf, as numpy does.
 *   macro_recall = rampwf's MacroAveragedRecall: recall_score(average=
 *                 'macro') = (1/|U|) Σ_{k∈U} recall_k, U = y ∪ pred as above
 *                 (a class only predicted counts 0).
 *   Binary scores (rampwf's BrierScore and ROCAUC read column 1 only, the
 *   probability of class index 1, against the class indices y; c ≥ 2).
 *   The positive class is sklearn's: 1 when every label in y is 0 or 1,
 *   else the largest label in y; three distinct labels are an error.
 *   brier       = (1/n) Σ_i ([y_i == pos] − proba[i,1])²; proba[i,1] must
 *                 lie in [0, 1] (sklearn's check), else an error.
 *   roc_auc     = sklearn.metrics.roc_auc_score(y == pos, proba[:,1]): the
 *                 share of (positive, negative) pairs ordered correctly,
 *                 ties counting 1/2 (the trapezoidal area under the ROC
 *                 curve). Both classes must be present in y.
 *
 * Rows: a row whose entries are ALL NaN is skipped (bagged validation
 * predictions leave such rows for samples outside every validation fold) and
 * n above counts the other rows only. A row with some NaN entries, a label
 * outside [0, c), or no scorable row at all is an error (RAMP_EINVAL or
 * RAMP_ERANGE, with the row named in the message).
 *
 * All functions here are pure: they borrow their inputs for the call, keep
 * no state and are thread-safe.
 */
#ifndef RAMP_SCORE_H
#define RAMP_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Score kinds. The parameter (ramp_problem_score_param, ramp/problem.h) is
   the threshold θ for F1_ABOVE and k for TOP_K; 0 for the others. */
typedef enum ramp_score_kind {
    RAMP_SCORE_ACCURACY = 0, /* "accuracy" */
    RAMP_SCORE_NLL = 1,      /* "nll": negative log-likelihood */
    RAMP_SCORE_F1_ABOVE = 2, /* "f1_above": share of classes whose F1 > θ */
    RAMP_SCORE_ERROR = 3,    /* "error": 1 − accuracy */
    RAMP_SCORE_TOP_K = 4,    /* "top_k": true class among the k most probable */
    RAMP_SCORE_MACRO_F1 = 5, /* "macro_f1": mean F1 over classes */
    RAMP_SCORE_BALANCED_ACCURACY = 6, /* "balanced_accuracy": rampwf's BalancedAccuracy */
    RAMP_SCORE_MACRO_RECALL = 7,      /* "macro_recall": rampwf's MacroAveragedRecall */
    RAMP_SCORE_BRIER = 8,             /* "brier": rampwf's BrierScore */
    RAMP_SCORE_ROC_AUC = 9,           /* "roc_auc": rampwf's ROCAUC */
    /* detection (ramp_score_detection) */
    RAMP_SCORE_MAP = 10,           /* "map": mean AP at an IoU threshold (param, 0.5) */
    RAMP_SCORE_DET_PRECISION = 11, /* "det_precision": at an IoU threshold (param) */
    RAMP_SCORE_DET_RECALL = 12,    /* "det_recall": at an IoU threshold (param) */
    RAMP_SCORE_OSPA = 13,          /* "ospa": rampwf's OSPA (lower is better) */
    RAMP_SCORE_SCP = 14,           /* "scp": rampwf's SCP (lower is better) */
    RAMP_SCORE_MAD_CENTER = 15,    /* "mad_center": rampwf's MADCenter (lower is better) */
    RAMP_SCORE_MAD_RADIUS = 16,    /* "mad_radius": rampwf's MADRadius (lower is better) */
    /* segmentation (ramp_score_segmentation) */
    RAMP_SCORE_PIXEL_ACCURACY = 17, /* "pixel_accuracy" */
    RAMP_SCORE_MEAN_ACCURACY = 18,  /* "mean_accuracy" */
    RAMP_SCORE_MEAN_IU = 19,        /* "mean_iu" */
    RAMP_SCORE_FW_IU = 20,          /* "fw_iu": frequency-weighted IU */
} ramp_score_kind;

/* What a score is computed from. */
typedef enum ramp_score_task {
    RAMP_TASK_CLASSIFICATION = 0, /* probabilities and class labels */
    RAMP_TASK_DETECTION = 1,      /* objects per image */
    RAMP_TASK_SEGMENTATION = 2,   /* a confusion matrix of pixels */
} ramp_score_task;

/* "accuracy", "nll", ...; "unknown" for a bad value. */
const char *ramp_score_kind_name(ramp_score_kind k);

/* The clip bounds of RAMP's rule and of nll. */
#define RAMP_SCORE_EPS 1e-15

/* One row of the score-type table: what a problem file may name. */
typedef struct ramp_score_type {
    const char *name;      /* "accuracy", "nll", "f1_above", "error", "top_k", "macro_f1",
                              "balanced_accuracy", "macro_recall", "brier", "roc_auc" */
    ramp_score_kind kind;
    int has_param;         /* 1 for f1_above (θ) and top_k (k) */
    double default_param;  /* θ = 0.5, k = 5; 0 when has_param is 0 */
    int lower_is_better;   /* 1 for error, nll and brier */
    double worst;          /* a value every real score beats (e.g. +inf for nll) */
    ramp_score_task task;  /* what it is computed from */
} ramp_score_type;

/* The entry named `name` (exact, case-sensitive); NULL when unknown.
   Returns a pointer into a static const table; thread-safe. */
const ramp_score_type *ramp_score_type_find(const char *name);

/* The entry for `kind`; NULL for a value outside the enum. Thread-safe. */
const ramp_score_type *ramp_score_type_of(ramp_score_kind kind);

/* Number of entries, and entry i (NULL when out of range). Thread-safe. */
int ramp_score_type_count(void);
const ramp_score_type *ramp_score_type_at(int i);

/* Checks a parameter for `kind`: θ must be finite, k an integer ≥ 1.
   Returns RAMP_OK or RAMP_EINVAL with a message. Thread-safe. */
ramp_status ramp_score_param_check(ramp_score_kind kind, double param, ramp_err *err);

/* 1 when score a is strictly better than b for `kind` (NaN is never
   better; anything non-NaN is better than NaN). Thread-safe. */
int ramp_score_is_better(ramp_score_kind kind, double a, double b);

/* Each score: *out ← the value defined above. proba is n × c row-major
   (borrowed), y holds n labels (borrowed). Errors leave *out = NaN. */
ramp_status ramp_score_accuracy(double *out, const double *proba, const int32_t *y, size_t n,
                                int c, ramp_err *err);
ramp_status ramp_score_error(double *out, const double *proba, const int32_t *y, size_t n, int c,
                             ramp_err *err);
ramp_status ramp_score_nll(double *out, const double *proba, const int32_t *y, size_t n, int c,
                           ramp_err *err);
ramp_status ramp_score_f1_above(double *out, double theta, const double *proba, const int32_t *y,
                                size_t n, int c, ramp_err *err);
ramp_status ramp_score_macro_f1(double *out, const double *proba, const int32_t *y, size_t n,
                                int c, ramp_err *err);
ramp_status ramp_score_top_k(double *out, int k, const double *proba, const int32_t *y, size_t n,
                             int c, ramp_err *err);

/* The score of `kind` with its parameter (θ or k; ignored by the others).
   The _f variant takes float32 probabilities (the engine's output) and
   computes in double exactly as if they had been converted first. */
ramp_status ramp_score_compute(double *out, ramp_score_kind kind, double param,
                               const double *proba, const int32_t *y, size_t n, int c,
                               ramp_err *err);
ramp_status ramp_score_compute_f(double *out, ramp_score_kind kind, double param,
                                 const float *proba, const int32_t *y, size_t n, int c,
                                 ramp_err *err);

/* RAMP's rule to combine k prediction matrices (bagging, blending):
 *   1. each matrix is clipped to [1e-15, 1 − 1e-15] (NaN stays NaN);
 *   2. each row of each matrix is divided by the sum of its non-NaN entries;
 *   3. out[i,j] = mean over the matrices of the non-NaN values at (i, j);
 *      NaN where every matrix has NaN there.
 * A row that is all NaN in one matrix (a sample outside that fold) is thus
 * ignored for that matrix. preds[m] are k borrowed n × c matrices; out
 * (n × c, caller-owned) may alias none of them. Thread-safe. */
ramp_status ramp_combine(double *out, const double *const *preds, size_t k, size_t n, int c,
                         ramp_err *err);
/* Same over float32 matrices; sums are kept in double, out is float. */
ramp_status ramp_combine_f(float *out, const float *const *preds, size_t k, size_t n, int c,
                           ramp_err *err);

#ifdef __cplusplus
}
#endif
#endif
