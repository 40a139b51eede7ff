/* cmd_worker.c — `ramp worker`: claims the store's pending submissions one
 * at a time and trains each as `ramp test` does, in this (trusted) process.
 *
 * The worker runs the workflow itself (workflow/workflow.c): the
 * submission's files are written from the store into a fresh folder, built
 * and run fold by fold in the sandbox, and scored here with the labels the
 * worker holds; the result structure goes into the store in one transaction,
 * then the blend is recomputed. Nothing a submission could have written is
 * read back: no score file, no log text parsed for a state. The worker
 * refuses to start where the sandbox cannot be made, unless the organiser
 * passes --insecure.
 *
 * While a submission trains the worker renews its lease (from the
 * workflow's tick); a lost lease (the worker stalled and another took the
 * submission over) stops the training and stores nothing. SIGTERM/SIGINT
 * stop the training and give the claim back at once. A worker killed at any
 * moment leaves the store untouched: its claim expires with the lease and
 * another worker takes the submission again, at most max-claims times (then
 * it is worker_killed). On start, the folders of workers that died are
 * removed.
 */
#define _GNU_SOURCE /* sigaction, rand_r */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "ramp/dataset.h"
#include "ramp/image.h"
#include "ramp/nn.h"
#include "store/storeInt.h"
#include "workflow/workflowInt.h"


typedef struct worker_opts {
    const char *db;
    const char *data;
    const char *workdir;
    int once, drain, jobs;
    double timeout, lease, poll;
    long mem_mb;
    int max_claims, insecure;
    const char *device_name; /* --device as given */
    int device;              /* resolved: RAMP_DEVICE_CPU or RAMP_DEVICE_CUDA */
    const char *math_name;   /* --math as given */
    int math;                /* ramp_math's value (fp32 by default) */
} worker_opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp worker --db DB [--once | --drain] [--jobs K] [--timeout S] [--lease S]\n"
            "                   [--data DIR] [--workdir DIR] [--mem-limit MiB] [--poll S]\n"
            "                   [--max-claims N] [--insecure] [--device cpu|cuda|auto]\n"
            "                   [--math fp32|tf32|bf16]\n\n"
            "Claims pending submissions from the store and trains them as 'ramp test' does,\n"
            "each fold in the sandbox; stores their scores, times, peak memory and\n"
            "predictions, then recomputes the combined score and the contributivities.\n\n"
            "  --once           train at most one submission, then exit\n"
            "  --drain          exit when nothing is left to train (pending, or in\n"
            "                   training under a live lease); default: run until killed\n"
            "  --jobs K         K submissions at once (K worker processes; default 1)\n"
            "  --timeout S      per fold, in seconds (default 7200); the whole training\n"
            "                   is stopped after (folds + 1) × S\n"
            "  --lease S        claim lease, renewed while training (default 60)\n"
            "  --data DIR       the kit's data folder (default: the event's)\n"
            "  --workdir DIR    where submissions are written (default: $TMPDIR or /tmp)\n"
            "  --mem-limit MiB  address-space limit of the training (default 16384; 0: none)\n"
            "  --poll S         seconds between looks at an empty queue (default 1)\n"
            "  --max-claims N   a submission whose workers died N times is not claimed\n"
            "                   again: it ends as worker_killed (default 3)\n"
            "  --insecure       run submissions without the sandbox (they can then read\n"
            "                   the test labels and the store): for a trusted event only\n"
            "  --device D       where submissions train: cpu (default), cuda (the GPU; the\n"
            "                   worker refuses to start where CUDA cannot run), auto\n"
            "  --math M         the arithmetic of convolutions and matrix products: fp32\n"
            "                   (default), tf32 or bf16 (mixed precision on the GPU; the\n"
            "                   CPU computes fp32 for all three), as 'ramp test --math'\n");
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

typedef struct worker {
    const worker_opts *o;
    ramp__store *s;
    ramp__event ev;
    char id[128];
    char exe[4096];
    ramp__cli_tools tools;
    char imgs[4200];
    char codes[4200]; /* the class codes file (the previews' class names) */
    char **env;
    ramp__kit_split train, test;
} worker;

/* Set by SIGTERM/SIGINT: stop training, give the claim back, exit. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* A data file of the event: the one its problem's [data] section names
   (relative to the kit folder), else DATA/name. */
static void event_path(char *buf, size_t len, const ramp__event *ev, ramp_data_item which,
                       const char *data, const char *name)
{
    const char *named = ramp_problem_data_path(ev->problem, which);
    if (!named)
        snprintf(buf, len, "%s/%s", data, name);
    else if (named[0] == '/')
        snprintf(buf, len, "%s", named);
    else
        snprintf(buf, len, "%s/%s", ev->kit_dir, named);
}

/* ---- one training ------------------------------------------------------------ */

typedef struct run_state {
    worker *w;
    const ramp__claim *c;
    double t0, last_renew, limit;
    int why; /* 0 running; 1 lease lost; 2 time limit; 3 signal */
    ramp__buf log;
    int last_epoch;
    unsigned long progress_dropped;
} run_state;

/* The stored log keeps its last 256 KiB (RAMP__LOG_MAX); progress lines
   stop here (a submission can report any number of epochs). */
#define PROGRESS_LOG_MAX ((size_t)1 << 20)

static int tick(void *ctx)
{
    run_state *rs = ctx;
    if (rs->why) return 1;
    double now = ramp__now();
    if (stop_signal) rs->why = 3;
    else if (now - rs->t0 > rs->limit) rs->why = 2;
    else if (now - rs->last_renew >= rs->w->o->lease / 3) {
        rs->last_renew = now;
        if (ramp__store_renew(rs->w->s, rs->c->id, rs->w->id, rs->w->o->lease) == RAMP_ELEASE)
            rs->why = 1;
    }
    return rs->why != 0;
}

/* The learning curve's lines ("fold K epoch E/N: ... loss X"), as `ramp
   test` prints them, into the stored log. */
static void on_progress(void *ctx, int fold, const ramp__progress *p)
{
    run_state *rs = ctx;
    if (p->batch < p->n_batches) return;
    if (rs->log.len > PROGRESS_LOG_MAX) { /* the learning curve's share of the log */
        rs->progress_dropped++;
        return;
    }
    ramp__buf_printf(&rs->log, "fold %d epoch %d", fold, p->epoch + 1);
    if (p->n_epochs > 0) ramp__buf_printf(&rs->log, "/%d", p->n_epochs);
    ramp__buf_printf(&rs->log, ": %zu batches", p->n_batches);
    if (p->loss >= 0) ramp__buf_printf(&rs->log, ", loss %.4f", p->loss);
    if (p->accuracy >= 0) ramp__buf_printf(&rs->log, ", acc %.4f", p->accuracy);
    if (p->val_loss >= 0) ramp__buf_printf(&rs->log, ", val_loss %.4f", p->val_loss);
    if (p->val_accuracy >= 0) ramp__buf_printf(&rs->log, ", val_acc %.4f", p->val_accuracy);
    ramp__buf_printf(&rs->log, ", %.1fs\n", p->epoch_seconds);
}

/* Appends the tail of a fold's log (written by the trusted side). */
static void append_tail(ramp__buf *b, const char *path, size_t max)
{
    uint8_t *text = NULL;
    size_t len = 0;
    if (ramp__read_file(path, (size_t)64 << 20, &text, &len, NULL)) return;
    size_t start = len > max ? len - max : 0;
    if (start) ramp__buf_printf(b, "[... %zu bytes before]\n", start);
    ramp__buf_put(b, text + start, len - start);
    if (len && text[len - 1] != '\n') ramp__buf_puts(b, "\n");
    free(text);
}

static void on_fold_end(void *ctx, int k, const ramp__wf_result *r)
{
    run_state *rs = ctx;
    const ramp__wf_fold *f = &r->folds[k];
    ramp__buf_printf(&rs->log, "---- fold %d: %s\n", k,
                     f->run.status ? ramp__step_error_name(f->run.step) : "ok");
    append_tail(&rs->log, f->log_path, 64u << 10);
    if (f->ok) { /* the public part: train and validation scores, times (test scores are not) */
        const ramp_problem *pb = rs->w->ev.problem;
        for (int row = RAMP__ROW_TRAIN; row <= RAMP__ROW_VALID; row++) {
            ramp__buf_printf(&rs->log, "fold %d %s:", k, row == RAMP__ROW_TRAIN ? "train" : "valid");
            for (int j = 0; j < r->n_scores; j++)
                ramp__buf_printf(&rs->log, " %s %.*f", ramp_problem_score_name(pb, j),
                                 ramp_problem_score_precision(pb, j), f->scores.v[row][j]);
            ramp__buf_printf(&rs->log, ", %.2f s\n", f->scores.time[row]);
        }
    }
    if (f->run.status) ramp__buf_printf(&rs->log, "%s: %s\n", ramp__step_error_name(f->run.step), f->run.message);
    if (!rs->log.oom && !rs->why) ramp__store_log(rs->w->s, rs->c->id, rs->w->id, rs->log.p);
}

/* The state a failed run ends in. */
static const char *error_state(const ramp__wf_result *r)
{
    if (r->failed_fold < 0 || !r->folds) return ramp__state_name(RAMP__ST_TRAINING_ERROR);
    const ramp__fold_result *f = &r->folds[r->failed_fold].run;
    if (f->status == RAMP_ETIMEOUT) return ramp__state_name(RAMP__ST_TIMEOUT);
    return ramp__step_error_name(f->step);
}

/* Trains one claimed submission and stores what came of it. Returns 0 when
   the results were stored (whatever the state), 1 otherwise. */
/* ---- previews: a few test images with the bag's predictions ---------------------- */

typedef struct previews {
    ramp__preview p[RAMP__PREVIEW_N];
    uint8_t *bytes[RAMP__PREVIEW_N], *mask[RAMP__PREVIEW_N], *overlay[RAMP__PREVIEW_N];
    ramp__buf dets[RAMP__PREVIEW_N];
    ramp__buf classes;
    size_t n;
} previews;

static void previews_free(previews *pv)
{
    for (size_t i = 0; i < RAMP__PREVIEW_N; i++) {
        free(pv->bytes[i]);
        free(pv->mask[i]);
        free(pv->overlay[i]);
        ramp__buf_free(&pv->dets[i]);
    }
    ramp__buf_free(&pv->classes);
    memset(pv, 0, sizeof *pv);
}

static int by_conf_desc(const void *a, const void *b)
{
    const ramp_det_obj *x = *(const ramp_det_obj *const *)a, *y = *(const ramp_det_obj *const *)b;
    return x->conf > y->conf ? -1 : x->conf < y->conf ? 1 : (x < y ? -1 : x > y);
}

/* The first RAMP__PREVIEW_N test rows of test.csv the run predicted, with
   the bag's objects (confidence >= RAMP__PREVIEW_MIN_CONF, the
   RAMP__PREVIEW_MAX_OBJECTS most confident) or class map. Every image is
   read here, on the trusted side, from the kit's folder. */
static ramp_status build_previews(const worker *w, const ramp__wf_result *r, previews *pv,
                                  ramp_err *err)
{
    const ramp_problem *pb = w->ev.problem;
    int det = ramp_problem_workflow(pb) == RAMP_WORKFLOW_DETECTION;
    const ramp_samples *ts = &w->test.samples;
    memset(pv, 0, sizeof *pv);
    if (det ? !r->bagged_dets.off || r->bagged_dets.n != r->n_test : !r->bagged_seg)
        return RAMP_OK;
    if (!det && !ts->mask_paths) return RAMP_OK; /* the maps' sizes are the masks' */
    /* the class names: the stored problem has none; the kit's class codes
       file, when there is one */
    ramp_problem *named = NULL;
    uint8_t *codes = NULL;
    size_t codes_len = 0;
    ramp_err cerr = {RAMP_OK, ""};
    if (w->ev.problem_ini &&
        !ramp__read_file(w->codes, (size_t)16 << 20, &codes, &codes_len, &cerr)) {
        if (ramp_problem_parse(&named, w->ev.problem_ini, strlen(w->ev.problem_ini), "problem.ini",
                               (const char *)codes, codes_len, w->codes, w->ev.kit_dir, &cerr))
            named = NULL;
        free(codes);
    }
    /* a class named "background" is left out of the overlay (transparent) */
    uint8_t bg[256] = {0};
    for (int k = 0; k < ramp_problem_n_classes(pb); k++) {
        const char *nm = ramp_problem_class_name(named ? named : pb, k);
        if (k < 256 && nm && !strcasecmp(nm, "background")) bg[k] = 1;
        for (const char *q = nm ? nm : ""; *q; q++)
            ramp__buf_put(&pv->classes, *q == '\n' || *q == '\r' ? " " : q, 1);
        ramp__buf_puts(&pv->classes, "\n");
    }
    ramp_problem_free(named);
    /* the run's rows in test.csv order: pick the N smallest row numbers */
    size_t pick[RAMP__PREVIEW_N];
    size_t np = 0;
    for (size_t m = 0; m < r->n_test; m++) {
        size_t j = np < RAMP__PREVIEW_N ? np++ : RAMP__PREVIEW_N;
        if (j == RAMP__PREVIEW_N) {
            if (r->test_rows[m] >= r->test_rows[pick[RAMP__PREVIEW_N - 1]]) continue;
            j = RAMP__PREVIEW_N - 1;
        }
        while (j > 0 && r->test_rows[pick[j - 1]] > r->test_rows[m]) {
            pick[j] = pick[j - 1];
            j--;
        }
        pick[j] = m;
    }
    ramp_pp *pp = NULL;
    ramp_status st = ramp_pp_new(&pp, err);
    const ramp_det_obj **sorted = NULL;
    for (size_t i = 0; !st && i < np; i++) {
        size_t m = pick[i];
        uint32_t row = r->test_rows[m];
        const char *id = ts->ids[row], *path = ts->paths ? ts->paths[row] : NULL;
        ramp__preview *p = &pv->p[pv->n];
        if (!path) continue;
        size_t len = 0;
        if ((st = ramp__read_file(path, RAMP__PREVIEW_MAX_IMAGE, &pv->bytes[pv->n], &len, err)))
            break;
        ramp_pp_reset(pp);
        const ramp_image *im = ramp_img_from_memory(pp, pv->bytes[pv->n], len, id);
        ramp_img_format fmt = ramp_img_sniff(pv->bytes[pv->n], len);
        if (!im || (fmt != RAMP_FMT_PNG && fmt != RAMP_FMT_JPEG)) {
            free(pv->bytes[pv->n]);
            pv->bytes[pv->n] = NULL;
            continue;
        }
        *p = (ramp__preview){.name = id, .width = ramp_img_width(im), .height = ramp_img_height(im),
                             .type = fmt == RAMP_FMT_PNG ? "image/png" : "image/jpeg",
                             .bytes = pv->bytes[pv->n], .len = len, .classes = pv->classes.p};
        if (det) {
            size_t a = r->bagged_dets.off[m], b = r->bagged_dets.off[m + 1], n = 0;
            free(sorted);
            if (!(sorted = malloc((b - a + 1) * sizeof *sorted))) {
                st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
                break;
            }
            for (size_t k = a; k < b; k++)
                if (r->bagged_dets.obj[k].conf >= RAMP__PREVIEW_MIN_CONF)
                    sorted[n++] = &r->bagged_dets.obj[k];
            qsort(sorted, n, sizeof *sorted, by_conf_desc);
            if (n > RAMP__PREVIEW_MAX_OBJECTS) n = RAMP__PREVIEW_MAX_OBJECTS;
            ramp__buf *d = &pv->dets[pv->n];
            ramp__buf_puts(d, "");
            for (size_t k = 0; k < n; k++)
                ramp__buf_printf(d, "%d %.9g %.9g %.9g %.9g %.9g\n", (int)sorted[k]->cls,
                                 sorted[k]->conf, sorted[k]->g[0], sorted[k]->g[1],
                                 sorted[k]->g[2], sorted[k]->g[3]);
            if (d->oom) {
                st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
                break;
            }
            p->geometry = ramp_problem_geometry(pb);
            p->dets = d->p ? d->p : "";
        } else {
            /* the map has the truth mask's size (read for its header only) */
            ramp_pp_reset(pp);
            const ramp_image *mk = ts->mask_paths[row] ? ramp_img_open(pp, ts->mask_paths[row]) : NULL;
            if (!mk || ramp_img_width(mk) != p->width || ramp_img_height(mk) != p->height) {
                free(pv->bytes[pv->n]);
                pv->bytes[pv->n] = NULL;
                continue;
            }
            size_t npx = (size_t)p->width * (size_t)p->height;
            const uint8_t *map = r->bagged_seg[m];
            uint8_t *rgba = malloc(4 * npx + 1);
            if (!rgba) {
                st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
                break;
            }
            for (size_t k = 0; k < npx; k++) {
                ramp__preview_colour(map[k], rgba + 4 * k);
                if (bg[map[k]]) memset(rgba + 4 * k, 0, 4);
            }
            st = ramp_img_encode(&pv->mask[pv->n], &p->mask_len, RAMP_FMT_PNG, map, p->width,
                                 p->height, 1, (size_t)p->width, 0, err);
            if (!st)
                st = ramp_img_encode(&pv->overlay[pv->n], &p->overlay_len, RAMP_FMT_PNG, rgba,
                                     p->width, p->height, 4, 4 * (size_t)p->width, 0, err);
            free(rgba);
            if (st) break;
            p->geometry = -1;
            p->mask = pv->mask[pv->n];
            p->overlay = pv->overlay[pv->n];
        }
        pv->n++;
    }
    free(sorted);
    ramp_pp_free(pp);
    if (!st && pv->classes.oom) st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (!st)
        for (size_t i = 0; i < pv->n; i++) pv->p[i].classes = pv->classes.p;
    if (st) previews_free(pv);
    return st;
}

static int train_one(worker *w, ramp__claim *c)
{
    const ramp_problem *pb = w->ev.problem;
    int n_folds = ramp_problem_cv_n_splits(pb), ns = ramp_problem_n_scores(pb);
    if (ns > RAMP__WF_MAX_SCORES) ns = RAMP__WF_MAX_SCORES;
    char base[4096], sub[4400], logs[4200];
    previews pv = {0};
    /* a fresh folder of a name nobody can have prepared (the work folder
       may be a shared /tmp): mkdtemp, 0700 */
    snprintf(base, sizeof base, "%s/ramp-worker-%ld-sub%lld-XXXXXX", w->o->workdir,
             (long)getpid(), (long long)c->id);
    if (!mkdtemp(base)) {
        ramp__cli_error("worker: %s: %s", base, strerror(errno));
        return 1;
    }
    snprintf(sub, sizeof sub, "%s/submission", base);
    snprintf(logs, sizeof logs, "%s/logs", base);
    ramp_err err = {RAMP_OK, ""};
    if (ramp__files_write_dir(sub, c->files, c->n_files, &err) || ramp__mkdirs(logs) != 0) {
        ramp__cli_error("worker: submission %lld: %s", (long long)c->id,
                        err.msg[0] ? err.msg : strerror(errno));
        ramp__rmtree(base);
        return 1;
    }
    run_state rs = {w, c, ramp__now(), ramp__now(), w->o->timeout * (n_folds + 1) + 60, 0, {0}, -1, 0};
    ramp__sandbox_mode mode = w->o->insecure ? RAMP__SANDBOX_OFF : RAMP__SANDBOX_ON;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    ramp__wf_opts wo = {
        .problem = pb,
        .train = &w->train.samples,
        .test = &w->test.samples,
        .imgs_dir = w->imgs,
        .sub_dir = sub,
        .exe = w->exe,
        .log_dir = logs,
        .py_env = ramp__cli_py_env(NULL),
        .n_threads = (int)(ncpu > 0 ? ncpu : 1),
        .timeout_s = w->o->timeout,
        .sandbox = {.mode = mode,
                    .mem_bytes = (uint64_t)w->o->mem_mb << 20,
                    .cpu_seconds = (w->o->timeout + 60) * (double)(ncpu > 0 ? ncpu : 1),
                    .envp = w->env,
                    .gpu = w->o->device == RAMP_DEVICE_CUDA},
        .device = w->o->device,
        .math = w->o->math,
        .py_threads = w->tools.py_threads,
        .build = {.sandbox = mode},
        .ctx = &rs,
        .on_progress = on_progress,
        .on_fold_end = on_fold_end,
        .tick = tick,
    };
    ramp__cli_tools_build(&w->tools, &wo.build);
    ramp__wf_result r;
    ramp__workflow_run(&wo, &r);
    if (r.n_folds > 0) n_folds = r.n_folds; /* a folds file has its own count */
    double wall = ramp__now() - rs.t0;
    int rc = 1;
    if (rs.why == 1 || rs.why == 3) { /* lease lost, or stopped: store nothing */
        if (rs.why == 3) ramp__store_release(w->s, c->id, w->id);
        printf("worker %s: submission %lld: %s\n", w->id, (long long)c->id,
               rs.why == 1 ? "lease lost, abandoned" : "stopped, claim given back");
        goto done;
    }
    if (rs.progress_dropped)
        ramp__buf_printf(&rs.log, "[ramp: %lu progress lines dropped: the log was full]\n",
                         rs.progress_dropped);
    int ok = r.status == RAMP_OK;
    /* detection and segmentation predictions are scored, not blended */
    int blend = ramp_problem_workflow(pb) != RAMP_WORKFLOW_DETECTION &&
                ramp_problem_workflow(pb) != RAMP_WORKFLOW_SEGMENTATION;
    const char *state = ok               ? ramp__state_name(RAMP__ST_TESTED)
                        : rs.why == 2 ? ramp__state_name(RAMP__ST_TIMEOUT)
                                      : error_state(&r);
    if (!ok) {
        if (r.build_log && r.failed_fold < 0) ramp__buf_puts(&rs.log, r.build_log);
        ramp__buf_printf(&rs.log, "%s: %s\n", state, rs.why == 2 ? "the whole training's time limit" : r.message);
    }
    double *scores = malloc(((size_t)(n_folds + 1) * 3 * (size_t)ns + 1) * sizeof *scores);
    double *times = calloc((size_t)n_folds * 3 + 1, sizeof *times);
    const char **names = calloc((size_t)ns + 1, sizeof *names);
    uint8_t **np[3];
    size_t *nl[3];
    for (int i = 0; i < 3; i++) {
        np[i] = calloc((size_t)n_folds + 1, sizeof *np[i]);
        nl[i] = calloc((size_t)n_folds + 1, sizeof *nl[i]);
    }
    if (!scores || !times || !names || !np[0] || !np[1] || !np[2] || !nl[0] || !nl[1] || !nl[2] ||
        rs.log.oom) {
        ramp__cli_error("worker: out of memory");
        goto free_arrays;
    }
    for (size_t i = 0; i < (size_t)(n_folds + 1) * 3 * (size_t)ns; i++) scores[i] = NAN;
    for (int j = 0; j < ns; j++) names[j] = ramp_problem_score_name(pb, j);
    long max_rss = 0;
    for (int f = 0; r.folds && f < n_folds; f++) {
        const ramp__wf_fold *fd = &r.folds[f];
        if (fd->run.max_rss_kb > max_rss) max_rss = fd->run.max_rss_kb;
        if (!fd->ok) continue;
        for (int row = 0; row < 3; row++) {
            for (int j = 0; j < ns; j++)
                scores[((size_t)f * 3 + (size_t)row) * (size_t)ns + (size_t)j] = fd->scores.v[row][j];
            times[f * 3 + row] = fd->scores.time[row];
        }
        if (ok && blend && ramp__wf_fold_npy(&r, f, w->test.samples.n, &np[0][f], &nl[0][f], &np[1][f],
                                    &nl[1][f], &np[2][f], &nl[2][f], &err)) {
            ramp__cli_error("worker: submission %lld: %s", (long long)c->id, err.msg);
            goto free_arrays;
        }
    }
    if (ok)
        for (int row = 1; row < 3; row++)
            for (int j = 0; j < ns; j++)
                scores[((size_t)n_folds * 3 + (size_t)row) * (size_t)ns + (size_t)j] =
                    r.bagged.v[row][j];
    if (ok && !blend && build_previews(w, &r, &pv, &err)) /* not fatal: the page goes without */
        ramp__cli_error("worker: submission %lld: preview: %s", (long long)c->id, err.msg);
    ramp__result res = {
        .state = state,
        .log = rs.log.p,
        .n_folds = n_folds,
        .n_scores = ns,
        .score_names = names,
        .scores = scores,
        .times = ok ? times : NULL,
        .max_rss_kb = max_rss,
        .valid_pred = ok && blend ? (const uint8_t *const *)np[0] : NULL,
        .valid_idx = ok && blend ? (const uint8_t *const *)np[1] : NULL,
        .test_pred = ok && blend ? (const uint8_t *const *)np[2] : NULL,
        .valid_pred_len = nl[0],
        .valid_idx_len = nl[1],
        .test_pred_len = nl[2],
        .preview = pv.n ? pv.p : NULL,
        .n_preview = pv.n,
    };
    ramp_status st = ramp__store_finish(w->s, c->id, w->id, &res);
    if (st) {
        ramp__cli_error("worker: submission %lld: %s", (long long)c->id, ramp__store_errmsg(w->s));
        goto free_arrays;
    }
    printf("worker %s: submission %lld (%s/%s): %s in %.1f s, max RSS %.0f MiB\n", w->id,
           (long long)c->id, c->team, c->name, state, wall, (double)max_rss / 1024.0);
    rc = 0;
    if (ok && blend) {
        st = ramp__store_blend(w->s, pb, w->train.samples.labels, w->train.samples.n,
                               w->test.samples.labels, w->test.samples.n);
        if (st)
            ramp__cli_error("worker: blend after submission %lld: %s", (long long)c->id,
                            ramp__store_errmsg(w->s));
    }
free_arrays:
    previews_free(&pv);
    for (int i = 0; i < 3; i++) {
        for (int f = 0; np[i] && f < n_folds; f++) free(np[i][f]);
        free(np[i]);
        free(nl[i]);
    }
    free(scores);
    free(times);
    free(names);
done:
    fflush(stdout);
    ramp__buf_free(&rs.log);
    ramp__wf_result_clear(&r);
    ramp__rmtree(base);
    return rc;
}

/* Removes the folders of workers of this host that are no longer alive. */
static void remove_dead_folders(const char *workdir)
{
    DIR *d = opendir(workdir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        char rest[64];
        if (sscanf(e->d_name, "ramp-worker-%ld-%63s", &pid, rest) != 2 || pid <= 0) continue;
        if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", workdir, e->d_name);
        printf("worker: removing %s (its worker is gone)\n", p);
        ramp__rmtree(p);
    }
    closedir(d);
}

static int worker_run(const worker_opts *o)
{
    worker w;
    memset(&w, 0, sizeof w);
    w.o = o;
    ramp_err err = {RAMP_OK, ""};
    int rc = 1;
    if (ramp__cli_exe(w.exe, sizeof w.exe) != 0) {
        ramp__cli_error("worker: cannot find its own executable: %s", strerror(errno));
        return 1;
    }
    ramp__cli_tools_find(&w.tools);
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    unsigned seed = (unsigned)(ramp__wall_now() * 1e6) ^ (unsigned)getpid();
    snprintf(w.id, sizeof w.id, "%s:%ld:%04x", host, (long)getpid(), rand_r(&seed) & 0xffff);
    if (ramp__store_open(&w.s, o->db, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    if (ramp__store_set_max_claims(w.s, o->max_claims) || ramp__store_event_get(w.s, &w.ev)) {
        ramp__cli_error("worker: %s", ramp__store_errmsg(w.s));
        goto done;
    }
    const char *data = o->data ? o->data : w.ev.data_dir;
    char train_csv[4200], test_csv[4200], masks[4200];
    event_path(w.imgs, sizeof w.imgs, &w.ev, RAMP_DATA_IMAGES, data, "imgs");
    event_path(train_csv, sizeof train_csv, &w.ev, RAMP_DATA_TRAIN, data, "train.csv");
    event_path(test_csv, sizeof test_csv, &w.ev, RAMP_DATA_TEST, data, "test.csv");
    event_path(masks, sizeof masks, &w.ev, RAMP_DATA_MASKS, data, "masks");
    event_path(w.codes, sizeof w.codes, &w.ev, RAMP_DATA_CLASS_CODES, data, "class_codes.csv");
    /* the splits as the kit's workflow reads them (objects, mask paths) */
    if (ramp__kit_split_open_for(&w.train, w.ev.problem, train_csv, w.imgs, masks, &err) ||
        ramp__kit_split_open_for(&w.test, w.ev.problem, test_csv, w.imgs, masks, &err)) {
        ramp__cli_error("worker: %s", err.msg);
        goto done;
    }
    if (!(w.env = ramp__cli_sandbox_env(!o->insecure))) {
        ramp__cli_error("worker: out of memory");
        goto done;
    }
    printf("worker %s: store %s (%s), event '%s', sandbox %s\n", w.id, o->db,
           ramp__store_backend(w.s), w.ev.title, o->insecure ? "OFF (--insecure)" : "on");
    fflush(stdout);
    rc = 0;
    while (!stop_signal) {
        ramp__claim cl;
        int busy = 0;
        ramp_status st = ramp__store_claim(w.s, w.id, o->lease, &cl, &busy);
        if (st == RAMP_ENOENT) {
            if (o->once || (o->drain && busy == 0)) break;
            sleep_s(o->poll);
            continue;
        }
        if (st) {
            ramp__cli_error("worker: claim: %s", ramp__store_errmsg(w.s));
            rc = 1;
            break;
        }
        printf("worker %s: submission %lld (%s/%s): training (claim %d)\n", w.id,
               (long long)cl.id, cl.team, cl.name, cl.n_claims);
        fflush(stdout);
        if (train_one(&w, &cl)) rc = 1;
        ramp__claim_clear(&cl);
        if (o->once) break;
    }
    if (stop_signal) {
        printf("worker %s: stopped by signal %d\n", w.id, (int)stop_signal);
        rc = 0;
    }
done:
    ramp__cli_env_free(w.env);
    ramp__kit_split_close(&w.train);
    ramp__kit_split_close(&w.test);
    ramp__event_clear(&w.ev);
    ramp__store_close(w.s);
    return rc;
}

int ramp__cmd_worker(int argc, char **argv)
{
    worker_opts o = {NULL, NULL, NULL, 0, 0, 1, 7200, 60, 1, 16384, 3, 0, NULL, RAMP_DEVICE_CPU, NULL, RAMP_MATH_FP32};
    int64_t mem_mb = o.mem_mb;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--db", &o.db),
        RAMP__OPT_STR("--data", &o.data),
        RAMP__OPT_STR("--workdir", &o.workdir),
        RAMP__OPT_FLAG("--once", &o.once),
        RAMP__OPT_FLAG("--drain", &o.drain),
        RAMP__OPT_SECONDS("--timeout", &o.timeout),
        RAMP__OPT_SECONDS("--lease", &o.lease),
        RAMP__OPT_SECONDS("--poll", &o.poll),
        RAMP__OPT_INT("--jobs", &o.jobs, 1, 256),
        RAMP__OPT_INT("--mem-limit", &mem_mb, 0, 0),
        RAMP__OPT_INT("--max-claims", &o.max_claims, 1, 1000),
        RAMP__OPT_FLAG("--insecure", &o.insecure),
        RAMP__OPT_STR("--device", &o.device_name),
        RAMP__OPT_STR("--math", &o.math_name),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "worker", .usage = usage, .opts = opts },
                              argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    o.mem_mb = (long)mem_mb;
    if (!o.db) {
        ramp__cli_error("worker: --db is required");
        return 2;
    }
    /* the device, before any claim: CUDA where it cannot run stops here */
    ramp_device asked = RAMP_DEVICE_CPU;
    if (o.device_name && ramp_device_parse(o.device_name, &asked) != RAMP_OK) {
        ramp__cli_error("worker: --device '%s': give cpu, cuda or auto", o.device_name);
        return 2;
    }
    char why[512];
    int gpu = asked != RAMP_DEVICE_CPU && ramp_cuda_available(why, sizeof why);
    if (asked == RAMP_DEVICE_CUDA && !gpu) {
        ramp__cli_error("worker: --device cuda: %s", why);
        return 1;
    }
    o.device = gpu ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU;
    ramp_math math = RAMP_MATH_FP32;
    if (o.math_name && ramp_math_parse(o.math_name, &math) != RAMP_OK) {
        ramp__cli_error("worker: --math '%s': give fp32, tf32 or bf16", o.math_name);
        return 2;
    }
    if (gpu && !ramp_cuda_math_ok(math, why, sizeof why)) {
        ramp__cli_error("worker: --math %s on --device %s: %s", ramp_math_name(math),
                        ramp_device_name(asked), why);
        return 1;
    }
    o.math = (int)math;
    char tmpdir[4096];
    if (!o.workdir) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s", t && t[0] == '/' ? t : "/tmp");
        o.workdir = tmpdir;
    }
    if (!o.insecure &&
        ramp__cli_sandbox_check("ramp worker runs submissions only in the sandbox; --insecure "
                                "runs them without it (a trusted event only)"))
        return 1;
    if (o.insecure)
        fprintf(stderr, "ramp: worker: --insecure: submissions run WITHOUT the sandbox: they "
                        "can read the test labels, the store and anything this user can\n");
    remove_dead_folders(o.workdir);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (o.jobs == 1) return worker_run(&o);
    /* K jobs: K worker processes, each with its own connection */
    pid_t *kids = calloc((size_t)o.jobs, sizeof *kids);
    if (!kids) {
        ramp__cli_error("worker: out of memory");
        return 1;
    }
    fflush(NULL);
    for (int k = 0; k < o.jobs; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            _exit(worker_run(&o));
        }
    }
    int rc = 0;
    for (int k = 0; k < o.jobs; k++) {
        int status;
        pid_t got;
        while ((got = waitpid(kids[k], &status, 0)) < 0 && errno == EINTR)
            if (stop_signal) /* pass SIGTERM/SIGINT on: each child gives its claim back */
                for (int j = 0; j < o.jobs; j++)
                    if (kids[j] > 0) kill(kids[j], SIGTERM);
        if (kids[k] > 0 && got == kids[k] &&
            !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            rc = 1;
        if (kids[k] < 0) rc = 1;
    }
    free(kids);
    return rc;
}
