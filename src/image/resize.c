/* resize.c — Pillow's BILINEAR resample, separable, in fixed point.
 *
 * For each output coordinate the filter is a triangle of support
 * 1 × max(1, in/out) centred on the output pixel's centre mapped back to the
 * input: shrinking averages every input pixel the widened triangle covers
 * (antialiasing), enlarging is plain bilinear interpolation. Coefficients are
 * computed in double, normalised to sum 1, then turned into 22-bit fixed
 * point exactly as Pillow's Resample.c does; the horizontal pass runs first
 * (only over the rows the vertical pass will read) and rounds to uint8, then
 * the vertical pass. Same arithmetic, same results as
 * Image.resize(size, Image.BILINEAR) for L and RGB images.
 *
 * ramp_img_resize_crop() computes only a window of the resized image, with
 * the full resize's kernels: a 224×224 crop of a 341×256 resize costs 57 %
 * of the resize, with the same samples.
 *
 * Alpha is resampled as an independent channel (Pillow premultiplies LA and
 * RGBA images first; this does not).
 *
 * Geometry: the kernels centre output pixel i on input (i + 0.5) · in/out,
 * so in corner-origin coordinates a resize is the plain scale out/in; a
 * window then translates. A JPEG's DCT-scaled decode (source.c) brings its
 * own scale first.
 */
#include <math.h>
#include <string.h>

#include "image/imageInt.h"

#define PRECISION_BITS (32 - 8 - 2)

typedef struct {
    int ksize;   /* coefficients per output sample */
    int *bounds; /* [out][2]: first input index, count */
    int32_t *k;  /* [out][ksize] fixed-point weights */
} kernel;

static double triangle(double x)
{
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Weights mapping in_size samples to out_size; scratch from the arena. */
static int make_kernel(ramp_pp *pp, kernel *kr, int in_size, int out_size)
{
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    kr->ksize = ksize;
    kr->bounds = ramp_arena_alloc(pp->arena, sizeof(int) * 2 * (size_t)out_size);
    kr->k = ramp_arena_alloc(pp->arena, sizeof(int32_t) * (size_t)ksize * (size_t)out_size);
    double *w = ramp_arena_alloc(pp->arena, sizeof(double) * (size_t)ksize);
    if (!kr->bounds || !kr->k || !w) return -1;
    for (int xx = 0; xx < out_size; xx++) {
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            w[x] = triangle((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        int32_t *k = kr->k + (size_t)xx * (size_t)ksize;
        for (int x = 0; x < ksize; x++) {
            double v = x < xmax ? (ww != 0.0 ? w[x] / ww : w[x]) : 0.0;
            k[x] = (int32_t)(v < 0 ? -0.5 + v * (1 << PRECISION_BITS)
                                   : 0.5 + v * (1 << PRECISION_BITS));
        }
        kr->bounds[2 * xx] = xmin;
        kr->bounds[2 * xx + 1] = xmax;
    }
    return 0;
}

/* Gives every output sample of kr the same tap count (the largest), for
   the horizontal pass: a loop count that varies from pixel to pixel
   (3, 4, 3, 4… when shrinking 500 → 341) costs a branch miss a pixel. A
   shorter window grows to the right over zero weights, or, at the right
   edge, moves left with its weights shifted right, so it reads only pixels
   inside the row and every sum gains only zero terms: same results. */
static void even_taps(kernel *kr, int in_size, int out_size)
{
    int nmax = 0;
    for (int xx = 0; xx < out_size; xx++)
        if (kr->bounds[2 * xx + 1] > nmax) nmax = kr->bounds[2 * xx + 1];
    for (int xx = 0; xx < out_size; xx++) {
        int *b = kr->bounds + 2 * xx, n = b[1];
        if (n == nmax) continue;
        int32_t *k = kr->k + (size_t)xx * (size_t)kr->ksize;
        int shift = b[0] + nmax > in_size ? b[0] + nmax - in_size : 0;
        if (shift) {
            memmove(k + shift, k, (size_t)n * sizeof *k);
            memset(k, 0, (size_t)shift * sizeof *k);
            b[0] -= shift;
        }
        for (int x = shift + n; x < nmax; x++)
            k[x] = 0;
        b[1] = nmax;
    }
}

static inline uint8_t clip8(int32_t v)
{
    if (v < 0) return 0;
    v >>= PRECISION_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

/* out rows [0, rows) from in rows [row0, row0 + rows); c channels. Each
   tap is read once for all channels (a pixel's samples are adjacent) into
   one scalar sum per channel; the switch below makes c a constant, so the
   `c > k` tests vanish and the sums stay in registers. */
static inline void horiz_c(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride,
                           int row0, int rows, int out_w, const kernel *kr, int c, int taps)
{
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = in + (size_t)(row0 + y) * in_stride;
        uint8_t *dst = out + (size_t)y * out_stride;
        for (int xx = 0; xx < out_w; xx++, dst += c) {
            int xmin = kr->bounds[2 * xx], n = taps ? taps : kr->bounds[2 * xx + 1];
            const int32_t *k = kr->k + (size_t)xx * (size_t)kr->ksize;
            const uint8_t *s = src + (size_t)xmin * (size_t)c;
            int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0, s3 = s0;
            for (int x = 0; x < n; x++, s += c) {
                int32_t kx = k[x];
                s0 += s[0] * kx;
                if (c > 1) s1 += s[1] * kx;
                if (c > 2) s2 += s[2] * kx;
                if (c > 3) s3 += s[3] * kx;
            }
            dst[0] = clip8(s0);
            if (c > 1) dst[1] = clip8(s1);
            if (c > 2) dst[2] = clip8(s2);
            if (c > 3) dst[3] = clip8(s3);
        }
    }
}

/* The tap count a constant too (even_taps() made it one count) for the
   common RGB and gray shrinks and enlargements (2–5 taps: factors up to 2):
   the tap loop unrolls. `taps` 0 reads each pixel's count. */
#define HORIZ_TAPS(C)                                                                              \
    switch (taps) {                                                                                \
    case 2:                                                                                        \
        horiz_c(out, out_stride, in, in_stride, row0, rows, out_w, kr, C, 2);                      \
        return;                                                                                    \
    case 3:                                                                                        \
        horiz_c(out, out_stride, in, in_stride, row0, rows, out_w, kr, C, 3);                      \
        return;                                                                                    \
    case 4:                                                                                        \
        horiz_c(out, out_stride, in, in_stride, row0, rows, out_w, kr, C, 4);                      \
        return;                                                                                    \
    case 5:                                                                                        \
        horiz_c(out, out_stride, in, in_stride, row0, rows, out_w, kr, C, 5);                      \
        return;                                                                                    \
    default:                                                                                       \
        horiz_c(out, out_stride, in, in_stride, row0, rows, out_w, kr, C, 0);                      \
        return;                                                                                    \
    }

static void horiz(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride, int row0,
                  int rows, int out_w, const kernel *kr, int c, int taps)
{
    switch (c) {
    case 1:
        HORIZ_TAPS(1)
    case 2:
        horiz_c(out, out_stride, in, in_stride, row0, rows, out_w, kr, 2, 0);
        return;
    case 3:
        HORIZ_TAPS(3)
    default:
        horiz_c(out, out_stride, in, in_stride, row0, rows, out_w, kr, 4, 0);
        return;
    }
}

/* out rows from in rows, bounds shifted by `shift`; `width` samples per row.
   Row by row into `acc` (width sums): each input row is read contiguously
   once per tap, a loop the compiler vectorises. */
static void vert(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride, int out_h,
                 size_t width, const kernel *kr, int shift, int32_t *restrict acc)
{
    for (int yy = 0; yy < out_h; yy++) {
        int ymin = kr->bounds[2 * yy] - shift, n = kr->bounds[2 * yy + 1];
        const int32_t *k = kr->k + (size_t)yy * (size_t)kr->ksize;
        uint8_t *restrict dst = out + (size_t)yy * out_stride;
        for (size_t i = 0; i < width; i++)
            acc[i] = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < n; y++) {
            const uint8_t *restrict src = in + (size_t)(ymin + y) * in_stride;
            int32_t ky = k[y];
            for (size_t i = 0; i < width; i++)
                acc[i] += src[i] * ky;
        }
        for (size_t i = 0; i < width; i++)
            dst[i] = clip8(acc[i]);
    }
}

/* The w × h window at (x0, y0) of x resized to rw × rh, computing only
   the window: the kernels are those of the full resize, entries [x0, x0+w)
   and [y0, y0+h) taken, so every output sample is the one the full resize
   gives. x is decoded (and DCT-scaled) already; the window lies inside. */
static const ramp_image *resize_window(ramp_pp *pp, const ramp_image *x, int rw, int rh, int x0,
                                       int y0, int w, int h)
{
    const uint8_t *in = ramp__img_px(pp, x);
    if (!in) return NULL;
    int c = x->channels;
    int need_h = rw != x->width, need_v = rh != x->height;
    if (!need_h && !need_v) return ramp_img_crop(pp, x, x0, y0, w, h);
    ramp_image *out = ramp__img_new(pp, w, h, c, x);
    if (!out) return NULL;
    /* the resize scales corner-origin coordinates by rw / width (the
       kernels centre output pixel i on input (i + 0.5) · width / rw), then
       the window moves the origin to (x0, y0) */
    double sx = (double)rw / x->width, sy = (double)rh / x->height;
    ramp__img_geom(out, x, (const double[6]){sx, 0, -x0, 0, sy, -y0});
    kernel kh = {0}, kv = {0};
    if ((need_h && make_kernel(pp, &kh, x->width, rw) != 0) ||
        (need_v && make_kernel(pp, &kv, x->height, rh) != 0))
        return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory for resize", x->name);
    if (need_h) even_taps(&kh, x->width, rw);
    /* the window's entries */
    if (need_h) {
        kh.bounds += 2 * (size_t)x0;
        kh.k += (size_t)x0 * (size_t)kh.ksize;
    } else {
        in += (size_t)x0 * (size_t)c; /* columns map one to one */
    }
    if (need_v) {
        kv.bounds += 2 * (size_t)y0;
        kv.k += (size_t)y0 * (size_t)kv.ksize;
    } else {
        in += (size_t)y0 * x->stride; /* rows map one to one */
    }
    size_t wc = (size_t)w * (size_t)c;
    if (need_h && !need_v) {
        horiz(out->pixels, out->stride, in, x->stride, 0, h, w, &kh, c, kh.bounds[1]);
        return out;
    }
    int32_t *acc = ramp_arena_alloc(pp->arena, sizeof(int32_t) * wc);
    if (!acc) return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory for resize", x->name);
    if (!need_h) {
        vert(out->pixels, out->stride, in, x->stride, h, wc, &kv, 0, acc);
        return out;
    }
    /* horizontal pass over just the rows the vertical pass reads */
    int first = kv.bounds[0];
    int last = kv.bounds[2 * h - 2] + kv.bounds[2 * h - 1];
    uint8_t *tmp = ramp_arena_alloc(pp->arena, wc * (size_t)(last - first));
    if (!tmp) return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory for resize", x->name);
    horiz(tmp, wc, in, x->stride, first, last - first, w, &kh, c, kh.bounds[1]);
    vert(out->pixels, out->stride, tmp, wc, h, wc, &kv, first, acc);
    return out;
}

const ramp_image *ramp_img_resize(ramp_pp *pp, const ramp_image *x, int w, int h)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (w <= 0 || h <= 0)
        return ramp__img_fail(pp, RAMP_EINVAL, "%s: resize to invalid size %d×%d", x->name, w, h);
    x = ramp_img_decode_scaled(pp, x, w, h);
    if (!x) return NULL;
    if (w == x->width && h == x->height) return x; /* images are immutable: share it */
    return resize_window(pp, x, w, h, 0, 0, w, h);
}

const ramp_image *ramp_img_resize_crop(ramp_pp *pp, const ramp_image *x, int rw, int rh, int x0,
                                       int y0, int w, int h)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (rw <= 0 || rh <= 0)
        return ramp__img_fail(pp, RAMP_EINVAL, "%s: resize to invalid size %d×%d", x->name, rw, rh);
    if (w <= 0 || h <= 0 || x0 < 0 || y0 < 0 || x0 > rw - w || y0 > rh - h)
        return ramp__img_fail(pp, RAMP_EINVAL, "%s: crop (%d, %d, %d×%d) outside the %d×%d image",
                              x->name, x0, y0, w, h, rw, rh);
    x = ramp_img_decode_scaled(pp, x, rw, rh);
    if (!x) return NULL;
    return resize_window(pp, x, rw, rh, x0, y0, w, h);
}

const ramp_image *ramp_img_resize_random_crop(ramp_pp *pp, const ramp_image *x, int rw, int rh,
                                              int w, int h)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (w <= 0 || h <= 0 || w > rw || h > rh)
        return ramp__img_fail(pp, RAMP_EINVAL, "%s: random crop %d×%d larger than the %d×%d image",
                              x->name, w, h, rw, rh);
    /* the draws of ramp_img_random_crop() on the rw × rh image */
    int x0 = (int)ramp_rng_below(&pp->rng, (uint64_t)(rw - w + 1));
    int y0 = (int)ramp_rng_below(&pp->rng, (uint64_t)(rh - h + 1));
    return ramp_img_resize_crop(pp, x, rw, rh, x0, y0, w, h);
}
