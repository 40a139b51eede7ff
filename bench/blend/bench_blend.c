/* bench_blend.c — RAMP's greedy blend at the size of a large challenge:
 * 200 submissions × 15,000 validation samples × 403 classes × 2 folds
 * (plus 2,000 test samples), synthetic predictions generated on the fly by
 * the loader callback, 2 threads.
 *
 *     bench_blend [score-name] [n_sub] [n_valid]    (defaults: accuracy 200 15000)
 *
 * Memory: n_sub × n_valid × 403 floats for one fold at a time (4.8 GB at
 * the default size). For comparison it times the direct way of trying one
 * candidate (materialise the mean ensemble, score it with
 * ramp_score_compute) and prints the ratio per candidate. The last line is
 *     TIME blend_200x15000x403_s=<seconds>
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/blend.h"
#include "ramp/score.h"
#include "core/coreInt.h"

enum { C = 403, N_FOLDS = 2, N_TEST = 2000 };

typedef struct {
    int n_sub;
    size_t n_valid;
    const int32_t *y_train, *y_test;
    const size_t *const *idx;
    float table[65536];
} gen_ctx;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Softmax-like predictions: every class gets exp(σ·g) with g ~ N(0, 1)
   (a 65536-entry table of exp(σ·Φ⁻¹(u)) indexed by 16 random bits), the
   true class is multiplied by exp(μ_s), μ_s growing with the submission's
   skill. Noise is independent across submissions, so averaging helps and
   the greedy selection runs many rounds; a second factor shared by all
   submissions keeps the ensemble from reaching 100%. */
static ramp_status gen_load(void *vctx, int sub, int fold, ramp_blend_which which, float *dst,
                            size_t rows, int c, ramp_err *err)
{
    (void)err;
    const gen_ctx *g = vctx;
    float boost = expf(2.5f + 1.5f * (float)((sub * 37) % g->n_sub) / (float)g->n_sub);
    uint64_t st = mix(((uint64_t)sub << 40) ^ ((uint64_t)fold << 20) ^ (uint64_t)which);
    for (size_t i = 0; i < rows; i++) {
        int y = which == RAMP_BLEND_TEST ? g->y_test[i] : g->y_train[g->idx[fold][i]];
        float *r = dst + i * (size_t)c;
        /* shared part: the same for every submission (hard samples stay hard) */
        uint64_t sh = mix(((uint64_t)i << 24) ^ ((uint64_t)fold << 8) ^ (uint64_t)which);
        for (int k = 0; k < c; k += 4) {
            st += 0x9e3779b97f4a7c15ULL;
            sh += 0x9e3779b97f4a7c15ULL;
            uint64_t z = mix(st), w = mix(sh);
            for (int q = 0; q < 4 && k + q < c; q++)
                r[k + q] = g->table[(z >> (16 * q)) & 0xffff] * g->table[(w >> (16 * q)) & 0xffff];
        }
        r[y] *= boost;
        float sum = 0.0f; /* probabilities: RAMP's rule clips at 1 before renormalising */
        for (int k = 0; k < c; k++)
            sum += r[k];
        for (int k = 0; k < c; k++)
            r[k] /= sum;
    }
    return RAMP_OK;
}

/* Φ⁻¹ by bisection on erfc: only for the table, once. */
static double inv_norm(double u)
{
    double lo = -9, hi = 9;
    for (int it = 0; it < 80; it++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2.0)) < u)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

int main(int argc, char **argv)
{
    const char *kind_name = argc > 1 ? argv[1] : "accuracy";
    int n_sub = argc > 2 ? atoi(argv[2]) : 200;
    size_t n_valid = argc > 3 ? (size_t)atol(argv[3]) : 15000;
    const ramp_score_type *t = ramp_score_type_find(kind_name);
    if (!t || n_sub < 1 || n_valid < 1) {
        fprintf(stderr, "usage: bench_blend [score-name] [n_sub] [n_valid]\n");
        return 2;
    }
    size_t n_train = n_valid * N_FOLDS;
    int32_t *y_train = malloc(n_train * sizeof *y_train);
    int32_t *y_test = malloc(N_TEST * sizeof *y_test);
    size_t *idx[N_FOLDS] = {malloc(n_valid * sizeof(size_t)), malloc(n_valid * sizeof(size_t))};
    if (!y_train || !y_test || !idx[0] || !idx[1]) return 1;
    for (size_t i = 0; i < n_train; i++)
        y_train[i] = (int32_t)(mix(i + 1) % C);
    for (size_t i = 0; i < N_TEST; i++)
        y_test[i] = (int32_t)(mix(i + 777777) % C);
    for (size_t i = 0; i < n_valid; i++) { /* disjoint folds: even / odd samples */
        idx[0][i] = 2 * i;
        idx[1][i] = 2 * i + 1;
    }
    size_t n_valid_f[N_FOLDS] = {n_valid, n_valid};
    gen_ctx *gp = malloc(sizeof *gp);
    if (!gp) return 1;
    gen_ctx g0 = {n_sub, n_valid, y_train, y_test, (const size_t *const *)idx, {0}};
    *gp = g0;
    for (int q = 0; q < 65536; q++)
        gp->table[q] = (float)exp(1.0 * inv_norm((q + 0.5) / 65536.0));
#define g (*gp)
    ramp_blend_input in = {.n_sub = n_sub, .n_folds = N_FOLDS, .n_classes = C,
                           .n_train = n_train, .y_train = y_train, .n_valid = n_valid_f,
                           .valid_index = (const size_t *const *)idx, .n_test = N_TEST,
                           .y_test = y_test, .load = gen_load, .load_ctx = &g};
    ramp_blend_params p = {.kind = t->kind, .param = t->default_param, .n_threads = 2,
                           .parallel_load = 1};

    /* the direct way, for one candidate: mean of 2 matrices, then score */
    float *a = malloc(n_valid * C * sizeof *a), *b = malloc(n_valid * C * sizeof *b);
    double *mean = malloc(n_valid * C * sizeof *mean);
    if (!a || !b || !mean) return 1;
    gen_load(&g, 0, 0, RAMP_BLEND_VALID, a, n_valid, C, NULL);
    gen_load(&g, 1, 0, RAMP_BLEND_VALID, b, n_valid, C, NULL);
    double t0 = ramp__now(), sc = 0;
    int reps = 3;
    for (int r = 0; r < reps; r++) {
        for (size_t q = 0; q < n_valid * C; q++)
            mean[q] = ((double)a[q] + (double)b[q]) / 2;
        ramp_score_compute(&sc, p.kind, p.param, mean, y_train, n_valid, C, NULL);
    }
    double direct = (ramp__now() - t0) / reps;
    free(a);
    free(b);
    free(mean);

    ramp_err err;
    ramp_blend_result *res;
    t0 = ramp__now();
    ramp_status st = ramp_blend_run(&res, &in, &p, &err);
    double secs = ramp__now() - t0;
    if (st) {
        fprintf(stderr, "blend failed: %s\n", err.msg);
        return 1;
    }
    long tried = 0;
    for (int f = 0; f < N_FOLDS; f++) {
        printf("fold %d: %d selected, best single %d (%.4f), ensemble %.4f\n", f,
               res->n_selected[f], res->fold_best[f], res->fold_best_valid[f], res->fold_valid[f]);
        tried += (long)n_sub * res->n_selected[f]; /* singles + one round per addition + last */
    }
    printf("%s: combined valid %.4f test %.4f; foldwise best valid %.4f test %.4f\n", t->name,
           res->combined_valid, res->combined_test, res->foldwise_best_valid,
           res->foldwise_best_test);
    int top = 0;
    for (int s = 1; s < n_sub; s++)
        if (res->contributivity[s] > res->contributivity[top]) top = s;
    printf("top contributor: submission %d (%d)\n", top, res->contributivity_pct[top]);
    printf("candidates tried: %ld; direct scoring %.3f s per candidate => %.0f s for them "
           "(ratio %.1fx vs the whole blend)\n",
           tried, direct, direct * (double)tried, direct * (double)tried / secs);
    ramp_blend_result_free(res);
    free(y_train);
    free(y_test);
    free(idx[0]);
    free(idx[1]);
#undef g
    free(gp);
    printf("TIME blend_%dx%zux%d_s=%.2f\n", n_sub, n_valid, C, secs);
    return 0;
}
