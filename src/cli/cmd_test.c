/* cmd_test.c — `ramp test`, RAMP's ramp-test: train a submission on each CV
 * fold, score train / valid / test, print the tables, bag the folds.
 *
 * The parent process never runs participant code: it compiles the
 * submission, then runs each fold in a child (submission/run.c) and scores
 * the predictions the child leaves in shared memory. A failing fold is
 * reported as training_error / validating_error / testing_error with the
 * tail of its log, and makes the command exit 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "ramp/npy.h"
#include "ramp/score.h"
#include "submission/runInt.h"

#ifndef RAMP_BUILD_INCLUDE_DIR
#define RAMP_BUILD_INCLUDE_DIR "/usr/local/include"
#endif

#define QUICK_TRAIN 1000
#define QUICK_TEST 300

typedef struct test_opts {
    const char *kit;
    const char *data;
    const char *submission;
    int quick;
    int save;
    const char *json;
    double timeout;
    uint64_t seed;
    int n_jobs;
    int tty;
} test_opts;

enum { ROW_TRAIN, ROW_VALID, ROW_TEST, N_ROWS };
static const char *row_names[N_ROWS] = {"train", "valid", "test"};

/* Scores of one fold (or the bag): [row][score]; NAN when missing. */
typedef struct fold_scores {
    double v[N_ROWS][16];
    double time[N_ROWS];
    int ok;
} fold_scores;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp test [--kit DIR] [--data DIR] [--submission NAME|ALL] [--quick-test]\n"
            "                 [--save-output] [--json FILE] [--timeout S] [--seed N] [--n-jobs N]\n\n"
            "Trains a submission on each cross-validation fold of a kit and prints its train,\n"
            "valid and test scores per fold, their mean ± std, and the bagged scores.\n\n"
            "  --kit DIR          the kit (default: .)\n"
            "  --data DIR         folder with train.csv, test.csv and imgs/ (default: KIT/data)\n"
            "  --submission NAME  a folder of KIT/submissions, or ALL (default: starting_kit)\n"
            "  --quick-test       a stratified subset: %d train and %d test rows at most\n"
            "  --save-output      write predictions (.npy), scores and times to\n"
            "                     KIT/submissions/NAME/training_output/\n"
            "  --json FILE        write every figure machine-readable\n"
            "  --timeout S        per fold, in seconds (default 7200)\n"
            "  --seed N           seed of the loader, augmentation and classifier (default 0)\n"
            "  --n-jobs N         loader threads (default: the problem's n_jobs)\n",
            QUICK_TRAIN, QUICK_TEST);
}

/* ---- progress ----------------------------------------------------------------- */

typedef struct progress_state {
    int tty;
    int fold;
    int last_epoch;
    double epoch_t0;
    unsigned long long epoch_images0;
    int open_line;
} progress_state;

static void on_progress(void *ctx, const ramp__progress *p)
{
    progress_state *ps = ctx;
    if (p->epoch != ps->last_epoch) {
        ps->last_epoch = p->epoch;
        ps->epoch_t0 = p->seconds;
        ps->epoch_images0 = p->images;
    }
    double dt = p->seconds - ps->epoch_t0;
    double ips = dt > 0 ? (double)(p->images - ps->epoch_images0) / dt : 0;
    int end = p->batch >= p->n_batches;
    double per_batch = p->batch ? dt / (double)p->batch : 0;
    double eta = per_batch * (double)(p->n_batches - p->batch) +
                 (p->n_epochs > 0 ? per_batch * (double)p->n_batches *
                                        (double)(p->n_epochs - p->epoch - 1)
                                  : 0);
    char ep[32], la[64] = "";
    if (p->n_epochs > 0)
        snprintf(ep, sizeof ep, "%d/%d", p->epoch + 1, p->n_epochs);
    else
        snprintf(ep, sizeof ep, "%d", p->epoch + 1);
    if (p->loss >= 0) snprintf(la, sizeof la, "  loss %.4f", p->loss);
    if (p->accuracy >= 0)
        snprintf(la + strlen(la), sizeof la - strlen(la), "  acc %.4f", p->accuracy);
    if (ps->tty) {
        char bar[21];
        int fill = p->n_batches ? (int)(20 * p->batch / p->n_batches) : 0;
        for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '.';
        bar[20] = '\0';
        fprintf(stderr, "\r  epoch %s [%s] %zu/%zu  %.0f img/s%s  ETA %.0fs\033[K", ep, bar,
                p->batch, p->n_batches, ips, la, eta);
        ps->open_line = !end;
        if (end) fputc('\n', stderr);
    } else if (end) {
        fprintf(stderr, "  fold %d epoch %s: %zu batches, %.0f img/s%s, %.1fs\n", ps->fold, ep,
                p->n_batches, ips, la, dt);
    }
    fflush(stderr);
}

/* ---- helpers ------------------------------------------------------------------- */

/* Prints the last `lines` lines of a file to stderr. */
static void print_tail(const char *path, int lines)
{
    uint8_t *text = NULL;
    size_t len = 0;
    if (ramp__read_file(path, (size_t)64 << 20, &text, &len, NULL)) return;
    size_t start = len;
    int seen = 0;
    while (start > 0) {
        if (text[start - 1] == '\n' && start != len && ++seen > lines) break;
        start--;
    }
    fprintf(stderr, "---- last lines of %s ----\n%s", path, (char *)text + start);
    if (len && text[len - 1] != '\n') fputc('\n', stderr);
    fprintf(stderr, "----\n");
    free(text);
}

/* Scores rows[0..n) of pred (n × c, rows aligned with the labels y). */
static void score_rows(const ramp_problem *pb, const float *pred, const int32_t *y, size_t n,
                       int c, double *out)
{
    for (int s = 0; s < ramp_problem_n_scores(pb) && s < 16; s++) {
        ramp_err e;
        if (ramp_score_compute_f(&out[s], ramp_problem_score_kind(pb, s),
                                 ramp_problem_score_param(pb, s), pred, y, n, c, &e))
            out[s] = NAN;
    }
}

static void print_table(const ramp_problem *pb, const fold_scores *fs, int first_row, int n_rows,
                        int with_time, const fold_scores *std)
{
    int ns = ramp_problem_n_scores(pb);
    int w = std ? 18 : 9;
    printf("\t%-6s", "score");
    for (int s = 0; s < ns; s++) printf(" %*s", w, ramp_problem_score_name(pb, s));
    if (with_time) printf(" %*s", w, "time");
    printf("\n");
    for (int r = first_row; r < first_row + n_rows; r++) {
        printf("\t%-6s", row_names[r]);
        for (int s = 0; s < ns; s++) {
            int pr = ramp_problem_score_precision(pb, s);
            char cell[64];
            if (std)
                snprintf(cell, sizeof cell, "%.*f ± %.*f", pr, fs->v[r][s], pr, std->v[r][s]);
            else
                snprintf(cell, sizeof cell, "%.*f", pr, fs->v[r][s]);
            printf(" %*s", w + (std ? 1 : 0), cell); /* "±" is two bytes */
        }
        if (with_time) {
            char cell[64];
            if (std)
                snprintf(cell, sizeof cell, "%.1f ± %.1f", fs->time[r], std->time[r]);
            else
                snprintf(cell, sizeof cell, "%.2f", fs->time[r]);
            printf(" %*s", w + (std ? 1 : 0), cell);
        }
        printf("\n");
    }
}

static void json_scores(FILE *j, const ramp_problem *pb, const double *v)
{
    fprintf(j, "{");
    for (int s = 0; s < ramp_problem_n_scores(pb); s++) {
        fprintf(j, "%s\"%s\": ", s ? ", " : "", ramp_problem_score_name(pb, s));
        if (isfinite(v[s]))
            fprintf(j, "%.17g", v[s]);
        else
            fprintf(j, "null");
    }
    fprintf(j, "}");
}


static ramp_status write_scores_csv(const char *path, const ramp_problem *pb, const fold_scores *fs,
                                    int first_row, int n_rows)
{
    FILE *f = fopen(path, "w");
    if (!f) return RAMP_EIO;
    fprintf(f, "step");
    for (int s = 0; s < ramp_problem_n_scores(pb); s++)
        fprintf(f, ",%s", ramp_problem_score_name(pb, s));
    fprintf(f, ",time\n");
    for (int r = first_row; r < first_row + n_rows; r++) {
        fprintf(f, "%s", row_names[r]);
        for (int s = 0; s < ramp_problem_n_scores(pb); s++) fprintf(f, ",%.17g", fs->v[r][s]);
        fprintf(f, ",%.6f\n", fs->time[r]);
    }
    return fclose(f) == 0 ? RAMP_OK : RAMP_EIO;
}

/* Writes an n_all × c matrix in CSV row order: row rows[i] gets pred row i,
   every other row NaN (a quick test predicts a subset). */
static ramp_status save_full(const char *path, const float *pred, const uint32_t *rows, size_t n,
                             size_t n_all, int c, ramp_err *err)
{
    float *full = malloc((n_all ? n_all : 1) * (size_t)c * sizeof(float));
    if (!full) return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n_all * (size_t)c; i++) full[i] = NAN;
    for (size_t i = 0; i < n; i++)
        memcpy(full + (size_t)rows[i] * (size_t)c, pred + i * (size_t)c, (size_t)c * sizeof(float));
    ramp_status st = ramp_npy_write_matrix_f(path, full, n_all, (size_t)c, err);
    free(full);
    return st;
}

/* ---- one submission ------------------------------------------------------------- */

/* The rows a run uses: all of a split, or a stratified quick-test subset. */
typedef struct active_split {
    ramp_samples s;
    uint32_t *rows; /* row numbers in the CSV */
    const char **paths, **ids;
    int32_t *labels;
} active_split;

static ramp_status active_make(active_split *a, const ramp_samples *all, size_t max_n,
                               uint64_t seed, ramp_err *err)
{
    memset(a, 0, sizeof *a);
    size_t n = all->n;
    a->rows = malloc(n * sizeof *a->rows);
    if (!a->rows) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    if (max_n && n > max_n) {
        uint32_t *rest = malloc(n * sizeof *rest);
        if (!rest) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        ramp_err e;
        if (ramp_split_stratified(rest, a->rows, all->labels, n, all->n_classes, (double)max_n,
                                  seed, 0, &e)) {
            /* too few rows per class to stratify: take a seeded random subset */
            for (size_t i = 0; i < n; i++) rest[i] = (uint32_t)i;
            ramp_rng r;
            ramp_rng_seed(&r, seed, 0x515549434bULL);
            ramp_rng_shuffle(&r, rest, (uint32_t)n);
            memcpy(a->rows, rest, max_n * sizeof *rest);
        }
        free(rest);
        n = max_n;
    } else {
        for (size_t i = 0; i < n; i++) a->rows[i] = (uint32_t)i;
    }
    a->paths = malloc(n * sizeof *a->paths);
    a->ids = malloc(n * sizeof *a->ids);
    a->labels = malloc(n * sizeof *a->labels);
    if (!a->paths || !a->ids || !a->labels)
        return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        a->paths[i] = all->paths[a->rows[i]];
        a->ids[i] = all->ids[a->rows[i]];
        a->labels[i] = all->labels[a->rows[i]];
    }
    a->s = (ramp_samples){a->paths, a->ids, a->labels, n, all->n_classes};
    return RAMP_OK;
}

static void active_free(active_split *a)
{
    free(a->rows);
    free(a->paths);
    free(a->ids);
    free(a->labels);
}

/* Gathers labels of rows idx[0..n). */
static int32_t *gather_labels(const int32_t *labels, const uint32_t *idx, size_t n)
{
    int32_t *y = malloc((n ? n : 1) * sizeof *y);
    if (y)
        for (size_t i = 0; i < n; i++) y[i] = labels[idx[i]];
    return y;
}

static double mean_of(const double *v, int n, double *std)
{
    double m = 0, s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            m += v[i];
            k++;
        }
    m = k ? m / k : NAN;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) s += (v[i] - m) * (v[i] - m);
    *std = k ? sqrt(s / k) : NAN;
    return m;
}

static int run_submission(const test_opts *o, ramp__kit *kit, const char *name, FILE *json,
                          int first_json)
{
    const ramp_problem *pb = kit->problem;
    int c = ramp_problem_n_classes(pb);
    int ns = ramp_problem_n_scores(pb);
    if (ns > 16) ns = 16;
    int n_splits = ramp_problem_cv_n_splits(pb);
    char sub_dir[4096], inc[4096], out_dir[4200];
    snprintf(sub_dir, sizeof sub_dir, "%s/submissions/%s", o->kit, name);
    snprintf(out_dir, sizeof out_dir, "%s/training_output", sub_dir);
    ramp__sub_include_dir(inc, sizeof inc, RAMP_BUILD_INCLUDE_DIR);
    printf("Training %s ...\n", sub_dir);
    fflush(stdout);

    int failed = 0;
    fold_scores mean = {0}, sd = {0}, bag = {0};
    fold_scores *folds = calloc((size_t)n_splits, sizeof *folds);
    ramp__fold_result *res = calloc((size_t)n_splits, sizeof *res);
    uint32_t **ftr = calloc((size_t)n_splits, sizeof *ftr), **fva = calloc((size_t)n_splits, sizeof *fva);
    size_t n_ftr = 0, n_fva = 0;
    active_split tr = {0}, te = {0};
    ramp_err err = {RAMP_OK, ""};
    char *log = NULL;
    ramp__sub_paths paths;
    ramp_status st = RAMP_OK;
    if (!folds || !res || !ftr || !fva) {
        ramp__cli_error("out of memory");
        failed = 1;
        goto done;
    }
    st = ramp__sub_build(sub_dir, inc, &paths, &log, &err);
    if (st) {
        fprintf(stderr, "training_error: %s\n", err.msg);
        if (log) fprintf(stderr, "%s", log);
        failed = 1;
        goto done;
    }
    uint64_t cv_seed = ramp_problem_cv_random_state(pb);
    st = active_make(&tr, &kit->train.samples, o->quick ? QUICK_TRAIN : 0, cv_seed, &err);
    if (!st) st = active_make(&te, &kit->test.samples, o->quick ? QUICK_TEST : 0, cv_seed, &err);
    if (!st) st = ramp_split_sizes(tr.s.n, ramp_problem_cv_test_size(pb), &n_ftr, &n_fva, &err);
    if (st) {
        ramp__cli_error("%s", err.msg);
        failed = 1;
        goto done;
    }
    for (int k = 0; k < n_splits; k++) {
        ftr[k] = malloc(n_ftr * sizeof(uint32_t));
        fva[k] = malloc(n_fva * sizeof(uint32_t));
        if (!ftr[k] || !fva[k] ||
            ramp_split_stratified(ftr[k], fva[k], tr.s.labels, tr.s.n, c,
                                  ramp_problem_cv_test_size(pb), cv_seed, k, &err)) {
            ramp__cli_error("CV split: %s", err.msg[0] ? err.msg : "out of memory");
            failed = 1;
            goto done;
        }
    }

    int32_t *y_test = te.labels;
    for (int k = 0; k < n_splits; k++) {
        char log_path[4200];
        snprintf(log_path, sizeof log_path, "%s/.ramp-build/fold_%d.log", sub_dir, k);
        progress_state ps = {o->tty, k, -1, 0, 0, 0};
        ramp__fold_spec spec = {
            .paths = &paths,
            .train = &tr.s,
            .fold_train = ftr[k],
            .n_fold_train = n_ftr,
            .fold_valid = fva[k],
            .n_fold_valid = n_fva,
            .test = &te.s,
            .n_classes = c,
            .loader = {(size_t)ramp_problem_chunk_size(pb),
                       o->n_jobs > 0 ? o->n_jobs : ramp_problem_n_jobs(pb), o->seed + (uint64_t)k,
                       0},
            .test_batch_size = (size_t)ramp_problem_test_batch_size(pb),
            .info = {.seed = o->seed + (uint64_t)k,
                     .n_threads = (int)sysconf(_SC_NPROCESSORS_ONLN),
                     .quick_test = o->quick,
                     .fold = k,
                     .submission_dir = sub_dir},
            .timeout_s = o->timeout,
            .log_path = log_path,
            .on_progress = on_progress,
            .progress_ctx = &ps,
        };
        ramp__fold_result *r = &res[k];
        ramp__fold_run(&spec, r);
        if (ps.open_line) fputc('\n', stderr);
        printf("CV fold %d\n", k);
        if (r->status) {
            printf("\t%s: %s\n", ramp__step_error_name(r->step), r->message);
            fprintf(stderr, "ramp: fold %d: %s: %s\n", k, ramp__step_error_name(r->step),
                    r->message);
            print_tail(log_path, 30);
            failed = 1;
            break;
        }
        fold_scores *fs = &folds[k];
        fs->ok = 1;
        int32_t *y_tr = gather_labels(tr.labels, ftr[k], n_ftr);
        int32_t *y_va = gather_labels(tr.labels, fva[k], n_fva);
        if (!y_tr || !y_va) {
            free(y_tr);
            free(y_va);
            failed = 1;
            break;
        }
        score_rows(pb, r->pred, y_tr, n_ftr, c, fs->v[ROW_TRAIN]);
        score_rows(pb, r->pred + n_ftr * (size_t)c, y_va, n_fva, c, fs->v[ROW_VALID]);
        score_rows(pb, r->pred + (n_ftr + n_fva) * (size_t)c, y_test, te.s.n, c,
                   fs->v[ROW_TEST]);
        free(y_tr);
        free(y_va);
        fs->time[ROW_TRAIN] = r->time_train;
        fs->time[ROW_VALID] = r->time_valid;
        fs->time[ROW_TEST] = r->time_test;
        print_table(pb, fs, ROW_TRAIN, N_ROWS, 1, NULL);
        printf("\tloader: %.0f images/s while training, trainer waited %.2f s for data; "
               "max RSS %.0f MiB\n",
               r->train_images_per_s, r->train_stall, (double)r->max_rss_kb / 1024.0);
        fflush(stdout);
        if (o->save) {
            char d[4300], p[4400];
            snprintf(d, sizeof d, "%s/fold_%d", out_dir, k);
            if (ramp__mkdirs(d) != 0) {
                ramp__cli_error("%s: %s", d, strerror(errno));
                failed = 1;
                break;
            }
            /* predictions in CSV row order (NaN rows outside this run) */
            uint32_t *rows = malloc((n_ftr + n_fva) * sizeof *rows);
            int64_t *vrow = malloc((n_fva ? n_fva : 1) * sizeof *vrow);
            st = rows && vrow ? RAMP_OK : ramp__err_set(&err, RAMP_ENOMEM, "out of memory");
            if (!st) {
                for (size_t i = 0; i < n_ftr; i++) rows[i] = tr.rows[ftr[k][i]];
                for (size_t i = 0; i < n_fva; i++) vrow[i] = rows[n_ftr + i] = tr.rows[fva[k][i]];
                snprintf(p, sizeof p, "%s/y_pred_train.npy", d);
                st = save_full(p, r->pred, rows, n_ftr + n_fva, kit->train.samples.n, c, &err);
            }
            if (!st) {
                snprintf(p, sizeof p, "%s/y_pred_valid.npy", d);
                st = ramp_npy_write_matrix_f(p, r->pred + n_ftr * (size_t)c, n_fva, (size_t)c,
                                             &err);
            }
            if (!st) {
                snprintf(p, sizeof p, "%s/valid_idx.npy", d);
                st = ramp_npy_write(p, RAMP_NPY_I8, 1, n_fva, 1, vrow, &err);
            }
            if (!st) {
                snprintf(p, sizeof p, "%s/y_pred_test.npy", d);
                st = save_full(p, r->pred + (n_ftr + n_fva) * (size_t)c, te.rows, te.s.n,
                               kit->test.samples.n, c, &err);
            }
            free(rows);
            free(vrow);
            if (!st) {
                snprintf(p, sizeof p, "%s/scores.csv", d);
                st = write_scores_csv(p, pb, fs, ROW_TRAIN, N_ROWS);
                if (st) ramp__err_set(&err, st, "%s: cannot write", p);
            }
            if (st) {
                ramp__cli_error("--save-output: %s", err.msg);
                failed = 1;
                break;
            }
        }
    }

    int n_ok = 0;
    for (int k = 0; k < n_splits; k++) n_ok += folds[k].ok;
    if (!failed && n_ok == n_splits) {
        double vals[64];
        for (int r = 0; r < N_ROWS; r++) {
            for (int s = 0; s < ns; s++) {
                for (int k = 0; k < n_splits && k < 64; k++) vals[k] = folds[k].v[r][s];
                mean.v[r][s] = mean_of(vals, n_splits < 64 ? n_splits : 64, &sd.v[r][s]);
            }
            for (int k = 0; k < n_splits && k < 64; k++) vals[k] = folds[k].time[r];
            mean.time[r] = mean_of(vals, n_splits < 64 ? n_splits : 64, &sd.time[r]);
        }
        printf("----------------------------\nMean CV scores\n----------------------------\n");
        print_table(pb, &mean, ROW_TRAIN, N_ROWS, 1, &sd);
        /* bagging: valid over the CV rows (each row averaged over the folds it
           was validated in), test over every fold */
        size_t n = tr.s.n;
        float **vm = calloc((size_t)n_splits, sizeof *vm);
        const float **tm = calloc((size_t)n_splits, sizeof *tm);
        float *bv = malloc(n * (size_t)c * sizeof(float));
        float *bt = malloc(te.s.n * (size_t)c * sizeof(float));
        int ok = vm && tm && bv && bt;
        for (int k = 0; ok && k < n_splits; k++) {
            vm[k] = malloc(n * (size_t)c * sizeof(float));
            if (!vm[k]) {
                ok = 0;
                break;
            }
            for (size_t i = 0; i < n * (size_t)c; i++) vm[k][i] = NAN;
            for (size_t i = 0; i < n_fva; i++)
                memcpy(vm[k] + (size_t)fva[k][i] * (size_t)c,
                       res[k].pred + (n_ftr + i) * (size_t)c, (size_t)c * sizeof(float));
            tm[k] = res[k].pred + (n_ftr + n_fva) * (size_t)c;
        }
        if (ok && !ramp_combine_f(bv, (const float *const *)vm, (size_t)n_splits, n, c, &err) &&
            !ramp_combine_f(bt, tm, (size_t)n_splits, te.s.n, c, &err)) {
            score_rows(pb, bv, tr.labels, n, c, bag.v[ROW_VALID]);
            score_rows(pb, bt, y_test, te.s.n, c, bag.v[ROW_TEST]);
            printf("----------------------------\nBagged scores\n----------------------------\n");
            print_table(pb, &bag, ROW_VALID, 2, 0, NULL);
            if (o->save) {
                char p[4400];
                snprintf(p, sizeof p, "%s/bagged_scores.csv", out_dir);
                write_scores_csv(p, pb, &bag, ROW_VALID, 2);
                snprintf(p, sizeof p, "%s/y_pred_test_bagged.npy", out_dir);
                save_full(p, bt, te.rows, te.s.n, kit->test.samples.n, c, NULL);
            }
        } else {
            ramp__cli_error("bagging: %s", err.msg[0] ? err.msg : "out of memory");
            failed = 1;
        }
        for (int k = 0; vm && k < n_splits; k++) free(vm[k]);
        free(vm);
        free(tm);
        free(bv);
        free(bt);
    }
done:
    /* every submission gets its entry, also one that failed before its folds */
    if (json) {
        fprintf(json, "%s\n    {\"submission\": ", first_json ? "" : ",");
        ramp__json_fputs(json, name);
        fprintf(json, ", \"status\": \"%s\", \"quick_test\": %s, \"n_train\": %zu, \"n_test\": %zu,",
                failed ? "error" : "ok", o->quick ? "true" : "false", tr.s.n, te.s.n);
        if (st && err.msg[0]) {
            fprintf(json, " \"error\": ");
            ramp__json_fputs(json, err.msg);
            fprintf(json, ",");
        }
        fprintf(json, "\n     \"folds\": [");
        for (int k = 0; res && folds && k < n_splits; k++) {
            ramp__fold_result *r = &res[k];
            if (!r->done && !r->status && !folds[k].ok) continue;
            fprintf(json, "%s\n      {\"fold\": %d, \"status\": \"%s\"", k ? "," : "", k,
                    r->status ? ramp__step_error_name(r->step) : "ok");
            if (r->status) {
                fprintf(json, ", \"error\": ");
                ramp__json_fputs(json, r->message);
            } else {
                for (int row = 0; row < N_ROWS; row++) {
                    fprintf(json, ", \"%s\": ", row_names[row]);
                    json_scores(json, pb, folds[k].v[row]);
                }
                fprintf(json,
                        ", \"time\": {\"train\": %.6f, \"valid\": %.6f, \"test\": %.6f}, "
                        "\"loader\": {\"images\": %llu, \"images_per_s\": %.1f, "
                        "\"stall_s\": %.3f}, \"max_rss_kb\": %ld",
                        r->time_train, r->time_valid, r->time_test,
                        (unsigned long long)r->train_images, r->train_images_per_s,
                        r->train_stall, r->max_rss_kb);
            }
            fprintf(json, "}");
        }
        fprintf(json, "]");
        if (!failed) {
            fprintf(json, ",\n     \"mean\": {");
            for (int row = 0; row < N_ROWS; row++) {
                fprintf(json, "%s\"%s\": ", row ? ", " : "", row_names[row]);
                json_scores(json, pb, mean.v[row]);
            }
            fprintf(json, "},\n     \"std\": {");
            for (int row = 0; row < N_ROWS; row++) {
                fprintf(json, "%s\"%s\": ", row ? ", " : "", row_names[row]);
                json_scores(json, pb, sd.v[row]);
            }
            fprintf(json, "},\n     \"bagged\": {\"valid\": ");
            json_scores(json, pb, bag.v[ROW_VALID]);
            fprintf(json, ", \"test\": ");
            json_scores(json, pb, bag.v[ROW_TEST]);
            fprintf(json, "}");
        }
        fprintf(json, "}");
    }
    for (int k = 0; res && k < n_splits; k++) ramp__fold_result_clear(&res[k]);
    for (int k = 0; ftr && k < n_splits; k++) free(ftr[k]);
    for (int k = 0; fva && k < n_splits; k++) free(fva[k]);
    free(ftr);
    free(fva);
    free(res);
    free(folds);
    free(log);
    active_free(&tr);
    active_free(&te);
    return failed;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ramp__cmd_test(int argc, char **argv)
{
    test_opts o = {".", NULL, "starting_kit", 0, 0, NULL, 7200, 0, 0, 0};
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--kit", &o.kit),
        RAMP__OPT_STR("--data", &o.data),
        RAMP__OPT_STR("--submission", &o.submission),
        RAMP__OPT_STR("--json", &o.json),
        RAMP__OPT_FLAG("--quick-test", &o.quick),
        RAMP__OPT_FLAG("--save-output", &o.save),
        RAMP__OPT_SECONDS("--timeout", &o.timeout),
        RAMP__OPT_U64("--seed", &o.seed),
        RAMP__OPT_INT("--n-jobs", &o.n_jobs, 1, 1024),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "test", .usage = usage, .opts = opts },
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    o.tty = isatty(2);
    ramp__kit kit;
    ramp_err err = {RAMP_OK, ""};
    if (ramp__kit_open(&kit, o.kit, o.data, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    /* the submissions to run */
    char **names = NULL;
    size_t n_names = 0;
    if (!strcmp(o.submission, "ALL")) {
        char d[4200];
        snprintf(d, sizeof d, "%s/submissions", o.kit);
        DIR *dir = opendir(d);
        struct dirent *e;
        while (dir && (e = readdir(dir))) {
            if (e->d_name[0] == '.') continue;
            char p[4500];
            struct stat sb;
            snprintf(p, sizeof p, "%s/%s", d, e->d_name);
            if (stat(p, &sb) || !S_ISDIR(sb.st_mode)) continue;
            char **nn = realloc(names, (n_names + 1) * sizeof *names);
            if (!nn) break;
            names = nn;
            names[n_names++] = ramp__strdup(e->d_name);
        }
        if (dir) closedir(dir);
        if (n_names) qsort(names, n_names, sizeof *names, cmp_str);
    } else {
        names = malloc(sizeof *names);
        if (names) names[n_names++] = ramp__strdup(o.submission);
    }
    if (!n_names) {
        ramp__cli_error("test: no submission found in %s/submissions", o.kit);
        ramp__kit_close(&kit);
        free(names);
        return 1;
    }
    printf("Testing %s\n", ramp_problem_title(kit.problem));
    printf("Reading train and test files from %s/ ...\n", kit.data_dir);
    if (o.quick) printf("Quick test: at most %d train and %d test rows\n", QUICK_TRAIN, QUICK_TEST);
    FILE *json = NULL;
    if (o.json) {
        json = fopen(o.json, "w");
        if (!json) {
            ramp__cli_error("test: cannot write %s: %s", o.json, strerror(errno));
            ramp__kit_close(&kit);
            return 1;
        }
        fprintf(json, "{\"title\": ");
        ramp__json_fputs(json, ramp_problem_title(kit.problem));
        fprintf(json, ", \"kit\": ");
        ramp__json_fputs(json, o.kit);
        fprintf(json, ", \"seed\": %llu, \"submissions\": [", (unsigned long long)o.seed);
    }
    int failed = 0, n_run = 0;
    for (size_t i = 0; i < n_names; i++) {
        if (!names[i]) continue;
        failed |= run_submission(&o, &kit, names[i], json, n_run++ == 0);
        free(names[i]);
    }
    free(names);
    if (json) {
        fprintf(json, "\n]}\n");
        if (fclose(json) != 0) failed = 1;
    }
    ramp__kit_close(&kit);
    return failed ? 1 : 0;
}
