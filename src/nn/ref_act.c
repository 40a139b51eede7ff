/* ref_act.c — reference elementwise activations and the dropout mask.
 * Backward uses the forward's output (as oneDNN's *_use_dst_for_bwd
 * algorithms do) except leaky ReLU, which reads the sign of x. Backward
 * accumulates into dx. */
#include <math.h>

#include "nn/nnInt.h"

void ramp__ref_act_fwd(float *y, const float *x, size_t n, ramp__op op, float alpha)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        switch (op) {
        case RAMP__OP_RELU: y[i] = v > 0 ? v : 0.f; break;
        case RAMP__OP_LRELU: y[i] = v > 0 ? v : alpha * v; break;
        case RAMP__OP_SIGMOID: y[i] = 1.f / (1.f + expf(-v)); break;
        case RAMP__OP_TANH: y[i] = tanhf(v); break;
        default: y[i] = v; break;
        }
    }
}

void ramp__ref_act_bwd(float *dx, const float *dy, const float *x, const float *y, size_t n,
                       ramp__op op, float alpha)
{
    for (size_t i = 0; i < n; i++) {
        float d = dy[i];
        switch (op) {
        case RAMP__OP_RELU: dx[i] += y[i] > 0 ? d : 0.f; break;
        case RAMP__OP_LRELU: dx[i] += x[i] > 0 ? d : alpha * d; break;
        case RAMP__OP_SIGMOID: dx[i] += d * y[i] * (1.f - y[i]); break;
        case RAMP__OP_TANH: dx[i] += d * (1.f - y[i] * y[i]); break;
        default: dx[i] += d; break;
        }
    }
}

void ramp__dropout_mask(float *mask, size_t n, float rate, ramp_rng *r)
{
    float keep = 1.f / (1.f - rate);
    for (size_t i = 0; i < n; i++) mask[i] = ramp_rng_uniform(r) < (double)rate ? 0.f : keep;
}
