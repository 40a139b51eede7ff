/* bench_onnx.c — ramp_net_load_onnx of one model file, median of runs.
 *
 * usage: bench_onnx MODEL.onnx [runs]
 * Prints `ramp_onnx_import_s <seconds>` (the median; the first load, which
 * warms the page cache, is not counted) and the net's size. bench/onnx/
 * run.sh makes a ResNet-50-sized model and sets this against onnx.load.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ramp/nn.h"
#include "ramp/onnx.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_onnx MODEL.onnx [runs]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    if (runs < 1 || runs > 1000) runs = 7;
    double t[1000];
    ramp_net_params p = {.backend = RAMP_NN_DNNL};
    ramp_err err;
    for (int r = -1; r < runs; r++) {
        ramp_net *net;
        double t0 = now();
        if (ramp_net_load_onnx(&net, argv[1], &p, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double dt = now() - t0;
        if (r < 0)
            printf("layers %d, parameters %zu\n", ramp_net_n_layers(net), ramp_net_n_params(net));
        else
            t[r] = dt;
        ramp_net_free(net);
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    printf("ramp_onnx_import_s %.4f\n", t[runs / 2]);
    return 0;
}
