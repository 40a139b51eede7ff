/* cmd_worker.c — `ramp worker`: claims the store's pending submissions one
 * at a time and trains each as `ramp test --save-output` does.
 *
 * The training runs in a child process — this same binary, `ramp test` —
 * in its own process group, with resource limits (address space, CPU time,
 * open files), without network where the system allows (a new network
 * namespace), and killed with the worker (PR_SET_PDEATHSIG). The submission's
 * files are materialised from the store into a fresh kit-shaped folder
 * (problem.ini + submissions/NAME/). While the child runs the worker renews
 * its lease; if the lease was lost (the worker stalled and another took the
 * submission over) it kills the child and stores nothing. When the child
 * ends, its exit status and output give the state, --save-output's files
 * the scores, times and predictions, wait4 the peak memory; they are stored
 * in one transaction, then the blend is recomputed. A worker killed at any
 * moment leaves the store untouched: its claim expires with the lease and
 * another worker takes the submission again.
 */
#define _GNU_SOURCE /* unshare, CLONE_NEWNET */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "store/storeInt.h"

#if defined(__SANITIZE_ADDRESS__)
#define RAMP__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RAMP__ASAN 1
#endif
#endif

#define LOG_MAX (256u << 10)

typedef struct worker_opts {
    const char *db;
    const char *data;
    const char *workdir;
    int once, drain, jobs;
    double timeout, lease, poll;
    long mem_mb;
} worker_opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp worker --db DB [--once | --drain] [--jobs K] [--timeout S] [--lease S]\n"
            "                   [--data DIR] [--workdir DIR] [--mem-limit MiB] [--poll S]\n\n"
            "Claims pending submissions from the store and trains them (as 'ramp test\n"
            "--save-output'), stores their scores, times, peak memory and predictions,\n"
            "then recomputes the combined score and the contributivities.\n\n"
            "  --once           train at most one submission, then exit\n"
            "  --drain          exit when nothing is left to train (pending, or in\n"
            "                   training under a live lease); default: run until killed\n"
            "  --jobs K         K submissions at once (K worker processes; default 1)\n"
            "  --timeout S      per fold, in seconds (default 7200); the whole training\n"
            "                   is stopped after (folds + 1) × S\n"
            "  --lease S        claim lease, renewed while training (default 60)\n"
            "  --data DIR       the kit's data folder (default: the event's)\n"
            "  --workdir DIR    where submissions are materialised (default: $TMPDIR or /tmp)\n"
            "  --mem-limit MiB  address-space limit of the training (default 16384; 0: none)\n"
            "  --poll S         seconds between looks at an empty queue (default 1)\n");
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Reads a scores.csv of --save-output: header step,<names...>,time; rows
   named train / valid / test. Fills out[step * ns + j] and times[step]. */
static int read_scores_csv(const char *path, const ramp_problem *pb, double *out, double *times)
{
    uint8_t *text = NULL;
    size_t len = 0;
    if (ramp__read_file(path, 1 << 20, &text, &len, NULL)) return -1;
    int ns = ramp_problem_n_scores(pb);
    int col_of[64];
    int n_cols = 0, line = 0;
    char *save = NULL;
    for (char *ln = strtok_r((char *)text, "\r\n", &save); ln; ln = strtok_r(NULL, "\r\n", &save)) {
        char *fs = NULL;
        int c = 0, step = -1;
        for (char *f = strtok_r(ln, ",", &fs); f && c < 64; f = strtok_r(NULL, ",", &fs), c++) {
            if (line == 0) {
                col_of[c] = -2;
                if (!strcmp(f, "time")) col_of[c] = -1;
                for (int j = 0; j < ns; j++)
                    if (!strcmp(f, ramp_problem_score_name(pb, j))) col_of[c] = j;
                n_cols = c + 1;
            } else if (c == 0) {
                step = !strcmp(f, "train") ? 0 : !strcmp(f, "valid") ? 1 : !strcmp(f, "test") ? 2 : -1;
                if (step < 0) break;
            } else if (c < n_cols) {
                double v = strtod(f, NULL);
                if (col_of[c] >= 0) out[step * ns + col_of[c]] = v;
                if (col_of[c] == -1 && times) times[step] = v;
            }
        }
        line++;
    }
    free(text);
    return 0;
}

/* The state a failed `ramp test` run ends in, from its output. */
static const char *error_state(const char *log)
{
    static const char *names[] = {"training_error", "validating_error", "testing_error"};
    const char *best = NULL, *name = "training_error";
    for (int i = 0; i < 3; i++) {
        const char *p = log ? strstr(log, names[i]) : NULL;
        if (p && (!best || p < best)) best = p, name = names[i];
    }
    if (best) {
        const char *eol = strchr(best, '\n');
        size_t n = eol ? (size_t)(eol - best) : strlen(best);
        const char *t = strstr(best, "timed out");
        if (t && (size_t)(t - best) < n) return "timeout";
    }
    return name;
}

typedef struct worker {
    const worker_opts *o;
    ramp__store *s;
    ramp__event ev;
    char id[128];
    char exe[4096];
    int32_t *y_train, *y_test;
    size_t n_train, n_test;
} worker;

static ramp_status load_labels(const char *data, const char *split, int c, int32_t **y, size_t *n,
                               ramp_err *err)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s.csv", data, split);
    ramp_index *ix;
    ramp_status st = ramp_index_load(p, c, NULL, NULL, &ix, err);
    if (st) return st;
    *n = ramp_index_n(ix);
    *y = malloc((*n ? *n : 1) * sizeof **y);
    if (!*y) {
        ramp_index_free(ix);
        return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    }
    memcpy(*y, ramp_index_labels(ix), *n * sizeof **y);
    ramp_index_free(ix);
    return RAMP_OK;
}

/* Child side: limits, no network, exec `ramp test`. Never returns. */
static void child_exec(const worker *w, const char *kit, const char *name, const char *log_path,
                       pid_t parent, int n_folds)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    struct rlimit rl;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double cpu = (w->o->timeout * (n_folds + 1) + 60) * (double)(ncpu > 0 ? ncpu : 1);
    rl.rlim_cur = rl.rlim_max = cpu < 1e9 ? (rlim_t)cpu : RLIM_INFINITY;
    setrlimit(RLIMIT_CPU, &rl);
    rl.rlim_cur = rl.rlim_max = 1024;
    setrlimit(RLIMIT_NOFILE, &rl);
#ifndef RAMP__ASAN
    if (w->o->mem_mb > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)w->o->mem_mb << 20;
        setrlimit(RLIMIT_AS, &rl);
    }
#endif
    /* no network where the system allows it (root, or user namespaces) */
    if (unshare(CLONE_NEWNET) != 0) {
        /* not allowed here: training keeps the host's network */
    }
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%g", w->o->timeout);
    execl(w->exe, "ramp", "test", "--kit", kit, "--data", w->ev.data_dir, "--submission", name,
          "--save-output", "--timeout", timeout, (char *)NULL);
    fprintf(stderr, "ramp worker: cannot run %s: %s\n", w->exe, strerror(errno));
    _exit(127);
}

/* Reads a whole file into a malloc'd buffer; NULL when absent. */
static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *d = NULL;
    if (ramp__read_file(path, (size_t)1 << 30, &d, len, NULL)) return NULL;
    return d;
}

/* Trains one claimed submission and stores what came of it. Returns 0 when
   the results were stored (whatever the state), 1 otherwise. */
static int train_one(worker *w, ramp__claim *c)
{
    const ramp_problem *pb = w->ev.problem;
    int n_folds = ramp_problem_cv_n_splits(pb), ns = ramp_problem_n_scores(pb);
    char base[4096], kit[4200], sub[4400], log_path[4400], p[4600];
    const char *tmp = w->o->workdir ? w->o->workdir : getenv("TMPDIR");
    snprintf(base, sizeof base, "%s/ramp-worker-%ld-sub%lld", tmp && *tmp ? tmp : "/tmp",
             (long)getpid(), (long long)c->id);
    snprintf(kit, sizeof kit, "%s/kit", base);
    snprintf(sub, sizeof sub, "%s/submissions/%s", kit, c->name);
    snprintf(log_path, sizeof log_path, "%s/run.log", base);
    ramp__rmtree(base);
    ramp_err err = {RAMP_OK, ""};
    ramp__file ini = {"problem.ini", (uint8_t *)w->ev.problem_ini, strlen(w->ev.problem_ini)};
    if (ramp__files_write_dir(kit, &ini, 1, &err) ||
        ramp__files_write_dir(sub, c->files, c->n_files, &err)) {
        ramp__cli_error("worker: submission %lld: %s", (long long)c->id, err.msg);
        ramp__rmtree(base);
        return 1;
    }
    double t0 = ramp__now();
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        ramp__cli_error("worker: fork: %s", strerror(errno));
        ramp__rmtree(base);
        return 1;
    }
    if (pid == 0) child_exec(w, kit, c->name, log_path, parent, n_folds);
    setpgid(pid, pid);
    double limit = w->o->timeout * (n_folds + 1) + 60, last_renew = t0;
    int status = 0, killed_for = 0; /* 1 lease lost, 2 time limit */
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        pid_t r = wait4(pid, &status, WNOHANG, &ru);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) break;
        double now = ramp__now();
        if (!killed_for && now - last_renew >= w->o->lease / 3) {
            ramp_status st = ramp__store_renew(w->s, c->id, w->id, w->o->lease);
            last_renew = now;
            if (st == RAMP_ECANCELED) {
                killed_for = 1;
                kill(-pid, SIGKILL);
            }
        }
        if (!killed_for && now - t0 > limit) {
            killed_for = 2;
            kill(-pid, SIGKILL);
        }
        sleep_s(0.05);
    }
    double wall = ramp__now() - t0;
    size_t log_len = 0;
    char *log = (char *)slurp(log_path, &log_len);
    if (log && log_len > LOG_MAX) { /* keep the tail */
        memmove(log, log + log_len - LOG_MAX, LOG_MAX);
        log[LOG_MAX] = '\0';
    }
    if (killed_for == 1) {
        printf("worker %s: submission %lld: lease lost, abandoned\n", w->id, (long long)c->id);
        free(log);
        ramp__rmtree(base);
        return 1;
    }
    int ok = !killed_for && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    double *scores = calloc((size_t)(n_folds + 1) * 3 * (size_t)ns + 1, sizeof *scores);
    double *times = calloc((size_t)n_folds * 3 + 1, sizeof *times);
    uint8_t **vp = calloc((size_t)n_folds + 1, sizeof *vp), **vi = calloc((size_t)n_folds + 1, sizeof *vi),
            **tp = calloc((size_t)n_folds + 1, sizeof *tp);
    size_t *vpl = calloc((size_t)n_folds + 1, sizeof *vpl), *vil = calloc((size_t)n_folds + 1, sizeof *vil),
           *tpl = calloc((size_t)n_folds + 1, sizeof *tpl);
    const char **names = calloc((size_t)ns + 1, sizeof *names);
    int rc = 1;
    if (!scores || !times || !vp || !vi || !tp || !vpl || !vil || !tpl || !names) {
        ramp__cli_error("worker: out of memory");
        goto done;
    }
    for (size_t i = 0; i < (size_t)(n_folds + 1) * 3 * (size_t)ns; i++) scores[i] = NAN;
    for (int j = 0; j < ns; j++) names[j] = ramp_problem_score_name(pb, j);
    const char *state = "tested";
    if (ok) {
        char out[4500];
        snprintf(out, sizeof out, "%s/training_output", sub);
        for (int f = 0; f < n_folds && ok; f++) {
            snprintf(p, sizeof p, "%s/fold_%d/scores.csv", out, f);
            if (read_scores_csv(p, pb, scores + (size_t)f * 3 * (size_t)ns, times + f * 3)) ok = 0;
            snprintf(p, sizeof p, "%s/fold_%d/y_pred_valid.npy", out, f);
            vp[f] = slurp(p, &vpl[f]);
            snprintf(p, sizeof p, "%s/fold_%d/valid_idx.npy", out, f);
            vi[f] = slurp(p, &vil[f]);
            snprintf(p, sizeof p, "%s/fold_%d/y_pred_test.npy", out, f);
            tp[f] = slurp(p, &tpl[f]);
            if (!vp[f] || !vi[f] || !tp[f]) ok = 0;
        }
        snprintf(p, sizeof p, "%s/bagged_scores.csv", out);
        if (ok && read_scores_csv(p, pb, scores + (size_t)n_folds * 3 * (size_t)ns, NULL)) ok = 0;
        if (!ok) state = "training_error";
    } else {
        state = killed_for == 2 ? "timeout" : error_state(log);
    }
    if (!ok && strcmp(state, "tested") != 0 && log && !strstr(log, "training_output")) {
        /* the log says why; nothing else to add */
    }
    ramp__result res = {
        .state = state,
        .log = log,
        .n_folds = n_folds,
        .n_scores = ns,
        .score_names = names,
        .scores = scores,
        .times = ok ? times : NULL,
        .max_rss_kb = ru.ru_maxrss,
        .valid_pred = (const uint8_t *const *)vp,
        .valid_idx = (const uint8_t *const *)vi,
        .test_pred = (const uint8_t *const *)tp,
        .valid_pred_len = vpl,
        .valid_idx_len = vil,
        .test_pred_len = tpl,
    };
    if (!ok) res.valid_pred = res.valid_idx = res.test_pred = NULL;
    ramp_status st = ramp__store_finish(w->s, c->id, w->id, &res);
    if (st) {
        ramp__cli_error("worker: submission %lld: %s", (long long)c->id, ramp__store_errmsg(w->s));
        goto done;
    }
    printf("worker %s: submission %lld (%s/%s): %s in %.1f s, max RSS %.0f MiB\n", w->id,
           (long long)c->id, c->team, c->name, state, wall, (double)ru.ru_maxrss / 1024.0);
    rc = 0;
    if (ok) {
        st = ramp__store_blend(w->s, pb, w->y_train, w->n_train, w->y_test, w->n_test);
        if (st)
            ramp__cli_error("worker: blend after submission %lld: %s", (long long)c->id,
                            ramp__store_errmsg(w->s));
    }
done:
    fflush(stdout);
    for (int f = 0; vp && vi && tp && f < n_folds; f++) {
        free(vp[f]);
        free(vi[f]);
        free(tp[f]);
    }
    free(vp);
    free(vi);
    free(tp);
    free(vpl);
    free(vil);
    free(tpl);
    free(names);
    free(scores);
    free(times);
    free(log);
    ramp__rmtree(base);
    return rc;
}

static int worker_run(const worker_opts *o)
{
    worker w;
    memset(&w, 0, sizeof w);
    w.o = o;
    ramp_err err;
    int rc = 1;
    ssize_t n = readlink("/proc/self/exe", w.exe, sizeof w.exe - 1);
    if (n <= 0) {
        ramp__cli_error("worker: cannot find its own executable: %s", strerror(errno));
        return 1;
    }
    w.exe[n] = '\0';
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    unsigned seed = (unsigned)(ramp__wall_now() * 1e6) ^ (unsigned)getpid();
    snprintf(w.id, sizeof w.id, "%s:%ld:%04x", host, (long)getpid(), rand_r(&seed) & 0xffff);
    if (ramp__store_open(&w.s, o->db, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    if (ramp__store_event_get(w.s, &w.ev)) {
        ramp__cli_error("worker: %s", ramp__store_errmsg(w.s));
        goto done;
    }
    if (o->data) {
        char *d = ramp__strdup(o->data);
        if (!d) goto done;
        free(w.ev.data_dir);
        w.ev.data_dir = d;
    }
    int c = ramp_problem_n_classes(w.ev.problem);
    if (load_labels(w.ev.data_dir, "train", c, &w.y_train, &w.n_train, &err) ||
        load_labels(w.ev.data_dir, "test", c, &w.y_test, &w.n_test, &err)) {
        ramp__cli_error("worker: %s", err.msg);
        goto done;
    }
    printf("worker %s: store %s (%s), event '%s'\n", w.id, o->db, ramp__store_backend(w.s),
           w.ev.title);
    fflush(stdout);
    rc = 0;
    for (;;) {
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
done:
    free(w.y_train);
    free(w.y_test);
    ramp__event_clear(&w.ev);
    ramp__store_close(w.s);
    return rc;
}

int ramp__cmd_worker(int argc, char **argv)
{
    worker_opts o = {NULL, NULL, NULL, 0, 0, 1, 7200, 60, 1, 16384};
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
        if (kids[k] > 0 && waitpid(kids[k], &status, 0) == kids[k] &&
            !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            rc = 1;
        if (kids[k] < 0) rc = 1;
    }
    free(kids);
    return rc;
}
