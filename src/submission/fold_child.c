/* fold_child.c — the untrusted side of a CV fold: `ramp __fold`.
 *
 * Runs in the sandbox with the descriptors runInt.h lists. It knows the
 * labels of the rows it trains on and nothing else: the fold-valid and test
 * rows arrive as image ids. It loads the participant's code, trains, and
 * predicts the fold-train, fold-valid and test rows into the shared
 * predictions; the parent scores them.
 *
 * Rows of predictions (runInt.h): a classifier's n_classes probabilities; a
 * detector's count then up to max_objects objects (class, confidence, four
 * coordinates: 6 floats each), moved back onto the original image through
 * the inverse of the test transform's geometry; a segmenter's class per
 * pixel of the original image (bytes), its probability maps sampled back
 * through the same geometry.
 */
#define _DEFAULT_SOURCE /* MAP_SHARED with fstat sizes */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "ramp/image.h"
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

/* Where predictions go: the mapped buffer and its row layout. */
typedef struct pred_out {
    const ramp__fold_wire *w;
    void *base;
    size_t det_stride; /* detection: floats per row */
    size_t *seg_off;   /* segmentation: rows + 1 byte offsets */
} pred_out;

/* Scratch for a detector's or segmenter's outputs: at most this many bytes,
   so a test batch is passed on in pieces when one would be larger. */
#define PRED_SCRATCH_BYTES ((size_t)64 << 20)

/* Checks sample `id`'s detections (tensor pixels) and writes them, moved onto
   the original image, as row `dst` (count, then 6 floats per object). */
static ramp_status put_detections(const pred_out *o, const char *id, const ramp_obj *objs,
                                  size_t n, const double *geom, float *dst, ramp_obj *tmp,
                                  char *msg, size_t msglen)
{
    const ramp__fold_wire *w = o->w;
    if (n > (size_t)w->max_objects) {
        snprintf(msg, msglen, "batch_detector_predict: sample '%s': %zu objects, more than "
                 "max_objects (%d)", id, n, w->max_objects);
        return RAMP_EBADOUTPUT;
    }
    for (size_t k = 0; k < n; k++) {
        const ramp_obj *q = &objs[k];
        const char *bad = NULL;
        if (q->cls < 0 || q->cls >= w->n_classes) bad = "class outside [0, n_classes)";
        else if (w->paths.arrays ? !isfinite(q->conf) : !(q->conf >= 0 && q->conf <= 1))
            /* rampwf's ObjectDetector takes any score as a confidence */
            bad = w->paths.arrays ? "a confidence that is not finite" : "confidence outside [0, 1]";
        else if (!isfinite(q->g[0]) || !isfinite(q->g[1]) || !isfinite(q->g[2]) ||
                 (w->geometry == 0 && !isfinite(q->g[3])))
            bad = "a coordinate is not finite";
        else if (w->geometry == 0 && (q->g[2] < q->g[0] || q->g[3] < q->g[1]))
            bad = "x1 < x0 or y1 < y0";
        else if (w->geometry == 1 && q->g[2] < 0)
            bad = "negative radius";
        if (bad) {
            snprintf(msg, msglen, "batch_detector_predict: sample '%s', object %zu: %s "
                     "(class %d, confidence %g, %g %g %g %g)", id, k, bad, (int)q->cls,
                     (double)q->conf, (double)q->g[0], (double)q->g[1], (double)q->g[2],
                     (double)q->g[3]);
            return RAMP_EBADOUTPUT;
        }
    }
    double inv[6];
    if (ramp_affine_invert(inv, geom) != 0) {
        snprintf(msg, msglen, "sample '%s': the test transform's map cannot be inverted", id);
        return RAMP_EBADOUTPUT;
    }
    /* rampwf's ObjectDetector's objects are the kit's as given (a circle
       centred past the border included); ramp's own are clipped */
    size_t kept = ramp_objs_transform(tmp, objs, n, inv, (int)geom[6], (int)geom[7], w->geometry,
                                      w->paths.arrays ? -1.0 : 0.0);
    dst[0] = (float)kept;
    for (size_t k = 0; k < kept; k++) {
        float *f = dst + 1 + 6 * k;
        f[0] = (float)tmp[k].cls;
        f[1] = tmp[k].conf;
        for (int j = 0; j < 4; j++) f[2 + j] = w->geometry == 1 && j == 3 ? 0.0f : tmp[k].g[j];
    }
    return RAMP_OK;
}

/* Predicts every sample of generator g (rows row0.. of the predictions, ids
   in order). */
static ramp_status predict_all(const ramp__sub *sub, void *model, ramp_gen *g, const pred_out *o,
                               const char *const *ids, size_t row0, char *msg, size_t msglen)
{
    const ramp__fold_wire *w = o->w;
    int c = w->n_classes;
    size_t steps = ramp_gen_steps_per_epoch(g), done = 0;
    void *scratch = NULL, *scratch2 = NULL;
    ramp_status st = RAMP_OK;
    for (size_t s = 0; s < steps && !st; s++) {
        ramp_batch b;
        st = ramp_gen_next(g, &b);
        if (st) {
            snprintf(msg, msglen, "loading data: %s", ramp_gen_errmsg(g));
            break;
        }
        size_t row = row0 + done;
        if (w->workflow != RAMP_WORKFLOW_DETECTION && w->workflow != RAMP_WORKFLOW_SEGMENTATION) {
            st = sub->clf_predict(model, b.X, b.n, (float *)o->base + row * (size_t)c);
            if (st) clf_error(sub, "batch_classifier_predict_proba", st, msg, msglen);
            done += b.n;
            continue;
        }
        if (!b.geom || b.ndim < 2) {
            snprintf(msg, msglen, "predictions: the samples have no image geometry (ndim %d)",
                     b.ndim);
            st = RAMP_EINTERNAL;
            break;
        }
        int h = b.shape[b.ndim - 2], wd = b.shape[b.ndim - 1];
        size_t per = w->workflow == RAMP_WORKFLOW_DETECTION
                         ? (size_t)w->max_objects * sizeof(ramp_obj) + sizeof(size_t)
                         : (size_t)c * (size_t)h * (size_t)wd * sizeof(float);
        size_t m = PRED_SCRATCH_BYTES / (per ? per : 1);
        if (m < 1) m = 1;
        if (m > b.n) m = b.n;
        if (!scratch) {
            scratch = malloc(m * per + 1);
            scratch2 = malloc(((size_t)w->max_objects + 1) * sizeof(ramp_obj));
            if (!scratch || !scratch2) {
                snprintf(msg, msglen, "out of memory for predictions");
                st = RAMP_ENOMEM;
                break;
            }
        }
        for (size_t j = 0; j < b.n && !st; j += m) {
            size_t k = b.n - j < m ? b.n - j : m;
            const float *X = b.X + j * b.sample_size;
            if (w->workflow == RAMP_WORKFLOW_DETECTION) {
                ramp_obj *objs = scratch;
                size_t *cnt = (size_t *)(objs + k * (size_t)w->max_objects);
                for (size_t i = 0; i < k; i++) cnt[i] = SIZE_MAX;
                st = sub->det_predict(model, X, k, objs, cnt);
                if (st) {
                    clf_error(sub, "batch_detector_predict", st, msg, msglen);
                    /* the model numbers images within its batch: which batch */
                    size_t used = strlen(msg);
                    if (used + 1 < msglen)
                        snprintf(msg + used, msglen - used,
                                 " [images of this batch: '%s' (image 0) to '%s' (image %zu)]",
                                 ids[done + j], ids[done + j + k - 1], k - 1);
                    break;
                }
                for (size_t i = 0; i < k && !st; i++) {
                    size_t r = row + j + i;
                    float *dst = (float *)o->base + r * o->det_stride;
                    st = put_detections(o, ids[done + j + i], objs + i * (size_t)w->max_objects,
                                        cnt[i], b.geom + (j + i) * 8, dst, scratch2, msg, msglen);
                }
            } else {
                float *proba = scratch;
                size_t cells = (size_t)c * (size_t)h * (size_t)wd;
                for (size_t i = 0; i < k * cells; i++) proba[i] = NAN;
                st = sub->clf_predict(model, X, k, proba);
                if (st) {
                    clf_error(sub, "batch_segmenter_predict_proba", st, msg, msglen);
                    break;
                }
                for (size_t i = 0; i < k && !st; i++) {
                    size_t r = row + j + i;
                    const char *id = ids[done + j + i];
                    const float *pi = proba + i * cells;
                    for (size_t q = 0; q < cells; q++)
                        if (!(pi[q] >= 0) || !isfinite(pi[q])) {
                            snprintf(msg, msglen,
                                     "batch_segmenter_predict_proba: sample '%s': value %zu of "
                                     "%d × %d × %d is %g (finite and non-negative expected; "
                                     "NaN: never written)", id, q, c, h, wd, (double)pi[q]);
                            st = RAMP_EBADOUTPUT;
                            break;
                        }
                    const double *geo = b.geom + (j + i) * 8;
                    int ow = (int)geo[6], oh = (int)geo[7];
                    if (!st && ((uint32_t)ow != w->pred_wh[2 * r] ||
                                (uint32_t)oh != w->pred_wh[2 * r + 1])) {
                        snprintf(msg, msglen, "sample '%s': the image is %d×%d, its mask %u×%u", id,
                                 ow, oh, w->pred_wh[2 * r], w->pred_wh[2 * r + 1]);
                        st = RAMP_ESHAPE;
                    }
                    if (!st)
                        st = ramp_proba_unwarp((uint8_t *)o->base + o->seg_off[r], ow, oh, pi, c, h,
                                               wd, geo);
                    if (st && !msg[0])
                        snprintf(msg, msglen, "sample '%s': cannot map the predictions back", id);
                }
            }
        }
        done += b.n;
    }
    free(scratch);
    free(scratch2);
    return st;
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

/* Predictions over a list of unlabelled ids (rows row0..), with
   transform_test. */
static ramp_status predict_ids(const ramp__sub *sub, void *model, const pred_out *o,
                               const char *const *ids, size_t n, size_t row0, char *msg,
                               size_t msglen)
{
    const ramp__fold_wire *w = o->w;
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
        st = predict_all(sub, model, g, o, ids, row0, msg, msglen);
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

static int run(const ramp__fold_wire *w, const pred_out *o, int log_fd)
{
    float *pred = o->base;
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
    ramp_samples fit_samples = {.paths = paths,
                                .ids = w->train_ids,
                                .labels = w->train_labels,
                                .n = w->n_train,
                                .n_classes = c};
    if (w->workflow == RAMP_WORKFLOW_DETECTION) {
        fit_samples.objs = w->train_objs;
        fit_samples.obj_off = w->train_obj_off;
        fit_samples.geometry = w->geometry;
    } else if (w->workflow == RAMP_WORKFLOW_SEGMENTATION) {
        fit_samples.mask_bytes = w->train_masks;
        fit_samples.mask_len = w->train_mask_len;
    }
    ramp_gen_builder *gb = NULL;
    ramp_loader_opts lo = w->loader;
    lo.keep_objects = w->paths.arrays;
    st = ramp_gen_builder_new(&gb, &fit_samples, sub.transform, sub.transform_test, &lo,
                              &err);
    if (st) {
        send("ERR %d %s", (int)st, err.msg);
        return 3;
    }
    ramp_clf_info info = w->info;
    info.n_classes = c;
    info.ndim = ramp_gen_builder_shape(gb, info.shape);
    info.geometry = w->workflow == RAMP_WORKFLOW_DETECTION ? w->geometry : 0;
    info.max_objects = w->workflow == RAMP_WORKFLOW_DETECTION ? w->max_objects : 0;
    const char *mname = ramp__model_name(w->paths.model);
    char fname[96];
    void *model = NULL;
    st = sub.clf_new(&model, &info);
    if (st) {
        snprintf(fname, sizeof fname, "%s_new", mname);
        clf_error(&sub, fname, st, msg, sizeof msg);
        send("ERR %d %s", (int)st, msg);
        return 3;
    }
    /* the fit's clock: its first epoch starts here */
    double t0 = ramp__now(), last_prog = 0;
    ramp_gen_builder_set_progress(gb, send_progress, &last_prog);
    st = sub.clf_fit(model, gb);
    if (st) {
        const char *gm = sub.clf_errmsg ? "" : ramp_gen_builder_errmsg(gb);
        snprintf(fname, sizeof fname, "%s_fit", mname);
        clf_error(&sub, fname, st, msg, sizeof msg);
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
    msg[0] = '\0';
    if ((st = predict_ids(&sub, model, o, w->train_ids, w->n_train, 0, msg, sizeof msg))) {
        send("ERR %d %s", (int)st, msg);
        return 3;
    }

    send("STEP validating");
    if ((st = predict_ids(&sub, model, o, w->valid_ids, w->n_valid, w->n_train, msg,
                          sizeof msg))) {
        send("ERR %d %s", (int)st, msg);
        return 3;
    }
    send("STEP testing");
    if ((st = predict_ids(&sub, model, o, w->test_ids, w->n_test, w->n_train + w->n_valid, msg,
                          sizeof msg))) {
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
    pred_out o = {&w, NULL, 0, NULL};
    uint64_t need = 0;
    if (w.workflow == RAMP_WORKFLOW_DETECTION) {
        o.det_stride = 1 + 6 * (size_t)w.max_objects;
        need = (uint64_t)rows * o.det_stride * sizeof(float);
    } else if (w.workflow == RAMP_WORKFLOW_SEGMENTATION) {
        if (!(o.seg_off = malloc((rows + 1) * sizeof *o.seg_off))) {
            send("ERR %d fold child: out of memory", RAMP_ENOMEM);
            return 3;
        }
        o.seg_off[0] = 0;
        for (size_t i = 0; i < rows; i++)
            o.seg_off[i + 1] = o.seg_off[i] + (size_t)w.pred_wh[2 * i] * w.pred_wh[2 * i + 1];
        need = o.seg_off[rows];
    } else {
        need = (uint64_t)rows * (uint64_t)w.n_classes * sizeof(float);
    }
    if (fstat(FD_PRED, &sb) != 0 || (uint64_t)sb.st_size < need) {
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
    o.base = pred;
    int rc = run(&w, &o, log_fd);
    *embedded_python = w.paths.pp_py[0] || w.paths.clf_py[0];
    /* no clean-up on the failure paths: the process ends here */
    if (rc == 0) {
        munmap(pred, (size_t)sb.st_size);
        free(o.seg_off);
        ramp__fold_wire_clear(&w);
    }
    return rc;
}
