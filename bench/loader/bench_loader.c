/* bench_loader.c — images/s of ramp's streaming loader over a kit, end to
 * end: file read, decode, preprocess and batching, on loader threads (the
 * same work bench_torch.py gives torchvision's DataLoader).
 *
 *   png: 28×28 gray PNG → gray → resize 32×32 → 1×32×32 float, /255, normalised
 *   jpg: 64×64 RGB JPEG → rgb → resize 32×32 → 3×32×32 float CHW, mean-subtracted
 *   photo: 500×375 RGB JPEG → rgb → resize the shorter side to 256 → random
 *          224×224 crop → random left↔right flip → 3×224×224 float CHW, /255,
 *          ImageNet mean/std (the usual ImageNet training transform)
 *
 * All of train.csv, shuffled each epoch, batch 64, chunk_size 1024 (photo: 256),
 * n_jobs 2.
 * First a warm-up over the first WARMUP images (0: a full epoch) on its own
 * generator, then EPOCHS timed epochs, each on a fresh generator (so thread
 * start and the first chunk's fill are inside the timing, as worker start-up
 * is on the PyTorch side). Prints one line per timed epoch and ends with
 *   ramp_loader_<mode> <images/s>     (the median of the timed epochs)
 *
 * usage: bench_loader DATA_DIR png|jpg|photo [EPOCHS [WARMUP [N_JOBS]]]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "ramp/dataset.h"
#include "ramp/loader.h"
#include "photo_transform.h"

static ramp_status tf_png(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_gray(pp, x);
    y = ramp_img_resize(pp, y, 32, 32);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, (const float[]){0.2860f},
                              (const float[]){0.3530f});
}

static ramp_status tf_jpg(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_rgb(pp, x);
    y = ramp_img_resize(pp, y, 32, 32);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW, (const float[]){123.68f, 116.779f, 103.939f},
                              NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Streams `n` samples (idx NULL: all, shuffled) through one fresh generator
   and returns the wall time, or -1. *check accumulates something from every
   batch so the consumer really reads the data. */
static double stream(ramp_gen_builder *gb, const uint32_t *idx, size_t n, double *check,
                     ramp_gen_stats *stats)
{
    ramp_gen *g = NULL;
    double t0 = ramp__now();
    if (ramp_gen_builder_subset(gb, idx, n, 64, 1, 1, &g)) {
        fprintf(stderr, "bench_loader: %s\n", ramp_gen_builder_errmsg(gb));
        return -1;
    }
    ramp_batch b;
    size_t seen = 0;
    do {
        if (ramp_gen_next(g, &b)) {
            fprintf(stderr, "bench_loader: %s\n", ramp_gen_errmsg(g));
            ramp_gen_free(g);
            return -1;
        }
        for (size_t i = 0; i < b.n; i++)
            *check += b.X[i * b.sample_size] + (double)b.y[i];
        seen += b.n;
    } while (!b.end_of_epoch);
    double dt = ramp__now() - t0;
    if (stats) *stats = ramp_gen_stats_of(g);
    ramp_gen_free(g);
    if (seen != n) {
        fprintf(stderr, "bench_loader: epoch gave %zu samples, expected %zu\n", seen, n);
        return -1;
    }
    return dt;
}

int main(int argc, char **argv)
{
    if (argc < 3 ||
        (strcmp(argv[2], "png") && strcmp(argv[2], "jpg") && strcmp(argv[2], "photo"))) {
        fprintf(stderr, "usage: bench_loader DATA_DIR png|jpg|photo [EPOCHS [WARMUP [N_JOBS]]]\n");
        return 2;
    }
    const char *dir = argv[1], *mode = argv[2];
    int epochs = argc > 3 ? atoi(argv[3]) : 1;
    long warmup = argc > 4 ? atol(argv[4]) : 4096;
    int n_jobs = argc > 5 ? atoi(argv[5]) : 2;
    if (epochs < 1 || epochs > 100 || warmup < 0 || n_jobs < 1) {
        fprintf(stderr, "bench_loader: bad EPOCHS, WARMUP or N_JOBS\n");
        return 2;
    }

    char *csv = ramp__path_join(dir, "train.csv");
    char *imgs = ramp__path_join(dir, "imgs");
    ramp_index *ix = NULL;
    ramp_err err;
    if (!csv || !imgs || ramp_index_load(&ix, csv, -1, 0, &err)) {
        fprintf(stderr, "bench_loader: %s\n", csv && imgs ? err.msg : "out of memory");
        return 1;
    }
    size_t n = ramp_index_n(ix);
    const char **paths = malloc(n * sizeof *paths);
    const char **ids = malloc(n * sizeof *ids);
    if (!paths || !ids) return 1;
    int n_classes = 0;
    const int32_t *labels = ramp_index_labels(ix);
    for (size_t i = 0; i < n; i++) {
        ids[i] = ramp_index_id(ix, i);
        paths[i] = ramp__path_join(imgs, ids[i]);
        if (!paths[i]) return 1;
        if (labels[i] + 1 > n_classes) n_classes = labels[i] + 1;
    }
    ramp_samples s = {.paths = paths, .ids = ids, .labels = labels, .n = n, .n_classes = n_classes};
    /* a photo sample is 588 KiB of floats: 256 a chunk keeps the two chunk
       buffers at 294 MiB */
    ramp_loader_opts o = {.chunk_size = strcmp(mode, "photo") ? 1024 : 256, .n_jobs = n_jobs, .seed = 1};
    ramp_gen_builder *gb = NULL;
    ramp_transform_fn tf = !strcmp(mode, "png") ? tf_png : !strcmp(mode, "jpg") ? tf_jpg : tf_photo;
    if (ramp_gen_builder_new(&gb, &s, tf, NULL, &o, &err)) {
        fprintf(stderr, "bench_loader: %s\n", err.msg);
        return 1;
    }

    double check = 0;
    /* warm-up: the first `warmup` images (page cache, allocator, code) */
    size_t nw = warmup == 0 || (size_t)warmup > n ? n : (size_t)warmup;
    uint32_t *wi = malloc(nw * sizeof *wi);
    if (!wi) return 1;
    for (size_t i = 0; i < nw; i++)
        wi[i] = (uint32_t)i;
    if (stream(gb, wi, nw, &check, NULL) < 0) return 1;
    free(wi);

    double *rates = malloc((size_t)epochs * sizeof *rates);
    if (!rates) return 1;
    for (int e = 0; e < epochs; e++) {
        ramp_gen_stats st;
        double dt = stream(gb, NULL, n, &check, &st);
        if (dt < 0) return 1;
        rates[e] = (double)n / dt;
        printf("# ramp %s epoch %d: %zu images in %.3f s = %.0f img/s (loader counter %.0f img/s, "
               "consumer waited %.3f s)\n",
               mode, e, n, dt, rates[e], st.images_per_s, st.stall_seconds);
    }
    qsort(rates, (size_t)epochs, sizeof *rates, cmp_double);
    printf("# check %.6g\n", check);
    printf("ramp_loader_%s %.0f\n", mode, rates[epochs / 2]);

    ramp_gen_builder_free(gb);
    ramp_index_free(ix);
    for (size_t i = 0; i < n; i++)
        free((void *)paths[i]);
    free(paths);
    free(ids);
    free(rates);
    free(csv);
    free(imgs);
    return 0;
}
