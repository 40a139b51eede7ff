/* ref_bn.c — reference batch normalisation over channels of N×C×HW tensors.
 * Training normalises with the batch's biased variance (as PyTorch and
 * oneDNN do) and reports mean and variance so the caller can update its
 * running statistics; inference uses given statistics (and so does training
 * with frozen statistics, whose backward treats them as constants:
 * ramp__ref_bn_bwd_global). Backward accumulates into dx, dgamma and dbeta.
 * Sums are in double. */
#include <math.h>

#include "nn/nnInt.h"

void ramp__ref_bn_fwd_train(float *y, float *mean, float *var, const float *x,
                            const float *gamma, const float *beta, int N, int C, int HW,
                            float eps)
{
    double cnt = (double)N * HW;
    for (int c = 0; c < C; c++) {
        double s = 0, s2 = 0;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) s += xc[i];
        }
        double mu = s / cnt;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) s2 += (xc[i] - mu) * (xc[i] - mu);
        }
        mean[c] = (float)mu;
        var[c] = (float)(s2 / cnt);
    }
    ramp__ref_bn_fwd_infer(y, x, gamma, beta, mean, var, N, C, HW, eps);
}

void ramp__ref_bn_fwd_infer(float *y, const float *x, const float *gamma, const float *beta,
                            const float *mean, const float *var, int N, int C, int HW, float eps)
{
    for (int c = 0; c < C; c++) {
        float is = 1.f / sqrtf(var[c] + eps);
        for (int n = 0; n < N; n++) {
            size_t off = ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++)
                y[off + i] = gamma[c] * (x[off + i] - mean[c]) * is + beta[c];
        }
    }
}

void ramp__ref_bn_bwd(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                      const float *gamma, const float *mean, const float *var, int N, int C,
                      int HW, float eps)
{
    double cnt = (double)N * HW;
    for (int c = 0; c < C; c++) {
        double is = 1.0 / sqrt((double)var[c] + eps);
        double sdy = 0, sdyx = 0;
        for (int n = 0; n < N; n++) {
            size_t off = ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                sdy += dy[off + i];
                sdyx += dy[off + i] * ((x[off + i] - mean[c]) * is);
            }
        }
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
        if (!dx) continue;
        for (int n = 0; n < N; n++) {
            size_t off = ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                double xh = (x[off + i] - mean[c]) * is;
                dx[off + i] += (float)(gamma[c] * is * (dy[off + i] - sdy / cnt - xh * sdyx / cnt));
            }
        }
    }
}

void ramp__ref_bn_bwd_global(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *x, const float *gamma, const float *mean,
                             const float *var, int N, int C, int HW, float eps)
{
    for (int c = 0; c < C; c++) {
        double is = 1.0 / sqrt((double)var[c] + eps), sdy = 0, sdyx = 0;
        for (int n = 0; n < N; n++) {
            size_t off = ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                sdy += dy[off + i];
                sdyx += dy[off + i] * ((x[off + i] - mean[c]) * is);
                if (dx) dx[off + i] += (float)(gamma[c] * is * dy[off + i]);
            }
        }
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
    }
}
