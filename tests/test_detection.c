/* test_detection.c — detection scores against an independent numpy
 * implementation of the VOC rules (tests/gen_detection_fixtures.py), IoU
 * against closed forms, and the input errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/detection.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/detection/expected.txt"
#define TOL 1e-9

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* NaN equals NaN here: a class without truth must report NaN. */
static void close_to(double got, double want, const char *what, const char *name, int k)
{
    int ok = isnan(want) ? isnan(got) : fabs(got - want) <= TOL;
    if (!ok) {
        print_error("%s %s (class %d): got %.17g want %.17g\n", name, what, k, got, want);
        fail();
    }
}

/* --- fixtures ------------------------------------------------------------------ */

typedef struct fx_case {
    char name[64];
    ramp_det_params p;
    int n_classes;
    size_t n_images;
    ramp_det_image *images;
    ramp_det_obj *objs; /* every image's objects, back to back */
} fx_case;

static void fx_free(fx_case *c)
{
    free(c->images);
    free(c->objs);
}

static int next_line(FILE *f, char *line, size_t n)
{
    return fgets(line, (int)n, f) != NULL;
}

/* Reads a case's header and images; the reference lines follow. */
static int fx_read_case(FILE *f, fx_case *c)
{
    char line[512], geom[16], match[16];
    memset(c, 0, sizeof *c);
    if (!next_line(f, line, sizeof line)) return 0;
    assert_int_equal(sscanf(line, "case %63s %15s %d %lf %15s %zu", c->name, geom, &c->n_classes,
                            &c->p.iou_threshold, match, &c->n_images),
                     6);
    c->p.geom = !strcmp(geom, "box") ? RAMP_DET_BOX : RAMP_DET_CIRCLE;
    c->p.match = !strcmp(match, "voc") ? RAMP_DET_MATCH_VOC : RAMP_DET_MATCH_UNMATCHED;
    c->images = calloc(c->n_images, sizeof *c->images);
    assert_non_null(c->images);
    /* two passes would need seeking; objects are few, so grow one array */
    size_t cap = 64, n = 0;
    c->objs = malloc(cap * sizeof *c->objs);
    assert_non_null(c->objs);
    size_t *first = calloc(c->n_images, sizeof *first);
    assert_non_null(first);
    for (size_t i = 0; i < c->n_images; i++) {
        size_t nt, np_;
        assert_true(next_line(f, line, sizeof line));
        assert_int_equal(sscanf(line, "image %zu %zu", &nt, &np_), 2);
        first[i] = n;
        for (size_t j = 0; j < nt + np_; j++) {
            if (n == cap) {
                cap *= 2;
                c->objs = realloc(c->objs, cap * sizeof *c->objs);
                assert_non_null(c->objs);
            }
            ramp_det_obj *o = &c->objs[n++];
            memset(o, 0, sizeof *o);
            assert_true(next_line(f, line, sizeof line));
            int cls;
            if (j < nt)
                assert_int_equal(sscanf(line, "t %d %lf %lf %lf %lf", &cls, &o->g[0], &o->g[1],
                                        &o->g[2], &o->g[3]),
                                 5);
            else
                assert_int_equal(sscanf(line, "p %d %lf %lf %lf %lf %lf", &cls, &o->conf, &o->g[0],
                                        &o->g[1], &o->g[2], &o->g[3]),
                                 6);
            o->cls = cls;
        }
        c->images[i].n_truth = nt;
        c->images[i].n_pred = np_;
    }
    for (size_t i = 0; i < c->n_images; i++) {
        c->images[i].truth = c->objs + first[i];
        c->images[i].pred = c->objs + first[i] + c->images[i].n_truth;
    }
    free(first);
    return 1;
}

static void test_fixtures(void **state)
{
    (void)state;
    FILE *f = fopen(FIX, "r");
    assert_non_null(f);
    int n_cases = 0, n_checked = 0;
    fx_case c;
    while (fx_read_case(f, &c)) {
        ramp_err err = {0};
        ramp_det_eval *ev;
        if (ramp_det_eval_new(&ev, c.images, c.n_images, c.n_classes, &c.p, &err)) {
            print_error("%s: %s\n", c.name, err.msg);
            fail();
        }
        char line[4096];
        while (next_line(f, line, sizeof line) && strncmp(line, "end", 3)) {
            int k, n_scored;
            size_t nt, np_, tp, fp;
            double a, b, tau, pr, rc;
            char flags[2048];
            if (sscanf(line, "ap %d %zu %zu %lf %lf", &k, &nt, &np_, &a, &b) == 5) {
                double got;
                assert_int_equal(ramp_det_eval_n_truth(ev, k), nt);
                assert_int_equal(ramp_det_eval_ranking(ev, k, NULL, NULL), np_);
                got = ramp_det_eval_ap(ev, k, RAMP_DET_AP_ALL_POINT);
                close_to(got, a, "AP all-point", c.name, k);
                got = ramp_det_eval_ap(ev, k, RAMP_DET_AP_11_POINT);
                close_to(got, b, "AP 11-point", c.name, k);
                n_checked += 2;
            } else if (sscanf(line, "rank %d %2047s", &k, flags) == 2) {
                const double *conf;
                const uint8_t *is_tp;
                size_t n = ramp_det_eval_ranking(ev, k, &conf, &is_tp);
                if (!strcmp(flags, "-")) flags[0] = 0;
                assert_int_equal(n, strlen(flags));
                for (size_t q = 0; q < n; q++) {
                    if (is_tp[q] != (flags[q] == '1')) {
                        print_error("%s class %d: rank %zu is %s, the reference says %c\n", c.name,
                                    k, q, is_tp[q] ? "TP" : "FP", flags[q]);
                        fail();
                    }
                    if (q) assert_true(conf[q - 1] >= conf[q]);
                }
                n_checked++;
            } else if (sscanf(line, "map %lf %lf %d", &a, &b, &k) == 3) {
                double got;
                got = ramp_det_eval_map(ev, RAMP_DET_AP_ALL_POINT, &n_scored);
                assert_int_equal(n_scored, k);
                close_to(got, a, "mAP all-point", c.name, -1);
                got = ramp_det_eval_map(ev, RAMP_DET_AP_11_POINT, NULL);
                close_to(got, b, "mAP 11-point", c.name, -1);
                n_checked += 2;
            } else if (sscanf(line, "pr %d %lf %zu %zu %zu %lf %lf", &k, &tau, &tp, &fp, &nt, &pr,
                              &rc) == 7) {
                ramp_det_counts cnt = ramp_det_eval_counts(ev, k, tau);
                assert_int_equal(cnt.tp, tp);
                assert_int_equal(cnt.fp, fp);
                assert_int_equal(cnt.n_truth, nt);
                close_to(cnt.precision, pr, "precision", c.name, k);
                close_to(cnt.recall, rc, "recall", c.name, k);
                n_checked++;
            } else {
                print_error("unparsed fixture line: %s", line);
                fail();
            }
        }
        ramp_det_eval_free(ev);
        fx_free(&c);
        n_cases++;
    }
    fclose(f);
    assert_int_equal(n_cases, 12);
    assert_true(n_checked > 300);
}

/* The edge case under a different tie order gives a different AP: the
   stable tie rule is what the fixture pins, not an accident. */
static void test_tie_order_matters(void **state)
{
    (void)state;
    ramp_det_obj truth[] = {{0, 0, {0, 0, 10, 10}}, {0, 0, {20, 0, 30, 10}}};
    ramp_det_obj pred[] = {{0, 0.5, {0, 0, 10, 10}}, {0, 0.5, {50, 50, 60, 60}}};
    ramp_det_obj pred_swapped[] = {pred[1], pred[0]};
    ramp_det_image a = {truth, 2, pred, 2, 0, 0}, b = {truth, 2, pred_swapped, 2, 0, 0};
    ramp_det_eval *ea, *eb;
    ramp_err err;
    assert_int_equal(ramp_det_eval_new(&ea, &a, 1, 1, NULL, &err), RAMP_OK);
    assert_int_equal(ramp_det_eval_new(&eb, &b, 1, 1, NULL, &err), RAMP_OK);
    double apa = ramp_det_eval_ap(ea, 0, RAMP_DET_AP_ALL_POINT);
    double apb = ramp_det_eval_ap(eb, 0, RAMP_DET_AP_ALL_POINT);
    assert_true(apa == 0.5);  /* TP first: recall 1/2 at precision 1 */
    assert_true(apb == 0.25); /* FP first: recall 1/2 at precision 1/2 */
    ramp_det_eval_free(ea);
    ramp_det_eval_free(eb);
}

/* The header's example. */
static void test_header_example(void **state)
{
    (void)state;
    ramp_det_obj truth0[] = {{.cls = 0, .g = {10, 10, 50, 40}}};
    ramp_det_obj pred0[] = {{.cls = 0, .conf = 0.9, .g = {12, 9, 49, 41}},
                            {.cls = 0, .conf = 0.8, .g = {11, 10, 50, 40}}};
    ramp_det_image img[] = {{truth0, 1, pred0, 2, 0, 0}};
    ramp_det_params p = {.geom = RAMP_DET_BOX};
    ramp_det_eval *ev;
    ramp_err err;
    assert_int_equal(ramp_det_eval_new(&ev, img, 1, 1, &p, &err), RAMP_OK);
    double map = ramp_det_eval_map(ev, RAMP_DET_AP_ALL_POINT, NULL);
    assert_true(map == 1.0);
    ramp_det_counts pr = ramp_det_eval_counts(ev, -1, 0.5);
    assert_int_equal(pr.tp, 1);
    assert_int_equal(pr.fp, 1);
    assert_true(pr.precision == 0.5 && pr.recall == 1.0);
    pr = ramp_det_eval_counts(ev, 0, 0.85);
    assert_true(pr.tp == 1 && pr.fp == 0 && pr.precision == 1.0);
    pr = ramp_det_eval_counts(ev, 0, 0.95);
    assert_true(pr.tp == 0 && pr.fp == 0 && pr.precision == 0.0 && pr.recall == 0.0);
    ramp_det_eval_free(ev);
}

/* --- geometry -------------------------------------------------------------------- */

static void test_iou_box(void **state)
{
    (void)state;
    const double a[4] = {0, 0, 2, 1}, b[4] = {0, 0, 1, 1}, c[4] = {2, 0, 3, 1}, d[4] = {5, 5, 5, 5},
                 e[4] = {1, 0.5, 3, 1.5};
    assert_true(ramp_det_iou_box(a, b) == 0.5);
    assert_true(ramp_det_iou_box(b, a) == 0.5);
    assert_true(ramp_det_iou_box(a, a) == 1.0);
    assert_true(ramp_det_iou_box(a, c) == 0.0); /* touching edges */
    assert_true(ramp_det_iou_box(d, d) == 0.0); /* empty union */
    assert_true(ramp_det_iou_box(a, d) == 0.0);
    /* overlap 1 × 0.5 = 0.5; union 2 + 2 − 0.5 */
    assert_true(fabs(ramp_det_iou_box(a, e) - 0.5 / 3.5) < 1e-15);
}

static void test_iou_circle(void **state)
{
    (void)state;
    const double u0[3] = {0, 0, 1}, u1[3] = {1, 0, 1}, big[3] = {0.5, 0, 2}, far[3] = {2, 0, 1},
                 pt[3] = {3, 3, 0}, near[3] = {0, 1.9999999, 1};
    /* two unit circles one radius apart: lens 2π/3 − √3/2 */
    double lens = 2 * M_PI / 3 - sqrt(3) / 2;
    assert_true(fabs(ramp_det_circle_intersection(u0, u1) - lens) < 1e-14);
    assert_true(fabs(ramp_det_iou_circle(u0, u1) - lens / (2 * M_PI - lens)) < 1e-14);
    /* symmetric, identity, containment (r = 1 inside r = 2), tangency, points */
    assert_true(ramp_det_iou_circle(u1, u0) == ramp_det_iou_circle(u0, u1));
    assert_true(fabs(ramp_det_iou_circle(u0, u0) - 1.0) < 1e-15);
    assert_true(fabs(ramp_det_iou_circle(u0, big) - 0.25) < 1e-15);
    assert_true(fabs(ramp_det_iou_circle(big, u0) - 0.25) < 1e-15);
    assert_true(ramp_det_iou_circle(u0, far) == 0.0);
    assert_true(ramp_det_iou_circle(pt, pt) == 0.0);
    double v = ramp_det_iou_circle(u0, near); /* almost tangent: tiny, not NaN */
    assert_true(v >= 0 && v < 1e-9);
    /* a generic pair against the circular-segment form */
    const double p[3] = {0.3, -0.2, 1.7}, q[3] = {1.9, 0.8, 1.1};
    double dd = hypot(1.6, 1.0), h1 = (dd * dd + 1.7 * 1.7 - 1.1 * 1.1) / (2 * dd), h2 = dd - h1;
    double seg = 1.7 * 1.7 * acos(h1 / 1.7) - h1 * sqrt(1.7 * 1.7 - h1 * h1) +
                 1.1 * 1.1 * acos(h2 / 1.1) - h2 * sqrt(1.1 * 1.1 - h2 * h2);
    assert_true(fabs(ramp_det_circle_intersection(p, q) - seg) < 1e-13);
}

/* --- errors ---------------------------------------------------------------------- */

static void expect_error(const ramp_det_image *im, size_t n, int n_classes,
                         const ramp_det_params *p, ramp_status want, const char *msg_part)
{
    ramp_det_eval *ev = (ramp_det_eval *)1;
    ramp_err err = {0};
    ramp_status st = ramp_det_eval_new(&ev, im, n, n_classes, p, &err);
    if (st != want || !strstr(err.msg, msg_part)) {
        print_error("got %s '%s', want %s '...%s...'\n", ramp_err_name(st), err.msg,
                    ramp_err_name(want), msg_part);
        fail();
    }
    assert_null(ev);
}

static void test_errors(void **state)
{
    (void)state;
    ramp_det_obj ok_t = {0, 0, {0, 0, 1, 1}}, ok_p = {0, 0.5, {0, 0, 1, 1}};
    ramp_det_obj bad_cls = {3, 0.5, {0, 0, 1, 1}}, bad_box = {0, 0.5, {2, 0, 1, 1}},
                 bad_conf = {0, NAN, {0, 0, 1, 1}}, bad_coord = {0, 0.5, {0, INFINITY, 1, 1}},
                 bad_r = {0, 0.5, {0, 0, -1, 0}};
    ramp_det_image im[2] = {{&ok_t, 1, &ok_p, 1, 0, 0}, {&ok_t, 1, &bad_cls, 1, 0, 0}};
    expect_error(im, 2, 3, NULL, RAMP_ERANGE, "image 1, prediction 0: class 3 outside [0, 3)");
    im[1] = (ramp_det_image){&bad_box, 1, NULL, 0, 0, 0};
    expect_error(im, 2, 3, NULL, RAMP_EINVAL, "image 1, ground truth 0: box");
    im[1] = (ramp_det_image){NULL, 0, &bad_conf, 1, 0, 0};
    expect_error(im, 2, 3, NULL, RAMP_EINVAL, "image 1, prediction 0: confidence is not finite");
    im[1] = (ramp_det_image){NULL, 0, &bad_coord, 1, 0, 0};
    expect_error(im, 2, 3, NULL, RAMP_EINVAL, "coordinate 1 is not finite");
    ramp_det_params circ = {RAMP_DET_CIRCLE, 0.5, RAMP_DET_MATCH_VOC};
    im[1] = (ramp_det_image){NULL, 0, &bad_r, 1, 0, 0};
    expect_error(im, 2, 3, &circ, RAMP_EINVAL, "negative radius");
    im[1] = (ramp_det_image){NULL, 1, NULL, 0, 0, 0};
    expect_error(im, 2, 3, NULL, RAMP_EINVAL, "image 1: NULL object array");
    ramp_det_params thr = {RAMP_DET_BOX, 1.5, RAMP_DET_MATCH_VOC};
    expect_error(im, 1, 3, &thr, RAMP_EINVAL, "IoU threshold 1.5 outside (0, 1]");
    expect_error(im, 1, 0, NULL, RAMP_EINVAL, "0 classes");

    /* no truth anywhere: AP and mAP NaN; queries out of range give NaN or
       zero counts (they cannot fail) */
    ramp_det_image only_pred = {NULL, 0, &ok_p, 1, 0, 0};
    ramp_det_eval *ev;
    ramp_err err;
    assert_int_equal(ramp_det_eval_new(&ev, &only_pred, 1, 2, NULL, &err), RAMP_OK);
    int m = 7;
    assert_true(isnan(ramp_det_eval_ap(ev, 0, RAMP_DET_AP_ALL_POINT)));
    assert_true(isnan(ramp_det_eval_map(ev, RAMP_DET_AP_ALL_POINT, &m)) && m == 0);
    assert_true(isnan(ramp_det_eval_ap(ev, 2, RAMP_DET_AP_ALL_POINT)));
    assert_true(isnan(ramp_det_eval_ap(ev, 0, (ramp_det_ap_kind)5)));
    ramp_det_counts cnt = ramp_det_eval_counts(ev, -2, 0);
    assert_true(cnt.tp == 0 && cnt.fp == 0 && cnt.n_truth == 0 && isnan(cnt.precision));
    assert_true(isnan(ramp_det_eval_counts(ev, 0, NAN).precision));
    cnt = ramp_det_eval_counts(ev, -1, 0);
    assert_true(cnt.fp == 1 && cnt.tp == 0 && cnt.precision == 0.0 && isnan(cnt.recall));
    assert_int_equal(ramp_det_eval_ranking(ev, 5, NULL, NULL), 0);
    ramp_det_eval_free(ev);
    ramp_det_eval_free(NULL);

    /* zero images is valid (and then nothing has truth) */
    assert_int_equal(ramp_det_eval_new(&ev, NULL, 0, 1, NULL, &err), RAMP_OK);
    ramp_det_eval_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),       cmocka_unit_test(test_tie_order_matters),
        cmocka_unit_test(test_header_example), cmocka_unit_test(test_iou_box),
        cmocka_unit_test(test_iou_circle),     cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
