/* split.c — stratified shuffle split with scikit-learn's per-class counts.
 *
 * sklearn's StratifiedShuffleSplit draws n_i = _approximate_mode(counts,
 * n_train) for the train side and gives each class the rest for test. We
 * reproduce that allocation exactly (same floating-point expression, same
 * tie rule: largest fractional parts first, ties drawn at random), so per-
 * class counts match sklearn's whenever no tie straddles the cut. Rows are
 * then drawn from a xoshiro stream seeded from (seed, fold): each fold is
 * reproducible on its own and does not depend on the folds before it.
 * O(n + n_classes log n_classes); output rows are ascending.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "ramp/dataset.h"
#include "ramp/rng.h"

ramp_status ramp_split_sizes(size_t n, double test_size, size_t *n_train, size_t *n_test,
                             ramp_err *err)
{
    *n_train = *n_test = 0;
    size_t nt;
    if (!(test_size > 0) || !isfinite(test_size))
        return ramp__err_set(err, RAMP_EINVAL,
                             "test_size %g: expected a fraction in (0, 1) or a "
                             "count >= 1",
                             test_size);
    if (test_size < 1) {
        nt = (size_t)ceil(test_size * (double)n);
    } else {
        if (test_size != floor(test_size))
            return ramp__err_set(err, RAMP_EINVAL, "test_size %g: a count must be an integer",
                                 test_size);
        if (test_size >= (double)n)
            return ramp__err_set(err, RAMP_EINVAL,
                                 "test_size %g: must be smaller than the number of samples (%zu)",
                                 test_size, n);
        nt = (size_t)test_size;
    }
    if (nt == 0 || nt >= n)
        return ramp__err_set(err, RAMP_EINVAL,
                             "test_size %g with %zu samples leaves an empty train or test side",
                             test_size, n);
    *n_test = nt;
    *n_train = n - nt;
    return RAMP_OK;
}

/* remainder order: largest first, then class index (a stable sort) */
typedef struct rem {
    double r;
    uint32_t c;
} rem;

static int rem_cmp(const void *a, const void *b)
{
    const rem *x = a, *y = b;
    if (x->r != y->r) return x->r > y->r ? -1 : 1;
    return x->c < y->c ? -1 : x->c > y->c;
}

/* sklearn's _approximate_mode over the k present classes: out[i] draws for
   class cls[i] of count counts[i], summing to n_draws. rems: k scratch. */
static void approximate_mode(size_t *out, const size_t *counts, size_t k, size_t total,
                             size_t n_draws, rem *rems, uint32_t *scratch, ramp_rng *rng)
{
    size_t floored_sum = 0;
    for (size_t i = 0; i < k; i++) {
        double cont = (double)counts[i] / (double)total * (double)n_draws;
        double fl = floor(cont);
        out[i] = (size_t)fl;
        floored_sum += out[i];
        rems[i].r = cont - fl;
        rems[i].c = (uint32_t)i;
    }
    size_t need = n_draws - floored_sum;
    if (!need) return;
    qsort(rems, k, sizeof *rems, rem_cmp);
    for (size_t g = 0; g < k && need;) {
        size_t h = g;
        while (h < k && rems[h].r == rems[g].r)
            h++;
        size_t m = h - g;
        if (m <= need) {
            for (size_t i = g; i < h; i++)
                out[rems[i].c]++;
            need -= m;
        } else { /* a tie at the cut: draw which classes get one more */
            for (size_t i = 0; i < m; i++)
                scratch[i] = rems[g + i].c;
            ramp_rng_shuffle(rng, scratch, (uint32_t)m);
            for (size_t i = 0; i < need; i++)
                out[scratch[i]]++;
            need = 0;
        }
        g = h;
    }
}

ramp_status ramp_split_stratified(uint32_t *train, uint32_t *test, const int32_t *labels, size_t n,
                                  int n_classes, double test_size, uint64_t seed, int fold,
                                  ramp_err *err)
{
    ramp__err_clear(err);
    if (!labels || !train || !test || n_classes < 1 || fold < 0)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_split_stratified: bad arguments");
    if (n >= UINT32_MAX)
        return ramp__err_set(err, RAMP_ETOOBIG, "split: %zu rows exceed the limit", n);
    size_t n_train, n_test;
    ramp_status st = ramp_split_sizes(n, test_size, &n_train, &n_test, err);
    if (st) return st;
    size_t K = (size_t)n_classes;
    size_t *count = calloc(K, sizeof *count);
    size_t *start = calloc(K + 1, sizeof *start);
    size_t *pc = malloc(K * sizeof *pc);     /* present classes' counts */
    uint32_t *cls = malloc(K * sizeof *cls); /* present class ids */
    size_t *n_i = malloc(K * sizeof *n_i);
    rem *rems = malloc(K * sizeof *rems);
    uint32_t *scratch = malloc(K * sizeof *scratch);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    uint8_t *is_test = calloc(n ? n : 1, 1);
    if (!count || !start || !pc || !cls || !n_i || !rems || !scratch || !order || !is_test) {
        st = ramp__err_set(err, RAMP_ENOMEM, "split: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= n_classes) {
            st = ramp__err_set(err, RAMP_ERANGE, "split: label %d of row %zu out of range [0, %d)",
                               (int)labels[i], i, n_classes);
            goto done;
        }
        count[labels[i]]++;
    }
    size_t k = 0;
    for (size_t c = 0; c < K; c++) {
        start[c + 1] = start[c] + count[c];
        if (!count[c]) continue;
        if (count[c] < 2) {
            st = ramp__err_set(err, RAMP_EINVAL,
                               "split: class %zu has only 1 row; every class needs at least 2", c);
            goto done;
        }
        pc[k] = count[c];
        cls[k++] = (uint32_t)c;
    }
    if (n_train < k || n_test < k) {
        st = ramp__err_set(err, RAMP_EINVAL,
                           "split: the %s side (%zu rows) is smaller than the number of classes "
                           "(%zu)",
                           n_train < k ? "train" : "test", n_train < k ? n_train : n_test, k);
        goto done;
    }
    /* rows grouped by class, in row order (sklearn's stable argsort) */
    {
        size_t *fill = n_i; /* reuse as cursors before n_i is computed */
        for (size_t c = 0; c < K; c++)
            fill[c] = start[c];
        for (size_t i = 0; i < n; i++)
            order[fill[labels[i]]++] = (uint32_t)i;
    }
    ramp_rng rng;
    ramp_rng_seed(&rng, seed, ramp_rng_key(0x73706c6974ull /* "split" */, (uint64_t)fold));
    approximate_mode(n_i, pc, k, n, n_train, rems, scratch, &rng);
    for (size_t j = 0; j < k; j++) {
        uint32_t *rows = order + start[cls[j]];
        ramp_rng_shuffle(&rng, rows, (uint32_t)pc[j]);
        for (size_t i = n_i[j]; i < pc[j]; i++)
            is_test[rows[i]] = 1;
    }
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_test[i])
            test[b++] = (uint32_t)i;
        else
            train[a++] = (uint32_t)i;
    }
    if (a != n_train || b != n_test)
        st = ramp__err_set(err, RAMP_EINTERNAL, "split: sizes %zu/%zu, expected %zu/%zu", a, b,
                           n_train, n_test);
done:
    free(count);
    free(start);
    free(pc);
    free(cls);
    free(n_i);
    free(rems);
    free(scratch);
    free(order);
    free(is_test);
    return st;
}
