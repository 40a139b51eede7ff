/* fold_child.c — the untrusted side of a CV fold: `ramp __fold`.
 *
 * Runs in the sandbox with the descriptors runInt.h lists. It knows the
 * labels of the rows it trains on and nothing else: the fold-valid and test
 * rows arrive as image ids. It loads the participant's code, trains, and
 * predicts the fold-train, fold-valid and test rows into the shared
 * predictions; the parent scores them.
 */
#define _DEFAULT_SOURCE /* MAP_SHARED with fstat sizes */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "submission/pyplugin.h"
#include "submission/runInt.h"

enum { FD_SPEC = 0, FD_PROTO = 3, FD_PRED = 4 };

static void send(const char *fmt, ...) RAMP__PRINTF(1, 2);
static void send(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k > sizeof line - 2) k = (int)sizeof line - 2;
    for (int i = 0; i < k; i++)
        if (line[i] == '\n') line[i] = ' '; /* one message, one line */
    line[k++] = '\n';
    ssize_t w = write(FD_PROTO, line, (size_t)k);
    (void)w;
}

/* The builder's progress as the wire's PROG line (runInt.h): every epoch's
   end, other reports at most 10 a second. */
static void send_progress(void *user, const ramp_progress *p)
{
    double *last = user, now = ramp__now();
    if (p->batch < p->n_batches && now - *last < 0.1) return;
    *last = now;
    send("PROG %d %d %zu %zu %.6g %.6g %.6g %.6g %.6f %.6f %llu", p->epoch, p->n_epochs, p->batch,
         p->n_batches, p->loss, p->accuracy, p->val_loss, p->val_accuracy, p->seconds,
         p->epoch_seconds, (unsigned long long)p->images);
}

/* The message of a failed classifier call: a Python classifier's exception
   with its traceback, or the status a C one returned. */
static void clf_error(const ramp__sub *sub, const char *fn, ramp_status st, char *msg, size_t len)
{
    const char *py = sub->clf_errmsg ? sub->clf_errmsg() : "";
    if (py[0])
        snprintf(msg, len, "%s", py);
    else
        snprintf(msg, len, "%s returned %s (%s)", fn, ramp_err_name(st), ramp_strerror(st));
}

/* Predicts every sample of generator g into out (n × c). */
static ramp_status predict_all(const ramp__sub *sub, void *model, ramp_gen *g, float *out, int c,
                               char *msg, size_t msglen)
{
    size_t steps = ramp_gen_steps_per_epoch(g), done = 0;
    for (size_t s = 0; s < steps; s++) {
        ramp_batch b;
        ramp_status st = ramp_gen_next(g, &b);
        if (st) {
            snprintf(msg, msglen, "loading data: %s", ramp_gen_errmsg(g));
            return st;
        }
        st = sub->clf_predict(model, b.X, b.n, out + done * (size_t)c);
        if (st) {
            clf_error(sub, "batch_classifier_predict_proba", st, msg, msglen);
            return st;
        }
        done += b.n;
    }
    return RAMP_OK;
}

/* Image paths of ids under imgs (one arena). */
static const char **paths_of(const char *imgs, const char *const *ids, size_t n, char **arena)
{
    size_t bytes = 0, il = strlen(imgs);
    for (size_t i = 0; i < n; i++) bytes += il + 1 + strlen(ids[i]) + 1;
    const char **p = malloc((n + 1) * sizeof *p);
    char *a = malloc(bytes + 1);
    if (!p || !a) {
        free(p);
        free(a);
        return NULL;
    }
    *arena = a;
    for (size_t i = 0; i < n; i++) {
        p[i] = a;
        a += sprintf(a, "%s/%s", imgs, ids[i]) + 1;
    }
    return p;
}

/* Predictions over a list of unlabelled ids, with transform_test. */
static ramp_status predict_ids(const ramp__sub *sub, void *model, const ramp__fold_wire *w,
                               const char *const *ids, size_t n, float *out, char *msg,
                               size_t msglen)
{
    if (n == 0) return RAMP_OK;
    char *arena = NULL;
    const char **paths = paths_of(w->imgs_dir, ids, n, &arena);
    if (!paths) {
        snprintf(msg, msglen, "out of memory");
        return RAMP_ENOMEM;
    }
    ramp_samples s = {.paths = paths, .ids = (const char *const *)ids, .n = n, .n_classes = w->n_classes};
    ramp_gen_builder *gb = NULL;
    ramp_gen *g = NULL;
    ramp_err err = {RAMP_OK, ""};
    /* prediction only: transform_test alone, so the builder's shape probe
       never runs the training transform on these images */
    ramp_transform_fn tt = sub->transform_test ? sub->transform_test : sub->transform;
    ramp_status st = ramp_gen_builder_new(&gb, &s, tt, tt, &w->loader, &err);
    if (!st) st = ramp_gen_builder_predict_gen(gb, w->test_batch_size, &g);
    if (st)
        snprintf(msg, msglen, "%s", err.msg[0] ? err.msg : ramp_gen_builder_errmsg(gb));
    else
        st = predict_all(sub, model, g, out, w->n_classes, msg, msglen);
    ramp_gen_builder_free(gb);
    free(paths);
    free(arena);
    return st;
}

/* rampwf's simplified_image_classifier: ImageClassifier().fit(img_loader)
   over the fold-train rows, then predict_proba(img_loader) over the
   fold-train, fold-valid and test rows (images only). The loader decodes
   with ramp's decoders (the plugin's ImageLoader). */
static int run_simplified(const ramp__fold_wire *w, ramp__sub *sub, float *pred, int log_fd)
{
    char msg[1536];
    int c = w->n_classes;
    ramp_clf_info info = w->info;
    info.n_classes = c;
    info.ndim = 0;
    void *model = NULL;
    int jobs = w->loader.n_jobs > 0 ? w->loader.n_jobs : 2;
    uint64_t maxpx = w->loader.max_pixels ? w->loader.max_pixels : RAMP_DEFAULT_MAX_PIXELS;
    ramp__py_images imgs = {w->imgs_dir, w->train_ids, w->train_labels, w->n_train, c, jobs, maxpx};
    ramp_status st = sub->clf_new(&model, &info);
    if (st) {
        clf_error(sub, "ImageClassifier()", st, msg, sizeof msg);
        send("ERR %d %s", (int)st, msg);
        return 3;
    }
    double t0 = ramp__now();
    if ((st = sub->simple_fit(model, &imgs))) {
        clf_error(sub, "fit", st, msg, sizeof msg);
        send("ERR %d %s", (int)st, msg);
        return 3;
    }
    /* the image loader's figures: images decoded during fit and their rate
       (the classifier reads them when it likes: no stall to measure) */
    uint64_t im = 0;
    double sec = 0;
    sub->py->simple_stats(&im, &sec);
    send("STATS train %llu %.3f %.3f", (unsigned long long)im, sec > 0 ? (double)im / sec : 0.0,
         0.0);
    dprintf(log_fd, "fit: %.1f s; the image loader decoded %llu images at %.0f images/s\n",
            ramp__now() - t0, (unsigned long long)im, sec > 0 ? (double)im / sec : 0.0);
    const char *const *ids[3] = {w->train_ids, w->valid_ids, w->test_ids};
    size_t ns[3] = {w->n_train, w->n_valid, w->n_test}, off = 0;
    const char *steps[3] = {NULL, "STEP validating", "STEP testing"};
    for (int k = 0; k < 3; k++) {
        if (steps[k]) send("%s", steps[k]);
        ramp__py_images q = {w->imgs_dir, ids[k], NULL, ns[k], c, jobs, maxpx};
        if (ns[k] && (st = sub->simple_predict(model, &q, pred + off * (size_t)c))) {
            clf_error(sub, "predict_proba", st, msg, sizeof msg);
            send("ERR %d %s", (int)st, msg);
            return 3;
        }
        off += ns[k];
    }
    sub->clf_free(model);
    send("DONE");
    return 0;
}

static int run(const ramp__fold_wire *w, float *pred, int log_fd)
{
    char msg[1536];
    ramp_err err = {RAMP_OK, ""};
    ramp__sub sub;
    send("STEP training");
    ramp__sub_python py = {w->py_plugin, w->py_lib, w->py_env,
                           w->paths.simplified ? 0 : w->py_workers, log_fd};
    ramp_status st = ramp__sub_load(&w->paths, &py, &sub, &err);
    if (st) {
        send("ERR %d %s", (int)st, err.msg);
        return 3;
    }
    int c = w->n_classes;
    if (w->paths.simplified) return run_simplified(w, &sub, pred, log_fd);
    char *arena = NULL;
    const char **paths = paths_of(w->imgs_dir, w->train_ids, w->n_train, &arena);
    if (!paths) {
        send("ERR %d out of memory", RAMP_ENOMEM);
        return 3;
    }
    ramp_samples fit_samples = {.paths = paths, .ids = w->train_ids, .labels = w->train_labels, .n = w->n_train, .n_classes = c};
    ramp_gen_builder *gb = NULL;
    st = ramp_gen_builder_new(&gb, &fit_samples, sub.transform, sub.transform_test, &w->loader,
                              &err);
    if (st) {
        send("ERR %d %s", (int)st, err.msg);
        return 3;
    }
    ramp_clf_info info = w->info;
    info.n_classes = c;
    info.ndim = ramp_gen_builder_shape(gb, info.shape);
    void *model = NULL;
    st = sub.clf_new(&model, &info);
    if (st) {
        clf_error(&sub, "batch_classifier_new", st, msg, sizeof msg);
        send("ERR %d %s", (int)st, msg);
        return 3;
    }
    /* the fit's clock: its first epoch starts here */
    double t0 = ramp__now(), last_prog = 0;
    ramp_gen_builder_set_progress(gb, send_progress, &last_prog);
    st = sub.clf_fit(model, gb);
    if (st) {
        const char *gm = sub.clf_errmsg ? "" : ramp_gen_builder_errmsg(gb);
        clf_error(&sub, "batch_classifier_fit", st, msg, sizeof msg);
        send("ERR %d %s%s%s", (int)st, msg, gm[0] ? ": " : "", gm);
        return 3;
    }
    double t_train = ramp__now() - t0;
    /* loader counters over the generators fit() used (all of the builder's) */
    ramp_gen_stats ts = ramp_gen_builder_stats(gb);
    send("STATS train %llu %.3f %.3f", (unsigned long long)ts.images, ts.images_per_s,
         ts.stall_seconds);
    /* fit's builder is done with (classifier.h: its generators serve fit
       only): freed now, their chunk slots and threads would stay beside the
       predictions' */
    ramp_gen_builder_free(gb);
    free(paths);
    free(arena);
    dprintf(log_fd,
            "fit: %.1f s; loader %llu images at %.0f images/s; trainer waited %.2f s for data\n",
            t_train, (unsigned long long)ts.images, ts.images_per_s, ts.stall_seconds);

    /* predictions on the fold's train rows (part of the training step) */
    if ((st = predict_ids(&sub, model, w, w->train_ids, w->n_train, pred, msg, sizeof msg))) {
        send("ERR %d %s", (int)st, msg);
        return 3;
    }

    send("STEP validating");
    if ((st = predict_ids(&sub, model, w, w->valid_ids, w->n_valid, pred + w->n_train * (size_t)c,
                          msg, sizeof msg))) {
        send("ERR %d %s", (int)st, msg);
        return 3;
    }
    send("STEP testing");
    if ((st = predict_ids(&sub, model, w, w->test_ids, w->n_test,
                          pred + (w->n_train + w->n_valid) * (size_t)c, msg, sizeof msg))) {
        send("ERR %d %s", (int)st, msg);
        return 3;
    }
    sub.clf_free(model);
    /* every builder freed (their loader threads stopped), then the
       transform workers they used */
    if (sub.py) sub.py->shutdown();
    send("DONE");
    return 0;
}

int ramp__fold_child_main(int log_fd, int *embedded_python)
{
    *embedded_python = 0;
    signal(SIGPIPE, SIG_IGN);
    /* a crash in participant code must end the child by its signal, so the
       parent can name it (a sanitizer runtime would otherwise catch it and
       exit with a status) */
    int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals; i++)
        signal(crash_signals[i], SIG_DFL);
    struct stat sb;
    if (fstat(FD_SPEC, &sb) != 0 || sb.st_size <= 0 || sb.st_size > ((off_t)1 << 32)) {
        send("ERR %d fold child: no fold specification on descriptor 0", RAMP_EINTERNAL);
        return 3;
    }
    size_t len = (size_t)sb.st_size;
    uint8_t *buf = malloc(len);
    size_t have = 0;
    while (buf && have < len) {
        ssize_t k = pread(FD_SPEC, buf + have, len - have, (off_t)have);
        if (k <= 0 && !(k < 0 && errno == EINTR)) break;
        if (k > 0) have += (size_t)k;
    }
    ramp__fold_wire w;
    ramp_err err = {RAMP_OK, ""};
    if (!buf || have != len || ramp__fold_wire_decode(buf, len, &w, &err)) {
        send("ERR %d fold child: %s", RAMP_EINTERNAL, err.msg[0] ? err.msg : "cannot read");
        free(buf);
        return 3;
    }
    free(buf);
    size_t rows = w.n_train + w.n_valid + w.n_test;
    if (fstat(FD_PRED, &sb) != 0 ||
        (uint64_t)sb.st_size < (uint64_t)rows * (uint64_t)w.n_classes * sizeof(float)) {
        send("ERR %d fold child: the predictions buffer is too small", RAMP_EINTERNAL);
        ramp__fold_wire_clear(&w);
        return 3;
    }
    float *pred = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, FD_PRED, 0);
    if (pred == MAP_FAILED) {
        send("ERR %d fold child: cannot map the predictions: %s", RAMP_ENOMEM, strerror(errno));
        ramp__fold_wire_clear(&w);
        return 3;
    }
    int rc = run(&w, pred, log_fd);
    *embedded_python = w.paths.pp_py[0] || w.paths.clf_py[0];
    /* no clean-up on the failure paths: the process ends here */
    if (rc == 0) {
        munmap(pred, (size_t)sb.st_size);
        ramp__fold_wire_clear(&w);
    }
    return rc;
}
