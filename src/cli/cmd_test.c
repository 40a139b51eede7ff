/* cmd_test.c — `ramp test`, RAMP's ramp-test: train a submission on each CV
 * fold, score train / valid / test, print the tables, bag the folds.
 *
 * The work is the library's (workflow/workflow.c): it compiles the
 * submission and runs each fold in the sandbox, and scores on this side.
 * This file prints: progress, the per-fold tables as folds end, mean ± std,
 * the bag, the JSON. A failing fold is reported as training_error /
 * validating_error / testing_error with the tail of its log, and makes the
 * command exit 1.
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
#include "workflow/workflowInt.h"

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
    int no_sandbox;
    int64_t mem_mb;
    double compile_timeout;
    char **env;
    char exe[4096];
} test_opts;

enum { ROW_TRAIN = RAMP__ROW_TRAIN, ROW_VALID = RAMP__ROW_VALID, ROW_TEST = RAMP__ROW_TEST,
       N_ROWS = RAMP__N_ROWS };
static const char *row_names[N_ROWS] = {"train", "valid", "test"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp test [--kit DIR] [--data DIR] [--submission NAME|ALL] [--quick-test]\n"
            "                 [--save-output] [--json FILE] [--timeout S] [--seed N] [--n-jobs N]\n"
            "                 [--no-sandbox] [--mem-limit MiB] [--compile-timeout S]\n\n"
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
            "  --n-jobs N         loader threads (default: the problem's n_jobs)\n"
            "  --no-sandbox       run the submission's code without the sandbox (your own\n"
            "                     code on your own machine only: it can then read the test\n"
            "                     labels and anything else you can)\n"
            "  --mem-limit MiB    address space of each fold (default: none)\n"
            "  --compile-timeout S  per compiler run (default 120)\n",
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

static void on_progress(void *ctx, int fold, const ramp__progress *p)
{
    progress_state *ps = ctx;
    ps->fold = fold;
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

static void print_table(const ramp_problem *pb, const ramp__wf_scores *fs, int first_row, int n_rows,
                        int with_time, const ramp__wf_scores *std)
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


/* ---- one submission ------------------------------------------------------------- */

typedef struct run_ctx {
    const test_opts *o;
    const ramp_problem *pb;
    progress_state ps;
} run_ctx;

static void on_fold_start(void *ctx, int fold)
{
    run_ctx *rc = ctx;
    rc->ps = (progress_state){rc->o->tty, fold, -1, 0, 0, 0};
}

static void on_progress_cb(void *ctx, int fold, const ramp__progress *p)
{
    on_progress(&((run_ctx *)ctx)->ps, fold, p);
}

static void on_fold_end(void *ctx, int k, const ramp__wf_result *r)
{
    run_ctx *rc = ctx;
    const ramp__wf_fold *f = &r->folds[k];
    if (rc->ps.open_line) fputc('\n', stderr);
    printf("CV fold %d\n", k);
    if (f->run.status) {
        printf("\t%s: %s\n", ramp__step_error_name(f->run.step), f->run.message);
        fprintf(stderr, "ramp: fold %d: %s: %s\n", k, ramp__step_error_name(f->run.step),
                f->run.message);
        print_tail(f->log_path, 30);
    } else {
        print_table(rc->pb, &f->scores, ROW_TRAIN, N_ROWS, 1, NULL);
        printf("\tloader: %.0f images/s while training, trainer waited %.2f s for data; "
               "max RSS %.0f MiB\n",
               f->run.train_images_per_s, f->run.train_stall, (double)f->run.max_rss_kb / 1024.0);
    }
    fflush(stdout);
}

static void json_result(FILE *json, const test_opts *o, const ramp_problem *pb, const char *name,
                        const ramp__wf_result *r, int first_json)
{
    int failed = r->status != RAMP_OK;
    fprintf(json, "%s\n    {\"submission\": ", first_json ? "" : ",");
    ramp__json_fputs(json, name);
    fprintf(json, ", \"status\": \"%s\", \"quick_test\": %s, \"n_train\": %zu, \"n_test\": %zu,",
            failed ? "error" : "ok", o->quick ? "true" : "false", r->n_train, r->n_test);
    if (failed && r->failed_fold < 0 && r->message[0]) {
        fprintf(json, " \"error\": ");
        ramp__json_fputs(json, r->message);
        fprintf(json, ",");
    }
    fprintf(json, "\n     \"folds\": [");
    int first = 1;
    for (int k = 0; r->folds && k < r->n_folds; k++) {
        const ramp__wf_fold *f = &r->folds[k];
        if (!f->ok && !f->run.status) continue;
        fprintf(json, "%s\n      {\"fold\": %d, \"status\": \"%s\"", first ? "" : ",", k,
                f->run.status ? ramp__step_error_name(f->run.step) : "ok");
        first = 0;
        if (f->run.status) {
            fprintf(json, ", \"error\": ");
            ramp__json_fputs(json, f->run.message);
        } else {
            for (int row = 0; row < N_ROWS; row++) {
                fprintf(json, ", \"%s\": ", row_names[row]);
                json_scores(json, pb, f->scores.v[row]);
            }
            fprintf(json,
                    ", \"time\": {\"train\": %.6f, \"valid\": %.6f, \"test\": %.6f}, "
                    "\"loader\": {\"images\": %llu, \"images_per_s\": %.1f, "
                    "\"stall_s\": %.3f}, \"max_rss_kb\": %ld",
                    f->run.time_train, f->run.time_valid, f->run.time_test,
                    (unsigned long long)f->run.train_images, f->run.train_images_per_s,
                    f->run.train_stall, f->run.max_rss_kb);
        }
        fprintf(json, "}");
    }
    fprintf(json, "]");
    if (r->complete) {
        fprintf(json, ",\n     \"mean\": {");
        for (int row = 0; row < N_ROWS; row++) {
            fprintf(json, "%s\"%s\": ", row ? ", " : "", row_names[row]);
            json_scores(json, pb, r->mean.v[row]);
        }
        fprintf(json, "},\n     \"std\": {");
        for (int row = 0; row < N_ROWS; row++) {
            fprintf(json, "%s\"%s\": ", row ? ", " : "", row_names[row]);
            json_scores(json, pb, r->std.v[row]);
        }
        fprintf(json, "},\n     \"bagged\": {\"valid\": ");
        json_scores(json, pb, r->bagged.v[ROW_VALID]);
        fprintf(json, ", \"test\": ");
        json_scores(json, pb, r->bagged.v[ROW_TEST]);
        fprintf(json, "}");
    }
    fprintf(json, "}");
}

static int run_submission(const test_opts *o, ramp__kit *kit, const char *name, FILE *json,
                          int first_json)
{
    const ramp_problem *pb = kit->problem;
    char sub_dir[4096], out_dir[4200], inc[4096], imgs[4200];
    snprintf(sub_dir, sizeof sub_dir, "%s/submissions/%s", o->kit, name);
    snprintf(out_dir, sizeof out_dir, "%s/training_output", sub_dir);
    snprintf(imgs, sizeof imgs, "%s/imgs", kit->data_dir);
    ramp__sub_include_dir(inc, sizeof inc, RAMP_BUILD_INCLUDE_DIR);
    printf("Training %s ...\n", sub_dir);
    fflush(stdout);
    run_ctx rc = {o, pb, {o->tty, 0, -1, 0, 0, 0}};
    ramp__sandbox_mode mode = o->no_sandbox ? RAMP__SANDBOX_OFF : RAMP__SANDBOX_ON;
    ramp__wf_opts wo = {
        .problem = pb,
        .train = &kit->train.samples,
        .test = &kit->test.samples,
        .imgs_dir = imgs,
        .sub_dir = sub_dir,
        .exe = o->exe,
        .save_dir = o->save ? out_dir : NULL,
        .quick = o->quick,
        .quick_train = QUICK_TRAIN,
        .quick_test = QUICK_TEST,
        .seed = o->seed,
        .n_jobs = o->n_jobs,
        .n_threads = (int)sysconf(_SC_NPROCESSORS_ONLN),
        .timeout_s = o->timeout,
        .sandbox = {.mode = mode,
                    .mem_bytes = (uint64_t)o->mem_mb << 20,
                    .cpu_seconds = 0,
                    .envp = o->env},
        .build = {.include_dir = inc, .sandbox = mode, .timeout_s = o->compile_timeout},
        .ctx = &rc,
        .on_fold_start = on_fold_start,
        .on_progress = on_progress_cb,
        .on_fold_end = on_fold_end,
    };
    ramp__wf_result r;
    ramp__workflow_run(&wo, &r);
    int failed = r.status != RAMP_OK;
    if (failed && r.failed_fold < 0) {
        if (r.status == RAMP_ECOMPILE || !r.folds) {
            fprintf(stderr, "training_error: %s\n", r.message);
            if (r.build_log) fprintf(stderr, "%s", r.build_log);
        } else {
            ramp__cli_error("%s", r.message);
        }
    }
    if (r.complete) {
        printf("----------------------------\nMean CV scores\n----------------------------\n");
        print_table(pb, &r.mean, ROW_TRAIN, N_ROWS, 1, &r.std);
        printf("----------------------------\nBagged scores\n----------------------------\n");
        print_table(pb, &r.bagged, ROW_VALID, 2, 0, NULL);
    }
    if (json) json_result(json, o, pb, name, &r, first_json);
    ramp__wf_result_clear(&r);
    return failed;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ramp__cmd_test(int argc, char **argv)
{
    test_opts o = {".", NULL, "starting_kit", 0, 0, NULL, 7200, 0, 0, 0, 0, 0, 120, NULL, ""};
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
        RAMP__OPT_FLAG("--no-sandbox", &o.no_sandbox),
        RAMP__OPT_INT("--mem-limit", &o.mem_mb, 0, 0),
        RAMP__OPT_SECONDS("--compile-timeout", &o.compile_timeout),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "test", .usage = usage, .opts = opts },
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    o.tty = isatty(2);
    if (ramp__cli_exe(o.exe, sizeof o.exe) != 0) {
        ramp__cli_error("test: cannot find the ramp program itself (/proc/self/exe)");
        return 1;
    }
    if (!o.no_sandbox &&
        ramp__cli_sandbox_check("ramp test runs submissions in a sandbox; on your own machine, "
                                "with your own code, --no-sandbox runs without it"))
        return 1;
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
    printf("%s\n", o.no_sandbox ? "Sandbox: off (--no-sandbox): the submission's code runs with "
                                   "your rights"
                                 : "Sandbox: on (its own namespaces, no network, read-only "
                                   "images, no label file)");
    o.env = ramp__cli_sandbox_env(!o.no_sandbox);
    if (!o.env) {
        ramp__cli_error("out of memory");
        ramp__kit_close(&kit);
        return 1;
    }
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
    ramp__cli_env_free(o.env);
    if (json) {
        fprintf(json, "\n]}\n");
        if (fclose(json) != 0) failed = 1;
    }
    ramp__kit_close(&kit);
    return failed ? 1 : 0;
}
