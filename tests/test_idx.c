/* test_idx.c — the one IDX reader (ramp__idx_read): labels and images, the
 * first `max` items, and each bad file against its error. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "data/dataInt.h"

static char dir[] = "/tmp/ramp-test-idx-XXXXXX";

static void be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8),
    b[3] = (uint8_t)v;
}

/* Writes NAME (gzipped): the header words, then n_data bytes 0, 1, 2, ... */
static const char *write_idx(const char *name, const uint32_t *hdr, int n_hdr, size_t n_data)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < n_hdr; i++) {
        uint8_t b[4];
        be32(b, hdr[i]);
        assert_int_equal(gzwrite(f, b, 4), 4);
    }
    for (size_t i = 0; i < n_data; i++) {
        uint8_t v = (uint8_t)(i % 251);
        assert_int_equal(gzwrite(f, &v, 1), 1);
    }
    assert_int_equal(gzclose(f), Z_OK);
    return path;
}

static void test_labels(void **state)
{
    (void)state;
    const char *p = write_idx("labels.gz", (uint32_t[]){0x801, 5}, 2, 5);
    uint8_t *d = NULL;
    uint32_t n = 0;
    ramp_err err;
    assert_int_equal(ramp__idx_read(p, 0x801, 0, &d, &n, &err), RAMP_OK);
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(d[i], i);
    free(d);
    assert_int_equal(ramp__idx_read(p, 0x801, 3, &d, &n, &err), RAMP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(d[2], 2);
    free(d);
}

static void test_images(void **state)
{
    (void)state;
    const char *p = write_idx("images.gz", (uint32_t[]){0x803, 3, 28, 28}, 4, 3 * 784);
    uint8_t *d = NULL;
    uint32_t n = 0;
    ramp_err err;
    assert_int_equal(ramp__idx_read(p, 0x803, 2, &d, &n, &err), RAMP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(d[784], 784 % 251); /* the second image starts where the first ends */
    free(d);
}

static void expect(const char *p, uint32_t magic, ramp_status want, const char *msg)
{
    uint8_t *d = (uint8_t *)1;
    uint32_t n = 7;
    ramp_err err;
    assert_int_equal(ramp__idx_read(p, magic, 0, &d, &n, &err), want);
    assert_null(d);
    assert_int_equal(n, 0);
    if (!strstr(err.msg, msg)) fail_msg("'%s' lacks '%s'", err.msg, msg);
    assert_non_null(strstr(err.msg, p)); /* the message names the file */
}

static void test_bad_files(void **state)
{
    (void)state;
    expect(write_idx("magic.gz", (uint32_t[]){0x803, 5}, 2, 5), 0x801, RAMP_EFORMAT,
           "IDX magic 0x00000803, expected 0x00000801");
    expect(write_idx("short.gz", (uint32_t[]){0x801, 5}, 2, 4), 0x801, RAMP_EFORMAT,
           "truncated: 4 of 5 data bytes");
    expect(write_idx("header.gz", (uint32_t[]){0x803, 5}, 2, 0), 0x803, RAMP_EFORMAT,
           "truncated IDX header");
    expect(write_idx("side.gz", (uint32_t[]){0x803, 1, 27, 28}, 4, 27 * 28), 0x803, RAMP_EFORMAT,
           "images are 27x28, expected 28x28");
    expect(write_idx("empty.gz", (uint32_t[]){0x801, 0}, 2, 0), 0x801, RAMP_EFORMAT,
           "implausible item count 0");
    char missing[300];
    snprintf(missing, sizeof missing, "%s/missing.gz", dir);
    expect(missing, 0x801, RAMP_ENOENT, "cannot open");
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_images),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
