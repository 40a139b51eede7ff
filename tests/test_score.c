/* test_score.c — classification scores and RAMP's combine rule against
 * scikit-learn / numpy values on committed fixtures (tests/fixtures/score,
 * written by tests/gen_score_fixtures.py), plus edge cases and errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/npy.h"
#include "ramp/score.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/score/"

static void assert_close(double got, double want, double tol, const char *what)
{
    if (isinf(want) && got == want) return; /* balanced accuracy of one class: −inf */
    double d = fabs(got - want);
    if (!(d <= tol * (fabs(want) > 1 ? fabs(want) : 1))) {
        print_error("%s: got %.17g want %.17g (diff %.3g)\n", what, got, want, d);
        fail();
    }
}

static ramp_score_kind kind_of(const char *name)
{
    const ramp_score_type *t = ramp_score_type_find(name);
    assert_non_null(t);
    return t->kind;
}

/* Every "score" line of expected.txt, on the double API (and the float one
   for the f32 case, whose proba file is '<f4'). */
static void test_fixture_scores(void **state)
{
    (void)state;
    FILE *f = fopen(FIX "expected.txt", "r");
    assert_non_null(f);
    char line[512], name[64] = "", pf[128], yf[128];
    double *p = NULL;
    float *pf32 = NULL;
    int32_t *y = NULL;
    size_t n = 0, c = 0;
    int n_checked = 0;
    while (fgets(line, sizeof line, f)) {
        char kind[32];
        double param, want;
        size_t cn, cc;
        if (sscanf(line, "case %63s %zu %zu %127s %127s", name, &cn, &cc, pf, yf) == 5) {
            free(p);
            free(pf32);
            free(y);
            p = NULL;
            pf32 = NULL;
            char path[512];
            ramp_err err;
            size_t rows, cols, ny;
            snprintf(path, sizeof path, FIX "%s", pf);
            assert_int_equal(ramp_npy_read_matrix(&p, &rows, &cols, path, &err), RAMP_OK);
            if (strcmp(name, "f32") == 0)
                assert_int_equal(ramp_npy_read_matrix_f(&pf32, &rows, &cols, path, &err), RAMP_OK);
            snprintf(path, sizeof path, FIX "%s", yf);
            assert_int_equal(ramp_npy_read_labels(&y, &ny, path, &err), RAMP_OK);
            assert_int_equal(rows, cn);
            assert_int_equal(cols, cc);
            assert_int_equal(ny, cn);
            n = cn;
            c = cc;
        } else if (sscanf(line, "score %31s %lf %lf", kind, &param, &want) == 3) {
            double got = -1;
            ramp_err err = {0};
            char what[128];
            snprintf(what, sizeof what, "%s %s(%g)", name, kind, param);
            ramp_status st = ramp_score_compute(&got, kind_of(kind), param, p, y, n, (int)c, &err);
            if (st) print_error("%s: %s\n", what, err.msg);
            assert_int_equal(st, RAMP_OK);
            assert_close(got, want, 1e-12, what);
            if (pf32) {
                assert_int_equal(ramp_score_compute_f(&got, kind_of(kind), param, pf32, y, n,
                                                      (int)c, &err),
                                 RAMP_OK);
                assert_close(got, want, 1e-12, what);
            }
            n_checked++;
        }
    }
    fclose(f);
    free(p);
    free(pf32);
    free(y);
    assert_true(n_checked >= 100); /* every line of expected.txt (114) */
}

static void test_combine_fixture(void **state)
{
    (void)state;
    FILE *f = fopen(FIX "expected.txt", "r");
    assert_non_null(f);
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char out[64], in[3][64];
        int k;
        if (sscanf(line, "combine %63s %d %63s %63s %63s", out, &k, in[0], in[1], in[2]) != 5)
            continue;
        assert_int_equal(k, 3);
        found = 1;
        double *m[3], *want, *got;
        size_t n, c, n2, c2;
        char path[256];
        ramp_err err;
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, FIX "%s", in[i]);
            assert_int_equal(ramp_npy_read_matrix(&m[i], &n, &c, path, &err), RAMP_OK);
        }
        snprintf(path, sizeof path, FIX "%s", out);
        assert_int_equal(ramp_npy_read_matrix(&want, &n2, &c2, path, &err), RAMP_OK);
        assert_int_equal(n, n2);
        assert_int_equal(c, c2);
        got = malloc(n * c * sizeof *got);
        assert_non_null(got);
        assert_int_equal(ramp_combine(got, (const double *const *)m, 3, n, (int)c, &err), RAMP_OK);
        int n_nan = 0;
        for (size_t q = 0; q < n * c; q++) {
            if (isnan(want[q])) {
                assert_true(isnan(got[q]));
                n_nan++;
            } else {
                assert_close(got[q], want[q], 1e-14, "combine");
            }
        }
        assert_int_equal(n_nan, (int)c); /* row 3 only */
        /* float version: same within float rounding */
        float *mf[3], *gotf = malloc(n * c * sizeof *gotf);
        assert_non_null(gotf);
        for (int i = 0; i < 3; i++) {
            mf[i] = malloc(n * c * sizeof *mf[i]);
            assert_non_null(mf[i]);
            for (size_t q = 0; q < n * c; q++)
                mf[i][q] = (float)m[i][q];
        }
        assert_int_equal(ramp_combine_f(gotf, (const float *const *)mf, 3, n, (int)c, &err),
                         RAMP_OK);
        for (size_t q = 0; q < n * c; q++)
            if (!isnan(want[q])) assert_close(gotf[q], want[q], 1e-6, "combine_f");
        for (int i = 0; i < 3; i++) {
            free(m[i]);
            free(mf[i]);
        }
        free(want);
        free(got);
        free(gotf);
    }
    fclose(f);
    assert_true(found);
}

static void test_table(void **state)
{
    (void)state;
    const char *names[] = {
        "accuracy",          "error",        "nll",   "f1_above", "macro_f1", "top_k",
        "balanced_accuracy", "macro_recall", "brier", "roc_auc", "map", "det_precision",
        "det_recall", "ospa", "scp", "mad_center", "mad_radius", "pixel_accuracy",
        "mean_accuracy", "mean_iu", "fw_iu"};
    assert_int_equal(ramp_score_type_count(), 21);
    for (int i = 0; i < 21; i++) {
        const ramp_score_type *t = ramp_score_type_find(names[i]);
        assert_non_null(t);
        assert_string_equal(t->name, names[i]);
        assert_ptr_equal(ramp_score_type_of(t->kind), t);
    }
    assert_null(ramp_score_type_find("Accuracy"));
    assert_null(ramp_score_type_find(NULL));
    assert_null(ramp_score_type_at(21));
    assert_int_equal(ramp_score_type_find("balanced_accuracy")->kind, RAMP_SCORE_BALANCED_ACCURACY);
    assert_int_equal(ramp_score_type_find("macro_recall")->kind, RAMP_SCORE_MACRO_RECALL);
    assert_int_equal(ramp_score_type_find("brier")->kind, RAMP_SCORE_BRIER);
    assert_int_equal(ramp_score_type_find("roc_auc")->kind, RAMP_SCORE_ROC_AUC);
    assert_string_equal(ramp_score_kind_name(RAMP_SCORE_ROC_AUC), "roc_auc");
    assert_true(ramp_score_type_find("brier")->lower_is_better);
    assert_false(ramp_score_type_find("roc_auc")->lower_is_better);
    assert_false(ramp_score_type_find("balanced_accuracy")->lower_is_better);
    assert_false(ramp_score_type_find("macro_recall")->has_param);
    assert_true(ramp_score_type_find("nll")->lower_is_better);
    assert_true(ramp_score_type_find("error")->lower_is_better);
    assert_false(ramp_score_type_find("accuracy")->lower_is_better);
    assert_close(ramp_score_type_find("f1_above")->default_param, 0.5, 0, "value");
    assert_true(ramp_score_type_find("top_k")->has_param);
    assert_true(ramp_score_is_better(RAMP_SCORE_NLL, 0.1, 0.2));
    assert_false(ramp_score_is_better(RAMP_SCORE_ACCURACY, 0.1, 0.2));
    assert_false(ramp_score_is_better(RAMP_SCORE_ACCURACY, 0.2, 0.2));
    assert_true(ramp_score_is_better(RAMP_SCORE_ACCURACY, 0.0, NAN));
    assert_false(ramp_score_is_better(RAMP_SCORE_ACCURACY, NAN, 0.0));
}

/* Hand-checked values, NaN rows and every error path. */
static void test_edges(void **state)
{
    (void)state;
    /* 4 rows × 3 classes; row 2 all NaN (skipped) */
    const double p[] = {0.1, 0.7, 0.2, /* pred 1 */
                        0.5, 0.5, 0.0, /* tie: pred 0 (first max); top-1 picks 1 */
                        NAN, NAN, NAN, /* skipped */
                        0.0, 0.0, 2.0}; /* pred 2, not normalised */
    const int32_t y[] = {1, 1, 0, 2};
    double v;
    ramp_err err = {0};
    assert_int_equal(ramp_score_accuracy(&v, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, 2.0 / 3.0, 1e-15, "value");
    assert_int_equal(ramp_score_error(&v, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, 1.0 / 3.0, 1e-15, "value");
    assert_int_equal(ramp_score_top_k(&v, 1, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, 1.0, 1e-15, "value");
    assert_int_equal(ramp_score_top_k(&v, 7, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, 1.0, 0, "value");
    /* nll: row 0 −log .7, row 1 −log .5, row 3: q = (1−1e-15)/(1−1e-15+2e-15) */
    double want = (-log(0.7) - log(0.5) - log((1 - 1e-15) / (1 - 1e-15 + 2e-15))) / 3;
    assert_int_equal(ramp_score_nll(&v, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, want, 1e-15, "value");
    /* F1: class 0: tp0 fp1 fn0 → 0; class 1: tp1 fn1 → 2/3; class 2: 1 */
    assert_int_equal(ramp_score_macro_f1(&v, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, (0 + 2.0 / 3 + 1) / 3, 1e-15, "value");
    assert_int_equal(ramp_score_f1_above(&v, 2.0 / 3, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, 1.0 / 3, 1e-15, "f1_above"); /* strict: 2/3 is not above 2/3 */

    /* errors */
    const int32_t ybad[] = {1, 3, 0, 2};
    assert_int_equal(ramp_score_accuracy(&v, p, ybad, 4, 3, &err), RAMP_ERANGE);
    assert_true(isnan(v));
    assert_string_equal(err.msg, "accuracy: label 3 of row 1 is outside [0, 3)");
    const double pn[] = {0.1, NAN, 0.2};
    assert_int_equal(ramp_score_nll(&v, pn, y, 1, 3, &err), RAMP_EINVAL);
    assert_string_equal(err.msg, "nll: row 0 has 1 NaN of 3 entries");
    assert_int_equal(ramp_score_accuracy(&v, p + 6, y, 1, 3, &err), RAMP_EINVAL);
    assert_string_equal(err.msg, "accuracy: no row to score (n = 1)");
    assert_int_equal(ramp_score_top_k(&v, 0, p, y, 4, 3, &err), RAMP_EINVAL);
    assert_int_equal(ramp_score_f1_above(&v, NAN, p, y, 4, 3, &err), RAMP_EINVAL);
    assert_int_equal(ramp_score_compute(&v, (ramp_score_kind)99, 0, p, y, 4, 3, &err),
                     RAMP_EINVAL);
    assert_int_equal(ramp_score_accuracy(&v, NULL, y, 4, 3, &err), RAMP_EINVAL);
    assert_int_equal(ramp_score_accuracy(&v, p, y, 4, 0, &err), RAMP_EINVAL);
    const double *none[1] = {NULL};
    double out[3];
    assert_int_equal(ramp_combine(out, none, 1, 1, 3, &err), RAMP_EINVAL);
    assert_int_equal(ramp_combine(out, none, 0, 1, 3, &err), RAMP_EINVAL);
}

/* rampwf's recall and binary scores by hand, and their errors. */
static void test_rampwf_edges(void **state)
{
    (void)state;
    const double p[] = {0.1, 0.7, 0.2, 0.5, 0.5, 0.0, NAN, NAN, NAN, 0.0, 0.0, 2.0};
    const int32_t y[] = {1, 1, 0, 2};
    double v;
    ramp_err err = {0};
    /* classes in y: 1 (recall 1/2), 2 (recall 1): R = 3/4, m = 2 */
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BALANCED_ACCURACY, 0, p, y, 4, 3, &err),
                     RAMP_OK);
    assert_close(v, 0.5, 1e-15, "balanced_accuracy");
    /* U = {0, 1, 2}: class 0 only predicted counts 0 */
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_MACRO_RECALL, 0, p, y, 4, 3, &err), RAMP_OK);
    assert_close(v, 0.5, 1e-15, "macro_recall");
    /* one class in y: (R − 1) / 0 as numpy: NaN when R = 1, −inf below */
    const int32_t y1[] = {1, 1};
    const double p_ok[] = {0.1, 0.9, 0.0, 0.2, 0.8, 0.0};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BALANCED_ACCURACY, 0, p_ok, y1, 2, 3, &err),
                     RAMP_OK);
    assert_true(isnan(v));
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BALANCED_ACCURACY, 0, p, y1, 2, 3, &err),
                     RAMP_OK);
    assert_true(isinf(v) && v < 0);

    /* binary: column 1 against y */
    const double pb[] = {0.8, 0.2, 0.1, 0.9, 0.5, 0.5, 0.5, 0.5};
    const int32_t yb[] = {0, 1, 1, 0};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BRIER, 0, pb, yb, 3, 2, &err), RAMP_OK);
    assert_close(v, (0.04 + 0.01 + 0.25) / 3, 1e-15, "brier");
    /* pairs (pos, neg): (.9,.2) (.9,.5) (.5,.2) count 1, (.5,.5) a tie 1/2 */
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_ROC_AUC, 0, pb, yb, 4, 2, &err), RAMP_OK);
    assert_close(v, 3.5 / 4, 1e-15, "roc_auc");
    /* labels {0, 2}: 2 is the positive class */
    const int32_t y02[] = {0, 2, 2, 0};
    const double p3[] = {0.5, 0.2, 0.3, 0.0, 0.9, 0.1, 0.3, 0.5, 0.2, 0.1, 0.5, 0.4};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_ROC_AUC, 0, p3, y02, 4, 3, &err), RAMP_OK);
    assert_close(v, 3.5 / 4, 1e-15, "roc_auc {0, 2}");
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BRIER, 0, p3, y02, 4, 3, &err), RAMP_OK);
    assert_close(v, (0.04 + 0.01 + 0.25 + 0.25) / 4, 1e-15, "brier {0, 2}");
    /* a single label 0: Brier's positive class is 1 (sklearn's rule) */
    const int32_t y00[] = {0, 0};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BRIER, 0, pb, y00, 2, 2, &err), RAMP_OK);
    assert_close(v, (0.04 + 0.81) / 2, 1e-15, "brier {0}");

    /* errors */
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_ROC_AUC, 0, pb, y00, 2, 2, &err),
                     RAMP_EINVAL);
    assert_string_equal(err.msg, "roc_auc: only class 0 is present in y: ROC AUC is not defined");
    assert_true(isnan(v));
    const int32_t y012[] = {0, 1, 2, 1};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BRIER, 0, p3, y012, 4, 3, &err),
                     RAMP_EINVAL);
    assert_string_equal(err.msg, "brier: y holds classes 0, 1 and 2: rampwf's BrierScore is binary "
                                 "(column 1 scored against class 1)");
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_ROC_AUC, 0, p3, y012, 4, 3, &err),
                     RAMP_EINVAL);
    const double pbig[] = {-0.5, 1.5, 0.5, 0.5};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BRIER, 0, pbig, yb, 2, 2, &err),
                     RAMP_EINVAL);
    assert_string_equal(err.msg, "brier: row 0: probability of class 1 is 1.5, outside [0, 1]");
    const double pinf[] = {0.5, 0.5, 0.0, INFINITY};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_ROC_AUC, 0, pinf, yb, 2, 2, &err),
                     RAMP_EINVAL);
    assert_string_equal(err.msg, "roc_auc: row 1: probability of class 1 is inf");
    const double one[] = {1.0, 1.0};
    assert_int_equal(ramp_score_compute(&v, RAMP_SCORE_BRIER, 0, one, yb, 2, 1, &err), RAMP_EINVAL);
    assert_string_equal(err.msg,
                        "brier: 1 class: the score reads column 1, the probability of class 1");
    /* float32 input scores identically */
    const float pf[] = {0.8f, 0.25f, 0.125f, 0.875f, 0.5f, 0.5f, 0.5f, 0.5f};
    double vd;
    const double pfd[] = {0.8f, 0.25, 0.125, 0.875, 0.5, 0.5, 0.5, 0.5};
    assert_int_equal(ramp_score_compute_f(&v, RAMP_SCORE_BRIER, 0, pf, yb, 4, 2, &err), RAMP_OK);
    assert_int_equal(ramp_score_compute(&vd, RAMP_SCORE_BRIER, 0, pfd, yb, 4, 2, &err), RAMP_OK);
    assert_true(v == vd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_scores),
        cmocka_unit_test(test_combine_fixture),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_rampwf_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
