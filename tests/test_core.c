/* test_core.c — status texts, the arena, the random streams (statistics
 * and known answers), the JSON escaper and the submission states. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/arena.h"
#include "ramp/rng.h"
#include "ramp/status.h"
#include "core/coreInt.h"

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(ramp_err_name(RAMP_OK), "OK");
    assert_string_equal(ramp_err_name(RAMP_ENOMEM), "ENOMEM");
    assert_string_equal(ramp_strerror(RAMP_EFORMAT), "unrecognised or corrupt data");
    assert_string_equal(ramp_err_name((ramp_status)999), "UNKNOWN");
    /* codes keep their values; new ones go at the end */
    assert_int_equal(RAMP_ECANCELED, 18);
    assert_int_equal(RAMP_ELEASE, 19);
    assert_int_equal(RAMP_ETOOSOON, 20);
    assert_string_equal(ramp_err_name(RAMP_ELEASE), "ELEASE");
    assert_string_equal(ramp_strerror(RAMP_ELEASE), "lease lost to another worker");
    assert_string_equal(ramp_err_name(RAMP_ETOOSOON), "ETOOSOON");
    assert_string_equal(ramp_strerror(RAMP_ETOOSOON), "too soon; retry later");
    ramp_err e;
    assert_int_equal(ramp__err_set(&e, RAMP_EIO, "%s:%d: bad", "f.csv", 3), RAMP_EIO);
    assert_string_equal(e.msg, "f.csv:3: bad");
    assert_int_equal(e.code, RAMP_EIO);
    assert_int_equal(ramp__err_set(NULL, RAMP_EPARSE, "x"), RAMP_EPARSE);
}

static void test_arena(void **state)
{
    (void)state;
    ramp_arena *a = NULL;
    ramp_err err;
    assert_int_equal(ramp_arena_new(&a, &err), RAMP_OK);
    assert_non_null(a);
    assert_int_equal(ramp_arena_new(NULL, &err), RAMP_EINVAL);
    assert_string_equal(err.msg, "ramp_arena_new: out is NULL");
    uint8_t *p = ramp_arena_alloc(a, 100);
    uint8_t *q = ramp_arena_alloc(a, 1 << 20); /* larger than the first block */
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)p % 64, 0);
    assert_int_equal((uintptr_t)q % 64, 0);
    memset(p, 1, 100);
    memset(q, 2, 1 << 20);
    assert_int_equal(p[99], 1);
    size_t reserved = ramp_arena_reserved(a);
    for (int round = 0; round < 10; round++) { /* steady state: no growth */
        ramp_arena_reset(a);
        assert_int_equal(ramp_arena_used(a), 0);
        assert_non_null(ramp_arena_alloc(a, 100));
        assert_non_null(ramp_arena_alloc(a, 1 << 20));
    }
    assert_int_equal(ramp_arena_reserved(a), reserved);
    ramp_arena_set_limit(a, 4096);
    ramp_arena_reset(a);
    assert_null(ramp_arena_alloc(a, 8192));
    assert_non_null(ramp_arena_alloc(a, 1000));
    assert_null(ramp_arena_calloc(a, SIZE_MAX / 2, 4));
    uint32_t *z = ramp_arena_calloc(a, 10, 4);
    assert_non_null(z);
    assert_int_equal(z[9], 0);
    ramp_arena_free(a);
    ramp_arena_free(NULL);
}

static void test_rng(void **state)
{
    (void)state;
    ramp_rng a, b, c;
    ramp_rng_seed(&a, 42, 7);
    ramp_rng_seed(&b, 42, 7);
    ramp_rng_seed(&c, 42, 8);
    int same_c = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = ramp_rng_u64(&a), y = ramp_rng_u64(&b), z = ramp_rng_u64(&c);
        assert_true(x == y);
        same_c += x == z;
    }
    assert_true(same_c < 2);
    /* uniform mean and range; below() stays in range and covers it */
    double sum = 0;
    int hist[7] = {0};
    for (int i = 0; i < 70000; i++) {
        double u = ramp_rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
        sum += u;
        uint64_t k = ramp_rng_below(&a, 7);
        assert_true(k < 7);
        hist[k]++;
    }
    assert_true(sum / 70000 > 0.49 && sum / 70000 < 0.51);
    for (int k = 0; k < 7; k++) assert_true(hist[k] > 9400 && hist[k] < 10600);
    uint32_t idx[50];
    for (uint32_t i = 0; i < 50; i++) idx[i] = i;
    ramp_rng_shuffle(&a, idx, 50);
    int seen[50] = {0}, moved = 0;
    for (uint32_t i = 0; i < 50; i++) {
        seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (int i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 30);
    assert_true(ramp_rng_key(1, 2) != ramp_rng_key(2, 1));
}

/* One JSON escaper for buffers and files: the same bytes either way. */
static void test_json_escape(void **state)
{
    (void)state;
    static const char *const in[] = {"plain", "a\"b\\c", "line\nnext\ttab\x01\x7f",
                                     "caf\xc3\xa9 \xe2\x82\xac", "", "\"\"\n"};
    static const char *const want[] = {"\"plain\"", "\"a\\\"b\\\\c\"",
                                       "\"line\\nnext\\u0009tab\\u0001\\u007f\"",
                                       "\"caf\xc3\xa9 \xe2\x82\xac\"", "\"\"",
                                       "\"\\\"\\\"\\n\""};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        ramp__buf b = {0};
        ramp__buf_json(&b, in[i]);
        assert_false(b.oom);
        assert_string_equal(b.p, want[i]);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        ramp__json_fputs(f, in[i]);
        fclose(f);
        assert_string_equal(text, want[i]);
        free(text);
        ramp__buf_free(&b);
    }
    ramp__buf b = {0};
    ramp__buf_json(&b, NULL);
    assert_string_equal(b.p, "\"\"");
    ramp__buf_free(&b);
}

/* The one list of submission states: names, failures, bad values. */
static void test_states(void **state)
{
    (void)state;
    assert_string_equal(ramp__state_name(RAMP__ST_NEW), "new");
    assert_string_equal(ramp__state_name(RAMP__ST_SCORED), "scored");
    assert_string_equal(ramp__state_name(RAMP__ST_VALIDATING_ERROR), "validating_error");
    assert_string_equal(ramp__state_name(RAMP__ST_WORKER_KILLED), "worker_killed");
    assert_string_equal(ramp__state_name(RAMP__ST_N), "?");
    assert_string_equal(ramp__state_name((ramp__state)-1), "?");
    static const char *const failed[] = {"training_error", "validating_error", "testing_error",
                                         "timeout", "worker_killed"};
    static const char *const fine[] = {"new", "training", "tested", "scored", "error",
                                       "my_error", "", "Timeout"};
    for (size_t i = 0; i < sizeof failed / sizeof *failed; i++)
        assert_int_equal(ramp__state_failed(failed[i]), 1);
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++)
        assert_int_equal(ramp__state_failed(fine[i]), 0);
    assert_int_equal(ramp__state_failed(NULL), 0);
    for (int s = 0; s < RAMP__ST_N; s++) /* every name round-trips to its own row */
        assert_int_equal(ramp__state_failed(ramp__state_name((ramp__state)s)),
                         s >= RAMP__ST_TRAINING_ERROR);
}

/* Known answers for ramp_rng, made by tests/gen_rng_vectors.py: a plain
   Python writing of splitmix64 and xoshiro256** from their published
   definitions (its splitmix64 gives the published 6457827717110365317,
   3203168211198807973, ... from 1234567) and of rng.c's key mixing. A change
   of any output here changes every seeded run's folds and augmentations. */
static void test_rng_vectors(void **state)
{
    (void)state;
    /* the raw generator from the state {1, 2, 3, 4}, no seeding */
    static const uint64_t raw[] = {0x0000000000002d00u, 0x0000000000000000u, 0x000000005a007080u,
                                   0x10e0000000009d80u, 0x10e0b61ce1009d80u, 0x0870021ce143ad00u};
    ramp_rng r = {{1, 2, 3, 4}};
    for (size_t i = 0; i < sizeof raw / sizeof *raw; i++)
        assert_true(ramp_rng_u64(&r) == raw[i]);

    assert_true(ramp_rng_key(1, 2) == 0x4ad8cc69fc63acbfu);
    assert_true(ramp_rng_key(2, 1) == 0x6f45ec26480bfd1cu);

    static const uint64_t s42[] = {0xd85261c800942f04u, 0x0a7360a44974fa02u, 0x3b1f3c1b46d39a47u,
                                   0xcc79b136fdb72214u};
    static const uint64_t u42[] = {0x23fe7074c7f92deau, 0xf866f6d6027738ffu, 0x394f064deea5e8bdu,
                                   0x5c75466c5bb2a3c7u};
    ramp_rng_seed(&r, 42, 7);
    for (int i = 0; i < 4; i++)
        assert_true(r.s[i] == s42[i]);
    for (int i = 0; i < 4; i++)
        assert_true(ramp_rng_u64(&r) == u42[i]);

    static const double u00[] = {0x1.aaf2021bf09dcp-2, 0x1.e759b473c4822p-1, 0x1.e0eebe4a04a28p-1};
    ramp_rng_seed(&r, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_true(ramp_rng_uniform(&r) == u00[i]);

    /* below(2^63 + 1) rejects about half of the draws */
    static const uint64_t b7[] = {3, 6, 0, 2, 6, 2, 3, 6};
    ramp_rng_seed(&r, 3, 1);
    for (int i = 0; i < 8; i++)
        assert_true(ramp_rng_below(&r, 7) == b7[i]);
    assert_true(ramp_rng_below(&r, (1ull << 63) + 1) == 1004726599614736970u);
    assert_true(ramp_rng_below(&r, (1ull << 63) + 1) == 6097642065115590708u);

    static const uint32_t sh[] = {2, 3, 5, 0, 10, 7, 1, 9, 4, 6, 11, 8};
    uint32_t idx[12];
    for (uint32_t i = 0; i < 12; i++)
        idx[i] = i;
    ramp_rng_seed(&r, 2026, 5);
    ramp_rng_shuffle(&r, idx, 12);
    for (int i = 0; i < 12; i++)
        assert_int_equal(idx[i], sh[i]);
    assert_true(ramp_rng_u64(&r) == 0x020747c36ae5bc33u); /* draws exactly as many */
}

/* ramp__mt against numpy's RandomState (tests/gen_rng_vectors.py, numpy
   1.24): the raw 32-bit words, shuffle of an array that is not 0..n-1, and
   permutation then choice on one state (tests/fixtures/split/mt19937.txt
   holds many more, for test_split). */
static void test_mt_vectors(void **state)
{
    (void)state;
    ramp__mt m;
    static const uint32_t raw[] = {1660936152u, 818711705u, 4032199511u, 3568687001u, 417709080u};
    ramp__mt_seed(&m, 20261204);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ramp__mt_next32(&m), raw[i]);

    static const uint32_t sh[] = {108, 105, 100, 102, 101, 110, 107, 103, 106, 109, 104};
    uint32_t a[11];
    for (uint32_t i = 0; i < 11; i++)
        a[i] = 100 + i;
    ramp__mt_seed(&m, 7);
    ramp__mt_shuffle(&m, a, 11);
    for (int i = 0; i < 11; i++)
        assert_int_equal(a[i], sh[i]);

    static const uint32_t perm[] = {7, 8, 2, 6, 4, 5, 1, 3, 0};
    static const uint32_t choice[] = {15, 8, 6, 17, 3};
    uint32_t o[20];
    ramp__mt_seed(&m, 11);
    ramp__mt_permutation(&m, o, 9);
    for (int i = 0; i < 9; i++)
        assert_int_equal(o[i], perm[i]);
    ramp__mt_choice(&m, o, 20, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(o[i], choice[i]);
}

/* JSON numbers: a double that reads back the same, null when not finite. */
static void test_json_number(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ramp__json_fnum(f, 0.1);
    fputc(' ', f);
    ramp__json_fnum(f, NAN);
    fputc(' ', f);
    ramp__json_fnum(f, -INFINITY);
    fputc(' ', f);
    ramp__json_fnum(f, -3);
    fclose(f);
    assert_string_equal(text, "0.10000000000000001 null null -3");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_number),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_rng_vectors),
        cmocka_unit_test(test_mt_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
