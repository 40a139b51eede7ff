/* idx.h — (Fashion-)MNIST IDX files as floats for the benchmarks and the
 * training test (header-only, static functions), over the library's one
 * IDX reader (ramp__idx_read, src/data/idx.c). Images become floats in
 * [0, 1], N×1×28×28; labels int32. */
#ifndef RAMP_BENCH_IDX_H
#define RAMP_BENCH_IDX_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "data/dataInt.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Loads at most `max` items (0: all). Images: *X gets n×rows×cols floats;
   labels (X == NULL): *y gets n int32. Returns n, or 0 on error (printed on
   stderr, like the rest of a benchmark's failures). */
static size_t idx_load(const char *path, size_t max, float **X, int32_t **y)
{
    uint8_t *b = NULL;
    uint32_t n = 0;
    ramp_err err;
    if (ramp__idx_read(path, X ? 0x803 : 0x801, max, &b, &n, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    size_t total = X ? (size_t)n * 28 * 28 : n;
    float *xf = X ? malloc(total * sizeof *xf) : NULL;
    int32_t *yi = X ? NULL : malloc(total * sizeof *yi);
    if (!xf && !yi) {
        free(b);
        return 0;
    }
    for (size_t i = 0; i < total; i++) {
        if (xf) xf[i] = b[i] / 255.f;
        else yi[i] = b[i];
    }
    free(b);
    if (X) *X = xf;
    else *y = yi;
    return n;
}

#endif
