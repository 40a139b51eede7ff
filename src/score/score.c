/* score.c — classification scores and the score-type table.
 *
 * Every score is one pass over the rows (ramp__score_rows) with a switch on
 * the kind; per-class counts for the F1 and recall scores live in one
 * calloc'd block. The two binary scores of rampwf (Brier, ROC AUC) read
 * column 1 only: the pass keeps (p1, y) per scored row and a second step
 * scores them once the set of labels (hence the positive class) is known.
 * Sums of per-row losses use Neumaier compensation so the mean does not
 * depend on n's size beyond the last bit. Definitions: include/ramp/score.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoreInt.h"

static const ramp_score_type score_types[] = {
    {"accuracy", RAMP_SCORE_ACCURACY, 0, 0.0, 0, -INFINITY, RAMP_TASK_CLASSIFICATION},
    {"nll", RAMP_SCORE_NLL, 0, 0.0, 1, INFINITY, RAMP_TASK_CLASSIFICATION},
    {"f1_above", RAMP_SCORE_F1_ABOVE, 1, 0.5, 0, -INFINITY, RAMP_TASK_CLASSIFICATION},
    {"error", RAMP_SCORE_ERROR, 0, 0.0, 1, INFINITY, RAMP_TASK_CLASSIFICATION},
    {"top_k", RAMP_SCORE_TOP_K, 1, 5.0, 0, -INFINITY, RAMP_TASK_CLASSIFICATION},
    {"macro_f1", RAMP_SCORE_MACRO_F1, 0, 0.0, 0, -INFINITY, RAMP_TASK_CLASSIFICATION},
    {"balanced_accuracy", RAMP_SCORE_BALANCED_ACCURACY, 0, 0.0, 0, -INFINITY, RAMP_TASK_CLASSIFICATION},
    {"macro_recall", RAMP_SCORE_MACRO_RECALL, 0, 0.0, 0, -INFINITY, RAMP_TASK_CLASSIFICATION},
    {"brier", RAMP_SCORE_BRIER, 0, 0.0, 1, INFINITY, RAMP_TASK_CLASSIFICATION},
    {"roc_auc", RAMP_SCORE_ROC_AUC, 0, 0.0, 0, -INFINITY, RAMP_TASK_CLASSIFICATION},
    {"map", RAMP_SCORE_MAP, 1, 0.5, 0, -INFINITY, RAMP_TASK_DETECTION},
    {"det_precision", RAMP_SCORE_DET_PRECISION, 1, 0.5, 0, -INFINITY, RAMP_TASK_DETECTION},
    {"det_recall", RAMP_SCORE_DET_RECALL, 1, 0.5, 0, -INFINITY, RAMP_TASK_DETECTION},
    {"ospa", RAMP_SCORE_OSPA, 0, 0.0, 1, INFINITY, RAMP_TASK_DETECTION},
    {"scp", RAMP_SCORE_SCP, 0, 0.0, 1, INFINITY, RAMP_TASK_DETECTION},
    {"mad_center", RAMP_SCORE_MAD_CENTER, 1, 0.5, 1, INFINITY, RAMP_TASK_DETECTION},
    {"mad_radius", RAMP_SCORE_MAD_RADIUS, 1, 0.5, 1, INFINITY, RAMP_TASK_DETECTION},
    {"pixel_accuracy", RAMP_SCORE_PIXEL_ACCURACY, 0, 0.0, 0, -INFINITY, RAMP_TASK_SEGMENTATION},
    {"mean_accuracy", RAMP_SCORE_MEAN_ACCURACY, 0, 0.0, 0, -INFINITY, RAMP_TASK_SEGMENTATION},
    {"mean_iu", RAMP_SCORE_MEAN_IU, 0, 0.0, 0, -INFINITY, RAMP_TASK_SEGMENTATION},
    {"fw_iu", RAMP_SCORE_FW_IU, 0, 0.0, 0, -INFINITY, RAMP_TASK_SEGMENTATION},
};
#define N_SCORE_TYPES ((int)(sizeof score_types / sizeof score_types[0]))

const ramp_score_type *ramp_score_type_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < N_SCORE_TYPES; i++)
        if (strcmp(score_types[i].name, name) == 0) return &score_types[i];
    return NULL;
}

const ramp_score_type *ramp_score_type_of(ramp_score_kind kind)
{
    for (int i = 0; i < N_SCORE_TYPES; i++)
        if (score_types[i].kind == kind) return &score_types[i];
    return NULL;
}

const char *ramp_score_kind_name(ramp_score_kind k)
{
    const ramp_score_type *t = ramp_score_type_of(k);
    return t ? t->name : "unknown";
}

int ramp_score_type_count(void)
{
    return N_SCORE_TYPES;
}

const ramp_score_type *ramp_score_type_at(int i)
{
    return i >= 0 && i < N_SCORE_TYPES ? &score_types[i] : NULL;
}

ramp_status ramp_score_param_check(ramp_score_kind kind, double param, ramp_err *err)
{
    const ramp_score_type *t = ramp_score_type_of(kind);
    if (!t) return ramp__err_set(err, RAMP_EINVAL, "unknown score kind %d", (int)kind);
    if (kind == RAMP_SCORE_F1_ABOVE && !isfinite(param))
        return ramp__err_set(err, RAMP_EINVAL, "f1_above: threshold %g is not finite", param);
    if (kind == RAMP_SCORE_TOP_K && !(param >= 1 && param <= 1e9 && param == floor(param)))
        return ramp__err_set(err, RAMP_EINVAL, "top_k: k = %g is not an integer >= 1", param);
    return RAMP_OK;
}

int ramp_score_is_better(ramp_score_kind kind, double a, double b)
{
    const ramp_score_type *t = ramp_score_type_of(kind);
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return t && t->lower_is_better ? a < b : a > b;
}

int ramp__argmax(const double *row, int c)
{
    int best = 0;
    for (int k = 1; k < c; k++)
        if (row[k] > row[best] || (isnan(row[best]) && !isnan(row[k]))) best = k;
    return best;
}

int ramp__topk_hit(const double *row, int c, int y, int k)
{
    if (k >= c) return 1;
    double py = row[y];
    int above = 0;
    for (int j = 0; j < c; j++) {
        if (row[j] > py || (j > y && row[j] == py))
            if (++above >= k) return 0;
    }
    return 1;
}

double ramp__f1(uint64_t tp, uint64_t fp, uint64_t fn)
{
    uint64_t den = 2 * tp + fp + fn;
    return den ? (double)(2 * tp) / (double)den : 0.0;
}

/* Neumaier-compensated running sum. */
typedef struct {
    double s, comp;
} ksum;

static void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->comp += (k->s - t) + x;
    else
        k->comp += (x - t) + k->s;
    k->s = t;
}

double ramp__f1_score(const uint64_t *cnt, int c, ramp_score_kind kind, double theta)
{
    size_t n_cls = 0, above = 0;
    ksum fsum = {0, 0};
    for (int k = 0; k < c; k++) {
        uint64_t tp = cnt[k], fp = cnt[c + k], fn = cnt[2 * c + k];
        if (tp + fp + fn == 0) continue; /* neither in truth nor predicted */
        double f = ramp__f1(tp, fp, fn);
        n_cls++;
        above += f > theta;
        ksum_add(&fsum, f);
    }
    if (!n_cls) return NAN;
    return kind == RAMP_SCORE_F1_ABOVE ? (double)above / (double)n_cls
                                       : (fsum.s + fsum.comp) / (double)n_cls;
}

/* rampwf's BalancedAccuracy (adjusted) or MacroAveragedRecall from the
   per-class counts cnt[3c] = tp, fp, fn. Recall_k = tp_k / (tp_k + fn_k).
   Balanced: mean recall R over the classes present in y (n of them), then
   (R − 1/n) / (1 − 1/n) in that order of operations, so one class gives
   0/0 = NaN or −inf as numpy does. Macro: mean over U = y ∪ pred, a class
   only predicted counting 0. */
static double recall_score(const uint64_t *cnt, int c, ramp_score_kind kind)
{
    size_t n_cls = 0;
    ksum rsum = {0, 0};
    for (int k = 0; k < c; k++) {
        uint64_t tp = cnt[k], fp = cnt[c + k], fn = cnt[2 * c + k];
        uint64_t support = tp + fn;
        if (kind == RAMP_SCORE_BALANCED_ACCURACY ? support == 0 : tp + fp + fn == 0) continue;
        n_cls++;
        ksum_add(&rsum, support ? (double)tp / (double)support : 0.0);
    }
    if (!n_cls) return NAN;
    double r = (rsum.s + rsum.comp) / (double)n_cls;
    if (kind == RAMP_SCORE_MACRO_RECALL) return r;
    double chance = 1.0 / (double)n_cls;
    r -= chance;
    return r / (1.0 - chance);
}

/* One scored row of a binary score: column 1's probability and the label. */
typedef struct {
    double p1;
    int32_t y;
} bin_row;

static int bin_row_cmp(const void *a, const void *b)
{
    double x = ((const bin_row *)a)->p1, z = ((const bin_row *)b)->p1;
    return (x > z) - (x < z);
}

/* rampwf's BrierScore and ROCAUC on the scored rows (v: n pairs, sorted in
   place for ROC AUC). The labels seen decide the positive class as sklearn
   does: 1 when they lie in {0, 1}, else the larger one; a third label is
   an error (both are binary scores), as is a single one for ROC AUC. */
static ramp_status score_binary(double *out, ramp_score_kind kind, bin_row *v, size_t n,
                                ramp_err *err)
{
    int32_t lab[2] = {0, 0};
    int nl = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t y = v[i].y;
        if ((nl > 0 && lab[0] == y) || (nl > 1 && lab[1] == y)) continue;
        if (nl == 2)
            return ramp__err_set(err, RAMP_EINVAL,
                                 "%s: y holds classes %d, %d and %d: rampwf's %s is binary (column "
                                 "1 scored against class 1)",
                                 kind == RAMP_SCORE_BRIER ? "brier" : "roc_auc", (int)lab[0],
                                 (int)lab[1], (int)y,
                                 kind == RAMP_SCORE_BRIER ? "BrierScore" : "ROCAUC");
        lab[nl++] = y;
    }
    int32_t hi = nl == 2 && lab[1] > lab[0] ? lab[1] : lab[0];
    if (kind == RAMP_SCORE_BRIER) {
        int32_t pos = hi <= 1 ? 1 : hi;
        ksum s = {0, 0};
        for (size_t i = 0; i < n; i++) {
            double d = (double)(v[i].y == pos) - v[i].p1;
            ksum_add(&s, d * d);
        }
        *out = (s.s + s.comp) / (double)n;
        return RAMP_OK;
    }
    if (nl < 2)
        return ramp__err_set(err, RAMP_EINVAL,
                             "roc_auc: only class %d is present in y: ROC AUC is not defined",
                             (int)lab[0]);
    /* Mann-Whitney: a (positive, negative) pair counts 1 when the positive
       scores higher, 1/2 on a tie; that is the area under sklearn's ROC
       curve. Twice the count is an integer, so the sum is exact. */
    qsort(v, n, sizeof *v, bin_row_cmp);
    uint64_t n_pos = 0, n_neg = 0, twice = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint64_t gp = 0, gn = 0;
        for (; j < n && v[j].p1 == v[i].p1; j++) {
            if (v[j].y == hi)
                gp++;
            else
                gn++;
        }
        twice += 2 * gp * n_neg + gp * gn;
        n_pos += gp;
        n_neg += gn;
        i = j;
    }
    *out = (double)twice / (2.0 * (double)n_pos * (double)n_neg);
    return RAMP_OK;
}

static double nll_row(const double *row, int c, int y)
{
    const double lo = RAMP_SCORE_EPS, hi = 1.0 - RAMP_SCORE_EPS;
    double sum = 0.0, qy = 0.0;
    for (int k = 0; k < c; k++) {
        double q = row[k] < lo ? lo : row[k] > hi ? hi : row[k];
        sum += q;
        if (k == y) qy = q;
    }
    return -log(qy / sum);
}

ramp_status ramp__score_rows(double *out, ramp_score_kind kind, double param, const ramp__rows *m,
                             const int32_t *y, ramp_err *err)
{
    *out = NAN;
    const ramp_score_type *t = ramp_score_type_of(kind);
    if (!t) return ramp__err_set(err, RAMP_EINVAL, "unknown score kind %d", (int)kind);
    if (t->task != RAMP_TASK_CLASSIFICATION)
        return ramp__err_set(err, RAMP_EINVAL, "%s is a %s score: it is not computed from probabilities",
                             t->name, t->task == RAMP_TASK_DETECTION ? "detection" : "segmentation");
    if ((!m->d && !m->f) || !y)
        return ramp__err_set(err, RAMP_EINVAL, "%s: NULL probabilities or labels", t->name);
    if (m->c < 1) return ramp__err_set(err, RAMP_EINVAL, "%s: %d classes", t->name, m->c);
    ramp_status st = ramp_score_param_check(kind, param, err);
    if (st) return st;

    const int c = m->c;
    int f1 = kind == RAMP_SCORE_F1_ABOVE || kind == RAMP_SCORE_MACRO_F1 ||
             kind == RAMP_SCORE_BALANCED_ACCURACY || kind == RAMP_SCORE_MACRO_RECALL;
    int binary = kind == RAMP_SCORE_BRIER || kind == RAMP_SCORE_ROC_AUC;
    int topk = kind == RAMP_SCORE_TOP_K ? (param > c ? c : (int)param) : 0;
    double *scratch = NULL;
    uint64_t *cnt = NULL; /* [3c]: tp, fp, fn */
    bin_row *bin = NULL;  /* [n]: (p1, y) of the scored rows */
    if (binary && c < 2)
        return ramp__err_set(err, RAMP_EINVAL,
                             "%s: 1 class: the score reads column 1, the probability of class 1",
                             t->name);
    if (m->f && !(scratch = malloc((size_t)c * sizeof *scratch))) goto nomem;
    if (f1 && !(cnt = calloc(3 * (size_t)c, sizeof *cnt))) goto nomem;
    if (binary && !(bin = malloc((m->n ? m->n : 1) * sizeof *bin))) goto nomem;

    size_t used = 0, hits = 0;
    ksum loss = {0, 0};
    for (size_t i = 0; i < m->n; i++) {
        const double *row = ramp__rows_get(m, i, scratch);
        int n_nan = 0;
        for (int k = 0; k < c; k++)
            n_nan += isnan(row[k]) != 0;
        if (n_nan == c) continue;
        if (n_nan) {
            st = ramp__err_set(err, RAMP_EINVAL, "%s: row %zu has %d NaN of %d entries", t->name,
                               i, n_nan, c);
            goto fail;
        }
        if (y[i] < 0 || y[i] >= c) {
            st = ramp__err_set(err, RAMP_ERANGE, "%s: label %d of row %zu is outside [0, %d)",
                               t->name, (int)y[i], i, c);
            goto fail;
        }
        used++;
        switch (kind) {
        case RAMP_SCORE_ACCURACY:
        case RAMP_SCORE_ERROR:
            hits += ramp__argmax(row, c) == y[i];
            break;
        case RAMP_SCORE_NLL:
            ksum_add(&loss, nll_row(row, c, y[i]));
            break;
        case RAMP_SCORE_TOP_K:
            hits += (size_t)ramp__topk_hit(row, c, y[i], topk);
            break;
        case RAMP_SCORE_BRIER:
        case RAMP_SCORE_ROC_AUC:
            /* sklearn refuses these without naming the row; ramp names it */
            if (kind == RAMP_SCORE_BRIER && !(row[1] >= 0.0 && row[1] <= 1.0)) {
                st = ramp__err_set(err, RAMP_EINVAL,
                                   "brier: row %zu: probability of class 1 is %g, outside [0, 1]",
                                   i, row[1]);
                goto fail;
            }
            if (!isfinite(row[1])) {
                st = ramp__err_set(err, RAMP_EINVAL,
                                   "roc_auc: row %zu: probability of class 1 is %g", i, row[1]);
                goto fail;
            }
            bin[used - 1].p1 = row[1];
            bin[used - 1].y = y[i];
            break;
        case RAMP_SCORE_F1_ABOVE:
        case RAMP_SCORE_MACRO_F1:
        case RAMP_SCORE_BALANCED_ACCURACY:
        case RAMP_SCORE_MACRO_RECALL: {
            int p = ramp__argmax(row, c);
            if (p == y[i]) {
                cnt[p]++;
            } else {
                cnt[c + p]++;
                cnt[2 * c + y[i]]++;
            }
            break;
        }
        default: /* other tasks were refused above */
            break;
        }
    }
    if (!used) {
        st = ramp__err_set(err, RAMP_EINVAL, "%s: no row to score (n = %zu)", t->name, m->n);
        goto fail;
    }
    switch (kind) {
    case RAMP_SCORE_ACCURACY:
    case RAMP_SCORE_TOP_K:
        *out = (double)hits / (double)used;
        break;
    case RAMP_SCORE_ERROR:
        *out = 1.0 - (double)hits / (double)used;
        break;
    case RAMP_SCORE_NLL:
        *out = (loss.s + loss.comp) / (double)used;
        break;
    case RAMP_SCORE_F1_ABOVE:
    case RAMP_SCORE_MACRO_F1:
        *out = ramp__f1_score(cnt, c, kind, param);
        break;
    case RAMP_SCORE_BALANCED_ACCURACY:
    case RAMP_SCORE_MACRO_RECALL:
        *out = recall_score(cnt, c, kind);
        break;
    case RAMP_SCORE_BRIER:
    case RAMP_SCORE_ROC_AUC:
        st = score_binary(out, kind, bin, used, err);
        if (st) goto fail;
        break;
    default: /* other tasks were refused above */
        break;
    }
    free(scratch);
    free(cnt);
    free(bin);
    return RAMP_OK;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %d classes", t->name, c);
fail:
    free(scratch);
    free(cnt);
    free(bin);
    *out = NAN;
    return st;
}

ramp_status ramp_score_compute(double *out, ramp_score_kind kind, double param,
                               const double *proba, const int32_t *y, size_t n, int c,
                               ramp_err *err)
{
    ramp__rows m = {proba, NULL, n, c};
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "score: NULL output");
    if (!proba) {
        *out = NAN;
        return ramp__err_set(err, RAMP_EINVAL, "score: NULL probabilities");
    }
    return ramp__score_rows(out, kind, param, &m, y, err);
}

ramp_status ramp_score_compute_f(double *out, ramp_score_kind kind, double param,
                                 const float *proba, const int32_t *y, size_t n, int c,
                                 ramp_err *err)
{
    ramp__rows m = {NULL, proba, n, c};
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "score: NULL output");
    if (!proba) {
        *out = NAN;
        return ramp__err_set(err, RAMP_EINVAL, "score: NULL probabilities");
    }
    return ramp__score_rows(out, kind, param, &m, y, err);
}

ramp_status ramp_score_accuracy(double *out, const double *proba, const int32_t *y, size_t n,
                                int c, ramp_err *err)
{
    return ramp_score_compute(out, RAMP_SCORE_ACCURACY, 0, proba, y, n, c, err);
}

ramp_status ramp_score_error(double *out, const double *proba, const int32_t *y, size_t n, int c,
                             ramp_err *err)
{
    return ramp_score_compute(out, RAMP_SCORE_ERROR, 0, proba, y, n, c, err);
}

ramp_status ramp_score_nll(double *out, const double *proba, const int32_t *y, size_t n, int c,
                           ramp_err *err)
{
    return ramp_score_compute(out, RAMP_SCORE_NLL, 0, proba, y, n, c, err);
}

ramp_status ramp_score_f1_above(double *out, double theta, const double *proba, const int32_t *y,
                                size_t n, int c, ramp_err *err)
{
    return ramp_score_compute(out, RAMP_SCORE_F1_ABOVE, theta, proba, y, n, c, err);
}

ramp_status ramp_score_macro_f1(double *out, const double *proba, const int32_t *y, size_t n,
                                int c, ramp_err *err)
{
    return ramp_score_compute(out, RAMP_SCORE_MACRO_F1, 0, proba, y, n, c, err);
}

ramp_status ramp_score_top_k(double *out, int k, const double *proba, const int32_t *y, size_t n,
                             int c, ramp_err *err)
{
    return ramp_score_compute(out, RAMP_SCORE_TOP_K, (double)k, proba, y, n, c, err);
}
