/* bench_gpu.c — the engine's training throughput on a device, for
 * bench/gpu/run.sh (beside PyTorch on the same GPU, bench_torch_gpu.py):
 * the reference CNN (1×28×28), ResNet-8 (3×32×32) and ResNet-18
 * (3×224×224, 1000 classes), batch B, SGD with momentum, random data
 * already in memory (the loader is measured apart). One warm-up epoch of
 * `warm` steps, then `steps` timed steps; the median of 3 runs.
 *
 *     bench_gpu DEVICE [steps=20] [batch=64] [models=refcnn,resnet8,resnet18] [math=fp32]
 *
 * DEVICE is cuda (what the bench is for) or cpu (a smoke run); math is
 * ramp_net_params.math (fp32, tf32 or bf16: see docs/engine.md "Math").
 * Prints ENGINE model=<m> device=<d> batch=<B> img_per_s=<x> math=<m>, or
 * SKIP model=<m> why=<...> when the device cannot run it (a machine
 * without GPU: ramp_net_new says why). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ramp/gen.h"
#include "ramp/nn.h"
#include "../train/refcnn.h"
#include "../train/resnet8.h"
#include "resnet224.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void build_resnet18(ramp_net *net) { resnet18_build(net, 1000); }
static void build_refcnn(ramp_net *net) { refcnn_build(net, 10); }
static void build_resnet8(ramp_net *net) { resnet8_build(net, NULL); }

typedef struct model {
    const char *name;
    int c, hw, classes;
    void (*build)(ramp_net *);
} model;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run: img/s of `steps` timed steps, or -1 with the reason printed. */
static double run_once(const model *m, ramp_device dev, ramp_math math, int steps, size_t bs,
                       const float *X, const int32_t *y, size_t n_data)
{
    ramp_net *net = NULL;
    ramp_err err = {RAMP_OK, ""};
    if (ramp_net_new(&net,
                     &(ramp_net_params){.channels = m->c, .height = m->hw, .width = m->hw,
                                        .seed = 1, .device = dev, .math = math},
                     &err)) {
        printf("SKIP model=%s why=\"%s\"\n", m->name, err.msg);
        return -1;
    }
    m->build(net);
    int shape[3] = {m->c, m->hw, m->hw};
    ramp_gen *g = NULL;
    ramp_status st = ramp_gen_from_arrays(&g, X, y, n_data, 3, shape, m->classes, bs, 0, 0, &err);
    ramp_fit_opts fo = {.lr = 0.01f, .momentum = 0.9f};
    /* warm-up: plans, algorithms, allocations */
    if (!st) st = ramp_net_fit_generator(net, g, n_data, NULL, 0, &fo);
    double t0 = now();
    size_t done = 0;
    while (!st && done < (size_t)steps * bs) {
        st = ramp_net_fit_generator(net, g, n_data, NULL, 0, &fo);
        done += n_data;
    }
    double dt = now() - t0;
    if (st) printf("SKIP model=%s why=\"%s\"\n", m->name, ramp_net_errmsg(net));
    ramp_gen_free(g);
    ramp_net_free(net);
    return st ? -1 : (double)done / dt;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_gpu cuda|cpu [steps] [batch] [models] [fp32|tf32|bf16]\n");
        return 2;
    }
    ramp_device dev = RAMP_DEVICE_CPU;
    if (ramp_device_parse(argv[1], &dev) != RAMP_OK || dev == RAMP_DEVICE_AUTO) {
        fprintf(stderr, "bench_gpu: device '%s': cuda or cpu\n", argv[1]);
        return 2;
    }
    int steps = argc > 2 ? atoi(argv[2]) : 20;
    size_t bs = argc > 3 ? (size_t)atoi(argv[3]) : 64;
    const char *which = argc > 4 ? argv[4] : "refcnn,resnet8,resnet18";
    ramp_math math = RAMP_MATH_FP32;
    if (argc > 5 && ramp_math_parse(argv[5], &math) != RAMP_OK) {
        fprintf(stderr, "bench_gpu: math '%s': fp32, tf32 or bf16\n", argv[5]);
        return 2;
    }
    if (steps < 1 || bs < 1) return 2;
    static const model models[] = {{"refcnn", 1, 28, 10, build_refcnn},
                                   {"resnet8", 3, 32, 10, build_resnet8},
                                   {"resnet18", 3, 224, 1000, build_resnet18}};
    for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
        const model *m = &models[k];
        if (!strstr(which, m->name)) continue;
        /* four batches of data, reused: 224² images are 0.6 MB each */
        size_t n_data = 4 * bs, per = (size_t)m->c * m->hw * m->hw;
        float *X = malloc(n_data * per * sizeof *X);
        int32_t *y = malloc(n_data * sizeof *y);
        if (!X || !y) {
            free(X);
            free(y);
            fprintf(stderr, "bench_gpu: out of memory\n");
            return 1;
        }
        unsigned s = 12345;
        for (size_t i = 0; i < n_data * per; i++) {
            s = s * 1103515245u + 12345u;
            X[i] = (float)((s >> 8) & 0xFFFF) / 65536.0f;
        }
        for (size_t i = 0; i < n_data; i++) y[i] = (int32_t)(i % (size_t)m->classes);
        double r[3];
        int ok = 1;
        for (int t = 0; t < 3 && ok; t++)
            ok = (r[t] = run_once(m, dev, math, steps, bs, X, y, n_data)) > 0;
        if (ok) {
            qsort(r, 3, sizeof *r, cmp_double);
            printf("ENGINE model=%s device=%s batch=%zu img_per_s=%.1f math=%s\n", m->name,
                   ramp_device_name(dev), bs, r[1], ramp_math_name(math));
        }
        fflush(stdout);
        free(X);
        free(y);
    }
    return 0;
}
