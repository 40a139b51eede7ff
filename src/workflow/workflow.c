/* workflow.c — RAMP's CV loop on the trusted side (workflowInt.h).
 *
 * Order of work: build the submission (in the compile sandbox), choose the
 * rows (all, or a stratified quick-test subset), cut the CV folds
 * (ramp_split_stratified, seeded by the problem's random_state), then per
 * fold: run it (submission/run.c: a sandboxed child that gets the fold-train
 * labels only), score its fold-train, fold-valid and test predictions with
 * the labels held here, hand the fold to the caller's callback, and save
 * its outputs when asked. After the last fold: mean ± std over folds, and
 * the bag: each CV row's validation predictions combined over the folds
 * that validated it, the test predictions over every fold (RAMP's
 * combination rule, ramp_combine_f).
 *
 * The first failing fold ends the run (as ramp-test does), with its step's
 * error name and message in the result.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "ramp/dataset.h"
#include "ramp/npy.h"
#include "ramp/rng.h"
#include "ramp/score.h"
#include "score/scoreInt.h"
#include "workflow/workflowInt.h"

static ramp_status fail(ramp__wf_result *r, ramp_status st, int fold, const char *fmt, ...)
    RAMP__PRINTF(4, 5);
static ramp_status fail(ramp__wf_result *r, ramp_status st, int fold, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->status = st;
    r->failed_fold = fold;
    return st;
}

/* The rows a run uses: all of a split, or a stratified subset of max_n. */
static ramp_status choose_rows(uint32_t **rows, size_t *n_out, const ramp_samples *all,
                               size_t max_n, uint64_t seed)
{
    size_t n = all->n;
    *rows = malloc((n ? n : 1) * sizeof **rows);
    if (!*rows) return RAMP_ENOMEM;
    if (max_n && n > max_n) {
        uint32_t *rest = malloc(n * sizeof *rest);
        if (!rest) return RAMP_ENOMEM;
        ramp_err e;
        if (ramp_split_stratified(rest, *rows, all->labels, n, all->n_classes, (double)max_n,
                                  seed, 0, &e)) {
            /* too few rows per class to stratify: a seeded random subset */
            for (size_t i = 0; i < n; i++) rest[i] = (uint32_t)i;
            ramp_rng g;
            ramp_rng_seed(&g, seed, 0x515549434bULL);
            ramp_rng_shuffle(&g, rest, (uint32_t)n);
            memcpy(*rows, rest, max_n * sizeof *rest);
        }
        free(rest);
        n = max_n;
    } else {
        for (size_t i = 0; i < n; i++) (*rows)[i] = (uint32_t)i;
    }
    *n_out = n;
    return RAMP_OK;
}

/* A view of rows[0..n) of `all` (arrays malloc'd into v). */
typedef struct view {
    ramp_samples s;
    const char **paths, **ids;
    int32_t *labels;
} view;

static ramp_status view_make(view *v, const ramp_samples *all, const uint32_t *rows, size_t n)
{
    memset(v, 0, sizeof *v);
    v->paths = malloc((n + 1) * sizeof *v->paths);
    v->ids = malloc((n + 1) * sizeof *v->ids);
    v->labels = malloc((n + 1) * sizeof *v->labels);
    if (!v->paths || !v->ids || !v->labels) return RAMP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v->paths[i] = all->paths ? all->paths[rows[i]] : NULL;
        v->ids[i] = all->ids[rows[i]];
        v->labels[i] = all->labels[rows[i]];
    }
    v->s = (ramp_samples){v->paths, v->ids, v->labels, n, all->n_classes};
    return RAMP_OK;
}

static void view_free(view *v)
{
    free(v->paths);
    free(v->ids);
    free(v->labels);
}

/* Scores n rows of pred (n × c) against labels y[idx[i]] (idx NULL: y[i]). */
static void score_rows(const ramp_problem *pb, const float *pred, const int32_t *y,
                       const uint32_t *idx, size_t n, int c, double *out)
{
    int32_t *yy = malloc((n ? n : 1) * sizeof *yy);
    for (int s = 0; s < ramp_problem_n_scores(pb) && s < RAMP__WF_MAX_SCORES; s++) out[s] = NAN;
    if (!yy) return;
    for (size_t i = 0; i < n; i++) yy[i] = y[idx ? idx[i] : i];
    for (int s = 0; s < ramp_problem_n_scores(pb) && s < RAMP__WF_MAX_SCORES; s++) {
        ramp_err e;
        if (ramp_score_compute_f(&out[s], ramp_problem_score_kind(pb, s),
                                 ramp_problem_score_param(pb, s), pred, yy, n, c, &e))
            out[s] = NAN;
    }
    free(yy);
}

static double mean_of(const double *v, int n, double *std)
{
    double m = 0, s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            m += v[i];
            k++;
        }
    m = k ? m / k : NAN;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) s += (v[i] - m) * (v[i] - m);
    *std = k ? sqrt(s / k) : NAN;
    return m;
}

/* Writes an n_all × c matrix in CSV row order: row rows[i] gets pred row i,
   every other row NaN (a quick test predicts a subset). */
static float *full_matrix(const float *pred, const uint32_t *rows, size_t n, size_t n_all, int c)
{
    float *full = malloc((n_all ? n_all : 1) * (size_t)c * sizeof(float));
    if (!full) return NULL;
    for (size_t i = 0; i < n_all * (size_t)c; i++) full[i] = NAN;
    for (size_t i = 0; i < n; i++)
        memcpy(full + (size_t)rows[i] * (size_t)c, pred + i * (size_t)c, (size_t)c * sizeof(float));
    return full;
}

static ramp_status write_full(const char *path, const float *pred, const uint32_t *rows, size_t n,
                              size_t n_all, int c, ramp_err *err)
{
    float *full = full_matrix(pred, rows, n, n_all, c);
    if (!full) return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
    ramp_status st = ramp_npy_write_matrix_f(path, full, n_all, (size_t)c, err);
    free(full);
    return st;
}

static const char *row_names[RAMP__N_ROWS] = {"train", "valid", "test"};

static ramp_status write_scores_csv(const char *path, const ramp_problem *pb,
                                    const ramp__wf_scores *fs, int first_row, int n_rows,
                                    ramp_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(errno));
    fprintf(f, "step");
    for (int s = 0; s < ramp_problem_n_scores(pb); s++)
        fprintf(f, ",%s", ramp_problem_score_name(pb, s));
    fprintf(f, ",time\n");
    for (int r = first_row; r < first_row + n_rows; r++) {
        fprintf(f, "%s", row_names[r]);
        for (int s = 0; s < ramp_problem_n_scores(pb) && s < RAMP__WF_MAX_SCORES; s++)
            fprintf(f, ",%.17g", fs->v[r][s]);
        fprintf(f, ",%.6f\n", fs->time[r]);
    }
    return fclose(f) == 0 ? RAMP_OK : ramp__err_set(err, RAMP_EIO, "%s: cannot write", path);
}

/* --save-output for one fold: predictions in CSV row order, validation
   rows, scores. */
static ramp_status save_fold(const ramp__wf_opts *o, const ramp__wf_result *r, int k,
                             ramp_err *err)
{
    const ramp__wf_fold *f = &r->folds[k];
    int c = r->n_classes;
    char d[4300], p[4400];
    snprintf(d, sizeof d, "%s/fold_%d", o->save_dir, k);
    if (ramp__mkdirs(d) != 0) return ramp__err_set(err, RAMP_EIO, "%s: %s", d, strerror(errno));
    size_t nt = f->n_train, nv = f->n_valid;
    uint32_t *rows = malloc((nt + nv + 1) * sizeof *rows);
    int64_t *vrow = malloc((nv + 1) * sizeof *vrow);
    ramp_status st = rows && vrow ? RAMP_OK : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (!st) {
        for (size_t i = 0; i < nt; i++) rows[i] = r->train_rows[f->train_idx[i]];
        for (size_t i = 0; i < nv; i++) vrow[i] = rows[nt + i] = r->train_rows[f->valid_idx[i]];
        snprintf(p, sizeof p, "%s/y_pred_train.npy", d);
        st = write_full(p, f->run.pred, rows, nt + nv, o->train->n, c, err);
    }
    if (!st) {
        snprintf(p, sizeof p, "%s/y_pred_valid.npy", d);
        st = ramp_npy_write_matrix_f(p, f->run.pred + nt * (size_t)c, nv, (size_t)c, err);
    }
    if (!st) {
        snprintf(p, sizeof p, "%s/valid_idx.npy", d);
        st = ramp_npy_write(p, RAMP_NPY_I8, 1, nv, 1, vrow, err);
    }
    if (!st) {
        snprintf(p, sizeof p, "%s/y_pred_test.npy", d);
        st = write_full(p, f->run.pred + (nt + nv) * (size_t)c, r->test_rows, r->n_test,
                        o->test->n, c, err);
    }
    if (!st) {
        snprintf(p, sizeof p, "%s/scores.csv", d);
        st = write_scores_csv(p, o->problem, &f->scores, RAMP__ROW_TRAIN, RAMP__N_ROWS, err);
    }
    free(rows);
    free(vrow);
    return st;
}

typedef struct progress_fwd {
    const ramp__wf_opts *o;
    int fold;
} progress_fwd;

static void forward_progress(void *ctx, const ramp__progress *p)
{
    progress_fwd *pf = ctx;
    pf->o->on_progress(pf->o->ctx, pf->fold, p);
}

/* Mean ± std over folds, then the bag. */
static ramp_status finish(const ramp__wf_opts *o, ramp__wf_result *r, const int32_t *y_test)
{
    const ramp_problem *pb = o->problem;
    int nfo = r->n_folds, ns = r->n_scores, c = r->n_classes;
    double *vals = malloc((size_t)nfo * sizeof *vals);
    if (!vals) return fail(r, RAMP_ENOMEM, -1, "out of memory");
    for (int row = 0; row < RAMP__N_ROWS; row++) {
        for (int s = 0; s < ns; s++) {
            for (int k = 0; k < nfo; k++) vals[k] = r->folds[k].scores.v[row][s];
            r->mean.v[row][s] = mean_of(vals, nfo, &r->std.v[row][s]);
        }
        for (int k = 0; k < nfo; k++) vals[k] = r->folds[k].scores.time[row];
        r->mean.time[row] = mean_of(vals, nfo, &r->std.time[row]);
    }
    free(vals);
    /* the bag: validation over the CV rows (each averaged over the folds that
       validated it), test over every fold */
    size_t n = r->n_train;
    float **vm = calloc((size_t)nfo, sizeof *vm);
    const float **tm = calloc((size_t)nfo, sizeof *tm);
    float *bv = malloc((n ? n : 1) * (size_t)c * sizeof(float));
    r->bagged_test = malloc((r->n_test ? r->n_test : 1) * (size_t)c * sizeof(float));
    int32_t *y_cv = malloc((n ? n : 1) * sizeof *y_cv);
    ramp_status st = vm && tm && bv && r->bagged_test && y_cv ? RAMP_OK : RAMP_ENOMEM;
    for (int k = 0; !st && k < nfo; k++) {
        const ramp__wf_fold *f = &r->folds[k];
        if (!(vm[k] = malloc((n ? n : 1) * (size_t)c * sizeof(float)))) {
            st = RAMP_ENOMEM;
            break;
        }
        for (size_t i = 0; i < n * (size_t)c; i++) vm[k][i] = NAN;
        for (size_t i = 0; i < f->n_valid; i++)
            memcpy(vm[k] + (size_t)f->valid_idx[i] * (size_t)c,
                   f->run.pred + (f->n_train + i) * (size_t)c, (size_t)c * sizeof(float));
        tm[k] = f->run.pred + (f->n_train + f->n_valid) * (size_t)c;
    }
    ramp_err e = {RAMP_OK, ""};
    if (!st) {
        for (size_t i = 0; i < n; i++) y_cv[i] = o->train->labels[r->train_rows[i]];
        st = ramp_combine_f(bv, (const float *const *)vm, (size_t)nfo, n, c, &e);
        if (!st) st = ramp_combine_f(r->bagged_test, tm, (size_t)nfo, r->n_test, c, &e);
    }
    if (!st) {
        for (int row = 0; row < RAMP__N_ROWS; row++)
            for (int s = 0; s < RAMP__WF_MAX_SCORES; s++) r->bagged.v[row][s] = NAN;
        score_rows(pb, bv, y_cv, NULL, n, c, r->bagged.v[RAMP__ROW_VALID]);
        score_rows(pb, r->bagged_test, y_test, NULL, r->n_test, c, r->bagged.v[RAMP__ROW_TEST]);
        r->complete = 1;
    } else {
        fail(r, st, -1, "bagging: %s", e.msg[0] ? e.msg : "out of memory");
    }
    for (int k = 0; vm && k < nfo; k++) free(vm[k]);
    free(vm);
    free(tm);
    free(bv);
    free(y_cv);
    return st;
}

ramp_status ramp__workflow_run(const ramp__wf_opts *o, ramp__wf_result *r)
{
    memset(r, 0, sizeof *r);
    r->failed_fold = -1;
    const ramp_problem *pb = o->problem;
    int c = ramp_problem_n_classes(pb);
    int nfo = ramp_problem_cv_n_splits(pb);
    r->n_classes = c;
    r->n_folds = nfo;
    r->n_scores = ramp_problem_n_scores(pb);
    if (r->n_scores > RAMP__WF_MAX_SCORES) r->n_scores = RAMP__WF_MAX_SCORES;
    ramp_err err = {RAMP_OK, ""};
    view tv = {0}, te = {0};
    int32_t *y_test = NULL;
    ramp_status st;

    /* the build, in the compile sandbox */
    ramp__sub_paths paths;
    ramp__build_opts bo = o->build;
    if (!bo.tick) {
        bo.tick = o->tick;
        bo.tick_ctx = o->ctx;
    }
    st = ramp__sub_build_with(o->sub_dir, &bo, &paths, &r->build_log, &err);
    if (st) return fail(r, st, -1, "%s", err.msg);

    /* the labels beside the images must not be in a folder every sandbox shows */
    if (o->sandbox.mode == RAMP__SANDBOX_ON) {
        char data_dir[4200];
        snprintf(data_dir, sizeof data_dir, "%s/..", o->imgs_dir);
        if (ramp__sandbox_shows(data_dir)) {
            st = fail(r, RAMP_EINVAL, -1,
                      "the data folder of %s is inside a system folder that every sandbox "
                      "shows (its label files would be readable by submissions): move the "
                      "kit's data elsewhere",
                      o->imgs_dir);
            goto done;
        }
    }
    /* the rows, the folds */
    uint64_t cv_seed = ramp_problem_cv_random_state(pb);
    if (choose_rows(&r->train_rows, &r->n_train, o->train, o->quick ? o->quick_train : 0, cv_seed) ||
        choose_rows(&r->test_rows, &r->n_test, o->test, o->quick ? o->quick_test : 0, cv_seed) ||
        view_make(&tv, o->train, r->train_rows, r->n_train) ||
        view_make(&te, o->test, r->test_rows, r->n_test)) {
        st = fail(r, RAMP_ENOMEM, -1, "out of memory");
        goto done;
    }
    size_t n_ftr = 0, n_fva = 0;
    if ((st = ramp_split_sizes(tv.s.n, ramp_problem_cv_test_size(pb), &n_ftr, &n_fva, &err))) {
        fail(r, st, -1, "CV split: %s", err.msg);
        goto done;
    }
    r->folds = calloc((size_t)nfo, sizeof *r->folds);
    if (!r->folds) {
        st = fail(r, RAMP_ENOMEM, -1, "out of memory");
        goto done;
    }
    for (int k = 0; k < nfo; k++) {
        ramp__wf_fold *f = &r->folds[k];
        f->n_train = n_ftr;
        f->n_valid = n_fva;
        f->train_idx = malloc((n_ftr + 1) * sizeof(uint32_t));
        f->valid_idx = malloc((n_fva + 1) * sizeof(uint32_t));
        if (!f->train_idx || !f->valid_idx) {
            st = fail(r, RAMP_ENOMEM, -1, "out of memory");
            goto done;
        }
        if ((st = ramp_split_stratified(f->train_idx, f->valid_idx, tv.s.labels, tv.s.n, c,
                                        ramp_problem_cv_test_size(pb), cv_seed, k, &err))) {
            fail(r, st, -1, "CV split: %s", err.msg);
            goto done;
        }
    }
    y_test = te.labels;

    /* the folds */
    ramp__sandbox_opts so = o->sandbox;
    for (int k = 0; k < nfo; k++) {
        ramp__wf_fold *f = &r->folds[k];
        if (o->log_dir)
            snprintf(f->log_path, sizeof f->log_path, "%s/fold_%d.log", o->log_dir, k);
        else /* the build cache, which no sandbox can write */
            snprintf(f->log_path, sizeof f->log_path, "%s/.ramp-build/fold_%d.log", o->sub_dir, k);
        if (o->on_fold_start) o->on_fold_start(o->ctx, k);
        progress_fwd pf = {o, k};
        ramp__fold_spec spec = {
            .exe = o->exe,
            .sub_dir = o->sub_dir,
            .paths = &paths,
            .imgs_dir = o->imgs_dir,
            .train = &tv.s,
            .fold_train = f->train_idx,
            .n_fold_train = n_ftr,
            .fold_valid = f->valid_idx,
            .n_fold_valid = n_fva,
            .test = &te.s,
            .n_classes = c,
            .loader = {(size_t)ramp_problem_chunk_size(pb),
                       o->n_jobs > 0 ? o->n_jobs : ramp_problem_n_jobs(pb), o->seed + (uint64_t)k,
                       0},
            .test_batch_size = (size_t)ramp_problem_test_batch_size(pb),
            .info = {.seed = o->seed + (uint64_t)k,
                     .n_threads = o->n_threads > 0 ? o->n_threads : 1,
                     .quick_test = o->quick,
                     .fold = k},
            .timeout_s = o->timeout_s,
            .sandbox = &so,
            .log_path = f->log_path,
            .on_progress = o->on_progress ? forward_progress : NULL,
            .progress_ctx = &pf,
            .tick = o->tick,
            .tick_ctx = o->ctx,
        };
        ramp__fold_run(&spec, &f->run);
        if (f->run.status) {
            st = fail(r, f->run.status, k, "%s: %s", ramp__step_error_name(f->run.step),
                      f->run.message);
            if (o->on_fold_end) o->on_fold_end(o->ctx, k, r);
            goto done;
        }
        /* the scores, with the labels held here */
        const float *p = f->run.pred;
        score_rows(pb, p, tv.s.labels, f->train_idx, n_ftr, c, f->scores.v[RAMP__ROW_TRAIN]);
        score_rows(pb, p + n_ftr * (size_t)c, tv.s.labels, f->valid_idx, n_fva, c,
                   f->scores.v[RAMP__ROW_VALID]);
        score_rows(pb, p + (n_ftr + n_fva) * (size_t)c, y_test, NULL, te.s.n, c,
                   f->scores.v[RAMP__ROW_TEST]);
        f->scores.time[RAMP__ROW_TRAIN] = f->run.time_train;
        f->scores.time[RAMP__ROW_VALID] = f->run.time_valid;
        f->scores.time[RAMP__ROW_TEST] = f->run.time_test;
        f->ok = 1;
        if (o->on_fold_end) o->on_fold_end(o->ctx, k, r);
        if (o->save_dir && (st = save_fold(o, r, k, &err))) {
            fail(r, st, k, "--save-output: %s", err.msg);
            goto done;
        }
    }
    if ((st = finish(o, r, y_test))) goto done;
    if (o->save_dir) {
        char p[4400];
        snprintf(p, sizeof p, "%s/bagged_scores.csv", o->save_dir);
        st = write_scores_csv(p, pb, &r->bagged, RAMP__ROW_VALID, 2, &err);
        if (!st) {
            snprintf(p, sizeof p, "%s/y_pred_test_bagged.npy", o->save_dir);
            st = write_full(p, r->bagged_test, r->test_rows, r->n_test, o->test->n, c, &err);
        }
        if (st) fail(r, st, -1, "--save-output: %s", err.msg);
    }
done:
    view_free(&tv);
    view_free(&te);
    if (!st) r->status = RAMP_OK;
    return r->status;
}

void ramp__wf_result_clear(ramp__wf_result *r)
{
    if (!r) return;
    for (int k = 0; r->folds && k < r->n_folds; k++) {
        ramp__fold_result_clear(&r->folds[k].run);
        free(r->folds[k].train_idx);
        free(r->folds[k].valid_idx);
    }
    free(r->folds);
    free(r->build_log);
    free(r->train_rows);
    free(r->test_rows);
    free(r->bagged_test);
    memset(r, 0, sizeof *r);
}

ramp_status ramp__wf_fold_npy(const ramp__wf_result *r, int fold, size_t n_test_all,
                              uint8_t **valid_pred, size_t *valid_pred_len, uint8_t **valid_idx,
                              size_t *valid_idx_len, uint8_t **test_pred, size_t *test_pred_len,
                              ramp_err *err)
{
    *valid_pred = *valid_idx = *test_pred = NULL;
    const ramp__wf_fold *f = &r->folds[fold];
    int c = r->n_classes;
    if (!f->ok || !f->run.pred)
        return ramp__err_set(err, RAMP_EINVAL, "fold %d has no predictions", fold);
    int64_t *rows = malloc((f->n_valid + 1) * sizeof *rows);
    float *full = full_matrix(f->run.pred + (f->n_train + f->n_valid) * (size_t)c, r->test_rows,
                              r->n_test, n_test_all, c);
    ramp_status st = rows && full ? RAMP_OK : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    for (size_t i = 0; !st && i < f->n_valid; i++) rows[i] = r->train_rows[f->valid_idx[i]];
    if (!st)
        st = ramp__npy_encode(RAMP_NPY_F4, 2, f->n_valid, (size_t)c,
                              f->run.pred + f->n_train * (size_t)c, valid_pred, valid_pred_len,
                              err);
    if (!st) st = ramp__npy_encode(RAMP_NPY_I8, 1, f->n_valid, 1, rows, valid_idx, valid_idx_len, err);
    if (!st)
        st = ramp__npy_encode(RAMP_NPY_F4, 2, n_test_all, (size_t)c, full, test_pred,
                              test_pred_len, err);
    if (st) {
        free(*valid_pred);
        free(*valid_idx);
        free(*test_pred);
        *valid_pred = *valid_idx = *test_pred = NULL;
    }
    free(rows);
    free(full);
    return st;
}
