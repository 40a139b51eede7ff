/* bench_train.c — training throughput of the engine (oneDNN backend), data in
 * memory: the reference CNN on 1×28×28 and ResNet-8 on 3×32×32, batch 64, SGD
 * with momentum. Prints one line per model with the median of 3 runs:
 *   ENGINE model=refcnn img_per_s=<x>
 * Usage: bench_train [threads=2] [steps=40]. run.sh compares with PyTorch. */
#include <stdio.h>
#include <stdlib.h>

#include "core/coreInt.h"
#include "ramp/nn.h"
#include "ramp/rng.h"

static void refcnn(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 64, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 128 });
    ramp_net_relu(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 10 });
}

static void conv_bn(ramp_net *net, int f, int k, int s, int relu)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = f, .kernel = k, .stride = s,
                                         .padding = k / 2, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    if (relu) ramp_net_relu(net);
}

/* ResNet-8: stem conv 16, three basic blocks (16, 32/2, 64/2) with 1×1
   projection shortcuts where the shape changes, GAP, dense 10. */
static void resnet8(ramp_net *net)
{
    conv_bn(net, 16, 3, 1, 1);
    int f[3] = { 16, 32, 64 };
    for (int b = 0; b < 3; b++) {
        int in = ramp_net_last(net), s = b ? 2 : 1;
        conv_bn(net, f[b], 3, s, 1);
        conv_bn(net, f[b], 3, 1, 0);
        int main_out = ramp_net_last(net), sc = in;
        if (b) {
            ramp_net_from(net, in);
            conv_bn(net, f[b], 1, 2, 0);
            sc = ramp_net_last(net);
            ramp_net_from(net, main_out);
        }
        ramp_net_add(net, sc);
        ramp_net_relu(net);
    }
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 10 });
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double bench(const char *name, int c, int hw, void (*build)(ramp_net *), int threads,
                    int steps)
{
    size_t bs = 64, n = bs * (size_t)steps;
    size_t ss = (size_t)c * hw * hw;
    float *X = malloc(n * ss * sizeof(float));
    int32_t *y = malloc(n * sizeof(int32_t));
    if (!X || !y) return 0;
    ramp_rng r;
    ramp_rng_seed(&r, 1, 0);
    for (size_t i = 0; i < n * ss; i++) X[i] = (float)ramp_rng_uniform(&r);
    for (size_t i = 0; i < n; i++) y[i] = (int32_t)(i % 10);
    double runs[3];
    for (int rep = 0; rep < 3; rep++) {
        ramp_net *net = NULL;
        ramp_gen *g = NULL;
        int shape[3] = { c, hw, hw };
        if (ramp_net_new(&(ramp_net_params){ .channels = c, .height = hw, .width = hw, .seed = 1,
                                             .n_threads = threads }, &net, NULL))
            return 0;
        build(net);
        ramp_status st = ramp_gen_from_arrays(X, y, n, 3, shape, 10, bs, 0, 0, &g);
        /* warm-up epoch of 3 steps builds the primitives */
        if (!st) st = ramp_net_fit_generator(net, g, bs * 3, NULL, 0,
                                             &(ramp_fit_opts){ .lr = 0.01f, .momentum = 0.9f });
        double t0 = ramp__now();
        if (!st) st = ramp_net_fit_generator(net, g, n, NULL, 0,
                                             &(ramp_fit_opts){ .lr = 0.01f, .momentum = 0.9f });
        runs[rep] = st ? 0 : (double)n / (ramp__now() - t0);
        if (st) fprintf(stderr, "%s: %s\n", name, ramp_net_errmsg(net));
        ramp_gen_free(g);
        ramp_net_free(net);
    }
    qsort(runs, 3, sizeof *runs, cmp);
    printf("ENGINE model=%s img_per_s=%.0f (runs %.0f %.0f %.0f)\n", name, runs[1], runs[0],
           runs[1], runs[2]);
    fflush(stdout);
    free(X);
    free(y);
    return runs[1];
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2, steps = argc > 2 ? atoi(argv[2]) : 40;
    bench("refcnn", 1, 28, refcnn, threads, steps);
    bench("resnet", 3, 32, resnet8, threads, steps);
    return 0;
}
