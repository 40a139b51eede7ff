/* store_blend.c — the blend of the scored submissions: their stored
 * predictions read back as .npy, blended (ramp_blend), and the combined
 * score and contributivities written to the store. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/blend.h"
#include "ramp/npy.h"
#include "ramp/score.h"
#include "core/coreInt.h"
#include "store/storeInt.h"

/* ---- blending ------------------------------------------------------------------------------ */

typedef struct blend_ctx {
    ramp__store *s;
    const int64_t *ids;
} blend_ctx;

/* Reads prediction (id, fold, kind) as a parsed .npy. */
static ramp_status load_npy(ramp__store *s, int64_t id, int fold, const char *kind, ramp_npy *a)
{
    ramp__rows r;
    memset(a, 0, sizeof *a);
    ramp_status st = QR(&r,
                        "SELECT npy FROM prediction WHERE submission_id = ? AND fold = ? AND kind"
                        " = ?",
                        RAMP__INT(id), RAMP__INT(fold), RAMP__TEXT(kind));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return ramp__store_fail(s, RAMP_ENOENT, "submission %lld: no %s predictions for fold %d",
                                (long long)id, kind, fold);
    }
    char name[96];
    snprintf(name, sizeof name, "submission %lld fold %d %s", (long long)id, fold, kind);
    ramp_err e;
    st = ramp_npy_parse(a, (const uint8_t *)ramp__rows_text(&r, 0, 0), ramp__rows_len(&r, 0, 0),
                        name, &e);
    ramp__rows_clear(&r);
    if (st) return ramp__store_fail(s, st, "%s", e.msg);
    return RAMP_OK;
}

static ramp_status blend_load(void *ctx, int sub, int fold, ramp_blend_which which, float *dst,
                              size_t rows, int c, ramp_err *err)
{
    blend_ctx *b = ctx;
    ramp_npy a;
    int64_t id = b->ids[sub];
    ramp_status st = load_npy(b->s, id, fold, which == RAMP_BLEND_VALID ? "valid" : "test", &a);
    if (st) return ramp__err_set(err, st, "%s", b->s->msg);
    if (a.shape[0] != rows || a.shape[1] != (size_t)c ||
        (a.dtype != RAMP_NPY_F4 && a.dtype != RAMP_NPY_F8)) {
        ramp_npy_clear(&a);
        return ramp__err_set(err, RAMP_ESHAPE,
                             "submission %lld fold %d: predictions are %zu×%zu, expected %zu×%d",
                             (long long)id, fold, a.shape[0], a.shape[1], rows, c);
    }
    size_t n = rows * (size_t)c;
    if (a.dtype == RAMP_NPY_F4)
        memcpy(dst, a.data, n * sizeof(float));
    else
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)((double *)a.data)[i];
    ramp_npy_clear(&a);
    return RAMP_OK;
}

ramp_status ramp__store_blend(ramp__store *s, const ramp_problem *pb, const int32_t *y_train,
                              size_t n_train, const int32_t *y_test, size_t n_test)
{
    ramp__rows r = {0};
    int64_t *ids = NULL;
    int n_sub = 0, n_folds = 0;
    size_t *n_valid = NULL;
    size_t **vidx = NULL;
    ramp_blend_result *res = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT n_blends FROM event WHERE id = ?%s", s->be->for_update);
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    /* the event's row lock serialises blends (PostgreSQL); SQLite's write
       lock already does */
    if ((st = QR(&r, sql, RAMP__INT(1)))) goto fail;
    ramp__rows_clear(&r);
    if ((st = QR(&r,
                 "SELECT id FROM submission WHERE state = ? OR state = ?"
                 " ORDER BY submitted_at, id",
                 RAMP__TEXT(ramp__state_name(RAMP__ST_TESTED)),
                 RAMP__TEXT(ramp__state_name(RAMP__ST_SCORED)))))
        goto fail;
    n_sub = r.n_rows;
    if (!n_sub) {
        ramp__rows_clear(&r);
        return ramp__store_commit(s);
    }
    ids = malloc((size_t)n_sub * sizeof *ids);
    if (!ids) {
        st = ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_sub; i++)
        ids[i] = ramp__rows_int(&r, i, 0);
    ramp__rows_clear(&r);
    if ((st = QR(&r, "SELECT COUNT(*) FROM prediction WHERE submission_id = ? AND kind = ?",
                 RAMP__INT(ids[0]), RAMP__TEXT("valid_idx"))))
        goto fail;
    n_folds = (int)ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    if (n_folds < 1) {
        st = ramp__store_fail(s, RAMP_ENOENT, "submission %lld: no validation indices stored",
                              (long long)ids[0]);
        goto fail;
    }
    n_valid = calloc((size_t)n_folds, sizeof *n_valid);
    vidx = calloc((size_t)n_folds, sizeof *vidx);
    if (!n_valid || !vidx) {
        st = ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    for (int f = 0; f < n_folds; f++) {
        ramp_npy a;
        if ((st = load_npy(s, ids[0], f, "valid_idx", &a))) goto fail;
        n_valid[f] = a.shape[0];
        vidx[f] = malloc((a.shape[0] ? a.shape[0] : 1) * sizeof **vidx);
        if (!vidx[f]) {
            ramp_npy_clear(&a);
            st = ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < a.shape[0]; i++) {
            int64_t v = a.dtype == RAMP_NPY_I8   ? ((int64_t *)a.data)[i]
                        : a.dtype == RAMP_NPY_I4 ? ((int32_t *)a.data)[i]
                                                 : -1;
            if (v < 0 || (size_t)v >= n_train) {
                ramp_npy_clear(&a);
                st = ramp__store_fail(
                    s, RAMP_ERANGE,
                    "submission %lld fold %d: validation index %lld outside the %zu "
                    "training rows",
                    (long long)ids[0], f, (long long)v, n_train);
                goto fail;
            }
            vidx[f][i] = (size_t)v;
        }
        ramp_npy_clear(&a);
    }
    blend_ctx bc = {s, ids};
    ramp_blend_input in = {
        .n_sub = n_sub,
        .n_folds = n_folds,
        .n_classes = ramp_problem_n_classes(pb),
        .n_train = n_train,
        .y_train = y_train,
        .n_valid = n_valid,
        .valid_index = (const size_t *const *)vidx,
        .n_test = n_test,
        .y_test = y_test,
        .load = blend_load,
        .load_ctx = &bc,
    };
    ramp_blend_params bp = {.kind = ramp_problem_score_kind(pb, 0),
                            .param = ramp_problem_score_param(pb, 0)};
    ramp_err e = {RAMP_OK, ""};
    if ((st = ramp_blend_run(&res, &in, &bp, &e))) {
        ramp__store_fail(s, st, "blend: %s", e.msg);
        goto fail;
    }
    for (int i = 0; i < n_sub; i++)
        if ((st = Q("UPDATE submission SET contributivity = ?, hist_sum = hist_sum + ?,"
                    " hist_n = hist_n + 1, state = ? WHERE id = ?",
                    RAMP__REAL(res->contributivity[i]), RAMP__REAL(res->contributivity[i]),
                    RAMP__TEXT(ramp__state_name(RAMP__ST_SCORED)), RAMP__INT(ids[i]))))
            goto fail;
    if ((st = Q("UPDATE event SET combined_valid = ?, combined_test = ?, foldwise_best_valid = ?,"
                " foldwise_best_test = ?, n_blends = n_blends + 1 WHERE id = ?",
                RAMP__REAL(res->combined_valid), RAMP__REAL(res->combined_test),
                RAMP__REAL(res->foldwise_best_valid), RAMP__REAL(res->foldwise_best_test),
                RAMP__INT(1))))
        goto fail;
    st = ramp__store_commit(s);
    goto done;
fail:
    ramp__rows_clear(&r);
    ramp__store_rollback(s);
done:
    ramp_blend_result_free(res);
    for (int f = 0; vidx && f < n_folds; f++)
        free(vidx[f]);
    free(vidx);
    free(n_valid);
    free(ids);
    return st;
}
