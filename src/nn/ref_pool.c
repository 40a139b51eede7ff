/* ref_pool.c — reference max and average pooling, forward and backward.
 * Square windows, symmetric padding, floor output size (PyTorch's default).
 * Max pooling remembers the arg-max of each window for the backward pass
 * (oneDNN keeps the same thing in its workspace); average pooling divides by
 * K·K, padded zeros included. Backward accumulates into dx. */
#include <float.h>

#include "nn/nnInt.h"

void ramp__ref_maxpool_fwd(float *y, int32_t *arg, const float *x, int N, int C, int H, int W,
                           int K, int S, int P)
{
    int OH = ramp__out_size(H, K, S, P), OW = ramp__out_size(W, K, S, P);
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *xc = x + nc * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float m = -FLT_MAX;
                int32_t a = -1;
                for (int kh = 0; kh < K; kh++) {
                    int ih = oh * S - P + kh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < K; kw++) {
                        int iw = ow * S - P + kw;
                        if (iw < 0 || iw >= W) continue;
                        if (a < 0 || xc[ih * W + iw] > m) {
                            m = xc[ih * W + iw];
                            a = ih * W + iw;
                        }
                    }
                }
                y[nc * OH * OW + (size_t)oh * OW + ow] = a < 0 ? 0.f : m;
                arg[nc * OH * OW + (size_t)oh * OW + ow] = a;
            }
    }
}

void ramp__ref_maxpool_bwd(float *dx, const float *dy, const int32_t *arg, int N, int C, int H,
                           int W, int K, int S, int P)
{
    int OH = ramp__out_size(H, K, S, P), OW = ramp__out_size(W, K, S, P);
    for (size_t nc = 0; nc < (size_t)N * C; nc++)
        for (int i = 0; i < OH * OW; i++) {
            int32_t a = arg[nc * OH * OW + i];
            if (a >= 0) dx[nc * H * W + a] += dy[nc * OH * OW + i];
        }
}

void ramp__ref_avgpool_fwd(float *y, const float *x, int N, int C, int H, int W, int K, int S,
                           int P)
{
    int OH = ramp__out_size(H, K, S, P), OW = ramp__out_size(W, K, S, P);
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *xc = x + nc * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                double s = 0;
                for (int kh = 0; kh < K; kh++) {
                    int ih = oh * S - P + kh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < K; kw++) {
                        int iw = ow * S - P + kw;
                        if (iw >= 0 && iw < W) s += xc[ih * W + iw];
                    }
                }
                y[nc * OH * OW + (size_t)oh * OW + ow] = (float)(s / (K * K));
            }
    }
}

/* Global average pooling: y[n,c] = mean of x[n,c,:,:] (HW = H·W values). */
void ramp__ref_gap_fwd(float *y, const float *x, int N, int C, int HW)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        double s = 0;
        for (int i = 0; i < HW; i++) s += x[nc * HW + i];
        y[nc] = (float)(s / HW);
    }
}

/* dx[n,c,:,:] += dy[n,c] / HW (accumulates). */
void ramp__ref_gap_bwd(float *dx, const float *dy, int N, int C, int HW)
{
    float inv = 1.f / (float)HW;
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float d = dy[nc] * inv;
        for (int i = 0; i < HW; i++) dx[nc * HW + i] += d;
    }
}

void ramp__ref_avgpool_bwd(float *dx, const float *dy, int N, int C, int H, int W, int K, int S,
                           int P)
{
    int OH = ramp__out_size(H, K, S, P), OW = ramp__out_size(W, K, S, P);
    float inv = 1.f / (float)(K * K);
    for (size_t nc = 0; nc < (size_t)N * C; nc++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float d = dy[nc * OH * OW + (size_t)oh * OW + ow] * inv;
                for (int kh = 0; kh < K; kh++) {
                    int ih = oh * S - P + kh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < K; kw++) {
                        int iw = ow * S - P + kw;
                        if (iw >= 0 && iw < W) dx[nc * H * W + (size_t)ih * W + iw] += d;
                    }
                }
            }
}
