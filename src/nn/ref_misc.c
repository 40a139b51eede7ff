/* ref_misc.c — reference kernels of the layers that import nets need beside
 * the classic ones: clip (ReLU6 is clip(0, 6)), the elementwise product of
 * two layers (squeeze-excitation scales a C×H×W map by C gates) and the
 * channel concatenation of two layers. Tensors N×C×H×W; backward functions
 * accumulate into every gradient they write. */
#include <string.h>

#include "nn/nnInt.h"

void ramp__ref_clip_fwd(float *y, const float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v < lo ? lo : v > hi ? hi : v;
    }
}

void ramp__ref_clip_bwd(float *dx, const float *dy, const float *y, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] > lo && y[i] < hi) dx[i] += dy[i];
}

void ramp__ref_mul_fwd(float *y, const float *a, const float *b, int N, int C, int HW, int HB)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *ap = a + nc * HW, *bp = b + nc * HB;
        float *yp = y + nc * HW;
        for (int i = 0; i < HW; i++) yp[i] = ap[i] * bp[HB == 1 ? 0 : i];
    }
}

void ramp__ref_mul_bwd(float *da, float *db, const float *dy, const float *a, const float *b,
                       int N, int C, int HW, int HB)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *ap = a + nc * HW, *bp = b + nc * HB, *dp = dy + nc * HW;
        if (da)
            for (int i = 0; i < HW; i++) da[nc * HW + i] += dp[i] * bp[HB == 1 ? 0 : i];
        if (db && HB == 1) { /* one gate for the plane: the sum over it */
            double s = 0;
            for (int i = 0; i < HW; i++) s += (double)dp[i] * ap[i];
            db[nc] += (float)s;
        } else if (db) {
            for (int i = 0; i < HW; i++) db[nc * HW + i] += dp[i] * ap[i];
        }
    }
}

void ramp__ref_concat_fwd(float *y, const float *a, const float *b, int N, int CA, int CB, int HW)
{
    size_t sa = (size_t)CA * HW, sb = (size_t)CB * HW;
    for (int n = 0; n < N; n++) {
        memcpy(y + n * (sa + sb), a + n * sa, sa * sizeof(float));
        memcpy(y + n * (sa + sb) + sa, b + n * sb, sb * sizeof(float));
    }
}

void ramp__ref_concat_bwd(float *da, float *db, const float *dy, int N, int CA, int CB, int HW)
{
    size_t sa = (size_t)CA * HW, sb = (size_t)CB * HW;
    for (int n = 0; n < N; n++) {
        const float *d = dy + n * (sa + sb);
        if (da)
            for (size_t i = 0; i < sa; i++) da[n * sa + i] += d[i];
        if (db)
            for (size_t i = 0; i < sb; i++) db[n * sb + i] += d[sa + i];
    }
}
