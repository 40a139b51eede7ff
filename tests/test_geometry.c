/* test_geometry.c — the affine map every image carries (ramp_img_affine),
 * ramp_pp_geometry, and the movers of targets and predictions
 * (ramp_objs_transform, ramp_mask_warp, ramp_proba_unwarp).
 *
 * The reference is the pixels themselves: a synthetic image holds one or
 * two bright blocks on black; after an operation, the intensity-weighted
 * centroid of what is bright must sit where the map sends the block's
 * centre (exactly for crops, flips and quarter turns; within a pixel for
 * resizes and rotations, which blur). Chains must equal the composition of
 * their steps. The mask warp is checked against a nearest-neighbour resize
 * computed here in integer arithmetic (floor((2i + 1) sw / 2w)), the
 * probability unwarp against the class layout of a one-hot map.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/image.h"

/* ---- helpers ------------------------------------------------------------- */

/* A w × h × c black image with value-255 blocks of bs × bs at (bx[i], by[i]). */
static const ramp_image *blocks(ramp_pp *pp, int w, int h, int c, int n, const int *bx,
                                const int *by, int bs)
{
    uint8_t *px = calloc((size_t)w * h * c, 1);
    assert_non_null(px);
    for (int k = 0; k < n; k++)
        for (int y = by[k]; y < by[k] + bs; y++)
            for (int x = bx[k]; x < bx[k] + bs; x++)
                for (int ch = 0; ch < c; ch++)
                    px[((size_t)y * w + x) * c + ch] = 255;
    const ramp_image *im = ramp_img_from_pixels(pp, px, w, h, c, (size_t)w * c);
    free(px);
    assert_non_null(im);
    return im;
}

/* Weighted centroid (pixel centres) of channel 0 inside the window
   [x0, x1) × [y0, y1) of x (clipped to it); -1 if nothing is lit. */
static int centroid_in(ramp_pp *pp, const ramp_image *x, double x0, double y0, double x1, double y1,
                       double *cx, double *cy)
{
    size_t stride;
    const uint8_t *px = ramp_img_pixels(pp, x, &stride);
    assert_non_null(px);
    int w = ramp_img_width(x), h = ramp_img_height(x), c = ramp_img_channels(x);
    double s = 0, sx = 0, sy = 0;
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w; i++) {
            if (i + 0.5 < x0 || i + 0.5 >= x1 || y + 0.5 < y0 || y + 0.5 >= y1) continue;
            double v = px[(size_t)y * stride + (size_t)i * c];
            s += v;
            sx += v * (i + 0.5);
            sy += v * (y + 0.5);
        }
    if (s == 0) return -1;
    *cx = sx / s;
    *cy = sy / s;
    return 0;
}

/* The block of source centre (sx, sy) must appear in `out` at its map's
   image of that centre, within tol (its centroid, searched in a window of
   radius `r` about the prediction so a second block does not count). */
static void expect_at(ramp_pp *pp, const ramp_image *out, double sx, double sy, double tol,
                      double r)
{
    double a[6], px, py, cx, cy;
    ramp_img_affine(out, a);
    ramp_affine_apply(a, sx, sy, &px, &py);
    assert_int_equal(centroid_in(pp, out, px - r, py - r, px + r, py + r, &cx, &cy), 0);
    if (fabs(cx - px) > tol || fabs(cy - py) > tol)
        fail_msg("block of (%g, %g): predicted at (%g, %g), found at (%g, %g)", sx, sy, px, py, cx,
                 cy);
}

static void expect_map(const ramp_image *x, const double e[6], double tol)
{
    double a[6];
    ramp_img_affine(x, a);
    for (int i = 0; i < 6; i++)
        if (fabs(a[i] - e[i]) > tol)
            fail_msg("map entry %d: %.17g, expected %.17g (map %g %g %g / %g %g %g)", i, a[i], e[i],
                     a[0], a[1], a[2], a[3], a[4], a[5]);
}

static const double ID[6] = {1, 0, 0, 0, 1, 0};

/* out = s ∘ p */
static void compose(double out[6], const double s[6], const double p[6])
{
    double r[6] = {s[0] * p[0] + s[1] * p[3],        s[0] * p[1] + s[1] * p[4],
                   s[0] * p[2] + s[1] * p[5] + s[2], s[3] * p[0] + s[4] * p[3],
                   s[3] * p[1] + s[4] * p[4],        s[3] * p[2] + s[4] * p[5] + s[5]};
    memcpy(out, r, sizeof r);
}

static ramp_pp *new_pp(void)
{
    ramp_pp *pp = NULL;
    assert_int_equal(ramp_pp_new(&pp, NULL), RAMP_OK);
    return pp;
}

/* ---- maps of each operation ---------------------------------------------- */

static void test_identity_and_colour(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const ramp_image *x = blocks(pp, 20, 10, 4, 1, (int[]){3}, (int[]){2}, 2);
    expect_map(x, ID, 0);
    double a[6] = {9, 9, 9, 9, 9, 9};
    ramp_img_affine(NULL, a);
    expect_map(NULL, ID, 0);
    /* colour operations keep the map (a resized image's, not the identity) */
    const ramp_image *r = ramp_img_resize(pp, x, 40, 30);
    double e[6] = {2, 0, 0, 0, 3, 0};
    expect_map(r, e, 1e-15);
    expect_map(ramp_img_drop_alpha(pp, r), e, 1e-15);
    expect_map(ramp_img_rgb(pp, r), e, 1e-15);
    expect_map(ramp_img_gray(pp, r), e, 1e-15);
    expect_map(ramp_img_bgr(pp, ramp_img_rgb(pp, r)), e, 1e-15);
    expect_map(ramp_img_decode(pp, r), e, 0);
    /* an opened image: identity (PNG and JPEG) */
    uint8_t px[64 * 3] = {0};
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(ramp_img_encode(&buf, &len, RAMP_FMT_PNG, px, 8, 8, 3, 24, 0, NULL), RAMP_OK);
    expect_map(ramp_img_from_memory(pp, buf, len, "a.png"), ID, 0);
    free(buf);
    assert_int_equal(ramp_img_encode(&buf, &len, RAMP_FMT_JPEG, px, 8, 8, 3, 24, 90, NULL),
                     RAMP_OK);
    expect_map(ramp_img_from_memory(pp, buf, len, "a.jpg"), ID, 0);
    free(buf);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    ramp_pp_free(pp);
}

static void test_crop_flip_turn(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    /* 1-pixel blocks: exact positions */
    const ramp_image *x = blocks(pp, 13, 7, 1, 2, (int[]){2, 10}, (int[]){1, 5}, 1);
    double s1x = 2.5, s1y = 1.5, s2x = 10.5, s2y = 5.5;

    const ramp_image *c = ramp_img_crop(pp, x, 1, 1, 11, 5);
    expect_map(c, (double[]){1, 0, -1, 0, 1, -1}, 0);
    expect_at(pp, c, s1x, s1y, 0, 1);
    expect_at(pp, c, s2x, s2y, 0, 1);

    const ramp_image *sq = ramp_img_center_square(pp, x); /* 7 × 7 at (3, 0) */
    expect_map(sq, (double[]){1, 0, -3, 0, 1, 0}, 0);

    const ramp_image *fh = ramp_img_flip_h(pp, x);
    expect_map(fh, (double[]){-1, 0, 13, 0, 1, 0}, 0);
    expect_at(pp, fh, s1x, s1y, 0, 1);
    expect_at(pp, fh, s2x, s2y, 0, 1);
    const ramp_image *fv = ramp_img_flip_v(pp, x);
    expect_map(fv, (double[]){1, 0, 0, 0, -1, 7}, 0);
    expect_at(pp, fv, s1x, s1y, 0, 1);
    expect_at(pp, fv, s2x, s2y, 0, 1);

    for (int k = -1; k <= 4; k++) {
        const ramp_image *t = ramp_img_rotate90(pp, x, k);
        assert_non_null(t);
        expect_at(pp, t, s1x, s1y, 0, 1);
        expect_at(pp, t, s2x, s2y, 0, 1);
    }
    expect_map(ramp_img_rotate90(pp, x, 1), (double[]){0, 1, 0, -1, 0, 13}, 0);
    expect_map(ramp_img_rotate90(pp, x, 3), (double[]){0, -1, 7, 1, 0, 0}, 0);
    expect_map(ramp_img_rotate90(pp, x, 4), ID, 0);
    /* the exact paths of ramp_img_rotate: 180 and 90/270 on a square */
    expect_map(ramp_img_rotate(pp, x, 180, 0), (double[]){-1, 0, 13, 0, -1, 7}, 0);
    expect_map(ramp_img_rotate(pp, x, 0, 0), ID, 0);
    expect_map(ramp_img_rotate(pp, x, -360, 0), ID, 0);
    const ramp_image *sq2 = blocks(pp, 9, 9, 3, 1, (int[]){1}, (int[]){6}, 1);
    const ramp_image *q = ramp_img_rotate(pp, sq2, 90, 0);
    expect_map(q, (double[]){0, 1, 0, -1, 0, 9}, 1e-12);
    expect_at(pp, q, 1.5, 6.5, 0, 1);
    expect_at(pp, ramp_img_rotate(pp, sq2, -90, 0), 1.5, 6.5, 0, 1);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    ramp_pp_free(pp);
}

static void test_resize(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    /* 4 × 4 blocks far apart; shrink, enlarge, anisotropic */
    const ramp_image *x = blocks(pp, 120, 80, 3, 2, (int[]){10, 90}, (int[]){8, 60}, 4);
    double c1x = 12, c1y = 10, c2x = 92, c2y = 62;
    static const int sizes[][2] = {{60, 40}, {37, 23}, {240, 160}, {200, 50}, {41, 97}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        const ramp_image *r = ramp_img_resize(pp, x, w, h);
        assert_non_null(r);
        expect_map(r, (double[]){(double)w / 120, 0, 0, 0, (double)h / 80, 0}, 1e-15);
        double rad = 4.0 * fmax(1.0, fmax(w / 120.0, h / 80.0)) + 2;
        expect_at(pp, r, c1x, c1y, 1.0, rad);
        expect_at(pp, r, c2x, c2y, 1.0, rad);
    }
    /* resize_crop = crop ∘ resize, map included */
    const ramp_image *rc = ramp_img_resize_crop(pp, x, 90, 60, 5, 7, 70, 40);
    const ramp_image *cr = ramp_img_crop(pp, ramp_img_resize(pp, x, 90, 60), 5, 7, 70, 40);
    double e[6];
    ramp_img_affine(cr, e);
    expect_map(rc, e, 1e-15);
    expect_map(rc, (double[]){0.75, 0, -5, 0, 0.75, -7}, 1e-15);
    expect_at(pp, rc, c1x, c1y, 1.0, 5);
    expect_at(pp, rc, c2x, c2y, 1.0, 5);
    /* a window of an unscaled axis: the plain crop path */
    expect_map(ramp_img_resize_crop(pp, x, 120, 80, 3, 4, 50, 50), (double[]){1, 0, -3, 0, 1, -4},
               0);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    ramp_pp_free(pp);
}

static void test_rotate_any(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const ramp_image *x = blocks(pp, 64, 40, 1, 2, (int[]){20, 44}, (int[]){10, 26}, 3);
    static const double angles[] = {30, -17.5, 90, 270, 123, 1e-3};
    for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
        const ramp_image *r = ramp_img_rotate(pp, x, angles[i], 0);
        assert_non_null(r);
        expect_at(pp, r, 21.5, 11.5, 1.0, 4);
        expect_at(pp, r, 45.5, 27.5, 1.0, 4);
        /* the map is a rotation by the angle, counter-clockwise on screen
           (y down): the source's x axis turns to (cos t, −sin t) */
        double a[6], t = angles[i] * 3.14159265358979323846 / 180;
        ramp_img_affine(r, a);
        assert_true(fabs(a[0] - cos(t)) < 1e-12 && fabs(a[3] + sin(t)) < 1e-12);
        /* the centre stays */
        double cx, cy;
        ramp_affine_apply(a, 32, 20, &cx, &cy);
        assert_true(fabs(cx - 32) < 1e-9 && fabs(cy - 20) < 1e-9);
    }
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    ramp_pp_free(pp);
}

static void test_random_ops(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const ramp_image *x = blocks(pp, 50, 40, 3, 1, (int[]){30}, (int[]){12}, 2);
    for (int s = 0; s < 8; s++) {
        ramp_pp_seed(pp, 7, 0, (uint64_t)s);
        const ramp_image *c = ramp_img_random_crop(pp, x, 40, 32);
        double a[6];
        ramp_img_affine(c, a);
        /* a translation by the drawn offset, within range */
        assert_true(a[0] == 1 && a[4] == 1 && a[1] == 0 && a[3] == 0);
        assert_true(a[2] <= 0 && a[2] >= -10 && a[5] <= 0 && a[5] >= -8);
        expect_at(pp, c, 31, 13, 0, 2);

        ramp_pp_seed(pp, 7, 1, (uint64_t)s);
        const ramp_image *rc = ramp_img_resize_random_crop(pp, x, 100, 80, 64, 48);
        ramp_pp_seed(pp, 7, 1, (uint64_t)s);
        const ramp_image *rc2 = ramp_img_random_crop(pp, ramp_img_resize(pp, x, 100, 80), 64, 48);
        ramp_img_affine(rc2, a);
        expect_map(rc, a, 1e-15);

        ramp_pp_seed(pp, 7, 2, (uint64_t)s);
        const ramp_image *f = ramp_img_random_flip_h(pp, x, 0.5);
        ramp_img_affine(f, a);
        assert_true(a[0] == 1 || a[0] == -1);
        expect_at(pp, f, 31, 13, 0, 2);
        f = ramp_img_random_flip_v(pp, x, 0.5);
        ramp_img_affine(f, a);
        assert_true(a[4] == 1 || a[4] == -1);
        expect_at(pp, f, 31, 13, 0, 2);

        ramp_pp_seed(pp, 7, 3, (uint64_t)s);
        const ramp_image *r = ramp_img_random_rotate(pp, x, 25, 0);
        ramp_pp_seed(pp, 7, 3, (uint64_t)s);
        double u = ramp_rng_uniform(ramp_pp_rng(pp));
        const ramp_image *r2 = ramp_img_rotate(pp, x, (2 * u - 1) * 25, 0);
        ramp_img_affine(r2, a);
        expect_map(r, a, 0);
        expect_at(pp, r, 31, 13, 1.0, 4);
    }
    expect_map(ramp_img_random_flip_h(pp, x, 1.0), (double[]){-1, 0, 50, 0, 1, 0}, 0);
    expect_map(ramp_img_random_flip_h(pp, x, 0.0), ID, 0);
    expect_map(ramp_img_random_flip_v(pp, x, 1.0), (double[]){1, 0, 0, 0, -1, 40}, 0);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    ramp_pp_free(pp);
}

/* resize → random crop → flip → rotate: each map is its step after the
   previous map, and the blocks land where the final map says */
static void test_chain(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const ramp_image *x = blocks(pp, 160, 120, 3, 2, (int[]){40, 110}, (int[]){30, 80}, 6);
    ramp_pp_seed(pp, 3, 0, 0);
    const ramp_image *r = ramp_img_resize(pp, x, 80, 60);
    const ramp_image *c = ramp_img_random_crop(pp, r, 64, 48);
    const ramp_image *f = ramp_img_flip_h(pp, c);
    const ramp_image *t = ramp_img_rotate(pp, f, 20, 0);
    const ramp_image *g = ramp_img_gray(pp, t);
    assert_non_null(g);
    double ar[6], ac[6], af[6], at[6], e[6], cstep[6], tstep[6], tmp[6];
    ramp_img_affine(r, ar);
    ramp_img_affine(c, ac);
    ramp_img_affine(f, af);
    ramp_img_affine(t, at);
    /* crop step = ac ∘ ar⁻¹: a pure translation */
    double inv[6];
    assert_int_equal(ramp_affine_invert(inv, ar), 0);
    compose(cstep, ac, inv);
    assert_true(fabs(cstep[0] - 1) < 1e-12 && fabs(cstep[4] - 1) < 1e-12);
    assert_true(fabs(cstep[1]) < 1e-12 && fabs(cstep[3]) < 1e-12);
    compose(e, (double[]){-1, 0, 64, 0, 1, 0}, ac);
    expect_map(f, e, 1e-12);
    /* the rotation step of f alone, then applied to f's map */
    const ramp_image *t0 = ramp_img_rotate(pp, blocks(pp, 64, 48, 1, 0, NULL, NULL, 0), 20, 0);
    ramp_img_affine(t0, tstep);
    compose(tmp, tstep, af);
    expect_map(t, tmp, 1e-12);
    expect_map(g, at, 0);
    expect_at(pp, g, 43, 33, 1.0, 5);
    expect_at(pp, g, 113, 83, 1.0, 5);
    /* the targets of the blocks follow them: each box, moved, holds its
       block's centroid; the mask, warped, labels the centroid's pixel */
    ramp_obj box[2] = {{1, 0, {40, 30, 46, 36}}, {2, 0, {110, 80, 116, 86}}};
    assert_int_equal(ramp_objs_transform(box, box, 2, at, 64, 48, 0, 0.5), 2);
    uint8_t *m = calloc(160 * 120, 1);
    assert_non_null(m);
    for (int j = 30; j < 36; j++)
        for (int i = 40; i < 46; i++)
            m[j * 160 + i] = 1;
    for (int j = 80; j < 86; j++)
        for (int i = 110; i < 116; i++)
            m[j * 160 + i] = 2;
    int32_t *wm = malloc(sizeof(int32_t) * 64 * 48);
    assert_non_null(wm);
    assert_int_equal(ramp_mask_warp(wm, 64, 48, m, 160, 160, 120, at), RAMP_OK);
    for (int k = 0; k < 2; k++) {
        double px, py, cx, cy;
        ramp_affine_apply(at, k ? 113 : 43, k ? 83 : 33, &px, &py);
        assert_int_equal(centroid_in(pp, g, px - 5, py - 5, px + 5, py + 5, &cx, &cy), 0);
        assert_true(box[k].g[0] < cx && cx < box[k].g[2] && box[k].g[1] < cy && cy < box[k].g[3]);
        assert_int_equal(wm[(int)cy * 64 + (int)cx], k + 1);
    }
    /* pixels the rotation brought from outside the source: no label */
    assert_int_equal(wm[0], RAMP_IGNORE_LABEL);
    free(wm);
    free(m);
    /* the tensor records the last map and size; reset forgets it */
    double a[6] = {0};
    int w = 0, h = 0;
    assert_int_equal(ramp_pp_geometry(pp, a, &w, &h), -1);
    ramp_tensor tt = {0};
    assert_int_equal(ramp_img_to_tensor(pp, g, &tt, RAMP_CHW, NULL, NULL), RAMP_OK);
    assert_int_equal(ramp_pp_geometry(pp, a, &w, &h), 0);
    assert_int_equal(w, 64);
    assert_int_equal(h, 48);
    for (int i = 0; i < 6; i++)
        assert_true(a[i] == at[i]);
    assert_int_equal(ramp_pp_geometry(pp, NULL, NULL, NULL), 0);
    ramp_pp_reset(pp);
    assert_int_equal(ramp_pp_geometry(pp, a, &w, &h), -1);
    assert_int_equal(w, 64); /* left alone */
    ramp_pp_free(pp);
}

/* JPEG: the DCT-scaled path's map against the plain path's */
static void test_jpeg_scaled(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    /* 64 × 48 with a block: d = 4 exactly, so both paths have one map */
    int W = 64, H = 48;
    uint8_t *px = calloc((size_t)W * H, 1);
    assert_non_null(px);
    for (int y = 20; y < 28; y++)
        for (int x = 40; x < 48; x++)
            px[y * W + x] = 255;
    uint8_t *jpg = NULL;
    size_t len = 0;
    assert_int_equal(ramp_img_encode(&jpg, &len, RAMP_FMT_JPEG, px, W, H, 1, (size_t)W, 95, NULL),
                     RAMP_OK);
    const ramp_image *j = ramp_img_from_memory(pp, jpg, len, "b.jpg");
    const ramp_image *rs = ramp_img_resize(pp, j, 16, 12); /* DCT 1/4, no resample */
    size_t st;
    const ramp_image *full = ramp_img_decode(pp, ramp_img_from_memory(pp, jpg, len, "b.jpg"));
    const uint8_t *fp = ramp_img_pixels(pp, full, &st);
    assert_non_null(fp);
    const ramp_image *plain =
        ramp_img_resize(pp, ramp_img_from_pixels(pp, fp, W, H, 1, st), 16, 12);
    double e[6];
    ramp_img_affine(plain, e);
    expect_map(rs, e, 1e-15);
    expect_map(rs, (double[]){0.25, 0, 0, 0, 0.25, 0}, 0);
    expect_at(pp, rs, 44, 24, 0.5, 3);
    /* further resized: DCT 1/2 then the filter; the same map again */
    const ramp_image *r2 = ramp_img_resize(pp, j, 24, 20);
    ramp_img_affine(ramp_img_resize(pp, ramp_img_from_pixels(pp, fp, W, H, 1, st), 24, 20), e);
    expect_map(r2, e, 1e-15);
    /* ramp_img_decode_scaled, directly */
    expect_map(ramp_img_decode_scaled(pp, j, 8, 6), (double[]){0.125, 0, 0, 0, 0.125, 0}, 0);
    expect_map(ramp_img_decode_scaled(pp, j, 64, 48), ID, 0);
    free(jpg);
    free(px);

    /* 5 × 5 asked at 2 × 2: TurboJPEG takes 3/8 (the largest factor that
       fits), not 1/4: a bright pixel at (3, 3) lands in output pixel
       (1, 1) ([8/3, 16/3) at 3/8), where 1/4 would put it in (0, 0) */
    uint8_t tiny[25] = {0};
    tiny[3 * 5 + 3] = 255;
    assert_int_equal(ramp_img_encode(&jpg, &len, RAMP_FMT_JPEG, tiny, 5, 5, 1, 5, 100, NULL),
                     RAMP_OK);
    const ramp_image *t =
        ramp_img_decode_scaled(pp, ramp_img_from_memory(pp, jpg, len, "t.jpg"), 2, 2);
    assert_int_equal(ramp_img_width(t), 2);
    expect_map(t, (double[]){0.375, 0, 0, 0, 0.375, 0}, 0);
    const uint8_t *tp = ramp_img_pixels(pp, t, &st);
    assert_non_null(tp);
    assert_true(tp[st + 1] > tp[0] && tp[st + 1] > tp[1] && tp[st + 1] > tp[st]);
    free(jpg);

    /* 1001 × 9: not a multiple of 8. The decoder's 1/8 output pixel i
       covers source [8i, 8i + 8): a block over [800, 808) lights output
       pixel 100 alone, where w'/W = 126/1001 would put it at 101.2. */
    W = 1001;
    H = 9;
    px = calloc((size_t)W * H, 1);
    assert_non_null(px);
    for (int y = 0; y < 8; y++) /* output row 0 only */
        for (int x = 800; x < 808; x++)
            px[y * W + x] = 255;
    assert_int_equal(ramp_img_encode(&jpg, &len, RAMP_FMT_JPEG, px, W, H, 1, (size_t)W, 95, NULL),
                     RAMP_OK);
    j = ramp_img_from_memory(pp, jpg, len, "c.jpg");
    rs = ramp_img_resize(pp, j, 126, 2);
    assert_int_equal(ramp_img_width(rs), 126);
    expect_map(rs, (double[]){0.125, 0, 0, 0, 0.125, 0}, 0);
    expect_at(pp, rs, 804, 4, 0.25, 3);
    /* the plain path's map differs by less than an output pixel anywhere */
    full = ramp_img_decode(pp, ramp_img_from_memory(pp, jpg, len, "c.jpg"));
    fp = ramp_img_pixels(pp, full, &st);
    plain = ramp_img_resize(pp, ramp_img_from_pixels(pp, fp, W, H, 1, st), 126, 2);
    double a1[6], a2[6];
    ramp_img_affine(rs, a1);
    ramp_img_affine(plain, a2);
    for (int k = 0; k < 4; k++) {
        double sx = (k & 1) ? W : 0, sy = (k & 2) ? H : 0, u1, v1, u2, v2;
        ramp_affine_apply(a1, sx, sy, &u1, &v1);
        ramp_affine_apply(a2, sx, sy, &u2, &v2);
        assert_true(fabs(u1 - u2) < 1 && fabs(v1 - v2) < 1);
    }
    free(jpg);
    free(px);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    ramp_pp_free(pp);
}

/* ---- affine helpers --------------------------------------------------------- */

static void test_affine(void **state)
{
    (void)state;
    double a[6] = {0.6, -0.8, 5, 0.8, 0.6, -3}, inv[6], id[6];
    assert_int_equal(ramp_affine_invert(inv, a), 0);
    compose(id, inv, a);
    for (int i = 0; i < 6; i++)
        assert_true(fabs(id[i] - ID[i]) < 1e-12);
    double x, y, u, v;
    ramp_affine_apply(a, 2, 7, &x, &y);
    assert_true(fabs(x - (1.2 - 5.6 + 5)) < 1e-12 && fabs(y - (1.6 + 4.2 - 3)) < 1e-12);
    ramp_affine_apply(inv, x, y, &u, &v);
    assert_true(fabs(u - 2) < 1e-12 && fabs(v - 7) < 1e-12);
    double keep[6] = {4, 4, 4, 4, 4, 4};
    assert_int_equal(ramp_affine_invert(keep, (double[]){1, 2, 0, 2, 4, 0}), -1);
    assert_int_equal(ramp_affine_invert(keep, (double[]){NAN, 0, 0, 0, 1, 0}), -1);
    for (int i = 0; i < 6; i++)
        assert_true(keep[i] == 4);
}

/* ---- objects ------------------------------------------------------------- */

static void test_objs(void **state)
{
    (void)state;
    ramp_obj src[4] = {
        {1, 0.5f, {10, 20, 30, 40}},     /* inside */
        {2, 0.25f, {90, 10, 130, 20}},   /* 1/4 inside a 100-wide image after scale 1 */
        {3, 1.0f, {200, 200, 210, 210}}, /* outside */
        {4, 0.0f, {0, 0, 100, 50}},      /* exactly the image */
    };
    ramp_obj dst[4];
    /* identity: clipping and the visibility rule */
    size_t n = ramp_objs_transform(dst, src, 4, ID, 100, 50, 0, 0.0);
    assert_int_equal(n, 3);
    assert_int_equal(dst[0].cls, 1);
    assert_true(dst[0].conf == 0.5f);
    assert_true(dst[0].g[0] == 10 && dst[0].g[1] == 20 && dst[0].g[2] == 30 && dst[0].g[3] == 40);
    assert_int_equal(dst[1].cls, 2);
    assert_true(dst[1].g[0] == 90 && dst[1].g[2] == 100 && dst[1].g[3] == 20);
    assert_int_equal(dst[2].cls, 4);
    n = ramp_objs_transform(dst, src, 4, ID, 100, 50, 0, 0.3); /* 1/4 < 0.3: dropped */
    assert_int_equal(n, 2);
    assert_int_equal(dst[1].cls, 4);
    n = ramp_objs_transform(dst, src, 4, ID, 100, 50, 0, 0.25); /* = 0.25: kept */
    assert_int_equal(n, 3);
    /* scale 2 and a flip: corners swap, the bounding box is re-ordered */
    double a[6] = {-2, 0, 200, 0, 2, 0};
    n = ramp_objs_transform(dst, src, 1, a, 200, 100, 0, 0.0);
    assert_int_equal(n, 1);
    assert_true(dst[0].g[0] == 140 && dst[0].g[1] == 40 && dst[0].g[2] == 180 && dst[0].g[3] == 80);
    /* a quarter turn (rotate90 by 1 of a 100 × 50 image: (y, 100 − x)) */
    n = ramp_objs_transform(dst, src, 1, (double[]){0, 1, 0, -1, 0, 100}, 50, 100, 0, 0.0);
    assert_int_equal(n, 1);
    assert_true(dst[0].g[0] == 20 && dst[0].g[1] == 70 && dst[0].g[2] == 40 && dst[0].g[3] == 90);
    /* a 45° rotation: the bounding box of the turned square */
    double c = sqrt(0.5);
    ramp_obj sq = {0, 0, {-1, -1, 1, 1}};
    n = ramp_objs_transform(dst, &sq, 1, (double[]){c, -c, 10, c, c, 10}, 20, 20, 0, 0.0);
    assert_int_equal(n, 1);
    assert_true(fabs(dst[0].g[0] - (10 - sqrt(2))) < 1e-5 &&
                fabs(dst[0].g[2] - (10 + sqrt(2))) < 1e-5);
    /* in place, and back through the inverse (round trip) */
    ramp_obj io[4];
    memcpy(io, src, sizeof io);
    double s[6] = {0.5, 0, 3, 0, 0.25, 1}, inv[6];
    n = ramp_objs_transform(io, io, 4, s, 1000, 1000, 0, 0.0);
    assert_int_equal(n, 4);
    assert_int_equal(ramp_affine_invert(inv, s), 0);
    n = ramp_objs_transform(io, io, n, inv, 1000, 1000, 0, 0.0);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(io[i].cls, src[i].cls);
        for (int k = 0; k < 4; k++)
            assert_true(fabs(io[i].g[k] - src[i].g[k]) < 1e-4);
    }
    /* a degenerate (zero-area) box is never kept; non-finite dropped */
    ramp_obj bad[2] = {{0, 0, {5, 5, 5, 9}}, {0, 0, {NAN, 1, 2, 3}}};
    assert_int_equal(ramp_objs_transform(dst, bad, 2, ID, 10, 10, 0, 0.0), 0);
    /* an unknown geometry writes nothing */
    assert_int_equal(ramp_objs_transform(dst, src, 4, ID, 100, 50, 2, 0.0), 0);
}

static void test_circles(void **state)
{
    (void)state;
    ramp_obj src[3] = {
        {0, 0.9f, {10, 10, 4, 0}},
        {1, 0.8f, {99.5f, 49.5f, 2, 0}},
        {2, 0.7f, {100, 20, 3, 0}}, /* centre on the right edge: outside [0, 100) */
    };
    ramp_obj dst[3];
    size_t n = ramp_objs_transform(dst, src, 3, ID, 100, 50, 1, 0.0);
    assert_int_equal(n, 2);
    assert_int_equal(dst[1].cls, 1);
    assert_true(dst[1].conf == 0.8f);
    /* uniform scale 2: radius doubles */
    n = ramp_objs_transform(dst, src, 1, (double[]){2, 0, 1, 0, 2, 3}, 100, 100, 1, 0.0);
    assert_int_equal(n, 1);
    assert_true(dst[0].g[0] == 21 && dst[0].g[1] == 23 && dst[0].g[2] == 8 && dst[0].g[3] == 0);
    /* anisotropic 4 × 1: sqrt(|det|) = 2; a flip keeps the radius */
    n = ramp_objs_transform(dst, src, 1, (double[]){4, 0, 0, 0, 1, 0}, 100, 100, 1, 0.0);
    assert_true(n == 1 && dst[0].g[2] == 8);
    n = ramp_objs_transform(dst, src, 1, (double[]){-1, 0, 100, 0, 1, 0}, 100, 100, 1, 0.0);
    assert_true(n == 1 && dst[0].g[0] == 90 && dst[0].g[2] == 4);
    /* centres moved out by a crop are dropped; in place works */
    ramp_obj io[3];
    memcpy(io, src, sizeof io);
    n = ramp_objs_transform(io, io, 3, (double[]){1, 0, -20, 0, 1, 0}, 100, 50, 1, 0.0);
    assert_int_equal(n, 2);
    assert_int_equal(io[0].cls, 1);
    assert_true(io[0].g[0] == 79.5f);
    assert_int_equal(io[1].cls, 2);
    /* min_visible < 0 keeps everything as moved (rampwf's ObjectDetector):
       the centre on the edge, a centre past it, a box half outside, all
       unclipped; only a non-finite one goes */
    ramp_obj keep[4] = {src[2], {0, 0.5f, {-3, 7, 5, 0}}, {0, 0.4f, {NAN, 1, 1, 0}}};
    n = ramp_objs_transform(dst, keep, 3, ID, 100, 50, 1, -1.0);
    assert_int_equal(n, 2);
    assert_true(dst[0].g[0] == 100 && dst[1].g[0] == -3 && dst[1].g[2] == 5);
    ramp_obj half = {0, 0.5f, {90, -10, 120, 20}};
    assert_int_equal(ramp_objs_transform(dst, &half, 1, ID, 100, 50, 0, -1.0), 1);
    assert_true(dst[0].g[1] == -10 && dst[0].g[2] == 120);
    assert_int_equal(ramp_objs_transform(dst, &half, 1, ID, 100, 50, 0, 0.0), 1);
    assert_true(dst[0].g[1] == 0 && dst[0].g[2] == 100); /* clipped */
}

/* ---- masks ---------------------------------------------------------------- */

/* nearest-neighbour resize by hand: source index floor((2i + 1) sw / 2w) */
static void test_mask_warp(void **state)
{
    (void)state;
    enum { SW = 7, SH = 5, STRIDE = 9 };
    uint8_t src[SH * STRIDE];
    memset(src, 0xEE, sizeof src);
    for (int j = 0; j < SH; j++)
        for (int i = 0; i < SW; i++)
            src[j * STRIDE + i] = (uint8_t)(i + 10 * j);
    static const int sizes[][2] = {{7, 5}, {14, 10}, {3, 2}, {16, 9}, {5, 11}, {1, 1}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        int32_t dst[16 * 11];
        double a[6] = {(double)w / SW, 0, 0, 0, (double)h / SH, 0};
        assert_int_equal(ramp_mask_warp(dst, w, h, src, STRIDE, SW, SH, a), RAMP_OK);
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++) {
                int si = (2 * i + 1) * SW / (2 * w), sj = (2 * j + 1) * SH / (2 * h);
                if (dst[j * w + i] != src[sj * STRIDE + si])
                    fail_msg("%dx%d: dst(%d, %d) = %d, expected %d", w, h, i, j, dst[j * w + i],
                             src[sj * STRIDE + si]);
            }
    }
    /* a crop sticking out, flipped: outside is RAMP_IGNORE_LABEL */
    int32_t dst[10 * 5];
    double a[6] = {-1, 0, 10, 0, 1, 0}; /* flip_h (7 − x), then a crop at (−3, 0): 10 − x */
    assert_int_equal(ramp_mask_warp(dst, 10, 5, src, STRIDE, SW, SH, a), RAMP_OK);
    for (int j = 0; j < 5; j++)
        for (int i = 0; i < 10; i++) {
            int si = 9 - i; /* source pixel of dst centre i + 0.5: 10 − (i + 0.5) */
            int e = si < SW ? src[j * STRIDE + si] : RAMP_IGNORE_LABEL;
            assert_int_equal(dst[j * 10 + i], e);
        }
    /* through an image's own map: rotate90 */
    ramp_pp *pp = new_pp();
    const ramp_image *im = ramp_img_from_pixels(pp, src, SW, SH, 1, STRIDE);
    const ramp_image *t = ramp_img_rotate90(pp, im, 1);
    double m[6];
    ramp_img_affine(t, m);
    int32_t rot[SH * SW];
    assert_int_equal(ramp_mask_warp(rot, SH, SW, src, STRIDE, SW, SH, m), RAMP_OK);
    size_t st;
    const uint8_t *tp = ramp_img_pixels(pp, t, &st);
    for (int j = 0; j < SW; j++)
        for (int i = 0; i < SH; i++)
            assert_int_equal(rot[j * SH + i], tp[j * st + i]);
    ramp_pp_free(pp);
    /* refusals */
    assert_int_equal(ramp_mask_warp(dst, 2, 2, src, STRIDE, SW, SH, (double[]){1, 1, 0, 1, 1, 0}),
                     RAMP_EINVAL);
    assert_int_equal(ramp_mask_warp(dst, 2, 2, src, SW - 1, SW, SH, ID), RAMP_EINVAL);
    assert_int_equal(ramp_mask_warp(dst, 0, 2, src, STRIDE, SW, SH, ID), RAMP_EINVAL);
    assert_int_equal(ramp_mask_warp(dst, 2, 2, src, STRIDE, SW, 0, ID), RAMP_EINVAL);
    assert_int_equal(ramp_mask_warp(NULL, 2, 2, src, STRIDE, SW, SH, ID), RAMP_EINVAL);
    assert_int_equal(ramp_mask_warp(dst, 2, 2, NULL, STRIDE, SW, SH, ID), RAMP_EINVAL);
    assert_int_equal(ramp_mask_warp(dst, 2, 2, src, STRIDE, SW, SH, NULL), RAMP_EINVAL);
}

/* ---- probabilities back to the original ------------------------------------ */

static void one_hot(float *p, const int *lab, int k, int h, int w)
{
    memset(p, 0, sizeof(float) * (size_t)k * h * w);
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            p[(size_t)lab[j * w + i] * h * w + (size_t)j * w + i] = 1.0f;
}

static void test_proba_unwarp(void **state)
{
    (void)state;
    enum { K = 3, H = 6, W = 8 };
    int lab[H * W];
    for (int j = 0; j < H; j++)
        for (int i = 0; i < W; i++)
            lab[j * W + i] = (i / 3 + j / 2) % K;
    float p[K * H * W];
    one_hot(p, lab, K, H, W);
    uint8_t out[16 * 12];
    /* identity: the argmax itself */
    assert_int_equal(ramp_proba_unwarp(out, W, H, p, K, H, W, ID), RAMP_OK);
    for (int i = 0; i < W * H; i++)
        assert_int_equal(out[i], lab[i]);
    /* the original is twice the tensor (a = scale 1/2): each original pixel
       takes the class of the tensor pixel it falls in */
    assert_int_equal(ramp_proba_unwarp(out, 16, 12, p, K, H, W, (double[]){0.5, 0, 0, 0, 0.5, 0}),
                     RAMP_OK);
    for (int j = 0; j < 12; j++)
        for (int i = 0; i < 16; i++)
            assert_int_equal(out[j * 16 + i], lab[(j / 2) * W + i / 2]);
    /* flipped tensor: the layout comes back unflipped */
    assert_int_equal(ramp_proba_unwarp(out, W, H, p, K, H, W, (double[]){-1, 0, W, 0, 1, 0}),
                     RAMP_OK);
    for (int j = 0; j < H; j++)
        for (int i = 0; i < W; i++)
            assert_int_equal(out[j * W + i], lab[j * W + (W - 1 - i)]);
    /* points outside the tensor take the edge (clamped) */
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, p, K, H, W, (double[]){1, 0, -50, 0, 1, 100}),
                     RAMP_OK);
    assert_int_equal(out[0], lab[(H - 1) * W + 0]);
    /* ties go to the lowest class; a higher class wins only when larger */
    float tie[3 * 1 * 1] = {0.2f, 0.5f, 0.5f};
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, tie, 3, 1, 1, ID), RAMP_OK);
    assert_int_equal(out[0], 1);
    /* bilinear: halfway between a class-0 and a class-1 pixel centre with
       weights 0.75 / 0.25 → class 0; 0.25 / 0.75 → class 1 */
    float two[2 * 1 * 2] = {1, 0, 0, 1}; /* class 0 at x=0, class 1 at x=1 */
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, two, 2, 1, 2, (double[]){1, 0, 0.25, 0, 1, 0}),
                     RAMP_OK); /* x' = 0.75: u = 0.25 */
    assert_int_equal(out[0], 0);
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, two, 2, 1, 2, (double[]){1, 0, 0.75, 0, 1, 0}),
                     RAMP_OK); /* u = 0.75 */
    assert_int_equal(out[0], 1);
    /* round trip: a mask warped into a 2× tensor, made one-hot, unwarped */
    enum { SW = 5, SH = 4 };
    uint8_t m[SW * SH];
    for (int i = 0; i < SW * SH; i++)
        m[i] = (uint8_t)((i * 7) % K);
    double a[6] = {-2, 0, 2 * SW, 0, 2, 0}; /* scale 2 and flip */
    int32_t t[2 * SH * 2 * SW];
    assert_int_equal(ramp_mask_warp(t, 2 * SW, 2 * SH, m, SW, SW, SH, a), RAMP_OK);
    int tl[2 * SH * 2 * SW];
    for (int i = 0; i < 4 * SW * SH; i++)
        tl[i] = t[i];
    float q[K * 4 * SW * SH];
    one_hot(q, tl, K, 2 * SH, 2 * SW);
    uint8_t back[SW * SH];
    assert_int_equal(ramp_proba_unwarp(back, SW, SH, q, K, 2 * SH, 2 * SW, a), RAMP_OK);
    assert_memory_equal(back, m, sizeof m);
    /* refusals */
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, p, 256, H, W, ID), RAMP_EINVAL);
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, p, 0, H, W, ID), RAMP_EINVAL);
    assert_int_equal(ramp_proba_unwarp(out, 0, 1, p, K, H, W, ID), RAMP_EINVAL);
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, p, K, 0, W, ID), RAMP_EINVAL);
    assert_int_equal(ramp_proba_unwarp(NULL, 1, 1, p, K, H, W, ID), RAMP_EINVAL);
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, NULL, K, H, W, ID), RAMP_EINVAL);
    assert_int_equal(ramp_proba_unwarp(out, 1, 1, p, K, H, W, (double[]){INFINITY, 0, 0, 0, 1, 0}),
                     RAMP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_colour),
        cmocka_unit_test(test_crop_flip_turn),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_rotate_any),
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_jpeg_scaled),
        cmocka_unit_test(test_affine),
        cmocka_unit_test(test_objs),
        cmocka_unit_test(test_circles),
        cmocka_unit_test(test_mask_warp),
        cmocka_unit_test(test_proba_unwarp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
