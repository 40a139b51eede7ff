/* bench_transfer.c — does pretraining help? The transfer experiment of
 * docs/pretrained.md, on Fashion-MNIST:
 *
 *   bench_transfer pretrain OUT.onnx [epochs=6] [threads=0]
 *       trains the small CNN below on the training images of classes 0–4
 *       (about 30,000) and exports it as ONNX;
 *   bench_transfer compare IN.onnx [seeds=3] [n_train=1000] [threads=0] [mult=1]
 *       for each seed, draws n_train training images of classes 5–9 and
 *       trains two networks of the same shape on them: one imported from
 *       IN.onnx with a new head (trunk and batchnorm statistics frozen
 *       while the head trains, then all of it fine-tuned, the trunk's rate
 *       times `mult`), and one from scratch for as many epochs; both are tested on the 5,000 test
 *       images of classes 5–9. Prints each seed, the means, and
 *       `RATIO transfer_acc_vs_scratch=<mean transfer / mean scratch>`.
 *
 * BENCH_VERBOSE=1 prints every epoch.
 *
 * Images are scaled to [0, 1] and standardised as the kit's preprocessors
 * do (mean 0.2860, sd 0.3530), so the pretrained file serves the kit's
 * `transfer` submission as it is.
 *
 * The network (names in quotes are the layers' names, kept in the ONNX file):
 *   conv 3×3 32 → BN → ReLU → max-pool 2 → conv 3×3 64 → BN → ReLU →
 *   max-pool 2 → conv 3×3 128 → BN → ReLU → global average "features" →
 *   dense 5 "head". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../train/idx.h"
#include "core/coreInt.h"
#include "ramp/nn.h"
#include "ramp/onnx.h"
#include "ramp/rng.h"

#define HEAD_EPOCHS 2
#define TUNE_EPOCHS 18
#define BATCH 64

typedef struct split {
    float *X;
    int32_t *y;
    size_t n;
} split;

/* Builds the trunk and a head of k classes on an empty net. */
static ramp_status build(ramp_net *net, int k)
{
    const int widths[3] = { 32, 64, 128 };
    for (int i = 0; i < 3; i++) {
        ramp_net_conv2d(net, &(ramp_conv2d){ .filters = widths[i], .kernel = 3, .padding = 1,
                                             .no_bias = i > 0 });
        ramp_net_batchnorm(net, 0.1f, 1e-5f);
        ramp_net_relu(net);
        if (i < 2) ramp_net_maxpool(net, 2, 2, 0);
    }
    ramp_net_global_avgpool(net);
    ramp_net_set_name(net, ramp_net_last(net), "features");
    ramp_net_dense(net, &(ramp_dense){ .units = k });
    return ramp_net_set_name(net, ramp_net_last(net), "head");
}

/* The images of classes [lo, lo + 5), relabelled 0–4; at most `max` of
   them (0: all), drawn at random with `seed` when fewer are kept. */
static int pick(split *out, const float *X, const int32_t *y, size_t n, int lo, size_t max,
                uint64_t seed)
{
    size_t *idx = malloc(n * sizeof *idx), m = 0;
    if (!idx) return -1;
    for (size_t i = 0; i < n; i++)
        if (y[i] >= lo && y[i] < lo + 5) idx[m++] = i;
    if (max && max < m) {
        ramp_rng r;
        ramp_rng_seed(&r, seed, 0);
        for (size_t i = 0; i < max; i++) { /* partial Fisher–Yates */
            size_t j = i + (size_t)ramp_rng_below(&r, m - i);
            size_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        m = max;
    }
    out->n = m;
    out->X = malloc(m * 784 * sizeof *out->X);
    out->y = malloc(m * sizeof *out->y);
    if (!out->X || !out->y) {
        free(idx);
        return -1;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t k = 0; k < 784; k++) /* as the kit's preprocessor: (x - mean) / sd */
            out->X[i * 784 + k] = (X[idx[i] * 784 + k] - 0.2860f) / 0.3530f;
        out->y[i] = y[idx[i]] - lo;
    }
    free(idx);
    return 0;
}

static int on_epoch(const ramp_fit_progress *p, void *user)
{
    if (p->end_of_epoch)
        printf("  %s epoch %d/%d: loss %.4f acc %.4f  %.0f img/s\n", (const char *)user,
               p->epoch + 1, p->epochs, p->loss, p->acc, p->images_per_s);
    fflush(stdout);
    return 0;
}

static int verbose;

static ramp_status fit(ramp_net *net, const split *tr, int epochs, float lr, uint64_t seed,
                       const char *what)
{
    int shape[3] = { 1, 28, 28 };
    ramp_gen *g = NULL;
    ramp_err err;
    ramp_status st = ramp_gen_from_arrays(&g, tr->X, tr->y, tr->n, 3, shape, 5, BATCH, 1, seed,
                                          &err);
    if (st) {
        fprintf(stderr, "%s\n", err.msg);
        return st;
    }
    st = ramp_net_fit_generator(net, g, tr->n, NULL, 0,
                                &(ramp_fit_opts){ .epochs = epochs, .optimizer = RAMP_OPT_ADAM,
                                                  .lr = lr, .schedule = RAMP_SCHED_COSINE,
                                                  .progress = verbose ? on_epoch : NULL,
                                                  .user = (void *)what });
    ramp_gen_free(g);
    return st;
}

static ramp_net_params params(uint64_t seed, int threads)
{
    return (ramp_net_params){ .channels = 1, .height = 28, .width = 28, .seed = seed,
                              .n_threads = threads };
}

static int pretrain(const char *out, int epochs, int threads)
{
    float *X = NULL;
    int32_t *y = NULL;
    size_t n = idx_load(FMNIST_DIR "/train-images-idx3-ubyte.gz", 0, &X, NULL);
    if (!n || idx_load(FMNIST_DIR "/train-labels-idx1-ubyte.gz", 0, NULL, &y) != n) return 1;
    split tr = { 0 };
    ramp_net *net = NULL;
    ramp_err err;
    ramp_net_params p = params(1, threads);
    ramp_status st = pick(&tr, X, y, n, 0, 0, 0) ? RAMP_ENOMEM : ramp_net_new(&net, &p, &err);
    if (st) goto fail;
    if ((st = build(net, 5))) goto fail;
    ramp_net_summary(net, stdout);
    double t0 = ramp__now();
    if ((st = fit(net, &tr, epochs, 2e-3f, 1, "pretrain"))) goto fail;
    printf("pretrained on %zu images of classes 0-4, %d epochs, in %.1f s\n", tr.n, epochs,
           ramp__now() - t0);
    if ((st = ramp_net_save_onnx(net, out))) goto fail;
    printf("wrote %s\n", out);
fail:
    if (st) fprintf(stderr, "pretrain: %s: %s\n", ramp_strerror(st),
                    net ? ramp_net_errmsg(net) : err.msg);
    ramp_net_free(net);
    free(tr.X), free(tr.y), free(X), free(y);
    return st ? 1 : 0;
}

/* The trunk's learning-rate multiplier while fine-tuning (compare's 5th
   argument; 1 by default: see docs/pretrained.md for 0.1 and 0.3). */
static float trunk_mult = 1.0f;

/* The transfer recipe: a new head on the pretrained trunk; the head alone
   (trunk and batchnorm statistics frozen) for HEAD_EPOCHS, then everything,
   the statistics following the new data, for TUNE_EPOCHS. */
static ramp_status transfer(ramp_net **out, const char *onnx, const split *tr, uint64_t seed,
                            int threads)
{
    ramp_err err;
    ramp_net_params p = params(seed, threads);
    ramp_net *net = NULL;
    ramp_status st = ramp_net_load_onnx(&net, onnx, &p, &err);
    if (st) {
        fprintf(stderr, "%s\n", err.msg);
        return st;
    }
    int feat = ramp_net_find(net, "features");
    if (feat < 0) {
        fprintf(stderr, "%s: no layer named 'features'\n", onnx);
        ramp_net_free(net);
        return RAMP_EINVAL;
    }
    (void)((st = ramp_net_cut(net, feat)) ||
           (st = ramp_net_dense(net, &(ramp_dense){ .units = 5 })) ||
           (st = ramp_net_freeze_upto(net, feat, 1)) ||
           (st = ramp_net_freeze_bn_stats(net, -1, 1)) ||
           (st = fit(net, tr, HEAD_EPOCHS, 2e-3f, seed, "head")) ||
           (st = ramp_net_freeze_upto(net, feat, 0)) ||
           (st = ramp_net_freeze_bn_stats(net, -1, 0)));
    for (int id = 1; !st && id <= feat; id++) st = ramp_net_set_lr_mult(net, id, trunk_mult);
    if (!st) st = fit(net, tr, TUNE_EPOCHS, 2e-3f, seed + 1, "fine-tune");
    if (st) {
        fprintf(stderr, "transfer: %s\n", ramp_net_errmsg(net));
        ramp_net_free(net);
        return st;
    }
    *out = net;
    return RAMP_OK;
}

static ramp_status scratch(ramp_net **out, const split *tr, uint64_t seed, int threads)
{
    ramp_err err;
    ramp_net_params p = params(seed, threads);
    ramp_net *net = NULL;
    ramp_status st = ramp_net_new(&net, &p, &err);
    if (st) return st;
    if ((st = build(net, 5)) || (st = fit(net, tr, HEAD_EPOCHS + TUNE_EPOCHS, 2e-3f, seed, "scratch"))) {
        fprintf(stderr, "scratch: %s\n", ramp_net_errmsg(net));
        ramp_net_free(net);
        return st;
    }
    *out = net;
    return RAMP_OK;
}

static int compare(const char *onnx, int seeds, size_t n_train, int threads)
{
    float *Xa = NULL, *Xt = NULL;
    int32_t *ya = NULL, *yt = NULL;
    size_t na = idx_load(FMNIST_DIR "/train-images-idx3-ubyte.gz", 0, &Xa, NULL);
    size_t nt = idx_load(FMNIST_DIR "/t10k-images-idx3-ubyte.gz", 0, &Xt, NULL);
    if (!na || idx_load(FMNIST_DIR "/train-labels-idx1-ubyte.gz", 0, NULL, &ya) != na || !nt ||
        idx_load(FMNIST_DIR "/t10k-labels-idx1-ubyte.gz", 0, NULL, &yt) != nt)
        return 1;
    split te = { 0 };
    int rc = 1;
    double sum_t = 0, sum_s = 0;
    if (pick(&te, Xt, yt, nt, 5, 0, 0)) goto done;
    printf("%zu training images of classes 5-9 per seed, tested on %zu\n", n_train, te.n);
    for (int s = 0; s < seeds; s++) {
        uint64_t seed = 100 + (uint64_t)s;
        split tr = { 0 };
        ramp_net *a = NULL, *b = NULL;
        double loss, acc_t = 0, acc_s = 0, t0 = ramp__now(), t1 = 0;
        ramp_status st = pick(&tr, Xa, ya, na, 5, n_train, seed) ? RAMP_ENOMEM : RAMP_OK;
        (void)(st || (st = transfer(&a, onnx, &tr, seed, threads)) ||
               (st = ramp_net_evaluate(a, te.X, te.y, te.n, &loss, &acc_t)) ||
               ((t1 = ramp__now()), (st = scratch(&b, &tr, seed, threads))) ||
               (st = ramp_net_evaluate(b, te.X, te.y, te.n, &loss, &acc_s)));
        ramp_net_free(a), ramp_net_free(b), free(tr.X), free(tr.y);
        if (st) {
            fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed, ramp_strerror(st));
            goto done;
        }
        printf("seed %llu: test accuracy transfer %.4f (%.1f s)  scratch %.4f (%.1f s)\n",
               (unsigned long long)seed, acc_t, t1 - t0, acc_s, ramp__now() - t1);
        fflush(stdout);
        sum_t += acc_t, sum_s += acc_s;
    }
    printf("mean of %d seeds: transfer %.4f  scratch %.4f\n", seeds, sum_t / seeds, sum_s / seeds);
    printf("RATIO transfer_acc_vs_scratch=%.3f\n", sum_t / sum_s);
    rc = 0;
done:
    free(te.X), free(te.y), free(Xa), free(ya), free(Xt), free(yt);
    return rc;
}

int main(int argc, char **argv)
{
    verbose = getenv("BENCH_VERBOSE") != NULL;
    if (argc >= 3 && !strcmp(argv[1], "pretrain"))
        return pretrain(argv[2], argc > 3 ? atoi(argv[3]) : 6, argc > 4 ? atoi(argv[4]) : 0);
    if (argc > 6 && !strcmp(argv[1], "compare")) trunk_mult = (float)atof(argv[6]);
    if (argc >= 3 && !strcmp(argv[1], "compare"))
        return compare(argv[2], argc > 3 ? atoi(argv[3]) : 3,
                       argc > 4 ? (size_t)atol(argv[4]) : 1000, argc > 5 ? atoi(argv[5]) : 0);
    fprintf(stderr, "usage: bench_transfer pretrain OUT.onnx [epochs] [threads]\n"
                    "       bench_transfer compare IN.onnx [seeds] [n_train] [threads] [trunk_lr_mult]\n");
    return 2;
}
