/* score.c — classification scores and the score-type table.
 *
 * Every score is one pass over the rows (ramp__score_rows) with a switch on
 * the kind; per-class counts for the F1 scores live in one calloc'd block.
 * Sums of per-row losses use Neumaier compensation so the mean does not
 * depend on n's size beyond the last bit. Definitions: include/ramp/score.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoreInt.h"

static const ramp_score_type score_types[] = {
    {"accuracy", RAMP_SCORE_ACCURACY, 0, 0.0, 0, -INFINITY},
    {"nll", RAMP_SCORE_NLL, 0, 0.0, 1, INFINITY},
    {"f1_above", RAMP_SCORE_F1_ABOVE, 1, 0.5, 0, -INFINITY},
    {"error", RAMP_SCORE_ERROR, 0, 0.0, 1, INFINITY},
    {"top_k", RAMP_SCORE_TOP_K, 1, 5.0, 0, -INFINITY},
    {"macro_f1", RAMP_SCORE_MACRO_F1, 0, 0.0, 0, -INFINITY},
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
    if ((!m->d && !m->f) || !y)
        return ramp__err_set(err, RAMP_EINVAL, "%s: NULL probabilities or labels", t->name);
    if (m->c < 1) return ramp__err_set(err, RAMP_EINVAL, "%s: %d classes", t->name, m->c);
    ramp_status st = ramp_score_param_check(kind, param, err);
    if (st) return st;

    const int c = m->c;
    int f1 = kind == RAMP_SCORE_F1_ABOVE || kind == RAMP_SCORE_MACRO_F1;
    int topk = kind == RAMP_SCORE_TOP_K ? (param > c ? c : (int)param) : 0;
    double *scratch = NULL;
    uint64_t *cnt = NULL; /* [3c]: tp, fp, fn */
    if (m->f && !(scratch = malloc((size_t)c * sizeof *scratch))) goto nomem;
    if (f1 && !(cnt = calloc(3 * (size_t)c, sizeof *cnt))) goto nomem;

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
        case RAMP_SCORE_F1_ABOVE:
        case RAMP_SCORE_MACRO_F1: {
            int p = ramp__argmax(row, c);
            if (p == y[i]) {
                cnt[p]++;
            } else {
                cnt[c + p]++;
                cnt[2 * c + y[i]]++;
            }
            break;
        }
        default: /* placeholder until these kinds are implemented */
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
    default:
        st = ramp__err_set(err, RAMP_EUNSUPPORTED, "%s: not implemented yet", t->name);
        goto fail;
    }
    free(scratch);
    free(cnt);
    return RAMP_OK;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %d classes", t->name, c);
fail:
    free(scratch);
    free(cnt);
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
