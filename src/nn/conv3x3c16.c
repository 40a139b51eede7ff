/* conv3x3c16.c — 3×3 convolution, stride 1, padding 1, of 16 channels into
 * 16 (forward: into any multiple of 16), forward, backward-data and
 * backward-weights, in oneDNN's 16-channel-blocked layouts.
 *
 * Why it exists: oneDNN 2.6 runs this shape (the first stage of every
 * CIFAR-style ResNet) with direct kernels only, its Winograd needing more
 * channels, and its direct forward a third slower than its own
 * backward-data: 1.72 ms against 1.27 ms for 64×16×32×32 on two AVX-512
 * cores. Here the shape runs as Winograd F(4×4, 3×3) in 0.9 ms from 8×8
 * images on (docs/engine.md has the table), and below that on a direct
 * kernel that holds the library's best direct rate. Backward-weights runs as
 * the same Winograd transposed, from 8×8 on. The oneDNN backend runs these in
 * place of the library's primitives where the layouts match (dnnl_conv.c:
 * conv_own_fwd). Backward-data is the same convolution of dy with the filters
 * turned (ramp__conv3x3c16_flip), and can add onto a gradient already in its
 * output buffer.
 *
 * Layouts (oneDNN's names): src aBcd16b with C = 16, i.e. [N][H][W][16];
 * dst aBcd16b, [N][O/16][H][W][16]; weights ABcd16b16a,
 * [O/16][kh][kw][16 ic][16 oc]; bias [O].
 *
 * Direct kernel: one output row is cut into blocks of at most 16 pixels; a
 * block keeps its 16 pixels × 16 output channels in 16 AVX-512 registers and
 * adds, per tap and input channel, one weight vector times the broadcast
 * input value (144 FMAs per pixel and output block). Block size and which
 * image edge a block touches are compile-time constants of each instance
 * (block16), so the inner loops unroll without branches and the padding
 * costs nothing. Images (or, on small batches, bands of rows) are dealt out
 * to the OpenMP team.
 *
 * With either algorithm each output value sums its products in the same
 * order whatever the thread count: the result does not depend on the
 * threads.
 */
#include <stddef.h>
#include <stdlib.h>

#include "nn/nnInt.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_K16 1
#else
#define HAVE_K16 0
#endif

int ramp__conv3x3c16_available(void)
{
#if HAVE_K16
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

#if HAVE_K16

#define K16_INLINE static inline __attribute__((always_inline, target("avx512f")))

/* out[j][16] (j < NB) = b0 (+ add[j][16]) + Σ_{kh, kw, ic} w[kh][kw][ic][:] ·
   in[kh][j + kw - 1][ic], then ReLU if relu. `in` is the input row of tap
   kh = khlo (rows before khlo or from khhi on lie outside the image); rs is
   the row stride in floats. add (may be NULL) may be out itself. L/R: the
   block starts/ends at the image's left/right edge (column -1 / W is 0). */
K16_INLINE void block16(float *out, const float *in, const float *add, ptrdiff_t rs, int khlo,
                        int khhi, const float *w, __m512 b0, int relu, const int NB, const int L,
                        const int R)
{
    __m512 acc[16];
    if (add) {
#pragma GCC unroll 16
        for (int j = 0; j < NB; j++) acc[j] = _mm512_add_ps(b0, _mm512_loadu_ps(add + j * 16));
    } else {
#pragma GCC unroll 16
        for (int j = 0; j < NB; j++) acc[j] = b0;
    }
    for (int kh = khlo; kh < khhi; kh++) {
        const float *row = in + (kh - khlo) * rs;
#pragma GCC unroll 3
        for (int kw = 0; kw < 3; kw++) {
            const float *wk = w + (kh * 3 + kw) * 256;
#pragma GCC unroll 2
            for (int ic = 0; ic < 16; ic++) {
                __m512 wv = _mm512_loadu_ps(wk + ic * 16);
#pragma GCC unroll 16
                for (int j = 0; j < NB; j++) {
                    if ((L && kw == 0 && j == 0) || (R && kw == 2 && j == NB - 1)) continue;
                    acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(row[(j + kw - 1) * 16 + ic]), wv,
                                             acc[j]);
                }
            }
        }
    }
    if (relu) {
#pragma GCC unroll 16
        for (int j = 0; j < NB; j++) acc[j] = _mm512_max_ps(acc[j], _mm512_setzero_ps());
    }
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) _mm512_storeu_ps(out + j * 16, acc[j]);
}

/* One output row out[W][16] from the input rows starting at `in` (tap khlo),
   plus add[W][16] if not NULL. */
__attribute__((target("avx512f"))) static void row16(float *out, const float *in,
                                                     const float *add, ptrdiff_t rs, int khlo,
                                                     int khhi, const float *w, const float *bias,
                                                     int W, int relu)
{
    int nblk = (W + 15) / 16, base = W / nblk, extra = W % nblk, ow = 0;
    __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    for (int b = 0; b < nblk; b++) {
        int nb = base + (b < extra), edge = (b == 0) | (b == nblk - 1) << 1;
        const float *ip = in + (ptrdiff_t)ow * 16, *ap = add ? add + (ptrdiff_t)ow * 16 : NULL;
        float *op = out + (ptrdiff_t)ow * 16;
        switch (nb * 4 + edge) {
#define K16_CASES(k)                                                                             \
    case (k) * 4 + 0: block16(op, ip, ap, rs, khlo, khhi, w, b0, relu, k, 0, 0); break;             \
    case (k) * 4 + 1: block16(op, ip, ap, rs, khlo, khhi, w, b0, relu, k, 1, 0); break;             \
    case (k) * 4 + 2: block16(op, ip, ap, rs, khlo, khhi, w, b0, relu, k, 0, 1); break;             \
    case (k) * 4 + 3: block16(op, ip, ap, rs, khlo, khhi, w, b0, relu, k, 1, 1); break;
            K16_CASES(1) K16_CASES(2) K16_CASES(3) K16_CASES(4) K16_CASES(5) K16_CASES(6)
            K16_CASES(7) K16_CASES(8) K16_CASES(9) K16_CASES(10) K16_CASES(11) K16_CASES(12)
            K16_CASES(13) K16_CASES(14) K16_CASES(15) K16_CASES(16)
#undef K16_CASES
        default: break;
        }
        ow += nb;
    }
}

typedef struct k16_job {
    float *y;
    const float *x, *w, *b, *add;
    int N, O, H, W, relu;
} k16_job;

/* Work items are (image, band of rows): one band per image when the batch
   gives every thread several images, more bands when it does not (a batch
   of one is cut into bands too), so no thread idles on small batches. */
static void k16_part(void *user, int tid, int nth)
{
    const k16_job *j = user;
    ptrdiff_t rs = (ptrdiff_t)j->W * 16;
    int OB = j->O / 16;
    int bands = (4 * nth + j->N - 1) / j->N;
    if (bands > j->H) bands = j->H;
    for (int it = tid; it < j->N * bands; it += nth) {
        int n = it / bands, band = it % bands;
        int h0 = (int)((long long)j->H * band / bands), h1 = (int)((long long)j->H * (band + 1) / bands);
        const float *img = j->x + (ptrdiff_t)n * j->H * rs;
        for (int ob = 0; ob < OB; ob++) {
            const float *w = j->w + (ptrdiff_t)ob * 9 * 256;
            const float *b = j->b ? j->b + ob * 16 : NULL;
            ptrdiff_t o0 = ((ptrdiff_t)n * OB + ob) * j->H * rs;
            for (int oh = h0; oh < h1; oh++) {
                int khlo = oh == 0, khhi = oh == j->H - 1 ? 2 : 3;
                ptrdiff_t o = o0 + oh * rs;
                row16(j->y + o, img + (oh - 1 + khlo) * rs, j->add ? j->add + o : NULL, rs, khlo,
                      khhi, w, b, j->W, j->relu);
            }
        }
    }
}


/* --- Winograd F(4×4, 3×3) ------------------------------------------------
 * Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A per 4×4 output tile, d its 6×6 input tile
 * (interpolation points 0, ±1, ±2, ∞), each matrix product taken on
 * 16-channel vectors. The 36 products ⊙ are, per tile point, a 16×16 matrix
 * (transformed filters u) times the 16 transformed input channels: 36 FMAs
 * per output pixel and output block where the direct kernel needs 144. The
 * transforms of input and output tiles cost about as much again, so the
 * kernel runs 1.4× faster than the direct one at 32×32 (docs/engine.md). */

#define WG_NT 8 /* tiles per work item: 32 columns */

/* A row of TW tiles is cut into wg_groups(TW) groups of at most WG_NT
   tiles, of near-equal size; group g starts at tile *tx0 and has *nt. */
static int wg_groups(int TW)
{
    return (TW + WG_NT - 1) / WG_NT;
}

static void wg_group(int TW, int g, int *tx0, int *nt)
{
    int ng = wg_groups(TW), base = TW / ng, extra = TW % ng;
    *tx0 = g * base + (g < extra ? g : extra);
    *nt = base + (g < extra);
}

typedef struct wg_job {
    float *y;
    const float *x, *u, *b, *add;
    int N, OB, H, W, relu;
} wg_job;

/* G of F(4×4, 3×3): the filter transform (6 × 3). */
static const float wg_G[6][3] = { { 1.f / 4, 0, 0 },
                               { -1.f / 6, -1.f / 6, -1.f / 6 },
                               { -1.f / 6, 1.f / 6, -1.f / 6 },
                               { 1.f / 24, 1.f / 12, 1.f / 6 },
                               { 1.f / 24, -1.f / 12, 1.f / 6 },
                               { 0, 0, 1 } };

/* u[ob][36][16 ic][16 oc] = G g Gᵀ for every filter g = w[ob][3][3][ic][oc]. */
__attribute__((target("avx512f"))) static void wg_filters(float *u, const float *w, int OB)
{
    for (int ob = 0; ob < OB; ob++)
        for (int c = 0; c < 16; c++) {
            __m512 g[3][3], t[6][3];
            for (int k = 0; k < 9; k++)
                g[k / 3][k % 3] = _mm512_loadu_ps(w + ((ptrdiff_t)ob * 9 + k) * 256 + c * 16);
            for (int a = 0; a < 6; a++)
                for (int kw = 0; kw < 3; kw++) {
                    __m512 s = _mm512_mul_ps(_mm512_set1_ps(wg_G[a][0]), g[0][kw]);
                    s = _mm512_fmadd_ps(_mm512_set1_ps(wg_G[a][1]), g[1][kw], s);
                    t[a][kw] = _mm512_fmadd_ps(_mm512_set1_ps(wg_G[a][2]), g[2][kw], s);
                }
            for (int a = 0; a < 6; a++)
                for (int bb = 0; bb < 6; bb++) {
                    __m512 s = _mm512_mul_ps(t[a][0], _mm512_set1_ps(wg_G[bb][0]));
                    s = _mm512_fmadd_ps(t[a][1], _mm512_set1_ps(wg_G[bb][1]), s);
                    s = _mm512_fmadd_ps(t[a][2], _mm512_set1_ps(wg_G[bb][2]), s);
                    _mm512_store_ps(u + (((ptrdiff_t)ob * 36 + a * 6 + bb) * 16 + c) * 16, s);
                }
        }
}

/* o = Bᵀ d on six vectors (one row or column of an input tile). */
K16_INLINE void bt6(__m512 o[6], const __m512 d[6])
{
    __m512 a = _mm512_add_ps(d[1], d[2]), b = _mm512_add_ps(d[3], d[4]);
    __m512 c = _mm512_sub_ps(d[1], d[2]), e = _mm512_sub_ps(d[4], d[3]);
    __m512 f = _mm512_sub_ps(d[4], d[2]), g = _mm512_sub_ps(d[3], d[1]);
    o[0] = _mm512_fmadd_ps(d[0], _mm512_set1_ps(4.f), _mm512_fmadd_ps(d[2], _mm512_set1_ps(-5.f), d[4]));
    o[1] = _mm512_fmadd_ps(a, _mm512_set1_ps(-4.f), b);
    o[2] = _mm512_fmadd_ps(c, _mm512_set1_ps(4.f), e);
    o[3] = _mm512_fmadd_ps(g, _mm512_set1_ps(2.f), f);
    o[4] = _mm512_fnmadd_ps(g, _mm512_set1_ps(2.f), f);
    o[5] = _mm512_fmadd_ps(d[1], _mm512_set1_ps(4.f), _mm512_fmadd_ps(d[3], _mm512_set1_ps(-5.f), d[5]));
}

/* o = Aᵀ m: six vectors (of a tile's products) to four outputs. */
K16_INLINE void at6(__m512 o[4], const __m512 m[6])
{
    __m512 a = _mm512_add_ps(m[1], m[2]), b = _mm512_sub_ps(m[1], m[2]);
    __m512 c = _mm512_add_ps(m[3], m[4]), d = _mm512_sub_ps(m[3], m[4]);
    o[0] = _mm512_add_ps(_mm512_add_ps(m[0], a), c);
    o[1] = _mm512_fmadd_ps(d, _mm512_set1_ps(2.f), b);
    o[2] = _mm512_fmadd_ps(c, _mm512_set1_ps(4.f), a);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(d, _mm512_set1_ps(8.f), b), m[5]);
}

/* e[r][j] = (d Bᵀ-transformed along each of the tile's six rows) for the
   input tile whose top-left pixel is (ih0, iw0), zero outside the image;
   `inside` (a constant per instance) drops the bounds checks. */
K16_INLINE void wg_rows(float *e, const float *img, int H, int W, int ih0, int iw0, const int inside)
{
    for (int r = 0; r < 6; r++) {
        __m512 d[6], o[6];
        int ih = ih0 + r;
        for (int c = 0; c < 6; c++) {
            int iw = iw0 + c;
            d[c] = inside || (ih >= 0 && ih < H && iw >= 0 && iw < W)
                       ? _mm512_loadu_ps(img + ((ptrdiff_t)ih * W + iw) * 16)
                       : _mm512_setzero_ps();
        }
        bt6(o, d);
        for (int c = 0; c < 6; c++) _mm512_store_ps(e + (r * 6 + c) * 16, o[c]);
    }
}

/* v[36][16] = Bᵀ d B for the tile at (ih0, iw0). */
K16_INLINE void wg_in(float *v, const float *img, int H, int W, int ih0, int iw0)
{
    _Alignas(64) float e[36 * 16];
    if (ih0 >= 0 && ih0 + 6 <= H && iw0 >= 0 && iw0 + 6 <= W)
        wg_rows(e, img, H, W, ih0, iw0, 1);
    else
        wg_rows(e, img, H, W, ih0, iw0, 0);
    for (int j = 0; j < 6; j++) {
        __m512 d[6], o[6];
        for (int r = 0; r < 6; r++) d[r] = _mm512_load_ps(e + (r * 6 + j) * 16);
        bt6(o, d);
        for (int a = 0; a < 6; a++) _mm512_store_ps(v + (a * 6 + j) * 16, o[a]);
    }
}

/* m[t][p][:] = Σ_ic v[t][p][ic] · u[p][ic][:] for NT tiles (a compile-time
   constant per instance): per tile point, NT accumulators take one
   transformed-filter vector times a broadcast input value per channel. */
K16_INLINE void wg_gemm(float *m, const float *v, const float *u, const int NT)
{
    for (int p = 0; p < 36; p++) {
        __m512 acc[WG_NT];
#pragma GCC unroll 8
        for (int t = 0; t < NT; t++) acc[t] = _mm512_setzero_ps();
#pragma GCC unroll 4
        for (int c = 0; c < 16; c++) {
            __m512 uv = _mm512_load_ps(u + (p * 16 + c) * 16);
#pragma GCC unroll 8
            for (int t = 0; t < NT; t++)
                acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(v[(t * 36 + p) * 16 + c]), uv, acc[t]);
        }
#pragma GCC unroll 8
        for (int t = 0; t < NT; t++) _mm512_store_ps(m + (t * 36 + p) * 16, acc[t]);
    }
}

/* The output tile at (oh0, ow0) of an image plane y[H][W][16]: Aᵀ m A + b0
   (+ add, which may be y), then ReLU if relu; rows and columns past the
   image's edge are dropped. */
K16_INLINE void wg_out(float *y, const float *add, const float *m, __m512 b0, int relu, int H,
                        int W, int oh0, int ow0)
{
    _Alignas(64) float f[24 * 16];
    for (int a = 0; a < 6; a++) {
        __m512 d[6], o[4];
        for (int b = 0; b < 6; b++) d[b] = _mm512_load_ps(m + (a * 6 + b) * 16);
        at6(o, d);
        for (int j = 0; j < 4; j++) _mm512_store_ps(f + (a * 4 + j) * 16, o[j]);
    }
    for (int j = 0; j < 4; j++) {
        if (ow0 + j >= W) break;
        __m512 d[6], o[4];
        for (int a = 0; a < 6; a++) d[a] = _mm512_load_ps(f + (a * 4 + j) * 16);
        at6(o, d);
        for (int i = 0; i < 4; i++) {
            if (oh0 + i >= H) break;
            ptrdiff_t off = ((ptrdiff_t)(oh0 + i) * W + ow0 + j) * 16;
            __m512 r = _mm512_add_ps(o[i], b0);
            if (add) r = _mm512_add_ps(_mm512_loadu_ps(add + off), r);
            if (relu) r = _mm512_max_ps(r, _mm512_setzero_ps());
            _mm512_storeu_ps(y + off, r);
        }
    }
}

/* Work items are (image, row of tiles, group of at most WG_NT tiles across),
   cut into one contiguous range per thread; every output is computed by one
   item in a fixed order, so the result does not depend on the threads. */
__attribute__((target("avx512f"))) static void wg_part(void *user, int tid, int nth)
{
    const wg_job *j = user;
    int H = j->H, W = j->W, TH = (H + 3) / 4, TW = (W + 3) / 4, ng = wg_groups(TW), tx0, nt;
    long i0, i1;
    ramp__nn_share((long)j->N * TH * ng, tid, nth, &i0, &i1);
    _Alignas(64) float v[WG_NT * 576], m[WG_NT * 576];
    for (long it = i0; it < i1; it++) {
        int n = (int)(it / (TH * ng)), r = (int)(it % (TH * ng)), ty = r / ng;
        wg_group(TW, r % ng, &tx0, &nt);
        const float *img = j->x + (ptrdiff_t)n * H * W * 16;
        for (int t = 0; t < nt; t++) wg_in(v + t * 576, img, H, W, 4 * ty - 1, 4 * (tx0 + t) - 1);
        for (int ob = 0; ob < j->OB; ob++) {
            const float *u = j->u + (ptrdiff_t)ob * 36 * 256;
            switch (nt) {
#define WG_CASE(k) case k: wg_gemm(m, v, u, k); break;
                WG_CASE(1) WG_CASE(2) WG_CASE(3) WG_CASE(4) WG_CASE(5) WG_CASE(6) WG_CASE(7)
                WG_CASE(8)
#undef WG_CASE
            default: break;
            }
            ptrdiff_t po = ((ptrdiff_t)n * j->OB + ob) * H * W * 16;
            __m512 b0 = j->b ? _mm512_loadu_ps(j->b + ob * 16) : _mm512_setzero_ps();
            for (int t = 0; t < nt; t++)
                wg_out(j->y + po, j->add ? j->add + po : NULL, m + t * 576, b0, j->relu, H, W,
                        4 * ty, 4 * (tx0 + t));
        }
    }
}


/* --- Winograd backward-weights ---------------------------------------------
 * The filter gradient of one 4×4 output tile is a 3×3 correlation of its
 * 6×6 input tile d with its 4×4 gradient tile e, which F(4×4, 3×3) run
 * backwards computes: dw = Gᵀ [(A e Aᵀ) ⊙ (Bᵀ d B)] G (the transpose of the
 * forward's y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A in g). The products are summed
 * over all tiles first and transformed back once, so the cost per tile is
 * the forward's input transform, a cheaper gradient transform and the same
 * 36 × 16 × 16 FMAs. */

/* o = A d: four vectors (a row or column of an output-gradient tile) to six. */
K16_INLINE void a46(__m512 o[6], const __m512 d[4])
{
    __m512 s02 = _mm512_add_ps(d[0], d[2]), s13 = _mm512_add_ps(d[1], d[3]);
    __m512 t02 = _mm512_fmadd_ps(d[2], _mm512_set1_ps(4.f), d[0]);
    __m512 t13 = _mm512_fmadd_ps(d[3], _mm512_set1_ps(4.f), d[1]);
    o[0] = d[0];
    o[1] = _mm512_add_ps(s02, s13);
    o[2] = _mm512_sub_ps(s02, s13);
    o[3] = _mm512_fmadd_ps(t13, _mm512_set1_ps(2.f), t02);
    o[4] = _mm512_fnmadd_ps(t13, _mm512_set1_ps(2.f), t02);
    o[5] = d[3];
}

/* g[36][16] = A dyt Aᵀ for the output-gradient tile at (oh0, ow0) of an
   image plane dy[H][W][16], zero past the edges; db += its pixels. */
K16_INLINE void wgb_dy(float *g, __m512 *db, const float *dy, int H, int W, int oh0, int ow0)
{
    _Alignas(64) float e[24 * 16];
    for (int i = 0; i < 4; i++) {
        __m512 d[4], o[6];
        for (int j = 0; j < 4; j++) {
            d[j] = oh0 + i < H && ow0 + j < W
                       ? _mm512_loadu_ps(dy + ((ptrdiff_t)(oh0 + i) * W + ow0 + j) * 16)
                       : _mm512_setzero_ps();
            *db = _mm512_add_ps(*db, d[j]);
        }
        a46(o, d);
        for (int b = 0; b < 6; b++) _mm512_store_ps(e + (i * 6 + b) * 16, o[b]);
    }
    for (int b = 0; b < 6; b++) {
        __m512 d[4], o[6];
        for (int i = 0; i < 4; i++) d[i] = _mm512_load_ps(e + (i * 6 + b) * 16);
        a46(o, d);
        for (int a = 0; a < 6; a++) _mm512_store_ps(g + (a * 6 + b) * 16, o[a]);
    }
}

/* acc[p][c][:] += Σ_t v[t][p][c] · g[t][p][:] over nt tiles: per point,
   16 accumulators (one per input channel) take the tile's transformed
   gradient vector times a broadcast transformed input value. */
K16_INLINE void wgb_gemm(float *acc, const float *v, const float *g, int nt)
{
    for (int p = 0; p < 36; p++) {
        __m512 a[16];
#pragma GCC unroll 16
        for (int c = 0; c < 16; c++) a[c] = _mm512_load_ps(acc + (p * 16 + c) * 16);
        for (int t = 0; t < nt; t++) {
            __m512 gv = _mm512_load_ps(g + (t * 36 + p) * 16);
            const float *vp = v + (t * 36 + p) * 16;
#pragma GCC unroll 16
            for (int c = 0; c < 16; c++) a[c] = _mm512_fmadd_ps(_mm512_set1_ps(vp[c]), gv, a[c]);
        }
#pragma GCC unroll 16
        for (int c = 0; c < 16; c++) _mm512_store_ps(acc + (p * 16 + c) * 16, a[c]);
    }
}

#define WGB_UNITS 16              /* partial sums aimed at, whatever the batch */
#define WGB_PART (36 * 256 + 16) /* floats per partial: 36 × 16 × 16 products, 16 bias sums */

/* How the batch is cut into units, each summing into its own partial: from
   WGB_UNITS images on, groups of *G images; below, each image's rows of
   tiles in *bands bands (as many as reach WGB_UNITS units, at most one per
   row of tiles), so small batches still spread over the threads. A function
   of the shape only, so the sums do not depend on the thread count. Returns
   the number of units. */
static int wgb_units(int N, int TH, int *G, int *bands)
{
    if (N >= WGB_UNITS) {
        *G = N / WGB_UNITS;
        *bands = 1;
        return (N + *G - 1) / *G;
    }
    *G = 1;
    *bands = (WGB_UNITS + N - 1) / N < TH ? (WGB_UNITS + N - 1) / N : TH;
    return N * *bands;
}

typedef struct wgb_job {
    float *part; /* [units][WGB_PART] */
    const float *x, *dy;
    int N, H, W;
} wgb_job;

/* Units are dealt out to the team in contiguous ranges. */
__attribute__((target("avx512f"))) static void wgb_part(void *user, int tid, int nth)
{
    const wgb_job *j = user;
    int H = j->H, W = j->W, TH = (H + 3) / 4, TW = (W + 3) / 4, ng = wg_groups(TW), G, bands;
    long u0, u1;
    ramp__nn_share(wgb_units(j->N, TH, &G, &bands), tid, nth, &u0, &u1);
    _Alignas(64) float v[WG_NT * 576], g[WG_NT * 576];
    for (int un = (int)u0; un < (int)u1; un++) {
        float *acc = j->part + (ptrdiff_t)un * WGB_PART;
        __m512 db = _mm512_setzero_ps();
        for (int k = 0; k < 36 * 256; k += 16) _mm512_store_ps(acc + k, _mm512_setzero_ps());
        /* images [n0, n1), rows of tiles [ty0, ty1) of each */
        int n0 = un / bands * G, n1 = n0 + G < j->N ? n0 + G : j->N, band = un % bands;
        int ty0 = TH * band / bands, ty1 = TH * (band + 1) / bands;
        for (int n = n0; n < n1; n++) {
            const float *img = j->x + (ptrdiff_t)n * H * W * 16;
            const float *dyi = j->dy + (ptrdiff_t)n * H * W * 16;
            for (int ty = ty0; ty < ty1; ty++)
                for (int gi = 0; gi < ng; gi++) {
                    int tx0, nt;
                    wg_group(TW, gi, &tx0, &nt);
                    for (int t = 0; t < nt; t++) {
                        wg_in(v + t * 576, img, H, W, 4 * ty - 1, 4 * (tx0 + t) - 1);
                        wgb_dy(g + t * 576, &db, dyi, H, W, 4 * ty, 4 * (tx0 + t));
                    }
                    wgb_gemm(acc, v, g, nt);
                }
        }
        _mm512_storeu_ps(acc + 36 * 256, db);
    }
}

/* dw[3][3][16 ic][16 oc] = Gᵀ (Σ partials, in unit order) G; db[16] = the
   partials' bias sums (if db). */
__attribute__((target("avx512f"))) static void wgb_finish(float *dw, float *db, const float *part,
                                                          int units)
{
    for (int c = 0; c < 16; c++) {
        __m512 m[36], t[3][6];
        for (int p = 0; p < 36; p++) {
            __m512 s = _mm512_load_ps(part + (p * 16 + c) * 16);
            for (int k = 1; k < units; k++)
                s = _mm512_add_ps(
                    s, _mm512_load_ps(part + (ptrdiff_t)k * WGB_PART + (p * 16 + c) * 16));
            m[p] = s;
        }
        for (int kh = 0; kh < 3; kh++)
            for (int b = 0; b < 6; b++) {
                __m512 s = _mm512_setzero_ps();
                for (int a = 0; a < 6; a++)
                    if (wg_G[a][kh] != 0.f)
                        s = _mm512_fmadd_ps(_mm512_set1_ps(wg_G[a][kh]), m[a * 6 + b], s);
                t[kh][b] = s;
            }
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++) {
                __m512 s = _mm512_setzero_ps();
                for (int b = 0; b < 6; b++)
                    if (wg_G[b][kw] != 0.f)
                        s = _mm512_fmadd_ps(_mm512_set1_ps(wg_G[b][kw]), t[kh][b], s);
                _mm512_storeu_ps(dw + (kh * 3 + kw) * 256 + c * 16, s);
            }
    }
    if (db) {
        __m512 s = _mm512_loadu_ps(part + 36 * 256);
        for (int k = 1; k < units; k++)
            s = _mm512_add_ps(s, _mm512_loadu_ps(part + (ptrdiff_t)k * WGB_PART + 36 * 256));
        _mm512_storeu_ps(db, s);
    }
}

/* Runs the convolution as Winograd if the image is at least 8×8 (on smaller
   ones, mostly edge tiles, the direct kernel is faster) and the transformed
   filters could be allocated; returns whether it did. */
static int wg_run(float *y, const float *x, const float *w, const float *b, const float *add,
                  int N, int O, int H, int W, int relu)
{
    if (H < 8 || W < 8) return 0;
    float *u = aligned_alloc(64, (size_t)O / 16 * 36 * 256 * sizeof(float));
    if (!u) return 0;
    wg_filters(u, w, O / 16);
    wg_job j = { y, x, u, b, add, N, O / 16, H, W, relu };
    ramp__nn_parallel(wg_part, &j);
    free(u);
    return 1;
}

#endif /* HAVE_K16 */

void ramp__conv3x3c16_fwd(float *y, const float *x, const float *w, const float *b, int N, int O,
                          int H, int W, int relu)
{
#if HAVE_K16
    if (wg_run(y, x, w, b, NULL, N, O, H, W, relu)) return;
    k16_job j = { y, x, w, b, NULL, N, O, H, W, relu };
    ramp__nn_parallel(k16_part, &j);
#else
    (void)y, (void)x, (void)w, (void)b, (void)N, (void)O, (void)H, (void)W, (void)relu;
#endif
}

/* The input gradient of a 3×3, stride-1, padding-1 convolution is the same
   convolution of the output gradient with each filter turned by 180° and the
   two channel axes swapped: wt[kh][kw][o][c] = w[c→o][2-kh][2-kw]. */
void ramp__conv3x3c16_flip(float *wt, const float *w)
{
    for (int kh = 0; kh < 3; kh++)
        for (int kw = 0; kw < 3; kw++)
            for (int o = 0; o < 16; o++)
                for (int c = 0; c < 16; c++)
                    wt[(kh * 3 + kw) * 256 + o * 16 + c] =
                        w[((2 - kh) * 3 + (2 - kw)) * 256 + c * 16 + o];
}

void ramp__conv3x3c16_bwd_data(float *dx, const float *dy, const float *wt, const float *add,
                               int N, int H, int W)
{
#if HAVE_K16
    if (wg_run(dx, dy, wt, NULL, add, N, 16, H, W, 0)) return;
    k16_job j = { dx, dy, wt, NULL, add, N, 16, H, W, 0 };
    ramp__nn_parallel(k16_part, &j);
#else
    (void)dx, (void)dy, (void)wt, (void)add, (void)N, (void)H, (void)W;
#endif
}

size_t ramp__conv3x3c16_bwd_weights_scratch(int N, int H, int W)
{
#if HAVE_K16
    if (N < 1 || H < 8 || W < 8 || !ramp__conv3x3c16_available()) return 0;
    int G, bands;
    return (size_t)wgb_units(N, (H + 3) / 4, &G, &bands) * WGB_PART;
#else
    (void)N, (void)H, (void)W;
    return 0;
#endif
}

void ramp__conv3x3c16_bwd_weights(float *dw, float *db, const float *x, const float *dy,
                                  float *scratch, int N, int H, int W)
{
#if HAVE_K16
    wgb_job j = { scratch, x, dy, N, H, W };
    ramp__nn_parallel(wgb_part, &j);
    int G, bands;
    wgb_finish(dw, db, scratch, wgb_units(N, (H + 3) / 4, &G, &bands));
#else
    (void)dw, (void)db, (void)x, (void)dy, (void)scratch, (void)N, (void)H, (void)W;
#endif
}
