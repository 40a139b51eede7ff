/* geometry.c — crops, flips, quarter turns and rotation by any angle.
 *
 * A crop is a view: a new header pointing into its parent's pixels with the
 * parent's stride (images are immutable and share one arena lifetime, so no
 * copy is needed). A crop of a 16-bit image is a view of both its 16-bit
 * samples and its 8-bit pixels, so it stays 16-bit. Flips and turns copy
 * (8-bit).
 *
 * ramp_img_rotate() follows Pillow's Image.rotate(angle, BILINEAR,
 * fillcolor=fill): same-size output, inverse affine map about (w/2, h/2)
 * with the matrix rounded to 15 decimals as Pillow does, sampled at pixel
 * centres; a sample whose source point lies outside [0, w) × [0, h) takes
 * the fill value, otherwise bilinear interpolation between the four nearest
 * pixels (edges clamped) truncated to uint8, as Pillow's Geometry.c does.
 * Angles of 0 and 180, and 90/270 on square images, take the exact path.
 *
 * A left-right flip of RGB rows moves five pixels a step with SSSE3's
 * pshufb where the CPU has it (the same bytes; ramp_pp.simd = 1 keeps the
 * plain loop, for tests).
 *
 * Each operation composes its step onto its input's affine map
 * (ramp__img_geom): a crop translates, a flip mirrors about the edge, a
 * quarter turn is the continuous form of its index loop, and a rotation's
 * map is the inverse of the matrix it samples with, so the map is exactly
 * what the pixels did.
 */
#include <math.h>
#include <string.h>

#include "image/imageInt.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_SIMD 1
#else
#define HAVE_SIMD 0
#endif

const ramp_image *ramp_img_crop(ramp_pp *pp, const ramp_image *x, int x0, int y0, int w, int h)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (w <= 0 || h <= 0 || x0 < 0 || y0 < 0 || x0 > x->width - w || y0 > x->height - h)
        return ramp__img_fail(pp, RAMP_EINVAL, "%s: crop (%d, %d, %d×%d) outside the %d×%d image",
                              x->name, x0, y0, w, h, x->width, x->height);
    const uint8_t *px = ramp__img_px(pp, x);
    if (!px) return NULL;
    if (w == x->width && h == x->height) return x;
    ramp_image *v = ramp_arena_alloc(pp->arena, sizeof *v);
    if (!v) return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory", x->name);
    memset(v, 0, sizeof *v);
    v->width = w;
    v->height = h;
    v->channels = x->channels;
    v->format = RAMP_FMT_PIXELS;
    v->name = x->name;
    v->bits = 8;
    v->stride = x->stride;
    v->pixels = (uint8_t *)px + (size_t)y0 * x->stride + (size_t)x0 * (size_t)x->channels;
    ramp__img_geom(v, x, (const double[6]){1, 0, -x0, 0, 1, -y0});
    if (x->bits == 16 && x->samples16) {
        v->bits = 16;
        v->stride16 = x->stride16;
        v->samples16 = (uint16_t *)(void *)((uint8_t *)x->samples16 + (size_t)y0 * x->stride16) +
                       (size_t)x0 * (size_t)x->channels;
    }
    return v;
}

const ramp_image *ramp_img_center_square(ramp_pp *pp, const ramp_image *x)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    int s = x->width < x->height ? x->width : x->height;
    return ramp_img_crop(pp, x, (x->width - s) / 2, (x->height - s) / 2, s, s);
}

/* one row of w pixels of c bytes, left ↔ right */
static inline void flip_row(uint8_t *d, const uint8_t *s, int w, int c)
{
    for (int i = 0; i < w; i++)
        for (int k = 0; k < c; k++)
            d[(size_t)i * c + k] = s[(size_t)(w - 1 - i) * c + k];
}

#if HAVE_SIMD
/* flip_row() for c = 3, five pixels (15 bytes) at a time: a 16-byte load
   one byte before the source's five pixels, pshufb to reverse their order,
   a 16-byte store whose last byte the next step overwrites; the steps stop
   while both stay inside the row, and the last pixels take flip_row(). */
__attribute__((target("ssse3"))) static void flip_row3_ssse3(uint8_t *d, const uint8_t *s, int w)
{
    /* output byte 3j + k (pixel j of five) is input byte 3 (4 − j) + k,
       found at 3 (4 − j) + k + 1 of the load */
    const __m128i rev = _mm_setr_epi8(13, 14, 15, 10, 11, 12, 7, 8, 9, 4, 5, 6, 1, 2, 3, -128);
    int i = 0;
    for (; i + 6 <= w; i += 5) {
        const uint8_t *src = s + (size_t)(w - i - 5) * 3 - 1;
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)src);
        _mm_storeu_si128((__m128i *)(void *)(d + (size_t)i * 3), _mm_shuffle_epi8(v, rev));
    }
    flip_row(d + (size_t)i * 3, s, w - i, 3);
}
#endif

const ramp_image *ramp_img_flip_h(ramp_pp *pp, const ramp_image *x)
{
    const uint8_t *in = ramp__img_px(pp, x);
    if (!in) return NULL;
    int w = x->width, h = x->height, c = x->channels;
    ramp_image *out = ramp__img_new(pp, w, h, c, x);
    if (!out) return NULL;
#if HAVE_SIMD
    int simd3 = c == 3 && pp->simd != 1 && __builtin_cpu_supports("ssse3");
#endif
    for (int y = 0; y < h; y++) {
        const uint8_t *s = in + (size_t)y * x->stride;
        uint8_t *d = out->pixels + (size_t)y * out->stride;
        switch (c) { /* a constant pixel size: no library call per pixel */
        case 1:
            flip_row(d, s, w, 1);
            break;
        case 2:
            flip_row(d, s, w, 2);
            break;
        case 3:
#if HAVE_SIMD
            if (simd3) {
                flip_row3_ssse3(d, s, w);
                break;
            }
#endif
            flip_row(d, s, w, 3);
            break;
        default:
            flip_row(d, s, w, 4);
            break;
        }
    }
    ramp__img_geom(out, x, (const double[6]){-1, 0, w, 0, 1, 0});
    return out;
}

const ramp_image *ramp_img_flip_v(ramp_pp *pp, const ramp_image *x)
{
    const uint8_t *in = ramp__img_px(pp, x);
    if (!in) return NULL;
    ramp_image *out = ramp__img_new(pp, x->width, x->height, x->channels, x);
    if (!out) return NULL;
    for (int y = 0; y < x->height; y++)
        memcpy(out->pixels + (size_t)y * out->stride, in + (size_t)(x->height - 1 - y) * x->stride,
               out->stride);
    ramp__img_geom(out, x, (const double[6]){1, 0, 0, 0, -1, x->height});
    return out;
}

const ramp_image *ramp_img_rotate90(ramp_pp *pp, const ramp_image *x, int quarter_turns)
{
    const uint8_t *in = ramp__img_px(pp, x);
    if (!in) return NULL;
    int k = ((quarter_turns % 4) + 4) % 4;
    if (k == 0) return x;
    int w = x->width, h = x->height, c = x->channels;
    int ow = k == 2 ? w : h, oh = k == 2 ? h : w;
    ramp_image *out = ramp__img_new(pp, ow, oh, c, x);
    if (!out) return NULL;
    for (int y = 0; y < oh; y++) {
        uint8_t *d = out->pixels + (size_t)y * out->stride;
        for (int i = 0; i < ow; i++) {
            /* source column sx, row sy of output (i, y) */
            int sx, sy;
            if (k == 1) { /* 90° counter-clockwise */
                sx = w - 1 - y;
                sy = i;
            } else if (k == 2) {
                sx = w - 1 - i;
                sy = h - 1 - y;
            } else { /* 270° = 90° clockwise */
                sx = y;
                sy = h - 1 - i;
            }
            memcpy(d + (size_t)i * c, in + (size_t)sy * x->stride + (size_t)sx * c, (size_t)c);
        }
    }
    /* the loop above in continuous coordinates: output (X, Y) shows source
       (w − Y, X) for k = 1, (w − X, h − Y) for k = 2, (Y, h − X) for k = 3;
       the map is its inverse */
    double W = w, H = h;
    const double turn[3][6] = {{0, 1, 0, -1, 0, W}, {-1, 0, W, 0, -1, H}, {0, -1, H, 1, 0, 0}};
    ramp__img_geom(out, x, turn[k - 1]);
    return out;
}

/* Python's round(v, 15), closely enough for cos/sin values in [-1, 1]. */
static double round15(double v)
{
    return nearbyint(v * 1e15) / 1e15;
}

const ramp_image *ramp_img_rotate(ramp_pp *pp, const ramp_image *x, double degrees, uint8_t fill)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (!isfinite(degrees))
        return ramp__img_fail(pp, RAMP_EINVAL, "%s: rotation by a non-finite angle", x->name);
    double a = fmod(degrees, 360.0);
    if (a < 0) a += 360.0; /* Python's % keeps the divisor's sign */
    int w = x->width, h = x->height, c = x->channels;
    if (a == 0.0) return ramp_img_decode(pp, x);
    if (a == 180.0) return ramp_img_rotate90(pp, x, 2);
    if ((a == 90.0 || a == 270.0) && w == h) return ramp_img_rotate90(pp, x, a == 90.0 ? 1 : 3);
    const uint8_t *in = ramp__img_px(pp, x);
    if (!in) return NULL;
    ramp_image *out = ramp__img_new(pp, w, h, c, x);
    if (!out) return NULL;

    /* inverse map: output point → source point (Pillow's matrix) */
    double r = -a * 3.14159265358979323846 / 180.0;
    double m0 = round15(cos(r)), m1 = round15(sin(r)), m3 = round15(-sin(r)), m4 = round15(cos(r));
    double cx = w / 2.0, cy = h / 2.0;
    double m2 = m0 * -cx + m1 * -cy + cx;
    double m5 = m3 * -cx + m4 * -cy + cy;
    size_t st = x->stride;
    for (int y = 0; y < h; y++) {
        uint8_t *d = out->pixels + (size_t)y * out->stride;
        double yin = y + 0.5;
        for (int i = 0; i < w; i++, d += c) {
            double xin = i + 0.5;
            double xs = m0 * xin + m1 * yin + m2;
            double ys = m3 * xin + m4 * yin + m5;
            if (xs < 0.0 || xs >= w || ys < 0.0 || ys >= h) {
                memset(d, fill, (size_t)c);
                continue;
            }
            xs -= 0.5;
            ys -= 0.5;
            int xi = (int)floor(xs), yi = (int)floor(ys);
            double dx = xs - xi, dy = ys - yi;
            int x0 = xi < 0 ? 0 : xi >= w ? w - 1 : xi;
            int x1 = xi + 1 < 0 ? 0 : xi + 1 >= w ? w - 1 : xi + 1;
            int y0 = yi < 0 ? 0 : yi >= h ? h - 1 : yi;
            const uint8_t *r0 = in + (size_t)y0 * st;
            const uint8_t *r1 = yi + 1 >= 0 && yi + 1 < h ? in + (size_t)(yi + 1) * st : NULL;
            for (int ch = 0; ch < c; ch++) {
                double a0 = r0[x0 * c + ch], b0 = r0[x1 * c + ch];
                double v1 = a0 + (b0 - a0) * dx, v2 = v1;
                if (r1) {
                    double a1 = r1[x0 * c + ch], b1 = r1[x1 * c + ch];
                    v2 = a1 + (b1 - a1) * dx;
                }
                d[ch] = (uint8_t)(v1 + (v2 - v1) * dy);
            }
        }
    }
    /* the loop samples output point P at source point M·P: the map is M⁻¹
       (M is a rotation, so never singular) */
    double step[6];
    if (ramp_affine_invert(step, (const double[6]){m0, m1, m2, m3, m4, m5}) != 0)
        return ramp__img_fail(pp, RAMP_EINTERNAL, "%s: singular rotation", x->name);
    ramp__img_geom(out, x, step);
    return out;
}
