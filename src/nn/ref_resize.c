/* ref_resize.c — reference upsampling (nearest, bilinear) and transposed
 * convolution, forward and backward, over N×C×H×W tensors.
 *
 * Upsampling by an integer factor S: nearest repeats x[i / S]; bilinear
 * follows the half-pixel convention (torch's align_corners=False): output
 * column ox reads source coordinate (ox + 0.5) / S − 0.5, clamped at 0,
 * between columns floor() and floor() + 1 (the last column where that is
 * past the edge). Backward scatters each output gradient back with the same
 * weights.
 *
 * The transposed convolution is the gradient of a convolution: input pixel
 * (ih, iw) adds x · w[c][o][kh][kw] to output pixel (ih·S − P + kh, iw·S −
 * P + kw), when that lies inside the output. Weights C×O×K×K (PyTorch's
 * ConvTranspose2d layout). Backward accumulates into dx, dw and db. */
#include "nn/nnInt.h"

/* Source index pair and weight of the second, for output index o of a
   bilinear upsampling by S of an axis of n values. */
static void lin_src(int o, int S, int n, int *i0, int *i1, float *t)
{
    double s = ((double)o + 0.5) / S - 0.5;
    if (s < 0) s = 0;
    int a = (int)s;
    if (a > n - 1) a = n - 1;
    *i0 = a;
    *i1 = a + 1 < n ? a + 1 : a;
    *t = (float)(s - a);
}

void ramp__ref_upsample_fwd(float *y, const float *x, int N, int C, int H, int W, int S, int mode)
{
    int OH = H * S, OW = W * S;
    for (size_t p = 0; p < (size_t)N * C; p++) {
        const float *xp = x + p * H * W;
        float *yp = y + p * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                if (mode == RAMP_UPSAMPLE_NEAREST) {
                    yp[oh * OW + ow] = xp[(oh / S) * W + ow / S];
                    continue;
                }
                int h0, h1, w0, w1;
                float th, tw;
                lin_src(oh, S, H, &h0, &h1, &th);
                lin_src(ow, S, W, &w0, &w1, &tw);
                yp[oh * OW + ow] = (1 - th) * ((1 - tw) * xp[h0 * W + w0] + tw * xp[h0 * W + w1]) +
                                   th * ((1 - tw) * xp[h1 * W + w0] + tw * xp[h1 * W + w1]);
            }
    }
}

void ramp__ref_upsample_bwd(float *dx, const float *dy, int N, int C, int H, int W, int S, int mode)
{
    int OH = H * S, OW = W * S;
    for (size_t p = 0; p < (size_t)N * C; p++) {
        float *dxp = dx + p * H * W;
        const float *dyp = dy + p * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float g = dyp[oh * OW + ow];
                if (mode == RAMP_UPSAMPLE_NEAREST) {
                    dxp[(oh / S) * W + ow / S] += g;
                    continue;
                }
                int h0, h1, w0, w1;
                float th, tw;
                lin_src(oh, S, H, &h0, &h1, &th);
                lin_src(ow, S, W, &w0, &w1, &tw);
                dxp[h0 * W + w0] += g * (1 - th) * (1 - tw);
                dxp[h0 * W + w1] += g * (1 - th) * tw;
                dxp[h1 * W + w0] += g * th * (1 - tw);
                dxp[h1 * W + w1] += g * th * tw;
            }
    }
}

void ramp__ref_deconv_fwd(float *y, const float *x, const float *w, const float *b, int N, int C,
                          int H, int W, int O, int OH, int OW, int K, int S, int P)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            float *yo = y + ((size_t)n * O + o) * OH * OW;
            for (int i = 0; i < OH * OW; i++)
                yo[i] = b ? b[o] : 0.f;
            for (int c = 0; c < C; c++) {
                const float *xc = x + ((size_t)n * C + c) * H * W;
                const float *wk = w + ((size_t)c * O + o) * K * K;
                for (int ih = 0; ih < H; ih++)
                    for (int iw = 0; iw < W; iw++) {
                        float v = xc[ih * W + iw];
                        for (int kh = 0; kh < K; kh++) {
                            int oh = ih * S - P + kh;
                            if (oh < 0 || oh >= OH) continue;
                            for (int kw = 0; kw < K; kw++) {
                                int ow = iw * S - P + kw;
                                if (ow < 0 || ow >= OW) continue;
                                yo[oh * OW + ow] += v * wk[kh * K + kw];
                            }
                        }
                    }
            }
        }
}

void ramp__ref_deconv_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                          const float *w, int N, int C, int H, int W, int O, int OH, int OW, int K,
                          int S, int P)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            const float *dyo = dy + ((size_t)n * O + o) * OH * OW;
            if (db)
                for (int i = 0; i < OH * OW; i++)
                    db[o] += dyo[i];
            for (int c = 0; c < C; c++) {
                size_t xoff = ((size_t)n * C + c) * H * W, woff = ((size_t)c * O + o) * K * K;
                for (int ih = 0; ih < H; ih++)
                    for (int iw = 0; iw < W; iw++) {
                        double gx = 0;
                        float v = x[xoff + ih * W + iw];
                        for (int kh = 0; kh < K; kh++) {
                            int oh = ih * S - P + kh;
                            if (oh < 0 || oh >= OH) continue;
                            for (int kw = 0; kw < K; kw++) {
                                int ow = iw * S - P + kw;
                                if (ow < 0 || ow >= OW) continue;
                                float g = dyo[oh * OW + ow];
                                dw[woff + kh * K + kw] += g * v;
                                gx += (double)g * w[woff + kh * K + kw];
                            }
                        }
                        if (dx) dx[xoff + ih * W + iw] += (float)gx;
                    }
            }
        }
}
