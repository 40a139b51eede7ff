/* bench_finetune.c — what a frozen trunk saves: training throughput of
 * ResNet-8 on 3×32×32 (batch 64, SGD with momentum, data in memory, oneDNN
 * backend) trained whole, then with its first layers frozen
 * (ramp_net_freeze_upto), in the same run. A frozen prefix computes no
 * gradient at all (neither its weights' nor its input's), so a frozen trunk
 * costs about its forward pass. Prints one line per setting with the median
 * of 3 runs and its ratio to the whole net's:
 *   FINETUNE frozen=<what> img_per_s=<x> ratio=<x / full>
 * and last the trunk frozen (statistics too) against the whole net:
 *   RATIO frozen_trunk_vs_full=<x>
 * Usage: bench_finetune [threads=0] [steps=30]. */
#include <stdio.h>
#include <stdlib.h>

#include "core/coreInt.h"
#include "ramp/nn.h"
#include "ramp/rng.h"
#include "resnet8.h"

#define BATCH 64

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* freeze: -1 nothing, else ramp_net_freeze_upto(block_end[freeze]) (3: up
   to the flatten, only the dense head trains); bn: statistics frozen too. */
static double run(const float *X, const int32_t *y, size_t n, int threads, int freeze, int bn)
{
    double runs[3];
    for (int rep = 0; rep < 3; rep++) {
        ramp_net *net = NULL;
        ramp_gen *g = NULL;
        int shape[3] = {3, 32, 32}, ends[3];
        runs[rep] = 0;
        if (ramp_net_new(
                &net,
                &(ramp_net_params){
                    .channels = 3, .height = 32, .width = 32, .seed = 1, .n_threads = threads},
                NULL))
            return 0;
        resnet8_build(net, ends);
        ramp_status st = RAMP_OK;
        if (freeze >= 0)
            st = ramp_net_freeze_upto(net, freeze < 3 ? ends[freeze] : ramp_net_last(net) - 1, 1);
        if (!st && bn) st = ramp_net_freeze_bn_stats(net, -1, 1);
        if (!st) st = ramp_gen_from_arrays(&g, X, y, n, 3, shape, 10, BATCH, 0, 0, NULL);
        ramp_fit_opts o = {.lr = 0.05f, .momentum = 0.9f};
        /* a warm-up epoch of 3 steps builds the primitives */
        if (!st) st = ramp_net_fit_generator(net, g, BATCH * 3, NULL, 0, &o);
        double t0 = ramp__now();
        if (!st) st = ramp_net_fit_generator(net, g, n, NULL, 0, &o);
        if (!st) runs[rep] = (double)n / (ramp__now() - t0);
        if (st) fprintf(stderr, "error: %s\n", ramp_net_errmsg(net));
        ramp_gen_free(g);
        ramp_net_free(net);
    }
    qsort(runs, 3, sizeof *runs, cmp);
    return runs[1];
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 0, steps = argc > 2 ? atoi(argv[2]) : 30;
    if (steps < 1) steps = 1;
    size_t n = (size_t)BATCH * (size_t)steps, ss = 3 * 32 * 32;
    float *X = malloc(n * ss * sizeof *X);
    int32_t *y = malloc(n * sizeof *y);
    if (!X || !y) return 1;
    ramp_rng r;
    ramp_rng_seed(&r, 1, 0);
    for (size_t i = 0; i < n * ss; i++)
        X[i] = (float)ramp_rng_uniform(&r);
    for (size_t i = 0; i < n; i++)
        y[i] = (int32_t)(i % 10);
    static const struct {
        const char *what;
        int freeze, bn;
    } cases[] = {{"none", -1, 0},
                 {"stem+block1", 0, 0},
                 {"stem+blocks1-2", 1, 0},
                 {"trunk(head only)", 3, 0},
                 {"trunk+bn_stats", 3, 1}};
    double full = 0, ips = 0;
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ips = run(X, y, n, threads, cases[c].freeze, cases[c].bn);
        if (c == 0) full = ips;
        bad |= ips == 0;
        printf("FINETUNE frozen=%s img_per_s=%.0f ratio=%.2f\n", cases[c].what, ips,
               full > 0 ? ips / full : 0);
        fflush(stdout);
    }
    printf("RATIO frozen_trunk_vs_full=%.2f\n", full > 0 ? ips / full : 0);
    free(X);
    free(y);
    return bad;
}
