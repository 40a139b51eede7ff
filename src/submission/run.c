/* run.c — one CV fold of a submission, on the trusted side.
 *
 * The parent writes the fold specification into a sealed memory file, makes
 * the predictions' memory file (size sealed, every cell a sentinel NaN),
 * starts `ramp __fold` in the sandbox with the descriptors runInt.h lists,
 * and then watches: the protocol pipe, the child's output (copied into the
 * log file up to a bound, the rest counted and dropped), the deadline, and
 * the caller's tick. A crash (signal), an exit without "DONE", or no "DONE"
 * before the timeout (then SIGKILL to the whole sandbox) is that fold's
 * error, attributed to the step it was in. Predictions are checked here:
 * every cell written, finite, non-negative, rows with a positive sum
 * (renormalised to 1 as rampwf's scores do),
 * nothing written past the end. Step times and peak memory are measured
 * here too; the child's own figures are only the loader's statistics.
 */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS, wait4 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "submission/pyplugin.h"
#include "submission/runInt.h"

#define GUARD_FLOATS 1024
#define LOG_MAX_DEFAULT ((size_t)8 << 20)

/* Where things are inside the sandbox. */
#define SBX_EXE "/ramp/bin/ramp"
#define SBX_PLUGIN "/ramp/bin/" RAMP__PY_PLUGIN_FILE
#define SBX_PYLIB "/ramp/python"
#define SBX_PYENV "/ramp/env"

/* ramp's own Python package folder (the `rampwf` that RAMP kits and
   submissions import): <exe dir>/python in a build tree, else
   <exe dir>/../share/ramp/python (an install). 0 when there is none. */
static int python_lib(const char *exe, char *buf, size_t len)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", exe);
    char *slash = strrchr(dir, '/');
    if (!slash) return 0;
    *slash = 0;
    const char *cand[2] = {"%s/python", "%s/../share/ramp/python"};
    for (int i = 0; i < 2; i++) {
        char probe[4400];
        struct stat sb;
        snprintf(buf, len, cand[i], dir);
        snprintf(probe, sizeof probe, "%s/rampwf/__init__.py", buf);
        if (stat(probe, &sb) == 0) return 1;
    }
    buf[0] = 0;
    return 0;
}
#define SBX_IMGS "/data/imgs"
#define SBX_SUB "/submission"

/* A NaN with a payload no arithmetic produces: marks cells not yet written. */
static float sentinel(void)
{
    uint32_t bits = 0x7fa5a5a5u;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int is_sentinel(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits == 0x7fa5a5a5u;
}

static const char *step_error(ramp__step s)
{
    return ramp__state_name(s == RAMP__STEP_TRAIN   ? RAMP__ST_TRAINING_ERROR
                            : s == RAMP__STEP_VALID ? RAMP__ST_VALIDATING_ERROR
                                                    : RAMP__ST_TESTING_ERROR);
}

const char *ramp__step_error_name(ramp__step s)
{
    return step_error(s);
}

/* Checks n rows of predictions and renormalises each to sum 1 (as rampwf's
   scores do: a classifier's rows need not be exact probabilities); returns 0
   or writes a message. */
static int check_rows(float *p, size_t n, int c, const char *what, char *msg, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (int j = 0; j < c; j++) {
            float v = p[i * (size_t)c + (size_t)j];
            if (is_sentinel(v)) {
                snprintf(msg, len,
                         "%s predictions: row %zu column %d was never written (wrong output "
                         "shape? expected %zu × %d)",
                         what, i, j, n, c);
                return 1;
            }
            if (!isfinite(v)) {
                snprintf(msg, len, "%s predictions: row %zu column %d is %s", what, i, j,
                         isnan(v) ? "NaN" : "infinite");
                return 1;
            }
            if (v < 0) {
                snprintf(msg, len, "%s predictions: row %zu column %d is negative (%g)", what, i,
                         j, (double)v);
                return 1;
            }
            sum += v;
        }
        if (!(sum > 0) || !isfinite(sum)) {
            snprintf(msg, len, "%s predictions: row %zu sums to %.6g (a row needs a positive sum)",
                     what, i, sum);
            return 1;
        }
        if (sum != 1.0)
            for (int j = 0; j < c; j++)
                p[i * (size_t)c + (size_t)j] = (float)(p[i * (size_t)c + (size_t)j] / sum);
    }
    return 0;
}

/* Untrusted text for a terminal or a page: control characters become '?'. */
static void scrub(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

static double finite_or_zero(double v)
{
    return isfinite(v) && v >= 0 ? v : 0;
}

typedef struct watch {
    ramp__fold_result *r;
    const ramp__fold_spec *f;
    double t_start, t_step; /* when the current step was announced */
    /* progress passed on: an epoch's end once (epochs only go forward, at
       most 1000 a second after a burst of 100: end_tokens), other updates
       at most 20 a second */
    int last_end_epoch;
    double t_last_end, t_last_update;
    /* the last progress the child reported (for a time-out's message) */
    int have_prog;
    ramp__progress last;
    double end_tokens;
    size_t cap_history; /* room in r->history */
} watch;

/* The step boundary: the time since the last one goes to the step left. */
static void enter_step(watch *w, ramp__step next, double now)
{
    ramp__fold_result *r = w->r;
    double dt = now - w->t_step;
    if (r->step == RAMP__STEP_TRAIN) r->time_train += dt;
    if (r->step == RAMP__STEP_VALID) r->time_valid += dt;
    if (r->step == RAMP__STEP_TEST) r->time_test += dt;
    w->t_step = now;
    if (next > r->step) r->step = next; /* steps only go forward */
}

static void handle_line(watch *w, char *line)
{
    ramp__fold_result *r = w->r;
    const ramp__fold_spec *f = w->f;
    if (strncmp(line, "STEP ", 5) == 0) {
        const char *s = line + 5;
        ramp__step next = strcmp(s, "training") == 0     ? RAMP__STEP_TRAIN
                          : strcmp(s, "validating") == 0 ? RAMP__STEP_VALID
                                                         : RAMP__STEP_TEST;
        enter_step(w, next, ramp__now());
    } else if (strncmp(line, "STATS train ", 12) == 0) {
        unsigned long long im;
        if (sscanf(line + 12, "%llu %lf %lf", &im, &r->train_images_per_s, &r->train_stall) == 3)
            r->train_images = im;
        r->train_images_per_s = finite_or_zero(r->train_images_per_s);
        r->train_stall = finite_or_zero(r->train_stall);
    } else if (strncmp(line, "PROG ", 5) == 0) {
        ramp__progress p;
        unsigned long long im;
        if (sscanf(line + 5, "%d %d %zu %zu %lf %lf %lf %lf %lf %lf %llu", &p.epoch, &p.n_epochs,
                   &p.batch, &p.n_batches, &p.loss, &p.accuracy, &p.val_loss, &p.val_accuracy,
                   &p.seconds, &p.epoch_seconds, &im) != 11 ||
            p.epoch < 0 || p.batch > p.n_batches || !(p.seconds >= 0) ||
            !(p.epoch_seconds >= 0) || p.seconds > 1e9 || p.epoch_seconds > 1e9)
            return;
        p.images = im;
        w->have_prog = 1;
        w->last = p;
        double now = ramp__now();
        int end = p.batch == p.n_batches;
        if (end) {
            if (p.epoch <= w->last_end_epoch) return; /* epochs only go forward */
            w->last_end_epoch = p.epoch;
            if (r->n_history == w->cap_history && r->n_history < RAMP__HISTORY_MAX) {
                size_t cap = w->cap_history ? 2 * w->cap_history : 16;
                ramp__progress *h = realloc(r->history, cap * sizeof *h);
                if (h) {
                    r->history = h;
                    w->cap_history = cap;
                }
            }
            if (r->n_history < w->cap_history && r->n_history < RAMP__HISTORY_MAX)
                r->history[r->n_history++] = p;
        }
        if (!f->on_progress) return;
        if (end) {
            w->end_tokens += (now - w->t_last_end) * 1000;
            if (w->end_tokens > 100) w->end_tokens = 100;
            w->t_last_end = now;
            if (w->end_tokens < 1) return;
            w->end_tokens -= 1;
        } else {
            if (now - w->t_last_update < 0.05) return;
            w->t_last_update = now;
        }
        f->on_progress(f->progress_ctx, &p);
    } else if (strncmp(line, "ERR ", 4) == 0) { /* ERR <status> <message> */
        char *end;
        long code = strtol(line + 4, &end, 10);
        r->reported = code > 0 && code < 1000 ? (ramp_status)code : RAMP_EINTERNAL;
        /* the verdicts only the parent gives (a time-out, a crash, bad
           output, a stop) are not the child's to claim */
        if (r->reported == RAMP_ETIMEOUT || r->reported == RAMP_ECRASH ||
            r->reported == RAMP_EBADOUTPUT || r->reported == RAMP_ECANCELED)
            r->reported = RAMP_EINTERNAL;
        snprintf(r->message, sizeof r->message, "%s", *end == ' ' ? end + 1 : end);
        scrub(r->message);
    } else if (strcmp(line, "DONE") == 0) {
        r->done = 1;
        enter_step(w, RAMP__STEP_TEST, ramp__now());
    }
}

/* Appends k new bytes at buf + *have (the buffer holds cap bytes and a NUL)
   and handles every whole line; an overlong line is dropped. */
static void feed(watch *w, char *buf, size_t cap, size_t *have, size_t k)
{
    *have += k;
    buf[*have] = '\0';
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', *have - (size_t)(start - buf)))) {
        *nl = '\0';
        handle_line(w, start);
        start = nl + 1;
    }
    *have = (size_t)(buf + *have - start);
    memmove(buf, start, *have);
    if (*have == cap - 1) *have = 0; /* an overlong line: drop it */
}

void ramp__fold_protocol_test(const uint8_t *bytes, size_t n, size_t piece, ramp__fold_result *r)
{
    memset(r, 0, sizeof *r);
    ramp__fold_spec f;
    memset(&f, 0, sizeof f);
    watch w = {r, &f, ramp__now(), ramp__now(), -1, 0, 0, 0, {0}, 100, 0};
    char buf[8192];
    size_t have = 0;
    if (piece == 0) piece = 1;
    for (size_t at = 0; at < n;) {
        size_t k = n - at < piece ? n - at : piece;
        if (k > sizeof buf - 1 - have) k = sizeof buf - 1 - have;
        memcpy(buf + have, bytes + at, k);
        feed(&w, buf, sizeof buf, &have, k);
        at += k;
    }
}

/* A memory file holding `len` bytes of data (or zeros when data is NULL),
   its size sealed; also its writes when `seal_write`. */
static int memfile(const char *name, const void *data, size_t len, int seal_write)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)len) != 0) goto fail;
    for (size_t done = 0; data && done < len;) {
        ssize_t k = pwrite(fd, (const uint8_t *)data + done, len - done, (off_t)done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) goto fail;
        done += (size_t)k;
    }
    int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL | (seal_write ? F_SEAL_WRITE : 0);
    if (fcntl(fd, F_ADD_SEALS, seals) != 0) goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/* The child's view of a host path under sub_dir: SBX_SUB + the rest. */
static void sub_path(char *out, size_t len, const char *host, const char *sub_dir, int sandboxed)
{
    size_t n = strlen(sub_dir);
    if (!host[0] || !sandboxed || strncmp(host, sub_dir, n) != 0 || host[n] != '/')
        snprintf(out, len, "%s", host);
    else
        snprintf(out, len, SBX_SUB "%s", host + n);
}

/* Copies what the child printed into the log, up to the bound. */
typedef struct logsink {
    int fd;
    size_t kept, max, dropped;
} logsink;

static void log_put(logsink *l, const char *p, size_t n)
{
    size_t room = l->kept < l->max ? l->max - l->kept : 0;
    size_t k = n < room ? n : room;
    if (k && l->fd >= 0) {
        ssize_t w = write(l->fd, p, k);
        (void)w;
    }
    l->kept += k;
    l->dropped += n - k;
}

/* The step a prediction row belongs to. */
static ramp__step row_step(const ramp__fold_spec *f, size_t i)
{
    return i < f->n_fold_train                     ? RAMP__STEP_TRAIN
           : i < f->n_fold_train + f->n_fold_valid ? RAMP__STEP_VALID
                                                    : RAMP__STEP_TEST;
}

/* A detector's or segmenter's predictions: copied out of the mapping, then
   checked (every row written, counts and classes in range, coordinates
   finite and ordered, nothing past the end); sets r->status. */
static void check_targets(const ramp__fold_spec *f, ramp__fold_result *r, const void *map,
                          size_t rows, size_t stride, size_t bytes)
{
    int c = f->n_classes;
    const char *what[] = {"train", "valid", "test"};
    r->status = RAMP_EBADOUTPUT;
    if (f->workflow == RAMP_WORKFLOW_SEGMENTATION) {
        size_t used = r->seg_off[rows];
        if (!(r->pred_seg = malloc(bytes))) goto nomem;
        memcpy(r->pred_seg, map, bytes);
        for (size_t i = used; i < bytes; i++)
            if (r->pred_seg[i] != 0xff) {
                r->step = RAMP__STEP_TEST;
                snprintf(r->message, sizeof r->message, "predictions written past their end");
                goto bad;
            }
        for (size_t i = 0; i < rows; i++)
            for (size_t p = r->seg_off[i]; p < r->seg_off[i + 1]; p++)
                if (r->pred_seg[p] >= c) {
                    r->step = row_step(f, i);
                    snprintf(r->message, sizeof r->message,
                             "%s predictions: row %zu pixel %zu is %s", what[r->step], i,
                             p - r->seg_off[i],
                             r->pred_seg[p] == 0xff ? "never written" : "not a class");
                    goto bad;
                }
        r->status = RAMP_OK;
        return;
    }
    size_t nf = bytes / sizeof(float);
    if (!(r->pred = malloc(nf * sizeof(float)))) goto nomem;
    memcpy(r->pred, map, nf * sizeof(float));
    for (size_t i = rows * stride; i < nf; i++)
        if (!is_sentinel(r->pred[i])) {
            r->step = RAMP__STEP_TEST;
            snprintf(r->message, sizeof r->message, "predictions written past their end");
            goto bad;
        }
    for (size_t i = 0; i < rows; i++) {
        const float *q = r->pred + i * stride;
        float n = q[0];
        const char *why = NULL;
        size_t k = 0;
        if (is_sentinel(n))
            why = "never written";
        else if (!(n >= 0 && n <= (float)f->max_objects) || n != floorf(n))
            why = "a bad object count";
        for (; !why && k < (size_t)n; k++) {
            const float *o = q + 1 + 6 * k;
            if (!(o[0] >= 0 && o[0] < (float)c) || o[0] != floorf(o[0])) why = "a class out of range";
            else if (f->paths->arrays ? !isfinite(o[1]) : !(o[1] >= 0 && o[1] <= 1))
                why = f->paths->arrays ? "a confidence that is not finite"
                                       : "a confidence outside [0, 1]";
            else if (!isfinite(o[2]) || !isfinite(o[3]) || !isfinite(o[4]) || !isfinite(o[5]))
                why = "a coordinate that is not finite";
            else if (f->geometry == 0 && (o[4] < o[2] || o[5] < o[3]))
                why = "x1 < x0 or y1 < y0";
            else if (f->geometry == 1 && o[4] < 0)
                why = "a negative radius";
        }
        if (why) {
            r->step = row_step(f, i);
            snprintf(r->message, sizeof r->message, "%s predictions: row %zu has %s%s",
                     what[r->step], i, why, k ? " (an object)" : "");
            goto bad;
        }
    }
    r->status = RAMP_OK;
    return;
nomem:
    r->status = RAMP_ENOMEM;
    snprintf(r->message, sizeof r->message, "out of memory for predictions");
bad:
    free(r->pred);
    r->pred = NULL;
    free(r->pred_seg);
    r->pred_seg = NULL;
}

ramp_status ramp__fold_run(const ramp__fold_spec *f, ramp__fold_result *r)
{
    memset(r, 0, sizeof *r);
    r->step = RAMP__STEP_TRAIN;
    int c = f->n_classes;
    int sandboxed = f->sandbox->mode == RAMP__SANDBOX_ON;
    size_t n_test = f->test->n;
    size_t rows = f->n_fold_train + f->n_fold_valid + n_test;
    int det = f->workflow == RAMP_WORKFLOW_DETECTION, seg = f->workflow == RAMP_WORKFLOW_SEGMENTATION;
    /* floats a row (classification, detection); bytes for segmentation */
    size_t stride = det ? 1 + 6 * (size_t)f->max_objects : (size_t)c;
    size_t nf = rows * stride + GUARD_FLOATS;
    size_t bytes = nf * sizeof(float);
    uint32_t *wh = NULL; /* segmentation: every row's size, in row order */
    if (seg) {
        if (!(wh = malloc((2 * rows + 1) * sizeof *wh)) ||
            !(r->seg_off = malloc((rows + 1) * sizeof *r->seg_off))) {
            free(wh);
            r->status = RAMP_ENOMEM;
            snprintf(r->message, sizeof r->message, "out of memory");
            return RAMP_ENOMEM;
        }
        r->seg_off[0] = 0;
        for (size_t i = 0; i < rows; i++) {
            size_t k = i < f->n_fold_train                    ? f->fold_train[i]
                       : i < f->n_fold_train + f->n_fold_valid ? f->fold_valid[i - f->n_fold_train]
                                                               : i - f->n_fold_train - f->n_fold_valid;
            const uint32_t *src = i < f->n_fold_train + f->n_fold_valid ? f->train_wh : f->test_wh;
            wh[2 * i] = src[2 * k];
            wh[2 * i + 1] = src[2 * k + 1];
            r->seg_off[i + 1] = r->seg_off[i] + (size_t)wh[2 * i] * wh[2 * i + 1];
        }
        bytes = r->seg_off[rows] + GUARD_FLOATS * sizeof(float);
    }
    int spec_fd = -1, pred_fd = -1, proto[2] = {-1, -1}, out[2] = {-1, -1};
    float *pred = MAP_FAILED;
    logsink log = {-1, 0, f->log_max ? f->log_max : LOG_MAX_DEFAULT, 0};
    ramp_err err = {RAMP_OK, ""};
    ramp_status st = RAMP_OK;

    /* the specification: the fold-train rows' labels, ids only for the rest */
    ramp__fold_wire w;
    memset(&w, 0, sizeof w);
    w.n_classes = c;
    w.loader = f->loader;
    w.test_batch_size = f->test_batch_size;
    w.info = f->info;
    w.info.submission_dir = sandboxed ? SBX_SUB : f->sub_dir;
    w.imgs_dir = sandboxed ? SBX_IMGS : f->imgs_dir;
    sub_path(w.paths.pp_so, sizeof w.paths.pp_so, f->paths->pp_so, f->sub_dir, sandboxed);
    sub_path(w.paths.clf_so, sizeof w.paths.clf_so, f->paths->clf_so, f->sub_dir, sandboxed);
    sub_path(w.paths.pp_py, sizeof w.paths.pp_py, f->paths->pp_py, f->sub_dir, sandboxed);
    sub_path(w.paths.clf_py, sizeof w.paths.clf_py, f->paths->clf_py, f->sub_dir, sandboxed);
    w.paths.simplified = f->paths->simplified;
    w.paths.arrays = f->paths->arrays;
    w.workflow = f->workflow;
    int is_py = f->paths->pp_py[0] || f->paths->clf_py[0];
    char pylib[4096] = "";
    if (is_py) python_lib(f->exe, pylib, sizeof pylib);
    w.py_lib = !pylib[0] ? "" : sandboxed ? SBX_PYLIB : pylib;
    const char *plugin = is_py && f->python_plugin ? f->python_plugin : "";
    w.py_plugin = !plugin[0] ? "" : sandboxed ? SBX_PLUGIN : plugin;
    w.py_workers = f->py_threads ? 0 : f->loader.n_jobs > 0 ? f->loader.n_jobs : 2;
    /* a virtualenv is shown at its own path (its scripts and .pth files name
       it), except under the folders the sandbox makes its own */
    w.py_env = is_py && f->py_env ? f->py_env : "";
    const char *env_dst = w.py_env;
    if (sandboxed && w.py_env[0] &&
        (strncmp(w.py_env, "/tmp/", 5) == 0 || strncmp(w.py_env, "/dev/", 5) == 0 ||
         strncmp(w.py_env, "/proc/", 6) == 0 || strncmp(w.py_env, "/ramp/", 6) == 0 ||
         strncmp(w.py_env, "/data/", 6) == 0 || strncmp(w.py_env, "/submission", 11) == 0))
        w.py_env = env_dst = SBX_PYENV;
    if (f->workflow == RAMP_WORKFLOW_SIMPLIFIED && !f->paths->simplified) {
        st = ramp__err_set(&err, RAMP_ENOENT,
                           "the kit's workflow is simplified_image_classifier: the submission must "
                           "be image_classifier.py alone (class ImageClassifier)");
        goto fail;
    }
    if (f->workflow != RAMP_WORKFLOW_SIMPLIFIED && f->paths->simplified) {
        st = ramp__err_set(&err, RAMP_ENOENT,
                           "image_classifier.py is a simplified_image_classifier submission, but "
                           "the kit's workflow is image_classifier (image_preprocessor + "
                           "batch_classifier)");
        goto fail;
    }
    if (f->paths->arrays && (!det || c != 1)) {
        if (det)
            st = ramp__err_set(&err, RAMP_EINVAL,
                               "object_detector.py is a submission of rampwf's ObjectDetector "
                               "workflow, which detects objects of one class; the kit has %d",
                               c);
        else
            st = ramp__err_set(&err, RAMP_EINVAL,
                               "object_detector.py is a submission of rampwf's ObjectDetector "
                               "workflow, but the kit's workflow is not detection");
        goto fail;
    }
    if ((det || seg) && f->paths->simplified) {
        st = ramp__err_set(&err, RAMP_EINVAL,
                           "image_classifier.py is a simplified_image_classifier submission, but "
                           "the kit's workflow is %s (image_preprocessor + %s)",
                           det ? "detection" : "segmentation",
                           det ? "batch_detector" : "batch_segmenter");
        goto fail;
    }
    if (f->paths->model != (det ? RAMP__MODEL_DETECTOR : seg ? RAMP__MODEL_SEGMENTER
                                                             : RAMP__MODEL_CLASSIFIER)) {
        st = ramp__err_set(&err, RAMP_EINVAL, "the submission was built as a %s, the kit needs a %s",
                           ramp__model_name(f->paths->model),
                           ramp__model_name(det ? RAMP__MODEL_DETECTOR
                                            : seg ? RAMP__MODEL_SEGMENTER
                                                  : RAMP__MODEL_CLASSIFIER));
        goto fail;
    }
    w.paths.model = f->paths->model;
    w.geometry = det ? f->geometry : 0;
    w.max_objects = det ? f->max_objects : 0;
    w.pred_wh = wh;
    w.n_train = f->n_fold_train;
    w.n_valid = f->n_fold_valid;
    w.n_test = n_test;
    w.train_ids = malloc((w.n_train + 1) * sizeof *w.train_ids);
    w.train_labels = malloc((w.n_train + 1) * sizeof *w.train_labels);
    w.valid_ids = malloc((w.n_valid + 1) * sizeof *w.valid_ids);
    uint8_t *spec = NULL;
    size_t spec_len = 0;
    int ok = w.train_ids && w.train_labels && w.valid_ids;
    if (ok && det) {
        size_t tot = 0;
        for (size_t i = 0; i < w.n_train; i++) {
            size_t row = f->fold_train[i];
            tot += f->train->obj_off[row + 1] - f->train->obj_off[row];
        }
        w.train_obj_off = malloc((w.n_train + 1) * sizeof *w.train_obj_off);
        w.train_objs = malloc((tot + 1) * sizeof *w.train_objs);
        ok = w.train_obj_off && w.train_objs;
        for (size_t i = 0, at = 0; ok && i < w.n_train; i++) {
            size_t row = f->fold_train[i], o0 = f->train->obj_off[row],
                   n = f->train->obj_off[row + 1] - o0;
            w.train_obj_off[i] = at;
            memcpy(w.train_objs + at, f->train->objs + o0, n * sizeof *w.train_objs);
            at += n;
            w.train_obj_off[i + 1] = at;
        }
    }
    if (ok && seg) {
        w.train_masks = calloc(w.n_train + 1, sizeof *w.train_masks);
        w.train_mask_len = calloc(w.n_train + 1, sizeof *w.train_mask_len);
        ok = w.train_masks && w.train_mask_len;
        for (size_t i = 0; ok && !st && i < w.n_train; i++) {
            uint8_t *m = NULL;
            st = ramp__read_file(f->train->mask_paths[f->fold_train[i]], (size_t)64 << 20, &m,
                                 &w.train_mask_len[i], &err);
            w.train_masks[i] = m;
        }
    }
    if (!ok) {
        st = ramp__err_set(&err, RAMP_ENOMEM, "out of memory");
    } else if (!st) {
        for (size_t i = 0; i < w.n_train; i++) {
            w.train_ids[i] = f->train->ids[f->fold_train[i]];
            w.train_labels[i] = f->train->labels ? f->train->labels[f->fold_train[i]] : 0;
        }
        for (size_t i = 0; i < w.n_valid; i++) w.valid_ids[i] = f->train->ids[f->fold_valid[i]];
        w.test_ids = (const char **)f->test->ids;
        st = ramp__fold_wire_encode(&w, &spec, &spec_len, &err);
    }
    free(w.train_ids);
    free(w.train_labels);
    free(w.valid_ids);
    free(w.train_objs);
    free(w.train_obj_off);
    for (size_t i = 0; w.train_masks && i < w.n_train; i++) free((void *)w.train_masks[i]);
    free(w.train_masks);
    free(w.train_mask_len);
    free(wh);
    wh = NULL;
    if (st) goto fail;
    spec_fd = memfile("ramp-fold-spec", spec, spec_len, 1);
    free(spec);
    pred_fd = memfile("ramp-fold-pred", NULL, bytes, 0);
    if (spec_fd < 0 || pred_fd < 0) {
        st = ramp__err_set(&err, RAMP_ENOMEM, "cannot make the fold's memory files (%zu bytes): %s",
                           bytes, strerror(errno));
        goto fail;
    }
    pred = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, pred_fd, 0);
    if (pred == MAP_FAILED) {
        st = ramp__err_set(&err, RAMP_ENOMEM, "cannot map %zu bytes for predictions", bytes);
        goto fail;
    }
    if (seg) {
        memset(pred, 0xff, bytes); /* 255: a pixel never written */
    } else {
        float s = sentinel();
        for (size_t i = 0; i < nf; i++) pred[i] = s;
    }
    if (pipe2(proto, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        st = ramp__err_set(&err, RAMP_EIO, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (f->log_path) {
        log.fd = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (log.fd < 0) {
            st = ramp__err_set(&err, RAMP_EIO, "%s: %s", f->log_path, strerror(errno));
            goto fail;
        }
    }

    /* the sandbox: the caller's settings plus this fold's mounts and descriptors */
    ramp__sandbox_opts so = *f->sandbox;
    ramp__sandbox_mount mounts[10];
    size_t nm = 0;
    mounts[nm++] = (ramp__sandbox_mount){f->exe, SBX_EXE, 0};
    mounts[nm++] = (ramp__sandbox_mount){f->imgs_dir, SBX_IMGS, 0};
    mounts[nm++] = (ramp__sandbox_mount){f->sub_dir, SBX_SUB, 0};
    /* of the submission's folder, not what the trusted side wrote there:
       earlier folds' logs, --save-output's scores; the objects stay */
    char cache[4200], objs[4300], saved[4200];
    struct stat sb;
    snprintf(cache, sizeof cache, "%s/.ramp-build", f->sub_dir);
    snprintf(objs, sizeof objs, "%s/.ramp-build/out", f->sub_dir);
    snprintf(saved, sizeof saved, "%s/training_output", f->sub_dir);
    if (sandboxed && lstat(cache, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        mounts[nm++] = (ramp__sandbox_mount){NULL, SBX_SUB "/.ramp-build", 0};
        if (lstat(objs, &sb) == 0 && S_ISDIR(sb.st_mode))
            mounts[nm++] = (ramp__sandbox_mount){objs, SBX_SUB "/.ramp-build/out", 0};
    }
    if (sandboxed && lstat(saved, &sb) == 0 && S_ISDIR(sb.st_mode))
        mounts[nm++] = (ramp__sandbox_mount){NULL, SBX_SUB "/training_output", 0};
    if (plugin[0]) mounts[nm++] = (ramp__sandbox_mount){plugin, SBX_PLUGIN, 0};
    if (sandboxed && pylib[0]) mounts[nm++] = (ramp__sandbox_mount){pylib, SBX_PYLIB, 0};
    if (sandboxed && w.py_env[0]) mounts[nm++] = (ramp__sandbox_mount){f->py_env, env_dst, 0};
    so.mounts = mounts;
    so.n_mounts = nm;
    int fds[5] = {spec_fd, out[1], out[1], proto[1], pred_fd};
    so.fds = fds;
    so.n_fds = 5;
    char *argv[] = {"ramp", "__fold", NULL};
    double t_start = ramp__now();
    pid_t pid;
    st = ramp__sandbox_start(&so, sandboxed ? SBX_EXE : f->exe, argv, &pid, &err);
    close(out[1]);
    close(proto[1]);
    out[1] = proto[1] = -1;
    close(spec_fd);
    spec_fd = -1;
    if (st) goto fail;

    /* Read the protocol and the output while watching the child itself: a
       pipe's end says nothing (a child may close it and go on), so the
       deadline holds until the child has exited. */
    watch wt = {r, f, t_start, t_start, -1, 0, 0, 0, {0}, 100, 0};
    char buf[8192], obuf[16384];
    size_t have = 0;
    int timed_out = 0, status = 0, exited = 0, open_fds[2] = {proto[0], out[0]};
    double next_tick = t_start;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        if (!exited) exited = wait4(pid, &status, WNOHANG, &ru) == pid;
        double now = ramp__now(), left = f->timeout_s - (now - t_start);
        if (!exited && left <= 0) {
            timed_out = 1;
            break;
        }
        if (!exited && f->tick && now >= next_tick) {
            next_tick = now + 0.2;
            if (f->tick(f->tick_ctx)) {
                r->canceled = 1;
                break;
            }
        }
        int ms = exited ? 0 : left > 0.2 ? 200 : (int)(left * 1000) + 1;
        struct pollfd p[2] = {{open_fds[0], POLLIN, 0}, {open_fds[1], POLLIN, 0}};
        int pr = poll(p, 2, ms);
        if (pr < 0 && errno != EINTR) break;
        int got = 0;
        if (pr > 0 && open_fds[1] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = read(open_fds[1], obuf, sizeof obuf);
            if (k > 0) {
                log_put(&log, obuf, (size_t)k);
                got = 1;
            } else if (k == 0 || errno != EINTR) {
                open_fds[1] = -1;
            }
        }
        if (pr > 0 && open_fds[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = read(open_fds[0], buf + have, sizeof buf - 1 - have);
            if (k > 0) {
                got = 1;
                feed(&wt, buf, sizeof buf, &have, (size_t)k);
            } else if (k == 0 || errno != EINTR) {
                open_fds[0] = -1;
            }
        }
        if (got) continue;  /* more may be waiting */
        if (exited) break;  /* and nothing left to read */
    }
    /* the whole sandbox goes: a timed-out child and anything it started */
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    if (!exited)
        while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
        }
    r->max_rss_kb = ru.ru_maxrss;
    double t_end = ramp__now();
    r->wall = t_end - t_start;
    if (!r->done) enter_step(&wt, r->step, t_end);
    if (log.dropped && log.fd >= 0) {
        char line[160];
        int k = snprintf(line, sizeof line, "\n[ramp: %zu more bytes of output dropped: the log keeps %zu]\n",
                         log.dropped, log.max);
        if (k > 0) {
            ssize_t wr = write(log.fd, line, (size_t)k);
            (void)wr;
        }
    }
    int sig = 0, code = 0;
    ramp__sandbox_decode(&so, status, &sig, &code);
    int oom = sandboxed ? ramp__sandbox_end(pid) : 0;
    if (r->canceled) {
        snprintf(r->message, sizeof r->message, "stopped");
        r->status = RAMP_ECANCELED;
    } else if (timed_out) {
        char how_far[160] = "";
        if (wt.have_prog && r->step == RAMP__STEP_TRAIN)
            snprintf(how_far, sizeof how_far, " (last progress: epoch %d, batch %zu of %zu)",
                     wt.last.epoch + 1, wt.last.batch, wt.last.n_batches);
        snprintf(r->message, sizeof r->message, "timed out after %.0f s (--timeout) during %s%s",
                 f->timeout_s,
                 r->step == RAMP__STEP_TRAIN   ? "training"
                 : r->step == RAMP__STEP_VALID ? "validation"
                                               : "testing",
                 how_far);
        r->status = RAMP_ETIMEOUT;
    } else if (sig) {
        snprintf(r->message, sizeof r->message, "crashed with signal %d (%s)%s", sig,
                 strsignal(sig),
                 sig == SIGXCPU   ? ": the CPU time limit"
                 : sig == SIGXFSZ ? ": the file size limit"
                 : oom            ? ": the memory limit (--mem-limit, with /tmp and /dev/shm)"
                                  : "");
        r->status = RAMP_ECRASH;
    } else if (!r->done) {
        if (!r->message[0])
            snprintf(r->message, sizeof r->message, "exited unexpectedly with status %d%s", code,
                     code == 125 ? " (the sandbox could not start it: see the log)" : "");
        r->status = r->reported ? r->reported : RAMP_ECRASH; /* the child's own report */
    } else {
        /* a copy first, then the checks on the copy: what was checked is
           what is scored, whatever still holds the mapping */
        if (det || seg) {
            check_targets(f, r, pred, rows, stride, bytes);
        } else if (!(r->pred = malloc(nf * sizeof(float)))) {
            r->status = RAMP_ENOMEM;
            snprintf(r->message, sizeof r->message, "out of memory for predictions");
        } else {
            memcpy(r->pred, pred, nf * sizeof(float));
            size_t nt = f->n_fold_train, nv = f->n_fold_valid;
            float *p = r->pred, *bt = p, *bv = p + nt * (size_t)c, *bs = bv + nv * (size_t)c;
            int bad = 0;
            for (size_t i = rows * (size_t)c; i < nf && !bad; i++)
                if (!is_sentinel(p[i])) {
                    r->step = RAMP__STEP_TEST;
                    snprintf(r->message, sizeof r->message,
                             "predict_proba wrote past the end of its output (wrong shape? "
                             "expected n × %d)", c);
                    bad = 1;
                }
            if (!bad && check_rows(bt, nt, c, "train", r->message, sizeof r->message)) {
                r->step = RAMP__STEP_TRAIN;
                bad = 1;
            }
            if (!bad && check_rows(bv, nv, c, "valid", r->message, sizeof r->message)) {
                r->step = RAMP__STEP_VALID;
                bad = 1;
            }
            if (!bad && check_rows(bs, n_test, c, "test", r->message, sizeof r->message)) {
                r->step = RAMP__STEP_TEST;
                bad = 1;
            }
            r->status = bad ? RAMP_EBADOUTPUT : RAMP_OK;
            if (bad) {
                free(r->pred);
                r->pred = NULL;
            }
        }
    }
    st = r->status;
    goto done;
fail:
    r->status = st;
    snprintf(r->message, sizeof r->message, "%s", err.msg);
done:
    free(wh);
    if (pred != MAP_FAILED) munmap(pred, bytes);
    int to_close[] = {spec_fd, pred_fd, proto[0], proto[1], out[0], out[1], log.fd};
    for (size_t i = 0; i < sizeof to_close / sizeof *to_close; i++)
        if (to_close[i] >= 0) close(to_close[i]);
    return st;
}

void ramp__fold_result_clear(ramp__fold_result *r)
{
    free(r->pred);
    r->pred = NULL;
    free(r->pred_seg);
    r->pred_seg = NULL;
    free(r->seg_off);
    r->seg_off = NULL;
    free(r->history);
    r->history = NULL;
    r->n_history = 0;
}
