/* test_npy.c — the .npy reader on files numpy wrote (committed fixtures from
 * tests/gen_score_fixtures.py), its exact errors, and the writer: round trips
 * and byte-for-byte equality with np.save's output, which proves numpy loads
 * what ramp writes without needing numpy at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/npy.h"
#include "core/coreInt.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/score/"
#define TMP RAMP_BINARY_DIR "/test_npy_"

static void check_a(const double *d, size_t rows, size_t cols)
{
    assert_int_equal(rows, 3);
    assert_int_equal(cols, 4);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 4; j++)
            assert_true(d[i * 4 + j] == 40.0 * (double)i + 10.0 * (double)j + 0.25);
}

static void test_read_numpy_files(void **state)
{
    (void)state;
    ramp_err err = {0};
    double *d;
    float *f;
    size_t r, c;
    const char *mats[] = {FIX "npy_f8.npy", FIX "npy_f4.npy", FIX "npy_v2.npy"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ramp_npy_read_matrix(&d, &r, &c, mats[i], &err), RAMP_OK);
        check_a(d, r, c);
        free(d);
        assert_int_equal(ramp_npy_read_matrix_f(&f, &r, &c, mats[i], &err), RAMP_OK);
        assert_int_equal(r * c, 12);
        for (size_t q = 0; q < 12; q++)
            assert_true(f[q] == (float)(40.0 * (double)(q / 4) + 10.0 * (double)(q % 4) + 0.25));
        free(f);
    }
    const int32_t want[] = {0, 5, -3, 402, 7};
    const char *labs[] = {FIX "npy_i8.npy", FIX "npy_i4.npy"};
    for (int i = 0; i < 2; i++) {
        int32_t *y;
        size_t n;
        assert_int_equal(ramp_npy_read_labels(&y, &n, labs[i], &err), RAMP_OK);
        assert_int_equal(n, 5);
        assert_memory_equal(y, want, sizeof want);
        free(y);
    }
    ramp_npy a;
    assert_int_equal(ramp_npy_read(&a, FIX "npy_i8.npy", 0, &err), RAMP_OK);
    assert_int_equal(a.dtype, RAMP_NPY_I8);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 5);
    assert_int_equal(a.shape[1], 1);
    ramp_npy_clear(&a);
    ramp_npy_clear(NULL);
}

static void expect_err(const char *file, ramp_status code, const char *msg)
{
    ramp_err err = {0};
    ramp_npy a;
    char path[512];
    snprintf(path, sizeof path, FIX "%s", file);
    ramp_status st = ramp_npy_read(&a, path, 0, &err);
    assert_int_equal(st, code);
    assert_null(a.data);
    char want[768];
    snprintf(want, sizeof want, "%s: %s", path, msg);
    assert_string_equal(err.msg, want);
}

static void test_errors(void **state)
{
    (void)state;
    expect_err("npy_badmagic.npy", RAMP_EFORMAT, "bad magic (not a .npy file)");
    expect_err("npy_fortran.npy", RAMP_EUNSUPPORTED,
               "fortran order is not supported (save a C-order array)");
    expect_err("npy_big_endian.npy", RAMP_EUNSUPPORTED,
               "unsupported dtype '>f8' (want '<f8', '<f4', '<i8' or '<i4')");
    expect_err("npy_3d.npy", RAMP_EUNSUPPORTED, "more than 2 dimensions are not supported");
    { /* which ramp_npy_read_nd reads, as its shape and a 2-D view */
        ramp_npy v;
        int nd;
        size_t dims[RAMP_NPY_MAX_DIMS];
        assert_int_equal(ramp_npy_read_nd(&v, &nd, dims, FIX "npy_3d.npy", 0, NULL), RAMP_OK);
        assert_int_equal(nd, 3);
        assert_true(dims[0] == 2 && dims[1] == 2 && dims[2] == 2);
        assert_true(v.ndim == 2 && v.shape[0] == 2 && v.shape[1] == 4 && v.dtype == RAMP_NPY_F8);
        assert_true(((double *)v.data)[7] == 0.0);
        ramp_npy_clear(&v);
        assert_int_equal(ramp_npy_read_nd(&v, &nd, dims, FIX "npy_f8.npy", 0, NULL), RAMP_OK);
        assert_true(nd == 2 && v.shape[0] == dims[0] && v.shape[1] == dims[1]);
        ramp_npy_clear(&v);
        assert_int_equal(ramp_npy_read_nd(&v, &nd, dims, FIX "npy_truncated.npy", 0, NULL),
                         RAMP_EFORMAT);
        assert_true(nd == 0 && v.data == NULL);
    }
    expect_err("npy_truncated.npy", RAMP_EFORMAT, "truncated data (91 of 96 bytes)");
    expect_err("no_such_file.npy", RAMP_ENOENT, "No such file or directory");

    ramp_err err = {0};
    int32_t *y;
    size_t n;
    assert_int_equal(ramp_npy_read_labels(&y, &n, FIX "npy_i8_big.npy", &err), RAMP_ERANGE);
    assert_null(y);
    assert_string_equal(err.msg, FIX "npy_i8_big.npy: label 1099511627776 at index 1 exceeds int32");
    double *d;
    size_t r, c;
    assert_int_equal(ramp_npy_read_matrix(&d, &r, &c, FIX "npy_i4.npy", &err), RAMP_EFORMAT);
    assert_string_equal(err.msg,
                        FIX "npy_i4.npy: expected a 2-D '<f8' or '<f4' matrix, found 1-D '<i4'");
    ramp_npy a;
    assert_int_equal(ramp_npy_read(&a, FIX "npy_f8.npy", 100, &err), RAMP_ETOOBIG);

    /* in-memory parser: header cut anywhere, junk after the data */
    uint8_t *buf;
    size_t len;
    assert_int_equal(ramp__read_file(FIX "npy_f8.npy", 1 << 20, &buf, &len, &err), RAMP_OK);
    for (size_t cut = 0; cut < len; cut += 7) {
        assert_int_not_equal(ramp_npy_parse(&a, buf, cut, "m", &err), RAMP_OK);
        assert_null(a.data);
    }
    assert_int_equal(ramp_npy_parse(&a, buf, len, "m", &err), RAMP_OK);
    check_a(a.data, a.shape[0], a.shape[1]);
    ramp_npy_clear(&a);
    uint8_t *big = malloc(len + 1);
    assert_non_null(big);
    memcpy(big, buf, len);
    big[len] = 0;
    assert_int_equal(ramp_npy_parse(&a, big, len + 1, "m", &err), RAMP_EFORMAT);
    assert_string_equal(err.msg, "m: 1 trailing bytes after the data");
    memcpy(big, buf, len);
    memcpy(big + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (3; 4), }", 60);
    assert_int_equal(ramp_npy_parse(&a, big, len, "m", &err), RAMP_EFORMAT);
    free(big);
    free(buf);
}

static void assert_same_file(const char *a, const char *b)
{
    uint8_t *x, *y;
    size_t lx, ly;
    ramp_err err;
    assert_int_equal(ramp__read_file(a, 1 << 20, &x, &lx, &err), RAMP_OK);
    assert_int_equal(ramp__read_file(b, 1 << 20, &y, &ly, &err), RAMP_OK);
    assert_int_equal(lx, ly);
    assert_memory_equal(x, y, lx);
    free(x);
    free(y);
}

static void test_write(void **state)
{
    (void)state;
    ramp_err err = {0};
    float af[12];
    double ad[12];
    for (int q = 0; q < 12; q++) {
        ad[q] = 40.0 * (q / 4) + 10.0 * (q % 4) + 0.25;
        af[q] = (float)ad[q];
    }
    assert_int_equal(ramp_npy_write_matrix_f(TMP "f4.npy", af, 3, 4, &err), RAMP_OK);
    assert_same_file(TMP "f4.npy", FIX "npy_ref_f4.npy");
    assert_int_equal(ramp_npy_write_matrix(TMP "f8.npy", ad, 3, 4, &err), RAMP_OK);
    assert_same_file(TMP "f8.npy", FIX "npy_f8.npy");
    const int32_t y[] = {0, 5, -3, 402, 7};
    assert_int_equal(ramp_npy_write_labels(TMP "i4.npy", y, 5, &err), RAMP_OK);
    assert_same_file(TMP "i4.npy", FIX "npy_ref_i4.npy");
    assert_int_equal(ramp_npy_write_matrix(TMP "empty.npy", NULL, 0, 3, &err), RAMP_OK);
    assert_same_file(TMP "empty.npy", FIX "npy_ref_empty.npy");

    /* round trip of a larger float matrix */
    size_t rows = 257, cols = 403;
    float *m = malloc(rows * cols * sizeof *m);
    assert_non_null(m);
    for (size_t q = 0; q < rows * cols; q++)
        m[q] = (float)q * 0.001f - 7.0f;
    assert_int_equal(ramp_npy_write_matrix_f(TMP "big.npy", m, rows, cols, &err), RAMP_OK);
    float *back;
    size_t r, c;
    assert_int_equal(ramp_npy_read_matrix_f(&back, &r, &c, TMP "big.npy", &err), RAMP_OK);
    assert_int_equal(r, rows);
    assert_int_equal(c, cols);
    assert_memory_equal(back, m, rows * cols * sizeof *m);
    free(back);
    free(m);
    for (const char *const *p = (const char *const[]){TMP "f4.npy", TMP "f8.npy", TMP "i4.npy",
                                                        TMP "empty.npy", TMP "big.npy", NULL};
         *p; p++)
        remove(*p);

    assert_int_equal(ramp_npy_write("/nonexistent-dir/x.npy", RAMP_NPY_F8, 2, 1, 1, ad, &err),
                     RAMP_EIO);
    assert_int_equal(ramp_npy_write(TMP "x.npy", (ramp_npy_dtype)9, 2, 1, 1, ad, &err),
                     RAMP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_numpy_files),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
