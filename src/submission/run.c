/* run.c — one CV fold of a submission, in a child process.
 *
 * The parent maps a shared buffer for the predictions (fold-train rows,
 * fold-valid rows, test rows: n × n_classes floats each, plus a guard area),
 * forks, and reads a line protocol from a pipe: "STEP <name>", "TIME <name>
 * <s>", "STATS ...", "PROG ..." (progress, passed to a callback) and
 * "ERR <status> <message>". The child sends its stdout and stderr to the fold's log.
 * A crash (signal), an exit without "DONE", or no "DONE" before the timeout
 * (then SIGKILL) is that fold's error, attributed to the step it was in.
 * Predictions are checked in the parent: every cell written, finite,
 * non-negative, rows summing to 1 within 1e-3, nothing written past the end.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, wait4 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "python/pyplugin.h"
#include "submission/runInt.h"

#define GUARD_FLOATS 1024

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

/* ---- the child ----------------------------------------------------------------- */

static void send(int fd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void send(int fd, const char *fmt, ...)
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
    ssize_t w = write(fd, line, (size_t)k);
    (void)w;
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

/* How a Python transform runs: $RAMP_PY_TRANSFORM = "threads" (the loader
   threads, under the GIL) or "processes" (one worker process per loader
   thread, the default: docs/python.md has the measurements). */
static int python_workers(const ramp__fold_spec *f)
{
    const char *m = getenv("RAMP_PY_TRANSFORM");
    if (m && strcmp(m, "threads") == 0) return 0;
    return f->loader.n_jobs > 0 ? f->loader.n_jobs : 2;
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

static int child_main(const ramp__fold_spec *f, float *pred, int fd)
{
    char msg[1536];
    ramp_err err = {RAMP_OK, ""};
    ramp__sub sub;
    send(fd, "STEP training");
    ramp_status st = ramp__sub_load(f->paths, python_workers(f), &sub, &err);
    if (st) {
        send(fd, "ERR %d %s", (int)st, err.msg);
        return 3;
    }
    int c = f->n_classes;
    const ramp_samples *tr = f->train;
    /* the fold's training rows as their own sample list, for fit() */
    size_t n_ft = f->n_fold_train;
    const char **paths = malloc(n_ft * sizeof *paths);
    const char **ids = malloc(n_ft * sizeof *ids);
    int32_t *labels = malloc(n_ft * sizeof *labels);
    if (!paths || !ids || !labels) {
        send(fd, "ERR %d out of memory", RAMP_ENOMEM);
        return 3;
    }
    for (size_t i = 0; i < n_ft; i++) {
        uint32_t r = f->fold_train[i];
        paths[i] = tr->paths[r];
        ids[i] = tr->ids ? tr->ids[r] : tr->paths[r];
        labels[i] = tr->labels[r];
    }
    ramp_samples fit_samples = {paths, ids, labels, n_ft, c};
    ramp_gen_builder *gb = NULL, *gb_all = NULL, *gb_test = NULL;
    st = ramp_gen_builder_new(&fit_samples, sub.transform, sub.transform_test, &f->loader, &gb,
                              &err);
    if (st) {
        send(fd, "ERR %d %s", (int)st, err.msg);
        return 3;
    }
    ramp_gen_builder_set_progress_fd(gb, fd);
    ramp_clf_info info = f->info;
    info.n_classes = c;
    info.ndim = ramp_gen_builder_shape(gb, info.shape);
    void *model = NULL;
    double t0 = ramp__now();
    st = sub.clf_new(&info, &model);
    if (st) {
        clf_error(&sub, "batch_classifier_new", st, msg, sizeof msg);
        send(fd, "ERR %d %s", (int)st, msg);
        return 3;
    }
    st = sub.clf_fit(model, gb);
    if (st) {
        const char *gm = sub.clf_errmsg ? "" : ramp_gen_builder_errmsg(gb);
        clf_error(&sub, "batch_classifier_fit", st, msg, sizeof msg);
        send(fd, "ERR %d %s%s%s", (int)st, msg, gm[0] ? ": " : "", gm);
        return 3;
    }
    double t_train = ramp__now() - t0;
    /* loader counters over the generators fit() used (all of the builder's) */
    ramp_gen_stats ts = ramp_gen_builder_stats(gb);
    send(fd, "TIME train %.6f", t_train);
    send(fd, "STATS train %llu %.3f %.3f", (unsigned long long)ts.images, ts.images_per_s,
         ts.stall_seconds);
    printf("fit: %.1f s; loader %llu images at %.0f images/s; trainer waited %.2f s for data\n",
           t_train, (unsigned long long)ts.images, ts.images_per_s, ts.stall_seconds);
    fflush(stdout);
    fflush(stderr);

    /* predictions on the fold's train rows (part of the training step) */
    st = ramp_gen_builder_new(tr, sub.transform, sub.transform_test, &f->loader, &gb_all, &err);
    ramp_gen *g = NULL;
    if (!st) st = ramp_gen_builder_subset(gb_all, f->fold_train, n_ft, f->test_batch_size, 0, 0, &g);
    if (st) {
        send(fd, "ERR %d %s", (int)st, err.msg[0] ? err.msg : ramp_gen_builder_errmsg(gb_all));
        return 3;
    }
    if ((st = predict_all(&sub, model, g, pred, c, msg, sizeof msg))) {
        send(fd, "ERR %d %s", (int)st, msg);
        return 3;
    }
    ramp_gen_free(g);

    send(fd, "STEP validating");
    t0 = ramp__now();
    st = ramp_gen_builder_subset(gb_all, f->fold_valid, f->n_fold_valid, f->test_batch_size, 0, 0,
                                 &g);
    if (st) {
        send(fd, "ERR %d %s", (int)st, ramp_gen_builder_errmsg(gb_all));
        return 3;
    }
    if ((st = predict_all(&sub, model, g, pred + n_ft * (size_t)c, c, msg, sizeof msg))) {
        send(fd, "ERR %d %s", (int)st, msg);
        return 3;
    }
    ramp_gen_stats vs = ramp_gen_stats_of(g);
    send(fd, "TIME valid %.6f", ramp__now() - t0);
    send(fd, "STATS valid %llu %.3f %.3f", (unsigned long long)vs.images, vs.images_per_s,
         vs.stall_seconds);
    ramp_gen_free(g);

    send(fd, "STEP testing");
    t0 = ramp__now();
    st = ramp_gen_builder_new(f->test, sub.transform, sub.transform_test, &f->loader, &gb_test,
                              &err);
    if (!st) st = ramp_gen_builder_predict_gen(gb_test, f->test_batch_size, &g);
    if (st) {
        send(fd, "ERR %d %s", (int)st, err.msg[0] ? err.msg : ramp_gen_builder_errmsg(gb_test));
        return 3;
    }
    if ((st = predict_all(&sub, model, g, pred + (n_ft + f->n_fold_valid) * (size_t)c, c, msg,
                    sizeof msg))) {
        send(fd, "ERR %d %s", (int)st, msg);
        return 3;
    }
    send(fd, "TIME test %.6f", ramp__now() - t0);
    sub.clf_free(model);
    ramp_gen_builder_free(gb_test); /* stops the loader threads, */
    ramp_gen_builder_free(gb_all);
    ramp_gen_builder_free(gb);
    if (sub.py) sub.py->shutdown(); /* then the transform workers they use */
    send(fd, "DONE");
    return 0;
}

/* ---- the parent ------------------------------------------------------------ */

static const char *step_error(ramp__step s)
{
    return s == RAMP__STEP_TRAIN ? "training_error"
           : s == RAMP__STEP_VALID ? "validating_error"
                                   : "testing_error";
}

const char *ramp__step_error_name(ramp__step s)
{
    return step_error(s);
}

/* Checks n rows of predictions; returns 0 or writes a message. */
static int check_rows(const float *p, size_t n, int c, const char *what, char *msg, size_t len)
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
        if (fabs(sum - 1.0) > 1e-3) {
            snprintf(msg, len, "%s predictions: row %zu sums to %.6g, not 1 (±1e-3)", what, i,
                     sum);
            return 1;
        }
    }
    return 0;
}

static void handle_line(ramp__fold_result *r, char *line, const ramp__fold_spec *f)
{
    if (strncmp(line, "STEP ", 5) == 0) {
        const char *s = line + 5;
        r->step = strcmp(s, "training") == 0     ? RAMP__STEP_TRAIN
                  : strcmp(s, "validating") == 0 ? RAMP__STEP_VALID
                                                 : RAMP__STEP_TEST;
    } else if (strncmp(line, "TIME ", 5) == 0) {
        char name[16];
        double t;
        if (sscanf(line + 5, "%15s %lf", name, &t) == 2) {
            if (strcmp(name, "train") == 0) r->time_train = t;
            if (strcmp(name, "valid") == 0) r->time_valid = t;
            if (strcmp(name, "test") == 0) r->time_test = t;
        }
    } else if (strncmp(line, "STATS train ", 12) == 0) {
        unsigned long long im;
        if (sscanf(line + 12, "%llu %lf %lf", &im, &r->train_images_per_s, &r->train_stall) == 3)
            r->train_images = im;
    } else if (strncmp(line, "STATS valid ", 12) == 0) {
        unsigned long long im;
        if (sscanf(line + 12, "%llu %lf %lf", &im, &r->valid_images_per_s, &r->valid_stall) == 3)
            r->valid_images = im;
    } else if (strncmp(line, "PROG ", 5) == 0) {
        ramp__progress p;
        if (sscanf(line + 5, "%d %d %zu %zu %lf %lf %lf %llu", &p.epoch, &p.n_epochs, &p.batch,
                   &p.n_batches, &p.loss, &p.accuracy, &p.seconds, &p.images) == 8 &&
            f->on_progress)
            f->on_progress(f->progress_ctx, &p);
    } else if (strncmp(line, "ERR ", 4) == 0) { /* ERR <status> <message> */
        char *end;
        long code = strtol(line + 4, &end, 10);
        r->reported = code > 0 && code < 1000 ? (ramp_status)code : RAMP_EINTERNAL;
        snprintf(r->message, sizeof r->message, "%s", *end == ' ' ? end + 1 : end);
    } else if (strcmp(line, "DONE") == 0) {
        r->done = 1;
    }
}

ramp_status ramp__fold_run(const ramp__fold_spec *f, ramp__fold_result *r)
{
    memset(r, 0, sizeof *r);
    r->step = RAMP__STEP_TRAIN;
    int c = f->n_classes;
    size_t rows = f->n_fold_train + f->n_fold_valid + f->test->n;
    size_t nf = rows * (size_t)c + GUARD_FLOATS;
    size_t bytes = nf * sizeof(float);
    float *pred = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pred == MAP_FAILED) {
        snprintf(r->message, sizeof r->message, "cannot map %zu bytes for predictions", bytes);
        return r->status = RAMP_ENOMEM;
    }
    float s = sentinel();
    for (size_t i = 0; i < nf; i++) pred[i] = s;
    int fd[2];
    if (pipe(fd) != 0) {
        munmap(pred, bytes);
        snprintf(r->message, sizeof r->message, "pipe: %s", strerror(errno));
        return r->status = RAMP_EIO;
    }
    /* every stdio buffer, not just stdout: a child that calls exit() would
       otherwise write the parent's pending output (e.g. --json) a second time */
    fflush(NULL);
    double t_start = ramp__now();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        munmap(pred, bytes);
        snprintf(r->message, sizeof r->message, "fork: %s", strerror(errno));
        return r->status = RAMP_EIO;
    }
    if (pid == 0) {
        close(fd[0]);
        setpgid(0, 0);
#ifdef __linux__
        /* the fold dies with the process that runs it (a worker killed
           mid-training must not leave an orphan training on) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1); /* the parent died before prctl */
#endif
        int log = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
            close(log);
        }
        setvbuf(stdout, NULL, _IOLBF, 0); /* the log follows the training, line by line */
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0) {
            dup2(in, 0);
            close(in);
        }
        signal(SIGPIPE, SIG_IGN);
        /* a crash in participant code must end the child by its signal, so
           the parent can name it (a sanitizer runtime would otherwise catch
           it and exit with a status) */
        int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
        for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals; i++)
            signal(crash_signals[i], SIG_DFL);
        int rc = child_main(f, pred, fd[1]);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    close(fd[1]);
    /* Read the protocol while watching the child itself: the pipe's end says
       nothing (a child may close it and go on, a grandchild may keep it
       open), so the deadline holds until the child has exited. */
    char buf[8192];
    size_t have = 0;
    int timed_out = 0, pipe_open = 1, status = 0, exited = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        if (!exited) exited = wait4(pid, &status, WNOHANG, &ru) == pid;
        double left = f->timeout_s - (ramp__now() - t_start);
        if (!exited && left <= 0) {
            timed_out = 1;
            break;
        }
        int ms = exited ? 0 : left > 0.2 ? 200 : (int)(left * 1000) + 1;
        struct pollfd p = {pipe_open ? fd[0] : -1, POLLIN, 0};
        int pr = poll(&p, 1, ms);
        if (pr < 0 && errno != EINTR) break;
        ssize_t k = 0;
        if (pr > 0 && pipe_open) {
            k = read(fd[0], buf + have, sizeof buf - 1 - have);
            if (k == 0 || (k < 0 && errno != EINTR)) pipe_open = 0;
        }
        if (k > 0) {
            have += (size_t)k;
            buf[have] = '\0';
            char *start = buf, *nl;
            while ((nl = strchr(start, '\n'))) {
                *nl = '\0';
                handle_line(r, start, f);
                start = nl + 1;
            }
            have = (size_t)(buf + have - start);
            memmove(buf, start, have);
            if (have == sizeof buf - 1) have = 0; /* an overlong line: drop it */
            continue; /* more may be waiting */
        }
        if (exited) break; /* and nothing left to read */
    }
    close(fd[0]);
    /* the fold's process group goes with it: a timed-out child and anything
       it started */
    kill(-pid, SIGKILL);
    if (timed_out) {
        kill(pid, SIGKILL);
        while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
        }
    }
    r->max_rss_kb = ru.ru_maxrss;
    r->wall = ramp__now() - t_start;
    if (timed_out) {
        snprintf(r->message, sizeof r->message, "timed out after %.0f s (--timeout) during %s",
                 f->timeout_s, r->step == RAMP__STEP_TRAIN ? "training"
                               : r->step == RAMP__STEP_VALID ? "validation"
                                                              : "testing");
        r->status = RAMP_ETIMEOUT;
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(r->message, sizeof r->message, "crashed with signal %d (%s)", sig,
                 strsignal(sig));
        r->status = RAMP_ECRASH;
    } else if (!r->done) {
        if (!r->message[0])
            snprintf(r->message, sizeof r->message, "exited unexpectedly with status %d",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        r->status = r->reported ? r->reported : RAMP_ECRASH; /* the child's own report */
    } else {
        /* check every block, attributing it to its step */
        size_t nt = f->n_fold_train, nv = f->n_fold_valid, ns = f->test->n;
        const float *bt = pred, *bv = pred + nt * (size_t)c, *bs = bv + nv * (size_t)c;
        int bad = 0;
        for (size_t i = rows * (size_t)c; i < nf && !bad; i++)
            if (!is_sentinel(pred[i])) {
                r->step = RAMP__STEP_TEST;
                snprintf(r->message, sizeof r->message,
                         "predict_proba wrote past the end of its output (wrong shape? expected "
                         "n × %d)", c);
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
        if (!bad && check_rows(bs, ns, c, "test", r->message, sizeof r->message)) {
            r->step = RAMP__STEP_TEST;
            bad = 1;
        }
        r->status = bad ? RAMP_EBADOUTPUT : RAMP_OK;
    }
    if (r->status == RAMP_OK) {
        r->pred = malloc(rows * (size_t)c * sizeof(float));
        if (!r->pred) {
            r->status = RAMP_ENOMEM;
            snprintf(r->message, sizeof r->message, "out of memory for predictions");
        } else {
            memcpy(r->pred, pred, rows * (size_t)c * sizeof(float));
        }
    }
    munmap(pred, bytes);
    return r->status;
}

void ramp__fold_result_clear(ramp__fold_result *r)
{
    free(r->pred);
    r->pred = NULL;
}
