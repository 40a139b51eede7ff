/* test_blend.c — greedy blending against the plain numpy/sklearn reference
 * in tests/gen_blend_fixtures.py (committed results in tests/fixtures/blend),
 * with 1 and 2 threads, and the errors a caller can meet. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/blend.h"
#include "ramp/npy.h"
#include "ramp/score.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/blend/"
enum { NS = 8, NF = 3, NC = 5, NV = 30, NT = 40, NTRAIN = 90 };

typedef struct {
    int32_t *y_train, *y_test;
    size_t *idx[NF], n_valid[NF];
    float *valid[NF], *test[NF];
    const float *vp[NF * NS], *tp[NF * NS];
    ramp_blend_memory mem;
    ramp_blend_input in;
} fixture;

static size_t *read_index(const char *path)
{
    int32_t *y;
    size_t n;
    ramp_err err;
    assert_int_equal(ramp_npy_read_labels(&y, &n, path, &err), RAMP_OK);
    assert_int_equal(n, NV);
    size_t *ix = malloc(n * sizeof *ix);
    assert_non_null(ix);
    for (size_t i = 0; i < n; i++)
        ix[i] = (size_t)y[i];
    free(y);
    return ix;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    ramp_err err;
    size_t n, r, c;
    assert_int_equal(ramp_npy_read_labels(&fx->y_train, &n, FIX "y_train.npy", &err), RAMP_OK);
    assert_int_equal(n, NTRAIN);
    assert_int_equal(ramp_npy_read_labels(&fx->y_test, &n, FIX "y_test.npy", &err), RAMP_OK);
    assert_int_equal(n, NT);
    for (int f = 0; f < NF; f++) {
        char path[512];
        snprintf(path, sizeof path, FIX "valid_index_f%d.npy", f);
        fx->idx[f] = read_index(path);
        fx->n_valid[f] = NV;
        snprintf(path, sizeof path, FIX "valid_f%d.npy", f);
        assert_int_equal(ramp_npy_read_matrix_f(&fx->valid[f], &r, &c, path, &err), RAMP_OK);
        assert_int_equal(r, NS * NV);
        assert_int_equal(c, NC);
        snprintf(path, sizeof path, FIX "test_f%d.npy", f);
        assert_int_equal(ramp_npy_read_matrix_f(&fx->test[f], &r, &c, path, &err), RAMP_OK);
        assert_int_equal(r, NS * NT);
        for (int s = 0; s < NS; s++) {
            fx->vp[f * NS + s] = fx->valid[f] + (size_t)s * NV * NC;
            fx->tp[f * NS + s] = fx->test[f] + (size_t)s * NT * NC;
        }
    }
    fx->mem = (ramp_blend_memory){fx->vp, fx->tp, NS};
    fx->in = (ramp_blend_input){.n_sub = NS, .n_folds = NF, .n_classes = NC, .n_train = NTRAIN,
                                .y_train = fx->y_train, .n_valid = fx->n_valid,
                                .valid_index = (const size_t *const *)fx->idx, .n_test = NT,
                                .y_test = fx->y_test, .load = ramp_blend_load_memory,
                                .load_ctx = &fx->mem};
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    free(fx->y_train);
    free(fx->y_test);
    for (int f = 0; f < NF; f++) {
        free(fx->idx[f]);
        free(fx->valid[f]);
        free(fx->test[f]);
    }
    free(fx);
    return 0;
}

static void assert_close(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol * (fabs(want) > 1 ? fabs(want) : 1))) {
        print_error("%s: got %.17g want %.17g\n", what, got, want);
        fail();
    }
}

/* Reads the doubles after a key on a line into v (up to max); returns count. */
static int parse_list(const char *line, const char *key, double *v, int max)
{
    size_t kl = strlen(key);
    if (strncmp(line, key, kl) != 0 || line[kl] != ' ') return -1;
    const char *p = line + kl;
    int n = 0;
    char *end;
    while (n < max) {
        double x = strtod(p, &end);
        if (end == p) break;
        v[n++] = x;
        p = end;
    }
    return n;
}

static void check_result(const ramp_blend_result *r, char lines[][1024], int n_lines,
                         const char *what)
{
    for (int l = 0; l < n_lines; l++) {
        double v[128];
        int f, n;
        char msg[256];
        if (sscanf(lines[l], "selected %d", &f) == 1) {
            n = parse_list(lines[l], "selected", v, 128) - 1; /* first is the fold */
            snprintf(msg, sizeof msg, "%s: fold %d list length", what, f);
            if (r->n_selected[f] != n) print_error("%s %d vs %d\n", msg, r->n_selected[f], n);
            assert_int_equal(r->n_selected[f], n);
            for (int i = 0; i < n; i++)
                assert_int_equal(r->selected[f][i], (int)v[i + 1]);
        } else if ((n = parse_list(lines[l], "contributivity", v, 128)) > 0) {
            assert_int_equal(n, NS);
            for (int s = 0; s < NS; s++) {
                assert_close(r->contributivity[s], v[s], 1e-12, "contributivity");
                assert_int_equal(r->contributivity_pct[s], (int)lround(100 * v[s]));
            }
        } else if ((n = parse_list(lines[l], "fold_valid", v, 128)) > 0) {
            for (int i = 0; i < n; i++)
                assert_close(r->fold_valid[i], v[i], 1e-9, "fold_valid");
        } else if ((n = parse_list(lines[l], "fold_best", v, 128)) > 0) {
            for (int i = 0; i < n; i++)
                assert_int_equal(r->fold_best[i], (int)v[i]);
        } else if ((n = parse_list(lines[l], "fold_best_valid", v, 128)) > 0) {
            for (int i = 0; i < n; i++)
                assert_close(r->fold_best_valid[i], v[i], 1e-9, "fold_best_valid");
        } else if (parse_list(lines[l], "combined_valid", v, 1) == 1) {
            assert_close(r->combined_valid, v[0], 1e-9, "combined_valid");
        } else if (parse_list(lines[l], "combined_test", v, 1) == 1) {
            assert_close(r->combined_test, v[0], 1e-9, "combined_test");
        } else if (parse_list(lines[l], "foldwise_best_valid", v, 1) == 1) {
            assert_close(r->foldwise_best_valid, v[0], 1e-9, "foldwise_best_valid");
        } else if (parse_list(lines[l], "foldwise_best_test", v, 1) == 1) {
            assert_close(r->foldwise_best_test, v[0], 1e-9, "foldwise_best_test");
        }
    }
}

static void test_against_reference(void **state)
{
    fixture *fx = *state;
    FILE *fp = fopen(FIX "expected.txt", "r");
    assert_non_null(fp);
    static char lines[64][1024];
    char line[1024];
    int n_runs = 0, n_lines = 0;
    ramp_blend_params p = {0};
    int have = 0;
    for (int eof = 0; !eof;) {
        eof = !fgets(line, sizeof line, fp);
        char kind[32];
        double param, min_imp;
        int max_n;
        int is_blend = !eof && sscanf(line, "blend %31s %lf %d %lf", kind, &param, &max_n,
                                      &min_imp) == 4;
        if ((eof || is_blend) && have) {
            for (int threads = 1; threads <= 2; threads++) {
                p.n_threads = threads;
                p.parallel_load = threads == 2;
                ramp_blend_result *r = NULL;
                ramp_err err = {0};
                ramp_status st = ramp_blend_run(&r, &fx->in, &p, &err);
                if (st) print_error("%s\n", err.msg);
                assert_int_equal(st, RAMP_OK);
                char what[64];
                snprintf(what, sizeof what, "%s threads=%d", ramp_score_type_of(p.kind)->name,
                         threads);
                check_result(r, lines, n_lines, what);
                ramp_blend_result_free(r);
            }
            n_runs++;
            have = 0;
        }
        if (is_blend) {
            const ramp_score_type *t = ramp_score_type_find(kind);
            assert_non_null(t);
            p = (ramp_blend_params){.kind = t->kind, .param = param, .max_n_ensemble = max_n,
                                    .min_improvement = min_imp};
            have = 1;
            n_lines = 0;
        } else if (have && !eof && n_lines < 64) {
            strcpy(lines[n_lines++], line);
        }
    }
    fclose(fp);
    assert_int_equal(n_runs, 7);
}

static ramp_status set_disk_error(ramp_err *err, int sub, int fold)
{
    err->code = RAMP_EIO;
    snprintf(err->msg, sizeof err->msg, "sub %d fold %d: disk on fire", sub, fold);
    return RAMP_EIO;
}

static ramp_status failing_load(void *ctx, int sub, int fold, ramp_blend_which which, float *dst,
                                size_t rows, int c, ramp_err *err)
{
    (void)ctx;
    (void)which;
    (void)dst;
    (void)rows;
    (void)c;
    return sub == 3 ? set_disk_error(err, sub, fold) : RAMP_OK;
}

static void test_errors(void **state)
{
    fixture *fx = *state;
    ramp_blend_params p = {.kind = RAMP_SCORE_NLL};
    ramp_blend_result *r = (ramp_blend_result *)1;
    ramp_err err = {0};

    /* a NaN prediction */
    float saved = fx->valid[1][(size_t)4 * NV * NC + 7];
    fx->valid[1][(size_t)4 * NV * NC + 7] = NAN;
    assert_int_equal(ramp_blend_run(&r, &fx->in, &p, &err), RAMP_EBADOUTPUT);
    assert_null(r);
    assert_string_equal(err.msg, "blend: submission 4 fold 1: prediction [1, 2] is nan");
    fx->valid[1][(size_t)4 * NV * NC + 7] = saved;

    /* an index outside the training set */
    ramp_blend_input in = fx->in;
    size_t bad[NV];
    memcpy(bad, fx->idx[2], sizeof bad);
    bad[5] = NTRAIN;
    const size_t *idx[NF] = {fx->idx[0], fx->idx[1], bad};
    in.valid_index = idx;
    assert_int_equal(ramp_blend_run(&r, &in, &p, &err), RAMP_ERANGE);
    assert_string_equal(err.msg, "blend: fold 2 validation index 5 = 90 >= n_train 90");

    /* the loader's failure comes back with its message */
    in = fx->in;
    in.load = failing_load;
    assert_int_equal(ramp_blend_run(&r, &in, &p, &err), RAMP_EIO);
    assert_string_equal(err.msg, "sub 3 fold 0: disk on fire");

    /* bad parameters */
    p.min_improvement = -1;
    assert_int_equal(ramp_blend_run(&r, &fx->in, &p, &err), RAMP_EINVAL);
    p = (ramp_blend_params){.kind = RAMP_SCORE_TOP_K, .param = 1.5};
    assert_int_equal(ramp_blend_run(&r, &fx->in, &p, &err), RAMP_EINVAL);
    assert_int_equal(ramp_blend_run(NULL, &fx->in, &p, &err), RAMP_EINVAL);
    ramp_blend_result_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
