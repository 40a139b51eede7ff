/* cmd_blend.c — `ramp blend`: RAMP's blending of saved predictions. Reads the
 * per-fold outputs that `ramp test --save-output` leaves for each submission,
 * runs the greedy forward selection of ramp/blend.h with the problem's
 * official score (score 0), and prints the combined and fold-wise best
 * scores and each submission's contributivity.
 *
 * Only the validation row indices are read up front (and checked to agree
 * between submissions); the prediction matrices come through the blend's
 * loader callback, one .npy file at a time, so this command holds no more
 * than the blend itself needs for one fold.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "ramp/blend.h"
#include "ramp/npy.h"
#include "ramp/score.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp blend --pred-dir DIR [--kit DIR] [--data DIR] [--json]\n"
            "                  [--max-n-ensemble N] [--min-improvement X]\n\n"
            "Blends the saved predictions of several submissions (greedy forward selection\n"
            "with replacement, per CV fold, on the problem's first score) and prints the\n"
            "combined valid and test scores, the fold-wise best single scores and each\n"
            "submission's contributivity.\n\n"
            "DIR holds one folder per submission, each with fold_K/ folders (or\n"
            "training_output/fold_K/, as `ramp test --save-output` writes them into a kit's\n"
            "submissions/ folder) containing y_pred_valid.npy, valid_idx.npy and\n"
            "y_pred_test.npy. Every submission must have the same folds.\n\n"
            "  --kit DIR              the kit (problem.ini; default .)\n"
            "  --data DIR             its data folder (default KIT/data)\n"
            "  --json                 print the results as one JSON object\n"
            "  --max-n-ensemble N     longest selection per fold (default 80)\n"
            "  --min-improvement X    a round must improve the score by more than X (default 0)\n");
}

typedef struct blend_sub {
    char *name;
    char *root; /* the folder holding fold_0, fold_1, ... */
} blend_sub;

typedef struct blend_ctx {
    blend_sub *subs;
    int n_sub;
    /* the test rows predicted (a --quick-test run predicts a subset and
       leaves the other rows NaN): test_rows[0..n_test_used) of test.csv */
    const uint32_t *test_rows;
    size_t n_test_used, n_test_all;
} blend_ctx;

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int cmp_sub(const void *a, const void *b)
{
    return strcmp(((const blend_sub *)a)->name, ((const blend_sub *)b)->name);
}

static void subs_free(blend_sub *s, int n)
{
    for (int i = 0; s && i < n; i++) {
        free(s[i].name);
        free(s[i].root);
    }
    free(s);
}

/* The submissions under dir: NAME/training_output/fold_0 or NAME/fold_0. */
static ramp_status find_subs(const char *dir, blend_sub **out, int *n_out, ramp_err *err)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return ramp__err_set(err, errno == ENOENT ? RAMP_ENOENT : RAMP_EIO, "%s: %s", dir,
                             strerror(errno));
    blend_sub *subs = NULL;
    int n = 0;
    ramp_status st = RAMP_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char base[4608], p[4800];
        snprintf(base, sizeof base, "%s/%s", dir, e->d_name);
        if (!is_dir(base)) continue;
        const char *root = NULL;
        char with_out[4650];
        snprintf(with_out, sizeof with_out, "%s/training_output", base);
        snprintf(p, sizeof p, "%s/fold_0", with_out);
        if (is_dir(p)) {
            root = with_out;
        } else {
            snprintf(p, sizeof p, "%s/fold_0", base);
            if (is_dir(p)) root = base;
        }
        if (!root) {
            fprintf(stderr, "ramp: blend: skipping %s (no fold_0 or training_output/fold_0)\n",
                    base);
            continue;
        }
        blend_sub *ns = realloc(subs, (size_t)(n + 1) * sizeof *subs);
        if (!ns) {
            st = RAMP_ENOMEM;
            break;
        }
        subs = ns;
        subs[n].name = ramp__strdup(e->d_name);
        subs[n].root = ramp__strdup(root);
        n++;
        if (!subs[n - 1].name || !subs[n - 1].root) {
            st = RAMP_ENOMEM;
            break;
        }
    }
    closedir(d);
    if (st) {
        subs_free(subs, n);
        return ramp__err_set(err, st, "out of memory");
    }
    if (n) qsort(subs, (size_t)n, sizeof *subs, cmp_sub);
    *out = subs;
    *n_out = n;
    return RAMP_OK;
}

/* Number of folds: fold_0 .. fold_{K-1} exist for the first submission; every
   other one must have exactly those, with the three files in each. */
static ramp_status check_folds(const blend_sub *subs, int n_sub, int *n_folds, ramp_err *err)
{
    static const char *files[] = {"y_pred_valid.npy", "valid_idx.npy", "y_pred_test.npy"};
    char p[4800];
    int k = 0;
    for (;; k++) {
        snprintf(p, sizeof p, "%s/fold_%d", subs[0].root, k);
        if (!is_dir(p)) break;
    }
    for (int s = 0; s < n_sub; s++) {
        for (int f = 0; f <= k; f++) {
            snprintf(p, sizeof p, "%s/fold_%d", subs[s].root, f);
            if (f < k && !is_dir(p))
                return ramp__err_set(err, RAMP_ENOENT,
                                     "%s: missing (%s has %d folds; every submission needs the "
                                     "same folds)",
                                     p, subs[0].name, k);
            if (f == k && is_dir(p))
                return ramp__err_set(err, RAMP_EINVAL,
                                     "%s: %s has more folds than %s (%d); every submission needs "
                                     "the same folds",
                                     p, subs[s].name, subs[0].name, k);
            for (int i = 0; f < k && i < 3; i++) {
                snprintf(p, sizeof p, "%s/fold_%d/%s", subs[s].root, f, files[i]);
                if (!is_file(p))
                    return ramp__err_set(err, RAMP_ENOENT,
                                         "%s: missing (run `ramp test "
                                         "--save-output` for %s)",
                                         p, subs[s].name);
            }
        }
    }
    *n_folds = k;
    return RAMP_OK;
}

/* valid_idx.npy of one submission and fold, as size_t rows of train.csv. */
static ramp_status read_valid_idx(const char *path, size_t n_train, size_t **idx, size_t *n,
                                  ramp_err *err)
{
    ramp_npy a;
    *idx = NULL;
    ramp_status st = ramp_npy_read(&a, path, 0, err);
    if (st) return st;
    if (a.ndim != 1 || (a.dtype != RAMP_NPY_I8 && a.dtype != RAMP_NPY_I4)) {
        ramp_npy_clear(&a);
        return ramp__err_set(err, RAMP_EFORMAT, "%s: expected a 1-D int64 or int32 array", path);
    }
    size_t m = a.shape[0];
    size_t *v = malloc((m ? m : 1) * sizeof *v);
    if (!v) {
        ramp_npy_clear(&a);
        return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < m; i++) {
        int64_t r =
            a.dtype == RAMP_NPY_I8 ? ((const int64_t *)a.data)[i] : ((const int32_t *)a.data)[i];
        if (r < 0 || (uint64_t)r >= n_train) {
            free(v);
            ramp_npy_clear(&a);
            return ramp__err_set(err, RAMP_ERANGE,
                                 "%s: entry %zu is row %lld, outside train.csv's %zu rows", path, i,
                                 (long long)r, n_train);
        }
        v[i] = (size_t)r;
    }
    ramp_npy_clear(&a);
    *idx = v;
    *n = m;
    return RAMP_OK;
}

/* The blend's loader: one .npy file into dst. */
static ramp_status load_npy(void *vctx, int sub, int fold, ramp_blend_which which, float *dst,
                            size_t rows, int c, ramp_err *err)
{
    const blend_ctx *ctx = vctx;
    char path[4800];
    snprintf(path, sizeof path, "%s/fold_%d/%s", ctx->subs[sub].root, fold,
             which == RAMP_BLEND_VALID ? "y_pred_valid.npy" : "y_pred_test.npy");
    float *m = NULL;
    size_t r = 0, cc = 0;
    ramp_status st = ramp_npy_read_matrix_f(&m, &r, &cc, path, err);
    if (st) return st;
    if (which == RAMP_BLEND_TEST && r == ctx->n_test_all && cc == (size_t)c &&
        rows == ctx->n_test_used) {
        for (size_t i = 0; i < rows; i++)
            memcpy(dst + i * (size_t)c, m + (size_t)ctx->test_rows[i] * (size_t)c,
                   (size_t)c * sizeof *dst);
        free(m);
        return RAMP_OK;
    }
    if (r != rows || cc != (size_t)c) {
        free(m);
        return ramp__err_set(
            err, RAMP_ESHAPE, "%s: shape %zu × %zu, expected %zu × %d (%s)", path, r, cc, rows, c,
            which == RAMP_BLEND_VALID ? "the rows of valid_idx.npy" : "the rows of test.csv");
    }
    memcpy(dst, m, rows * (size_t)c * sizeof *dst);
    free(m);
    return RAMP_OK;
}



typedef struct contrib_row {
    int sub;
    double value;
} contrib_row;

static int cmp_contrib(const void *a, const void *b)
{
    const contrib_row *x = a, *y = b;
    if (x->value > y->value) return -1;
    if (x->value < y->value) return 1;
    return (x->sub > y->sub) - (x->sub < y->sub); /* names are sorted: ties by name */
}

static void print_results(const ramp_blend_result *r, const blend_sub *subs, const ramp__kit *kit,
                          int as_json, int max_n, double min_impr)
{
    const ramp_problem *pb = kit->problem;
    const char *score = ramp_problem_score_name(pb, 0);
    int prec = ramp_problem_score_precision(pb, 0);
    contrib_row *rows = malloc((size_t)r->n_sub * sizeof *rows);
    for (int s = 0; rows && s < r->n_sub; s++)
        rows[s] = (contrib_row){s, r->contributivity[s]};
    if (rows) qsort(rows, (size_t)r->n_sub, sizeof *rows, cmp_contrib);

    if (as_json) {
        printf("{\"score\": ");
        ramp__json_fputs(stdout, score);
        printf(", \"n_submissions\": %d, \"n_folds\": %d, \"max_n_ensemble\": %d, "
               "\"min_improvement\": ",
               r->n_sub, r->n_folds, max_n);
        ramp__json_fnum(stdout, min_impr);
        printf(",\n \"combined\": {\"valid\": ");
        ramp__json_fnum(stdout, r->combined_valid);
        printf(", \"test\": ");
        ramp__json_fnum(stdout, r->combined_test);
        printf("},\n \"foldwise_best\": {\"valid\": ");
        ramp__json_fnum(stdout, r->foldwise_best_valid);
        printf(", \"test\": ");
        ramp__json_fnum(stdout, r->foldwise_best_test);
        printf("},\n \"folds\": [");
        for (int f = 0; f < r->n_folds; f++) {
            printf("%s\n  {\"fold\": %d, \"valid\": ", f ? "," : "", f);
            ramp__json_fnum(stdout, r->fold_valid[f]);
            printf(", \"best\": ");
            ramp__json_fputs(stdout, subs[r->fold_best[f]].name);
            printf(", \"best_valid\": ");
            ramp__json_fnum(stdout, r->fold_best_valid[f]);
            printf(", \"selected\": [");
            for (int i = 0; i < r->n_selected[f]; i++) {
                if (i) printf(", ");
                ramp__json_fputs(stdout, subs[r->selected[f][i]].name);
            }
            printf("]}");
        }
        printf("],\n \"contributivity\": [");
        for (int i = 0; rows && i < r->n_sub; i++) {
            int s = rows[i].sub;
            printf("%s\n  {\"submission\": ", i ? "," : "");
            ramp__json_fputs(stdout, subs[s].name);
            printf(", \"contributivity\": ");
            ramp__json_fnum(stdout, r->contributivity[s]);
            printf(", \"percent\": %d}", r->contributivity_pct[s]);
        }
        printf("]}\n");
    } else {
        printf("Blended %d submissions over %d folds on %s (max %d per fold)\n", r->n_sub,
               r->n_folds, score, max_n);
        printf("\n%-24s %12s %12s\n", "", "valid", "test");
        printf("%-24s %12.*f %12.*f\n", "combined", prec, r->combined_valid, prec,
               r->combined_test);
        printf("%-24s %12.*f %12.*f\n", "foldwise best", prec, r->foldwise_best_valid, prec,
               r->foldwise_best_test);
        printf("\n%-6s %12s %12s  %s\n", "fold", "ensemble", "best single", "best submission");
        for (int f = 0; f < r->n_folds; f++)
            printf("%-6d %12.*f %12.*f  %s (%d selected)\n", f, prec, r->fold_valid[f], prec,
                   r->fold_best_valid[f], subs[r->fold_best[f]].name, r->n_selected[f]);
        printf("\n%-32s %s\n", "submission", "contributivity");
        for (int i = 0; rows && i < r->n_sub; i++)
            printf("%-32s %14d\n", subs[rows[i].sub].name, r->contributivity_pct[rows[i].sub]);
    }
    free(rows);
}

int ramp__cmd_blend(int argc, char **argv)
{
    const char *kit_dir = ".", *data = NULL, *pred_dir = NULL;
    int as_json = 0, max_n = 80;
    double min_impr = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--kit", &kit_dir),
        RAMP__OPT_STR("--data", &data),
        RAMP__OPT_STR("--pred-dir", &pred_dir),
        RAMP__OPT_INT("--max-n-ensemble", &max_n, 1, 1000000),
        RAMP__OPT_NUMBER("--min-improvement", &min_impr, 0),
        RAMP__OPT_FLAG("--json", &as_json),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "blend", .usage = usage, .opts = opts },
                              argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    if (!pred_dir) {
        usage(stderr);
        return 2;
    }

    ramp_err err = {RAMP_OK, ""};
    ramp__kit kit;
    if (ramp__kit_open(&kit, kit_dir, data, &err)) {
        ramp__kit_report(&kit, &err);
        ramp__kit_close(&kit);
        return 1;
    }
    int rc = 1, n_sub = 0, n_folds = 0;
    blend_sub *subs = NULL;
    size_t **vidx = NULL, *n_valid = NULL;
    ramp_blend_result *res = NULL;
    uint32_t *test_rows = NULL;
    int32_t *y_test = NULL;
    if (find_subs(pred_dir, &subs, &n_sub, &err)) {
        ramp__cli_error("blend: %s", err.msg);
        goto done;
    }
    if (!n_sub) {
        ramp__cli_error("blend: no submission with saved predictions in %s", pred_dir);
        goto done;
    }
    if (check_folds(subs, n_sub, &n_folds, &err)) {
        ramp__cli_error("blend: %s", err.msg);
        goto done;
    }
    vidx = calloc((size_t)n_folds, sizeof *vidx);
    n_valid = calloc((size_t)n_folds, sizeof *n_valid);
    if (!vidx || !n_valid) {
        ramp__cli_error("out of memory");
        goto done;
    }
    size_t n_train = kit.train.samples.n;
    /* the validation rows: read from the first submission, and every other
       one must have been run on the same split */
    for (int f = 0; f < n_folds; f++) {
        for (int s = 0; s < n_sub; s++) {
            char p[4800];
            snprintf(p, sizeof p, "%s/fold_%d/valid_idx.npy", subs[s].root, f);
            size_t *idx = NULL, n = 0;
            if (read_valid_idx(p, n_train, &idx, &n, &err)) {
                ramp__cli_error("blend: %s", err.msg);
                goto done;
            }
            if (s == 0) {
                vidx[f] = idx;
                n_valid[f] = n;
                continue;
            }
            int same = n == n_valid[f] && (!n || !memcmp(idx, vidx[f], n * sizeof *idx));
            free(idx);
            if (!same) {
                ramp__cli_error("blend: %s differs from %s's: the submissions were not run on "
                                "the same CV split (same kit, problem.ini and --quick-test?)",
                                p, subs[0].name);
                goto done;
            }
        }
    }

    /* the test rows the first submission predicted: all of test.csv, or the
       rows a --quick-test run kept (the others are NaN) */
    size_t n_test_all = kit.test.samples.n, n_test_used = 0;
    int c = ramp_problem_n_classes(kit.problem);
    {
        char p[4800];
        snprintf(p, sizeof p, "%s/fold_0/y_pred_test.npy", subs[0].root);
        float *m = NULL;
        size_t r = 0, cc = 0;
        if (ramp_npy_read_matrix_f(&m, &r, &cc, p, &err)) {
            ramp__cli_error("blend: %s", err.msg);
            goto done;
        }
        test_rows = malloc((r ? r : 1) * sizeof *test_rows);
        y_test = malloc((r ? r : 1) * sizeof *y_test);
        if (!test_rows || !y_test || r != n_test_all || cc != (size_t)c) {
            free(m);
            ramp__cli_error("blend: %s: shape %zu × %zu, expected %zu × %d (the rows of test.csv)",
                            p, r, cc, n_test_all, c);
            goto done;
        }
        for (size_t i = 0; i < r; i++) {
            int all_nan = 1;
            for (size_t j = 0; j < cc && all_nan; j++) all_nan = isnan(m[i * cc + j]);
            if (!all_nan) {
                test_rows[n_test_used] = (uint32_t)i;
                y_test[n_test_used++] = kit.test.samples.labels[i];
            }
        }
        free(m);
    }

    blend_ctx ctx = {subs, n_sub, test_rows, n_test_used, n_test_all};
    ramp_blend_input in = {
        .n_sub = n_sub,
        .n_folds = n_folds,
        .n_classes = ramp_problem_n_classes(kit.problem),
        .n_train = n_train,
        .y_train = kit.train.samples.labels,
        .n_valid = n_valid,
        .valid_index = (const size_t *const *)vidx,
        .n_test = n_test_used,
        .y_test = y_test,
        .load = load_npy,
        .load_ctx = &ctx,
    };
    ramp_blend_params params = {
        .kind = ramp_problem_score_kind(kit.problem, 0),
        .param = ramp_problem_score_param(kit.problem, 0),
        .max_n_ensemble = max_n,
        .min_improvement = min_impr,
    };
    if (ramp_blend_run(&res, &in, &params, &err)) {
        ramp__cli_error("blend: %s", err.msg);
        goto done;
    }
    print_results(res, subs, &kit, as_json, max_n, min_impr);
    rc = 0;
done:
    free(test_rows);
    free(y_test);
    ramp_blend_result_free(res);
    for (int f = 0; vidx && f < n_folds; f++)
        free(vidx[f]);
    free(vidx);
    free(n_valid);
    subs_free(subs, n_sub);
    ramp__kit_close(&kit);
    return rc;
}
