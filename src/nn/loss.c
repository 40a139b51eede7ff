/* loss.c — softmax cross-entropy with label smoothing, in plain C.
 * It is tiny next to the layers, so it is not handed to a backend: logits
 * come back in the plain N×K layout and the gradient goes out the same way.
 * Log-sum-exp is computed in double, shifted by the row maximum. Class
 * weights scale each row by its class's weight and the mean is over the
 * weights' sum (PyTorch's CrossEntropyLoss(weight=)). */
#include <math.h>

#include "nn/nnInt.h"

double ramp__softmax_xent(float *probs, float *dlogits, size_t *correct, const float *logits,
                          const int32_t *y, size_t n, int k, float ls, const float *w)
{
    double total = 0, wsum = 0;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) wsum += w && y ? (double)w[y[i]] : 1.0;
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * (size_t)k;
        int am = 0;
        for (int j = 1; j < k; j++)
            if (z[j] > z[am]) am = j;
        double m = z[am], s = 0;
        for (int j = 0; j < k; j++) s += exp((double)z[j] - m);
        double lse = m + log(s);
        int t = y ? y[i] : -1;
        if (t == am) ok++;
        double l = 0, wi = w && t >= 0 ? (double)w[t] : 1.0;
        for (int j = 0; j < k; j++) {
            double p = exp((double)z[j] - lse);
            double q = (j == t ? 1.0 - ls : 0.0) + (double)ls / k;
            l -= q * ((double)z[j] - lse);
            if (probs) probs[i * (size_t)k + j] = (float)p;
            if (dlogits)
                dlogits[i * (size_t)k + j] = wsum > 0 ? (float)(wi * (p - q) / wsum) : 0.f;
        }
        total += wi * l;
    }
    if (correct) *correct = ok;
    return wsum > 0 ? total / wsum : 0.0;
}
