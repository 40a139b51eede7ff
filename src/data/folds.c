/* folds.c — a kit's cross-validation folds: cut by scikit-learn's shuffle
 * splits (split.c) or read from a folds file (fold,set,row).
 *
 * All the row numbers live in one block, fold after fold, train then valid;
 * each fold points into it. Restricting to a subset filters every side in
 * place (it never grows), after a first pass has checked that no side would
 * be left empty, so a failed restrict leaves the folds as they were.
 *
 * The file reader uses the data module's CSV reader. It checks each line as
 * it comes (fields, numbers, set), then the whole: fold numbers without gaps,
 * both sides of each fold non-empty, no row twice on one side of a fold (the
 * earliest repeat in the file is the one reported). Every message names
 * file:line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "data/dataInt.h"
#include "ramp/dataset.h"
#include "ramp/problem.h"

#define MAX_FOLDS 10000

typedef struct fold {
    uint32_t *train, *valid; /* into ramp_folds.rows */
    size_t n_train, n_valid;
} fold;

struct ramp_folds {
    size_t n_rows; /* the rows are numbered in [0, n_rows) */
    int n;
    fold *f;
    uint32_t *rows;
    char msg[256]; /* the last error of ramp_folds_restrict */
};

void ramp_folds_free(ramp_folds *f)
{
    if (!f) return;
    free(f->f);
    free(f->rows);
    free(f);
}

/* n_folds folds with the given side sizes (NULL: all equal to one_train,
   one_valid), rows uninitialised. */
static ramp_folds *folds_new(size_t n_folds, size_t n_rows, const size_t *n_train,
                             const size_t *n_valid, size_t one_train, size_t one_valid)
{
    ramp_folds *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->n = (int)n_folds;
    f->n_rows = n_rows;
    size_t total = 0;
    for (size_t k = 0; k < n_folds; k++)
        total += (n_train ? n_train[k] : one_train) + (n_valid ? n_valid[k] : one_valid);
    f->f = calloc(n_folds ? n_folds : 1, sizeof *f->f);
    f->rows = malloc((total ? total : 1) * sizeof *f->rows);
    if (!f->f || !f->rows) {
        ramp_folds_free(f);
        return NULL;
    }
    uint32_t *p = f->rows;
    for (size_t k = 0; k < n_folds; k++) {
        fold *d = &f->f[k];
        d->n_train = n_train ? n_train[k] : one_train;
        d->n_valid = n_valid ? n_valid[k] : one_valid;
        d->train = p;
        p += d->n_train;
        d->valid = p;
        p += d->n_valid;
    }
    return f;
}

int ramp_folds_n(const ramp_folds *f)
{
    return f ? f->n : 0;
}

void ramp_folds_get(const ramp_folds *f, int k, const uint32_t **train, size_t *n_train,
                    const uint32_t **valid, size_t *n_valid)
{
    const fold *d = f && k >= 0 && k < f->n ? &f->f[k] : NULL;
    if (train) *train = d ? d->train : NULL;
    if (n_train) *n_train = d ? d->n_train : 0;
    if (valid) *valid = d ? d->valid : NULL;
    if (n_valid) *n_valid = d ? d->n_valid : 0;
}

/* ---- sklearn's splits ------------------------------------------------------ */

static ramp_status folds_split(ramp_folds **out, ramp_cv_method method, const int32_t *labels,
                               size_t n, int n_splits, double test_size, uint64_t random_state,
                               ramp_err *err)
{
    size_t n_tr, n_te;
    ramp_status st = ramp_split_sizes(&n_tr, &n_te, n, test_size, err);
    if (st) return st;
    if (n_splits < 1 || n_splits > MAX_FOLDS)
        return ramp__err_set(err, RAMP_EINVAL, "n_splits %d: expected an integer in [1, %d]",
                             n_splits, MAX_FOLDS);
    size_t ns = (size_t)n_splits;
    uint32_t *tr = malloc(ns * n_tr * sizeof *tr), *te = malloc(ns * n_te * sizeof *te);
    ramp_folds *f = folds_new(ns, n, NULL, NULL, n_tr, n_te);
    if (!tr || !te || !f) {
        st = ramp__err_set(err, RAMP_ENOMEM, "CV folds: out of memory");
        goto fail;
    }
    if (method == RAMP_CV_SHUFFLE_SPLIT)
        st = ramp_split_ss(tr, te, n, n_splits, test_size, random_state, err);
    else
        st = ramp_split_sss(tr, te, labels, n, n_splits, test_size, random_state, err);
    if (st) goto fail;
    for (size_t k = 0; k < ns; k++) {
        memcpy(f->f[k].train, tr + k * n_tr, n_tr * sizeof *tr);
        memcpy(f->f[k].valid, te + k * n_te, n_te * sizeof *te);
    }
    free(tr);
    free(te);
    *out = f;
    return RAMP_OK;
fail:
    free(tr);
    free(te);
    ramp_folds_free(f);
    return st;
}

ramp_status ramp_folds_make(ramp_folds **out, const ramp_problem *p, const int32_t *labels,
                            size_t n, ramp_err *err)
{
    ramp__err_clear(err);
    if (out) *out = NULL;
    if (!out || !p) return ramp__err_set(err, RAMP_EINVAL, "ramp_folds_make: bad arguments");
    ramp_cv_method m = ramp_problem_cv_method(p);
    switch (m) {
    case RAMP_CV_FOLDS_FILE: {
        const char *path = ramp_problem_cv_folds_file(p);
        if (!path) return ramp__err_set(err, RAMP_EINVAL, "CV folds: no folds file");
        return ramp_folds_load(out, path, n, err);
    }
    case RAMP_CV_STRATIFIED_SHUFFLE_SPLIT:
        if (!labels && n)
            return ramp__err_set(err, RAMP_EINVAL,
                                 "ramp_folds_make: a stratified split needs the labels");
        /* fall through */
    case RAMP_CV_SHUFFLE_SPLIT:
        return folds_split(out, m, labels, n, ramp_problem_cv_n_splits(p),
                           ramp_problem_cv_test_size(p), ramp_problem_cv_random_state(p), err);
    }
    return ramp__err_set(err, RAMP_EINVAL, "CV folds: unknown method %d", (int)m);
}

/* ---- restrict -------------------------------------------------------------- */

const char *ramp_folds_errmsg(const ramp_folds *f)
{
    return f ? f->msg : "folds: NULL handle";
}

/* Keeps the message in the handle (ramp_err's formatting, its length cut). */
static ramp_status folds_fail(ramp_folds *f, ramp_status st, const char *fmt, ...)
    RAMP__PRINTF(3, 4);
static ramp_status folds_fail(ramp_folds *f, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    return st;
}

ramp_status ramp_folds_restrict(ramp_folds *f, const uint8_t *keep, size_t n)
{
    if (!f) return RAMP_EINVAL; /* no handle to hold a message */
    f->msg[0] = 0;
    if (!keep && n) return folds_fail(f, RAMP_EINVAL, "restrict folds: keep is NULL");
    if (n != f->n_rows)
        return folds_fail(f, RAMP_EINVAL, "restrict folds: %zu rows given, the folds are over %zu",
                          n, f->n_rows);
    uint32_t *pos = malloc((n ? n : 1) * sizeof *pos); /* new number of a kept row */
    if (!pos) return folds_fail(f, RAMP_ENOMEM, "restrict folds: out of memory");
    size_t m = 0;
    for (size_t r = 0; r < n; r++)
        pos[r] = keep[r] ? (uint32_t)m++ : UINT32_MAX;
    for (int k = 0; k < f->n; k++) {
        const fold *d = &f->f[k];
        size_t a = 0, b = 0;
        for (size_t i = 0; i < d->n_train; i++)
            a += keep[d->train[i]] != 0;
        for (size_t i = 0; i < d->n_valid; i++)
            b += keep[d->valid[i]] != 0;
        if (!a || !b) {
            free(pos);
            return folds_fail(f, RAMP_EINVAL,
                              "restrict folds: fold %d keeps %zu train and %zu valid rows; "
                              "both sides need one",
                              k, a, b);
        }
    }
    for (int k = 0; k < f->n; k++) {
        fold *d = &f->f[k];
        size_t a = 0, b = 0;
        for (size_t i = 0; i < d->n_train; i++)
            if (keep[d->train[i]]) d->train[a++] = pos[d->train[i]];
        for (size_t i = 0; i < d->n_valid; i++)
            if (keep[d->valid[i]]) d->valid[b++] = pos[d->valid[i]];
        d->n_train = a;
        d->n_valid = b;
    }
    f->n_rows = m;
    free(pos);
    return RAMP_OK;
}

/* ---- the folds file -------------------------------------------------------- */

typedef struct entry {
    uint32_t row;
    uint32_t group; /* fold * 2 + (valid) */
    size_t line;
} entry;

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

ramp_status ramp_folds_parse(ramp_folds **out, const char *text, size_t len, const char *name,
                             size_t n, ramp_err *err)
{
    ramp__err_clear(err);
    if (out) *out = NULL;
    if (!out || (!text && len))
        return ramp__err_set(err, RAMP_EINVAL, "ramp_folds_parse: bad arguments");
    if (!name) name = "<folds>";
    if (n >= UINT32_MAX)
        return ramp__err_set(err, RAMP_ETOOBIG, "%s: %zu rows exceed the limit", name, n);
    ramp_status st = RAMP_OK;
    ramp__csv c;
    ramp__csv_init(&c, text ? text : "", len, name);
    entry *e = NULL;
    size_t ne = 0, cap = 0;
    size_t *first_line = NULL, *side_n = NULL, *dup_first = NULL, *lines = NULL;
    uint32_t *stamp = NULL;
    ramp_folds *f = NULL;
    char shown[64];

    int r = ramp__csv_next(&c, err);
    if (r < 0) goto csv_fail;
    if (r == 0) {
        st = ramp__err_set(err, RAMP_EFORMAT,
                           "%s:1: empty file (a header 'fold,set,row' is required)", name);
        goto fail;
    }
    static const char *const cols[3] = {"fold", "set", "row"};
    size_t col[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}, n_cols = c.nf, header_line = c.rec_line;
    for (size_t i = 0; i < c.nf; i++) {
        size_t fl;
        const char *fs = ramp__csv_field(&c, i, &fl);
        for (int j = 0; j < 3; j++) {
            if (fl != strlen(cols[j]) || memcmp(fs, cols[j], fl) != 0) continue;
            if (col[j] != SIZE_MAX) {
                st = ramp__err_set(err, RAMP_EFORMAT,
                                   "%s:%zu: column '%s' appears twice in the header", name,
                                   c.rec_line, cols[j]);
                goto fail;
            }
            col[j] = i;
        }
    }
    for (int j = 0; j < 3; j++)
        if (col[j] == SIZE_MAX) {
            st = ramp__err_set(err, RAMP_EFORMAT,
                               "%s:%zu: header has no '%s' column (expected fold,set,row)", name,
                               c.rec_line, cols[j]);
            goto fail;
        }

    int n_folds = 0;
    while ((r = ramp__csv_next(&c, err)) == 1) {
        size_t line = c.rec_line;
        if (c.nf != n_cols) {
            st = ramp__err_set(err, RAMP_EFORMAT,
                               "%s:%zu: expected %zu fields (as the header), found %zu", name, line,
                               n_cols, c.nf);
            goto fail;
        }
        size_t fl, sl, rl;
        const char *fs = ramp__csv_field(&c, col[0], &fl);
        const char *ss = ramp__csv_field(&c, col[1], &sl);
        const char *rs = ramp__csv_field(&c, col[2], &rl);
        int64_t fv, rv;
        if (is_blank(fs, fl)) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: missing fold number", name, line);
            goto fail;
        }
        ramp__csv_show(shown, sizeof shown, fs, fl);
        int ok = ramp__parse_i64(fs, fl, &fv);
        if (ok == 0) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: fold '%s' is not a number", name, line,
                               shown);
            goto fail;
        }
        if (ok < 0 || fv < 0 || fv >= MAX_FOLDS) {
            st = ramp__err_set(err, RAMP_ERANGE, "%s:%zu: fold %s out of range [0, %d)", name, line,
                               shown, MAX_FOLDS);
            goto fail;
        }
        int valid;
        if (sl == 5 && memcmp(ss, "train", 5) == 0)
            valid = 0;
        else if (sl == 5 && memcmp(ss, "valid", 5) == 0)
            valid = 1;
        else {
            ramp__csv_show(shown, sizeof shown, ss, sl);
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: set '%s': expected train or valid", name,
                               line, shown);
            goto fail;
        }
        if (is_blank(rs, rl)) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: missing row number", name, line);
            goto fail;
        }
        ramp__csv_show(shown, sizeof shown, rs, rl);
        ok = ramp__parse_i64(rs, rl, &rv);
        if (ok == 0) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: row '%s' is not a number", name, line,
                               shown);
            goto fail;
        }
        if (ok < 0 || rv < 0 || (uint64_t)rv >= n) {
            st = ramp__err_set(err, RAMP_ERANGE,
                               "%s:%zu: row %s out of range [0, %zu) (the labelled rows)", name,
                               line, shown, n);
            goto fail;
        }
        if (ne == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            entry *ee = realloc(e, nc * sizeof *e);
            if (!ee) goto nomem;
            e = ee;
            cap = nc;
        }
        e[ne++] = (entry){(uint32_t)rv, (uint32_t)(fv * 2 + valid), line};
        if (fv >= n_folds) n_folds = (int)fv + 1;
    }
    if (r < 0) goto csv_fail;
    if (!ne) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: no rows after the header (no folds)", name,
                           header_line);
        goto fail;
    }

    /* per fold: its first line, and each side's size */
    size_t ng = 2 * (size_t)n_folds;
    first_line = calloc((size_t)n_folds, sizeof *first_line);
    side_n = calloc(ng, sizeof *side_n);
    if (!first_line || !side_n) goto nomem;
    for (size_t i = 0; i < ne; i++) {
        size_t k = e[i].group / 2;
        if (!first_line[k]) first_line[k] = e[i].line;
        side_n[e[i].group]++;
    }
    /* fold numbers without gaps: name the first fold that follows a gap */
    for (int k = 0; k < n_folds; k++) {
        if (first_line[k]) continue;
        int next = k + 1;
        while (!first_line[next])
            next++;
        st = ramp__err_set(err, RAMP_EFORMAT,
                           "%s:%zu: fold %d appears but fold %d does not (folds are numbered 0, "
                           "1, 2, ... without gaps)",
                           name, first_line[next], next, k);
        goto fail;
    }
    for (int k = 0; k < n_folds; k++)
        if (!side_n[2 * k] || !side_n[2 * k + 1]) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: fold %d has no %s rows", name,
                               first_line[k], k, !side_n[2 * k] ? "train" : "valid");
            goto fail;
        }
    /* the rows, fold after fold, train then valid (the block's layout is
       group order), each side in file order; lines[] beside them */
    {
        size_t *ntr = malloc((size_t)n_folds * sizeof *ntr),
               *nva = malloc((size_t)n_folds * sizeof *nva);
        if (ntr && nva) {
            for (int k = 0; k < n_folds; k++) {
                ntr[k] = side_n[2 * k];
                nva[k] = side_n[2 * k + 1];
            }
            f = folds_new((size_t)n_folds, n, ntr, nva, 0, 0);
        }
        free(ntr);
        free(nva);
        if (!f) goto nomem;
    }
    lines = malloc(ne * sizeof *lines);
    stamp = calloc(n ? n : 1, sizeof *stamp);
    dup_first = malloc((n ? n : 1) * sizeof *dup_first);
    if (!lines || !stamp || !dup_first) goto nomem;
    for (size_t g = 0, o = 0; g < ng; g++) { /* side_n becomes each side's start */
        size_t t = side_n[g];
        side_n[g] = o;
        o += t;
    }
    for (size_t i = 0; i < ne; i++) {
        size_t o = side_n[e[i].group]++;
        f->rows[o] = e[i].row;
        lines[o] = e[i].line;
    }
    /* repeats within a side: stamp[row] = 1 + the last side that took it,
       dup_first[row] the line where it did; the earliest repeat is named */
    size_t dup = SIZE_MAX, dup_prev = 0, dup_g = 0;
    for (size_t g = 0, o = 0; g < ng; g++) {
        for (; o < side_n[g]; o++) {
            uint32_t row = f->rows[o];
            if (stamp[row] == g + 1) {
                if (dup == SIZE_MAX || lines[o] < lines[dup]) {
                    dup = o;
                    dup_prev = dup_first[row];
                    dup_g = g;
                }
            } else {
                stamp[row] = (uint32_t)(g + 1);
                dup_first[row] = lines[o];
            }
        }
    }
    if (dup != SIZE_MAX) {
        st = ramp__err_set(err, RAMP_EDUP,
                           "%s:%zu: row %u appears twice in fold %zu's %s rows (first on line "
                           "%zu)",
                           name, lines[dup], (unsigned)f->rows[dup], dup_g / 2,
                           dup_g % 2 ? "valid" : "train", dup_prev);
        goto fail;
    }
    free(e);
    free(first_line);
    free(side_n);
    free(stamp);
    free(dup_first);
    free(lines);
    ramp__csv_free(&c);
    *out = f;
    return RAMP_OK;
csv_fail:
    st = err ? err->code : RAMP_EPARSE;
    goto fail;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", name);
fail:
    free(e);
    free(first_line);
    free(side_n);
    free(stamp);
    free(dup_first);
    free(lines);
    ramp__csv_free(&c);
    ramp_folds_free(f);
    return st ? st : RAMP_EINTERNAL;
}

ramp_status ramp_folds_load(ramp_folds **out, const char *path, size_t n, ramp_err *err)
{
    ramp__err_clear(err);
    if (out) *out = NULL;
    if (!out || !path) return ramp__err_set(err, RAMP_EINVAL, "ramp_folds_load: bad arguments");
    uint8_t *data;
    size_t len;
    ramp_status st = ramp__read_file(path, (size_t)1 << 31, &data, &len, err);
    if (st) return st;
    st = ramp_folds_parse(out, (const char *)data, len, path, n, err);
    free(data);
    return st;
}
