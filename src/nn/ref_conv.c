/* ref_conv.c — reference 2-D convolution, forward and backward.
 *
 * Direct loops over N×C×H×W tensors, square kernels, symmetric zero padding,
 * groups (weights O×(C/G)×K×K as in PyTorch), dilation D (taps D pixels
 * apart: tap kh reads row oh·S − P + kh·D). Written for clarity, not
 * speed: it is the yardstick the oneDNN path is tested against. Backward
 * accumulates into dx, dw and db. */
#include "nn/nnInt.h"

int ramp__out_size(int in, int k, int s, int p)
{
    return (in + 2 * p - k) / s + 1;
}

int ramp__out_size_dil(int in, int k, int s, int p, int d)
{
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

void ramp__ref_conv_fwd(float *y, const float *x, const float *w, const float *b, int N, int C,
                        int H, int W, int O, int K, int S, int P, int G, int D)
{
    int OH = ramp__out_size_dil(H, K, S, P, D), OW = ramp__out_size_dil(W, K, S, P, D);
    int cg = C / G, og = O / G;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            int g = o / og;
            float *yo = y + ((size_t)n * O + o) * OH * OW;
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double acc = b ? b[o] : 0.0;
                    for (int ci = 0; ci < cg; ci++) {
                        const float *xc = x + ((size_t)n * C + g * cg + ci) * H * W;
                        const float *wk = w + ((size_t)o * cg + ci) * K * K;
                        for (int kh = 0; kh < K; kh++) {
                            int ih = oh * S - P + kh * D;
                            if (ih < 0 || ih >= H) continue;
                            for (int kw = 0; kw < K; kw++) {
                                int iw = ow * S - P + kw * D;
                                if (iw < 0 || iw >= W) continue;
                                acc += (double)xc[ih * W + iw] * wk[kh * K + kw];
                            }
                        }
                    }
                    yo[oh * OW + ow] = (float)acc;
                }
        }
}

void ramp__ref_conv_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, int N, int C, int H, int W, int O, int K, int S, int P,
                        int G, int D)
{
    int OH = ramp__out_size_dil(H, K, S, P, D), OW = ramp__out_size_dil(W, K, S, P, D);
    int cg = C / G, og = O / G;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            int g = o / og;
            const float *dyo = dy + ((size_t)n * O + o) * OH * OW;
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    float d = dyo[oh * OW + ow];
                    if (db) db[o] += d;
                    for (int ci = 0; ci < cg; ci++) {
                        size_t xoff = ((size_t)n * C + g * cg + ci) * H * W;
                        size_t woff = ((size_t)o * cg + ci) * K * K;
                        for (int kh = 0; kh < K; kh++) {
                            int ih = oh * S - P + kh * D;
                            if (ih < 0 || ih >= H) continue;
                            for (int kw = 0; kw < K; kw++) {
                                int iw = ow * S - P + kw * D;
                                if (iw < 0 || iw >= W) continue;
                                dw[woff + kh * K + kw] += d * x[xoff + ih * W + iw];
                                if (dx) dx[xoff + ih * W + iw] += d * w[woff + kh * K + kw];
                            }
                        }
                    }
                }
        }
}
