/* workflow.c — RAMP's CV loop on the trusted side (workflowInt.h).
 *
 * Order of work: build the submission (in the compile sandbox), choose the
 * rows (all, or ramp_split_quick's subset), cut the CV folds
 * (ramp_folds_make: sklearn's splitter for the problem's random_state, or the
 * kit's folds file, restricted to a quick subset), then per fold: run it
 * (submission/run.c: a sandboxed child that gets the fold-train labels only),
 * score its fold-train, fold-valid and test predictions with the labels held
 * here, hand the fold to the caller's callback, and save its outputs when
 * asked. After the last fold: mean ± std over folds, and the bag of folds
 * 0..i for every i (rampwf's bagging curve): each CV row's validation
 * predictions combined over the folds that validated it, the test
 * predictions over every fold (RAMP's combination rule: clip, renormalise,
 * mean), scored over the rows some fold predicted. Then, when asked, the
 * retrain: one more run on every row, predicting the test rows.
 *
 * A fold's rows come in the splitter's order (sklearn's permutation, or the
 * file's): predictions are always scattered back by row number, never
 * assumed ascending.
 *
 * --save-output writes rampwf's files (SUB/training_output/fold_<i>/
 * y_pred_train.npz, y_pred_test.npz, train_time, valid_time, test_time,
 * scores.csv, state.txt; bagged_scores.csv) and ramp's own .npy files that
 * `ramp blend` and `ramp score` read (fold_<i>/y_pred_valid.npy,
 * valid_idx.npy, y_pred_train.npy, y_pred_test.npy; y_pred_test_bagged.npy),
 * which rampwf's readers ignore.
 *
 * The first failing fold ends the run (as ramp-test does), with its step's
 * error name and message in the result.
 *
 * Detection and segmentation kits take the same path; what differs — their
 * predictions, scores, bag and saved files — is in targets.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---- Python's float repr ---------------------------------------------------------- */

char *ramp__wf_repr(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "nan");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, len, "%sinf", v < 0 ? "-" : "");
        return buf;
    }
    if (v == 0) {
        snprintf(buf, len, "%s0.0", signbit(v) ? "-" : "");
        return buf;
    }
    /* the shortest digits that read back as v: d.ddd e±X */
    char e[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, v);
        if (strtod(e, NULL) == v) break;
    }
    const char *s = e;
    int neg = *s == '-';
    if (neg) s++;
    char digits[24];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    while (nd > 1 && digits[nd - 1] == '0') nd--; /* %.*e pads with zeros */
    digits[nd] = '\0';
    int x = atoi(s + 1); /* v = d.ddd × 10^x */
    char out[64];
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (x < -4 || x >= 16) { /* Python's repr switches to an exponent here */
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++) out[o++] = digits[i];
        }
        snprintf(out + o, sizeof out - o, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    } else if (x < 0) { /* 0.000ddd */
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -x - 1; i++) out[o++] = '0';
        for (int i = 0; i < nd; i++) out[o++] = digits[i];
        out[o] = '\0';
    } else { /* ddd.ddd, at least one decimal */
        for (int i = 0; i <= x; i++) out[o++] = i < nd ? digits[i] : '0';
        out[o++] = '.';
        if (nd > x + 1)
            for (int i = x + 1; i < nd; i++) out[o++] = digits[i];
        else
            out[o++] = '0';
        out[o] = '\0';
    }
    snprintf(buf, len, "%s", out);
    return buf;
}

/* ---- rows, views, scores ------------------------------------------------------------ */

/* The test rows a run uses: all, or a stratified subset of max_n (a seeded
   random one when the classes are too small to stratify), ascending. */
static ramp_status choose_test_rows(uint32_t **rows, size_t *n_out, const ramp_samples *all,
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
    /* detection: the rows' objects, re-packed; segmentation: mask files and
       each row's size (2 per row) */
    ramp_obj *objs;
    size_t *obj_off;
    const char **mask_paths;
    uint32_t *wh;
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
        v->labels[i] = all->labels ? all->labels[rows[i]] : 0;
    }
    v->s = (ramp_samples){.paths = v->paths,
                          .ids = v->ids,
                          .labels = v->labels,
                          .n = n,
                          .n_classes = all->n_classes,
                          .geometry = all->geometry};
    if (all->objs) {
        size_t tot = 0;
        for (size_t i = 0; i < n; i++) tot += all->obj_off[rows[i] + 1] - all->obj_off[rows[i]];
        v->obj_off = malloc((n + 1) * sizeof *v->obj_off);
        v->objs = malloc((tot + 1) * sizeof *v->objs);
        if (!v->obj_off || !v->objs) return RAMP_ENOMEM;
        v->obj_off[0] = 0;
        for (size_t i = 0; i < n; i++) {
            size_t o0 = all->obj_off[rows[i]], k = all->obj_off[rows[i] + 1] - o0;
            memcpy(v->objs + v->obj_off[i], all->objs + o0, k * sizeof *v->objs);
            v->obj_off[i + 1] = v->obj_off[i] + k;
        }
        v->s.objs = v->objs;
        v->s.obj_off = v->obj_off;
    }
    if (all->mask_paths) {
        if (!(v->mask_paths = malloc((n + 1) * sizeof *v->mask_paths))) return RAMP_ENOMEM;
        for (size_t i = 0; i < n; i++) v->mask_paths[i] = all->mask_paths[rows[i]];
        v->s.mask_paths = v->mask_paths;
    }
    return RAMP_OK;
}

static void view_free(view *v)
{
    free(v->paths);
    free(v->ids);
    free(v->labels);
    free(v->objs);
    free(v->obj_off);
    free(v->mask_paths);
    free(v->wh);
}

static int is_det(const ramp_problem *pb)
{
    return ramp_problem_workflow(pb) == RAMP_WORKFLOW_DETECTION;
}

static int is_seg(const ramp_problem *pb)
{
    return ramp_problem_workflow(pb) == RAMP_WORKFLOW_SEGMENTATION;
}

/* Floats a detection prediction row takes (runInt.h). */
static size_t det_stride(const ramp_problem *pb)
{
    return 1 + 6 * (size_t)ramp_problem_max_objects(pb);
}

/* The class maps of a segmentation run's rows row0 .. row0+n. */
static const uint8_t **seg_rows(const ramp__fold_result *run, size_t row0, size_t n)
{
    const uint8_t **m = malloc((n + 1) * sizeof *m);
    for (size_t i = 0; m && i < n; i++) m[i] = run->pred_seg + run->seg_off[row0 + i];
    return m;
}

static void nan_scores(const ramp_problem *pb, double *out)
{
    for (int s = 0; s < ramp_problem_n_scores(pb) && s < RAMP__WF_MAX_SCORES; s++) out[s] = NAN;
}

/* Scores n rows of pred (n × c, float or double) against labels y[idx[i]]
   (idx NULL: y[i]). */
static void score_rows(const ramp_problem *pb, const float *pf, const double *pd, const int32_t *y,
                       const uint32_t *idx, size_t n, int c, double *out)
{
    int32_t *yy = malloc((n ? n : 1) * sizeof *yy);
    nan_scores(pb, out);
    if (!yy) return;
    for (size_t i = 0; i < n; i++) yy[i] = y[idx ? idx[i] : i];
    for (int s = 0; s < ramp_problem_n_scores(pb) && s < RAMP__WF_MAX_SCORES; s++) {
        ramp_err e;
        ramp_status st =
            pf ? ramp_score_compute_f(&out[s], ramp_problem_score_kind(pb, s),
                                      ramp_problem_score_param(pb, s), pf, yy, n, c, &e)
               : ramp_score_compute(&out[s], ramp_problem_score_kind(pb, s),
                                    ramp_problem_score_param(pb, s), pd, yy, n, c, &e);
        if (st) out[s] = NAN;
    }
    free(yy);
}

/* numpy's mean and std (ddof 0) over the folds, summed in fold order. */
static double mean_of(const double *v, int n, double *std)
{
    double m = 0, s = 0;
    for (int i = 0; i < n; i++) m += v[i];
    m = n ? m / n : NAN;
    for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    *std = n ? sqrt(s / n) : NAN;
    return m;
}

/* ---- saved outputs ------------------------------------------------------------------- */

/* An n_all × c matrix in CSV row order: row rows[i] gets pred row i, every
   other row NaN. */
static float *full_matrix(const float *pred, const uint32_t *rows, size_t n, size_t n_all, int c)
{
    float *full = malloc((n_all ? n_all : 1) * (size_t)c * sizeof(float));
    if (!full) return NULL;
    for (size_t i = 0; i < n_all * (size_t)c; i++) full[i] = NAN;
    for (size_t i = 0; i < n; i++)
        memcpy(full + (size_t)rows[i] * (size_t)c, pred + i * (size_t)c, (size_t)c * sizeof(float));
    return full;
}

static ramp_status write_bytes(const char *path, const void *data, size_t len, ramp_err *err)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return ramp__err_set(err, RAMP_EIO, "%s: %s", tmp, strerror(errno));
    int bad = len && fwrite(data, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return ramp__err_set(err, RAMP_EIO, "%s: cannot write", path);
    }
    return RAMP_OK;
}

/* A float32 matrix as DIR/NAME.npz (key y_pred) and, when npy_too, also as
   ramp's DIR/NAME.npy. */
static ramp_status write_pred(const char *dir, const char *name, const float *m, size_t rows,
                              int c, int npy_too, ramp_err *err)
{
    uint8_t *npy = NULL;
    size_t len = 0;
    char p[4400];
    ramp_status st = ramp__npy_encode(RAMP_NPY_F4, 2, rows, (size_t)c, m, &npy, &len, err);
    if (!st) {
        const char *key = "y_pred";
        const uint8_t *members[1] = {npy};
        snprintf(p, sizeof p, "%s/%s.npz", dir, name);
        st = ramp__npz_write(p, 1, &key, members, &len, err);
    }
    if (!st && npy_too) {
        snprintf(p, sizeof p, "%s/%s.npy", dir, name);
        st = write_bytes(p, npy, len, err);
    }
    free(npy);
    return st;
}

static ramp_status write_text(const char *dir, const char *name, const char *text, ramp_err *err)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return write_bytes(p, text, strlen(text), err);
}

/* A float as pandas writes it into a CSV: repr, NaN empty. */
static void csv_float(FILE *f, double v)
{
    char b[64];
    fputs(isnan(v) ? "" : ramp__wf_repr(b, sizeof b, v), f);
}

static const char *row_names[RAMP__N_ROWS] = {"train", "valid", "test"};

/* A fold's scores.csv as rampwf writes it (DataFrame.to_csv): step, the
   scores in the problem's order, time; full precision. */
static ramp_status write_scores_csv(const char *path, const ramp_problem *pb,
                                    const ramp__wf_scores *fs, ramp_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(errno));
    int ns = ramp_problem_n_scores(pb);
    if (ns > RAMP__WF_MAX_SCORES) ns = RAMP__WF_MAX_SCORES;
    fprintf(f, "step");
    for (int s = 0; s < ns; s++) fprintf(f, ",%s", ramp_problem_score_name(pb, s));
    fprintf(f, ",time\n");
    for (int r = 0; r < RAMP__N_ROWS; r++) {
        fprintf(f, "%s", row_names[r]);
        for (int s = 0; s < ns; s++) {
            fputc(',', f);
            csv_float(f, fs->v[r][s]);
        }
        fputc(',', f);
        csv_float(f, fs->time[r]);
        fputc('\n', f);
    }
    return fclose(f) == 0 ? RAMP_OK : ramp__err_set(err, RAMP_EIO, "%s: cannot write", path);
}

/* bagged_scores.csv as rampwf writes it: step (valid, then test), n_bag
   (0 .. n_folds−1: the bag of folds 0..n_bag), the scores. */
static ramp_status write_bagged_csv(const char *path, const ramp_problem *pb,
                                    const ramp__wf_result *r, ramp_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(errno));
    fprintf(f, "step,n_bag");
    for (int s = 0; s < r->n_scores; s++) fprintf(f, ",%s", ramp_problem_score_name(pb, s));
    fputc('\n', f);
    for (int row = RAMP__ROW_VALID; row <= RAMP__ROW_TEST; row++)
        for (int k = 0; k < r->n_folds; k++) {
            fprintf(f, "%s,%d", row_names[row], k);
            for (int s = 0; s < r->n_scores; s++) {
                fputc(',', f);
                csv_float(f, r->bag_steps[k].v[row][s]);
            }
            fputc('\n', f);
        }
    return fclose(f) == 0 ? RAMP_OK : ramp__err_set(err, RAMP_EIO, "%s: cannot write", path);
}

/* Predictions of a detection or segmentation run's rows row0 .. row0+n
   (rows idx[i] of s) as DIR/NAME.csv or DIR/NAME/<id>. */
static ramp_status save_target_rows(const ramp_problem *pb, const ramp__fold_result *run,
                                    const char *dir, const char *name, const view *v,
                                    const uint32_t *idx, size_t row0, size_t n, ramp_err *err)
{
    char p[4400];
    ramp_status st;
    if (is_det(pb)) {
        ramp__wf_dets d;
        if (ramp__wf_dets_from_rows(&d, run->pred, det_stride(pb), row0, n))
            return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        snprintf(p, sizeof p, "%s/%s.csv", dir, name);
        st = ramp__wf_save_dets(p, &v->s, idx, &d, ramp_problem_geometry(pb), err);
        ramp__wf_dets_free(&d);
        return st;
    }
    const uint8_t **m = seg_rows(run, row0, n);
    if (!m) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    snprintf(p, sizeof p, "%s/%s", dir, name);
    st = ramp__mkdirs(p) != 0 ? ramp__err_set(err, RAMP_EIO, "%s: %s", p, strerror(errno))
                              : ramp__wf_save_masks(p, &v->s, idx, n, m, v->wh, err);
    free(m);
    return st;
}

/* --save-output for one scored fold of a detection or segmentation run. */
static ramp_status save_fold_targets(const ramp__wf_opts *o, const ramp__wf_fold *f,
                                     const view *tv, const view *te, const char *d, ramp_err *err)
{
    const ramp_problem *pb = o->problem;
    char p[4400], t[64];
    ramp_status st = save_target_rows(pb, &f->run, d, "y_pred_valid", tv, f->valid_idx, f->n_train,
                                      f->n_valid, err);
    if (!st)
        st = save_target_rows(pb, &f->run, d, "y_pred_test", te, NULL, f->n_train + f->n_valid,
                              te->s.n, err);
    if (!st) st = write_text(d, "train_time", ramp__wf_repr(t, sizeof t, f->run.time_train), err);
    if (!st) st = write_text(d, "valid_time", ramp__wf_repr(t, sizeof t, f->run.time_valid), err);
    if (!st) st = write_text(d, "test_time", ramp__wf_repr(t, sizeof t, f->run.time_test), err);
    if (!st) {
        snprintf(p, sizeof p, "%s/scores.csv", d);
        st = write_scores_csv(p, pb, &f->scores, err);
    }
    if (!st) st = write_text(d, "state.txt", ramp__state_name(RAMP__ST_SCORED), err);
    return st;
}

/* --save-output for one scored fold. */
static ramp_status save_fold(const ramp__wf_opts *o, const ramp__wf_result *r, int k,
                             const view *tv, const view *te, ramp_err *err)
{
    const ramp__wf_fold *f = &r->folds[k];
    int c = r->n_classes;
    char d[4300], p[4400], t[64];
    snprintf(d, sizeof d, "%s/fold_%d", o->save_dir, k);
    if (ramp__mkdirs(d) != 0) return ramp__err_set(err, RAMP_EIO, "%s: %s", d, strerror(errno));
    if (is_det(o->problem) || is_seg(o->problem)) return save_fold_targets(o, f, tv, te, d, err);
    size_t nt = f->n_train, nv = f->n_valid;
    uint32_t *rows = malloc((nt + nv + 1) * sizeof *rows);
    int64_t *vrow = malloc((nv + 1) * sizeof *vrow);
    float *full = NULL;
    ramp_status st = rows && vrow ? RAMP_OK : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (!st) {
        /* every training row's prediction (rampwf predicts all of X_train);
           a row the run did not predict (outside a quick subset) is NaN */
        for (size_t i = 0; i < nt; i++) rows[i] = r->train_rows[f->train_idx[i]];
        for (size_t i = 0; i < nv; i++) vrow[i] = rows[nt + i] = r->train_rows[f->valid_idx[i]];
        if (!(full = full_matrix(f->run.pred, rows, nt + nv, o->train->n, c)))
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    }
    if (!st) st = write_pred(d, "y_pred_train", full, o->train->n, c, 1, err);
    free(full);
    full = NULL;
    if (!st) {
        snprintf(p, sizeof p, "%s/y_pred_valid.npy", d);
        st = ramp_npy_write_matrix_f(p, f->run.pred + nt * (size_t)c, nv, (size_t)c, err);
    }
    if (!st) {
        snprintf(p, sizeof p, "%s/valid_idx.npy", d);
        st = ramp_npy_write(p, RAMP_NPY_I8, 1, nv, 1, vrow, err);
    }
    if (!st && !(full = full_matrix(f->run.pred + (nt + nv) * (size_t)c, r->test_rows, r->n_test,
                                    o->test->n, c)))
        st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (!st) st = write_pred(d, "y_pred_test", full, o->test->n, c, 1, err);
    if (!st) st = write_text(d, "train_time", ramp__wf_repr(t, sizeof t, f->run.time_train), err);
    if (!st) st = write_text(d, "valid_time", ramp__wf_repr(t, sizeof t, f->run.time_valid), err);
    if (!st) st = write_text(d, "test_time", ramp__wf_repr(t, sizeof t, f->run.time_test), err);
    if (!st) {
        snprintf(p, sizeof p, "%s/scores.csv", d);
        st = write_scores_csv(p, o->problem, &f->scores, err);
    }
    if (!st) st = write_text(d, "state.txt", ramp__state_name(RAMP__ST_SCORED), err);
    free(full);
    free(rows);
    free(vrow);
    return st;
}

/* --save-output for a failed run (fold k, or the retrain: DIR itself):
   state.txt names the step's error, error.txt holds the message. */
static void save_error(const char *dir, const ramp__fold_result *run)
{
    ramp_err e;
    char msg[2100];
    if (ramp__mkdirs(dir) != 0) return;
    snprintf(msg, sizeof msg, "%s\n", run->message);
    write_text(dir, "state.txt", ramp__step_error_name(run->step), &e);
    write_text(dir, "error.txt", msg, &e);
}

/* --save-output for the retrain: rampwf's state (the full-train run ends
   'tested') and the predictions, named as rampwf's savers name them
   (y_pred_<suffix>.npz, suffixes retrain_train and retrain_test). */
static ramp_status save_retrain(const ramp__wf_opts *o, const ramp__wf_result *r, const view *te,
                                ramp_err *err)
{
    const ramp__wf_fold *f = &r->retrain;
    if (is_det(o->problem) || is_seg(o->problem)) {
        ramp_status st = save_target_rows(o->problem, &f->run, o->save_dir, "y_pred_retrain_test",
                                          te, NULL, r->n_train, te->s.n, err);
        if (!st) st = write_text(o->save_dir, "state.txt", ramp__state_name(RAMP__ST_TESTED), err);
        return st;
    }
    int c = r->n_classes;
    float *full = full_matrix(f->run.pred, r->train_rows, r->n_train, o->train->n, c);
    ramp_status st = full ? RAMP_OK : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (!st) st = write_pred(o->save_dir, "y_pred_retrain_train", full, o->train->n, c, 0, err);
    free(full);
    full = NULL;
    if (!st && !(full = full_matrix(f->run.pred + r->n_train * (size_t)c, r->test_rows, r->n_test,
                                    o->test->n, c)))
        st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (!st) st = write_pred(o->save_dir, "y_pred_retrain_test", full, o->test->n, c, 0, err);
    if (!st) st = write_text(o->save_dir, "state.txt", ramp__state_name(RAMP__ST_TESTED), err);
    free(full);
    return st;
}

/* ---- one run (a CV fold or the retrain) ------------------------------------------------ */

typedef struct progress_fwd {
    const ramp__wf_opts *o;
    int fold;
} progress_fwd;

static void forward_progress(void *ctx, const ramp__progress *p)
{
    progress_fwd *pf = ctx;
    pf->o->on_progress(pf->o->ctx, pf->fold, p);
}

/* Runs f (fold k; -1 the retrain) in the sandbox. */
static void run_fold(const ramp__wf_opts *o, const ramp__sub_paths *paths, const view *tv,
                     const view *te, ramp__wf_fold *f, int k, int n_folds, int seed_k)
{
    const ramp_problem *pb = o->problem;
    ramp__sandbox_opts so = o->sandbox;
    const char *name = k < 0 ? "retrain" : NULL;
    char base[40];
    if (!name) {
        snprintf(base, sizeof base, "fold_%d", k);
        name = base;
    }
    if (o->log_dir)
        snprintf(f->log_path, sizeof f->log_path, "%s/%s.log", o->log_dir, name);
    else /* the build cache, which no sandbox can write */
        snprintf(f->log_path, sizeof f->log_path, "%s/.ramp-build/%s.log", o->sub_dir, name);
    if (o->on_fold_start) o->on_fold_start(o->ctx, k, n_folds);
    progress_fwd pf = {o, k};
    uint64_t seed = o->seed + (uint64_t)seed_k;
    ramp__fold_spec spec = {
        .exe = o->exe,
        .sub_dir = o->sub_dir,
        .paths = paths,
        .imgs_dir = o->imgs_dir,
        .train = &tv->s,
        .fold_train = f->train_idx,
        .n_fold_train = f->n_train,
        .fold_valid = f->valid_idx,
        .n_fold_valid = f->n_valid,
        .test = &te->s,
        .n_classes = ramp_problem_n_classes(pb),
        .loader = {.chunk_size = (size_t)ramp_problem_chunk_size(pb),
                   .n_jobs = o->n_jobs > 0 ? o->n_jobs : ramp_problem_n_jobs(pb),
                   .seed = seed},
        .test_batch_size = (size_t)ramp_problem_test_batch_size(pb),
        .info = {.seed = seed,
                 .n_threads = o->n_threads > 0 ? o->n_threads : 1,
                 .quick_test = o->quick,
                 .fold = k,
                 .device = o->device,
                 .math = o->math},
        .workflow = ramp_problem_workflow(pb),
        .geometry = is_det(pb) ? ramp_problem_geometry(pb) : 0,
        .max_objects = is_det(pb) ? ramp_problem_max_objects(pb) : 0,
        .train_wh = tv->wh,
        .test_wh = te->wh,
        .py_env = o->py_env,
        .python_plugin = o->build.python_plugin,
        .py_threads = o->py_threads,
        .timeout_s = o->timeout_s,
        .sandbox = &so,
        .log_path = f->log_path,
        .on_progress = o->on_progress ? forward_progress : NULL,
        .progress_ctx = &pf,
        .tick = o->tick,
        .tick_ctx = o->ctx,
    };
    ramp__fold_run(&spec, &f->run);
}

/* Scores a run that succeeded: its fold-train rows, fold-valid rows (none
   for the retrain) and the test rows. */
/* A detection or segmentation run's scores. */
static void score_fold_targets(const ramp_problem *pb, const view *tv, const view *te,
                               ramp__wf_fold *f)
{
    size_t n[3] = {f->n_train, f->n_valid, te->s.n}, row0[3] = {0, f->n_train, f->n_train + f->n_valid};
    const uint32_t *idx[3] = {f->train_idx, f->valid_idx, NULL};
    const view *truth[3] = {tv, tv, te};
    for (int r = 0; r < RAMP__N_ROWS; r++) {
        double *out = f->scores.v[r];
        nan_scores(pb, out);
        if (!n[r]) continue;
        if (is_det(pb)) {
            ramp__wf_dets d;
            if (ramp__wf_dets_from_rows(&d, f->run.pred, det_stride(pb), row0[r], n[r])) continue;
            ramp__wf_score_det(pb, &truth[r]->s, truth[r]->wh, idx[r], n[r], &d, out);
            ramp__wf_dets_free(&d);
        } else {
            const uint8_t **m = seg_rows(&f->run, row0[r], n[r]);
            ramp_err e;
            if (m && ramp__wf_score_seg(pb, &truth[r]->s, idx[r], n[r], m, truth[r]->wh, out, &e))
                nan_scores(pb, out);
            free(m);
        }
    }
}

static void score_fold(const ramp_problem *pb, const view *tv, const view *te, ramp__wf_fold *f,
                       int c)
{
    if (is_det(pb) || is_seg(pb)) {
        score_fold_targets(pb, tv, te, f);
        f->scores.time[RAMP__ROW_TRAIN] = f->run.time_train;
        f->scores.time[RAMP__ROW_VALID] = f->run.time_valid;
        f->scores.time[RAMP__ROW_TEST] = f->run.time_test;
        f->ok = 1;
        return;
    }
    const float *p = f->run.pred;
    score_rows(pb, p, NULL, tv->s.labels, f->train_idx, f->n_train, c,
               f->scores.v[RAMP__ROW_TRAIN]);
    if (f->n_valid)
        score_rows(pb, p + f->n_train * (size_t)c, NULL, tv->s.labels, f->valid_idx, f->n_valid,
                   c, f->scores.v[RAMP__ROW_VALID]);
    else
        nan_scores(pb, f->scores.v[RAMP__ROW_VALID]);
    score_rows(pb, p + (f->n_train + f->n_valid) * (size_t)c, NULL, te->s.labels, NULL, te->s.n,
               c, f->scores.v[RAMP__ROW_TEST]);
    f->scores.time[RAMP__ROW_TRAIN] = f->run.time_train;
    f->scores.time[RAMP__ROW_VALID] = f->run.time_valid;
    f->scores.time[RAMP__ROW_TEST] = f->run.time_test;
    f->ok = 1;
}

/* ---- mean, std, bag ----------------------------------------------------------------- */

/* Adds rows of pred (n × c floats, row i going to row at[i] of sum; at
   NULL: i) into the running bag: clipped, renormalised (RAMP's rule), with
   a count per row. */
static void bag_add(double *sum, uint32_t *cnt, const float *pred, const uint32_t *at, size_t n,
                    int c, double *scratch)
{
    for (size_t i = 0; i < n; i++) {
        size_t row = at ? at[i] : i;
        for (int j = 0; j < c; j++) scratch[c + j] = (double)pred[i * (size_t)c + (size_t)j];
        ramp__clip_renorm(scratch, scratch + c, c);
        for (int j = 0; j < c; j++) sum[row * (size_t)c + (size_t)j] += scratch[j];
        cnt[row]++;
    }
}

/* Scores the bag (sum / count) over the rows with a count, in row order
   (rampwf's valid_indexes); `out` gets the combined rows when not NULL. */
static ramp_status bag_score(const ramp_problem *pb, const double *sum, const uint32_t *cnt,
                             const int32_t *y, size_t n, int c, double *sel, int32_t *ysel,
                             double *scores)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cnt[i]) continue;
        for (int j = 0; j < c; j++)
            sel[m * (size_t)c + (size_t)j] = sum[i * (size_t)c + (size_t)j] / (double)cnt[i];
        ysel[m++] = y[i];
    }
    score_rows(pb, NULL, sel, ysel, NULL, m, c, scores);
    return RAMP_OK;
}

/* The bag of folds 0..k of a detection or segmentation run, for every k:
   each CV row's predictions fused (detection) or voted (segmentation) over
   the folds that validated it, each test row's over every fold, scored;
   the last bag's test rows are kept in r (bagged_dets, bagged_seg). */
static ramp_status finish_targets(const ramp__wf_opts *o, ramp__wf_result *r, const view *tv,
                                  const view *te)
{
    const ramp_problem *pb = o->problem;
    int nfo = r->n_folds, det = is_det(pb), c = r->n_classes;
    size_t n = r->n_train, nt = r->n_test, stride = det ? det_stride(pb) : 0;
    size_t maxo = det ? (size_t)ramp_problem_max_objects(pb) : 0;
    int circles = det && ramp_problem_geometry(pb), mode = det ? ramp_problem_bagging(pb) : 0;
    size_t *model_off = malloc(((size_t)nfo + 2) * sizeof *model_off);
    double thr = det ? ramp_problem_iou_threshold(pb) : 0;
    /* vpos[j * n + row]: the position of CV row `row` in fold j's valid rows, or -1 */
    int64_t *vpos = malloc(((size_t)nfo * n + 1) * sizeof *vpos);
    /* an image's objects from the folds of the bag, and their fusion: up to
       nfo × maxo each, of which the image keeps maxo */
    ramp_det_obj *in = det ? malloc(((size_t)nfo * maxo + 1) * sizeof *in) : NULL;
    ramp_det_obj *fused = det ? malloc(((size_t)nfo * maxo + 1) * sizeof *fused) : NULL;
    const uint8_t **maps = malloc(((size_t)nfo + 1) * sizeof *maps);
    uint32_t *vrows = malloc((n + 1) * sizeof *vrows);
    ramp__wf_dets bag = {0};
    uint8_t **seg = NULL;
    size_t nmax = n > nt ? n : nt;
    if (det) {
        bag.off = malloc((nmax + 1) * sizeof *bag.off);
        bag.obj = malloc((nmax * maxo + 1) * sizeof *bag.obj);
    } else {
        seg = calloc(nmax + 1, sizeof *seg);
    }
    r->bag_steps = calloc((size_t)nfo, sizeof *r->bag_steps);
    ramp_status st = vpos && model_off && (det ? in && fused && bag.off && bag.obj : seg != NULL) && maps && vrows &&
                             r->bag_steps
                         ? RAMP_OK
                         : fail(r, RAMP_ENOMEM, -1, "bagging: out of memory");
    for (size_t i = 0; !st && i < (size_t)nfo * n; i++) vpos[i] = -1;
    for (int j = 0; !st && j < nfo; j++)
        for (size_t i = 0; i < r->folds[j].n_valid; i++)
            vpos[(size_t)j * n + r->folds[j].valid_idx[i]] = (int64_t)i;
    for (int k = 0; !st && k < nfo; k++) {
        ramp__wf_scores *b = &r->bag_steps[k];
        for (int row = 0; row < RAMP__N_ROWS; row++) {
            nan_scores(pb, b->v[row]);
            b->time[row] = NAN;
        }
        for (int which = RAMP__ROW_VALID; !st && which <= RAMP__ROW_TEST; which++) {
            int test = which == RAMP__ROW_TEST;
            size_t rows = test ? nt : n, m = 0;
            if (det) bag.off[0] = 0;
            for (size_t i = 0; !st && i < rows; i++) {
                size_t got = 0;
                int models = 0;
                for (int j = 0; j <= k; j++) {
                    const ramp__wf_fold *f = &r->folds[j];
                    int64_t at = test ? (int64_t)(f->n_train + f->n_valid + i)
                                      : vpos[(size_t)j * n + i] < 0
                                            ? -1
                                            : (int64_t)f->n_train + vpos[(size_t)j * n + i];
                    if (at < 0) continue;
                    model_off[models] = got;
                    if (det)
                        got += ramp__wf_det_row(in + got, f->run.pred, stride, (size_t)at);
                    else
                        maps[models] = f->run.pred_seg + f->run.seg_off[at];
                    models++;
                }
                if (!models) continue; /* a CV row no fold of the bag validated */
                vrows[m] = (uint32_t)i;
                if (det) {
                    model_off[models] = got;
                    size_t kept = ramp__wf_fuse(fused, in, model_off, models, circles, thr, mode);
                    if (kept == SIZE_MAX) {
                        st = fail(r, RAMP_ENOMEM, -1, "bagging: out of memory");
                        break;
                    }
                    /* folds that found different objects can give more clusters than
                       an image may have: those of the most confident objects stay */
                    if (kept > maxo) kept = maxo;
                    memcpy(bag.obj + bag.off[m], fused, kept * sizeof *fused);
                    bag.off[m + 1] = bag.off[m] + kept;
                } else {
                    const uint32_t *wh = test ? te->wh : tv->wh;
                    size_t np = (size_t)wh[2 * i] * wh[2 * i + 1];
                    free(seg[m]);
                    if (!(seg[m] = malloc(np ? np : 1))) {
                        st = fail(r, RAMP_ENOMEM, -1, "bagging: out of memory");
                        break;
                    }
                    ramp__wf_vote(seg[m], maps, models, np, c);
                }
                m++;
            }
            if (st) break;
            if (det) {
                bag.n = m;
                ramp__wf_score_det(pb, test ? &te->s : &tv->s, test ? te->wh : tv->wh,
                                   test ? NULL : vrows, m, &bag, b->v[which]);
            } else {
                ramp_err e;
                if (ramp__wf_score_seg(pb, test ? &te->s : &tv->s, test ? NULL : vrows, m,
                                       (const uint8_t *const *)seg, test ? te->wh : tv->wh,
                                       b->v[which], &e))
                    nan_scores(pb, b->v[which]);
            }
            if (test && k == nfo - 1) { /* the final bag's test rows, kept */
                if (det) {
                    r->bagged_dets = bag;
                    memset(&bag, 0, sizeof bag);
                } else {
                    /* the valid pass's maps past the test rows are not r's */
                    for (size_t i = m; i < nmax; i++) {
                        free(seg[i]);
                        seg[i] = NULL;
                    }
                    r->bagged_seg = seg;
                    seg = NULL;
                }
            }
        }
    }
    if (!st) {
        r->bagged = r->bag_steps[nfo - 1];
        r->complete = 1;
    }
    free(vpos);
    free(model_off);
    free(in);
    free(fused);
    free(maps);
    free(vrows);
    ramp__wf_dets_free(&bag);
    for (size_t i = 0; seg && i < nmax; i++) free(seg[i]);
    free(seg);
    return st;
}

static ramp_status finish(const ramp__wf_opts *o, ramp__wf_result *r, const view *tv,
                          const view *te)
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
    if (is_det(pb) || is_seg(pb)) return finish_targets(o, r, tv, te);
    /* the bag of folds 0..i, for each i */
    size_t n = r->n_train, nt = r->n_test, nmax = n > nt ? n : nt;
    double *sv = calloc((n ? n : 1) * (size_t)c, sizeof *sv);
    double *st_ = calloc((nt ? nt : 1) * (size_t)c, sizeof *st_);
    uint32_t *cv = calloc(n ? n : 1, sizeof *cv), *ct = calloc(nt ? nt : 1, sizeof *ct);
    double *sel = malloc((nmax ? nmax : 1) * (size_t)c * sizeof *sel);
    int32_t *ysel = malloc((nmax ? nmax : 1) * sizeof *ysel);
    double *scratch = malloc(2 * (size_t)c * sizeof *scratch);
    r->bag_steps = calloc((size_t)nfo, sizeof *r->bag_steps);
    r->bagged_test = malloc((nt ? nt : 1) * (size_t)c * sizeof(float));
    ramp_status st = sv && st_ && cv && ct && sel && ysel && scratch && r->bag_steps &&
                             r->bagged_test
                         ? RAMP_OK
                         : fail(r, RAMP_ENOMEM, -1, "bagging: out of memory");
    for (int k = 0; !st && k < nfo; k++) {
        const ramp__wf_fold *f = &r->folds[k];
        ramp__wf_scores *b = &r->bag_steps[k];
        for (int row = 0; row < RAMP__N_ROWS; row++) {
            nan_scores(pb, b->v[row]);
            b->time[row] = NAN;
        }
        bag_add(sv, cv, f->run.pred + f->n_train * (size_t)c, f->valid_idx, f->n_valid, c, scratch);
        bag_add(st_, ct, f->run.pred + (f->n_train + f->n_valid) * (size_t)c, NULL, nt, c, scratch);
        bag_score(pb, sv, cv, tv->s.labels, n, c, sel, ysel, b->v[RAMP__ROW_VALID]);
        bag_score(pb, st_, ct, te->s.labels, nt, c, sel, ysel, b->v[RAMP__ROW_TEST]);
    }
    if (!st) {
        r->bagged = r->bag_steps[nfo - 1];
        for (size_t i = 0; i < nt; i++)
            for (int j = 0; j < c; j++)
                r->bagged_test[i * (size_t)c + (size_t)j] =
                    ct[i] ? (float)(st_[i * (size_t)c + (size_t)j] / (double)ct[i]) : NAN;
        r->complete = 1;
    }
    free(sv);
    free(st_);
    free(cv);
    free(ct);
    free(sel);
    free(ysel);
    free(scratch);
    return st;
}

/* ---- the rows and the folds ----------------------------------------------------------- */

/* The run's training rows (all, or the quick subset) into r->train_rows,
   and the folds over them into r->folds. */
static ramp_status cut_folds(const ramp__wf_opts *o, ramp__wf_result *r, ramp_err *err)
{
    const ramp_problem *pb = o->problem;
    const ramp_samples *all = o->train;
    size_t n_all = all->n;
    ramp_folds *folds = NULL;
    uint8_t *keep = NULL;
    int32_t *labels = NULL;
    ramp_status st = RAMP_OK;
    r->train_rows = malloc((n_all ? n_all : 1) * sizeof *r->train_rows);
    if (!r->train_rows) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (o->quick) {
        if ((st = ramp_split_quick(r->train_rows, &r->n_train, all->labels, n_all,
                                   all->n_classes, o->quick_train, ramp_problem_cv_test_size(pb),
                                   ramp_problem_cv_random_state(pb), err)))
            return st;
    } else {
        for (size_t i = 0; i < n_all; i++) r->train_rows[i] = (uint32_t)i;
        r->n_train = n_all;
    }
    if (ramp_problem_cv_method(pb) == RAMP_CV_FOLDS_FILE) {
        /* the kit's folds over every row, restricted to the subset */
        if ((st = ramp_folds_make(&folds, pb, all->labels, n_all, err))) goto done;
        if (r->n_train < n_all) {
            if (!(keep = calloc(n_all, 1))) {
                st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
                goto done;
            }
            for (size_t i = 0; i < r->n_train; i++) keep[r->train_rows[i]] = 1;
            if ((st = ramp_folds_restrict(folds, keep, n_all))) {
                ramp__err_set(err, st, "%s", ramp_folds_errmsg(folds));
                goto done;
            }
        }
    } else {
        /* the splitter on the run's rows, as rampwf's get_cv sees them */
        if (!(labels = malloc((r->n_train ? r->n_train : 1) * sizeof *labels))) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < r->n_train; i++) labels[i] = all->labels[r->train_rows[i]];
        if ((st = ramp_folds_make(&folds, pb, labels, r->n_train, err))) goto done;
    }
    r->n_folds = ramp_folds_n(folds);
    if (r->n_folds < 1) {
        st = ramp__err_set(err, RAMP_EINVAL, "the problem's cross-validation has no fold");
        goto done;
    }
    if (!(r->folds = calloc((size_t)r->n_folds, sizeof *r->folds))) {
        st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < r->n_folds; k++) {
        ramp__wf_fold *f = &r->folds[k];
        const uint32_t *tr, *va;
        ramp_folds_get(folds, k, &tr, &f->n_train, &va, &f->n_valid);
        f->train_idx = malloc((f->n_train + 1) * sizeof *f->train_idx);
        f->valid_idx = malloc((f->n_valid + 1) * sizeof *f->valid_idx);
        if (!f->train_idx || !f->valid_idx) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto done;
        }
        if (f->n_train) memcpy(f->train_idx, tr, f->n_train * sizeof *tr);
        if (f->n_valid) memcpy(f->valid_idx, va, f->n_valid * sizeof *va);
    }
done:
    ramp_folds_free(folds);
    free(keep);
    free(labels);
    return st;
}

/* ---- the workflow ------------------------------------------------------------------ */

static ramp_status workflow_run(const ramp__wf_opts *o, ramp__wf_result *r);

ramp_status ramp__workflow_run(const ramp__wf_opts *o, ramp__wf_result *r)
{
    if (o->train->labels && o->test->labels) return workflow_run(o, r);
    /* detection and segmentation rows have no class: the splitters see one */
    ramp__wf_opts oo = *o;
    ramp_samples tr = *o->train, te = *o->test;
    int32_t *zeros = calloc((tr.n > te.n ? tr.n : te.n) + 1, sizeof *zeros);
    if (!zeros) {
        memset(r, 0, sizeof *r);
        r->failed_fold = -1;
        return fail(r, RAMP_ENOMEM, -1, "out of memory");
    }
    if (!tr.labels) tr.labels = zeros;
    if (!te.labels) te.labels = zeros;
    oo.train = &tr;
    oo.test = &te;
    ramp_status st = workflow_run(&oo, r);
    free(zeros);
    return st;
}

static ramp_status workflow_run(const ramp__wf_opts *o, ramp__wf_result *r)
{
    memset(r, 0, sizeof *r);
    r->failed_fold = -1;
    const ramp_problem *pb = o->problem;
    int c = ramp_problem_n_classes(pb);
    r->n_classes = c;
    r->n_scores = ramp_problem_n_scores(pb);
    if (r->n_scores > RAMP__WF_MAX_SCORES) r->n_scores = RAMP__WF_MAX_SCORES;
    ramp_err err = {RAMP_OK, ""};
    view tv = {0}, te = {0};
    ramp_status st;

    /* the build, in the compile sandbox */
    ramp__sub_paths paths;
    ramp__build_opts bo = o->build;
    if (!bo.tick) {
        bo.tick = o->tick;
        bo.tick_ctx = o->ctx;
    }
    /* the kit's workflow names the file it needs first */
    if (ramp_problem_workflow(pb) == RAMP_WORKFLOW_SIMPLIFIED) {
        char want[4200];
        struct stat sb;
        snprintf(want, sizeof want, "%s/image_classifier.py", o->sub_dir);
        if (stat(o->sub_dir, &sb) == 0 && stat(want, &sb) != 0)
            return fail(r, RAMP_ENOENT, -1,
                        "%s not found: the kit's workflow is simplified_image_classifier (a "
                        "submission is image_classifier.py with class ImageClassifier)",
                        want);
    }
    bo.model = is_det(pb)   ? RAMP__MODEL_DETECTOR
               : is_seg(pb) ? RAMP__MODEL_SEGMENTER
                            : RAMP__MODEL_CLASSIFIER;
    st = ramp__sub_build_with(o->sub_dir, &bo, &paths, &r->build_log, &err);
    if (st) return fail(r, st, -1, "%s", err.msg);
    r->built = 1;

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
    if ((st = cut_folds(o, r, &err))) {
        fail(r, st, -1, "%s%s", o->quick ? "quick test: " : "cross-validation: ", err.msg);
        goto done;
    }
    if (choose_test_rows(&r->test_rows, &r->n_test, o->test, o->quick ? o->quick_test : 0,
                         ramp_problem_cv_random_state(pb)) ||
        view_make(&tv, o->train, r->train_rows, r->n_train) ||
        view_make(&te, o->test, r->test_rows, r->n_test)) {
        st = fail(r, RAMP_ENOMEM, -1, "out of memory");
        goto done;
    }
    if ((is_det(pb) || is_seg(pb)) && ((st = ramp__wf_sizes(&tv.s, is_seg(pb), &tv.wh, &err)) ||
                                       (st = ramp__wf_sizes(&te.s, is_seg(pb), &te.wh, &err)))) {
        fail(r, st, -1, "%s", err.msg);
        goto done;
    }

    /* the folds */
    int nfo = r->n_folds;
    for (int k = 0; k < nfo; k++) {
        ramp__wf_fold *f = &r->folds[k];
        run_fold(o, &paths, &tv, &te, f, k, nfo, k);
        if (f->run.status) {
            st = fail(r, f->run.status, k, "%s: %s", ramp__step_error_name(f->run.step),
                      f->run.message);
            if (o->save_dir) {
                char d[4300];
                snprintf(d, sizeof d, "%s/fold_%d", o->save_dir, k);
                save_error(d, &f->run);
            }
            if (o->on_fold_end) o->on_fold_end(o->ctx, k, r);
            goto done;
        }
        score_fold(pb, &tv, &te, f, c);
        if (o->on_fold_end) o->on_fold_end(o->ctx, k, r);
        if (o->save_dir && (st = save_fold(o, r, k, &tv, &te, &err))) {
            fail(r, st, k, "--save-output: %s", err.msg);
            goto done;
        }
    }
    if ((st = finish(o, r, &tv, &te))) goto done;
    if (o->on_cv_end) o->on_cv_end(o->ctx, r);

    /* the retrain: every run row, no valid row */
    if (o->retrain) {
        ramp__wf_fold *f = &r->retrain;
        f->n_train = r->n_train;
        f->train_idx = malloc((r->n_train + 1) * sizeof *f->train_idx);
        if (!f->train_idx) {
            st = fail(r, RAMP_ENOMEM, -1, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < r->n_train; i++) f->train_idx[i] = (uint32_t)i;
        run_fold(o, &paths, &tv, &te, f, -1, nfo, nfo);
        if (f->run.status) {
            st = fail(r, f->run.status, -1, "retrain: %s: %s",
                      ramp__step_error_name(f->run.step), f->run.message);
            if (o->save_dir) save_error(o->save_dir, &f->run);
            goto done;
        }
        score_fold(pb, &tv, &te, f, c);
        if (o->save_dir && (st = save_retrain(o, r, &te, &err))) {
            fail(r, st, -1, "--save-output: %s", err.msg);
            goto done;
        }
    }
    if (o->save_dir) {
        char p[4400];
        snprintf(p, sizeof p, "%s/bagged_scores.csv", o->save_dir);
        st = write_bagged_csv(p, pb, r, &err);
        if (!st && is_det(pb)) {
            snprintf(p, sizeof p, "%s/y_pred_test_bagged.csv", o->save_dir);
            st = ramp__wf_save_dets(p, &te.s, NULL, &r->bagged_dets, ramp_problem_geometry(pb), &err);
        } else if (!st && is_seg(pb)) {
            snprintf(p, sizeof p, "%s/y_pred_test_bagged", o->save_dir);
            st = ramp__mkdirs(p) != 0
                     ? ramp__err_set(&err, RAMP_EIO, "%s: %s", p, strerror(errno))
                     : ramp__wf_save_masks(p, &te.s, NULL, r->n_test,
                                           (const uint8_t *const *)r->bagged_seg, te.wh, &err);
        } else if (!st) {
            float *full =
                full_matrix(r->bagged_test, r->test_rows, r->n_test, o->test->n, c);
            snprintf(p, sizeof p, "%s/y_pred_test_bagged.npy", o->save_dir);
            st = full ? ramp_npy_write_matrix_f(p, full, o->test->n, (size_t)c, &err)
                      : ramp__err_set(&err, RAMP_ENOMEM, "out of memory");
            free(full);
        }
        if (st) fail(r, st, -1, "--save-output: %s", err.msg);
    }
done:
    view_free(&tv);
    view_free(&te);
    if (!st) r->status = RAMP_OK;
    return r->status;
}

static void fold_clear(ramp__wf_fold *f)
{
    ramp__fold_result_clear(&f->run);
    free(f->train_idx);
    free(f->valid_idx);
}

void ramp__wf_result_clear(ramp__wf_result *r)
{
    if (!r) return;
    for (int k = 0; r->folds && k < r->n_folds; k++) fold_clear(&r->folds[k]);
    fold_clear(&r->retrain);
    free(r->folds);
    free(r->build_log);
    free(r->train_rows);
    free(r->test_rows);
    free(r->bag_steps);
    free(r->bagged_test);
    ramp__wf_dets_free(&r->bagged_dets);
    for (size_t i = 0; r->bagged_seg && i < r->n_test; i++) free(r->bagged_seg[i]);
    free(r->bagged_seg);
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
    if (r->bagged_seg || r->bagged_dets.off || f->run.pred_seg)
        return ramp__err_set(err, RAMP_EUNSUPPORTED,
                             "fold %d: detection and segmentation predictions are not blended", fold);
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
