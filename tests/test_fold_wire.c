/* test_fold_wire.c — the fold specification keeps ramp_clf_info.device from
 * the trusted parent to the fold child: a wire encoded with the CUDA device
 * decodes to it (and the CPU to the CPU), and a wire whose device field is
 * neither (AUTO, which the CLI resolves before any fold, or garbage) is
 * refused; a CUDA fold's loader pins its batch buffers (pin_memory set by
 * the decode from the device, never by the wire: 1 for CUDA, 0 for the CPU,
 * whatever the parent's opts said). The field's offset follows fold_wire.c's layout: the magic, ten
 * u64 (n_classes, the loader's four, test_batch_size, seed, n_threads,
 * quick_test, fold), then the device, then the math (`ramp test --math`:
 * fp32, tf32 or bf16 carried as ramp_math's 0, 1, 2; another value
 * refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "submission/runInt.h"

enum { DEVICE_AT = 10 + 10 * 8, MATH_AT = DEVICE_AT + 8 };

static void encode_math(int device, int math, uint8_t **buf, size_t *len)
{
    ramp__fold_wire w;
    memset(&w, 0, sizeof w);
    w.n_classes = 3;
    w.info.seed = 5;
    w.info.fold = 2;
    w.info.device = device;
    w.info.math = math;
    w.loader.pin_memory = !device; /* not carried: the decode derives it */
    w.info.submission_dir = "/sub";
    w.imgs_dir = "/imgs";
    w.workflow = RAMP_WORKFLOW_IMAGE_CLASSIFIER;
    ramp_err err = {RAMP_OK, ""};
    assert_int_equal(ramp__fold_wire_encode(&w, buf, len, &err), RAMP_OK);
    assert_true(*len > MATH_AT + 8);
}

static void encode(int device, uint8_t **buf, size_t *len)
{
    encode_math(device, 0, buf, len);
}

static void test_device_round_trip(void **s)
{
    (void)s;
    for (int device = 0; device <= 1; device++) {
        uint8_t *buf;
        size_t len;
        encode(device, &buf, &len);
        assert_int_equal(buf[DEVICE_AT], device); /* where the layout says */
        ramp__fold_wire w;
        ramp_err err = {RAMP_OK, ""};
        assert_int_equal(ramp__fold_wire_decode(buf, len, &w, &err), RAMP_OK);
        assert_int_equal(w.info.device, device);
        assert_int_equal(w.loader.pin_memory, device);
        assert_int_equal(w.info.fold, 2);
        assert_string_equal(w.imgs_dir, "/imgs");
        ramp__fold_wire_clear(&w);
        free(buf);
    }
}

static void test_bad_device_refused(void **s)
{
    (void)s;
    uint8_t *buf;
    size_t len;
    encode(1, &buf, &len);
    buf[DEVICE_AT] = 2; /* AUTO never reaches a fold */
    ramp__fold_wire w;
    ramp_err err = {RAMP_OK, ""};
    assert_int_not_equal(ramp__fold_wire_decode(buf, len, &w, &err), RAMP_OK);
    free(buf);
}

static void test_math_round_trip(void **s)
{
    (void)s;
    for (int math = 0; math <= 2; math++) {
        uint8_t *buf;
        size_t len;
        encode_math(1, math, &buf, &len);
        assert_int_equal(buf[MATH_AT], math); /* where the layout says */
        ramp__fold_wire w;
        ramp_err err = {RAMP_OK, ""};
        assert_int_equal(ramp__fold_wire_decode(buf, len, &w, &err), RAMP_OK);
        assert_int_equal(w.info.math, math);
        assert_int_equal(w.info.device, 1);
        ramp__fold_wire_clear(&w);
        free(buf);
    }
}

static void test_bad_math_refused(void **s)
{
    (void)s;
    uint8_t *buf;
    size_t len;
    encode_math(0, 2, &buf, &len);
    buf[MATH_AT] = 3; /* no such math */
    ramp__fold_wire w;
    ramp_err err = {RAMP_OK, ""};
    assert_int_not_equal(ramp__fold_wire_decode(buf, len, &w, &err), RAMP_OK);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_round_trip),
        cmocka_unit_test(test_bad_device_refused),
        cmocka_unit_test(test_math_round_trip),
        cmocka_unit_test(test_bad_math_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
