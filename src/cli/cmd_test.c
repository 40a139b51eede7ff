/* cmd_test.c — `ramp test`, RAMP's ramp-test: train a submission on each CV
 * fold, score train / valid / test, print the tables, bag the folds.
 *
 * The work is the library's (workflow/workflow.c): it compiles the
 * submission and runs each fold in the sandbox, and scores on this side.
 * This file prints what rampwf's ramp-test prints, line for line and with
 * its rounding (rampwf/utils/testing.py, pretty_print.py, scoring.py: each
 * table is a pandas DataFrame's repr, drawn here by the same rules), and
 * ramp's own lines around them, each starting with "[ramp] ": the sandbox,
 * the Python environment, the quick test, each fold's loader figures and
 * log. Progress goes to stderr. A failing fold is reported as
 * training_error / validating_error / testing_error with the tail of its
 * log, and makes the command exit 1.
 *
 * The kit is a problem.ini kit, or a RAMP kit with problem.py only, which
 * kit.c reads with ramp's reader; rampwf's flags (--ramp-kit-dir,
 * --ramp-data-dir, --ramp-submission-dir, --retrain, ...) mean what they
 * mean to ramp-test.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "ramp/nn.h"
#include "ramp/npy.h"
#include "ramp/score.h"
#include "workflow/workflowInt.h"

#define QUICK_TRAIN 1000
#define QUICK_TEST 300

typedef struct test_opts {
    const char *kit;
    const char *data;     /* ramp's: the data folder itself */
    const char *ramp_data; /* rampwf's: the folder that holds data/ */
    const char *sub_root; /* the submissions folder (default KIT/submissions) */
    const char *submission;
    int quick;
    int save;
    int retrain;
    const char *json;
    double timeout;
    uint64_t seed;
    int n_jobs;
    int tty;
    int no_sandbox;
    int64_t mem_mb;
    double compile_timeout;
    const char *device_name; /* --device as given */
    ramp_device device;      /* resolved: CPU or CUDA */
    const char *math_name;   /* --math as given */
    ramp_math math;          /* parsed (fp32 by default) */
    const char *py_env;
    char **env;
    char exe[4096];
    ramp__cli_tools tools; /* compilers, headers, the Python plugin */
} test_opts;

enum { ROW_TRAIN = RAMP__ROW_TRAIN, ROW_VALID = RAMP__ROW_VALID, ROW_TEST = RAMP__ROW_TEST,
       N_ROWS = RAMP__N_ROWS };
static const char *row_names[N_ROWS] = {"train", "valid", "test"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp test [--kit DIR] [--data DIR] [--submission NAME|ALL] [--quick-test]\n"
            "                 [--save-output] [--retrain] [--json FILE] [--timeout S] [--seed N]\n"
            "                 [--n-jobs N] [--no-sandbox] [--mem-limit MiB] [--compile-timeout S]\n"
            "                 [--device cpu|cuda|auto] [--math fp32|tf32|bf16]\n"
            "                 [--ramp-kit-dir DIR] [--ramp-data-dir DIR] [--ramp-submission-dir DIR]\n"
            "                 [--ignore-warning]\n\n"
            "Trains a submission on each cross-validation fold of a kit and prints its train,\n"
            "valid and test scores per fold, their mean ± std, and the bagged scores, as\n"
            "rampwf's ramp-test does. The kit is described by problem.ini, or by a RAMP kit's\n"
            "problem.py (read with your Python: $VIRTUAL_ENV's, else $CONDA_PREFIX's, else\n"
            "the one ramp was built for).\n\n"
            "  --kit DIR          the kit (default: .); --ramp-kit-dir DIR is the same\n"
            "  --data DIR         the data folder of a problem.ini kit: train.csv, test.csv,\n"
            "                     imgs/ (default: KIT/data; names in [data] win)\n"
            "  --ramp-data-dir DIR  the folder that holds data/ (rampwf's: problem.py's\n"
            "                     get_*_data(path=DIR); default: KIT)\n"
            "  --ramp-submission-dir DIR  the submissions folder (default: KIT/submissions)\n"
            "  --submission NAME  a folder of the submissions folder, or ALL (default:\n"
            "                     starting_kit)\n"
            "  --quick-test       RAMP's test mode, then at most %d train and %d test rows\n"
            "  --save-output      write rampwf's training_output/ into the submission:\n"
            "                     fold_<i>/y_pred_{train,test}.npz, *_time, scores.csv,\n"
            "                     bagged_scores.csv (and ramp's .npy files for ramp blend)\n"
            "  --retrain          after the folds, train on every training row and score the\n"
            "                     test rows\n"
            "  --json FILE        write every figure machine-readable\n"
            "  --timeout S        per fold, in seconds (default 7200)\n"
            "  --seed N           seed of the loader, augmentation and classifier (default 0)\n"
            "  --n-jobs N         loader threads (default: the problem's n_jobs)\n"
            "  --no-sandbox       run the submission's code without the sandbox (your own\n"
            "                     code on your own machine only: it can then read the test\n"
            "                     labels and anything else you can)\n"
            "  --mem-limit MiB    address space of each fold (default: none)\n"
            "  --compile-timeout S  per compiler run (default 120)\n"
            "  --device D         where submissions train: cpu (default), cuda (the GPU; fails\n"
            "                     before any fold when ramp was built without CUDA or no GPU\n"
            "                     answers), auto (cuda where it can run, else cpu). Told to\n"
            "                     submissions as ramp_clf_info.device / ramp.info['device']\n"
            "  --math M           the arithmetic of convolutions and matrix products: fp32\n"
            "                     (default), tf32 (TF32 tensor cores) or bf16 (mixed\n"
            "                     precision: bf16 operands, fp32 sums and weights) on the\n"
            "                     GPU; the CPU computes fp32 for all three. Told to\n"
            "                     submissions as ramp_clf_info.math / ramp.info['math']\n"
            "  --ignore-warning   accepted (rampwf's; ramp prints no Python warnings here)\n\n"
            "rampwf's --notebook, --pickle, --partial-train and --data-label are not\n"
            "supported.\n",
            QUICK_TRAIN, QUICK_TEST);
}

/* ---- pandas' repr of a score table (rampwf's print_df_scores) -------------------------- */

#define CELL 96

/* Python's round(x, p) on a float: correctly rounded, ties to even (what
   round_df_scores does to each score). */
static double py_round(double x, int p)
{
    if (!isfinite(x)) return x;
    char b[400];
    snprintf(b, sizeof b, "%.*f", p, x);
    return strtod(b, NULL);
}

/* numpy's round(x, p) on a float64: x·10^p rounded to even, divided back
   (what mean_score_matrix does to the means and stds). */
static double np_round(double x, int p)
{
    double f = 1;
    for (int i = 0; i < p; i++) f *= 10;
    return nearbyint(x * f) / f;
}

/* A float column as pandas formats it (display.precision 6): " %.6f" with
   the trailing zeros every number shares trimmed (one kept after the
   point), or " %.6e" when a value is too small to show (0 < |v| < 1e-6),
   or when the column is too wide with a value above 1e6; NaN is "NaN". */
static void pd_float_col(char (*out)[CELL], const double *v, int n)
{
    int is_num[64] = {0};
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            snprintf(out[i], CELL, "NaN");
            continue;
        }
        snprintf(out[i], CELL, "% .6f", v[i]);
        is_num[i] = isfinite(v[i]);
    }
    for (;;) { /* trim while every number ends with 0 */
        int any = 0, all0 = 1;
        for (int i = 0; i < n; i++) {
            if (!is_num[i]) continue;
            any = 1;
            if (out[i][strlen(out[i]) - 1] != '0') all0 = 0;
        }
        if (!any || !all0) break;
        for (int i = 0; i < n; i++)
            if (is_num[i]) out[i][strlen(out[i]) - 1] = '\0';
    }
    size_t maxlen = 0;
    int large = 0, small = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(out[i]);
        if (is_num[i] && out[i][l - 1] == '.') strcat(out[i], "0");
        if (strlen(out[i]) > maxlen) maxlen = strlen(out[i]);
        double a = fabs(v[i]);
        if (a > 1e6) large = 1;
        if (a < 1e-6 && a > 0) small = 1;
    }
    if (small || (maxlen > 12 && large))
        for (int i = 0; i < n; i++)
            if (!isnan(v[i])) snprintf(out[i], CELL, "% .6e", v[i]);
}

/* Prints a table as print_df_scores prints a DataFrame (index 'step',
   columns 'score'): "score" and the column names (a numeric column's name
   gets pandas' leading space), then one line per row; the index column is
   left-justified, every other column right-justified, one space between
   columns, each line after a tab. cells: n_rows × n_cols. */
static void print_df(const char *const *rows, int n_rows, const char *const *heads,
                     const int *numeric, int n_cols, char (*cells)[CELL])
{
    size_t iw = strlen("score");
    if (strlen("step") > iw) iw = strlen("step");
    for (int r = 0; r < n_rows; r++)
        if (strlen(rows[r]) > iw) iw = strlen(rows[r]);
    size_t w[RAMP__WF_MAX_SCORES + 1];
    char head[RAMP__WF_MAX_SCORES + 1][CELL];
    for (int j = 0; j < n_cols; j++) {
        snprintf(head[j], CELL, "%s%s", numeric[j] ? " " : "", heads[j]);
        w[j] = strlen(head[j]);
        for (int r = 0; r < n_rows; r++)
            if (strlen(cells[r * n_cols + j]) > w[j]) w[j] = strlen(cells[r * n_cols + j]);
    }
    printf("\t%-*s", (int)iw, "score");
    for (int j = 0; j < n_cols; j++) printf(" %*s", (int)w[j], head[j]);
    printf("\n");
    for (int r = 0; r < n_rows; r++) {
        printf("\t%-*s", (int)iw, rows[r]);
        for (int j = 0; j < n_cols; j++) printf(" %*s", (int)w[j], cells[r * n_cols + j]);
        printf("\n");
    }
}

/* A table of scores (rows first_row .. first_row + n_rows − 1 of fs), each
   rounded to its precision, and the time column unrounded when with_time:
   a fold's table, the bag's, the retrain's. */
static void print_scores(const ramp_problem *pb, const ramp__wf_scores *fs, const int *which,
                         int n_rows, int with_time)
{
    int ns = ramp_problem_n_scores(pb);
    if (ns > RAMP__WF_MAX_SCORES) ns = RAMP__WF_MAX_SCORES;
    int nc = ns + (with_time ? 1 : 0);
    char(*cells)[CELL] = calloc((size_t)(n_rows * nc) + 1, CELL);
    char(*col)[CELL] = calloc((size_t)n_rows + 1, CELL);
    if (!cells || !col) {
        free(cells);
        free(col);
        return;
    }
    const char *rows[N_ROWS], *heads[RAMP__WF_MAX_SCORES + 1];
    int numeric[RAMP__WF_MAX_SCORES + 1];
    double v[N_ROWS];
    for (int r = 0; r < n_rows; r++) rows[r] = row_names[which[r]];
    for (int j = 0; j < nc; j++) {
        int is_time = j == ns;
        heads[j] = is_time ? "time" : ramp_problem_score_name(pb, j);
        numeric[j] = 1;
        for (int r = 0; r < n_rows; r++)
            v[r] = is_time ? fs->time[which[r]]
                           : py_round(fs->v[which[r]][j], ramp_problem_score_precision(pb, j));
        pd_float_col(col, v, n_rows);
        for (int r = 0; r < n_rows; r++) memcpy(cells[r * nc + j], col[r], CELL);
    }
    print_df(rows, n_rows, heads, numeric, nc, cells);
    free(cells);
    free(col);
}

/* The mean ± std table (rampwf's mean_score_matrix): "mean +- std", the
   mean rounded to the score's precision and the std to one more (the time
   to 1 and 2), both as numpy prints a float64. */
static void print_mean(const ramp_problem *pb, const ramp__wf_scores *mean,
                       const ramp__wf_scores *std)
{
    int ns = ramp_problem_n_scores(pb);
    if (ns > RAMP__WF_MAX_SCORES) ns = RAMP__WF_MAX_SCORES;
    int nc = ns + 1;
    char(*cells)[CELL] = calloc((size_t)(N_ROWS * nc) + 1, CELL);
    if (!cells) return;
    const char *heads[RAMP__WF_MAX_SCORES + 1];
    int numeric[RAMP__WF_MAX_SCORES + 1];
    for (int j = 0; j < nc; j++) {
        int is_time = j == ns;
        int p = is_time ? 1 : ramp_problem_score_precision(pb, j);
        heads[j] = is_time ? "time" : ramp_problem_score_name(pb, j);
        numeric[j] = 0; /* strings */
        for (int r = 0; r < N_ROWS; r++) {
            double m = is_time ? mean->time[r] : mean->v[r][j];
            double s = is_time ? std->time[r] : std->v[r][j];
            char a[64], b[64];
            snprintf(cells[r * nc + j], CELL, " %s +- %s",
                     ramp__wf_repr(a, sizeof a, np_round(m, p)),
                     ramp__wf_repr(b, sizeof b, np_round(s, p + 1)));
        }
    }
    print_df(row_names, N_ROWS, heads, numeric, nc, cells);
    free(cells);
}

static void print_title(const char *title)
{
    printf("%s\n", title);
}

static void print_banner(const char *title)
{
    print_title("----------------------------");
    print_title(title);
    print_title("----------------------------");
}

/* ---- helpers ------------------------------------------------------------------- */

/* Prints the last `lines` lines of a file to stderr. The log holds what the
   submission printed: its control characters (escape sequences that would
   move the cursor, retitle or clear the terminal and fake lines; C1
   controls as UTF-8) are shown as '?', tabs and newlines kept. */
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
    fprintf(stderr, "---- last lines of %s ----\n", path);
    for (size_t i = start; i < len; i++) {
        unsigned char ch = text[i];
        if (ch == 0xC2 && i + 1 < len && text[i + 1] >= 0x80 && text[i + 1] <= 0x9F) {
            fputc('?', stderr); /* U+0080..U+009F */
            i++;
        } else if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7F) {
            fputc('?', stderr);
        } else {
            fputc(ch, stderr);
        }
    }
    if (len && text[len - 1] != '\n') fputc('\n', stderr);
    fprintf(stderr, "----\n");
    free(text);
}


/* The fold's learning curve: each epoch's end as the classifier reported
   it (figures it did not report are null). */
static void json_history(FILE *j, const ramp__fold_result *run)
{
    fprintf(j, ", \"history\": [");
    for (size_t i = 0; i < run->n_history; i++) {
        const ramp__progress *p = &run->history[i];
        fprintf(j, "%s{\"epoch\": %d, \"loss\": ", i ? ", " : "", p->epoch + 1);
        ramp__json_fnum(j, p->loss);
        fprintf(j, ", \"acc\": ");
        ramp__json_fnum(j, p->accuracy);
        fprintf(j, ", \"val_loss\": ");
        ramp__json_fnum(j, p->val_loss);
        fprintf(j, ", \"val_acc\": ");
        ramp__json_fnum(j, p->val_accuracy);
        fprintf(j, ", \"seconds\": %.3f, \"images\": %llu}", p->epoch_seconds,
                (unsigned long long)p->images);
    }
    fprintf(j, "]");
}

static void json_scores(FILE *j, const ramp_problem *pb, const double *v)
{
    fprintf(j, "{");
    for (int s = 0; s < ramp_problem_n_scores(pb) && s < RAMP__WF_MAX_SCORES; s++) {
        fprintf(j, "%s", s ? ", " : "");
        ramp__json_fputs(j, ramp_problem_score_name(pb, s));
        fprintf(j, ": ");
        ramp__json_fnum(j, v[s]);
    }
    fprintf(j, "}");
}

/* ---- one submission ------------------------------------------------------------- */

typedef struct run_ctx {
    const test_opts *o;
    const ramp_problem *pb;
    ramp__bar bar; /* progress on stderr (progress.c) */
} run_ctx;

static void on_fold_start(void *ctx, int fold, int n_folds)
{
    run_ctx *rc = ctx;
    ramp__bar_fold_start(&rc->bar, fold, n_folds, ramp__now());
    if (fold < 0) { /* the retrain: rampwf prints its title before training */
        print_banner("Retrain scores");
        fflush(stdout);
    }
}

static void on_progress(void *ctx, int fold, const ramp__progress *p)
{
    (void)fold; /* the bar knows it from on_fold_start */
    ramp__bar_update(&((run_ctx *)ctx)->bar, p, ramp__now(), stderr);
}

/* ramp's line after a run: the loader's figures and where the log is. */
static void print_run_line(const char *who, const ramp__wf_fold *f)
{
    printf("[ramp] %s: loader %.0f images/s while training, trainer waited %.2f s for data; "
           "max RSS %.0f MiB; log %s\n",
           who, f->run.train_images_per_s, f->run.train_stall,
           (double)f->run.max_rss_kb / 1024.0, f->log_path);
}

static void print_run_error(const char *who, const ramp__wf_fold *f)
{
    printf("\t%s: %s\n", ramp__step_error_name(f->run.step), f->run.message);
    fprintf(stderr, "ramp: %s: %s: %s\n", who, ramp__step_error_name(f->run.step),
            f->run.message);
    print_tail(f->log_path, 30);
}

static void on_fold_end(void *ctx, int k, const ramp__wf_result *r)
{
    run_ctx *rc = ctx;
    const ramp__wf_fold *f = &r->folds[k];
    char who[32];
    snprintf(who, sizeof who, "fold %d", k);
    ramp__bar_close(&rc->bar, stderr);
    printf("CV fold %d\n", k);
    if (f->run.status) {
        print_run_error(who, f);
    } else {
        static const int all[N_ROWS] = {ROW_TRAIN, ROW_VALID, ROW_TEST};
        print_scores(rc->pb, &f->scores, all, N_ROWS, 1);
        print_run_line(who, f);
    }
    fflush(stdout);
}

static void on_cv_end(void *ctx, const ramp__wf_result *r)
{
    run_ctx *rc = ctx;
    print_banner("Mean CV scores");
    print_mean(rc->pb, &r->mean, &r->std);
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
            json_history(json, &f->run);
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
    if (r->retrain.ok) {
        const ramp__wf_fold *f = &r->retrain;
        fprintf(json, ",\n     \"retrain\": {\"train\": ");
        json_scores(json, pb, f->scores.v[ROW_TRAIN]);
        fprintf(json, ", \"test\": ");
        json_scores(json, pb, f->scores.v[ROW_TEST]);
        fprintf(json, ", \"time\": {\"train\": %.6f, \"test\": %.6f}", f->run.time_train,
                f->run.time_test);
        json_history(json, &f->run);
        fprintf(json, "}");
    }
    fprintf(json, "}");
}

/* The first symbolic link at or below path (lstat, never followed), into
   found; 0 when there is none (or path does not exist). A submission
   folder is someone else's: --save-output must not write through a link
   planted in its training_output/ (onto any file the user can write). */
static int find_link(const char *path, char *found, size_t len, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return 0;
    if (S_ISLNK(sb.st_mode)) {
        snprintf(found, len, "%s", path);
        return 1;
    }
    if (!S_ISDIR(sb.st_mode) || depth > 16) return 0;
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int hit = 0;
    while (!hit && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char sub[4600];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        hit = find_link(sub, found, len, depth + 1);
    }
    closedir(d);
    return hit;
}

static int run_submission(const test_opts *o, ramp__kit *kit, const char *name, FILE *json,
                          int first_json)
{
    const ramp_problem *pb = kit->problem;
    char sub_dir[4096], out_dir[4200];
    snprintf(sub_dir, sizeof sub_dir, "%s/%s", o->sub_root, name);
    snprintf(out_dir, sizeof out_dir, "%s/training_output", sub_dir);
    char link[4600];
    if (o->save && find_link(out_dir, link, sizeof link, 0)) {
        ramp__cli_error("%s is a symbolic link: --save-output writes only into real folders "
                        "of the submission (remove it, or the whole training_output/)",
                        link);
        return 1;
    }
    /* rampwf's header, once per submission (assert_submission) */
    printf("Testing %s\n", ramp_problem_title(pb));
    printf("Reading train and test files from %s/ ...\n", kit->data_dir);
    printf("Reading cv ...\n");
    printf("Training %s ...\n", sub_dir);
    if (o->save) printf("Training output path: %s\n", out_dir);
    fflush(stdout);
    run_ctx rc = {o, pb, {0}};
    ramp__bar_init(&rc.bar, o->tty, ramp__now());
    struct winsize ws;
    if (o->tty && ioctl(2, TIOCGWINSZ, &ws) == 0) rc.bar.columns = ws.ws_col;
    ramp__sandbox_mode mode = o->no_sandbox ? RAMP__SANDBOX_OFF : RAMP__SANDBOX_ON;
    ramp__wf_opts wo = {
        .problem = pb,
        .train = &kit->train.samples,
        .test = &kit->test.samples,
        .imgs_dir = kit->imgs_dir,
        .sub_dir = sub_dir,
        .exe = o->exe,
        .save_dir = o->save ? out_dir : NULL,
        .py_env = o->py_env,
        .quick = o->quick,
        .quick_train = QUICK_TRAIN,
        .quick_test = QUICK_TEST,
        .retrain = o->retrain,
        .seed = o->seed,
        .n_jobs = o->n_jobs,
        .n_threads = (int)sysconf(_SC_NPROCESSORS_ONLN),
        .timeout_s = o->timeout,
        .sandbox = {.mode = mode,
                    .mem_bytes = (uint64_t)o->mem_mb << 20,
                    .cpu_seconds = 0,
                    .envp = o->env,
                    .gpu = o->device == RAMP_DEVICE_CUDA},
        .device = (int)o->device,
        .math = (int)o->math,
        .py_threads = o->tools.py_threads,
        .build = {.sandbox = mode, .timeout_s = o->compile_timeout},
        .ctx = &rc,
        .on_fold_start = on_fold_start,
        .on_progress = on_progress,
        .on_fold_end = on_fold_end,
        .on_cv_end = on_cv_end,
    };
    ramp__cli_tools_build(&o->tools, &wo.build);
    ramp__wf_result r;
    ramp__workflow_run(&wo, &r);
    int failed = r.status != RAMP_OK;
    int retrain_failed = o->retrain && r.retrain.run.status != RAMP_OK && r.retrain.train_idx;
    ramp__bar_close(&rc.bar, stderr);
    if (retrain_failed) {
        print_run_error("retrain", &r.retrain);
    } else if (failed && r.failed_fold < 0) {
        if (!r.built) {
            fprintf(stderr, "%s: %s\n", ramp__state_name(RAMP__ST_TRAINING_ERROR), r.message);
            if (r.build_log) fprintf(stderr, "%s", r.build_log);
        } else {
            ramp__cli_error("%s", r.message);
        }
    }
    if (r.retrain.ok) {
        static const int tt[2] = {ROW_TRAIN, ROW_TEST};
        print_scores(pb, &r.retrain.scores, tt, 2, 0);
        print_run_line("retrain", &r.retrain);
    }
    /* rampwf bags after the retrain, and stops at a failure before */
    if (r.complete && !retrain_failed) {
        static const int vt[2] = {ROW_VALID, ROW_TEST};
        print_banner("Bagged scores");
        print_scores(pb, &r.bagged, vt, 2, 0);
    }
    fflush(stdout);
    if (json) json_result(json, o, pb, name, &r, first_json);
    ramp__wf_result_clear(&r);
    return failed;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rampwf's flags that ramp does not implement, and why. */
static int refuse(const char *flag, const char *why)
{
    ramp__cli_error("test: %s is not supported by ramp: %s", flag, why);
    return 2;
}

int ramp__cmd_test(int argc, char **argv)
{
    test_opts o = {.kit = NULL, .submission = "starting_kit", .timeout = 7200,
                   .compile_timeout = 120};
    const char *kit2 = NULL, *data_label = NULL;
    int ignore_warning = 0, notebook = 0, pickle = 0, partial = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--kit", &o.kit),
        RAMP__OPT_STR("--ramp-kit-dir", &kit2),
        RAMP__OPT_STR("--data", &o.data),
        RAMP__OPT_STR("--ramp-data-dir", &o.ramp_data),
        RAMP__OPT_STR("--ramp-submission-dir", &o.sub_root),
        RAMP__OPT_STR("--submission", &o.submission),
        RAMP__OPT_STR("--json", &o.json),
        RAMP__OPT_FLAG("--quick-test", &o.quick),
        RAMP__OPT_FLAG("--save-output", &o.save),
        RAMP__OPT_FLAG("--retrain", &o.retrain),
        RAMP__OPT_FLAG("--ignore-warning", &ignore_warning),
        RAMP__OPT_FLAG("--notebook", &notebook),
        RAMP__OPT_FLAG("--pickle", &pickle),
        RAMP__OPT_FLAG("--partial-train", &partial),
        RAMP__OPT_STR("--data-label", &data_label),
        RAMP__OPT_SECONDS("--timeout", &o.timeout),
        RAMP__OPT_U64("--seed", &o.seed),
        RAMP__OPT_INT("--n-jobs", &o.n_jobs, 1, 1024),
        RAMP__OPT_FLAG("--no-sandbox", &o.no_sandbox),
        RAMP__OPT_INT("--mem-limit", &o.mem_mb, 0, 0),
        RAMP__OPT_SECONDS("--compile-timeout", &o.compile_timeout),
        RAMP__OPT_STR("--device", &o.device_name),
        RAMP__OPT_STR("--math", &o.math_name),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "test", .usage = usage, .opts = opts },
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (notebook) return refuse("--notebook", "ramp runs submissions, not the kit's notebook");
    if (pickle)
        return refuse("--pickle", "a trained submission lives in its fold's sandbox and is not "
                                  "saved");
    if (partial)
        return refuse("--partial-train", "there is no pickled submission to go on training");
    if (data_label)
        return refuse("--data-label", "a kit has one data set (point --ramp-data-dir or --data "
                                      "at another)");
    if (o.kit && kit2) {
        ramp__cli_error("test: --kit and --ramp-kit-dir both name the kit: give one");
        return 2;
    }
    if (o.data && o.ramp_data) {
        ramp__cli_error("test: --data (the data folder) and --ramp-data-dir (the folder that "
                        "holds data/) both name the data: give one");
        return 2;
    }
    if (!o.kit) o.kit = kit2 ? kit2 : ".";
    /* the device, checked before anything runs: CUDA asked for where it
       cannot run stops here, saying why, and never falls back to the CPU */
    ramp_device asked = RAMP_DEVICE_CPU;
    if (o.device_name && ramp_device_parse(o.device_name, &asked) != RAMP_OK) {
        ramp__cli_error("test: --device '%s': give cpu, cuda or auto", o.device_name);
        return 2;
    }
    char why[512];
    int gpu = asked != RAMP_DEVICE_CPU && ramp_cuda_available(why, sizeof why);
    if (asked == RAMP_DEVICE_CUDA && !gpu) {
        ramp__cli_error("test: --device cuda: %s", why);
        return 1;
    }
    o.device = gpu ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU;
    o.math = RAMP_MATH_FP32;
    if (o.math_name && ramp_math_parse(o.math_name, &o.math) != RAMP_OK) {
        ramp__cli_error("test: --math '%s': give fp32, tf32 or bf16", o.math_name);
        return 2;
    }
    if (gpu && !ramp_cuda_math_ok(o.math, why, sizeof why)) {
        ramp__cli_error("test: --math %s on --device %s: %s", ramp_math_name(o.math),
                        ramp_device_name(asked), why);
        return 1;
    }
    o.tty = isatty(2);
    if (ramp__cli_exe(o.exe, sizeof o.exe) != 0) {
        ramp__cli_error("test: cannot find the ramp program itself (/proc/self/exe)");
        return 1;
    }
    if (!o.no_sandbox &&
        ramp__cli_sandbox_check("ramp test runs submissions in a sandbox; on your own machine, "
                                "with your own code, --no-sandbox runs without it"))
        return 1;
    const char *env_name = NULL;
    o.py_env = ramp__cli_py_env(&env_name);
    ramp__cli_tools_find(&o.tools);
    char sub_root[4200];
    if (!o.sub_root) {
        snprintf(sub_root, sizeof sub_root, "%s/submissions", o.kit);
        o.sub_root = sub_root;
    }
    ramp__kit kit;
    ramp_err err = {RAMP_OK, ""};
    ramp__kit_opts ko = {.kit_dir = o.kit, .data_dir = o.data, .ramp_data_dir = o.ramp_data,
                         .quick = o.quick};
    if (ramp__cli_kit_load(&kit, &ko, &err)) {
        ramp__kit_report(&kit, &err);
        ramp__kit_close(&kit);
        return 1;
    }
    /* the submissions to run */
    char **names = NULL;
    size_t n_names = 0;
    if (!strcmp(o.submission, "ALL")) {
        DIR *dir = opendir(o.sub_root);
        struct dirent *e;
        while (dir && (e = readdir(dir))) {
            if (e->d_name[0] == '.' || !strcmp(e->d_name, "__pycache__")) continue;
            char p[4500];
            struct stat sb;
            snprintf(p, sizeof p, "%s/%s", o.sub_root, e->d_name);
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
        ramp__cli_error("test: no submission found in %s", o.sub_root);
        ramp__kit_close(&kit);
        free(names);
        return 1;
    }
    /* ramp's own lines, before rampwf's */
    printf("[ramp] %s\n", o.no_sandbox ? "Sandbox: off (--no-sandbox): the submission's code "
                                         "runs with your rights"
                                       : "Sandbox: on (its own namespaces, no network, "
                                         "read-only images, no label file)");
    if (kit.from_py)
        printf("[ramp] Problem: %s/problem.py, read by %s %s\n", o.kit, kit.python, kit.reader);
    if (o.py_env) printf("[ramp] Python environment: %s ($%s)\n", o.py_env, env_name);
    if (o.device_name)
        printf("[ramp] Device: %s%s\n", ramp_device_name(o.device),
               strcmp(o.device_name, "auto") ? "" : " (--device auto)");
    if (o.math_name)
        printf("[ramp] Math: %s%s\n", ramp_math_name(o.math),
               o.math != RAMP_MATH_FP32 && o.device != RAMP_DEVICE_CUDA
                   ? " (computed in fp32 on the CPU)"
                   : "");
    if (o.quick)
        printf("[ramp] Quick test: at most %d train and %d test rows\n", QUICK_TRAIN, QUICK_TEST);
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
