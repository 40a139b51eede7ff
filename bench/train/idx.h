/* idx.h — reads the gzipped big-endian IDX files of (Fashion-)MNIST with zlib,
 * for the benchmarks and the training test (header-only, static functions).
 * Images become floats in [0, 1], N×1×28×28; labels int32. */
#ifndef RAMP_BENCH_IDX_H
#define RAMP_BENCH_IDX_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

static int idx_read_u32(gzFile f, uint32_t *v)
{
    unsigned char b[4];
    if (gzread(f, b, 4) != 4) return -1;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* Loads at most `max` items (0: all). Images: *X gets n×rows×cols floats;
   labels (X == NULL): *y gets n int32. Returns n, or 0 on error. */
static size_t idx_load(const char *path, size_t max, float **X, int32_t **y)
{
    gzFile f = gzopen(path, "rb");
    if (!f) return 0;
    uint32_t magic = 0, n = 0, r = 1, c = 1;
    size_t got = 0;
    unsigned char *buf = NULL;
    if (idx_read_u32(f, &magic) || idx_read_u32(f, &n)) goto done;
    if (magic == 0x803 && (idx_read_u32(f, &r) || idx_read_u32(f, &c))) goto done;
    if ((magic != 0x803 || !X) && (magic != 0x801 || !y)) goto done;
    if (max && n > max) n = (uint32_t)max;
    size_t per = (size_t)r * c, total = per * n;
    buf = malloc(total ? total : 1);
    if (!buf || gzread(f, buf, (unsigned)total) != (int)total) goto done;
    if (magic == 0x803) {
        *X = malloc(total * sizeof(float));
        if (!*X) goto done;
        for (size_t i = 0; i < total; i++) (*X)[i] = buf[i] / 255.f;
    } else {
        *y = malloc(n * sizeof(int32_t));
        if (!*y) goto done;
        for (size_t i = 0; i < n; i++) (*y)[i] = buf[i];
    }
    got = n;
done:
    free(buf);
    gzclose(f);
    return got;
}

#endif
