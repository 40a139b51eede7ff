/* blend.c — greedy forward selection with replacement (include/ramp/blend.h).
 *
 * One fold at a time. Each submission's validation predictions are loaded
 * into one big float block X[sub][row][class], clipped and renormalised in
 * place, and summarised per row: the true-class value xt, the row sum xsum
 * and the largest other value xmo. The selected ensemble is a double running
 * sum S (rows × classes) with the same summaries St, Ssum, Smo, refreshed
 * once per round. A candidate j then costs:
 *   nll:      n rows of (St + xt) / (Ssum + xsum)           — no row read;
 *   accuracy: a row is a hit when St+xt > Smo+xmo (rounded addition is
 *             monotonic, so no other class can reach it), a miss when
 *             St+xt < max(Smo, xmo); only the rows in between are scanned;
 *   F1, top-k: rows certified as hits need no scan; the others are scanned.
 * Ties are judged on the sums (the mean only divides them by the list
 * length). Candidates are split into n_threads contiguous ranges.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/blend.h"
#include "scoreInt.h"

typedef struct fold_state {
    int n_sub, c;
    size_t nv;
    const int32_t *y; /* [nv] */
    float *X;         /* [n_sub][nv][c] prepared copies */
    float *xt, *xmo;  /* [n_sub][nv] */
    double *xsum;     /* [n_sub][nv] */
    double *S;        /* [nv][c] sum of the selected copies */
    double *St, *Ssum, *Smo; /* [nv] */
    ramp_score_kind kind;
    double param;
    int topk;
    /* loading */
    const ramp_blend_input *in;
    int fold, parallel_load;
} fold_state;

/* --- helpers ----------------------------------------------------------------- */

typedef ramp_status (*item_fn)(void *ctx, int item, int tid, ramp_err *err);

typedef struct {
    item_fn fn;
    void *ctx;
    int i0, i1, tid;
    ramp_status st;
    ramp_err err;
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    for (int i = j->i0; i < j->i1 && !j->st; i++)
        j->st = j->fn(j->ctx, i, j->tid, &j->err);
    return NULL;
}

/* Runs fn(ctx, i, tid) for i in [0, n) on up to n_threads threads, each a
   contiguous range; returns the first failure (by thread order). */
static ramp_status par_for(int n_threads, int n, item_fn fn, void *ctx, ramp_err *err)
{
    if (n_threads > n) n_threads = n;
    if (n_threads < 1) n_threads = 1;
    par_job jobs[16];
    pthread_t th[16];
    int started[16] = {0};
    if (n_threads > 16) n_threads = 16;
    for (int t = 0; t < n_threads; t++) {
        jobs[t] = (par_job){fn, ctx, (int)((long)n * t / n_threads),
                            (int)((long)n * (t + 1) / n_threads), t, RAMP_OK, {RAMP_OK, ""}};
    }
    for (int t = 1; t < n_threads; t++)
        started[t] = pthread_create(&th[t], NULL, par_worker, &jobs[t]) == 0;
    par_worker(&jobs[0]);
    for (int t = 1; t < n_threads; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            par_worker(&jobs[t]); /* could not start a thread: do its share here */
    }
    for (int t = 0; t < n_threads; t++) {
        if (jobs[t].st) {
            if (err) *err = jobs[t].err;
            return jobs[t].st;
        }
    }
    return RAMP_OK;
}

/* --- preparation --------------------------------------------------------- */

static ramp_status load_one(fold_state *fs, int s, ramp_err *err)
{
    float *x = fs->X + (size_t)s * fs->nv * (size_t)fs->c;
    ramp_status st = fs->in->load(fs->in->load_ctx, s, fs->fold, RAMP_BLEND_VALID, x, fs->nv,
                                  fs->c, err);
    if (st && err && err->code != st)
        ramp__err_set(err, st, "blend: loading submission %d fold %d: %s", s, fs->fold,
                      ramp_strerror(st));
    return st;
}

/* Clip, renormalise and summarise submission s (double scratch of c). */
static ramp_status prep_one(void *ctx, int s, int tid, ramp_err *err)
{
    (void)tid;
    fold_state *fs = ctx;
    ramp_status st;
    if (fs->parallel_load && (st = load_one(fs, s, err))) return st;
    const int c = fs->c;
    double row[1024], *buf = c <= 1024 ? row : malloc((size_t)c * sizeof *buf);
    if (!buf) return ramp__err_set(err, RAMP_ENOMEM, "blend: out of memory");
    for (size_t i = 0; i < fs->nv; i++) {
        float *x = fs->X + ((size_t)s * fs->nv + i) * (size_t)c;
        for (int k = 0; k < c; k++) {
            if (!isfinite(x[k])) {
                if (buf != row) free(buf);
                return ramp__err_set(err, RAMP_EBADOUTPUT,
                                     "blend: submission %d fold %d: prediction [%zu, %d] is %g",
                                     s, fs->fold, i, k, (double)x[k]);
            }
            buf[k] = (double)x[k];
        }
        ramp__clip_renorm(buf, buf, c);
        int y = fs->y[i];
        double sum = 0.0;
        float mo = 0.0f;
        for (int k = 0; k < c; k++) {
            x[k] = (float)buf[k];
            sum += (double)x[k];
            if (k != y && x[k] > mo) mo = x[k];
        }
        size_t q = (size_t)s * fs->nv + i;
        fs->xt[q] = x[y];
        fs->xsum[q] = sum;
        fs->xmo[q] = mo;
    }
    if (buf != row) free(buf);
    return RAMP_OK;
}

/* Refreshes St, Ssum, Smo from S. */
static void update_stats(fold_state *fs)
{
    const int c = fs->c;
    for (size_t i = 0; i < fs->nv; i++) {
        const double *r = fs->S + i * (size_t)c;
        int y = fs->y[i];
        double sum = 0.0, mo = 0.0;
        for (int k = 0; k < c; k++) {
            sum += r[k];
            if (k != y && r[k] > mo) mo = r[k];
        }
        fs->St[i] = r[y];
        fs->Ssum[i] = sum;
        fs->Smo[i] = mo;
    }
}

/* --- scoring a candidate -------------------------------------------------- */

/* First argmax of S[i] + x over the row. */
static int row_argmax(const double *S, const float *x, int c)
{
    int best = 0;
    double bv = S[0] + (double)x[0];
    for (int k = 1; k < c; k++) {
        double v = S[k] + (double)x[k];
        if (v > bv) {
            bv = v;
            best = k;
        }
    }
    return best;
}

/* Score of the ensemble S + candidate j; cnt: 3c scratch for F1 kinds. */
static double eval_cand(const fold_state *fs, int j, uint64_t *cnt)
{
    const int c = fs->c;
    const size_t nv = fs->nv, off = (size_t)j * nv;
    const float *xt = fs->xt + off, *xmo = fs->xmo + off;
    const double *xsum = fs->xsum + off;
    const float *X = fs->X + off * (size_t)c;
    const double lo = RAMP_SCORE_EPS, hi = 1.0 - RAMP_SCORE_EPS;
    switch (fs->kind) {
    case RAMP_SCORE_NLL: {
        double loss = 0.0;
        for (size_t i = 0; i < nv; i++) {
            double p = (fs->St[i] + (double)xt[i]) / (fs->Ssum[i] + xsum[i]);
            p = p < lo ? lo : p > hi ? hi : p;
            loss -= log(p);
        }
        return loss / (double)nv;
    }
    case RAMP_SCORE_ACCURACY:
    case RAMP_SCORE_ERROR: {
        size_t hits = 0;
        for (size_t i = 0; i < nv; i++) {
            double vy = fs->St[i] + (double)xt[i];
            if (vy > fs->Smo[i] + (double)xmo[i]) {
                hits++;
            } else if (vy < fs->Smo[i] || vy < (double)xmo[i]) {
                /* some class beats y */
            } else {
                hits += row_argmax(fs->S + i * (size_t)c, X + i * (size_t)c, c) == fs->y[i];
            }
        }
        double acc = (double)hits / (double)nv;
        return fs->kind == RAMP_SCORE_ERROR ? 1.0 - acc : acc;
    }
    case RAMP_SCORE_F1_ABOVE:
    case RAMP_SCORE_MACRO_F1: {
        memset(cnt, 0, 3 * (size_t)c * sizeof *cnt);
        for (size_t i = 0; i < nv; i++) {
            int y = fs->y[i];
            double vy = fs->St[i] + (double)xt[i];
            int p = vy > fs->Smo[i] + (double)xmo[i]
                        ? y
                        : row_argmax(fs->S + i * (size_t)c, X + i * (size_t)c, c);
            if (p == y) {
                cnt[y]++;
            } else {
                cnt[c + p]++;
                cnt[2 * c + y]++;
            }
        }
        return ramp__f1_score(cnt, c, fs->kind, fs->param);
    }
    case RAMP_SCORE_TOP_K: {
        size_t hits = 0;
        for (size_t i = 0; i < nv; i++) {
            int y = fs->y[i];
            double vy = fs->St[i] + (double)xt[i];
            if (fs->topk >= c || vy > fs->Smo[i] + (double)xmo[i]) {
                hits++;
                continue;
            }
            const double *S = fs->S + i * (size_t)c;
            const float *x = X + i * (size_t)c;
            int above = 0;
            for (int k = 0; k < c && above < fs->topk; k++) {
                double v = S[k] + (double)x[k];
                above += v > vy || (k > y && v == vy);
            }
            hits += above < fs->topk;
        }
        return (double)hits / (double)nv;
    }
    case RAMP_SCORE_BALANCED_ACCURACY:
    case RAMP_SCORE_MACRO_RECALL:
    case RAMP_SCORE_BRIER:
    case RAMP_SCORE_ROC_AUC: {
        /* no incremental form: the ensemble's rows, normalised, scored whole */
        double *m = malloc(nv * (size_t)c * sizeof *m), v = NAN;
        if (!m) return NAN;
        for (size_t i = 0; i < nv; i++) {
            double den = fs->Ssum[i] + xsum[i];
            for (int k = 0; k < c; k++)
                m[i * (size_t)c + (size_t)k] =
                    (fs->S[i * (size_t)c + (size_t)k] + (double)X[i * (size_t)c + (size_t)k]) / den;
        }
        if (ramp_score_compute(&v, fs->kind, fs->param, m, fs->y, nv, c, NULL)) v = NAN;
        free(m);
        return v;
    }
    default: /* detection and segmentation scores do not blend probabilities */
        break;
    }
    return NAN;
}

typedef struct {
    fold_state *fs;
    double *scores;
    uint64_t *cnt; /* [n_threads][3c] */
} eval_ctx;

static ramp_status eval_item(void *ctx, int j, int tid, ramp_err *err)
{
    (void)err;
    eval_ctx *e = ctx;
    e->scores[j] = eval_cand(e->fs, j, e->cnt + (size_t)tid * 3 * (size_t)e->fs->c);
    return RAMP_OK;
}

/* --- bagging accumulators -------------------------------------------------- */

/* acc[idx[i]] += clip_renorm(row i of m) (m: rows × c doubles), cnt[idx[i]]++ */
static void bag_add(double *acc, uint32_t *cnt, const size_t *idx, const double *m, size_t rows,
                    int c, double *tmp)
{
    for (size_t i = 0; i < rows; i++) {
        size_t r = idx ? idx[i] : i;
        ramp__clip_renorm(tmp, m + i * (size_t)c, c);
        for (int k = 0; k < c; k++)
            acc[r * (size_t)c + k] += tmp[k];
        cnt[r]++;
    }
}

static void bag_add_f(double *acc, uint32_t *cnt, const size_t *idx, const float *m, size_t rows,
                      int c, double *tmp)
{
    for (size_t i = 0; i < rows; i++) {
        size_t r = idx ? idx[i] : i;
        for (int k = 0; k < c; k++)
            tmp[k] = (double)m[i * (size_t)c + k];
        ramp__clip_renorm(tmp, tmp, c);
        for (int k = 0; k < c; k++)
            acc[r * (size_t)c + k] += tmp[k];
        cnt[r]++;
    }
}

/* acc /= cnt in place (NaN rows where cnt is 0), then the score. */
static ramp_status bag_score(double *out, double *acc, const uint32_t *cnt, size_t rows, int c,
                             const int32_t *y, const ramp_blend_params *p, ramp_err *err)
{
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < c; k++)
            acc[r * (size_t)c + k] = cnt[r] ? acc[r * (size_t)c + k] / cnt[r] : NAN;
    return ramp_score_compute(out, p->kind, p->param, acc, y, rows, c, err);
}

/* --- the blend ------------------------------------------------------------- */

void ramp_blend_result_free(ramp_blend_result *r)
{
    if (!r) return;
    if (r->selected)
        for (int f = 0; f < r->n_folds; f++)
            free(r->selected[f]);
    free(r->selected);
    free(r->n_selected);
    free(r->contributivity);
    free(r->contributivity_pct);
    free(r->fold_valid);
    free(r->fold_best);
    free(r->fold_best_valid);
    free(r);
}

ramp_status ramp_blend_load_memory(void *ctx, int sub, int fold, ramp_blend_which which,
                                   float *dst, size_t rows, int c, ramp_err *err)
{
    const ramp_blend_memory *m = ctx;
    const float *const *src = which == RAMP_BLEND_TEST ? m->test : m->valid;
    const float *a = src ? src[(size_t)fold * (size_t)m->n_sub + (size_t)sub] : NULL;
    if (!a)
        return ramp__err_set(err, RAMP_EINVAL, "blend: no %s predictions for submission %d fold %d",
                             which == RAMP_BLEND_TEST ? "test" : "validation", sub, fold);
    memcpy(dst, a, rows * (size_t)c * sizeof *dst);
    return RAMP_OK;
}

static ramp_status check_input(const ramp_blend_input *in, const ramp_blend_params *p,
                               ramp_err *err)
{
    if (!in || !p) return ramp__err_set(err, RAMP_EINVAL, "blend: NULL input or params");
    if (in->n_sub < 1 || in->n_folds < 1 || in->n_classes < 1 || !in->load || !in->y_train ||
        !in->n_valid || !in->valid_index || (in->n_test && !in->y_test))
        return ramp__err_set(err, RAMP_EINVAL,
                             "blend: need n_sub, n_folds, n_classes >= 1, labels, folds and a "
                             "loader");
    if (!(p->min_improvement >= 0))
        return ramp__err_set(err, RAMP_EINVAL, "blend: min_improvement %g < 0", p->min_improvement);
    if (p->max_n_ensemble < 0)
        return ramp__err_set(err, RAMP_EINVAL, "blend: max_n_ensemble %d < 0", p->max_n_ensemble);
    for (size_t i = 0; i < in->n_train; i++)
        if (in->y_train[i] < 0 || in->y_train[i] >= in->n_classes)
            return ramp__err_set(err, RAMP_ERANGE, "blend: training label %d at %zu outside [0, %d)",
                                 (int)in->y_train[i], i, in->n_classes);
    for (size_t i = 0; i < in->n_test; i++)
        if (in->y_test[i] < 0 || in->y_test[i] >= in->n_classes)
            return ramp__err_set(err, RAMP_ERANGE, "blend: test label %d at %zu outside [0, %d)",
                                 (int)in->y_test[i], i, in->n_classes);
    for (int f = 0; f < in->n_folds; f++) {
        if (in->n_valid[f] == 0 || !in->valid_index[f])
            return ramp__err_set(err, RAMP_EINVAL, "blend: fold %d has no validation samples", f);
        for (size_t i = 0; i < in->n_valid[f]; i++)
            if (in->valid_index[f][i] >= in->n_train)
                return ramp__err_set(err, RAMP_ERANGE,
                                     "blend: fold %d validation index %zu = %zu >= n_train %zu", f,
                                     i, in->valid_index[f][i], in->n_train);
    }
    return ramp_score_param_check(p->kind, p->param, err);
}

static void *xcalloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    return calloc(n ? n : 1, size);
}

ramp_status ramp_blend_run(ramp_blend_result **out, const ramp_blend_input *in,
                           const ramp_blend_params *params, ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "blend: NULL output");
    *out = NULL;
    ramp_blend_params p = params ? *params : (ramp_blend_params){0};
    const ramp_score_type *type = ramp_score_type_of(p.kind);
    if (type && type->has_param && p.param == 0) p.param = type->default_param;
    ramp_status st = check_input(in, params ? &p : NULL, err);
    if (st) return st;
    if (p.max_n_ensemble == 0) p.max_n_ensemble = 80;
    if (p.n_threads <= 0) p.n_threads = 2;
    const int c = in->n_classes, ns = in->n_sub, nf = in->n_folds;
    const size_t cz = (size_t)c;

    ramp_blend_result *r = calloc(1, sizeof *r);
    fold_state fs = {0};
    double *accV = NULL, *accB = NULL, *accT = NULL, *accTB = NULL, *tmp = NULL, *M = NULL;
    uint32_t *cntV = NULL, *cntB = NULL, *cntT = NULL, *cntTB = NULL;
    int32_t *yv = NULL;
    double *scores = NULL;
    uint64_t *cnt = NULL;
    float *tbuf = NULL;
    int *times = NULL;
    if (!r) goto nomem;
    r->n_sub = ns;
    r->n_folds = nf;
    if (!(r->contributivity = xcalloc((size_t)ns, sizeof(double))) ||
        !(r->contributivity_pct = xcalloc((size_t)ns, sizeof(int))) ||
        !(r->selected = xcalloc((size_t)nf, sizeof(int *))) ||
        !(r->n_selected = xcalloc((size_t)nf, sizeof(int))) ||
        !(r->fold_valid = xcalloc((size_t)nf, sizeof(double))) ||
        !(r->fold_best = xcalloc((size_t)nf, sizeof(int))) ||
        !(r->fold_best_valid = xcalloc((size_t)nf, sizeof(double))) ||
        !(accV = xcalloc(in->n_train * cz, sizeof *accV)) ||
        !(accB = xcalloc(in->n_train * cz, sizeof *accB)) ||
        !(cntV = xcalloc(in->n_train, sizeof *cntV)) ||
        !(cntB = xcalloc(in->n_train, sizeof *cntB)) || !(tmp = xcalloc(cz, sizeof *tmp)) ||
        !(scores = xcalloc((size_t)ns, sizeof *scores)) ||
        !(times = xcalloc((size_t)ns, sizeof *times)) ||
        !(cnt = xcalloc((size_t)p.n_threads * 3 * cz, sizeof *cnt)))
        goto nomem;
    if (in->n_test &&
        (!(accT = xcalloc(in->n_test * cz, sizeof *accT)) ||
         !(accTB = xcalloc(in->n_test * cz, sizeof *accTB)) ||
         !(cntT = xcalloc(in->n_test, sizeof *cntT)) ||
         !(cntTB = xcalloc(in->n_test, sizeof *cntTB)) ||
         !(M = xcalloc(in->n_test * cz, sizeof *M)) || !(tbuf = xcalloc(in->n_test * cz, sizeof *tbuf))))
        goto nomem;

    /* the per-fold buffers, sized for the largest fold, reused (first-touch
       page faults of a multi-GB block cost as much as a blend round) */
    size_t nvmax = 0;
    for (int f = 0; f < nf; f++)
        if (in->n_valid[f] > nvmax) nvmax = in->n_valid[f];
    fs = (fold_state){.n_sub = ns, .c = c, .kind = p.kind, .param = p.param, .in = in,
                      .parallel_load = p.parallel_load};
    size_t nx = (size_t)ns * nvmax;
    if (nx / nvmax != (size_t)ns || nx * cz / cz != nx || nx * cz > SIZE_MAX / sizeof(float)) {
        st = ramp__err_set(err, RAMP_ETOOBIG, "blend: %d × %zu × %d overflows", ns, nvmax, c);
        goto fail;
    }
    if (!(fs.X = malloc(nx * cz * sizeof *fs.X)) || !(fs.xt = malloc(nx * sizeof *fs.xt)) ||
        !(fs.xmo = malloc(nx * sizeof *fs.xmo)) || !(fs.xsum = malloc(nx * sizeof *fs.xsum)) ||
        !(fs.S = xcalloc(nvmax * cz, sizeof *fs.S)) || !(fs.St = xcalloc(nvmax, sizeof *fs.St)) ||
        !(fs.Ssum = xcalloc(nvmax, sizeof *fs.Ssum)) || !(fs.Smo = xcalloc(nvmax, sizeof *fs.Smo))) {
        st = ramp__err_set(err, RAMP_ENOMEM, "blend: out of memory for %d × %zu × %d predictions",
                           ns, nvmax, c);
        goto fail;
    }
    for (int f = 0; f < nf; f++) {
        const size_t nv = in->n_valid[f];
        const size_t *idx = in->valid_index[f];
        if (!(r->selected[f] = xcalloc((size_t)p.max_n_ensemble, sizeof(int)))) goto nomem;
        free(yv);
        if (!(yv = xcalloc(nv, sizeof *yv))) goto nomem;
        for (size_t i = 0; i < nv; i++)
            yv[i] = in->y_train[idx[i]];
        fs.nv = nv;
        fs.y = yv;
        fs.fold = f;
        fs.topk = p.kind == RAMP_SCORE_TOP_K ? (p.param > c ? c : (int)p.param) : 0;
        memset(fs.S, 0, nv * cz * sizeof *fs.S);
        memset(fs.St, 0, nv * sizeof *fs.St);
        memset(fs.Ssum, 0, nv * sizeof *fs.Ssum);
        memset(fs.Smo, 0, nv * sizeof *fs.Smo);
        if (!p.parallel_load)
            for (int s = 0; s < ns; s++)
                if ((st = load_one(&fs, s, err))) goto fail;
        if ((st = par_for(p.n_threads, ns, prep_one, &fs, err))) goto fail;

        /* best single (S = 0) */
        eval_ctx ec = {&fs, scores, cnt};
        par_for(p.n_threads, ns, eval_item, &ec, NULL);
        int best = 0;
        for (int s = 1; s < ns; s++)
            if (ramp_score_is_better(p.kind, scores[s], scores[best])) best = s;
        r->fold_best[f] = best;
        double cur = scores[best];
        int *sel = r->selected[f], m = 0;
        sel[m++] = best;
        const float *xb = fs.X + (size_t)best * nv * cz;
        for (size_t q = 0; q < nv * cz; q++)
            fs.S[q] = (double)xb[q];
        while (m < p.max_n_ensemble) {
            update_stats(&fs);
            par_for(p.n_threads, ns, eval_item, &ec, NULL);
            int bj = -1;
            double bs = cur;
            for (int j = 0; j < ns; j++)
                if (ramp_score_is_better(p.kind, scores[j], bs)) {
                    bj = j;
                    bs = scores[j];
                }
            if (bj < 0 || !(fabs(bs - cur) > p.min_improvement)) break;
            sel[m++] = bj;
            cur = bs;
            const float *xj = fs.X + (size_t)bj * nv * cz;
            for (size_t q = 0; q < nv * cz; q++)
                fs.S[q] += (double)xj[q];
        }
        r->n_selected[f] = m;
        memset(times, 0, (size_t)ns * sizeof *times);
        for (int q = 0; q < m; q++)
            times[sel[q]]++;
        for (int s = 0; s < ns; s++)
            r->contributivity[s] += (double)times[s] / m / nf;

        /* exact scores of the fold's ensemble and best single; bagging */
        for (size_t q = 0; q < nv * cz; q++)
            fs.S[q] /= m;
        if ((st = ramp_score_compute(&r->fold_valid[f], p.kind, p.param, fs.S, yv, nv, c, err)) ||
            (st = ramp_score_compute_f(&r->fold_best_valid[f], p.kind, p.param, xb, yv, nv, c,
                                       err)))
            goto fail;
        bag_add(accV, cntV, idx, fs.S, nv, c, tmp);
        bag_add_f(accB, cntB, idx, xb, nv, c, tmp);

        if (in->n_test) {
            const size_t nt = in->n_test;
            memset(M, 0, nt * cz * sizeof *M);
            for (int s = 0; s < ns; s++) {
                if (!times[s] && s != best) continue;
                if ((st = in->load(in->load_ctx, s, f, RAMP_BLEND_TEST, tbuf, nt, c, err)))
                    goto fail;
                for (size_t i = 0; i < nt; i++) {
                    for (int k = 0; k < c; k++) {
                        float v = tbuf[i * cz + (size_t)k];
                        if (!isfinite(v)) {
                            st = ramp__err_set(err, RAMP_EBADOUTPUT,
                                               "blend: submission %d fold %d: test prediction "
                                               "[%zu, %d] is %g",
                                               s, f, i, k, (double)v);
                            goto fail;
                        }
                        tmp[k] = (double)v;
                    }
                    ramp__clip_renorm(tmp, tmp, c);
                    for (int k = 0; k < c; k++)
                        M[i * cz + (size_t)k] += times[s] * tmp[k];
                }
                if (s == best) bag_add_f(accTB, cntTB, NULL, tbuf, nt, c, tmp);
            }
            for (size_t q = 0; q < nt * cz; q++)
                M[q] /= m;
            bag_add(accT, cntT, NULL, M, nt, c, tmp);
        }
    }
    for (int s = 0; s < ns; s++)
        r->contributivity_pct[s] = (int)lround(100.0 * r->contributivity[s]);
    if ((st = bag_score(&r->combined_valid, accV, cntV, in->n_train, c, in->y_train, &p, err)) ||
        (st = bag_score(&r->foldwise_best_valid, accB, cntB, in->n_train, c, in->y_train, &p,
                        err)))
        goto fail;
    r->combined_test = r->foldwise_best_test = NAN;
    if (in->n_test &&
        ((st = bag_score(&r->combined_test, accT, cntT, in->n_test, c, in->y_test, &p, err)) ||
         (st = bag_score(&r->foldwise_best_test, accTB, cntTB, in->n_test, c, in->y_test, &p,
                         err))))
        goto fail;
    *out = r;
    r = NULL;
    goto done;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "blend: out of memory");
fail:
done:
    ramp_blend_result_free(r);
    free(fs.X);
    free(fs.xt);
    free(fs.xmo);
    free(fs.xsum);
    free(fs.S);
    free(fs.St);
    free(fs.Ssum);
    free(fs.Smo);
    free(accV);
    free(accB);
    free(accT);
    free(accTB);
    free(cntV);
    free(cntB);
    free(cntT);
    free(cntTB);
    free(tmp);
    free(M);
    free(tbuf);
    free(yv);
    free(scores);
    free(cnt);
    free(times);
    return st;
}
