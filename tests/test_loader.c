/* test_loader.c — the streaming generators: epoch arithmetic, batches across
 * chunks, per-epoch shuffles, determinism across thread counts, the
 * train/valid split, errors naming the sample, peak memory bounded by
 * the chunk buffers on a dataset 20× larger than them, pinned batches
 * that outlive later batches and the generator itself, and the progress
 * reports' timing. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ramp/image.h"
#include "ramp/loader.h"

#include "loader_fixture.h"

/* transform: 2 floats — the sample number and a random draw */
static ramp_status tf_id(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    size_t stride;
    const uint8_t *p = ramp_img_pixels(pp, x, &stride);
    if (!p) return ramp_pp_status(pp);
    int i = (int)p[0] * 251 + (int)p[1]; /* see fixture_make */
    out->ndim = 3;
    out->shape[0] = 1;
    out->shape[1] = 1;
    out->shape[2] = 2;
    if (!out->data) out->data = ramp_arena_alloc(ramp_pp_arena(pp), 2 * sizeof(float));
    if (!out->data || (out->capacity != 0 && out->capacity < 2)) return RAMP_ESHAPE;
    out->data[0] = (float)i;
    out->data[1] = (float)ramp_rng_uniform(ramp_pp_rng(pp));
    return RAMP_OK;
}

static int decode_id(const float *v)
{
    return (int)v[0];
}

static void test_epochs_and_chunks(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 103, 8, 1, 3);
    ramp_loader_opts o = {.chunk_size = 10, .n_jobs = 2, .seed = 7};
    ramp_gen_builder *gb;
    ramp_err err;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf_id, NULL, &o, &err), 0);
    int shape[4];
    assert_int_equal(ramp_gen_builder_shape(gb, shape), 3);
    assert_int_equal(shape[2], 2);
    ramp_gen *g;
    /* batch 16 over chunks of 10: batches cross chunk boundaries */
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, 16, 1, 1, &g), 0);
    assert_int_equal(ramp_gen_steps_per_epoch(g), 7);
    int first_order[103];
    for (int e = 0; e < 3; e++) {
        int seen[103] = {0}, order[103], pos = 0;
        for (int s = 0; s < 7; s++) {
            ramp_batch b;
            assert_int_equal(ramp_gen_next(g, &b), 0);
            assert_int_equal(b.epoch, e);
            assert_int_equal(b.n, s < 6 ? 16 : 103 - 96);
            assert_int_equal(b.end_of_epoch, s == 6);
            for (size_t i = 0; i < b.n; i++) {
                int id = decode_id(b.X + 2 * i);
                assert_true(id >= 0 && id < 103);
                assert_int_equal(b.y[i], id % 3);
                seen[id]++;
                order[pos++] = id;
            }
        }
        for (int i = 0; i < 103; i++)
            assert_int_equal(seen[i], 1);
        if (e == 0)
            memcpy(first_order, order, sizeof order);
        else
            assert_memory_not_equal(first_order, order, sizeof order); /* reshuffled */
    }
    ramp_gen_stats gs = ramp_gen_stats_of(g);
    assert_true(gs.images >= 3 * 103);
    /* a batch size past n (2^62 and SIZE_MAX: the buffer sizes wrapped and
       the first gathered batch overflowed its buffer) gives one batch of
       every sample per epoch, gathered across the chunks */
    const size_t huge[] = {(size_t)1 << 62, SIZE_MAX};
    for (int h = 0; h < 2; h++) {
        ramp_gen *gh;
        assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, huge[h], 1, 1, &gh), 0);
        assert_int_equal(ramp_gen_steps_per_epoch(gh), 1);
        for (int e = 0; e < 2; e++) {
            ramp_batch b;
            assert_int_equal(ramp_gen_next(gh, &b), 0);
            assert_int_equal(b.n, 103);
            assert_true(b.end_of_epoch);
            int seen[103] = {0};
            for (size_t i = 0; i < b.n; i++) seen[decode_id(b.X + 2 * i)]++;
            for (int i = 0; i < 103; i++) assert_int_equal(seen[i], 1);
        }
    }
    ramp_gen_builder_free(gb);
    fixture_free(&f);
}

/* Same seed → the same batches and augmentation draws, whatever n_jobs. */
static void collect(const ramp_samples *s, int n_jobs, size_t chunk, float *out, size_t n_out)
{
    ramp_loader_opts o = {.chunk_size = chunk, .n_jobs = n_jobs, .seed = 3};
    ramp_gen_builder *gb;
    assert_int_equal(ramp_gen_builder_new(&gb, s, tf_id, NULL, &o, NULL), 0);
    ramp_gen *g;
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, s->n, 8, 1, 1, &g), 0);
    size_t k = 0;
    while (k < n_out) {
        ramp_batch b;
        assert_int_equal(ramp_gen_next(g, &b), 0);
        for (size_t i = 0; i < b.n * 2 && k < n_out; i++)
            out[k++] = b.X[i];
    }
    ramp_gen_builder_free(gb);
}

static void test_deterministic_across_threads(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 50, 8, 1, 5);
    float a[200], b[200], c[200];
    collect(&f.s, 1, 7, a, 200);
    collect(&f.s, 3, 7, b, 200);
    collect(&f.s, 2, 50, c, 200); /* another chunk size: the same stream too */
    assert_memory_equal(a, b, sizeof a);
    assert_memory_equal(a, c, sizeof a);
    fixture_free(&f);
}

static void test_train_valid_split(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 100, 8, 1, 4);
    ramp_loader_opts o = {.chunk_size = 16, .n_jobs = 2, .seed = 1};
    ramp_gen_builder *gb;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf_id, NULL, &o, NULL), 0);
    ramp_gen *tr, *va;
    size_t ntr, nva;
    assert_int_equal(ramp_get_train_valid_generators(gb, 32, 0.25, &tr, &va, &ntr, &nva), 0);
    assert_int_equal(nva, 25); /* floor(0.25 × 100) */
    assert_int_equal(ntr, 75);
    int in_valid[100] = {0}, per_class[4] = {0};
    int order1[25], order2[25];
    for (int e = 0; e < 2; e++) {
        int k = 0;
        for (size_t s = 0; s < ramp_gen_steps_per_epoch(va); s++) {
            ramp_batch b;
            assert_int_equal(ramp_gen_next(va, &b), 0);
            for (size_t i = 0; i < b.n; i++) {
                int id = decode_id(b.X + 2 * i);
                (e ? order2 : order1)[k++] = id;
                if (!e) {
                    in_valid[id] = 1;
                    per_class[id % 4]++;
                }
            }
        }
    }
    assert_memory_equal(order1, order2, sizeof order1); /* fixed order */
    for (int c = 0; c < 4; c++)
        assert_true(per_class[c] >= 6 && per_class[c] <= 7); /* stratified */
    for (size_t s = 0; s < ramp_gen_steps_per_epoch(tr); s++) {
        ramp_batch b;
        assert_int_equal(ramp_gen_next(tr, &b), 0);
        for (size_t i = 0; i < b.n; i++)
            assert_false(in_valid[decode_id(b.X + 2 * i)]);
    }
    assert_int_equal(ramp_get_train_valid_generators(gb, 32, 1.5, &tr, &va, &ntr, &nva),
                     RAMP_EINVAL);
    assert_string_equal(ramp_gen_builder_errmsg(gb), "valid_ratio 1.5 is not in [0, 1)");
    /* argument errors that once came back without a message */
    assert_int_equal(ramp_get_train_valid_generators(gb, 32, 0.25, NULL, &va, &ntr, &nva),
                     RAMP_EINVAL);
    assert_string_equal(ramp_gen_builder_errmsg(gb),
                        "ramp_get_train_valid_generators: train or valid is NULL");
    assert_int_equal(ramp_gen_builder_predict_gen(gb, 32, NULL), RAMP_EINVAL);
    assert_string_equal(ramp_gen_builder_errmsg(gb), "generator: out is NULL");
    ramp_err e;
    assert_int_equal(ramp_gen_builder_new(NULL, &f.s, tf_id, NULL, NULL, &e), RAMP_EINVAL);
    assert_string_equal(e.msg, "ramp_gen_builder_new: out is NULL");
    ramp_gen_builder_free(gb);
    fixture_free(&f);
}

/* a transform whose shape depends on the sample */
static ramp_status tf_bad_shape(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    size_t stride;
    const uint8_t *p = ramp_img_pixels(pp, x, &stride);
    if (!p) return ramp_pp_status(pp);
    const ramp_image *y = ramp_img_resize(pp, x, p[1] == 17 ? 4 : 2, 2);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW, NULL, NULL);
}

static void test_errors_name_the_sample(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 30, 8, 1, 2);
    ramp_loader_opts o = {.chunk_size = 8, .n_jobs = 2, .seed = 1};
    ramp_gen_builder *gb;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf_bad_shape, NULL, &o, NULL), 0);
    ramp_gen *g;
    assert_int_equal(ramp_gen_builder_predict_gen(gb, 8, &g), 0);
    ramp_status st = RAMP_OK;
    for (int s = 0; s < 4 && !st; s++) {
        ramp_batch b;
        st = ramp_gen_next(g, &b);
    }
    assert_int_equal(st, RAMP_ESHAPE);
    assert_non_null(strstr(ramp_gen_errmsg(g), "img_00017"));
    /* the builder keeps it for a fit that returns the bare status */
    assert_string_equal(ramp_gen_builder_errmsg(gb), ramp_gen_errmsg(g));
    ramp_gen_builder_free(gb);

    /* a missing image */
    remove(f.paths[5]);
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf_id, NULL, &o, NULL), 0);
    assert_int_equal(ramp_gen_builder_predict_gen(gb, 4, &g), 0);
    st = RAMP_OK;
    for (int s = 0; s < 8 && !st; s++) {
        ramp_batch b;
        st = ramp_gen_next(g, &b);
    }
    assert_int_equal(st, RAMP_ENOENT);
    assert_non_null(strstr(ramp_gen_errmsg(g), "img_00005"));
    ramp_gen_builder_free(gb);
    fixture_free(&f);
}

/* ---- progress ----------------------------------------------------------- */

typedef struct reports {
    ramp_progress r[32];
    int n;
} reports;

static void record(void *user, const ramp_progress *p)
{
    reports *rs = user;
    assert_true(rs->n < 32);
    rs->r[rs->n++] = *p;
}

/* The builder times each epoch from the previous one's end and counts the
   images its generators served in it: epochs add up to the fit. */
static void test_progress_timing(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 30, 8, 1, 2);
    ramp_loader_opts o = {.chunk_size = 8, .n_jobs = 2, .seed = 1};
    ramp_gen_builder *gb;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf_id, NULL, &o, NULL), 0);
    reports rs = {.n = 0};
    ramp_gen_builder_set_progress(gb, record, &rs);
    ramp_gen *g;
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, 30, 8, 1, 1, &g), 0); /* 4 steps */
    struct timespec ms5 = {0, 5000000};
    for (int e = 0; e < 2; e++)
        for (size_t s = 1; s <= 4; s++) {
            ramp_batch b;
            assert_int_equal(ramp_gen_next(g, &b), 0);
            nanosleep(&ms5, NULL);
            ramp_gen_builder_progress(gb, e, 2, s, 4, 0.5, NAN);
            ramp_gen_builder_progress(gb, e, 2, s, 4, 0.5, NAN); /* a repeat: dropped */
        }
    ramp_progress p = {1, 2, 4, 4, 0.5, NAN, 0.25, 0.75, 99, 99, 99};
    ramp_gen_progress(g, &p); /* the last epoch's end again: dropped */
    assert_int_equal(rs.n, 8);
    for (int i = 0; i < 8; i++) {
        const ramp_progress *r = &rs.r[i];
        assert_int_equal(r->epoch, i / 4);
        assert_int_equal(r->batch, (size_t)(i % 4 + 1));
        assert_int_equal(r->images, r->batch < 4 ? 8 * r->batch : 30);
        assert_true(r->epoch_seconds >= 0.005 * (double)r->batch);
        assert_true(isnan(r->val_loss) && isnan(r->accuracy) && r->loss == 0.5);
    }
    /* the two epochs' times add up to the fit's */
    assert_true(fabs(rs.r[3].epoch_seconds + rs.r[7].epoch_seconds - rs.r[7].seconds) < 1e-9);
    assert_true(rs.r[4].epoch_seconds < rs.r[4].seconds);
    /* the generator's own report (as the engine's fit makes) with its
       validation figures; the builder fills in the timing */
    ramp_progress q = {2, 3, 4, 4, 0.5, 0.5, 0.25, 0.75, 99, 99, 99};
    ramp_gen_progress(g, &q);
    assert_int_equal(rs.n, 9);
    assert_true(rs.r[8].val_loss == 0.25 && rs.r[8].val_accuracy == 0.75);
    assert_true(rs.r[8].seconds < 99 && rs.r[8].images == 0);
    ramp_gen_builder_free(gb);
    fixture_free(&f);
}

/* ---- bounded memory ----------------------------------------------------- */

static long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

static ramp_status tf_big(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    return ramp_img_to_tensor(pp, ramp_img_rgb(pp, x), out, RAMP_CHW | RAMP_SCALE01, NULL, NULL);
}

static void test_memory_bounded_by_chunks(void **state)
{
    (void)state;
    /* 600 RGB 96×96 images → 3×96×96 floats = 108 KiB per sample: 63 MiB of
       tensors in all, 20× the chunk memory (2 buffers × 12 samples = 2.5 MiB)
       and more. */
    fixture f;
    fixture_make(&f, 600, 96, 3, 10);
    size_t sample = 3 * 96 * 96 * sizeof(float);
    size_t chunk = 12, batch = 32;
    size_t data_bytes = f.n * sample;
    size_t bound = 2 * chunk * sample + batch * sample; /* loader.h's formula, buffers only */
    assert_true(data_bytes >= 20 * 2 * chunk * sample);
    long before = vm_hwm_kb();
    ramp_loader_opts o = {.chunk_size = chunk, .n_jobs = 2, .seed = 1};
    ramp_gen_builder *gb;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf_big, NULL, &o, NULL), 0);
    ramp_gen *g;
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, batch, 1, 1, &g), 0);
    double checksum = 0;
    for (int e = 0; e < 2; e++)
        for (size_t s = 0; s < ramp_gen_steps_per_epoch(g); s++) {
            ramp_batch b;
            assert_int_equal(ramp_gen_next(g, &b), 0);
            checksum += b.X[0];
        }
    long after = vm_hwm_kb();
    ramp_gen_builder_free(gb);
    fixture_free(&f);
    (void)checksum;
    long grew_kb = after - before;
    /* per-thread arenas (a decoded 96×96 image and its tensor, in 64 KiB+
       blocks) and thread stacks add a few MiB on top of the buffers */
    long allowed_kb = (long)(bound / 1024) + 8 * 1024;
    printf("peak RSS grew by %ld KiB streaming %zu KiB of tensors; bound %ld KiB\n", grew_kb,
           data_bytes / 1024, allowed_kb);
#ifdef RAMP_SANITIZED_BUILD
    /* a sanitizer's shadow memory and allocator (ASan's quarantine, TSan's
       shadow of every byte written) swell the RSS by more than the bound */
    print_message("skipped: the RSS bound under a sanitizer\n");
    skip();
#else
    assert_true(before > 0 && after > 0);
    assert_true(grew_kb <= allowed_kb);
    assert_true((size_t)grew_kb * 1024 < data_bytes / 4);
#endif
}

/* Pinned batches keep their contents while the generator moves on through
   several epochs (slots recycled, gathered buffers reused), after the
   generator and builder are freed, and release in any order. */
static void test_pinned_batches_outlive_the_generator(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, 53, 8, 1, 4);
    ramp_loader_opts o = {.chunk_size = 10, .n_jobs = 2, .seed = 3};
    ramp_gen_builder *gb;
    ramp_err err;
    assert_int_equal(ramp_gen_builder_new(&gb, &f.s, tf_id, NULL, &o, &err), 0);
    ramp_gen *g;
    /* batch 4 over chunks of 10: in-place batches and gathered ones */
    assert_int_equal(ramp_gen_builder_subset(gb, NULL, f.n, 4, 1, 1, &g), 0);
    ramp_gen_set_onehot(g, 1);
    enum { N = 60 }; /* > 4 epochs of 14 batches */
    ramp_gen_pin *pins[N];
    ramp_batch bs[N];
    float *copy[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(ramp_gen_next_pinned(g, &bs[i], &pins[i]), 0);
        assert_non_null(pins[i]);
        size_t nx = bs[i].n * bs[i].sample_size;
        copy[i] = malloc(nx * sizeof(float));
        assert_non_null(copy[i]);
        memcpy(copy[i], bs[i].X, nx * sizeof(float));
        assert_non_null(bs[i].y_onehot);
        for (size_t r = 0; r < bs[i].n; r++) {
            int id = decode_id(bs[i].X + 2 * r);
            assert_int_equal(bs[i].y[r], id % 4);
            for (int c = 0; c < 4; c++)
                assert_true(bs[i].y_onehot[r * 4 + (size_t)c] == (c == id % 4 ? 1.f : 0.f));
        }
        /* release every other pin early: the loader keeps going either way */
        if (i % 3 == 1) {
            ramp_gen_release(pins[i]);
            pins[i] = NULL;
        }
    }
    /* unpinned batches interleaved with pinned ones */
    for (int i = 0; i < 20; i++) {
        ramp_batch b;
        assert_int_equal(ramp_gen_next(g, &b), 0);
    }
    for (int i = 0; i < N; i++)
        if (pins[i])
            assert_memory_equal(bs[i].X, copy[i], bs[i].n * bs[i].sample_size * sizeof(float));
    ramp_gen_builder_free(gb); /* frees g; the pins keep their buffers */
    for (int i = N - 1; i >= 0; i--) {
        if (pins[i]) {
            assert_memory_equal(bs[i].X, copy[i], bs[i].n * bs[i].sample_size * sizeof(float));
            assert_int_equal(bs[i].y[0], decode_id(bs[i].X) % 4);
        }
        ramp_gen_release(pins[i]);
        free(copy[i]);
    }
    ramp_gen_release(NULL);
    fixture_free(&f);
}

/* The in-memory generator cannot lend: the pin holds a copy. */
static void test_pinned_copy_for_memory_generator(void **state)
{
    (void)state;
    float X[10];
    int32_t y[10];
    for (int i = 0; i < 10; i++) {
        X[i] = (float)i;
        y[i] = i % 2;
    }
    int shape[1] = {1};
    ramp_gen *g;
    assert_int_equal(ramp_gen_from_arrays(&g, X, y, 10, 1, shape, 2, 4, 0, 0, NULL), 0);
    ramp_batch b1, b2;
    ramp_gen_pin *p1, *p2;
    assert_int_equal(ramp_gen_next_pinned(g, &b1, &p1), 0);
    assert_int_equal(ramp_gen_next_pinned(g, &b2, &p2), 0);
    assert_null(b1.y_onehot); /* not enabled */
    ramp_gen_free(g);
    for (int i = 0; i < 4; i++) {
        assert_true(b1.X[i] == (float)i);
        assert_true(b2.X[i] == (float)(4 + i));
        assert_int_equal(b2.y[i], (4 + i) % 2);
    }
    ramp_gen_release(p2);
    ramp_gen_release(p1);
    ramp_gen_pin *p3 = (ramp_gen_pin *)&b1; /* any non-NULL value */
    assert_int_equal(ramp_gen_next_pinned(NULL, &b1, &p3), RAMP_EINVAL);
    assert_null(p3);
}

/* ramp_gen_from_arrays follows status.h: *out first, the reason in err. */
static void test_from_arrays_errors(void **state)
{
    (void)state;
    float X[4] = {0};
    int shape[2] = {2, 0};
    ramp_gen *g = (ramp_gen *)X;
    ramp_err err;
    assert_int_equal(ramp_gen_from_arrays(&g, X, NULL, 2, 2, shape, 2, 1, 0, 0, &err), RAMP_EINVAL);
    assert_null(g);
    assert_int_equal(err.code, RAMP_EINVAL);
    assert_non_null(strstr(err.msg, "shape[1] is 0"));
    shape[1] = 1;
    assert_int_equal(ramp_gen_from_arrays(&g, X, NULL, 2, 2, shape, 2, 0, 0, 0, &err), RAMP_EINVAL);
    assert_non_null(strstr(err.msg, "batch size 0"));
    assert_int_equal(ramp_gen_from_arrays(&g, X, NULL, 2, 2, shape, 2, 1, 0, 0, NULL), RAMP_OK);
    ramp_gen_free(g);
}

/* Two ctest entries: the loader's behaviour (test_loader, also run under
   ThreadSanitizer) and its memory bound (test_loader_rss, `--rss`), which a
   sanitizer's own allocations make unmeasurable: there it reports skipped
   without hiding that the rest passed. */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epochs_and_chunks),
        cmocka_unit_test(test_deterministic_across_threads),
        cmocka_unit_test(test_train_valid_split),
        cmocka_unit_test(test_errors_name_the_sample),
        cmocka_unit_test(test_progress_timing),
        cmocka_unit_test(test_pinned_batches_outlive_the_generator),
        cmocka_unit_test(test_pinned_copy_for_memory_generator),
        cmocka_unit_test(test_from_arrays_errors),
    };
    const struct CMUnitTest rss[] = {
        cmocka_unit_test(test_memory_bounded_by_chunks),
    };
    if (argc > 1 && strcmp(argv[1], "--rss") == 0)
        return cmocka_run_group_tests_name("loader_rss", rss, NULL, NULL);
    return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
