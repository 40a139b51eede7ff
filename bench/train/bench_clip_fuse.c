/* bench_clip_fuse.c — a ReLU6 (clip 0..6) fused into the conv before it
 * against the same clip run as its own layer (no_fuse), on three
 * MobileNetV2 inverted-residual blocks (1×1 conv 16→64, ReLU6, depthwise
 * 3×3, ReLU6, 1×1 conv 64→16, add) at 28×28, batch 32: one training step
 * (forward and backward) each, timed alternately, the median of the runs.
 * no_fuse also sums the adds out of place, a small part of the gap.
 *
 *     bench_clip_fuse [threads] [runs]    (defaults: 1 9)
 *
 * Two stems: a 3×3 conv from 3 channels (oneDNN then keeps blocked layouts
 * and its jit kernels, which take the clip as a post-op), and the blocks
 * straight on a plain 16-channel input (gemm-based kernels: there
 * dnnl_conv.c leaves the clip unfused, so both columns should match).
 * Prints per stem the two times and their ratio; the last line is
 *     TIME clip_fuse_jit_ratio=<unfused / fused>
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ramp/nn.h"

enum { N = 32, HW = 28, BLOCKS = 3, STEPS = 5 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static ramp_net *build(int stem3, int no_fuse, int threads)
{
    ramp_net *net = NULL;
    ramp_net_params p = { .channels = stem3 ? 3 : 16, .height = HW, .width = HW, .seed = 1,
                          .n_threads = threads, .no_fuse = no_fuse };
    if (ramp_net_new(&net, &p, NULL)) return NULL;
    if (stem3) ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = 1 });
    for (int b = 0; b < BLOCKS; b++) {
        int x = ramp_net_last(net);
        ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 64, .kernel = 1 });
        ramp_net_clip(net, 0.f, 6.f);
        ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 64, .kernel = 3, .padding = 1,
                                             .groups = 64 });
        ramp_net_clip(net, 0.f, 6.f);
        ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 1 });
        ramp_net_add(net, x);
    }
    ramp_net_global_avgpool(net);
    if (ramp_net_dense(net, &(ramp_dense){ .units = 10 })) {
        fprintf(stderr, "build: %s\n", ramp_net_errmsg(net));
        ramp_net_free(net);
        return NULL;
    }
    return net;
}

/* Seconds per training step over STEPS steps (after one to warm up). */
static double step_s(ramp_net *net, const float *X, const int32_t *y)
{
    double loss;
    if (ramp_net_forward_backward(net, X, y, N, 0.f, &loss)) return -1;
    double t0 = now();
    for (int i = 0; i < STEPS; i++)
        if (ramp_net_forward_backward(net, X, y, N, 0.f, &loss)) return -1;
    return (now() - t0) / STEPS;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1, runs = argc > 2 ? atoi(argv[2]) : 9;
    if (threads < 1 || runs < 1 || runs > 99) {
        fprintf(stderr, "usage: bench_clip_fuse [threads] [runs ≤ 99]\n");
        return 2;
    }
    float *X = malloc((size_t)N * 16 * HW * HW * sizeof(float));
    int32_t y[N];
    if (!X) return 1;
    for (size_t i = 0; i < (size_t)N * 16 * HW * HW; i++)
        X[i] = (float)((i * 7919) % 1000) / 1000.f - 0.5f;
    for (int i = 0; i < N; i++) y[i] = i % 10;
    double jit_ratio = 0;
    for (int stem3 = 1; stem3 >= 0; stem3--) {
        ramp_net *net[2] = { build(stem3, 0, threads), build(stem3, 1, threads) };
        if (!net[0] || !net[1]) return 1;
        double t[2][99];
        for (int r = 0; r < runs; r++)
            for (int k = 0; k < 2; k++) { /* alternate which goes first */
                int v = (r + k) % 2;
                if ((t[v][r] = step_s(net[v], X, y)) < 0) {
                    fprintf(stderr, "step: %s\n", ramp_net_errmsg(net[v]));
                    return 1;
                }
            }
        qsort(t[0], (size_t)runs, sizeof(double), cmp);
        qsort(t[1], (size_t)runs, sizeof(double), cmp);
        double fused = t[0][runs / 2], alone = t[1][runs / 2];
        printf("%-28s fused %7.2f ms  alone %7.2f ms  alone/fused %.2f\n",
               stem3 ? "3-channel stem (jit)" : "16-channel plain input", 1e3 * fused,
               1e3 * alone, alone / fused);
        if (stem3) jit_ratio = alone / fused;
        ramp_net_free(net[0]);
        ramp_net_free(net[1]);
    }
    printf("TIME clip_fuse_jit_ratio=%.3f\n", jit_ratio);
    free(X);
    return 0;
}
