/* test_loader_hostmem.c — where the loader's buffers come from (loader.h's
 * pin_memory; core's ramp__hostmem allocator table):
 *  - every block a builder makes goes through its table: a counting table
 *    the test injects sees each chunk buffer, batch buffer and the fresh
 *    ones that replace buffers still pinned; every batch's X, y and geometry
 *    lie inside a live allocation of it; each free matches an allocation
 *    (pointer and size), and nothing is left once the builder is freed and
 *    the pins released;
 *  - one generator holds the bytes loader.h's formula says;
 *  - a consumer holding each batch until the next one has come (Python's
 *    arrays, a copy in flight) gets its buffers recycled: no allocation
 *    after the first epoch (there were six per epoch before), within the
 *    bound loader.h gives;
 *  - an allocation refused at each point (making a generator's buffers,
 *    replacing a pinned buffer) is a clean error carrying the table's
 *    reason, and leaks nothing;
 *  - batches through another table are bit-identical to the default ones;
 *  - pin_memory where page-locked memory cannot be had (a build without
 *    CUDA, no driver, no GPU: this machine) fails with RAMP_EUNSUPPORTED
 *    saying why; the default builder is pageable and says so.
 * --gpu (ctest's test_loader_hostmem_gpu): on a GPU, pin_memory's batches
 * are page-locked as the CUDA runtime sees them (batches lent in place,
 * gathered ones, and the fresh buffers alike) and bit-identical to pageable
 * ones; SKIPPED where no GPU answers. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader/loaderInt.h"
#include "ramp/image.h"
#include "ramp/loader.h"

#include "loader_fixture.h" /* gray 8×8 PNGs; image i carries i in its pixels */

/* 1×8×8 floats in [0, 1], with element 1 replaced by a draw of the
   sample's augmentation stream (so the streams are compared too) */
static ramp_status tf(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    ramp_status st = ramp_img_to_tensor(pp, x, out, RAMP_CHW | RAMP_SCALE01, NULL, NULL);
    if (!st) out->data[1] = (float)ramp_rng_uniform(ramp_pp_rng(pp));
    return st;
}

enum { S = 64 }; /* floats per sample */

/* ---- a counting (and refusing) allocator table -------------------------------- */

typedef struct counter {
    pthread_mutex_t mu; /* blocks may be freed on any thread */
    int allocs, frees, refused;
    int fail_at; /* the allocation numbered so (from 0) is refused; -1: none */
    size_t live, n_live;
    int bad_free; /* a free of a pointer it never gave, or with another size */
    struct {
        void *p;
        size_t n;
    } a[1024];
} counter;

static void *c_alloc(const ramp__hostmem *hm, size_t bytes, char *why, size_t len)
{
    counter *c = hm->ctx;
    pthread_mutex_lock(&c->mu);
    int k = c->allocs + c->refused;
    void *p = NULL;
    if (k == c->fail_at || c->n_live == sizeof c->a / sizeof *c->a) {
        c->refused++;
        snprintf(why, len, "test allocator: allocation %d refused", k);
    } else if ((p = malloc(bytes))) {
        c->allocs++;
        c->a[c->n_live].p = p;
        c->a[c->n_live].n = bytes;
        c->n_live++;
        c->live += bytes;
    }
    pthread_mutex_unlock(&c->mu);
    return p;
}

static void c_free(const ramp__hostmem *hm, void *p, size_t bytes)
{
    counter *c = hm->ctx;
    pthread_mutex_lock(&c->mu);
    size_t i = 0;
    while (i < c->n_live && c->a[i].p != p) i++;
    if (i == c->n_live || c->a[i].n != bytes) {
        c->bad_free++;
    } else {
        c->live -= bytes;
        c->a[i] = c->a[--c->n_live];
        c->frees++;
        free(p);
    }
    pthread_mutex_unlock(&c->mu);
}

static void counter_init(counter *c, ramp__hostmem *tbl)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->fail_at = -1;
    *tbl = (ramp__hostmem){"counted", 0, c_alloc, c_free, c};
}

/* [p, p + bytes) lies inside one live allocation of c */
static int inside(counter *c, const void *p, size_t bytes)
{
    const char *q = p;
    int in = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_live && !in; i++) {
        const char *b = c->a[i].p;
        in = q >= b && q + bytes <= b + c->a[i].n;
    }
    pthread_mutex_unlock(&c->mu);
    return in;
}

static void assert_all_given_back(counter *c)
{
    assert_int_equal(c->bad_free, 0);
    assert_int_equal(c->frees, c->allocs);
    assert_int_equal(c->n_live, 0);
    assert_int_equal(c->live, 0);
}

/* the same batch, bit for bit */
static void assert_same_batch(const ramp_batch *a, const ramp_batch *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->epoch, b->epoch);
    assert_int_equal(a->end_of_epoch, b->end_of_epoch);
    assert_int_equal(a->sample_size, b->sample_size);
    assert_memory_equal(a->X, b->X, a->n * a->sample_size * sizeof(float));
    assert_memory_equal(a->y, b->y, a->n * sizeof(int32_t));
    assert_memory_equal(a->geom, b->geom, a->n * 8 * sizeof(double));
}

/* ---- the cases ----------------------------------------------------------------- */

/* Generators of a builder on the counting table: every buffer from it,
   the bytes loader.h says, batches identical to the default builder's,
   everything given back. Batch 4 over chunks of 10 gives batches lent in
   place and gathered ones; holding most pins makes the loader replace its
   buffers. */
static void test_every_buffer_through_the_table(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 53, 8, 1, 4);
    counter c;
    ramp__hostmem tbl;
    counter_init(&c, &tbl);
    ramp_loader_opts o = {.chunk_size = 10, .n_jobs = 2, .seed = 3};
    ramp_gen_builder *ga, *gb;
    ramp_err err;
    assert_int_equal(ramp_gen_builder_new(&ga, &f.s, tf, NULL, &o, &err), 0);
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf, NULL, &o, &err), 0);
    assert_int_equal(ramp_gen_builder_opts(ga).pin_memory, 0);
    assert_int_equal(ramp__gen_builder_set_hostmem(gb, &tbl), 0);
    assert_int_equal(c.allocs, 0); /* nothing before a generator */

    ramp_gen *a, *b;
    assert_int_equal(ramp_gen_builder_subset(ga, NULL, f.n, 4, 1, 1, &a), 0);
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, 4, 1, 1, &b), 0);
    /* two chunk buffers and a batch buffer, of loader.h's size: n × (S × 4
       + 4 + 64) bytes each, plus under 160 bytes of header and alignment */
    assert_int_equal(c.allocs, 3);
    size_t low = (2 * 10 + 4) * (S * 4 + 4 + 64);
    printf("one generator: %zu bytes from the table (formula: %zu to %zu)\n", c.live, low,
           low + 3 * 160);
    assert_true(c.live >= low && c.live < low + 3 * 160);
    /* once it has generators, the table cannot change */
    assert_int_equal(ramp__gen_builder_set_hostmem(gb, &ramp__hostmem_pageable), RAMP_EINVAL);

    enum { N = 60 }; /* > 4 epochs of 14 batches */
    ramp_gen_pin *pins[N];
    for (int i = 0; i < N; i++) {
        ramp_batch ba, bb;
        assert_int_equal(ramp_gen_next(a, &ba), 0);
        assert_int_equal(ramp_gen_next_pinned(b, &bb, &pins[i]), 0);
        assert_same_batch(&ba, &bb);
        assert_int_equal(ba.pinned, 0);
        assert_int_equal(bb.pinned, 0); /* the counting table is not page-locked */
        assert_true(inside(&c, bb.X, bb.n * S * sizeof(float)));
        assert_true(inside(&c, bb.y, bb.n * sizeof(int32_t)));
        assert_true(inside(&c, bb.geom, bb.n * 8 * sizeof(double)));
        if (i % 3 == 1) { /* some released early: their buffers are reused */
            ramp_gen_release(pins[i]);
            pins[i] = NULL;
        }
    }
    int after_stream = c.allocs;
    printf("%d allocations for %d batches, most of them held\n", after_stream, N);
    assert_true(after_stream > 3); /* fresh buffers for pinned ones, from the table too */

    /* the other kinds of generator draw from it too */
    ramp_gen *tr, *va, *pr;
    size_t ntr, nva;
    assert_int_equal(ramp_get_train_valid_generators(gb, 8, 0.2, &tr, &va, &ntr, &nva), 0);
    assert_int_equal(ramp_gen_builder_predict_gen(gb, 16, &pr), 0);
    assert_int_equal(c.allocs, after_stream + 9);
    ramp_batch bp;
    assert_int_equal(ramp_gen_next(pr, &bp), 0);
    assert_true(inside(&c, bp.X, bp.n * S * sizeof(float)));

    ramp_gen_builder_free(ga);
    ramp_gen_builder_free(gb); /* the pins keep their buffers: still allocated */
    assert_true(c.frees < c.allocs);
    for (int i = 0; i < N; i++) ramp_gen_release(pins[i]);
    assert_all_given_back(&c);
    pthread_mutex_destroy(&c.mu);
    fixture_free(&f);
}

/* The way Python (or a copy in flight) holds batches: each one until the
   next has come. The buffers that were pinned when the loader needed them
   come back once released and are reused: after the first epoch, no
   allocation at all; and the generator never holds more than its three
   buffers, the two spares and the buffer behind the one batch held. */
static void test_held_batches_recycle_buffers(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 53, 8, 1, 4);
    counter c;
    ramp__hostmem tbl;
    counter_init(&c, &tbl);
    ramp_loader_opts o = {.chunk_size = 10, .n_jobs = 2, .seed = 9};
    ramp_gen_builder *gb;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf, NULL, &o, NULL), 0);
    assert_int_equal(ramp__gen_builder_set_hostmem(gb, &tbl), 0);
    ramp_gen *g;
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, 4, 1, 1, &g), 0);
    size_t steps = ramp_gen_steps_per_epoch(g);
    ramp_gen_pin *held = NULL;
    int allocs_after_first = 0;
    size_t peak = 0;
    for (int e = 0; e < 5; e++) {
        for (size_t k = 0; k < steps; k++) {
            ramp_batch b;
            ramp_gen_pin *p;
            assert_int_equal(ramp_gen_next_pinned(g, &b, &p), 0);
            ramp_gen_release(held); /* the previous batch, once the next is in hand */
            held = p;
            if (c.live > peak) peak = c.live;
        }
        if (e == 0) allocs_after_first = c.allocs;
    }
    size_t chunk_blk = 10 * (S * 4 + 4 + 64) + 160, batch_blk = 4 * (S * 4 + 4 + 64) + 160;
    printf("allocations: %d in the first epoch, %d in the next four; peak %zu bytes\n",
           allocs_after_first, c.allocs - allocs_after_first, peak);
    assert_int_equal(c.allocs, allocs_after_first);
    /* loader.h: three buffers, a spare chunk and batch buffer, and what the
       pin holds (a chunk buffer at most) */
    assert_true(peak <= 4 * chunk_blk + 2 * batch_blk);
    ramp_gen_release(held);
    ramp_gen_builder_free(gb);
    assert_all_given_back(&c);
    pthread_mutex_destroy(&c.mu);
    fixture_free(&f);
}

/* A refused allocation: a clean error with the table's reason, nothing
   leaked, at each of a generator's three buffers and at the first fresh
   buffer that replaces a pinned one. */
static void test_refused_allocation_is_clean(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 33, 8, 1, 3);
    ramp_loader_opts o = {.chunk_size = 10, .n_jobs = 2, .seed = 1};
    for (int k = 0; k < 3; k++) {
        counter c;
        ramp__hostmem tbl;
        counter_init(&c, &tbl);
        c.fail_at = k;
        ramp_gen_builder *gb;
        assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf, NULL, &o, NULL), 0);
        assert_int_equal(ramp__gen_builder_set_hostmem(gb, &tbl), 0);
        ramp_gen *g = (ramp_gen *)&c; /* any non-NULL value */
        assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, 4, 1, 1, &g), RAMP_ENOMEM);
        assert_null(g);
        char want[64];
        snprintf(want, sizeof want, "allocation %d refused", k);
        const char *m = ramp_gen_builder_errmsg(gb);
        printf("refused allocation %d: %s\n", k, m);
        assert_non_null(strstr(m, want));
        assert_non_null(strstr(m, "no counted memory"));
        assert_int_equal(c.refused, 1);
        assert_int_equal(c.allocs, k);
        assert_all_given_back(&c); /* what it had made is back already */
        ramp_gen_builder_free(gb);
        pthread_mutex_destroy(&c.mu);
    }

    /* every batch held: the loader soon needs a fresh buffer, refused */
    counter c;
    ramp__hostmem tbl;
    counter_init(&c, &tbl);
    c.fail_at = 3;
    ramp_gen_builder *gb;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf, NULL, &o, NULL), 0);
    assert_int_equal(ramp__gen_builder_set_hostmem(gb, &tbl), 0);
    ramp_gen *g;
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, 4, 1, 1, &g), 0);
    ramp_gen_pin *pins[40];
    int n = 0;
    ramp_status st = RAMP_OK;
    while (n < 40) {
        ramp_batch b;
        st = ramp_gen_next_pinned(g, &b, &pins[n]);
        if (st) break;
        n++;
    }
    assert_int_equal(st, RAMP_ENOMEM);
    printf("after %d batches: %s\n", n, ramp_gen_errmsg(g));
    assert_non_null(strstr(ramp_gen_errmsg(g), "allocation 3 refused"));
    assert_non_null(strstr(ramp_gen_errmsg(g), "still held by batches in use"));
    ramp_gen_builder_free(gb);
    for (int i = 0; i < n; i++) ramp_gen_release(pins[i]);
    assert_all_given_back(&c);
    pthread_mutex_destroy(&c.mu);
    fixture_free(&f);
}

/* pin_memory where no page-locked memory can be had: EUNSUPPORTED, saying
   why; where it can (a GPU machine), batches say they are pinned. */
static void test_pin_memory_where_it_cannot_be(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 12, 8, 1, 2);
    char why[400];
    const ramp__hostmem *pm = ramp__hostmem_pinned(why, sizeof why);
    ramp_loader_opts o = {.chunk_size = 5, .n_jobs = 1, .seed = 1, .pin_memory = 1};
    ramp_gen_builder *gb = (ramp_gen_builder *)&o; /* any non-NULL value */
    ramp_err err = {RAMP_OK, ""};
    ramp_status st = ramp_gen_builder_new(&gb, &f.s, tf, NULL, &o, &err);
    if (!pm) {
        printf("pin_memory here: %s\n", err.msg);
        assert_int_equal(st, RAMP_EUNSUPPORTED);
        assert_int_equal(err.code, RAMP_EUNSUPPORTED);
        assert_null(gb);
        assert_non_null(strstr(err.msg, "pin_memory"));
        assert_non_null(strstr(err.msg, "page-locked"));
        assert_non_null(strstr(err.msg, why));
#if RAMP_TEST_CUDA_BUILT
        assert_true(strstr(err.msg, "GPU") || strstr(err.msg, "driver"));
#else
        assert_non_null(strstr(err.msg, "built without CUDA"));
#endif
    } else { /* a GPU answers: the builder is made, and its batches pinned */
        assert_int_equal(st, RAMP_OK);
        assert_int_equal(ramp_gen_builder_opts(gb).pin_memory, 1);
        ramp_gen *g;
        assert_int_equal(ramp_gen_builder_predict_gen(gb, 4, &g), 0);
        ramp_batch b;
        assert_int_equal(ramp_gen_next(g, &b), 0);
        assert_int_equal(b.pinned, 1);
        ramp_gen_builder_free(gb);
    }
    /* the default: pageable, and the batches say so */
    o.pin_memory = 0;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf, NULL, &o, &err), 0);
    assert_int_equal(ramp_gen_builder_opts(gb).pin_memory, 0);
    ramp_gen *g;
    assert_int_equal(ramp_gen_builder_predict_gen(gb, 4, &g), 0);
    ramp_batch b;
    assert_int_equal(ramp_gen_next(g, &b), 0);
    assert_int_equal(b.pinned, 0);
    assert_int_equal(ramp__hostmem_is_pinned(b.X), 0);
    ramp_gen_builder_free(gb);
    fixture_free(&f);
}

/* On a GPU: pin_memory's batches are page-locked for the CUDA runtime,
   lent in place, gathered or from fresh buffers, and bit-identical to the
   pageable builder's. */
static void test_gpu_batches_page_locked(void **state)
{
    (void)state;
    char why[400];
    if (!ramp__hostmem_pinned(why, sizeof why)) {
        printf("no page-locked memory here: %s\n", why);
        skip(); /* never counted as passed */
    }
    fixture f;
    fixture_make(&f, 53, 8, 1, 4);
    ramp_loader_opts o = {.chunk_size = 10, .n_jobs = 2, .seed = 5};
    ramp_gen_builder *ga, *gp;
    ramp_err err;
    assert_int_equal(ramp_gen_builder_new(&ga, &f.s, tf, NULL, &o, &err), 0);
    o.pin_memory = 1;
    assert_int_equal(ramp_gen_builder_new(&gp, &f.s, tf, NULL, &o, &err), 0);
    ramp_gen *a, *p;
    assert_int_equal(ramp_gen_builder_subset(ga, NULL, f.n, 4, 1, 1, &a), 0);
    assert_int_equal(ramp_gen_builder_subset(gp, NULL, f.n, 4, 1, 1, &p), 0);
    enum { N = 60 };
    ramp_gen_pin *pins[N];
    for (int i = 0; i < N; i++) {
        ramp_batch ba, bp;
        assert_int_equal(ramp_gen_next(a, &ba), 0);
        assert_int_equal(ramp_gen_next_pinned(p, &bp, &pins[i]), 0);
        assert_same_batch(&ba, &bp);
        assert_int_equal(bp.pinned, 1);
        assert_true(ramp__hostmem_is_pinned(bp.X));
        assert_true(ramp__hostmem_is_pinned(bp.y));
        assert_false(ramp__hostmem_is_pinned(ba.X)); /* the check can tell */
        if (i % 3 == 1) {
            ramp_gen_release(pins[i]);
            pins[i] = NULL;
        }
    }
    ramp_gen_builder_free(ga);
    ramp_gen_builder_free(gp);
    for (int i = 0; i < N; i++) ramp_gen_release(pins[i]);
    fixture_free(&f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_buffer_through_the_table),
        cmocka_unit_test(test_held_batches_recycle_buffers),
        cmocka_unit_test(test_refused_allocation_is_clean),
        cmocka_unit_test(test_pin_memory_where_it_cannot_be),
    };
    const struct CMUnitTest gpu[] = {
        cmocka_unit_test(test_gpu_batches_page_locked),
    };
    if (argc > 1 && strcmp(argv[1], "--gpu") == 0)
        return cmocka_run_group_tests_name("loader_hostmem_gpu", gpu, NULL, NULL);
    return cmocka_run_group_tests_name("loader_hostmem", tests, NULL, NULL);
}
