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
 * of the resize, with the same samples. When the input is a JPEG not yet
 * decoded, resized both ways at full size (no DCT scale), and the window
 * reads under 4/5 of it, only those rows and columns are decoded
 * (ramp__jpeg_decode_window(): the same samples as the full decode; 59 % of
 * a 500×375 photo for a 224×224 window of its 341×256 resize).
 *
 * On x86-64 with SSSE3 (checked at run time) the RGB horizontal pass and
 * every vertical pass run on SSE registers (on AVX2 where the CPU has it:
 * the RGB horizontal pass two pixels at a time, the vertical 32 samples)
 * with the same integer sums:
 * pmaddwd multiplies 16-bit pairs, so each 22-bit weight k is split into
 * k = 2048 kh + kl (kh = k >> 11, kl = k & 2047, both fit 16 bits) and
 * Σ p·k = 2048 Σ p·kh + Σ p·kl, exactly, in 32-bit lanes that cannot
 * overflow (the scalar sums fit int32, and these are their parts); the
 * clip is the saturation of packssdw/packuswb, equal to clip8(). Same
 * samples as the scalar passes, which stay as the reference
 * (ramp_pp.simd, set by tests, picks the passes).
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

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_SIMD 1
#define SIMD_FN static __attribute__((target("ssse3")))
#define AVX2_FN static __attribute__((target("avx2")))
#else
#define HAVE_SIMD 0
#endif

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

#if HAVE_SIMD
/* The weights of `lanes` (1: SSE, 2: AVX2) consecutive output pixels for
   one group of 4 taps t0..t3 of an RGB row, in the lane order of the
   pshufb masks of horiz3_*(): a = [k0 k1 k0 k1 k0 k1 0 0],
   b = [k2 k3 k2 k3 k2 k3 0 0], each as high (k >> 11) and low (k & 2047)
   parts (triangle weights are ≥ 0, so both parts are too); pixel j of the
   block fills 8 values at j · 8 of each part. */
typedef struct {
    int16_t ah[16], bh[16], al[16], bl[16];
} wblock;

/* kr's first out_w pixels' weights (out_w a multiple of lanes), `groups`
   blocks per `lanes` pixels, taps past `taps` weighing 0; NULL when out of
   memory. */
static wblock *rgb_weights(ramp_pp *pp, const kernel *kr, int out_w, int taps, int groups,
                           int lanes)
{
    size_t nb = (size_t)(out_w / lanes) * (size_t)groups;
    wblock *wb = ramp_arena_alloc(pp->arena, sizeof *wb * nb);
    if (!wb) return NULL;
    memset(wb, 0, sizeof *wb * nb);
    for (int xx = 0; xx < out_w; xx++) {
        const int32_t *k = kr->k + (size_t)xx * (size_t)kr->ksize;
        int lane = (xx % lanes) * 8;
        for (int gi = 0; gi < groups; gi++) {
            wblock *w = wb + (size_t)(xx / lanes) * (size_t)groups + gi;
            for (int j = 0; j < 4; j++) {
                int t = 4 * gi + j;
                int32_t kv = t < taps ? k[t] : 0;
                int16_t hi = (int16_t)(kv >> 11), lo = (int16_t)(kv & 2047);
                int16_t *dh = j < 2 ? w->ah : w->bh, *dl = j < 2 ? w->al : w->bl;
                for (int ch = 0; ch < 3; ch++) {
                    dh[lane + 2 * ch + (j & 1)] = hi;
                    dl[lane + 2 * ch + (j & 1)] = lo;
                }
            }
        }
    }
    return wb;
}

/* pshufb masks: 5 RGB pixels' bytes → 16-bit (R, G, B) pairs of taps
   (0, 1) and (2, 3) */
#define MASK_A 0, -128, 3, -128, 1, -128, 4, -128, 2, -128, 5, -128, -128, -128, -128, -128
#define MASK_B 6, -128, 9, -128, 7, -128, 10, -128, 8, -128, 11, -128, -128, -128, -128, -128

/* (hi << 11) + lo + ½, shifted and clipped to bytes as clip8() does: the
   saturating packs clip at 0 and 255. Four sums in, four bytes out (low
   lanes of the result). */
SIMD_FN __m128i finish4(__m128i hi, __m128i lo)
{
    __m128i v = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(hi, 11), lo),
                              _mm_set1_epi32(1 << (PRECISION_BITS - 1)));
    v = _mm_srai_epi32(v, PRECISION_BITS);
    v = _mm_packs_epi32(v, v);
    return _mm_packus_epi16(v, v);
}

/* horiz_c() for c = 3 over output pixels [0, n_simd): each pixel loads 16
   bytes (5 pixels) per group of 4 taps, spreads them to 16-bit R, G, B
   pairs with pshufb and sums with pmaddwd. The caller keeps every load
   inside the row (n_simd). */
SIMD_FN void horiz3_ssse3(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride,
                          int row0, int rows, int n_simd, const kernel *kr, const wblock *wb,
                          int groups)
{
    const __m128i ma = _mm_setr_epi8(MASK_A), mb = _mm_setr_epi8(MASK_B);
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = in + (size_t)(row0 + y) * in_stride;
        uint8_t *dst = out + (size_t)y * out_stride;
        for (int xx = 0; xx < n_simd; xx++, dst += 3) {
            const uint8_t *s = src + (size_t)kr->bounds[2 * xx] * 3;
            const wblock *w = wb + (size_t)xx * (size_t)groups;
            __m128i hi = _mm_setzero_si128(), lo = _mm_setzero_si128();
            for (int g = 0; g < groups; g++, s += 12, w++) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
                __m128i a = _mm_shuffle_epi8(v, ma), b = _mm_shuffle_epi8(v, mb);
                hi = _mm_add_epi32(hi, _mm_madd_epi16(a, _mm_loadu_si128((const void *)w->ah)));
                hi = _mm_add_epi32(hi, _mm_madd_epi16(b, _mm_loadu_si128((const void *)w->bh)));
                lo = _mm_add_epi32(lo, _mm_madd_epi16(a, _mm_loadu_si128((const void *)w->al)));
                lo = _mm_add_epi32(lo, _mm_madd_epi16(b, _mm_loadu_si128((const void *)w->bl)));
            }
            uint32_t px = (uint32_t)_mm_cvtsi128_si32(finish4(hi, lo));
            memcpy(dst, &px, 3); /* little-endian: R, G, B */
        }
    }
}

/* horiz3_ssse3() two pixels at a time, one in each 128-bit half of the AVX2
   registers (n_simd even); `groups` a constant where inlined. A pair's six
   bytes go out in one 8-byte store whose last two bytes the next pair
   overwrites (the row's last pair stores six). */
static inline __attribute__((always_inline, target("avx2"))) void
horiz3_avx2_g(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride, int row0,
              int rows, int n_simd, const kernel *kr, const wblock *wb, const int groups)
{
    const __m256i ma = _mm256_setr_epi8(MASK_A, MASK_A), mb = _mm256_setr_epi8(MASK_B, MASK_B);
    const __m256i half = _mm256_set1_epi32(1 << (PRECISION_BITS - 1));
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = in + (size_t)(row0 + y) * in_stride;
        uint8_t *dst = out + (size_t)y * out_stride;
        const wblock *w = wb;
        for (int xx = 0; xx < n_simd; xx += 2, dst += 6) {
            const uint8_t *s0 = src + (size_t)kr->bounds[2 * xx] * 3;
            const uint8_t *s1 = src + (size_t)kr->bounds[2 * xx + 2] * 3;
            __m256i hi = _mm256_setzero_si256(), lo = _mm256_setzero_si256();
            for (int g = 0; g < groups; g++, s0 += 12, s1 += 12, w++) {
                __m256i v = _mm256_inserti128_si256(
                    _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)s0)),
                    _mm_loadu_si128((const __m128i *)(const void *)s1), 1);
                __m256i a = _mm256_shuffle_epi8(v, ma), b = _mm256_shuffle_epi8(v, mb);
                hi = _mm256_add_epi32(
                    hi, _mm256_madd_epi16(a, _mm256_loadu_si256((const void *)w->ah)));
                hi = _mm256_add_epi32(
                    hi, _mm256_madd_epi16(b, _mm256_loadu_si256((const void *)w->bh)));
                lo = _mm256_add_epi32(
                    lo, _mm256_madd_epi16(a, _mm256_loadu_si256((const void *)w->al)));
                lo = _mm256_add_epi32(
                    lo, _mm256_madd_epi16(b, _mm256_loadu_si256((const void *)w->bl)));
            }
            __m256i v = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(hi, 11), lo), half);
            v = _mm256_srai_epi32(v, PRECISION_BITS);
            v = _mm256_packs_epi32(v, v);
            v = _mm256_packus_epi16(v, v); /* per half: R, G, B, 0 in its low bytes */
            uint64_t p0 = (uint32_t)_mm256_cvtsi256_si32(v);
            uint64_t p1 = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(v, 1));
            uint64_t six = p0 | p1 << 24; /* little-endian: R0 G0 B0 R1 G1 B1 */
            memcpy(dst, &six, xx + 2 < n_simd ? 8 : 6);
        }
    }
}

AVX2_FN void horiz3_avx2(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride,
                         int row0, int rows, int n_simd, const kernel *kr, const wblock *wb,
                         int groups)
{
    if (groups == 1) /* up to 4 taps: shrinking up to 1.5×, enlarging */
        horiz3_avx2_g(out, out_stride, in, in_stride, row0, rows, n_simd, kr, wb, 1);
    else
        horiz3_avx2_g(out, out_stride, in, in_stride, row0, rows, n_simd, kr, wb, groups);
}

/* vert() on SSE registers, 16 samples at a time, taps taken in pairs of
   rows: the two rows' bytes interleave into 16-bit (a, b) pairs that one
   pmaddwd weighs by (k_a, k_b). The last (width mod 16) samples take the
   scalar sums. */
SIMD_FN void vert_simd(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride,
                       int out_h, size_t width, const kernel *kr, int shift)
{
    const __m128i zero = _mm_setzero_si128();
    size_t w16 = width & ~(size_t)15;
    for (int yy = 0; yy < out_h; yy++) {
        int ymin = kr->bounds[2 * yy] - shift, n = kr->bounds[2 * yy + 1];
        const int32_t *k = kr->k + (size_t)yy * (size_t)kr->ksize;
        const uint8_t *rows = in + (size_t)ymin * in_stride;
        uint8_t *dst = out + (size_t)yy * out_stride;
        for (size_t i = 0; i < w16; i += 16) {
            __m128i h0 = zero, h1 = zero, h2 = zero, h3 = zero;
            __m128i l0 = zero, l1 = zero, l2 = zero, l3 = zero;
            for (int y = 0; y < n; y += 2) {
                const uint8_t *r = rows + (size_t)y * in_stride + i;
                __m128i a = _mm_loadu_si128((const __m128i *)(const void *)r);
                __m128i b = y + 1 < n
                                ? _mm_loadu_si128((const __m128i *)(const void *)(r + in_stride))
                                : zero;
                uint32_t k0 = (uint32_t)k[y], k1 = y + 1 < n ? (uint32_t)k[y + 1] : 0;
                __m128i wh = _mm_set1_epi32((int)((k0 >> 11) | (k1 >> 11) << 16));
                __m128i wl = _mm_set1_epi32((int)((k0 & 2047) | (k1 & 2047) << 16));
                __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
                __m128i p0 = _mm_unpacklo_epi8(ab0, zero), p1 = _mm_unpackhi_epi8(ab0, zero);
                __m128i p2 = _mm_unpacklo_epi8(ab1, zero), p3 = _mm_unpackhi_epi8(ab1, zero);
                h0 = _mm_add_epi32(h0, _mm_madd_epi16(p0, wh));
                h1 = _mm_add_epi32(h1, _mm_madd_epi16(p1, wh));
                h2 = _mm_add_epi32(h2, _mm_madd_epi16(p2, wh));
                h3 = _mm_add_epi32(h3, _mm_madd_epi16(p3, wh));
                l0 = _mm_add_epi32(l0, _mm_madd_epi16(p0, wl));
                l1 = _mm_add_epi32(l1, _mm_madd_epi16(p1, wl));
                l2 = _mm_add_epi32(l2, _mm_madd_epi16(p2, wl));
                l3 = _mm_add_epi32(l3, _mm_madd_epi16(p3, wl));
            }
            const __m128i half = _mm_set1_epi32(1 << (PRECISION_BITS - 1));
            __m128i s0 = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(h0, 11), l0), half);
            __m128i s1 = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(h1, 11), l1), half);
            __m128i s2 = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(h2, 11), l2), half);
            __m128i s3 = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(h3, 11), l3), half);
            __m128i lo16 = _mm_packs_epi32(_mm_srai_epi32(s0, PRECISION_BITS),
                                           _mm_srai_epi32(s1, PRECISION_BITS));
            __m128i hi16 = _mm_packs_epi32(_mm_srai_epi32(s2, PRECISION_BITS),
                                           _mm_srai_epi32(s3, PRECISION_BITS));
            _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_packus_epi16(lo16, hi16));
        }
        for (size_t i = w16; i < width; i++) {
            int32_t acc = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < n; y++)
                acc += rows[(size_t)y * in_stride + i] * k[y];
            dst[i] = clip8(acc);
        }
    }
}

/* vert_simd() on AVX2 registers, 32 samples at a time (the unpacks and
   packs work within each 128-bit half, and their orders cancel: the bytes
   come out in order). */
AVX2_FN void vert_avx2(uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride,
                       int out_h, size_t width, const kernel *kr, int shift)
{
    const __m256i zero = _mm256_setzero_si256();
    size_t w32 = width & ~(size_t)31;
    for (int yy = 0; yy < out_h; yy++) {
        int ymin = kr->bounds[2 * yy] - shift, n = kr->bounds[2 * yy + 1];
        const int32_t *k = kr->k + (size_t)yy * (size_t)kr->ksize;
        const uint8_t *rows = in + (size_t)ymin * in_stride;
        uint8_t *dst = out + (size_t)yy * out_stride;
        for (size_t i = 0; i < w32; i += 32) {
            __m256i h0 = zero, h1 = zero, h2 = zero, h3 = zero;
            __m256i l0 = zero, l1 = zero, l2 = zero, l3 = zero;
            for (int y = 0; y < n; y += 2) {
                const uint8_t *r = rows + (size_t)y * in_stride + i;
                __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)r);
                __m256i b = y + 1 < n
                                ? _mm256_loadu_si256((const __m256i *)(const void *)(r + in_stride))
                                : zero;
                uint32_t k0 = (uint32_t)k[y], k1 = y + 1 < n ? (uint32_t)k[y + 1] : 0;
                __m256i wh = _mm256_set1_epi32((int)((k0 >> 11) | (k1 >> 11) << 16));
                __m256i wl = _mm256_set1_epi32((int)((k0 & 2047) | (k1 & 2047) << 16));
                __m256i ab0 = _mm256_unpacklo_epi8(a, b), ab1 = _mm256_unpackhi_epi8(a, b);
                __m256i p0 = _mm256_unpacklo_epi8(ab0, zero), p1 = _mm256_unpackhi_epi8(ab0, zero);
                __m256i p2 = _mm256_unpacklo_epi8(ab1, zero), p3 = _mm256_unpackhi_epi8(ab1, zero);
                h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(p0, wh));
                h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(p1, wh));
                h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(p2, wh));
                h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(p3, wh));
                l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(p0, wl));
                l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(p1, wl));
                l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(p2, wl));
                l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(p3, wl));
            }
            const __m256i half = _mm256_set1_epi32(1 << (PRECISION_BITS - 1));
            __m256i s0 = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(h0, 11), l0), half);
            __m256i s1 = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(h1, 11), l1), half);
            __m256i s2 = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(h2, 11), l2), half);
            __m256i s3 = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(h3, 11), l3), half);
            __m256i lo16 = _mm256_packs_epi32(_mm256_srai_epi32(s0, PRECISION_BITS),
                                              _mm256_srai_epi32(s1, PRECISION_BITS));
            __m256i hi16 = _mm256_packs_epi32(_mm256_srai_epi32(s2, PRECISION_BITS),
                                              _mm256_srai_epi32(s3, PRECISION_BITS));
            _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_packus_epi16(lo16, hi16));
        }
        for (size_t i = w32; i < width; i++) {
            int32_t acc = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < n; y++)
                acc += rows[(size_t)y * in_stride + i] * k[y];
            dst[i] = clip8(acc);
        }
    }
}
#endif

/* The passes this context's resizes take: 0 scalar, 1 SSSE3, 2 SSSE3 and
   AVX2 (the best the CPU has, or less as ramp_pp.simd asks). */
static int simd_level(const ramp_pp *pp)
{
#if HAVE_SIMD
    int best = __builtin_cpu_supports("avx2") ? 2 : __builtin_cpu_supports("ssse3") ? 1 : 0;
    return pp->simd > 0 && pp->simd - 1 < best ? pp->simd - 1 : best;
#else
    (void)pp;
    return 0;
#endif
}

/* The horizontal pass: horiz(), or for RGB with SIMD, horiz3_avx2() or
   horiz3_ssse3() over the output pixels whose loads stay inside the
   in_w-pixel row and horiz() over the rest. Nonzero when out of memory. */
static int hpass(ramp_pp *pp, int simd, uint8_t *out, size_t out_stride, const uint8_t *in,
                 size_t in_stride, int row0, int rows, int out_w, const kernel *kr, int c, int in_w)
{
    int taps = kr->bounds[1];
#if HAVE_SIMD
    if (simd && c == 3) {
        int groups = (taps + 3) / 4, n_simd = 0, lanes = simd == 2 ? 2 : 1;
        /* the last group's 16-byte load ends 12 (groups − 1) + 16 bytes on */
        while (n_simd < out_w &&
               (size_t)kr->bounds[2 * n_simd] * 3 + 12 * (size_t)(groups - 1) + 16 <=
                   (size_t)in_w * 3)
            n_simd++;
        n_simd -= n_simd % lanes;
        if (n_simd > 0) {
            wblock *wb = rgb_weights(pp, kr, n_simd, taps, groups, lanes);
            if (!wb) return -1;
            if (lanes == 2)
                horiz3_avx2(out, out_stride, in, in_stride, row0, rows, n_simd, kr, wb, groups);
            else
                horiz3_ssse3(out, out_stride, in, in_stride, row0, rows, n_simd, kr, wb, groups);
        }
        if (n_simd < out_w) {
            kernel rest = {kr->ksize, kr->bounds + 2 * (size_t)n_simd,
                           kr->k + (size_t)n_simd * (size_t)kr->ksize};
            horiz(out + (size_t)n_simd * 3, out_stride, in, in_stride, row0, rows, out_w - n_simd,
                  &rest, c, taps);
        }
        return 0;
    }
#else
    (void)pp;
    (void)simd;
    (void)in_w;
#endif
    horiz(out, out_stride, in, in_stride, row0, rows, out_w, kr, c, taps);
    return 0;
}

/* The vertical pass: vert(), or vert_simd() / vert_avx2() with SIMD.
   acc: `width` sums of scratch for vert(). */
static void vpass(int simd, uint8_t *out, size_t out_stride, const uint8_t *in, size_t in_stride,
                  int out_h, size_t width, const kernel *kr, int shift, int32_t *restrict acc)
{
#if HAVE_SIMD
    if (simd == 2) {
        vert_avx2(out, out_stride, in, in_stride, out_h, width, kr, shift);
        return;
    }
    if (simd) {
        vert_simd(out, out_stride, in, in_stride, out_h, width, kr, shift);
        return;
    }
#else
    (void)simd;
#endif
    vert(out, out_stride, in, in_stride, out_h, width, kr, shift, acc);
}

/* The w × h window at (x0, y0) of x resized to rw × rh, computing only
   the window: the kernels are those of the full resize, entries [x0, x0+w)
   and [y0, y0+h) taken, so every output sample is the one the full resize
   gives. x is decoded (and DCT-scaled) already; the window lies inside. */
static const ramp_image *resize_window(ramp_pp *pp, const ramp_image *x, int rw, int rh, int x0,
                                       int y0, int w, int h)
{
    int c = x->channels;
    int need_h = rw != x->width, need_v = rh != x->height;
    if (!need_h && !need_v) return ramp_img_crop(pp, x, x0, y0, w, h);
    /* a JPEG not decoded yet, resized both ways, may decode just the part
       the window reads (below) */
    int part = need_h && need_v && ramp__jpeg_window_ok(x);
    const uint8_t *in = part ? NULL : ramp__img_px(pp, x);
    if (!part && !in) return NULL;
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
    int simd = simd_level(pp);
    if (need_h && !need_v) {
        if (hpass(pp, simd, out->pixels, out->stride, in, x->stride, 0, h, w, &kh, c, x->width))
            return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory for resize", x->name);
        return out;
    }
    int32_t *acc = simd ? NULL : ramp_arena_alloc(pp->arena, sizeof(int32_t) * wc);
    if (!simd && !acc)
        return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory for resize", x->name);
    if (!need_h) {
        vpass(simd, out->pixels, out->stride, in, x->stride, h, wc, &kv, 0, acc);
        return out;
    }
    /* horizontal pass over just the rows the vertical pass reads */
    int first = kv.bounds[0];
    int last = kv.bounds[2 * h - 2] + kv.bounds[2 * h - 1];
    size_t in_stride = x->stride;
    int in_w = x->width, row0 = first;
    if (part) {
        /* the columns the window's kernels read; worth a window decode
           when rows × columns are under 4/5 of the image (a whole-image
           resize takes TurboJPEG's full decode) */
        int cx0 = x->width, cx1 = 0;
        for (int i = 0; i < w; i++) {
            int b = kh.bounds[2 * i], n = kh.bounds[2 * i + 1];
            if (b < cx0) cx0 = b;
            if (b + n > cx1) cx1 = b + n;
        }
        if ((double)(cx1 - cx0) * (last - first) < 0.8 * x->width * x->height) {
            const uint8_t *px;
            if (ramp__jpeg_decode_window(pp, x, cx0, first, cx1 - cx0, last - first, &px,
                                         &in_stride) != RAMP_OK)
                return NULL;
            /* kh.bounds are this call's own (make_kernel): move them to
               the window's columns */
            for (int i = 0; i < w; i++)
                kh.bounds[2 * i] -= cx0;
            in = px;
            in_w = cx1 - cx0;
            row0 = 0;
        } else {
            in = ramp__img_px(pp, x);
            if (!in) return NULL;
            in_stride = x->stride;
        }
    }
    uint8_t *tmp = ramp_arena_alloc(pp->arena, wc * (size_t)(last - first));
    if (!tmp || hpass(pp, simd, tmp, wc, in, in_stride, row0, last - first, w, &kh, c, in_w))
        return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory for resize", x->name);
    vpass(simd, out->pixels, out->stride, tmp, wc, h, wc, &kv, first, acc);
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
    if (ramp__jpeg_window_ok(x)) {
        /* a JPEG decoded at full size (no DCT scale reaches rw × rh):
           resize_window() decodes what the window reads */
        int sw, sh;
        ramp__jpeg_scaled_size(x->width, x->height, rw, rh, &sw, &sh);
        if (sw == x->width && sh == x->height) return resize_window(pp, x, rw, rh, x0, y0, w, h);
    }
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
