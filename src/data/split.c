/* split.c — shuffle splits: scikit-learn's, exactly, and ramp's own.
 *
 * ramp_split_sss and ramp_split_ss replay StratifiedShuffleSplit and
 * ShuffleSplit draw for draw on numpy's legacy RandomState (core/mt19937.c),
 * so a kit's folds are the same rows, in the same order, under ramp and
 * rampwf. What has to match, beside the generator: the classes are the
 * sorted distinct labels present (np.unique), rows grouped by class in row
 * order (a stable argsort), _approximate_mode with the same floating-point
 * expression and with rng.choice called for every remainder group it visits
 * (each call draws a whole permutation of the group, even when it takes all
 * of it), then one permutation per class and one of each side.
 *
 * ramp_split_stratified is ramp's own split for the loader's validation
 * rows: sklearn's per-class counts, rows drawn from a xoshiro stream keyed by
 * (seed, fold), output ascending. ramp_split_quick picks a subset that a
 * stratified split can always cut (the quick test).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "ramp/dataset.h"
#include "ramp/rng.h"

ramp_status ramp_split_sizes(size_t *n_train, size_t *n_test, size_t n, double test_size,
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
    ramp_status st = ramp_split_sizes(&n_train, &n_test, n, test_size, err);
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

/* ---- scikit-learn's splits, exactly --------------------------------------- */

static ramp_status check_seed(uint64_t random_state, ramp_err *err)
{
    if (random_state > UINT32_MAX)
        return ramp__err_set(err, RAMP_ERANGE,
                             "random_state %llu: numpy's RandomState takes a seed in [0, 2^32)",
                             (unsigned long long)random_state);
    return RAMP_OK;
}

/* sklearn's _approximate_mode(counts, n_draws, rng) over k classes: out[i]
   draws from class i. The share is counts / counts.sum() * n_draws in
   doubles; the rows short of n_draws go to the remainder groups (exactly
   equal values, largest first), each group through rng.choice, which
   permutes the whole group even when it takes all of it.
   rems: k scratch; perm: k scratch. */
static void sk_approximate_mode(size_t *out, const size_t *counts, size_t k, size_t n_draws,
                                rem *rems, uint32_t *perm, ramp__mt *rng)
{
    size_t total = 0;
    for (size_t i = 0; i < k; i++)
        total += counts[i];
    double fsum = 0; /* integers below 2^53: exact in any order, as numpy's pairwise sum */
    for (size_t i = 0; i < k; i++) {
        double cont = (double)counts[i] / (double)total * (double)n_draws;
        double fl = floor(cont);
        out[i] = (size_t)fl;
        fsum += fl;
        rems[i].r = cont - fl;
        rems[i].c = (uint32_t)i;
    }
    double need_d = (double)n_draws - fsum; /* int(n_draws - floored.sum()) */
    if (!(need_d >= 1)) return;
    size_t need = (size_t)need_d;
    qsort(rems, k, sizeof *rems, rem_cmp); /* descending; a group's classes ascending */
    for (size_t g = 0; g < k && need;) {
        size_t h = g;
        while (h < k && rems[h].r == rems[g].r)
            h++;
        size_t m = h - g, add = m < need ? m : need;
        ramp__mt_choice(rng, perm, m, add);
        for (size_t j = 0; j < add; j++)
            out[rems[g + perm[j]].c]++;
        need -= add;
        g = h;
    }
}

static int i32_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

ramp_status ramp_split_sss(uint32_t *train, uint32_t *test, const int32_t *labels, size_t n,
                           int n_splits, double test_size, uint64_t random_state, ramp_err *err)
{
    ramp__err_clear(err);
    if ((!labels && n) || n_splits < 0 || (n_splits > 0 && (!train || !test)))
        return ramp__err_set(err, RAMP_EINVAL, "ramp_split_sss: bad arguments");
    if (n >= UINT32_MAX)
        return ramp__err_set(err, RAMP_ETOOBIG, "stratified split: %zu rows exceed the limit", n);
    ramp_status st = check_seed(random_state, err);
    if (st) return st;
    size_t n_train, n_test;
    if ((st = ramp_split_sizes(&n_train, &n_test, n, test_size, err))) return st;

    /* classes: the sorted distinct labels (np.unique); y: class of each row */
    int32_t *cls = malloc(n * sizeof *cls);
    uint32_t *y = malloc(n * sizeof *y), *order = malloc(n * sizeof *order),
             *perm = malloc(n * sizeof *perm);
    size_t *count = NULL, *start = NULL, *n_i = NULL, *t_i = NULL, *left = NULL;
    rem *rems = NULL;
    if (!cls || !y || !order || !perm) goto nomem;
    memcpy(cls, labels, n * sizeof *cls);
    qsort(cls, n, sizeof *cls, i32_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || cls[i] != cls[k - 1]) cls[k++] = cls[i];
    count = calloc(k, sizeof *count);
    start = malloc((k + 1) * sizeof *start);
    n_i = malloc(k * sizeof *n_i);
    t_i = malloc(k * sizeof *t_i);
    left = malloc(k * sizeof *left);
    rems = malloc(k * sizeof *rems);
    if (!count || !start || !n_i || !t_i || !left || !rems) goto nomem;
    for (size_t i = 0; i < n; i++) {
        const int32_t *c = bsearch(&labels[i], cls, k, sizeof *cls, i32_cmp);
        y[i] = (uint32_t)(c - cls);
        count[y[i]]++;
    }
    size_t n_one = 0, first_one = 0;
    for (size_t c = 0; c < k; c++)
        if (count[c] < 2 && !n_one++) first_one = c;
    if (n_one) {
        st = ramp__err_set(err, RAMP_EINVAL,
                           "stratified split: class %d has only 1 row; every class needs at "
                           "least 2 (%zu of the %zu classes have 1 row)",
                           (int)cls[first_one], n_one, k);
        goto done;
    }
    if (n_train < k || n_test < k) {
        int tr = n_train < k;
        st = ramp__err_set(err, RAMP_EINVAL,
                           "stratified split: n_%s = %zu is less than the %zu classes present "
                           "(each class needs a %s row)",
                           tr ? "train" : "test", tr ? n_train : n_test, k, tr ? "train" : "test");
        goto done;
    }
    /* rows grouped by class, in row order (a stable argsort) */
    start[0] = 0;
    for (size_t c = 0; c < k; c++)
        start[c + 1] = start[c] + count[c];
    memcpy(left, start, k * sizeof *left);
    for (size_t i = 0; i < n; i++)
        order[left[y[i]]++] = (uint32_t)i;

    ramp__mt rng;
    ramp__mt_seed(&rng, (uint32_t)random_state);
    for (int s = 0; s < n_splits; s++) {
        uint32_t *tr = train + (size_t)s * n_train, *te = test + (size_t)s * n_test;
        sk_approximate_mode(n_i, count, k, n_train, rems, perm, &rng);
        for (size_t c = 0; c < k; c++) {
            if (n_i[c] > count[c]) goto internal;
            left[c] = count[c] - n_i[c];
        }
        sk_approximate_mode(t_i, left, k, n_test, rems, perm, &rng);
        size_t a = 0, b = 0;
        for (size_t c = 0; c < k; c++) {
            const uint32_t *rows = order + start[c];
            ramp__mt_permutation(&rng, perm, count[c]);
            /* perm[:n_i] to train, perm[n_i:n_i + t_i] to test (slices clip) */
            size_t hi = n_i[c] + t_i[c] < count[c] ? n_i[c] + t_i[c] : count[c];
            if (a + n_i[c] > n_train || b + (hi - n_i[c]) > n_test) goto internal;
            for (size_t j = 0; j < n_i[c]; j++)
                tr[a++] = rows[perm[j]];
            for (size_t j = n_i[c]; j < hi; j++)
                te[b++] = rows[perm[j]];
        }
        if (a != n_train || b != n_test) goto internal;
        ramp__mt_shuffle(&rng, tr, n_train);
        ramp__mt_shuffle(&rng, te, n_test);
    }
    goto done;
internal:
    st = ramp__err_set(err, RAMP_EINTERNAL, "stratified split: per-class counts do not add up");
    goto done;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "stratified split: out of memory");
done:
    free(cls);
    free(y);
    free(order);
    free(perm);
    free(count);
    free(start);
    free(n_i);
    free(t_i);
    free(left);
    free(rems);
    return st;
}

ramp_status ramp_split_ss(uint32_t *train, uint32_t *test, size_t n, int n_splits, double test_size,
                          uint64_t random_state, ramp_err *err)
{
    ramp__err_clear(err);
    if (n_splits < 0 || (n_splits > 0 && (!train || !test)))
        return ramp__err_set(err, RAMP_EINVAL, "ramp_split_ss: bad arguments");
    if (n >= UINT32_MAX)
        return ramp__err_set(err, RAMP_ETOOBIG, "shuffle split: %zu rows exceed the limit", n);
    ramp_status st = check_seed(random_state, err);
    if (st) return st;
    size_t n_train, n_test;
    if ((st = ramp_split_sizes(&n_train, &n_test, n, test_size, err))) return st;
    uint32_t *perm = malloc(n * sizeof *perm);
    if (!perm) return ramp__err_set(err, RAMP_ENOMEM, "shuffle split: out of memory");
    ramp__mt rng;
    ramp__mt_seed(&rng, (uint32_t)random_state);
    for (int s = 0; s < n_splits; s++) {
        ramp__mt_permutation(&rng, perm, n);
        memcpy(test + (size_t)s * n_test, perm, n_test * sizeof *perm);
        memcpy(train + (size_t)s * n_train, perm + n_test, n_train * sizeof *perm);
    }
    free(perm);
    return RAMP_OK;
}

/* ---- the quick test's subset ---------------------------------------------- */

typedef struct qclass {
    size_t count;
    uint64_t key; /* seeded tie-break */
    uint32_t c;
} qclass;

static int qclass_cmp(const void *a, const void *b)
{
    const qclass *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->c > y->c) - (x->c < y->c);
}

/* max(2, floor(m * count / s)) */
static size_t quick_share(size_t m, size_t count, size_t s)
{
    size_t q = (size_t)((uint64_t)m * count / s);
    return q < 2 ? 2 : q;
}

static size_t quick_total(const qclass *q, size_t k, size_t m, size_t s)
{
    size_t t = 0;
    for (size_t i = 0; i < k; i++)
        t += quick_share(m, q[i].count, s);
    return t;
}

ramp_status ramp_split_quick(uint32_t *rows, size_t *n_rows, const int32_t *labels, size_t n,
                             int n_classes, size_t max_n, double test_size, uint64_t seed,
                             ramp_err *err)
{
    ramp__err_clear(err);
    if (n_rows) *n_rows = 0;
    if (!rows || !n_rows || (!labels && n) || n_classes < 1)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_split_quick: bad arguments");
    if (n >= UINT32_MAX)
        return ramp__err_set(err, RAMP_ETOOBIG, "quick test: %zu rows exceed the limit", n);
    ramp_status st = RAMP_OK;
    size_t K = (size_t)n_classes;
    qclass *q = calloc(K, sizeof *q);
    size_t *take = calloc(K, sizeof *take); /* rows kept, by class id */
    size_t *start = calloc(K + 1, sizeof *start);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    uint8_t *keep = calloc(n ? n : 1, 1);
    if (!q || !take || !start || !order || !keep) {
        st = ramp__err_set(err, RAMP_ENOMEM, "quick test: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= n_classes) {
            st = ramp__err_set(err, RAMP_ERANGE,
                               "quick test: label %d of row %zu out of range [0, %d)",
                               (int)labels[i], i, n_classes);
            goto done;
        }
        q[labels[i]].count++;
    }
    ramp_rng rng;
    ramp_rng_seed(&rng, seed, ramp_rng_key(0x717569636bull /* "quick" */, 0));
    for (size_t c = 0; c < K; c++) {
        start[c + 1] = start[c] + q[c].count;
        q[c].c = (uint32_t)c;
        q[c].key = ramp_rng_u64(&rng);
    }
    /* the classes with 2 rows or more, largest first (ties: seeded) */
    qsort(q, K, sizeof *q, qclass_cmp);
    size_t n_elig = 0;
    while (n_elig < K && q[n_elig].count >= 2)
        n_elig++;
    /* the most classes k whose rows can make a splittable subset */
    size_t k = 0, m = 0, s = 0, s_k = 0;
    for (size_t i = 0; i < n_elig; i++)
        s += q[i].count;
    for (size_t kk = n_elig; kk >= 1; kk--) {
        size_t mm = s < max_n ? s : max_n, a, b;
        if (mm >= 2 * kk && ramp_split_sizes(&a, &b, mm, test_size, NULL) == RAMP_OK && a >= kk &&
            b >= kk) {
            k = kk;
            m = mm;
            s_k = s;
            break;
        }
        s -= q[kk - 1].count;
    }
    if (!k) {
        st = ramp__err_set(err, RAMP_EINVAL,
                           "quick test: no subset of at most %zu rows can be cut by a stratified "
                           "split with test_size %g (%zu classes have 2 rows or more)",
                           max_n, test_size, n_elig);
        goto done;
    }
    /* m rows over the k classes: max(2, floor(m' count / s_k)) for the
       largest m' whose total fits, then one more row each to the first
       (largest) classes whose share grows at m' + 1 */
    size_t lo = 0, hi = s_k; /* quick_total(lo) <= m; quick_total(s_k) = s_k >= m */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (quick_total(q, k, mid, s_k) <= m)
            lo = mid;
        else
            hi = mid - 1;
    }
    size_t left = m - quick_total(q, k, lo, s_k);
    for (size_t i = 0; i < k; i++) {
        size_t t = quick_share(lo, q[i].count, s_k);
        if (left && lo < s_k && quick_share(lo + 1, q[i].count, s_k) > t) {
            t++;
            left--;
        }
        take[q[i].c] = t;
    }
    if (left) {
        st = ramp__err_set(err, RAMP_EINTERNAL, "quick test: %zu rows not allocated", left);
        goto done;
    }
    /* per class, a seeded draw of its rows */
    {
        size_t *fill = calloc(K, sizeof *fill);
        if (!fill) {
            st = ramp__err_set(err, RAMP_ENOMEM, "quick test: out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            order[start[labels[i]] + fill[labels[i]]++] = (uint32_t)i;
        free(fill);
    }
    for (size_t c = 0; c < K; c++) {
        if (!take[c]) continue;
        uint32_t *r = order + start[c];
        ramp_rng_shuffle(&rng, r, (uint32_t)(start[c + 1] - start[c]));
        for (size_t j = 0; j < take[c]; j++)
            keep[r[j]] = 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) rows[o++] = (uint32_t)i;
    *n_rows = o;
done:
    free(q);
    free(take);
    free(start);
    free(order);
    free(keep);
    return st;
}
