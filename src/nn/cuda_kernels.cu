/* cuda_kernels.cu — the CUDA backend's own kernels (cuda_kernels.h):
 * activations and clip, the add layer's sum, dropout's mask, bias rows and
 * bias gradients, global average pooling, concat, mul, batch norm's
 * backward with frozen statistics and its running statistics after a
 * one-value batch, upsampling (nearest, bilinear; the backward gathers per
 * input pixel), and the optimiser (SGD, Adam, AdamW: optim.c's formulas). fp32, one thread
 * per output value (grid-stride loops); reductions (bias gradient, the
 * pooled mean, mul's broadcast gradient) sum in a fixed order in one
 * thread, so results do not depend on the launch. No fast math: the expf
 * and tanhf the reference kernels use. The bf16 casts of RAMP_MATH_BF16
 * (cuda_conv.c, cuda_dense.c) are here too: cuda_bf16.h's round-to-nearest-
 * even conversion, uint16_t storage on the C side. */
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "nn/cuda_kernels.h"

static unsigned blocks(size_t n)
{
    size_t b = (n + 255) / 256;
    return (unsigned)(b > 65535 ? 65535 : b ? b : 1);
}

#define GRID_STRIDE(i, n)                                                                        \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (size_t)(n);              \
         i += (size_t)gridDim.x * blockDim.x)

static int launched(void)
{
    return (int)cudaGetLastError();
}

__global__ void act_fwd_k(float *y, const float *x, size_t n, int kind, float alpha, float beta)
{
    GRID_STRIDE(i, n)
    {
        float v = x[i];
        switch (kind) {
        case RAMP__CK_RELU: y[i] = v > 0.f ? v : 0.f; break;
        case RAMP__CK_LRELU: y[i] = v > 0.f ? v : alpha * v; break;
        case RAMP__CK_SIGMOID: y[i] = 1.f / (1.f + expf(-v)); break;
        case RAMP__CK_TANH: y[i] = tanhf(v); break;
        default: y[i] = fminf(fmaxf(v, alpha), beta); break;
        }
    }
}

__global__ void act_bwd_k(float *dx, const float *dy, const float *x, const float *y, size_t n,
                          int kind, float alpha, float beta)
{
    GRID_STRIDE(i, n)
    {
        float d = dy[i];
        switch (kind) {
        case RAMP__CK_RELU: dx[i] += y[i] > 0.f ? d : 0.f; break;
        case RAMP__CK_LRELU: dx[i] += x[i] > 0.f ? d : alpha * d; break;
        case RAMP__CK_SIGMOID: dx[i] += d * y[i] * (1.f - y[i]); break;
        case RAMP__CK_TANH: dx[i] += d * (1.f - y[i] * y[i]); break;
        default: dx[i] += (y[i] > alpha && y[i] < beta) ? d : 0.f; break;
        }
    }
}

__global__ void add_k(float *y, const float *a, const float *b, size_t n)
{
    GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}

__global__ void acc_k(float *dx, const float *dy, size_t n)
{
    GRID_STRIDE(i, n) dx[i] += dy[i];
}

__global__ void mask_fwd_k(float *y, const float *x, const float *m, size_t n)
{
    GRID_STRIDE(i, n) y[i] = x[i] * m[i];
}

__global__ void mask_bwd_k(float *dx, const float *dy, const float *m, size_t n)
{
    GRID_STRIDE(i, n) dx[i] += dy[i] * m[i];
}

__global__ void bias_rows_k(float *y, const float *b, size_t n, int O)
{
    GRID_STRIDE(i, n) y[i] += b[i % (size_t)O];
}

__global__ void bias_grad_k(float *db, const float *dy, int N, int O)
{
    GRID_STRIDE(o, O)
    {
        float s = 0.f;
        for (int r = 0; r < N; r++) s += dy[(size_t)r * O + o];
        db[o] = s;
    }
}

__global__ void gap_fwd_k(float *y, const float *x, size_t NC, int HW)
{
    GRID_STRIDE(i, NC)
    {
        const float *p = x + i * HW;
        float s = 0.f;
        for (int j = 0; j < HW; j++) s += p[j];
        y[i] = s / (float)HW;
    }
}

__global__ void gap_bwd_k(float *dx, const float *dy, size_t n, int HW)
{
    GRID_STRIDE(i, n) dx[i] += dy[i / HW] / (float)HW;
}

__global__ void concat_fwd_k(float *y, const float *a, const float *b, size_t n, int CA, int CB,
                             int HW)
{
    size_t per = (size_t)(CA + CB) * HW, pa = (size_t)CA * HW, pb = (size_t)CB * HW;
    GRID_STRIDE(i, n)
    {
        size_t s = i / per, r = i % per;
        y[i] = r < pa ? a[s * pa + r] : b[s * pb + (r - pa)];
    }
}

__global__ void concat_bwd_k(float *da, float *db, const float *dy, size_t n, int CA, int CB,
                             int HW)
{
    size_t per = (size_t)(CA + CB) * HW, pa = (size_t)CA * HW, pb = (size_t)CB * HW;
    GRID_STRIDE(i, n)
    {
        size_t s = i / per, r = i % per;
        if (r < pa) {
            if (da) da[s * pa + r] += dy[i];
        } else if (db) {
            db[s * pb + (r - pa)] += dy[i];
        }
    }
}

__global__ void mul_fwd_k(float *y, const float *a, const float *b, size_t n, int HW, int HB)
{
    GRID_STRIDE(i, n) y[i] = a[i] * (HB == 1 ? b[i / HW] : b[i]);
}

__global__ void mul_bwd_a_k(float *da, const float *dy, const float *b, size_t n, int HW, int HB)
{
    GRID_STRIDE(i, n) da[i] += dy[i] * (HB == 1 ? b[i / HW] : b[i]);
}

/* db[NC] += Σ over the plane of dy·a (HB = 1) */
__global__ void mul_bwd_b1_k(float *db, const float *dy, const float *a, size_t NC, int HW)
{
    GRID_STRIDE(i, NC)
    {
        float s = 0.f;
        for (int j = 0; j < HW; j++) s += dy[i * HW + j] * a[i * HW + j];
        db[i] += s;
    }
}

/* Bilinear source pair and the second's weight for output index o (as
   ref_resize.c's lin_src). */
__device__ static void lin_src(int o, int S, int n, int *i0, int *i1, float *t)
{
    double s = ((double)o + 0.5) / S - 0.5;
    if (s < 0) s = 0;
    int a = (int)s;
    if (a > n - 1) a = n - 1;
    *i0 = a;
    *i1 = a + 1 < n ? a + 1 : a;
    *t = (float)(s - a);
}

__global__ void upsample_fwd_k(float *y, const float *x, size_t n, int H, int W, int S, int mode)
{
    int OH = H * S, OW = W * S;
    GRID_STRIDE(i, n)
    {
        size_t p = i / ((size_t)OH * OW);
        int r = (int)(i % ((size_t)OH * OW)), oh = r / OW, ow = r % OW;
        const float *xp = x + p * H * W;
        if (mode == 0) {
            y[i] = xp[(oh / S) * W + ow / S];
            continue;
        }
        int h0, h1, w0, w1;
        float th, tw;
        lin_src(oh, S, H, &h0, &h1, &th);
        lin_src(ow, S, W, &w0, &w1, &tw);
        y[i] = (1 - th) * ((1 - tw) * xp[h0 * W + w0] + tw * xp[h0 * W + w1]) +
               th * ((1 - tw) * xp[h1 * W + w0] + tw * xp[h1 * W + w1]);
    }
}

/* The weight output index o gives input index j along an axis. */
__device__ static float lin_weight(int o, int j, int S, int n)
{
    int i0, i1;
    float t;
    lin_src(o, S, n, &i0, &i1, &t);
    return (i0 == j ? 1 - t : 0.f) + (i1 == j ? t : 0.f);
}

/* One thread per input pixel: the outputs whose taps reach it lie within
   two input pixels' worth of outputs around it. */
__global__ void upsample_bwd_k(float *dx, const float *dy, size_t n, int H, int W, int S, int mode)
{
    int OH = H * S, OW = W * S;
    GRID_STRIDE(i, n)
    {
        size_t p = i / ((size_t)H * W);
        int r = (int)(i % ((size_t)H * W)), ih = r / W, iw = r % W;
        const float *dyp = dy + p * OH * OW;
        float s = 0.f;
        if (mode == 0) {
            for (int a = 0; a < S; a++)
                for (int b = 0; b < S; b++) s += dyp[(ih * S + a) * OW + iw * S + b];
        } else {
            int h_lo = (ih - 1) * S > 0 ? (ih - 1) * S : 0, h_hi = (ih + 2) * S < OH ? (ih + 2) * S : OH;
            int w_lo = (iw - 1) * S > 0 ? (iw - 1) * S : 0, w_hi = (iw + 2) * S < OW ? (iw + 2) * S : OW;
            for (int oh = h_lo; oh < h_hi; oh++) {
                float wh = lin_weight(oh, ih, S, H);
                if (wh == 0.f) continue;
                for (int ow = w_lo; ow < w_hi; ow++) {
                    float ww = lin_weight(ow, iw, S, W);
                    if (ww != 0.f) s += dyp[oh * OW + ow] * wh * ww;
                }
            }
        }
        dx[i] += s;
    }
}

extern "C" int ramp__cuda_upsample_fwd(float *y, const float *x, int N, int C, int H, int W, int S,
                                       int mode)
{
    size_t n = (size_t)N * C * H * S * W * S;
    upsample_fwd_k<<<blocks(n), 256>>>(y, x, n, H, W, S, mode);
    return launched();
}

extern "C" int ramp__cuda_upsample_bwd(float *dx, const float *dy, int N, int C, int H, int W,
                                       int S, int mode)
{
    size_t n = (size_t)N * C * H * W;
    upsample_bwd_k<<<blocks(n), 256>>>(dx, dy, n, H, W, S, mode);
    return launched();
}

__global__ void bn_global_params_k(float *dgamma, float *dbeta, const float *dy, const float *x,
                                   const float *mean, const float *var, int N, int C, int HW,
                                   float eps)
{
    GRID_STRIDE(c, C)
    {
        double is = 1.0 / sqrt((double)var[c] + eps), sdy = 0, sdyx = 0;
        for (int n = 0; n < N; n++) {
            size_t off = ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                sdy += dy[off + i];
                sdyx += dy[off + i] * ((x[off + i] - mean[c]) * is);
            }
        }
        dgamma[c] = (float)sdyx;
        dbeta[c] = (float)sdy;
    }
}

__global__ void bn_global_dx_k(float *dx, const float *dy, const float *gamma, const float *var,
                               size_t n, int C, int HW, float eps)
{
    GRID_STRIDE(i, n)
    {
        int c = (int)(i / HW % C);
        double is = 1.0 / sqrt((double)var[c] + eps);
        dx[i] += (float)(gamma[c] * is * dy[i]);
    }
}

extern "C" int ramp__cuda_bn_bwd_global(float *dx, float *dgamma, float *dbeta, const float *dy,
                                        const float *x, const float *gamma, const float *mean,
                                        const float *var, int N, int C, int HW, float eps)
{
    bn_global_params_k<<<blocks((size_t)C), 256>>>(dgamma, dbeta, dy, x, mean, var, N, C, HW, eps);
    if (dx) {
        size_t n = (size_t)N * C * HW;
        bn_global_dx_k<<<blocks(n), 256>>>(dx, dy, gamma, var, n, C, HW, eps);
    }
    return launched();
}

extern "C" int ramp__cuda_act_fwd(float *y, const float *x, size_t n, int kind, float alpha,
                                  float beta)
{
    act_fwd_k<<<blocks(n), 256>>>(y, x, n, kind, alpha, beta);
    return launched();
}

extern "C" int ramp__cuda_act_bwd(float *dx, const float *dy, const float *x, const float *y,
                                  size_t n, int kind, float alpha, float beta)
{
    act_bwd_k<<<blocks(n), 256>>>(dx, dy, x, y, n, kind, alpha, beta);
    return launched();
}

extern "C" int ramp__cuda_add(float *y, const float *a, const float *b, size_t n)
{
    add_k<<<blocks(n), 256>>>(y, a, b, n);
    return launched();
}

extern "C" int ramp__cuda_acc(float *dx, const float *dy, size_t n)
{
    acc_k<<<blocks(n), 256>>>(dx, dy, n);
    return launched();
}

extern "C" int ramp__cuda_mask_fwd(float *y, const float *x, const float *m, size_t n)
{
    mask_fwd_k<<<blocks(n), 256>>>(y, x, m, n);
    return launched();
}

extern "C" int ramp__cuda_mask_bwd(float *dx, const float *dy, const float *m, size_t n)
{
    mask_bwd_k<<<blocks(n), 256>>>(dx, dy, m, n);
    return launched();
}

extern "C" int ramp__cuda_bias_rows(float *y, const float *b, int N, int O)
{
    size_t n = (size_t)N * O;
    bias_rows_k<<<blocks(n), 256>>>(y, b, n, O);
    return launched();
}

extern "C" int ramp__cuda_bias_grad(float *db, const float *dy, int N, int O)
{
    bias_grad_k<<<blocks((size_t)O), 256>>>(db, dy, N, O);
    return launched();
}

extern "C" int ramp__cuda_gap_fwd(float *y, const float *x, int N, int C, int HW)
{
    size_t nc = (size_t)N * C;
    gap_fwd_k<<<blocks(nc), 256>>>(y, x, nc, HW);
    return launched();
}

extern "C" int ramp__cuda_gap_bwd(float *dx, const float *dy, int N, int C, int HW)
{
    size_t n = (size_t)N * C * HW;
    gap_bwd_k<<<blocks(n), 256>>>(dx, dy, n, HW);
    return launched();
}

extern "C" int ramp__cuda_concat_fwd(float *y, const float *a, const float *b, int N, int CA,
                                     int CB, int HW)
{
    size_t n = (size_t)N * (CA + CB) * HW;
    concat_fwd_k<<<blocks(n), 256>>>(y, a, b, n, CA, CB, HW);
    return launched();
}

extern "C" int ramp__cuda_concat_bwd(float *da, float *db, const float *dy, int N, int CA, int CB,
                                     int HW)
{
    size_t n = (size_t)N * (CA + CB) * HW;
    concat_bwd_k<<<blocks(n), 256>>>(da, db, dy, n, CA, CB, HW);
    return launched();
}

extern "C" int ramp__cuda_mul_fwd(float *y, const float *a, const float *b, int N, int C, int HW,
                                  int HB)
{
    size_t n = (size_t)N * C * HW;
    mul_fwd_k<<<blocks(n), 256>>>(y, a, b, n, HW, HB);
    return launched();
}

extern "C" int ramp__cuda_mul_bwd(float *da, float *db, const float *dy, const float *a,
                                  const float *b, int N, int C, int HW, int HB)
{
    size_t n = (size_t)N * C * HW;
    if (da) mul_bwd_a_k<<<blocks(n), 256>>>(da, dy, b, n, HW, HB);
    if (db && HB == 1) {
        size_t nc = (size_t)N * C;
        mul_bwd_b1_k<<<blocks(nc), 256>>>(db, dy, a, nc, HW);
    } else if (db) {
        mul_bwd_a_k<<<blocks(n), 256>>>(db, dy, a, n, HW, HW); /* db += dy·a, elementwise */
    }
    return launched();
}

/* --- the optimiser (optim.c's formulas, operation for operation) ---------
   Every product and sum is rounded on its own (__fmul_rn, __fadd_rn: no
   fused multiply-add), and sqrtf and the division are IEEE, so a step gives
   the bits the host's loop gives. */

#define MUL(a, b) __fmul_rn(a, b)
#define ADD(a, b) __fadd_rn(a, b)
#define SUB(a, b) __fsub_rn(a, b)

__global__ void sgd_k(float *w, float *m, const float *g, size_t n, float lr, float wd, float mu,
                      int mode, float s)
{
    GRID_STRIDE(j, n)
    {
        float wj = w[j], d = ADD(g[j], MUL(wd, wj));
        switch (mode) {
        case 0: w[j] = SUB(wj, MUL(lr, d)); break; /* no momentum */
        case 1:                                    /* the first step: buf = d */
            m[j] = d;
            w[j] = SUB(wj, MUL(MUL(lr, s), d));
            break;
        case 2: { /* Nesterov */
            float b = ADD(MUL(mu, m[j]), d);
            m[j] = b;
            w[j] = SUB(wj, MUL(lr, ADD(d, MUL(mu, b))));
            break;
        }
        default: { /* heavy ball: (mu·buf + g) + wd·w, as the host sums it */
            float b = ADD(ADD(MUL(mu, m[j]), g[j]), MUL(wd, wj));
            m[j] = b;
            w[j] = SUB(wj, MUL(lr, b));
            break;
        }
        }
    }
}

__global__ void adam_k(float *w, float *m1, float *m2, const float *g, size_t n, float a,
                       float sb2, float keep, float wdg, float b1, float b2, float eps)
{
    float c1 = 1.f - b1, c2 = 1.f - b2;
    GRID_STRIDE(j, n)
    {
        float wj = w[j], d = ADD(g[j], MUL(wdg, wj));
        float u = ADD(MUL(b1, m1[j]), MUL(c1, d));
        float v = ADD(MUL(b2, m2[j]), MUL(MUL(c2, d), d));
        m1[j] = u;
        m2[j] = v;
        w[j] = SUB(MUL(wj, keep), __fdiv_rn(MUL(a, u), ADD(__fdiv_rn(__fsqrt_rn(v), sb2), eps)));
    }
}

__global__ void bn_one_value_k(float *rm, float *rv, const float *mean, int C, float m)
{
    float k = 1.f - m;
    GRID_STRIDE(j, C)
    {
        rm[j] = ADD(MUL(k, rm[j]), MUL(m, mean[j]));
        rv[j] = MUL(k, rv[j]);
    }
}

extern "C" int ramp__cuda_sgd(float *w, float *m, const float *g, size_t n, float lr, float wd,
                              float mu, int nesterov, int first)
{
    int mode = mu == 0.f ? 0 : first ? 1 : nesterov ? 2 : 3;
    sgd_k<<<blocks(n), 256>>>(w, m, g, n, lr, wd, mu, mode, nesterov ? 1.f + mu : 1.f);
    return launched();
}

extern "C" int ramp__cuda_adam(float *w, float *m1, float *m2, const float *g, size_t n, float a,
                               float sb2, float keep, float wdg, float b1, float b2, float eps)
{
    adam_k<<<blocks(n), 256>>>(w, m1, m2, g, n, a, sb2, keep, wdg, b1, b2, eps);
    return launched();
}

extern "C" int ramp__cuda_bn_one_value(float *rmean, float *rvar, const float *mean, int C,
                                       float m)
{
    bn_one_value_k<<<blocks((size_t)C), 256>>>(rmean, rvar, mean, C, m);
    return launched();
}

__global__ void to_bf16_k(__nv_bfloat16 *y, const float *x, size_t n)
{
    GRID_STRIDE(i, n) y[i] = __float2bfloat16_rn(x[i]);
}

__global__ void from_bf16_k(float *y, const __nv_bfloat16 *x, size_t n, int acc)
{
    if (acc) {
        GRID_STRIDE(i, n) y[i] += __bfloat162float(x[i]);
    } else {
        GRID_STRIDE(i, n) y[i] = __bfloat162float(x[i]);
    }
}

extern "C" int ramp__cuda_to_bf16(uint16_t *y, const float *x, size_t n)
{
    to_bf16_k<<<blocks(n), 256>>>(reinterpret_cast<__nv_bfloat16 *>(y), x, n);
    return launched();
}

extern "C" int ramp__cuda_from_bf16(float *y, const uint16_t *x, size_t n, int acc)
{
    from_bf16_k<<<blocks(n), 256>>>(y, reinterpret_cast<const __nv_bfloat16 *>(x), n, acc);
    return launched();
}
