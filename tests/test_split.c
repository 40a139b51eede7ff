/* test_split.c — the stratified shuffle split: split sizes and per-class
 * test counts against scikit-learn's (tests/fixtures/kits/split_cases.txt,
 * made by tests/gen_split_fixtures.py), partitions, reproducibility, folds
 * that differ, and sklearn's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/dataset.h"
#include "ramp/rng.h"

static void test_sizes(void **state)
{
    (void)state;
    /* values from sklearn's _validate_shuffle_split */
    static const struct {
        size_t n;
        double ts;
        size_t n_train, n_test;
    } cases[] = {{10, 0.3, 7, 3},      {70000, 0.2, 56000, 14000}, {7, 0.5, 3, 4},
                 {100, 37, 63, 37},    {100, 0.07, 92, 8},         {100, 0.57, 43, 57},
                 {1000, 0.001, 999, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t a, b;
        assert_int_equal(ramp_split_sizes(cases[i].n, cases[i].ts, &a, &b, NULL), RAMP_OK);
        assert_int_equal(a, cases[i].n_train);
        assert_int_equal(b, cases[i].n_test);
    }
    size_t a, b;
    ramp_err e;
    assert_int_equal(ramp_split_sizes(10, 10, &a, &b, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(10, 2.5, &a, &b, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(10, 0, &a, &b, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(10, -0.5, &a, &b, &e), RAMP_EINVAL);
    assert_int_equal(ramp_split_sizes(0, 0.5, &a, &b, &e), RAMP_EINVAL);
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
    assert_int_equal(ramp_split_sizes(n, ts, &n_train, &n_test, NULL), RAMP_OK);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_vs_sklearn),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
