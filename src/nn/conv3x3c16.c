/* conv3x3c16.c — 3×3 convolution, stride 1, padding 1, of 16 channels into
 * 16 (forward: into any multiple of 16), forward and backward-data, in
 * oneDNN's 16-channel-blocked layouts.
 *
 * Why it exists: oneDNN 2.6's direct forward kernel runs this shape (the
 * first stage of every CIFAR-style ResNet) a third slower than its own
 * backward-data kernel runs the same arithmetic: 1.72 ms against 1.27 ms for
 * 64×16×32×32 on two AVX-512 cores, because its blocking for one input block
 * degrades from 32 columns on (both of its kernels do from 56). This kernel
 * holds the library's best rate at every size (docs/engine.md has the
 * table), so the oneDNN backend runs it in place of the library's forward
 * and backward-data primitives where the layouts match (backend_dnnl.c:
 * conv_own_fwd); the library still runs backward-weights. Backward-data is
 * the same convolution of dy with the filters turned (ramp__conv3x3c16_flip),
 * and can add onto a gradient already in its output buffer.
 *
 * Layouts (oneDNN's names): src aBcd16b with C = 16, i.e. [N][H][W][16];
 * dst aBcd16b, [N][O/16][H][W][16]; weights ABcd16b16a,
 * [O/16][kh][kw][16 ic][16 oc]; bias [O]. One output row is cut into blocks
 * of at most 16 pixels; a block keeps its 16 pixels × 16 output channels in
 * 16 AVX-512 registers and adds, per tap and input channel, one weight vector
 * times the broadcast input value (144 FMAs per pixel and output block).
 * Block size and which image edge a block touches are compile-time constants
 * of each instance (block16), so the inner loops unroll without branches and
 * the padding costs nothing.
 *
 * Images (or, on small batches, bands of rows) are dealt out to the OpenMP
 * team, and each output value sums its products in the same order whatever
 * the thread count: the result does not depend on the threads.
 */
#include <stddef.h>

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

#endif /* HAVE_K16 */

void ramp__conv3x3c16_fwd(float *y, const float *x, const float *w, const float *b, int N, int O,
                          int H, int W, int relu)
{
#if HAVE_K16
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
    k16_job j = { dx, dy, wt, NULL, add, N, 16, H, W, 0 };
    ramp__nn_parallel(k16_part, &j);
#else
    (void)dx, (void)dy, (void)wt, (void)add, (void)N, (void)H, (void)W;
#endif
}
