/* bn_stats.c — a batchnorm's batch mean and variance in one pass over a
 * 16-channel-blocked tensor.
 *
 * oneDNN 2.6's batchnorm forward reads its input three times in training:
 * once for the mean, once for the variance, once to normalise. Given the
 * statistics (dnnl_use_global_stats) it reads it once, so the oneDNN
 * backend computes them here, in one read, and hands them over. In one pass
 * the variance is E[(x - K)²] - E[x - K]², which loses digits when the mean
 * is far from K relative to the spread; K is each channel's first value, a
 * sample of the channel itself, so the difference stays of the order of the
 * spread. Sums run in float over blocks of 16 pixels and in double beyond.
 *
 * Each image's sums are kept apart and added in image order, so the result
 * does not depend on the thread count.
 */
#include <stddef.h>

#include "nn/nnInt.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_BN16 1
#else
#define HAVE_BN16 0
#endif

int ramp__bn_stats_available(void)
{
#if HAVE_BN16
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

#if HAVE_BN16

typedef struct bn_job {
    const float *x;
    double *part; /* [N][C][2]: Σ (x - K), Σ (x - K)² */
    int N, C, HW;
} bn_job;

/* Adds the two float vectors' 16 lanes into s[16] and q[16] in double. */
__attribute__((target("avx512f"))) static inline void flush16(double *s, double *q, __m512 vs,
                                                              __m512 vq)
{
    __m512d s0 = _mm512_cvtps_pd(_mm512_castps512_ps256(vs));
    __m512d s1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(vs), 1)));
    __m512d q0 = _mm512_cvtps_pd(_mm512_castps512_ps256(vq));
    __m512d q1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(vq), 1)));
    _mm512_storeu_pd(s, _mm512_add_pd(_mm512_loadu_pd(s), s0));
    _mm512_storeu_pd(s + 8, _mm512_add_pd(_mm512_loadu_pd(s + 8), s1));
    _mm512_storeu_pd(q, _mm512_add_pd(_mm512_loadu_pd(q), q0));
    _mm512_storeu_pd(q + 8, _mm512_add_pd(_mm512_loadu_pd(q + 8), q1));
}

/* Work items are (image, block of 16 channels). */
__attribute__((target("avx512f"))) static void bn_part(void *user, int tid, int nth)
{
    const bn_job *j = user;
    int CB = j->C / 16;
    long i0, i1;
    ramp__nn_share((long)j->N * CB, tid, nth, &i0, &i1);
    for (long it = i0; it < i1; it++) {
        int n = (int)(it / CB), cb = (int)(it % CB);
        const float *x = j->x + ((ptrdiff_t)n * CB + cb) * j->HW * 16;
        __m512 k = _mm512_loadu_ps(j->x + (ptrdiff_t)cb * j->HW * 16); /* image 0, pixel 0 */
        double s[16] = { 0 }, q[16] = { 0 };
        for (int p0 = 0; p0 < j->HW; p0 += 16) {
            int p1 = p0 + 16 < j->HW ? p0 + 16 : j->HW;
            __m512 vs = _mm512_setzero_ps(), vq = _mm512_setzero_ps();
            for (int p = p0; p < p1; p++) {
                __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + (ptrdiff_t)p * 16), k);
                vs = _mm512_add_ps(vs, d);
                vq = _mm512_fmadd_ps(d, d, vq);
            }
            flush16(s, q, vs, vq);
        }
        double *out = j->part + ((ptrdiff_t)n * j->C + cb * 16) * 2;
        for (int c = 0; c < 16; c++) {
            out[2 * c] = s[c];
            out[2 * c + 1] = q[c];
        }
    }
}

#endif /* HAVE_BN16 */

void ramp__bn_stats(float *mean, float *var, const float *x, int N, int C, int HW, double *part)
{
#if HAVE_BN16
    bn_job j = { x, part, N, C, HW };
    ramp__nn_parallel(bn_part, &j);
    double cnt = (double)N * HW;
    for (int c = 0; c < C; c++) {
        double s = 0, q = 0;
        for (int n = 0; n < N; n++) {
            s += part[((ptrdiff_t)n * C + c) * 2];
            q += part[((ptrdiff_t)n * C + c) * 2 + 1];
        }
        double m = s / cnt, v = q / cnt - m * m;
        mean[c] = (float)(x[(ptrdiff_t)(c / 16) * HW * 16 + c % 16] + m);
        var[c] = (float)(v < 0 ? 0 : v); /* rounding below 0; a NaN stays */
    }
#else
    (void)mean, (void)var, (void)x, (void)N, (void)C, (void)HW, (void)part;
#endif
}
