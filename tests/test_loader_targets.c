/* test_loader_targets.c — detection and segmentation targets through the
 * streaming loader: each sample's objects and mask are moved by the
 * geometry its transform recorded (a resize then a horizontal flip here)
 * and arrive with it in the batch, across chunk boundaries, from mask files
 * or mask bytes; a bad mask is an error naming the sample. */
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
#include <unistd.h>
#include <cmocka.h>

#include "ramp/image.h"
#include "ramp/loader.h"

#define N 10
#define W 40
#define H 30

/* Image i: gray 40×30, a bright block [x0, x1) × [y0, y1) (the box); its
   mask holds class 1 + i % 3 in the block, 0 elsewhere, 255 on row 0. */
static void block_of(int i, int b[4])
{
    b[0] = 2 + 2 * i;
    b[1] = 4 + i;
    b[2] = b[0] + 10;
    b[3] = b[1] + 8;
}

typedef struct fixture {
    char dir[256];
    char *paths[N], *ids[N], *masks[N];
    uint8_t *mask_bytes[N];
    size_t mask_len[N];
    int32_t labels[N];
    ramp_obj objs[N];
    size_t off[N + 1];
    ramp_samples s;
} fixture;

static void png(uint8_t **enc, size_t *len, const uint8_t *px, int w, int h)
{
    assert_int_equal(ramp_img_encode(enc, len, RAMP_FMT_PNG, px, w, h, 1, (size_t)w, 90, NULL), 0);
}

static void put(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "loader_targets_%d", (int)getpid());
    mkdir(f->dir, 0755);
    uint8_t img[W * H], mask[W * H];
    for (int i = 0; i < N; i++) {
        int b[4];
        block_of(i, b);
        memset(img, 20, sizeof img);
        memset(mask, 0, sizeof mask);
        for (int y = b[1]; y < b[3]; y++)
            for (int x = b[0]; x < b[2]; x++) {
                img[y * W + x] = 230;
                mask[y * W + x] = (uint8_t)(1 + i % 3);
            }
        memset(mask, 255, W); /* void row */
        char path[512];
        uint8_t *enc;
        size_t len;
        snprintf(path, sizeof path, "%s/img_%d.png", f->dir, i);
        png(&enc, &len, img, W, H);
        put(path, enc, len);
        free(enc);
        f->paths[i] = strdup(path);
        snprintf(path, sizeof path, "img_%d", i);
        f->ids[i] = strdup(path);
        snprintf(path, sizeof path, "%s/mask_%d.png", f->dir, i);
        png(&f->mask_bytes[i], &f->mask_len[i], mask, W, H);
        put(path, f->mask_bytes[i], f->mask_len[i]);
        f->masks[i] = strdup(path);
        f->labels[i] = i; /* the test reads each sample's number back from y */
        f->objs[i] = (ramp_obj){i % 3, 1, {(float)b[0], (float)b[1], (float)b[2], (float)b[3]}};
        f->off[i + 1] = (size_t)i + 1;
    }
    f->s = (ramp_samples){.paths = (const char *const *)f->paths,
                          .ids = (const char *const *)f->ids,
                          .labels = f->labels,
                          .n = N,
                          .n_classes = 64};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < N; i++) {
        remove(f->paths[i]);
        remove(f->masks[i]);
        free(f->paths[i]);
        free(f->ids[i]);
        free(f->masks[i]);
        free(f->mask_bytes[i]);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* half size, then mirrored: x' = 20 − x/2, y' = y/2 */
static ramp_status tf(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_resize(pp, x, W / 2, H / 2);
    y = ramp_img_flip_h(pp, y);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, NULL, NULL);
}

/* One epoch of batches of 4 over chunks of 3 (batches cross chunks). */
static void check_epoch(const ramp_samples *s, int det, int seg)
{
    ramp_loader_opts o = {.chunk_size = 3, .n_jobs = 2, .seed = 7};
    ramp_gen_builder *gb;
    ramp_err err;
    assert_int_equal(ramp_gen_builder_new(&gb, s, tf, NULL, &o, &err), 0);
    ramp_gen *tr, *va;
    size_t nt, nv;
    assert_int_equal(ramp_get_train_valid_generators(gb, 4, 0.0, &tr, &va, &nt, &nv), 0);
    int seen[N] = {0};
    for (size_t step = 0; step < ramp_gen_steps_per_epoch(tr); step++) {
        ramp_batch b;
        assert_int_equal(ramp_gen_next(tr, &b), 0);
        assert_non_null(b.geom);
        assert_true((b.obj != NULL) == det);
        assert_true((b.mask != NULL) == seg);
        for (size_t j = 0; j < b.n; j++) {
            int i = b.y[j];
            int bl[4];
            block_of(i, bl);
            seen[i]++;
            const double *g = b.geom + 8 * j;
            assert_true(fabs(g[0] + 0.5) < 1e-9 && fabs(g[2] - W / 2) < 1e-9);
            assert_true(fabs(g[4] - 0.5) < 1e-9 && g[6] == W && g[7] == H);
            if (det) {
                assert_int_equal(b.obj_off[j + 1] - b.obj_off[j], 1);
                const ramp_obj *q = &b.obj[b.obj_off[j]];
                assert_int_equal(q->cls, i % 3);
                assert_true(fabs(q->g[0] - (W / 2 - bl[2] / 2.0)) < 1e-4);
                assert_true(fabs(q->g[2] - (W / 2 - bl[0] / 2.0)) < 1e-4);
                assert_true(fabs(q->g[1] - bl[1] / 2.0) < 1e-4);
                assert_true(fabs(q->g[3] - bl[3] / 2.0) < 1e-4);
            }
            if (seg) {
                assert_int_equal(b.mask_w, W / 2);
                assert_int_equal(b.mask_h, H / 2);
                const int32_t *m = b.mask + j * (size_t)(W / 2) * (H / 2);
                for (int y = 0; y < H / 2; y++)
                    for (int x = 0; x < W / 2; x++) {
                        /* pixel centre back in the source: (2 (20 − x − .5), 2 (y + .5)) */
                        int sx = (int)floor(2 * (W / 2 - x - 0.5)), sy = (int)floor(2 * (y + 0.5));
                        int in = sx >= bl[0] && sx < bl[2] && sy >= bl[1] && sy < bl[3];
                        int want = sy == 0 ? 255 : in ? 1 + i % 3 : 0;
                        assert_int_equal(m[y * (W / 2) + x], want);
                    }
            }
        }
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    /* prediction: geometry, no targets needed */
    ramp_gen *pg;
    assert_int_equal(ramp_gen_builder_predict_gen(gb, 4, &pg), 0);
    ramp_batch b;
    assert_int_equal(ramp_gen_next(pg, &b), 0);
    assert_non_null(b.geom);
    ramp_gen_builder_free(gb);
}

static void test_objects(void **state)
{
    fixture *f = *state;
    ramp_samples s = f->s;
    s.objs = f->objs;
    s.obj_off = f->off;
    check_epoch(&s, 1, 0);
}

static void test_mask_files(void **state)
{
    fixture *f = *state;
    ramp_samples s = f->s;
    s.mask_paths = (const char *const *)f->masks;
    check_epoch(&s, 0, 1);
}

static void test_mask_bytes(void **state)
{
    fixture *f = *state;
    ramp_samples s = f->s;
    s.mask_bytes = (const uint8_t *const *)f->mask_bytes;
    s.mask_len = f->mask_len;
    check_epoch(&s, 0, 1);
}

/* The error a generator reports over one epoch. */
static const char *epoch_error(const ramp_samples *s, char *buf, size_t len)
{
    ramp_loader_opts o = {.chunk_size = 4, .n_jobs = 1, .seed = 7};
    ramp_gen_builder *gb;
    ramp_err err;
    buf[0] = '\0';
    if (ramp_gen_builder_new(&gb, s, tf, NULL, &o, &err)) {
        snprintf(buf, len, "%s", err.msg);
        return buf;
    }
    ramp_gen *tr, *va;
    size_t nt, nv;
    assert_int_equal(ramp_get_train_valid_generators(gb, 4, 0.0, &tr, &va, &nt, &nv), 0);
    for (size_t step = 0; step < ramp_gen_steps_per_epoch(tr); step++) {
        ramp_batch b;
        if (ramp_gen_next(tr, &b)) {
            snprintf(buf, len, "%s", ramp_gen_errmsg(tr));
            break;
        }
    }
    ramp_gen_builder_free(gb);
    return buf;
}

static void test_bad_masks(void **state)
{
    fixture *f = *state;
    ramp_samples s = f->s;
    const uint8_t *bytes[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        bytes[i] = f->mask_bytes[i];
        lens[i] = f->mask_len[i];
    }
    s.mask_bytes = bytes;
    s.mask_len = lens;
    char msg[1024];
    /* the wrong size */
    uint8_t small[10 * 10] = {0}, *enc;
    size_t len;
    png(&enc, &len, small, 10, 10);
    bytes[5] = enc;
    lens[5] = len;
    assert_string_equal(epoch_error(&s, msg, sizeof msg),
                        "mask of sample 'img_5' is 10×10, its image 40×30");
    free(enc);
    /* a value that is no class */
    uint8_t big[W * H];
    memset(big, 70, sizeof big);
    png(&enc, &len, big, W, H);
    bytes[5] = enc;
    lens[5] = len;
    s.n_classes = 64;
    assert_string_equal(epoch_error(&s, msg, sizeof msg),
                        "mask of sample 'img_5': value 70 is not a class (0..63) nor 255 (void)");
    free(enc);
    /* not an image */
    bytes[5] = (const uint8_t *)"garbage!";
    lens[5] = 8;
    assert_non_null(strstr(epoch_error(&s, msg, sizeof msg), "mask of sample 'img_5'"));
}

static void test_bad_objects(void **state)
{
    fixture *f = *state;
    ramp_samples s = f->s;
    size_t off[N + 1];
    memcpy(off, f->off, sizeof off);
    s.objs = f->objs;
    s.obj_off = off;
    off[4] = 9; /* offsets going down after row 4 */
    char msg[1024];
    assert_string_equal(epoch_error(&s, msg, sizeof msg),
                        "samples: object offsets go down at row 4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objects),     cmocka_unit_test(test_mask_files),
        cmocka_unit_test(test_mask_bytes),  cmocka_unit_test(test_bad_masks),
        cmocka_unit_test(test_bad_objects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
