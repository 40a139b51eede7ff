/* test_split.c — the splits and the folds.
 *
 * ramp's own stratified split: sizes and per-class test counts against
 * scikit-learn's (tests/fixtures/kits/split_cases.txt), partitions,
 * reproducibility, folds that differ, sklearn's errors.
 * sklearn's splits, exactly: numpy's MT19937 draws (raw words, masked
 * intervals on the 32- and 64-bit paths, permutation, choice) and every row
 * of StratifiedShuffleSplit and ShuffleSplit, in order, against
 * tests/fixtures/split/ (all made by tests/gen_split_fixtures.py), errors
 * against their exact messages. The quick-test subset on 403 small classes.
 * The folds: made from a problem, restricted, and read from a folds file,
 * each bad file against its exact file:line message.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/coreInt.h"
#include "ramp/dataset.h"
#include "ramp/problem.h"
#include "ramp/rng.h"

static void test_sizes(void **state)
{
    (void)state;
    /* values from sklearn's _validate_shuffle_split */
    static const struct {
        size_t n;
        double ts;
        size_t n_train, n_test;
    } cases[] = {{10, 0.3, 7, 3},         {70000, 0.2, 56000, 14000},
                 {7, 0.5, 3, 4},          {100, 37, 63, 37},
                 {100, 0.07, 92, 8},      {100, 0.57, 43, 57},
                 {1000, 0.001, 999, 1},   {25, 0.28, 17, 8} /* 0.28 * 25 = 7.000000000000001 */,
                 {10, 0.9, 1, 9},         {2, 0.5, 1, 1},
                 {5000, 0.05, 4750, 250}, {13, 12, 1, 12},
                 {3, 0.99, 0, 0} /* error, below */};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t a, b;
        if (!cases[i].n_train) {
            assert_int_equal(ramp_split_sizes(&a, &b, cases[i].n, cases[i].ts, NULL), RAMP_EINVAL);
            continue;
        }
        assert_int_equal(ramp_split_sizes(&a, &b, cases[i].n, cases[i].ts, NULL), RAMP_OK);
        assert_int_equal(a, cases[i].n_train);
        assert_int_equal(b, cases[i].n_test);
    }
    size_t a, b;
    ramp_err e;
    assert_int_equal(ramp_split_sizes(&a, &b, 10, 10, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(&a, &b, 10, 2.5, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(&a, &b, 10, 0, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(&a, &b, 10, -0.5, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(&a, &b, 0, 0.5, &e), RAMP_EINVAL);
}

/* Reads up to `max` integers from s into v; returns how many. */
static size_t read_ints(const char *s, long *v, size_t max)
{
    size_t n = 0;
    char *end;
    while (n < max) {
        long x = strtol(s, &end, 10);
        if (end == s) break;
        v[n++] = x;
        s = end;
    }
    return n;
}

/* Splits one fold and checks it: partition, ascending, per-class counts in
   [lo, hi], total. Returns the test rows (malloc'd). */
static uint32_t *check_fold(const int32_t *y, size_t n, int K, double ts, const long *lo,
                            const long *hi, uint64_t seed, int fold, size_t *n_test_out)
{
    size_t n_train, n_test;
    assert_int_equal(ramp_split_sizes(&n_train, &n_test, n, ts, NULL), RAMP_OK);
    uint32_t *tr = malloc(n_train * sizeof *tr), *te = malloc(n_test * sizeof *te);
    uint8_t *seen = calloc(n, 1);
    long *per = calloc((size_t)K, sizeof *per);
    assert_true(tr && te && seen && per);
    ramp_err e;
    ramp_status st = ramp_split_stratified(tr, te, y, n, K, ts, seed, fold, &e);
    if (st) print_error("%s\n", e.msg);
    assert_int_equal(st, RAMP_OK);
    for (size_t i = 0; i < n_train; i++) {
        assert_true(tr[i] < n);
        if (i) assert_true(tr[i] > tr[i - 1]);
        seen[tr[i]]++;
    }
    for (size_t i = 0; i < n_test; i++) {
        assert_true(te[i] < n);
        if (i) assert_true(te[i] > te[i - 1]);
        seen[te[i]]++;
        per[y[te[i]]]++;
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    long total = 0;
    for (int c = 0; c < K; c++) {
        if (per[c] < lo[c] || per[c] > hi[c])
            print_error("class %d: %ld test rows, sklearn gives [%ld, %ld]\n", c, per[c], lo[c],
                        hi[c]);
        assert_true(per[c] >= lo[c] && per[c] <= hi[c]);
        total += per[c];
    }
    assert_int_equal(total, n_test);
    free(tr);
    free(seen);
    free(per);
    *n_test_out = n_test;
    return te;
}

static void test_vs_sklearn(void **state)
{
    (void)state;
    FILE *f = fopen(RAMP_SOURCE_DIR "/tests/fixtures/kits/split_cases.txt", "r");
    assert_non_null(f);
    char line[4096];
    int n_cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *p1 = strchr(line, ';'), *p2 = p1 ? strchr(p1 + 1, ';') : NULL,
             *p3 = p2 ? strchr(p2 + 1, ';') : NULL;
        assert_non_null(p3);
        double ts = strtod(line, NULL);
        long counts[64], lo[64], hi[64];
        size_t K = read_ints(p1 + 1, counts, 64);
        assert_int_equal(read_ints(p2 + 1, lo, 64), K);
        assert_int_equal(read_ints(p3 + 1, hi, 64), K);
        size_t n = 0;
        for (size_t c = 0; c < K; c++)
            n += (size_t)counts[c];
        /* labels in a shuffled order, so classes are interleaved */
        int32_t *y = malloc(n * sizeof *y);
        uint32_t *perm = malloc(n * sizeof *perm);
        assert_true(y && perm);
        for (size_t i = 0; i < n; i++)
            perm[i] = (uint32_t)i;
        ramp_rng r;
        ramp_rng_seed(&r, 7, (uint64_t)n_cases);
        ramp_rng_shuffle(&r, perm, (uint32_t)n);
        size_t k = 0;
        for (size_t c = 0; c < K; c++)
            for (long j = 0; j < counts[c]; j++)
                y[perm[k++]] = (int32_t)c;
        size_t nt, nt2;
        uint32_t *a = check_fold(y, n, (int)K, ts, lo, hi, 57, 0, &nt);
        uint32_t *b = check_fold(y, n, (int)K, ts, lo, hi, 57, 0, &nt2);
        assert_memory_equal(a, b, nt * sizeof *a); /* reproducible */
        int differ = 0;
        for (int fold = 1; fold < 4; fold++) {
            uint32_t *c = check_fold(y, n, (int)K, ts, lo, hi, 57, fold, &nt2);
            differ += memcmp(a, c, nt * sizeof *a) != 0;
            free(c);
        }
        assert_int_equal(differ, 3); /* every fold differs from fold 0 */
        uint32_t *d = check_fold(y, n, (int)K, ts, lo, hi, 58, 0, &nt2);
        assert_memory_not_equal(a, d, nt * sizeof *a); /* another seed */
        free(a);
        free(b);
        free(d);
        free(y);
        free(perm);
        n_cases++;
    }
    fclose(f);
    assert_true(n_cases >= 10);
}

static void test_errors(void **state)
{
    (void)state;
    uint32_t tr[32], te[32];
    ramp_err e;
    int32_t one[] = {0, 0, 0, 1, 2, 2, 2, 2};
    assert_int_equal(ramp_split_stratified(tr, te, one, 8, 3, 0.5, 1, 0, &e), RAMP_EINVAL);
    assert_string_equal(e.msg, "split: class 1 has only 1 row; every class needs at least 2");
    int32_t ten[20];
    for (int i = 0; i < 20; i++)
        ten[i] = i % 10;
    assert_int_equal(ramp_split_stratified(tr, te, ten, 20, 10, 0.3, 1, 0, &e), RAMP_EINVAL);
    assert_string_equal(e.msg,
                        "split: the test side (6 rows) is smaller than the number of classes (10)");
    int32_t bad[] = {0, 1, 0, 3};
    assert_int_equal(ramp_split_stratified(tr, te, bad, 4, 3, 0.5, 1, 0, &e), RAMP_ERANGE);
    assert_string_equal(e.msg, "split: label 3 of row 3 out of range [0, 3)");
    assert_int_equal(ramp_split_stratified(tr, te, ten, 20, 10, 1.5, 1, 0, &e), RAMP_EINVAL);
}

/* ---- fixture files ---------------------------------------------------------- */

/* The whole file at RAMP_SOURCE_DIR/rel, NUL-terminated (the caller frees). */
static char *slurp(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", RAMP_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) print_error("cannot open %s\n", path);
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = 0;
    fclose(f);
    return s;
}

/* The next line of *p (cut in place), or NULL at the end. */
static char *next_line(char **p)
{
    if (!**p) return NULL;
    char *s = *p, *e = strchr(s, '\n');
    if (e) {
        *e = 0;
        *p = e + 1;
    } else {
        *p = s + strlen(s);
    }
    return s;
}

/* All integers of s (after skipping `skip` words) into a malloc'd array. */
static long long *line_ints(const char *s, size_t skip, size_t *n)
{
    size_t cap = 64, k = 0;
    long long *v = malloc(cap * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < skip; i++) {
        while (*s == ' ')
            s++;
        while (*s && *s != ' ')
            s++;
    }
    char *end;
    for (;;) {
        long long x = strtoll(s, &end, 10);
        if (end == s) break;
        if (k == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        v[k++] = x;
        s = end;
    }
    *n = k;
    return v;
}

static int starts(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && s[n] == ' ';
}

/* ---- numpy's MT19937 --------------------------------------------------------- */

static void test_mt19937(void **state)
{
    (void)state;
    ramp__mt m;
    /* independent of numpy: the reference generator's first word for its
       default seed, and the C++ standard's 10000th output of std::mt19937 */
    ramp__mt_seed(&m, 5489);
    assert_int_equal(ramp__mt_next32(&m), 3499211612u);
    for (int i = 1; i < 9999; i++)
        ramp__mt_next32(&m);
    assert_int_equal(ramp__mt_next32(&m), 4123659995u);

    char *text = slurp("tests/fixtures/split/mt19937.txt"), *p = text, *line;
    int n_raw = 0, n_iv = 0, n_perm = 0, n_choice = 0;
    while ((line = next_line(&p))) {
        size_t n;
        long long *v = line_ints(line, 1, &n);
        if (starts(line, "raw")) {
            ramp__mt_seed(&m, (uint32_t)v[0]);
            for (long long i = 0; i < v[1]; i++)
                ramp__mt_next32(&m);
            for (size_t i = 2; i < n; i++)
                assert_int_equal(ramp__mt_next32(&m), (uint32_t)v[i]);
            n_raw++;
        } else if (starts(line, "interval")) {
            /* MAX may exceed INT64_MAX: read it unsigned */
            const char *q = line + strlen("interval ");
            char *end;
            uint32_t seed = (uint32_t)strtoull(q, &end, 10);
            uint64_t max = strtoull(end, &end, 10);
            ramp__mt_seed(&m, seed);
            int k = 0;
            for (;;) {
                const char *s0 = end;
                uint64_t want = strtoull(s0, &end, 10);
                if (end == s0) break;
                uint64_t got = ramp__mt_interval(&m, max);
                if (got != want)
                    print_error("interval(%llu) draw %d: %llu, numpy %llu\n",
                                (unsigned long long)max, k, (unsigned long long)got,
                                (unsigned long long)want);
                assert_true(got == want);
                k++;
            }
            assert_int_equal(k, 12);
            n_iv++;
        } else if (starts(line, "perm")) {
            size_t len = (size_t)v[1];
            assert_int_equal(n, 2 + len);
            uint32_t *o = malloc((len + 1) * sizeof *o);
            ramp__mt_seed(&m, (uint32_t)v[0]);
            ramp__mt_permutation(&m, o, len);
            for (size_t i = 0; i < len; i++)
                assert_int_equal(o[i], v[2 + i]);
            free(o);
            n_perm++;
        } else if (starts(line, "perm2")) {
            size_t a = (size_t)v[1], b = (size_t)v[2];
            assert_int_equal(n, 3 + a + b);
            uint32_t o[64];
            ramp__mt_seed(&m, (uint32_t)v[0]);
            ramp__mt_permutation(&m, o, a);
            for (size_t i = 0; i < a; i++)
                assert_int_equal(o[i], v[3 + i]);
            ramp__mt_permutation(&m, o, b);
            for (size_t i = 0; i < b; i++)
                assert_int_equal(o[i], v[3 + a + i]);
            n_perm++;
        } else if (starts(line, "choice")) {
            size_t k = (size_t)v[1], size = (size_t)v[2];
            assert_int_equal(n, 3 + size);
            uint32_t o[128];
            ramp__mt_seed(&m, (uint32_t)v[0]);
            ramp__mt_choice(&m, o, k, size);
            for (size_t i = 0; i < size; i++)
                assert_int_equal(o[i], v[3 + i]);
            n_choice++;
        }
        free(v);
    }
    free(text);
    assert_int_equal(n_raw, 7);
    assert_int_equal(n_iv, 11);
    assert_int_equal(n_perm, 8);
    assert_int_equal(n_choice, 4);
}

/* ---- sklearn's splits against the fixtures ------------------------------------ */

/* One case of sss.txt or ss.txt: runs ramp's split and compares every row.
   Returns 1 when the case was an error case. */
static int check_case(char **p, char *head, int stratified)
{
    char name[64], ts_s[64];
    size_t n;
    int n_splits;
    unsigned long long rs;
    assert_int_equal(sscanf(head, "case %63s %zu %d %63s %llu", name, &n, &n_splits, ts_s, &rs), 5);
    double ts = strtod(ts_s, NULL);
    int32_t *y = NULL;
    if (stratified) {
        char *line = next_line(p);
        assert_true(line && starts(line, "y"));
        size_t k;
        long long *v = line_ints(line, 1, &k);
        assert_int_equal(k, n);
        y = malloc((n + 1) * sizeof *y);
        for (size_t i = 0; i < n; i++)
            y[i] = (int32_t)v[i];
        free(v);
    }
    size_t n_tr = 0, n_te = 0;
    ramp_err e;
    ramp_status st = ramp_split_sizes(&n_tr, &n_te, n, ts, &e);
    uint32_t *tr = NULL, *te = NULL;
    if (!st) {
        tr = malloc(((size_t)n_splits * n_tr + 1) * sizeof *tr);
        te = malloc(((size_t)n_splits * n_te + 1) * sizeof *te);
        st = stratified ? ramp_split_sss(tr, te, y, n, n_splits, ts, rs, &e)
                        : ramp_split_ss(tr, te, n, n_splits, ts, rs, &e);
    }
    int is_err = starts(*p, "error");
    char *line;
    if (is_err) {
        line = next_line(p);
        if (st != RAMP_EINVAL)
            print_error("%s: sklearn raised '%s', ramp gave %d\n", name, line, st);
        assert_int_equal(st, RAMP_EINVAL);
    } else {
        if (st) print_error("%s: %s\n", name, e.msg);
        assert_int_equal(st, RAMP_OK);
        for (int s = 0; s < n_splits; s++) {
            for (int side = 0; side < 2; side++) {
                line = next_line(p);
                assert_true(line && starts(line, side ? "te" : "tr"));
                size_t k;
                long long *v = line_ints(line, 1, &k);
                size_t want = side ? n_te : n_tr;
                const uint32_t *got = (side ? te : tr) + (size_t)s * want;
                assert_int_equal(k, want);
                for (size_t i = 0; i < k; i++)
                    if (got[i] != (uint32_t)v[i]) {
                        print_error("%s split %d %s[%zu]: ramp %u, sklearn %lld\n", name, s,
                                    side ? "test" : "train", i, got[i], v[i]);
                        fail();
                    }
                free(v);
            }
        }
    }
    free(y);
    free(tr);
    free(te);
    return is_err;
}

static void run_fixture(const char *rel, int stratified, int min_cases, int min_errors)
{
    char *text = slurp(rel), *p = text, *line;
    int n_cases = 0, n_errors = 0;
    while ((line = next_line(&p))) {
        if (!starts(line, "case")) continue;
        n_errors += check_case(&p, line, stratified);
        n_cases++;
    }
    free(text);
    assert_true(n_cases >= min_cases);
    assert_true(n_errors >= min_errors);
}

static void test_sss_fixtures(void **state)
{
    (void)state;
    run_fixture("tests/fixtures/split/sss.txt", 1, 40, 4);
}

static void test_ss_fixtures(void **state)
{
    (void)state;
    run_fixture("tests/fixtures/split/ss.txt", 0, 8, 2);
}

static void test_sss_errors(void **state)
{
    (void)state;
    uint32_t tr[64], te[64];
    ramp_err e;
    int32_t one[] = {5, 5, 5, 1, 9, 9, 9, 9};
    assert_int_equal(ramp_split_sss(tr, te, one, 8, 2, 0.5, 0, &e), RAMP_EINVAL);
    assert_string_equal(e.msg, "stratified split: class 1 has only 1 row; every class needs at "
                               "least 2 (1 of the 3 classes have 1 row)");
    int32_t ten[20];
    for (int i = 0; i < 20; i++)
        ten[i] = 3 * (i % 10);
    assert_int_equal(ramp_split_sss(tr, te, ten, 20, 2, 0.3, 0, &e), RAMP_EINVAL);
    assert_string_equal(e.msg, "stratified split: n_test = 6 is less than the 10 classes present "
                               "(each class needs a test row)");
    int32_t five[10];
    for (int i = 0; i < 10; i++)
        five[i] = i % 5;
    assert_int_equal(ramp_split_sss(tr, te, five, 10, 2, 0.9, 0, &e), RAMP_EINVAL);
    assert_string_equal(e.msg, "stratified split: n_train = 1 is less than the 5 classes present "
                               "(each class needs a train row)");
    assert_int_equal(ramp_split_sss(tr, te, ten, 20, 2, 0.5, 1ull << 32, &e), RAMP_ERANGE);
    assert_string_equal(e.msg, "random_state 4294967296: numpy's RandomState takes a seed in "
                               "[0, 2^32)");
    assert_int_equal(ramp_split_ss(tr, te, 20, 2, 0.5, 1ull << 32, &e), RAMP_ERANGE);
    assert_int_equal(ramp_split_sss(tr, te, ten, 20, 2, 20, 0, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_ss(tr, te, 1, 2, 0.5, 0, &e), RAMP_EINVAL);
    /* 2^32 - 1 is a valid seed; n_splits 0 writes nothing */
    assert_int_equal(ramp_split_sss(tr, te, ten, 20, 1, 0.5, 4294967295ull, &e), RAMP_OK);
    assert_int_equal(ramp_split_sss(NULL, NULL, ten, 20, 0, 0.5, 0, &e), RAMP_OK);
    /* one generator for all splits: split 1 is not split 0 again */
    int32_t y[40];
    for (int i = 0; i < 40; i++)
        y[i] = i % 4;
    uint32_t a[2 * 30], b[2 * 10];
    assert_int_equal(ramp_split_sss(a, b, y, 40, 2, 0.25, 57, &e), RAMP_OK);
    assert_memory_not_equal(b, b + 10, sizeof *b * 10);
}

/* ---- the quick test's subset ---------------------------------------------- */

/* Checks a quick subset: ascending, at most max_n rows, a stratified split
   with ts cuts it, no class kept with 1 row, shares monotone in the class
   sizes. Returns the number of classes kept. */
static size_t check_quick(const uint32_t *rows, size_t m, const int32_t *y, size_t n, int K,
                          size_t max_n, double ts)
{
    assert_true(m <= max_n && m <= n && m > 0);
    size_t *per = calloc((size_t)K, sizeof *per), *all = calloc((size_t)K, sizeof *all);
    int32_t *sub = malloc(m * sizeof *sub);
    assert_true(per && all && sub);
    for (size_t i = 0; i < n; i++)
        all[y[i]]++;
    for (size_t i = 0; i < m; i++) {
        assert_true(rows[i] < n);
        if (i) assert_true(rows[i] > rows[i - 1]);
        per[y[rows[i]]]++;
        sub[i] = y[rows[i]];
    }
    size_t k = 0;
    for (int c = 0; c < K; c++) {
        if (!per[c]) continue;
        k++;
        assert_true(per[c] >= 2);
        for (int d = 0; d < K; d++) /* a larger class never gets fewer rows */
            if (per[d] && all[d] > all[c]) assert_true(per[d] >= per[c]);
    }
    size_t a, b;
    assert_int_equal(ramp_split_sizes(&a, &b, m, ts, NULL), RAMP_OK);
    uint32_t *tr = malloc(3 * a * sizeof *tr), *te = malloc(3 * b * sizeof *te);
    ramp_err e;
    ramp_status st = ramp_split_sss(tr, te, sub, m, 3, ts, 57, &e);
    if (st) print_error("%s\n", e.msg);
    assert_int_equal(st, RAMP_OK);
    free(tr);
    free(te);
    free(per);
    free(all);
    free(sub);
    return k;
}

static void test_quick_small_classes(void **state)
{
    (void)state;
    /* 403 classes of 1 to 5 rows each, interleaved (the kit where the old
       quick test failed with "class 2 has only 1 row") */
    enum { K = 403 };
    int32_t *y = malloc(K * 5 * sizeof *y);
    size_t count[K], n = 0, n_elig = 0, n_elig_rows = 0;
    ramp_rng r;
    ramp_rng_seed(&r, 403, 0);
    for (int c = 0; c < K; c++) {
        count[c] = 1 + ramp_rng_below(&r, 5);
        n_elig += count[c] >= 2;
        n_elig_rows += count[c] >= 2 ? count[c] : 0;
        for (size_t j = 0; j < count[c]; j++)
            y[n++] = c;
    }
    size_t sorted[K], ns = 0; /* the classes with 2 rows or more, by size, largest first */
    for (size_t size = 5; size >= 2; size--)
        for (int c = 0; c < K; c++)
            if (count[c] == size) sorted[ns++] = size;
    assert_int_equal(ns, n_elig);
    uint32_t *perm = malloc(n * sizeof *perm);
    int32_t *ys = malloc(n * sizeof *ys);
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    ramp_rng_shuffle(&r, perm, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        ys[perm[i]] = y[i];
    assert_true(n_elig < K); /* some classes have 1 row */
    uint32_t *rows = malloc(n * sizeof *rows), *rows2 = malloc(n * sizeof *rows2);
    static const struct {
        size_t max_n;
        double ts;
    } runs[] = {{200, 0.2}, {1000, 0.2}, {100000, 0.2}, {100000, 0.5}, {300, 40}, {64, 0.25}};
    ramp_err e;
    for (size_t t = 0; t < sizeof runs / sizeof *runs; t++) {
        size_t m, m2;
        ramp_status st = ramp_split_quick(rows, &m, ys, n, K, runs[t].max_n, runs[t].ts, 7, &e);
        if (st) print_error("%s\n", e.msg);
        assert_int_equal(st, RAMP_OK);
        size_t k = check_quick(rows, m, ys, n, K, runs[t].max_n, runs[t].ts);
        /* the most classes: the k largest give the most rows, so k is the
           largest count whose k largest classes make a splittable subset */
        size_t kmax = 0, M = 0, S = 0;
        for (size_t kk = 1; kk <= n_elig; kk++) {
            S += sorted[kk - 1];
            size_t mm = S < runs[t].max_n ? S : runs[t].max_n, a, b;
            if (mm >= 2 * kk && !ramp_split_sizes(&a, &b, mm, runs[t].ts, NULL) && a >= kk &&
                b >= kk)
                kmax = kk, M = mm;
        }
        if (k != kmax || m != M)
            print_error("run %zu: %zu rows of %zu classes, expected %zu of %zu\n", t, m, k, M,
                        kmax);
        assert_int_equal(k, kmax);
        assert_int_equal(m, M);
        /* reproducible; another seed, other rows */
        assert_int_equal(ramp_split_quick(rows2, &m2, ys, n, K, runs[t].max_n, runs[t].ts, 7, &e),
                         RAMP_OK);
        assert_int_equal(m2, m);
        assert_memory_equal(rows, rows2, m * sizeof *rows);
        assert_int_equal(ramp_split_quick(rows2, &m2, ys, n, K, runs[t].max_n, runs[t].ts, 8, &e),
                         RAMP_OK);
        if (m < n_elig_rows) assert_memory_not_equal(rows, rows2, m * sizeof *rows);
    }
    /* with room for every row and a test side as large as the classes:
       every class with 2 rows or more, whole */
    size_t m;
    assert_int_equal(ramp_split_quick(rows, &m, ys, n, K, n, 0.5, 7, &e), RAMP_OK);
    assert_int_equal(m, n_elig_rows);
    for (size_t i = 0; i < m; i++)
        assert_true(count[ys[rows[i]]] >= 2);
    free(y);
    free(ys);
    free(perm);
    free(rows);
    free(rows2);
}

static void test_quick_rules(void **state)
{
    (void)state;
    uint32_t rows[128];
    size_t m;
    ramp_err e;
    /* a singleton class is dropped, all else kept */
    int32_t a[] = {0, 1, 0, 2, 3, 0, 1, 0, 3, 1, 0};
    assert_int_equal(ramp_split_quick(rows, &m, a, 11, 4, 100, 0.5, 1, &e), RAMP_OK);
    static const uint32_t want_a[] = {0, 1, 2, 4, 5, 6, 7, 8, 9, 10};
    assert_int_equal(m, 10);
    assert_memory_equal(rows, want_a, sizeof want_a);
    /* proportional: counts 40, 20, 10, 2 into 24 rows give 13, 6, 3, 2 */
    int32_t b[72];
    for (int i = 0; i < 72; i++)
        b[i] = i < 40 ? 3 : i < 60 ? 0 : i < 70 ? 2 : 1;
    assert_int_equal(ramp_split_quick(rows, &m, b, 72, 4, 24, 0.25, 1, &e), RAMP_OK);
    size_t per[4] = {0};
    for (size_t i = 0; i < m; i++)
        per[b[rows[i]]]++;
    assert_int_equal(m, 24);
    assert_int_equal(per[3], 13);
    assert_int_equal(per[0], 6);
    assert_int_equal(per[2], 3);
    assert_int_equal(per[1], 2);
    /* a count test_size of 3 keeps 3 classes of 10 equal ones */
    int32_t c[100];
    for (int i = 0; i < 100; i++)
        c[i] = i % 10;
    assert_int_equal(ramp_split_quick(rows, &m, c, 100, 10, 50, 3, 1, &e), RAMP_OK);
    assert_int_equal(m, 30);
    assert_int_equal(check_quick(rows, m, c, 100, 10, 50, 3), 3);
    /* nothing to keep */
    int32_t d[] = {0, 1, 2, 3};
    assert_int_equal(ramp_split_quick(rows, &m, d, 4, 4, 100, 0.5, 1, &e), RAMP_EINVAL);
    assert_string_equal(e.msg, "quick test: no subset of at most 100 rows can be cut by a "
                               "stratified split with test_size 0.5 (0 classes have 2 rows or "
                               "more)");
    assert_int_equal(ramp_split_quick(rows, &m, c, 100, 10, 1, 0.5, 1, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_quick(rows, &m, c, 100, 10, 3, 0.5, 1, &e), RAMP_OK);
    assert_int_equal(m, 3); /* 3 rows of one class: 1 train, 2 test */
    int32_t bad[] = {0, 4};
    assert_int_equal(ramp_split_quick(rows, &m, bad, 2, 4, 100, 0.5, 1, &e), RAMP_ERANGE);
    assert_string_equal(e.msg, "quick test: label 4 of row 1 out of range [0, 4)");
}

/* ---- the folds ------------------------------------------------------------------ */

static ramp_problem *problem(const char *cv)
{
    char ini[1024];
    snprintf(ini, sizeof ini,
             "[problem]\ntitle = t\nn_classes = 10\n[scores]\nacc = accuracy\n[cv]\n%s", cv);
    ramp_problem *p;
    ramp_err e;
    ramp_status st =
        ramp_problem_parse(&p, ini, strlen(ini), "problem.ini", NULL, 0, NULL, NULL, &e);
    if (st) print_error("%s\n", e.msg);
    assert_int_equal(st, RAMP_OK);
    return p;
}

static void test_folds_make(void **state)
{
    (void)state;
    /* the "balanced" fixture case (8 splits, 0.2, 57) through a problem */
    char *text = slurp("tests/fixtures/split/sss.txt"), *p = text, *line;
    while ((line = next_line(&p)) && !starts(line, "case")) {
    }
    assert_non_null(line);
    assert_string_equal(line, "case balanced 500 8 0.2 57");
    size_t n;
    long long *v = line_ints(next_line(&p), 1, &n);
    assert_int_equal(n, 500);
    int32_t y[500];
    for (size_t i = 0; i < n; i++)
        y[i] = (int32_t)v[i];
    free(v);
    ramp_problem *pb = problem("n_splits = 8\ntest_size = 0.2\nrandom_state = 57\n");
    ramp_folds *f;
    ramp_err e;
    assert_int_equal(ramp_folds_make(&f, pb, y, n, &e), RAMP_OK);
    assert_int_equal(ramp_folds_n(f), 8);
    for (int k = 0; k < 8; k++) {
        const uint32_t *tr, *va;
        size_t ntr, nva, m;
        ramp_folds_get(f, k, &tr, &ntr, &va, &nva);
        assert_int_equal(ntr, 400);
        assert_int_equal(nva, 100);
        v = line_ints(next_line(&p), 1, &m);
        assert_int_equal(m, 400);
        for (size_t i = 0; i < m; i++)
            assert_int_equal(tr[i], v[i]);
        free(v);
        v = line_ints(next_line(&p), 1, &m);
        assert_int_equal(m, 100);
        for (size_t i = 0; i < m; i++)
            assert_int_equal(va[i], v[i]);
        free(v);
    }
    const uint32_t *tr;
    size_t ntr;
    ramp_folds_get(f, 8, &tr, &ntr, NULL, NULL);
    assert_null(tr);
    assert_int_equal(ntr, 0);
    ramp_folds_free(f);
    ramp_problem_free(pb);
    free(text);

    /* ShuffleSplit: the same rows as ramp_split_ss */
    pb =
        problem("method = shuffle_split\nn_splits = 3\ntest_size = 7\nrandom_state = 4294967295\n");
    assert_int_equal(ramp_problem_cv_method(pb), RAMP_CV_SHUFFLE_SPLIT);
    assert_int_equal(ramp_folds_make(&f, pb, NULL, 30, &e), RAMP_OK);
    uint32_t str[3 * 23], ste[3 * 7];
    assert_int_equal(ramp_split_ss(str, ste, 30, 3, 7, 4294967295u, &e), RAMP_OK);
    for (int k = 0; k < 3; k++) {
        const uint32_t *va;
        size_t nva;
        ramp_folds_get(f, k, &tr, &ntr, &va, &nva);
        assert_int_equal(ntr, 23);
        assert_int_equal(nva, 7);
        assert_memory_equal(tr, str + 23 * k, 23 * sizeof *tr);
        assert_memory_equal(va, ste + 7 * k, 7 * sizeof *va);
    }
    ramp_folds_free(f);
    ramp_problem_free(pb);

    /* a stratified split that sklearn refuses: the message passes through */
    pb = problem("n_splits = 2\ntest_size = 0.1\n");
    int32_t ten[20];
    for (int i = 0; i < 20; i++)
        ten[i] = i % 10;
    f = (ramp_folds *)1;
    assert_int_equal(ramp_folds_make(&f, pb, ten, 20, &e), RAMP_EINVAL);
    assert_null(f);
    assert_string_equal(e.msg, "stratified split: n_test = 2 is less than the 10 classes present "
                               "(each class needs a test row)");
    ramp_problem_free(pb);

    /* a folds file named by the problem */
    char path[] = "folds_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("fold,set,row\n0,train,2\n0,valid,0\n0,train,1\n", fp);
    fclose(fp);
    char cv[256];
    snprintf(cv, sizeof cv, "folds = %s\n", path);
    pb = problem(cv);
    assert_int_equal(ramp_problem_cv_method(pb), RAMP_CV_FOLDS_FILE);
    assert_int_equal(ramp_folds_make(&f, pb, NULL, 3, &e), RAMP_OK);
    const uint32_t *va;
    size_t nva;
    ramp_folds_get(f, 0, &tr, &ntr, &va, &nva);
    assert_int_equal(ntr, 2);
    assert_int_equal(nva, 1);
    assert_int_equal(tr[0], 2);
    assert_int_equal(tr[1], 1);
    assert_int_equal(va[0], 0);
    ramp_folds_free(f);
    /* over 2 rows, row 2 is out of range: the message names file:line */
    assert_int_equal(ramp_folds_make(&f, pb, NULL, 2, &e), RAMP_ERANGE);
    char want[256];
    snprintf(want, sizeof want, "%s:2: row 2 out of range [0, 2) (the labelled rows)", path);
    assert_string_equal(e.msg, want);
    ramp_problem_free(pb);
    unlink(path);
    assert_int_equal(ramp_folds_load(&f, path, 3, &e), RAMP_ENOENT);
    assert_null(f);
    ramp_folds_free(NULL);
}

static ramp_folds *parse_ok(const char *text, size_t n)
{
    ramp_folds *f;
    ramp_err e;
    ramp_status st = ramp_folds_parse(&f, text, strlen(text), "f.csv", n, &e);
    if (st) print_error("%s\n", e.msg);
    assert_int_equal(st, RAMP_OK);
    return f;
}

static void expect_fold(const ramp_folds *f, int k, const uint32_t *tr, size_t ntr,
                        const uint32_t *va, size_t nva)
{
    const uint32_t *a, *b;
    size_t na, nb;
    ramp_folds_get(f, k, &a, &na, &b, &nb);
    assert_int_equal(na, ntr);
    assert_int_equal(nb, nva);
    assert_memory_equal(a, tr, ntr * sizeof *tr);
    assert_memory_equal(b, va, nva * sizeof *va);
}

static void test_folds_restrict(void **state)
{
    (void)state;
    ramp_folds *f = parse_ok("fold,set,row\n"
                             "0,train,5\n0,train,1\n0,train,3\n0,valid,0\n0,valid,4\n"
                             "1,train,0\n1,train,2\n1,valid,5\n1,valid,3\n",
                             6);
    /* dropping rows 3 and 4 would leave... fold 0 valid {0}, fold 1 valid {5} */
    static const uint8_t keep[6] = {1, 1, 1, 0, 0, 1}; /* 0->0 1->1 2->2 5->3 */
    assert_int_equal(ramp_folds_restrict(f, keep, 5), RAMP_EINVAL);
    assert_string_equal(ramp_folds_errmsg(f), "restrict folds: 5 rows given, the folds are over 6");
    assert_int_equal(ramp_folds_restrict(f, NULL, 6), RAMP_EINVAL);
    assert_string_equal(ramp_folds_errmsg(f), "restrict folds: keep is NULL");
    assert_int_equal(ramp_folds_restrict(f, keep, 6), RAMP_OK);
    assert_string_equal(ramp_folds_errmsg(f), "");
    static const uint32_t t0[] = {3, 1}, v0[] = {0}, t1[] = {0, 2}, v1[] = {3};
    expect_fold(f, 0, t0, 2, v0, 1);
    expect_fold(f, 1, t1, 2, v1, 1);
    /* now over 4 rows; dropping row 3 (old 5) empties fold 1's valid side */
    static const uint8_t keep2[4] = {1, 1, 1, 0};
    assert_int_equal(ramp_folds_restrict(f, keep2, 4), RAMP_EINVAL);
    assert_string_equal(ramp_folds_errmsg(f),
                        "restrict folds: fold 1 keeps 2 train and 0 valid rows; both "
                        "sides need one");
    expect_fold(f, 0, t0, 2, v0, 1); /* unchanged */
    expect_fold(f, 1, t1, 2, v1, 1);
    ramp_folds_free(f);
}

static void test_folds_file(void **state)
{
    (void)state;
    /* columns in another order, an extra column, CRLF, a BOM, blank lines,
       quoted fields, fold 1 listed before fold 0 and interleaved */
    const char *text = "\xEF\xBB\xBFrow,note,set,fold\r\n"
                       "7,a,train,1\r\n"
                       "\r\n"
                       "2,b,valid,0\r\n"
                       "\"0\",,train,0\r\n"
                       "3,c,valid,1\r\n"
                       "9,d,train,0\r\n"
                       " 4 ,e,train,2\r\n"
                       "7,f,valid,0\r\n"
                       "0,g,train,1\r\n"
                       "5,h,valid,2\r\n"
                       "7,i,train,0\r\n";
    ramp_folds *f = parse_ok(text, 10);
    assert_int_equal(ramp_folds_n(f), 3);
    static const uint32_t t0[] = {0, 9, 7}, v0[] = {2, 7}, t1[] = {7, 0}, v1[] = {3}, t2[] = {4},
                          v2[] = {5};
    expect_fold(f, 0, t0, 3, v0, 2);
    expect_fold(f, 1, t1, 2, v1, 1);
    expect_fold(f, 2, t2, 1, v2, 1);
    ramp_folds_free(f);
}

static void test_folds_file_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        ramp_status st;
        const char *msg;
    } cases[] = {
        {"fold,set,row\n0,train,1\n0,test,2\n", RAMP_EFORMAT,
         "f.csv:3: set 'test': expected train or valid"},
        {"fold,set,row\n0,train,10\n0,valid,2\n", RAMP_ERANGE,
         "f.csv:2: row 10 out of range [0, 10) (the labelled rows)"},
        {"fold,set,row\n0,train,-1\n", RAMP_ERANGE,
         "f.csv:2: row -1 out of range [0, 10) (the labelled rows)"},
        {"fold,set,row\n0,train,x1\n", RAMP_EFORMAT, "f.csv:2: row 'x1' is not a number"},
        {"fold,set,row\n0,train,1.0\n", RAMP_EFORMAT, "f.csv:2: row '1.0' is not a number"},
        {"fold,set,row\n0,train,\n", RAMP_EFORMAT, "f.csv:2: missing row number"},
        {"fold,set,row\nzero,train,1\n", RAMP_EFORMAT, "f.csv:2: fold 'zero' is not a number"},
        {"fold,set,row\n0,train,1\n,valid,2\n", RAMP_EFORMAT, "f.csv:3: missing fold number"},
        {"fold,set,row\n-1,train,1\n", RAMP_ERANGE, "f.csv:2: fold -1 out of range [0, 10000)"},
        {"fold,set,row\n10000,train,1\n", RAMP_ERANGE,
         "f.csv:2: fold 10000 out of range [0, 10000)"},
        {"fold,set,row\n0,train,1\n0,valid,2\n2,train,1\n2,valid,3\n", RAMP_EFORMAT,
         "f.csv:4: fold 2 appears but fold 1 does not (folds are numbered 0, 1, 2, ... without "
         "gaps)"},
        {"fold,set,row\n1,train,1\n1,valid,2\n", RAMP_EFORMAT,
         "f.csv:2: fold 1 appears but fold 0 does not (folds are numbered 0, 1, 2, ... without "
         "gaps)"},
        {"fold,set,row\n0,train,3\n0,valid,2\n1,valid,3\n0,train,4\n", RAMP_EFORMAT,
         "f.csv:4: fold 1 has no train rows"},
        {"fold,set,row\n0,train,3\n0,train,2\n", RAMP_EFORMAT, "f.csv:2: fold 0 has no valid rows"},
        /* the earliest repeat in the file is named, whatever its fold */
        {"fold,set,row\n1,train,3\n0,train,3\n1,valid,4\n0,valid,5\n0,valid,6\n1,valid,4\n"
         "0,valid,5\n0,train,3\n",
         RAMP_EDUP, "f.csv:7: row 4 appears twice in fold 1's valid rows (first on line 4)"},
        {"fold,set,row\n0,train,3\n0,valid,3\n0,train,2\n0,train,3\n", RAMP_EDUP,
         "f.csv:5: row 3 appears twice in fold 0's train rows (first on line 2)"},
        {"fold,set,row\n0,train\n", RAMP_EFORMAT,
         "f.csv:2: expected 3 fields (as the header), found 2"},
        {"fold,set\n0,train\n", RAMP_EFORMAT,
         "f.csv:1: header has no 'row' column (expected fold,set,row)"},
        {"fold,set,row,fold\n", RAMP_EFORMAT, "f.csv:1: column 'fold' appears twice in the header"},
        {"", RAMP_EFORMAT, "f.csv:1: empty file (a header 'fold,set,row' is required)"},
        {"\nfold,set,row\n\n", RAMP_EFORMAT, "f.csv:2: no rows after the header (no folds)"},
        {"fold,set,row\n0,train,\"1\n", RAMP_EPARSE, "f.csv:2: unterminated quote"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ramp_folds *f = (ramp_folds *)1;
        ramp_err e;
        ramp_status st =
            ramp_folds_parse(&f, cases[i].text, strlen(cases[i].text), "f.csv", 10, &e);
        if (st != cases[i].st || strcmp(e.msg, cases[i].msg) != 0)
            print_error("case %zu: got %d '%s'\n", i, st, e.msg);
        assert_int_equal(st, cases[i].st);
        assert_string_equal(e.msg, cases[i].msg);
        assert_null(f);
    }
    /* a row may be on both sides of a fold, and in several folds */
    ramp_folds *f = parse_ok("fold,set,row\n0,train,1\n0,valid,1\n1,train,1\n1,valid,2\n", 3);
    assert_int_equal(ramp_folds_n(f), 2);
    ramp_folds_free(f);
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_vs_sklearn),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_mt19937),
        cmocka_unit_test(test_sss_fixtures),
        cmocka_unit_test(test_ss_fixtures),
        cmocka_unit_test(test_sss_errors),
        cmocka_unit_test(test_quick_small_classes),
        cmocka_unit_test(test_quick_rules),
        cmocka_unit_test(test_folds_make),
        cmocka_unit_test(test_folds_restrict),
        cmocka_unit_test(test_folds_file),
        cmocka_unit_test(test_folds_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
