/* cuda_kernels.h — the CUDA backend's own kernels (cuda_kernels.cu), for
 * what cuDNN and cuBLAS do not do in one call. Plain launchers on the
 * default stream: outputs first, then inputs, then sizes; tensors N×C×H×W
 * as the reference kernels'; every pointer is device memory. Backward
 * kernels ACCUMULATE (+=) into dx, da, db, as the reference kernels do,
 * except the bias gradient (overwritten: the backend table's contract for
 * parameters). Each returns 0 or the CUDA error of its launch. Plain C
 * types only: the C files include this header without CUDA's. */
#ifndef RAMP_CUDA_KERNELS_H
#define RAMP_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { RAMP__CK_RELU = 0, RAMP__CK_LRELU, RAMP__CK_SIGMOID, RAMP__CK_TANH, RAMP__CK_CLIP };

/* y = act(x) over n values; kind RAMP__CK_*, alpha the leaky slope or
   clip's low bound, beta clip's high bound. */
int ramp__cuda_act_fwd(float *y, const float *x, size_t n, int kind, float alpha, float beta);
/* dx += dact from dy and the forward's x, y. */
int ramp__cuda_act_bwd(float *dx, const float *dy, const float *x, const float *y, size_t n,
                       int kind, float alpha, float beta);
/* y[n] = a[n] + b[n] */
int ramp__cuda_add(float *y, const float *a, const float *b, size_t n);
/* dx[n] += dy[n] */
int ramp__cuda_acc(float *dx, const float *dy, size_t n);
/* y[n] = x[n]·m[n] (dropout, mask m); backward dx[n] += dy[n]·m[n] */
int ramp__cuda_mask_fwd(float *y, const float *x, const float *m, size_t n);
int ramp__cuda_mask_bwd(float *dx, const float *dy, const float *m, size_t n);
/* y[N,O] += b[O] */
int ramp__cuda_bias_rows(float *y, const float *b, int N, int O);
/* db[O] = Σ_n dy[n,O] (overwritten) */
int ramp__cuda_bias_grad(float *db, const float *dy, int N, int O);
/* y[N,C] = mean of x[N,C,HW] over HW; backward dx[N,C,HW] += dy[N,C] / HW */
int ramp__cuda_gap_fwd(float *y, const float *x, int N, int C, int HW);
int ramp__cuda_gap_bwd(float *dx, const float *dy, int N, int C, int HW);
/* y[N, CA+CB, HW] = a[N,CA,HW] then b[N,CB,HW]; backward accumulates each
   part of dy into da, db (either may be NULL) */
int ramp__cuda_concat_fwd(float *y, const float *a, const float *b, int N, int CA, int CB, int HW);
int ramp__cuda_concat_bwd(float *da, float *db, const float *dy, int N, int CA, int CB, int HW);
/* y[N,C,HW] = a[N,C,HW]·b[N,C,HB], HB = HW or 1 (b broadcast over the
   plane); backward da += dy·b, db += dy·a (summed over the plane when
   HB = 1; either may be NULL) */
int ramp__cuda_mul_fwd(float *y, const float *a, const float *b, int N, int C, int HW, int HB);
int ramp__cuda_mul_bwd(float *da, float *db, const float *dy, const float *a, const float *b,
                       int N, int C, int HW, int HB);

/* Batch norm's backward with constant statistics (frozen: the running
   mean and var), as ref_bn.c's: dx (may be NULL) += dy·γ/√(var + ε);
   dgamma = Σ dy·x̂, dbeta = Σ dy per channel (overwritten), sums in double,
   one thread per channel (deterministic). */
int ramp__cuda_bn_bwd_global(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *x, const float *gamma, const float *mean,
                             const float *var, int N, int C, int HW, float eps);

/* Upsampling by S (mode ramp_upsample_mode: 0 nearest, 1 bilinear with the
   half-pixel convention, as ref_resize.c): y[N,C,H·S,W·S] from x[N,C,H,W];
   backward dx += the gradient, gathered per input pixel (deterministic). */
int ramp__cuda_upsample_fwd(float *y, const float *x, int N, int C, int H, int W, int S, int mode);
int ramp__cuda_upsample_bwd(float *dx, const float *dy, int N, int C, int H, int W, int S,
                            int mode);

/* One optimiser step over a tensor's n values, optim.c's formulas with
   each operation rounded as the host's loop rounds it (no fused
   multiply-add). SGD: w, m (the momentum buffer; NULL when mu = 0), g;
   first: this step starts the buffer (m = d). */
int ramp__cuda_sgd(float *w, float *m, const float *g, size_t n, float lr, float wd, float mu,
                   int nesterov, int first);
/* Adam and AdamW: w = w·keep − a·u / (√v / sb2 + eps) with u, v the new
   moments of d = g + wdg·w; the caller computes a = lr / (1 − β1^t), sb2 =
   √(1 − β2^t), keep = 1 − lr·wd (AdamW, else 1), wdg = wd (Adam, else 0). */
int ramp__cuda_adam(float *w, float *m1, float *m2, const float *g, size_t n, float a, float sb2,
                    float keep, float wdg, float b1, float b2, float eps);
/* Batch norm's running statistics after a batch of one value per channel
   (cuda_bn.c): rmean = (1 − m)·rmean + m·mean, rvar = (1 − m)·rvar. */
int ramp__cuda_bn_one_value(float *rmean, float *rvar, const float *mean, int C, float m);

/* bfloat16 (RAMP_MATH_BF16; stored as uint16_t, the upper half of an fp32
   word). to_bf16: y[n] = x[n] rounded to nearest, ties to even (NaN stays
   NaN, quiet; what overflows becomes ±inf), as __float2bfloat16_rn.
   from_bf16: y[n] = x[n] exactly (acc 0) or y[n] += x[n] (acc 1). */
int ramp__cuda_to_bf16(uint16_t *y, const float *x, size_t n);
int ramp__cuda_from_bf16(float *y, const uint16_t *x, size_t n, int acc);

#ifdef __cplusplus
}
#endif
#endif
