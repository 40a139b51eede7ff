/* ref_dense.c — reference fully connected layer, forward and backward.
 * x is N×I (a 3-D input is read flat in C,H,W order), w is O×I as in
 * PyTorch's nn.Linear. Backward accumulates into dx, dw and db. */
#include "nn/nnInt.h"

void ramp__ref_dense_fwd(float *y, const float *x, const float *w, const float *b, int N, int I,
                         int O)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            double acc = b ? b[o] : 0.0;
            const float *xr = x + (size_t)n * I, *wr = w + (size_t)o * I;
            for (int i = 0; i < I; i++) acc += (double)xr[i] * wr[i];
            y[(size_t)n * O + o] = (float)acc;
        }
}

void ramp__ref_dense_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                         const float *w, int N, int I, int O)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            float d = dy[(size_t)n * O + o];
            if (db) db[o] += d;
            const float *xr = x + (size_t)n * I, *wr = w + (size_t)o * I;
            float *dwr = dw + (size_t)o * I;
            for (int i = 0; i < I; i++) dwr[i] += d * xr[i];
            if (dx) {
                float *dxr = dx + (size_t)n * I;
                for (int i = 0; i < I; i++) dxr[i] += d * wr[i];
            }
        }
}
