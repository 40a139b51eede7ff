/* loader_fixture.h — a folder of N PNGs whose pixels say which image they
 * are, for the loader's tests (test_loader.c, test_loader_hostmem.c):
 * image i has every byte = i % 251 and the first byte = i / 251, so a
 * transform can recover i; label i % n_classes. Include after cmocka.h. */
#ifndef RAMP_TEST_LOADER_FIXTURE_H
#define RAMP_TEST_LOADER_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ramp/image.h"
#include "ramp/loader.h"

typedef struct fixture {
    char dir[256];
    size_t n;
    char **paths;
    char **ids;
    int32_t *labels;
    ramp_samples s;
} fixture;

static void write_png(const char *path, int w, int h, int ch, uint8_t fill, uint8_t first)
{
    size_t stride = (size_t)w * (size_t)ch;
    uint8_t *px = malloc(stride * (size_t)h);
    assert_non_null(px);
    memset(px, fill, stride * (size_t)h);
    px[0] = first;
    uint8_t *enc = NULL;
    size_t len = 0;
    assert_int_equal(ramp_img_encode(&enc, &len, RAMP_FMT_PNG, px, w, h, ch, stride, 90, NULL), 0);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(enc, 1, len, f), len);
    fclose(f);
    free(enc);
    free(px);
}

static void fixture_make(fixture *f, size_t n, int side, int ch, int n_classes)
{
    snprintf(f->dir, sizeof f->dir, "loader_fixture_%d_%zu_%d", (int)getpid(), n, side);
    mkdir(f->dir, 0755);
    f->n = n;
    f->paths = calloc(n, sizeof *f->paths);
    f->ids = calloc(n, sizeof *f->ids);
    f->labels = calloc(n, sizeof *f->labels);
    for (size_t i = 0; i < n; i++) {
        char id[64], path[512];
        snprintf(id, sizeof id, "img_%05zu", i);
        snprintf(path, sizeof path, "%s/%s", f->dir, id);
        f->ids[i] = strdup(id);
        f->paths[i] = strdup(path);
        f->labels[i] = (int32_t)(i % (size_t)n_classes);
        write_png(path, side, side, ch, (uint8_t)(i % 251), (uint8_t)(i / 251));
    }
    f->s = (ramp_samples){.paths = (const char *const *)f->paths,
                          .ids = (const char *const *)f->ids,
                          .labels = f->labels,
                          .n = n,
                          .n_classes = n_classes};
}

static void fixture_free(fixture *f)
{
    for (size_t i = 0; i < f->n; i++) {
        remove(f->paths[i]);
        free(f->paths[i]);
        free(f->ids[i]);
    }
    rmdir(f->dir);
    free(f->paths);
    free(f->ids);
    free(f->labels);
}

#endif
