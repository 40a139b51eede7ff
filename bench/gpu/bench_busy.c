/* bench_busy.c — how busy the engine's training keeps its device when ramp's
 * loader feeds it from JPEG files, for bench/gpu/busy.sh (beside
 * bench_torch_busy.py: the same net fed by PyTorch's DataLoader from the same
 * files on the same cores).
 *
 * The data is bench/loader's photo kit (DATA_DIR/train.csv, DATA_DIR/imgs/):
 * every image goes through bench/loader's photo transform (shorter side to
 * 256, random 224×224 crop, random left↔right flip, /255, ImageNet mean/std,
 * 3×224×224 float CHW) on J loader threads (ramp_gen_builder_new over the
 * kit's samples, one shuffled generator, chunks of CHUNK samples). The net
 * (resnet224.h: ResNet-18, or the small resnet8s, classes from the kit)
 * trains with SGD (lr 0.01, momentum 0.9) through ramp_net_fit_generator:
 * WARMUP batches first (plans, cuDNN, the first chunks), then STEPS batches
 * timed (0: one epoch's worth, ceil(n / batch)), continuing the same stream
 * (an epoch's short last batch included where the stream crosses one).
 *
 * Measured over the timed steps: the wall time (ended by reading a weight
 * back, so whatever the device still queues is inside), the time the
 * training loop waited for data (ramp_gen_stats' stall_seconds, its growth
 * over the timed steps), busy = 1 − wait / wall, images/s, and on cuda the
 * GPU's utilisation as NVML reports it (nvmlDeviceGetUtilizationRates of
 * GPU 0, sampled every 50 ms by a thread, the mean over the timed steps;
 * libnvidia-ml.so.1 is the driver's and is opened at run time, so the bench
 * builds and runs without it).
 *
 *     bench_busy DEVICE DATA_DIR [steps=0] [batch=64] [jobs=cores] [model=resnet18]
 *                [warmup=10] [chunk=256]
 *
 * DEVICE is cuda (what the bench is for) or cpu (a smoke run). Prints
 *   BUSY side=ramp device=<d> model=<m> batch=<B> jobs=<J> steps=<S> images=<n>
 *        wall_s=<s> wait_s=<s> busy=<0..1> nvml_util=<0..1|na> img_per_s=<x>
 *        load_img_per_s=<x>
 * or SKIP side=ramp why="..." when the device cannot run the engine (no GPU:
 * ramp_net_new says why), and SKIP nvml side=ramp why="..." on cuda when
 * NVML cannot be read (its figure is then na). */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ramp/dataset.h"
#include "ramp/loader.h"
#include "ramp/nn.h"
#include "resnet224.h"
#include "../loader/photo_transform.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* --- NVML, opened at run time ------------------------------------------------
   The few entry points used, with NVML's C types spelled out (nvmlReturn_t
   is an int enum, 0 = success; nvmlDevice_t an opaque pointer;
   nvmlUtilization_t two unsigned ints, gpu then memory, in percent). */
typedef struct nvml_util {
    unsigned gpu, memory;
} nvml_util;

typedef struct sampler {
    void *lib;
    int (*init)(void);
    int (*shutdown)(void);
    int (*handle)(unsigned, void **);
    int (*util)(void *, nvml_util *);
    void *dev;
    pthread_t th;
    pthread_mutex_t mu;
    int running, stop, window; /* window: samples count only while set */
    double sum;
    long count;
} sampler;

static void *sampler_loop(void *arg)
{
    sampler *s = arg;
    for (;;) {
        nvml_util u;
        int ok = s->util(s->dev, &u) == 0;
        pthread_mutex_lock(&s->mu);
        int stop = s->stop;
        if (ok && s->window) {
            s->sum += u.gpu;
            s->count++;
        }
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return NULL;
}

/* Opens NVML on GPU 0 and starts the sampling thread; 0 when it runs, else
   -1 with the reason in why. */
static int sampler_start(sampler *s, char *why, size_t len)
{
    memset(s, 0, sizeof *s);
    s->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!s->lib) {
        const char *e = dlerror();
        snprintf(why, len, "no libnvidia-ml.so.1 (%s)", e ? e : "?");
        return -1;
    }
    *(void **)&s->init = dlsym(s->lib, "nvmlInit_v2");
    *(void **)&s->shutdown = dlsym(s->lib, "nvmlShutdown");
    *(void **)&s->handle = dlsym(s->lib, "nvmlDeviceGetHandleByIndex_v2");
    *(void **)&s->util = dlsym(s->lib, "nvmlDeviceGetUtilizationRates");
    int rc = -1, inited = 0;
    if (!s->init || !s->shutdown || !s->handle || !s->util)
        snprintf(why, len,
                 "libnvidia-ml.so.1 lacks nvmlInit_v2, nvmlDeviceGetHandleByIndex_v2 "
                 "or nvmlDeviceGetUtilizationRates");
    else if ((rc = s->init()) != 0)
        snprintf(why, len, "nvmlInit_v2 returned %d", rc);
    else if ((inited = 1, rc = s->handle(0, &s->dev)) != 0)
        snprintf(why, len, "nvmlDeviceGetHandleByIndex_v2(0) returned %d", rc);
    else if ((rc = s->util(s->dev, &(nvml_util){0, 0})) != 0)
        snprintf(why, len, "nvmlDeviceGetUtilizationRates returned %d", rc);
    else if (pthread_mutex_init(&s->mu, NULL))
        snprintf(why, len, "pthread_mutex_init failed");
    else if (pthread_create(&s->th, NULL, sampler_loop, s))
        pthread_mutex_destroy(&s->mu), snprintf(why, len, "pthread_create failed");
    else
        return s->running = 1, 0;
    if (inited) s->shutdown();
    dlclose(s->lib);
    s->lib = NULL;
    return -1;
}

static void sampler_window(sampler *s, int on)
{
    if (!s->running) return;
    pthread_mutex_lock(&s->mu);
    s->window = on;
    pthread_mutex_unlock(&s->mu);
}

/* Stops the thread; returns the mean utilisation of the window (0..1), or
   -1 without samples. */
static double sampler_stop(sampler *s)
{
    if (!s->running) return -1;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    pthread_mutex_destroy(&s->mu);
    s->shutdown();
    dlclose(s->lib);
    s->running = 0;
    return s->count ? s->sum / (double)s->count / 100.0 : -1;
}

/* --- the kit ---------------------------------------------------------------- */

typedef struct kit {
    ramp_index *ix;
    char **paths;
    ramp_samples s;
} kit;

static void kit_free(kit *k)
{
    for (size_t i = 0; k->paths && i < k->s.n; i++)
        free(k->paths[i]);
    free(k->paths);
    free((void *)k->s.ids);
    ramp_index_free(k->ix);
}

static int kit_load(kit *k, const char *dir)
{
    memset(k, 0, sizeof *k);
    size_t dl = strlen(dir) + 32;
    char *csv = malloc(dl);
    if (!csv) return fprintf(stderr, "bench_busy: out of memory\n"), -1;
    snprintf(csv, dl, "%s/train.csv", dir);
    ramp_err err = {RAMP_OK, ""};
    ramp_status st = ramp_index_load(&k->ix, csv, -1, 0, &err);
    free(csv);
    if (st) return fprintf(stderr, "bench_busy: %s\n", err.msg), -1;
    size_t n = ramp_index_n(k->ix);
    const int32_t *labels = ramp_index_labels(k->ix);
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    k->paths = calloc(n ? n : 1, sizeof *k->paths);
    k->s = (ramp_samples){.ids = ids, .labels = labels, .n = n};
    if (!ids || !k->paths) goto oom;
    for (size_t i = 0; i < n; i++) {
        ids[i] = ramp_index_id(k->ix, i);
        size_t pl = strlen(dir) + strlen(ids[i]) + 8;
        if (!(k->paths[i] = malloc(pl))) goto oom;
        snprintf(k->paths[i], pl, "%s/imgs/%s", dir, ids[i]);
        if (labels[i] + 1 > k->s.n_classes) k->s.n_classes = labels[i] + 1;
    }
    k->s.paths = (const char *const *)k->paths;
    return 0;
oom:
    fprintf(stderr, "bench_busy: out of memory\n");
    kit_free(k);
    return -1;
}

/* Images in stream batches [k0, k0 + cnt) of a generator over n samples in
   batches of bs: an epoch is ceil(n / bs) batches, the last one short. */
static size_t stream_images(size_t n, size_t bs, size_t k0, size_t cnt)
{
    size_t bpe = (n + bs - 1) / bs, last = n - (bpe - 1) * bs, sum = 0;
    for (size_t k = k0; k < k0 + cnt; k++)
        sum += k % bpe == bpe - 1 ? last : bs;
    return sum;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_busy cuda|cpu DATA_DIR [steps=0] [batch=64] [jobs=cores] "
                        "[model=resnet18|resnet8s] [warmup=10] [chunk=256]\n");
        return 2;
    }
    ramp_device dev = RAMP_DEVICE_CPU;
    if (ramp_device_parse(argv[1], &dev) != RAMP_OK || dev == RAMP_DEVICE_AUTO) {
        fprintf(stderr, "bench_busy: device '%s': cuda or cpu\n", argv[1]);
        return 2;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    long steps = argc > 3 ? atol(argv[3]) : 0;
    long bs = argc > 4 ? atol(argv[4]) : 64;
    long jobs = argc > 5 ? atol(argv[5]) : (ncpu > 0 ? ncpu : 1);
    const char *model = argc > 6 ? argv[6] : "resnet18";
    long warmup = argc > 7 ? atol(argv[7]) : 10;
    long chunk = argc > 8 ? atol(argv[8]) : 256;
    if (steps < 0 || bs < 1 || jobs < 1 || jobs > 1024 || warmup < 0 || chunk < 1 ||
        (strcmp(model, "resnet18") && strcmp(model, "resnet8s"))) {
        fprintf(stderr, "bench_busy: bad steps, batch, jobs, model (resnet18 or resnet8s), "
                        "warmup or chunk\n");
        return 2;
    }
    const char *dn = ramp_device_name(dev);

    kit k;
    if (kit_load(&k, argv[2])) return 1;
    if (k.s.n == 0) {
        fprintf(stderr, "bench_busy: %s/train.csv has no rows\n", argv[2]);
        kit_free(&k);
        return 1;
    }
    if (steps == 0) steps = (long)((k.s.n + (size_t)bs - 1) / (size_t)bs);

    int rc = 1;
    ramp_net *net = NULL;
    ramp_gen_builder *gb = NULL;
    ramp_gen *g = NULL;
    float *w1 = NULL;
    sampler smp = {0};
    ramp_err err = {RAMP_OK, ""};
    if (ramp_net_new(&net,
                     &(ramp_net_params){
                         .channels = 3, .height = 224, .width = 224, .seed = 1, .device = dev},
                     &err)) {
        printf("SKIP side=ramp device=%s why=\"%s\"\n", dn, err.msg);
        rc = 0;
        goto done;
    }
    if (!strcmp(model, "resnet18"))
        resnet18_build(net, k.s.n_classes);
    else
        resnet8s_build(net, k.s.n_classes);
    int sh1[3];
    if (ramp_net_layer_shape(net, 1, sh1)) {
        fprintf(stderr, "bench_busy: %s\n", ramp_net_errmsg(net));
        goto done;
    }
    size_t n_w1 = (size_t)sh1[0] * 3 * 7 * 7; /* the stem's 7×7 conv weights */
    if (!(w1 = malloc(n_w1 * sizeof *w1))) goto done;

    ramp_loader_opts lo = {.chunk_size = (size_t)chunk, .n_jobs = (int)jobs, .seed = 1};
    if (ramp_gen_builder_new(&gb, &k.s, tf_photo, NULL, &lo, &err)) {
        fprintf(stderr, "bench_busy: %s\n", err.msg);
        goto done;
    }
    if (ramp_gen_builder_subset(gb, NULL, k.s.n, (size_t)bs, 1, 1, &g)) {
        fprintf(stderr, "bench_busy: %s\n", ramp_gen_builder_errmsg(gb));
        goto done;
    }
    char why[256] = "";
    if (dev == RAMP_DEVICE_CUDA && sampler_start(&smp, why, sizeof why))
        printf("SKIP nvml side=ramp why=\"%s\"\n", why);
    printf("# ramp: %s, %s (%d classes, %zu parameters), %zu photos, batch %ld, %ld loader "
           "threads, chunk %ld, %ld warm-up + %ld timed steps\n",
           dn, model, k.s.n_classes, ramp_net_n_params(net), k.s.n, bs, jobs, chunk, warmup, steps);
    fflush(stdout);

    ramp_fit_opts fo = {.lr = 0.01f, .momentum = 0.9f};
    ramp_status st = RAMP_OK;
    if (warmup > 0) st = ramp_net_fit_generator(net, g, (size_t)(warmup * bs), NULL, 0, &fo);
    if (!st) st = ramp_net_get_param(net, 1, 0, w1, n_w1);
    ramp_gen_stats s0 = ramp_gen_stats_of(g);
    sampler_window(&smp, 1);
    double t0 = now();
    if (!st) st = ramp_net_fit_generator(net, g, (size_t)(steps * bs), NULL, 0, &fo);
    if (!st) st = ramp_net_get_param(net, 1, 0, w1, n_w1); /* waits for the device */
    double wall = now() - t0;
    sampler_window(&smp, 0);
    ramp_gen_stats s1 = ramp_gen_stats_of(g);
    double util = sampler_stop(&smp);
    if (st) {
        const char *m = ramp_net_errmsg(net);
        if (dev == RAMP_DEVICE_CUDA) {
            printf("SKIP side=ramp device=%s why=\"%s\"\n", dn, m);
            rc = 0;
        } else {
            fprintf(stderr, "bench_busy: %s\n", m);
        }
        goto done;
    }
    size_t hn = 0;
    const ramp_fit_progress *h = ramp_net_history(net, &hn);
    size_t images = stream_images(k.s.n, (size_t)bs, (size_t)warmup, (size_t)steps);
    double wait = s1.stall_seconds - s0.stall_seconds;
    char us[32] = "na";
    if (util >= 0) snprintf(us, sizeof us, "%.3f", util);
    printf("# ramp: last loss %.4f, loader %.0f img/s over the run (its own counter)\n",
           hn ? h[hn - 1].loss : -1.0, s1.images_per_s);
    printf("BUSY side=ramp device=%s model=%s batch=%ld jobs=%ld steps=%ld images=%zu wall_s=%.3f "
           "wait_s=%.3f busy=%.3f nvml_util=%s img_per_s=%.1f load_img_per_s=%.1f\n",
           dn, model, bs, jobs, steps, images, wall, wait, 1.0 - wait / wall, us,
           (double)images / wall, s1.images_per_s);
    rc = 0;
done:
    sampler_stop(&smp);
    free(w1);
    ramp_gen_free(g);
    ramp_gen_builder_free(gb);
    ramp_net_free(net);
    kit_free(&k);
    return rc;
}
