/* test_detscore.c — ramp_score_detection (with and without a minipatch)
 * under both semantics against tests/fixtures/detscore/expected.txt (ours:
 * an independent numpy/scipy reference; rampwf: rampwf's own score types
 * run on the same input, circles given to it as (row, col, r) = (y, x, r),
 * see tests/gen_detscore_fixtures.py), the assignment against brute force,
 * the refusals, and ramp_score_segmentation. */
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
#include "ramp/segmentation.h"
#include "score/scoreInt.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/detscore/expected.txt"
#define TOL 1e-9

typedef struct fx_case {
    char name[64];
    ramp_det_geom geom;
    int n_classes;
    double iou;
    size_t n_images;
    int has_patch;
    double patch[4];
    ramp_det_image *images;
    ramp_det_obj *objs;
    size_t n_objs, cap;
} fx_case;

static ramp_det_obj *fx_push(fx_case *c)
{
    if (c->n_objs == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->objs = realloc(c->objs, c->cap * sizeof *c->objs);
        assert_non_null(c->objs);
    }
    ramp_det_obj *o = &c->objs[c->n_objs++];
    memset(o, 0, sizeof *o);
    return o;
}

/* Reads the next case up to its first "score" line (left in `line`). */
static int fx_read(FILE *f, fx_case *c, char *line, size_t n)
{
    char geom[16];
    memset(c, 0, sizeof *c);
    if (!fgets(line, (int)n, f)) return 0;
    int got =
        sscanf(line, "case %63s %15s %d %lf %zu %lf %lf %lf %lf", c->name, geom, &c->n_classes,
               &c->iou, &c->n_images, &c->patch[0], &c->patch[1], &c->patch[2], &c->patch[3]);
    assert_true(got == 5 || got == 9);
    c->has_patch = got == 9;
    c->geom = !strcmp(geom, "box") ? RAMP_DET_BOX : RAMP_DET_CIRCLE;
    c->images = calloc(c->n_images, sizeof *c->images);
    size_t *first = calloc(c->n_images, sizeof *first);
    assert_true(c->images && first);
    for (size_t i = 0; i < c->n_images; i++) {
        int w, h;
        size_t nt, np_;
        assert_non_null(fgets(line, (int)n, f));
        assert_int_equal(sscanf(line, "image %d %d %zu %zu", &w, &h, &nt, &np_), 4);
        c->images[i].width = w;
        c->images[i].height = h;
        c->images[i].n_truth = nt;
        c->images[i].n_pred = np_;
        first[i] = c->n_objs;
        for (size_t j = 0; j < nt + np_; j++) {
            ramp_det_obj *o = fx_push(c);
            assert_non_null(fgets(line, (int)n, f));
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
    }
    /* pointers only now: the array may have moved while growing */
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
    char line[512];
    int n_cases = 0, n_checked = 0, n_compat = 0, n_patch = 0, n_patch_compat = 0;
    fx_case c;
    while (fx_read(f, &c, line, sizeof line)) {
        n_cases++;
        while (fgets(line, sizeof line, f) && strncmp(line, "end", 3)) {
            char mode[16], name[32], val[64];
            assert_int_equal(sscanf(line, "score %15s %31s %63s", mode, name, val), 3);
            double want = strtod(val, NULL);
            const ramp_score_type *t = ramp_score_type_find(name);
            assert_non_null(t);
            int compat = !strcmp(mode, "rampwf");
            double got;
            ramp_err err = {RAMP_OK, ""};
            ramp_status st =
                c.has_patch
                    ? ramp_score_detection_minipatch(&got, t->kind, c.iou, c.images, c.n_images,
                                                     c.n_classes, c.geom, compat, c.patch, &err)
                    : ramp_score_detection(&got, t->kind, c.iou, c.images, c.n_images, c.n_classes,
                                           c.geom, compat, &err);
            if (st) print_error("%s %s %s: %s\n", c.name, mode, name, err.msg);
            assert_int_equal(st, RAMP_OK);
            int ok = isnan(want) ? isnan(got) : fabs(got - want) <= TOL * fmax(1, fabs(want));
            if (!ok) {
                print_error("%s %s %s: got %.17g want %.17g\n", c.name, mode, name, got, want);
                fail();
            }
            n_checked++;
            n_compat += compat;
            n_patch += c.has_patch;
            n_patch_compat += c.has_patch && compat;
        }
        if (c.has_patch) { /* rampwf's AP has no minipatch: refused */
            double v = 0;
            ramp_err err = {RAMP_OK, ""};
            assert_int_equal(ramp_score_detection_minipatch(&v, RAMP_SCORE_MAP, c.iou, c.images,
                                                            c.n_images, c.n_classes, c.geom, 1,
                                                            c.patch, &err),
                             RAMP_EINVAL);
            assert_non_null(strstr(err.msg, "DetectionAveragePrecision has no minipatch"));
            assert_true(isnan(v));
        } else { /* a minipatch holding the whole image changes nothing */
            const double whole[4] = {-1e9, 1e9, -1e9, 1e9};
            for (int compat = 0; compat < 2; compat++)
                for (int k = 0; k < ramp_score_type_count(); k++) {
                    const ramp_score_type *t = ramp_score_type_at(k);
                    if (t->task != RAMP_TASK_DETECTION) continue;
                    if (compat && t->kind == RAMP_SCORE_MAP) continue;
                    double a, b;
                    ramp_err err;
                    ramp_status sa = ramp_score_detection(&a, t->kind, c.iou, c.images, c.n_images,
                                                          c.n_classes, c.geom, compat, &err);
                    ramp_status sb =
                        ramp_score_detection_minipatch(&b, t->kind, c.iou, c.images, c.n_images,
                                                       c.n_classes, c.geom, compat, whole, &err);
                    assert_int_equal(sa, sb);
                    if (sa) continue;
                    if (!(isnan(a) ? isnan(b) : fabs(a - b) <= 1e-12 * fmax(1, fabs(a)))) {
                        print_error("%s %d %s: whole-image minipatch %.17g, none %.17g\n", c.name,
                                    compat, t->name, b, a);
                        fail();
                    }
                }
        }
        free(c.images);
        free(c.objs);
    }
    fclose(f);
    assert_true(n_cases >= 10);
    assert_true(n_compat >= 40);
    assert_true(n_checked >= 100);
    assert_true(n_patch >= 40);
    assert_true(n_patch_compat >= 20);
}

/* The worked example of docs/scores.md: one IoU, two formulas. */
static void test_worked_circles(void **state)
{
    (void)state;
    double a[3] = {0, 0, 1}, b[3] = {1, 1, 2};
    assert_true(fabs(ramp_det_iou_circle(a, b) - 0.19434975) < 1e-8);
    assert_true(fabs(ramp__det_iou_circle_rampwf(a, b) - 0.49512159) < 1e-8);
    /* the ospa of one truth a and one prediction b is 1 − IoU */
    ramp_det_obj t = {0, 0, {0, 0, 1, 0}}, p = {0, 0.9, {1, 1, 2, 0}};
    ramp_det_image im = {&t, 1, &p, 1, 8, 8};
    double ours, theirs;
    ramp_err err;
    assert_int_equal(
        ramp_score_detection(&ours, RAMP_SCORE_OSPA, 0, &im, 1, 1, RAMP_DET_CIRCLE, 0, &err),
        RAMP_OK);
    assert_int_equal(
        ramp_score_detection(&theirs, RAMP_SCORE_OSPA, 0, &im, 1, 1, RAMP_DET_CIRCLE, 1, &err),
        RAMP_OK);
    assert_true(fabs(ours - (1 - ramp_det_iou_circle(a, b))) < 1e-12);
    assert_true(fabs(theirs - (1 - ramp__det_iou_circle_rampwf(a, b))) < 1e-12);
}

/* Minimum over all assignments by brute force (rows ≤ 6). */
static double brute(const double *cost, size_t n, size_t m, size_t i, unsigned used)
{
    if (i == n) return 0;
    double best = INFINITY;
    int any = 0;
    for (size_t j = 0; j < m; j++) {
        if (used & (1u << j)) continue;
        any = 1;
        double v = cost[i * m + j] + brute(cost, n, m, i + 1, used | (1u << j));
        if (v < best) best = v;
    }
    return any ? best : 0;
}

static void test_assignment(void **state)
{
    (void)state;
    unsigned s = 12345;
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 1 + (size_t)(trial % 5), m = 1 + (size_t)((trial / 5) % 6);
        double cost[36];
        for (size_t q = 0; q < n * m; q++) {
            s = s * 1103515245u + 12345u;
            cost[q] = (double)((s >> 8) % 1000) / 1000.0;
        }
        ptrdiff_t r2c[6];
        ramp_err err;
        assert_int_equal(ramp__assign(cost, n, m, r2c, &err), RAMP_OK);
        double tot = 0;
        unsigned used = 0;
        size_t n_assigned = 0;
        for (size_t i = 0; i < n; i++) {
            if (r2c[i] < 0) continue;
            assert_true((size_t)r2c[i] < m);
            assert_false(used & (1u << r2c[i])); /* one-to-one */
            used |= 1u << r2c[i];
            tot += cost[i * m + (size_t)r2c[i]];
            n_assigned++;
        }
        assert_int_equal(n_assigned, n < m ? n : m);
        /* brute force over the smaller side */
        double want;
        if (n <= m)
            want = brute(cost, n, m, 0, 0);
        else {
            double tr[36];
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < m; j++)
                    tr[j * n + i] = cost[i * m + j];
            want = brute(tr, m, n, 0, 0);
        }
        assert_true(fabs(tot - want) < 1e-9);
    }
}

static void expect_err(ramp_score_kind kind, double param, const ramp_det_image *im,
                       ramp_det_geom geom, ramp_status want, const char *needle)
{
    double v = 0;
    ramp_err err = {RAMP_OK, ""};
    ramp_status st = ramp_score_detection(&v, kind, param, im, 1, 1, geom, 0, &err);
    if (st != want || !strstr(err.msg, needle)) {
        print_error("got %d '%s', want %d '%s'\n", (int)st, err.msg, (int)want, needle);
        fail();
    }
    assert_true(isnan(v));
}

static void test_refusals(void **state)
{
    (void)state;
    ramp_det_obj t = {0, 0, {0, 0, 4, 4}}, p = {0, 0.9, {0, 0, 4, 4}};
    ramp_det_image im = {&t, 1, &p, 1, 0, 0};
    expect_err(RAMP_SCORE_MAD_CENTER, 0, &im, RAMP_DET_BOX, RAMP_EINVAL,
               "mad_center is defined for circles only");
    expect_err(RAMP_SCORE_MAD_RADIUS, 0, &im, RAMP_DET_BOX, RAMP_EINVAL, "circles only");
    expect_err(RAMP_SCORE_SCP, 0, &im, RAMP_DET_BOX, RAMP_EINVAL, "image 0: its size is unknown");
    expect_err(RAMP_SCORE_ACCURACY, 0, &im, RAMP_DET_BOX, RAMP_EINVAL,
               "'accuracy' is not a detection score");
    expect_err(RAMP_SCORE_MAP, 1.5, &im, RAMP_DET_BOX, RAMP_EINVAL, "outside (0, 1]");
    const double bad_patches[][4] = {
        {10, 10, 0, 5}, {0, 5, 7, 3}, {NAN, 5, 0, 5}, {0, INFINITY, 0, 5}};
    for (size_t q = 0; q < 4; q++) {
        double v = 0;
        ramp_err err = {RAMP_OK, ""};
        assert_int_equal(ramp_score_detection_minipatch(&v, RAMP_SCORE_OSPA, 0, &im, 1, 1,
                                                        RAMP_DET_BOX, 0, bad_patches[q], &err),
                         RAMP_EINVAL);
        assert_non_null(strstr(err.msg, "ospa: minipatch ["));
        assert_non_null(strstr(err.msg, "min < max"));
        assert_true(isnan(v));
    }
    ramp_det_obj bad = {0, NAN, {0, 0, 4, 4}};
    ramp_det_image imb = {&t, 1, &bad, 1, 0, 0};
    expect_err(RAMP_SCORE_OSPA, 0, &imb, RAMP_DET_BOX, RAMP_EINVAL,
               "image 0, prediction 0: confidence is not finite");
    /* a perfect box prediction: every score at its best */
    im.width = 8;
    im.height = 8;
    const ramp_score_kind best1[] = {RAMP_SCORE_MAP, RAMP_SCORE_DET_PRECISION,
                                     RAMP_SCORE_DET_RECALL};
    for (int compat = 0; compat < 2; compat++) {
        double v;
        ramp_err err;
        for (size_t q = 0; q < 3; q++) {
            assert_int_equal(
                ramp_score_detection(&v, best1[q], 0.5, &im, 1, 1, RAMP_DET_BOX, compat, &err),
                RAMP_OK);
            assert_true(v == 1.0);
        }
        assert_int_equal(
            ramp_score_detection(&v, RAMP_SCORE_OSPA, 0, &im, 1, 1, RAMP_DET_BOX, compat, &err),
            RAMP_OK);
        assert_true(v == 0.0);
        assert_int_equal(
            ramp_score_detection(&v, RAMP_SCORE_SCP, 0, &im, 1, 1, RAMP_DET_BOX, compat, &err),
            RAMP_OK);
        assert_true(v == 0.0);
    }
    /* the confidence rule: 0.5 exactly is kept by ours, not by rampwf's */
    p.conf = 0.5;
    double v;
    ramp_err err;
    assert_int_equal(
        ramp_score_detection(&v, RAMP_SCORE_DET_PRECISION, 0.5, &im, 1, 1, RAMP_DET_BOX, 0, &err),
        RAMP_OK);
    assert_true(v == 1.0);
    assert_int_equal(
        ramp_score_detection(&v, RAMP_SCORE_DET_PRECISION, 0.5, &im, 1, 1, RAMP_DET_BOX, 1, &err),
        RAMP_OK);
    assert_true(isnan(v)); /* no prediction kept: 0/0 as rampwf */
}

/* rampwf's SCP crops its map by index (map[row_min:row_max, ...]); for a
   fractional bound (which rampwf itself cannot slice with) ramp keeps the
   indices i with row_min ≤ i < row_max. By hand, compat, an 8 × 8 image:
   the truth (x 3, y 0, r 1.5) covers rows 0-1, columns 2-4 (6 pixels,
   1/6 each), the prediction (x 3, y 1, r 1.5) rows 0-2, columns 2-4 (9
   pixels, −1/9 each). Rows from 0.4 keep rows 1-7: Σ|map| = 3·(1/6 − 1/9)
   + 3/9 = 1/2, masses 3/6 + 6/9 = 7/6: scp = 3/7 (rows from 0: 1/3). The
   same objects transposed (x 0, y 3), columns from 0.4: 3/7 again. */
static void test_minipatch_scp_by_hand(void **state)
{
    (void)state;
    ramp_det_obj t = {0, 0, {3, 0, 1.5, 0}}, p = {0, 0.9, {3, 1, 1.5, 0}};
    ramp_det_image im = {&t, 1, &p, 1, 8, 8};
    const double rows_from_04[4] = {0.4, 8, 0, 8}, rows_from_0[4] = {0, 8, 0, 8};
    double v;
    ramp_err err;
    assert_int_equal(ramp_score_detection_minipatch(&v, RAMP_SCORE_SCP, 0, &im, 1, 1,
                                                    RAMP_DET_CIRCLE, 1, rows_from_04, &err),
                     RAMP_OK);
    assert_true(fabs(v - 3.0 / 7.0) < 1e-12);
    assert_int_equal(ramp_score_detection_minipatch(&v, RAMP_SCORE_SCP, 0, &im, 1, 1,
                                                    RAMP_DET_CIRCLE, 1, rows_from_0, &err),
                     RAMP_OK);
    assert_true(fabs(v - 1.0 / 3.0) < 1e-12);
    ramp_det_obj tt = {0, 0, {0, 3, 1.5, 0}}, pt = {0, 0.9, {1, 3, 1.5, 0}};
    ramp_det_image imt = {&tt, 1, &pt, 1, 8, 8};
    const double cols_from_04[4] = {0, 8, 0.4, 8};
    assert_int_equal(ramp_score_detection_minipatch(&v, RAMP_SCORE_SCP, 0, &imt, 1, 1,
                                                    RAMP_DET_CIRCLE, 1, cols_from_04, &err),
                     RAMP_OK);
    assert_true(fabs(v - 3.0 / 7.0) < 1e-12);
    /* an empty crop: no mass, NaN (rampwf's 0/0) and ours 0 */
    const double outside[4] = {8, 9, 0, 8};
    assert_int_equal(ramp_score_detection_minipatch(&v, RAMP_SCORE_SCP, 0, &im, 1, 1,
                                                    RAMP_DET_CIRCLE, 1, outside, &err),
                     RAMP_OK);
    assert_true(isnan(v));
    assert_int_equal(ramp_score_detection_minipatch(&v, RAMP_SCORE_SCP, 0, &im, 1, 1,
                                                    RAMP_DET_CIRCLE, 0, outside, &err),
                     RAMP_OK);
    assert_true(v == 0.0);
}

static void test_segmentation_scores(void **state)
{
    (void)state;
    ramp_seg_confusion *cm;
    ramp_err err;
    assert_int_equal(ramp_seg_confusion_new(&cm, 3, 255, &err), RAMP_OK);
    double v;
    assert_int_equal(ramp_score_segmentation(&v, RAMP_SCORE_PIXEL_ACCURACY, cm, &err), RAMP_OK);
    assert_true(isnan(v)); /* nothing counted */
    const uint8_t truth[] = {0, 0, 1, 1, 2, 255}, pred[] = {0, 1, 1, 1, 0, 2};
    assert_int_equal(ramp_seg_confusion_add_u8(cm, truth, pred, 6), RAMP_OK);
    ramp_seg_scores s = ramp_seg_confusion_scores(cm);
    const struct {
        ramp_score_kind k;
        double want;
    } rows[] = {{RAMP_SCORE_PIXEL_ACCURACY, s.pixel_accuracy},
                {RAMP_SCORE_MEAN_ACCURACY, s.mean_accuracy},
                {RAMP_SCORE_MEAN_IU, s.mean_iu},
                {RAMP_SCORE_FW_IU, s.fw_iu}};
    for (size_t q = 0; q < 4; q++) {
        assert_int_equal(ramp_score_segmentation(&v, rows[q].k, cm, &err), RAMP_OK);
        assert_true(v == rows[q].want);
    }
    assert_true(fabs(s.pixel_accuracy - 3.0 / 5.0) < 1e-15);
    assert_int_equal(ramp_score_segmentation(&v, RAMP_SCORE_MAP, cm, &err), RAMP_EINVAL);
    assert_non_null(strstr(err.msg, "'map' is not a segmentation score"));
    assert_true(isnan(v));
    assert_int_equal(ramp_score_segmentation(&v, RAMP_SCORE_FW_IU, NULL, &err), RAMP_EINVAL);
    ramp_seg_confusion_free(cm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_worked_circles),
        cmocka_unit_test(test_assignment),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_minipatch_scp_by_hand),
        cmocka_unit_test(test_segmentation_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
