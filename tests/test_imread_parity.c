/* test_imread_parity.c — ramp's decoders against skimage.io.imread, the
 * function rampwf's image workflows read a kit's images with.
 *
 * tests/gen_image_fixtures.py --imread DIR writes a set of images (made by
 * Pillow where Pillow can write the kind: RGB, gray, LA, RGBA, 1-bit, P,
 * P+tRNS, gray and RGB with tRNS, 16-bit gray, JPEG RGB 4:2:0/4:4:4/4:2:2,
 * gray, progressive, CMYK with and without its Adobe marker; by its own PNG
 * writer for 16-bit RGB/RGBA/LA, 2- and 4-bit gray, 16-bit gray with tRNS,
 * an out-of-range palette index and Adam7; by libturbojpeg for YCCK) and
 * imread's array for each (NAME.imread.npy). This test decodes each with
 * ramp, writes NAME.ramp.npy (uint8, or uint16 for a 16-bit image, shape
 * H×W for one channel and H×W×C otherwise, as imread shapes them), and
 * --compare checks shape, dtype and every value: all must be identical, the
 * JPEGs too, since Pillow and TurboJPEG run the same libjpeg-turbo with the
 * same settings (accurate integer IDCT, fancy upsampling).
 *
 * Skipped (not passed) when python3 with skimage, Pillow and numpy is not
 * there. RAMP_TEST_PYTHON names another interpreter.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jconfig.h> /* LIBJPEG_TURBO_VERSION: the TurboJPEG ramp was built with */

#include "ramp/image.h"

#define GEN RAMP_SOURCE_DIR "/tests/gen_image_fixtures.py"
#define WORK RAMP_BINARY_DIR "/tests/test_imread_parity.work"

static const char *python(void)
{
    const char *py = getenv("RAMP_TEST_PYTHON");
    if (py && *py) return py;
    /* Debian's, with python3-skimage, rather than a pyenv shim on PATH */
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* A .npy file (format 1.0) of h × w [× c] samples, '|u1' or '<u2'. */
static void write_npy(const char *path, const void *rows, size_t stride, int h, int w, int c,
                      int bits)
{
    char shape[64], head[256];
    if (c == 1)
        snprintf(shape, sizeof shape, "(%d, %d)", h, w);
    else
        snprintf(shape, sizeof shape, "(%d, %d, %d)", h, w, c);
    int n = snprintf(head, sizeof head, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     bits == 16 ? "<u2" : "|u1", shape);
    int total = 10 + n + 1, pad = (64 - total % 64) % 64; /* numpy aligns the data to 64 */
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    uint16_t hl = (uint16_t)(n + pad + 1);
    uint8_t magic[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)(hl & 0xff), (uint8_t)(hl >> 8)};
    fwrite(magic, 1, 10, f);
    fwrite(head, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    size_t row = (size_t)w * (size_t)c * (bits == 16 ? 2 : 1);
    for (int y = 0; y < h; y++) {
        const uint8_t *r = (const uint8_t *)rows + (size_t)y * stride;
        if (bits == 16) {
            const uint16_t *s = (const uint16_t *)(const void *)r;
            for (size_t i = 0; i < row / 2; i++) {
                uint8_t le[2] = {(uint8_t)(s[i] & 0xff), (uint8_t)(s[i] >> 8)};
                fwrite(le, 1, 2, f);
            }
        } else {
            fwrite(r, 1, row, f);
        }
    }
    assert_int_equal(fclose(f), 0);
}

static void test_parity(void **state)
{
    (void)state;
    const char *py = python();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import skimage.io, PIL, numpy' >/dev/null 2>&1", py);
    if (system(cmd) != 0) {
        print_message("SKIPPED: %s cannot import skimage.io, PIL and numpy\n", py);
        skip();
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s' --imread '%s' 2>&1", py, GEN, WORK);
    if (system(cmd) != 0) fail_msg("%s failed", cmd);

    FILE *m = fopen(WORK "/manifest.txt", "r");
    assert_non_null(m);
    ramp_pp *pp;
    assert_int_equal(ramp_pp_new(&pp, NULL), RAMP_OK);
    char name[128], file[128], path[1024];
    int n = 0;
    while (fscanf(m, "%127s %127s", name, file) == 2) {
        ramp_pp_reset(pp);
        snprintf(path, sizeof path, WORK "/%s", file);
        const ramp_image *x = ramp_img_open(pp, path);
        int bits = ramp_img_bits(x);
        size_t stride = 0;
        const void *px = bits == 16 ? (const void *)ramp_img_samples16(pp, x, &stride)
                                    : (const void *)ramp_img_pixels(pp, x, &stride);
        if (!px) fail_msg("%s: %s", file, ramp_pp_errmsg(pp));
        snprintf(path, sizeof path, WORK "/%s.ramp.npy", name);
        write_npy(path, px, stride, ramp_img_height(x), ramp_img_width(x), ramp_img_channels(x),
                  bits);
        n++;
    }
    fclose(m);
    ramp_pp_free(pp);
    assert_true(n >= 30);

    /* the comparison, its table in the test's output */
#ifdef LIBJPEG_TURBO_VERSION
#define RAMP__STR(x) #x
#define RAMP__XSTR(x) RAMP__STR(x)
    print_message("ramp: built with libjpeg-turbo %s\n", RAMP__XSTR(LIBJPEG_TURBO_VERSION));
#endif
    snprintf(cmd, sizeof cmd, "'%s' '%s' --compare '%s' 2>&1", py, GEN, WORK);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512];
    while (fgets(line, sizeof line, p))
        print_message("%s", line);
    int rc = pclose(p);
    if (rc != 0) fail_msg("ramp's decode differs from skimage.io.imread (table above)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
