/* test_segmentation.c — the confusion matrix and its four scores against
 * numpy (tests/gen_segmentation_fixtures.py), streamed image by image and in
 * odd-sized batches, merged across handles, and the errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/npy.h"
#include "ramp/segmentation.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/segmentation/"

static void close_to(double got, double want, const char *what)
{
    if (!(fabs(got - want) <= 1e-12)) {
        print_error("%s: got %.17g want %.17g\n", what, got, want);
        fail();
    }
}

static ramp_status add(ramp_seg_confusion *cm, int bits, const int32_t *t, const int32_t *p,
                       size_t n)
{
    ramp_status st;
    if (bits == 8) {
        uint8_t *a = malloc(n + 1), *b = malloc(n + 1);
        assert_non_null(a);
        assert_non_null(b);
        for (size_t i = 0; i < n; i++) {
            a[i] = (uint8_t)t[i];
            b[i] = (uint8_t)p[i];
        }
        st = ramp_seg_confusion_add_u8(cm, a, b, n);
        free(a);
        free(b);
    } else {
        uint16_t *a = malloc(2 * n + 2), *b = malloc(2 * n + 2);
        assert_non_null(a);
        assert_non_null(b);
        for (size_t i = 0; i < n; i++) {
            a[i] = (uint16_t)t[i];
            b[i] = (uint16_t)p[i];
        }
        st = ramp_seg_confusion_add_u16(cm, a, b, n);
        free(a);
        free(b);
    }
    return st;
}

static void test_fixtures(void **state)
{
    (void)state;
    FILE *f = fopen(FIX "expected.txt", "r");
    assert_non_null(f);
    char line[1024];
    int n_cases = 0;
    while (fgets(line, sizeof line, f)) {
        char name[32], tf[64], pf[64];
        int n, ignore, bits, off;
        if (sscanf(line, "case %31s %d %d %d %63s %63s%n", name, &n, &ignore, &bits, tf, pf,
                   &off) != 6)
            continue;
        size_t sizes[16], n_img = 0;
        for (char *s = line + off, *end; n_img < 16; s = end) {
            unsigned long v = strtoul(s, &end, 10);
            if (end == s) break;
            sizes[n_img++] = v;
        }
        double want[4];
        int nt, np_;
        assert_non_null(fgets(line, sizeof line, f));
        assert_int_equal(sscanf(line, "scores %lf %lf %lf %lf %d %d", &want[0], &want[1],
                                &want[2], &want[3], &nt, &np_),
                         6);
        char path[512];
        int32_t *t, *p;
        size_t len, len2;
        ramp_err err = {0};
        snprintf(path, sizeof path, FIX "%s", tf);
        assert_int_equal(ramp_npy_read_labels(&t, &len, path, &err), RAMP_OK);
        snprintf(path, sizeof path, FIX "%s", pf);
        assert_int_equal(ramp_npy_read_labels(&p, &len2, path, &err), RAMP_OK);
        assert_int_equal(len, len2);

        /* a: image by image; b: batches of 997 pixels over two handles, merged */
        ramp_seg_confusion *a, *b, *b2;
        assert_int_equal(ramp_seg_confusion_new(&a, n, ignore, &err), RAMP_OK);
        assert_int_equal(ramp_seg_confusion_new(&b, n, ignore, &err), RAMP_OK);
        assert_int_equal(ramp_seg_confusion_new(&b2, n, ignore, &err), RAMP_OK);
        size_t at = 0;
        for (size_t i = 0; i < n_img; i++) {
            assert_int_equal(add(a, bits, t + at, p + at, sizes[i]), RAMP_OK);
            at += sizes[i];
        }
        assert_int_equal(at, len);
        for (size_t q = 0, k = 0; q < len; q += 997, k++) {
            size_t m = len - q < 997 ? len - q : 997;
            assert_int_equal(add(k % 2 ? b2 : b, bits, t + q, p + q, m), RAMP_OK);
        }
        assert_int_equal(ramp_seg_confusion_merge(b, b2), RAMP_OK);
        assert_memory_equal(ramp_seg_confusion_counts(a), ramp_seg_confusion_counts(b),
                            (size_t)n * (size_t)n * sizeof(uint64_t));
        ramp_seg_scores s = ramp_seg_confusion_scores(a);
        close_to(s.pixel_accuracy, want[0], "pixel accuracy");
        close_to(s.mean_accuracy, want[1], "mean accuracy");
        close_to(s.mean_iu, want[2], "mean IU");
        close_to(s.fw_iu, want[3], "frequency-weighted IU");
        assert_int_equal(s.n_truth_classes, nt);
        assert_int_equal(s.n_present_classes, np_);
        ramp_seg_confusion_free(a);
        ramp_seg_confusion_free(b);
        ramp_seg_confusion_free(b2);
        free(t);
        free(p);
        n_cases++;
    }
    fclose(f);
    assert_int_equal(n_cases, 2);
}

static void test_small_and_errors(void **state)
{
    (void)state;
    ramp_err err = {0};
    ramp_seg_confusion *cm;
    assert_int_equal(ramp_seg_confusion_new(&cm, 3, 255, &err), RAMP_OK);
    ramp_seg_scores s = ramp_seg_confusion_scores(cm); /* no pixel yet: NaN */
    assert_true(isnan(s.pixel_accuracy) && isnan(s.mean_iu) && s.n_pixels == 0);
    /* truth 0 0 1 1 255, pred 0 1 1 1 2: n00=1 n01=1 n11=2; class 2 absent */
    const uint8_t t[] = {0, 0, 1, 1, 255}, p[] = {0, 1, 1, 1, 2};
    assert_int_equal(ramp_seg_confusion_add_u8(cm, t, p, 5), RAMP_OK);
    assert_string_equal(ramp_seg_confusion_errmsg(cm), "");
    s = ramp_seg_confusion_scores(cm);
    assert_int_equal(s.n_pixels, 4);
    close_to(s.pixel_accuracy, 3.0 / 4, "pa");
    close_to(s.mean_accuracy, (0.5 + 1.0) / 2, "ma");
    close_to(s.mean_iu, (1.0 / 2 + 2.0 / 3) / 2, "miu"); /* class 2 excluded */
    close_to(s.fw_iu, (2 * 0.5 + 2 * 2.0 / 3) / 4, "fwiu");
    /* a bad pixel leaves the matrix unchanged */
    const uint8_t tb[] = {0, 3}, pb[] = {0, 0};
    assert_int_equal(ramp_seg_confusion_add_u8(cm, tb, pb, 2), RAMP_ERANGE);
    assert_string_equal(ramp_seg_confusion_errmsg(cm),
                        "segmentation: true label 3 at pixel 1 outside [0, 3)");
    const uint8_t pc[] = {0, 7};
    assert_int_equal(ramp_seg_confusion_add_u8(cm, t, pc, 2), RAMP_ERANGE);
    assert_string_equal(ramp_seg_confusion_errmsg(cm),
                        "segmentation: predicted label 7 at pixel 1 outside [0, 3)");
    assert_int_equal(ramp_seg_confusion_add_u8(cm, NULL, pc, 2), RAMP_EINVAL);
    assert_string_equal(ramp_seg_confusion_errmsg(cm),
                        "segmentation: NULL truth or prediction buffer");
    assert_int_equal(ramp_seg_confusion_counts(cm)[0], 1);
    ramp_seg_confusion *other;
    assert_int_equal(ramp_seg_confusion_new(&other, 4, 255, &err), RAMP_OK);
    assert_int_equal(ramp_seg_confusion_merge(cm, other), RAMP_EINVAL);
    assert_string_equal(ramp_seg_confusion_errmsg(cm),
                        "segmentation: merging unlike matrices (4 classes, ignore 255, into 3 "
                        "classes, ignore 255)");
    ramp_seg_confusion_free(other);
    ramp_seg_confusion_free(cm);
    ramp_seg_confusion_free(NULL);
    assert_int_equal(ramp_seg_confusion_new(&cm, 0, 255, &err), RAMP_EINVAL);
    assert_null(cm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_small_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
