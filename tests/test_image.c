/* test_image.c — decoding, operations and hostile input for ramp/image.h.
 *
 * References come from tests/fixtures/image/, made by
 * tests/gen_image_fixtures.py with tools independent of ramp:
 *   - PNG decode: skimage.io.imread 0.19 (imageio 2.4, Pillow 9.4), what
 *     rampwf gives a kit: channel counts, 16-bit samples and values
 *     (bit-exact expected);
 *   - JPEG decode: djpeg -pnm at scales 1, 1/2, 1/4, 1/8 (bit-exact
 *     expected); CMYK and YCCK: skimage.io.imread, scaled ones Pillow's
 *     draft() + convert("RGB") (bit-exact expected);
 *   - resize: Pillow resize(BILINEAR): bit-exact required (same fixed-point
 *     arithmetic; measured max |diff| 0 over 16 size/colour cases);
 *   - rotate: Pillow rotate(BILINEAR, fillcolor): max |diff| ≤ 1 everywhere
 *     and ≥ 99.9% of samples exact (measured: 3 of 41472 samples differ, by
 *     1: double rounding in the interpolation where a value lands within an
 *     ulp of an integer before truncation);
 *   - gray: Pillow convert("L") (bit-exact expected).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <turbojpeg.h>

#include "ramp/image.h"
#include "image/imageInt.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/image/"
#define RESIZE_MAX_DIFF 0
#define ROT_MAX_DIFF 1
#define ROT_FRAC_EXACT 0.999

typedef struct {
    int w, h, c;
    uint8_t *px;    /* maxval 255 */
    uint16_t *px16; /* maxval 65535 (big-endian in the file, host order here) */
} pnm;

/* Reads P5/P6/P7 with maxval 255 or 65535; fails the test on anything else. */
static pnm read_pnm(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, FIX "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    pnm p = {0, 0, 0, NULL, NULL};
    char magic[3] = {0};
    assert_int_equal(fread(magic, 1, 2, f), 2);
    int maxval = 0;
    if (magic[1] == '5' || magic[1] == '6') {
        assert_int_equal(fscanf(f, "%d %d %d", &p.w, &p.h, &maxval), 3);
        fgetc(f);
        p.c = magic[1] == '5' ? 1 : 3;
    } else if (magic[1] == '7') {
        char key[32], tupl[32];
        while (fscanf(f, "%31s", key) == 1 && strcmp(key, "ENDHDR") != 0) {
            if (!strcmp(key, "WIDTH"))
                assert_int_equal(fscanf(f, "%d", &p.w), 1);
            else if (!strcmp(key, "HEIGHT"))
                assert_int_equal(fscanf(f, "%d", &p.h), 1);
            else if (!strcmp(key, "DEPTH"))
                assert_int_equal(fscanf(f, "%d", &p.c), 1);
            else if (!strcmp(key, "MAXVAL"))
                assert_int_equal(fscanf(f, "%d", &maxval), 1);
            else if (!strcmp(key, "TUPLTYPE"))
                assert_int_equal(fscanf(f, "%31s", tupl), 1);
        }
        fgetc(f);
    } else {
        fail_msg("%s: not a PNM", path);
    }
    assert_true(maxval == 255 || maxval == 65535);
    size_t n = (size_t)p.w * p.h * p.c;
    if (maxval == 255) {
        p.px = malloc(n);
        assert_non_null(p.px);
        assert_int_equal(fread(p.px, 1, n, f), n);
    } else {
        uint8_t *be = malloc(2 * n);
        p.px16 = malloc(2 * n);
        assert_non_null(be);
        assert_non_null(p.px16);
        assert_int_equal(fread(be, 2, n, f), n);
        for (size_t i = 0; i < n; i++)
            p.px16[i] = (uint16_t)(be[2 * i] << 8 | be[2 * i + 1]);
        free(be);
    }
    fclose(f);
    return p;
}

/* Max |diff| between an image and a reference, and the count of samples
   differing by more than 1. Fails on a shape mismatch. */
static size_t g_nonzero; /* samples that differed at all in the last compare() */

static int compare(ramp_pp *pp, const ramp_image *x, const pnm *ref, size_t *over1)
{
    assert_non_null(x);
    assert_int_equal(ramp_img_width(x), ref->w);
    assert_int_equal(ramp_img_height(x), ref->h);
    assert_int_equal(ramp_img_channels(x), ref->c);
    size_t stride;
    const uint8_t *px = ramp_img_pixels(pp, x, &stride);
    assert_non_null(px);
    int maxd = 0;
    size_t n1 = 0, nz = 0, row = (size_t)ref->w * ref->c;
    for (int y = 0; y < ref->h; y++)
        for (size_t i = 0; i < row; i++) {
            int d = abs((int)px[y * stride + i] - (int)ref->px[y * row + i]);
            if (d > maxd) maxd = d;
            if (d > 1) n1++;
            if (d > 0) nz++;
        }
    g_nonzero = nz;
    if (over1) *over1 = n1;
    return maxd;
}

static void expect_exact(ramp_pp *pp, const ramp_image *x, const char *refname)
{
    pnm ref = read_pnm(refname);
    int d = compare(pp, x, &ref, NULL);
    if (d != 0) fail_msg("%s: max |diff| %d, expected bit-exact", refname, d);
    free(ref.px);
}

/* A w×h×c image whose every sample is distinct mod 256 and encodes (x, y, ch). */
static const ramp_image *pattern(ramp_pp *pp, int w, int h, int c)
{
    uint8_t buf[4096];
    size_t stride = (size_t)w * c + 3; /* padded rows exercise strides */
    assert_true(stride * h <= sizeof buf);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                buf[y * stride + x * c + k] = (uint8_t)(y * 37 + x * 5 + k * 101);
    const ramp_image *im = ramp_img_from_pixels(pp, buf, w, h, c, stride);
    assert_non_null(im);
    return im;
}

static uint8_t at(ramp_pp *pp, const ramp_image *im, int x, int y, int k)
{
    size_t stride;
    const uint8_t *px = ramp_img_pixels(pp, im, &stride);
    assert_non_null(px);
    return px[(size_t)y * stride + (size_t)x * ramp_img_channels(im) + k];
}

/* Reads a fixture file into malloc'd memory. */
static uint8_t *slurp(const char *name, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, FIX "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    uint8_t *b = malloc((size_t)len);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static ramp_pp *new_pp(void)
{
    ramp_pp *pp;
    assert_int_equal(ramp_pp_new(&pp, NULL), RAMP_OK);
    return pp;
}

/* ---- decoding ------------------------------------------------------------ */

static void test_png_decode(void **state)
{
    (void)state;
    /* channels as skimage.io.imread gives them: gray+alpha and colour
       palettes become RGBA, gray palettes (over the indices used) gray */
    static const struct {
        const char *name;
        int c;
    } cases[] = {
        {"g8", 1},
        {"ga8", 4},
        {"rgb8", 3},
        {"rgba8", 4},
        {"g16", 1},
        {"ga16", 4},
        {"rgb16", 3},
        {"rgba16", 4},
        {"g1", 1},
        {"g2", 1},
        {"g4", 1},
        {"pal8", 4},
        {"pal4", 4},
        {"pal8_trns", 4},
        {"rgb8_adam7", 3},
        {"pal_gray", 1},
        {"pal_gray_trns", 1},
        {"pal_gray_used", 1},
        {"pal_mixed", 4},
        {"pal1", 4},
        {"pal2", 4},
        {"pal_oob", 4},
        {"pal_gray_oob", 1},
        {"g8_trns", 1},
        {"rgb8_trns", 3},
        {"g16_trns", 1},
        {"rgb16_trns", 3},
        {"pal2_adam7", 4},
        {"g2_adam7", 1},
    };
    ramp_pp *pp = new_pp();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char png[96], ref[64];
        snprintf(png, sizeof png, FIX "%s.png", cases[i].name);
        snprintf(ref, sizeof ref, "%s.pnm", cases[i].name);
        const ramp_image *x = ramp_img_open(pp, png);
        if (!x) fail_msg("%s: %s", png, ramp_pp_errmsg(pp));
        assert_int_equal(ramp_img_format_of(x), RAMP_FMT_PNG);
        if (ramp_img_channels(x) != cases[i].c)
            fail_msg("%s: %d channels, expected %d", png, ramp_img_channels(x), cases[i].c);
        /* only 16-bit gray stays 16-bit (imread's uint16); 16-bit colour is uint8 */
        int wide = strcmp(cases[i].name, "g16") == 0 || strcmp(cases[i].name, "g16_trns") == 0;
        assert_int_equal(ramp_img_bits(x), wide ? 16 : 8);
        expect_exact(pp, x, ref);
        ramp_pp_reset(pp);
    }
    ramp_pp_free(pp);
}

/* Arena memory is reused after a reset; a decoder that assumes zeroed
   memory (libspng's interlaced sub-byte rows) must not see the old bytes. */
static void test_png_dirty_arena(void **state)
{
    (void)state;
    static const char *names[] = {"pal2_adam7", "g2_adam7", "pal1", "g1", "rgb8_adam7"};
    ramp_pp *pp = new_pp();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (int k = 0; k < 8; k++)
            memset(ramp_arena_alloc(ramp_pp_arena(pp), 4096), 0xff, 4096);
        ramp_pp_reset(pp);
        char png[96], ref[64];
        snprintf(png, sizeof png, FIX "%s.png", names[i]);
        snprintf(ref, sizeof ref, "%s.pnm", names[i]);
        expect_exact(pp, ramp_img_open(pp, png), ref);
        ramp_pp_reset(pp);
    }
    ramp_pp_free(pp);
}

static void test_jpeg_decode(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int c, w, h;
    } cases[] = {
        {"gray", 1, 61, 47},   {"rgb420", 3, 61, 47},         {"rgb444", 3, 61, 47},
        {"rgb422", 3, 61, 47}, {"rgb_prog", 3, 61, 47},       {"cmyk", 3, 16, 16},
        {"cmyk61", 3, 61, 47}, {"cmyk61_noadobe", 3, 61, 47}, {"ycck", 3, 61, 47},
    };
    ramp_pp *pp = new_pp();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], ref[64];
        snprintf(path, sizeof path, FIX "%s.jpg", cases[i].name);
        snprintf(ref, sizeof ref, "%s.pnm", cases[i].name);
        const ramp_image *x = ramp_img_open(pp, path);
        if (!x) fail_msg("%s: %s", path, ramp_pp_errmsg(pp));
        assert_int_equal(ramp_img_format_of(x), RAMP_FMT_JPEG);
        assert_int_equal(ramp_img_channels(x), cases[i].c);
        assert_int_equal(ramp_img_bits(x), 8);
        assert_int_equal(ramp_img_width(x), cases[i].w);
        assert_int_equal(ramp_img_height(x), cases[i].h);
        expect_exact(pp, x, ref);
    }
    ramp_pp_free(pp);
}

/* CMYK and YCCK at DCT scales 1/2, 1/4, 1/8 against Pillow's draft(), and
   a resize from a lazy CMYK JPEG taking the scaled path. */
static void test_cmyk_scaled(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    static const char *names[] = {"cmyk61", "ycck"};
    for (int i = 0; i < 2; i++) {
        char path[256], ref[64];
        snprintf(path, sizeof path, FIX "%s.jpg", names[i]);
        const ramp_image *x = ramp_img_open(pp, path);
        assert_non_null(x);
        snprintf(ref, sizeof ref, "%s_s2.pnm", names[i]);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 31, 24), ref);
        snprintf(ref, sizeof ref, "%s_s4.pnm", names[i]);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 16, 12), ref);
        snprintf(ref, sizeof ref, "%s_s8.pnm", names[i]);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 8, 6), ref);
        expect_exact(pp, ramp_img_resize(pp, x, 8, 6), ref);
        snprintf(ref, sizeof ref, "%s.pnm", names[i]);
        expect_exact(pp, x, ref);
        ramp_pp_reset(pp);
    }
    ramp_pp_free(pp);
}

static void test_jpeg_scaled(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    static const char *names[] = {"gray", "rgb420"};
    for (int i = 0; i < 2; i++) {
        char path[256], ref[64];
        snprintf(path, sizeof path, FIX "%s.jpg", names[i]);
        const ramp_image *x = ramp_img_open(pp, path);
        assert_non_null(x);
        /* 61×47: 1/2 → 31×24, 1/4 → 16×12, 1/8 → 8×6 */
        snprintf(ref, sizeof ref, "%s_s2.pnm", names[i]);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 17, 13), ref);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 31, 24), ref);
        snprintf(ref, sizeof ref, "%s_s4.pnm", names[i]);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 16, 9), ref);
        snprintf(ref, sizeof ref, "%s_s8.pnm", names[i]);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 8, 6), ref);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 1, 1), ref);
        /* a resize to exactly a DCT scale's size is that scaled decode */
        expect_exact(pp, ramp_img_resize(pp, x, 8, 6), ref);
        snprintf(ref, sizeof ref, "%s.pnm", names[i]);
        expect_exact(pp, ramp_img_decode_scaled(pp, x, 32, 10), ref); /* no scale covers 32 */
        /* the lazy image itself still decodes at full size */
        expect_exact(pp, x, ref);
        ramp_pp_reset(pp);
    }
    /* a resize from a lazy JPEG uses the scale: 61×47 → 10×7 reads the
       1/4-scale decode (16×12), so it equals resizing that */
    const ramp_image *x = ramp_img_open(pp, FIX "rgb420.jpg");
    const ramp_image *a = ramp_img_resize(pp, x, 10, 7);
    pnm s4 = read_pnm("rgb420_s4.pnm");
    const ramp_image *b = ramp_img_resize(
        pp, ramp_img_from_pixels(pp, s4.px, s4.w, s4.h, s4.c, (size_t)s4.w * s4.c), 10, 7);
    assert_non_null(a);
    assert_non_null(b);
    assert_memory_equal(ramp_img_pixels(pp, a, NULL), ramp_img_pixels(pp, b, NULL), 10 * 7 * 3);
    free(s4.px);
    ramp_pp_free(pp);
}

static void test_sniff_and_lazy(void **state)
{
    (void)state;
    static const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xe0};
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_int_equal(ramp_img_sniff(jpg, 4), RAMP_FMT_JPEG);
    assert_int_equal(ramp_img_sniff(jpg, 2), RAMP_FMT_PIXELS);
    assert_int_equal(ramp_img_sniff(png, 8), RAMP_FMT_PNG);
    assert_int_equal(ramp_img_sniff(png, 7), RAMP_FMT_PIXELS);
    assert_int_equal(ramp_img_sniff("GIF89a", 6), RAMP_FMT_PIXELS);
    assert_int_equal(ramp_img_sniff(NULL, 0), RAMP_FMT_PIXELS);

    ramp_pp *pp = new_pp();
    /* lazy: a truncated JPEG opens (header is fine) and fails at decode */
    const ramp_image *x = ramp_img_open(pp, FIX "truncated.jpg");
    assert_non_null(x);
    assert_int_equal(ramp_img_width(x), 61);
    assert_null(x->pixels);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    assert_null(ramp_img_pixels(pp, x, NULL));
    assert_int_equal(ramp_pp_status(pp), RAMP_EFORMAT);
    ramp_pp_reset(pp);
    /* from memory: the name is copied and used */
    FILE *f = fopen(FIX "g8.png", "rb");
    assert_non_null(f);
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char name[16] = "mem-image";
    x = ramp_img_from_memory(pp, buf, n, name);
    name[0] = 'X';
    assert_non_null(x);
    assert_string_equal(ramp_img_name(x), "mem-image");
    assert_int_equal(ramp_img_format_of(x), RAMP_FMT_PNG);
    expect_exact(pp, x, "g8.pnm");
    ramp_pp_free(pp);
}

/* ---- hostile input --------------------------------------------------------- */

static void expect_fail_open(const char *file, ramp_status st, const char *reason, int at_open)
{
    ramp_pp *pp = new_pp();
    char path[256];
    snprintf(path, sizeof path, FIX "%s", file);
    const ramp_image *x = ramp_img_open(pp, path);
    if (at_open) {
        assert_null(x);
    } else {
        assert_non_null(x);
        assert_int_equal(ramp_pp_status(pp), RAMP_OK);
        assert_null(ramp_img_resize(pp, x, 7, 5));
    }
    assert_null(ramp_img_resize(pp, NULL, 7, 5)); /* NULL propagates, error kept */
    ramp_tensor t = {0};
    if (ramp_pp_status(pp) != st)
        fail_msg("%s: status %s, expected %s (%s)", file, ramp_err_name(ramp_pp_status(pp)),
                 ramp_err_name(st), ramp_pp_errmsg(pp));
    assert_int_equal(ramp_img_to_tensor(pp, NULL, &t, RAMP_CHW, NULL, NULL), st);
    const char *msg = ramp_pp_errmsg(pp);
    if (!strstr(msg, path)) fail_msg("message does not name the file: %s", msg);
    if (reason && !strstr(msg, reason)) fail_msg("message lacks '%s': %s", reason, msg);
    ramp_pp_free(pp);
}

static void test_hostile(void **state)
{
    (void)state;
    expect_fail_open("empty", RAMP_EFORMAT, "unrecognised image format", 1);
    expect_fail_open("text.txt", RAMP_EFORMAT, "unrecognised image format", 1);
    expect_fail_open("huge_sof.jpg", RAMP_ETOOBIG, "60000×60000", 1);
    expect_fail_open("huge_ihdr.png", RAMP_ETOOBIG, "100000×100000", 1);
    expect_fail_open("bomb_ihdr.png", RAMP_EFORMAT, "cannot hold a 6000×6000 image", 1);
    expect_fail_open("bomb_sof.jpg", RAMP_EFORMAT, "cannot hold a 8000×7000 image", 1);
    expect_fail_open("no-such-file", RAMP_ENOENT, NULL, 1);
    expect_fail_open("truncated.jpg", RAMP_EFORMAT, "JPEG", 0);
    expect_fail_open("bad_crc.png", RAMP_EFORMAT, "checksum", 0);
    expect_fail_open("truncated.png", RAMP_EFORMAT, "PNG", 0);

    ramp_pp *pp = new_pp();
    /* a palette PNG decodes with its header, so its data errors come at open */
    size_t n;
    uint8_t *b = slurp("pal8.png", &n);
    assert_null(ramp_img_from_memory(pp, b, n - 20, "cut.png"));
    assert_int_equal(ramp_pp_status(pp), RAMP_EFORMAT);
    assert_non_null(strstr(ramp_pp_errmsg(pp), "cut.png: corrupt PNG"));
    free(b);
    ramp_pp_reset(pp);
    /* a JPEG frame of 2 components is corrupt (1, 3 and 4 are decoded) */
    b = slurp("rgb420.jpg", &n);
    size_t sof = 2;
    while (sof + 1 < n && !(b[sof] == 0xff && b[sof + 1] == 0xc0))
        sof++;
    assert_true(sof + 9 < n);
    b[sof + 9] = 2;
    assert_null(ramp_img_from_memory(pp, b, n, "two.jpg"));
    assert_int_equal(ramp_pp_status(pp), RAMP_EFORMAT);
    assert_string_equal(ramp_pp_errmsg(pp), "two.jpg: corrupt JPEG header: 2 components");
    free(b);
    ramp_pp_reset(pp);
    /* a truncated CMYK JPEG opens (its header is whole) and fails at decode */
    b = slurp("ycck.jpg", &n);
    const ramp_image *cut = ramp_img_from_memory(pp, b, n * 2 / 3, "cut.jpg");
    assert_non_null(cut);
    assert_null(ramp_img_pixels(pp, cut, NULL));
    assert_int_equal(ramp_pp_status(pp), RAMP_EFORMAT);
    assert_non_null(strstr(ramp_pp_errmsg(pp), "cut.jpg: truncated or corrupt JPEG data"));
    free(b);
    ramp_pp_reset(pp);

    /* the limit is settable and checked from the header */
    ramp_pp_set_max_pixels(pp, 61 * 47 - 1);
    assert_null(ramp_img_open(pp, FIX "rgb420.jpg"));
    assert_int_equal(ramp_pp_status(pp), RAMP_ETOOBIG);
    ramp_pp_reset(pp);
    ramp_pp_set_max_pixels(pp, 61 * 47);
    assert_non_null(ramp_img_open(pp, FIX "rgb420.jpg"));
    ramp_pp_set_max_pixels(pp, 0);                                 /* back to the default */
    assert_null(ramp_img_from_memory(pp, "\xff\xd8\xff", 3, "x")); /* header cut short */
    assert_int_equal(ramp_pp_status(pp), RAMP_EFORMAT);
    /* the first error wins */
    ramp_pp_fail(pp, RAMP_EIO, "later");
    assert_int_equal(ramp_pp_status(pp), RAMP_EFORMAT);
    ramp_pp_reset(pp);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    assert_string_equal(ramp_pp_errmsg(pp), "");
    ramp_pp_free(pp);
}

/* ---- 16-bit images ---------------------------------------------------- */

static void test_16bit(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    pnm r16 = read_pnm("g16_16.pnm"), r8 = read_pnm("g16.pnm");
    assert_non_null(r16.px16);
    const ramp_image *x = ramp_img_open(pp, FIX "g16.png");
    assert_non_null(x);
    assert_int_equal(ramp_img_bits(x), 16); /* from the header, before decoding */
    assert_null(x->samples16);
    size_t st16 = 1;
    const uint16_t *s = ramp_img_samples16(pp, x, &st16);
    assert_non_null(s);
    assert_int_equal(st16, (size_t)r16.w * 2);
    for (int y = 0; y < r16.h; y++)
        for (int i = 0; i < r16.w; i++)
            assert_int_equal(s[(size_t)y * st16 / 2 + i], r16.px16[y * r16.w + i]);
    assert_null(x->pixels); /* the 8-bit copy is made only when asked for */
    /* the 8-bit view is v >> 8, exactly */
    for (size_t i = 0; i < (size_t)r16.w * r16.h; i++)
        assert_int_equal(r8.px[i], r16.px16[i] >> 8);
    expect_exact(pp, x, "g16.pnm");
    assert_ptr_equal(ramp_img_samples16(pp, x, NULL), s); /* cached, not decoded again */

    /* a crop stays 16-bit: a view of both */
    const ramp_image *c = ramp_img_crop(pp, x, 3, 2, 11, 9);
    assert_int_equal(ramp_img_bits(c), 16);
    size_t cst;
    const uint16_t *cs = ramp_img_samples16(pp, c, &cst);
    assert_int_equal(cst, st16);
    assert_int_equal(cs[0], r16.px16[2 * r16.w + 3]);
    assert_int_equal(cs[8 * cst / 2 + 10], r16.px16[10 * r16.w + 13]);
    assert_int_equal(at(pp, c, 10, 8, 0), r8.px[10 * r8.w + 13]);

    /* every 8-bit operation equals the same operation on the 8-bit image */
    const ramp_image *e = ramp_img_from_pixels(pp, r8.px, r8.w, r8.h, 1, (size_t)r8.w);
    const ramp_image *pairs[][2] = {
        {ramp_img_resize(pp, x, 9, 7), ramp_img_resize(pp, e, 9, 7)},
        {ramp_img_rotate(pp, x, 33.0, 9), ramp_img_rotate(pp, e, 33.0, 9)},
        {ramp_img_flip_h(pp, x), ramp_img_flip_h(pp, e)},
        {ramp_img_rotate90(pp, x, 1), ramp_img_rotate90(pp, e, 1)},
        {ramp_img_rgb(pp, x), ramp_img_rgb(pp, e)},
        {ramp_img_resize(pp, c, 5, 4),
         ramp_img_resize(pp, ramp_img_crop(pp, e, 3, 2, 11, 9), 5, 4)},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        const ramp_image *a = pairs[k][0], *b = pairs[k][1];
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(ramp_img_bits(a), 8);
        assert_int_equal(ramp_img_width(a), ramp_img_width(b));
        assert_int_equal(ramp_img_height(a), ramp_img_height(b));
        assert_int_equal(ramp_img_channels(a), ramp_img_channels(b));
        assert_null(ramp_img_samples16(pp, a, NULL));
        for (int y = 0; y < ramp_img_height(a); y++)
            for (int i = 0; i < ramp_img_width(a); i++)
                for (int ch = 0; ch < ramp_img_channels(a); ch++)
                    assert_int_equal(at(pp, a, i, y, ch), at(pp, b, i, y, ch));
    }
    ramp_tensor ta = {0}, tb = {0};
    assert_int_equal(ramp_img_to_tensor(pp, x, &ta, RAMP_CHW | RAMP_SCALE01, NULL, NULL), RAMP_OK);
    assert_int_equal(ramp_img_to_tensor(pp, e, &tb, RAMP_CHW | RAMP_SCALE01, NULL, NULL), RAMP_OK);
    assert_memory_equal(ta.data, tb.data, sizeof(float) * (size_t)r8.w * r8.h);
    /* operations that change nothing return their input, still 16-bit */
    assert_ptr_equal(ramp_img_gray(pp, x), x);
    assert_ptr_equal(ramp_img_decode(pp, x), x);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);

    /* 8-bit images have no 16-bit samples, and that is no error */
    const ramp_image *g8 = ramp_img_open(pp, FIX "g8.png");
    assert_int_equal(ramp_img_bits(g8), 8);
    st16 = 7;
    assert_null(ramp_img_samples16(pp, g8, &st16));
    assert_int_equal(st16, 0);
    assert_int_equal(ramp_img_bits(NULL), 0);
    assert_null(ramp_img_samples16(pp, NULL, NULL));
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    ramp_pp_reset(pp);

    /* a corrupt 16-bit PNG: NULL with the error recorded */
    size_t n;
    uint8_t *b = slurp("g16.png", &n);
    const ramp_image *t = ramp_img_from_memory(pp, b, n - 16, "cut16.png");
    assert_non_null(t);
    assert_null(ramp_img_samples16(pp, t, NULL));
    assert_int_equal(ramp_pp_status(pp), RAMP_EFORMAT);
    assert_non_null(strstr(ramp_pp_errmsg(pp), "cut16.png: corrupt PNG"));
    free(b);
    /* g16 with tRNS: the same rules */
    ramp_pp_reset(pp);
    pnm t16 = read_pnm("g16_trns_16.pnm");
    t = ramp_img_open(pp, FIX "g16_trns.png");
    s = ramp_img_samples16(pp, t, &st16);
    assert_non_null(s);
    for (int y = 0; y < t16.h; y++)
        assert_memory_equal(s + (size_t)y * st16 / 2, t16.px16 + (size_t)y * t16.w,
                            (size_t)t16.w * 2);
    free(t16.px16);
    free(r16.px16);
    free(r8.px);
    ramp_pp_free(pp);
}

/* ---- two channels (gray + alpha) ----------------------------------------- */

/* Channel k of a 2-channel image as a gray image. */
static const ramp_image *plane(ramp_pp *pp, const ramp_image *x, int k)
{
    int w = ramp_img_width(x), h = ramp_img_height(x);
    uint8_t *buf = malloc((size_t)w * h);
    assert_non_null(buf);
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w; i++)
            buf[y * w + i] = at(pp, x, i, y, k);
    const ramp_image *g = ramp_img_from_pixels(pp, buf, w, h, 1, (size_t)w);
    free(buf);
    return g;
}

static void expect_same(ramp_pp *pp, const ramp_image *a, const ramp_image *b, int ka)
{
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(ramp_img_width(a), ramp_img_width(b));
    assert_int_equal(ramp_img_height(a), ramp_img_height(b));
    for (int y = 0; y < ramp_img_height(a); y++)
        for (int i = 0; i < ramp_img_width(a); i++)
            assert_int_equal(at(pp, a, i, y, ka), at(pp, b, i, y, 0));
}

static void test_two_channels(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const int w = 9, h = 7;
    const ramp_image *x = pattern(pp, w, h, 2);
    /* every geometric operation treats the two channels independently */
    for (int k = 0; k < 2; k++) {
        const ramp_image *g = plane(pp, x, k);
        expect_same(pp, ramp_img_resize(pp, x, 5, 4), ramp_img_resize(pp, g, 5, 4), k);
        expect_same(pp, ramp_img_resize(pp, x, 20, 13), ramp_img_resize(pp, g, 20, 13), k);
        expect_same(pp, ramp_img_rotate(pp, x, 21.0, 3), ramp_img_rotate(pp, g, 21.0, 3), k);
        expect_same(pp, ramp_img_rotate90(pp, x, 3), ramp_img_rotate90(pp, g, 3), k);
        expect_same(pp, ramp_img_flip_h(pp, x), ramp_img_flip_h(pp, g), k);
        expect_same(pp, ramp_img_flip_v(pp, x), ramp_img_flip_v(pp, g), k);
        expect_same(pp, ramp_img_crop(pp, x, 2, 1, 4, 5), ramp_img_crop(pp, g, 2, 1, 4, 5), k);
    }
    /* colour: gray = the first channel, BGR leaves it alone */
    assert_int_equal(ramp_img_channels(ramp_img_gray(pp, x)), 1);
    expect_same(pp, ramp_img_gray(pp, x), plane(pp, x, 0), 0);
    assert_ptr_equal(ramp_img_bgr(pp, x), x);
    /* tensor: CHW and HWC, BGR changes nothing, mean/std per channel */
    const float mean[2] = {3.0f, 100.0f}, sd[2] = {2.0f, 0.25f};
    float buf[2 * 9 * 7];
    ramp_tensor t = {buf, sizeof buf / sizeof buf[0], 0, {0}};
    assert_int_equal(ramp_img_to_tensor(pp, x, &t, RAMP_CHW | RAMP_BGR, mean, sd), RAMP_OK);
    assert_int_equal(t.shape[0], 2);
    assert_int_equal(t.shape[1], h);
    assert_int_equal(t.shape[2], w);
    ramp_tensor u = {0};
    assert_int_equal(ramp_img_to_tensor(pp, x, &u, RAMP_HWC | RAMP_SCALE01, NULL, NULL), RAMP_OK);
    assert_int_equal(u.shape[2], 2);
    for (int k = 0; k < 2; k++)
        for (int y = 0; y < h; y++)
            for (int i = 0; i < w; i++) {
                float v = (float)at(pp, x, i, y, k);
                assert_true(buf[(k * h + y) * w + i] == (v - mean[k]) / sd[k]);
                assert_true(u.data[(y * w + i) * 2 + k] == v / 255.0f);
            }
    ramp_pp_free(pp);
}

/* ---- resize and rotate against Pillow ------------------------------------ */

static void test_resize_vs_pillow(void **state)
{
    (void)state;
    static const int sizes[][2] = {{24, 18}, {17, 13}, {7, 5},   {5, 30},
                                   {48, 20}, {61, 45}, {96, 72}, {100, 9}};
    static const char *srcs[] = {"rgb", "g"};
    ramp_pp *pp = new_pp();
    int worst = 0;
    for (int s = 0; s < 2; s++) {
        char path[256], ref[96];
        snprintf(path, sizeof path, FIX "op_%s.png", srcs[s]);
        const ramp_image *x = ramp_img_open(pp, path);
        assert_non_null(x);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            snprintf(ref, sizeof ref, "op_%s_resize_%dx%d.pnm", srcs[s], sizes[i][0], sizes[i][1]);
            pnm r = read_pnm(ref);
            int d = compare(pp, ramp_img_resize(pp, x, sizes[i][0], sizes[i][1]), &r, NULL);
            if (d > RESIZE_MAX_DIFF) fail_msg("%s: max |diff| %d > %d", ref, d, RESIZE_MAX_DIFF);
            if (d > worst) worst = d;
            free(r.px);
        }
    }
    print_message("resize vs Pillow BILINEAR: max |diff| %d over 16 cases\n", worst);
    /* same size returns the image itself */
    const ramp_image *x = ramp_img_open(pp, FIX "op_g.png");
    assert_ptr_equal(ramp_img_resize(pp, x, 48, 36), x);
    assert_null(ramp_img_resize(pp, x, 0, 5));
    assert_int_equal(ramp_pp_status(pp), RAMP_EINVAL);
    ramp_pp_free(pp);
}

static void test_rotate_vs_pillow(void **state)
{
    (void)state;
    static const struct {
        double deg;
        const char *tag;
        int fill;
    } cases[] = {
        {15, "15", 0}, {-30, "m30", 128},   {45, "45", 255},
        {90, "90", 7}, {200.5, "200.5", 0}, {3, "3", 0},
    };
    static const char *srcs[] = {"rgb", "g"};
    ramp_pp *pp = new_pp();
    int worst = 0;
    size_t worst_over = 0, total = 0, nonzero = 0;
    for (int s = 0; s < 2; s++) {
        char path[256], ref[96];
        snprintf(path, sizeof path, FIX "op_%s.png", srcs[s]);
        const ramp_image *x = ramp_img_open(pp, path);
        assert_non_null(x);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            snprintf(ref, sizeof ref, "op_%s_rot_%s_%d.pnm", srcs[s], cases[i].tag, cases[i].fill);
            pnm r = read_pnm(ref);
            size_t over1 = 0, n = (size_t)r.w * r.h * r.c;
            int d = compare(pp, ramp_img_rotate(pp, x, cases[i].deg, (uint8_t)cases[i].fill), &r,
                            &over1);
            if (d > ROT_MAX_DIFF || (double)g_nonzero > (1.0 - ROT_FRAC_EXACT) * (double)n)
                fail_msg("%s: max |diff| %d, %zu of %zu samples differ", ref, d, g_nonzero, n);
            if (d > worst) worst = d;
            worst_over += over1;
            nonzero += g_nonzero;
            total += n;
            free(r.px);
        }
    }
    print_message("rotate vs Pillow: max |diff| %d; %zu of %zu samples differ, %zu by > 1\n", worst,
                  nonzero, total, worst_over);
    ramp_pp_free(pp);
}

/* ---- exact geometry and colour --------------------------------------------- */

static void test_geometry_exact(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const int w = 7, h = 5, c = 3;
    const ramp_image *x = pattern(pp, w, h, c);
    const ramp_image *r1 = ramp_img_rotate90(pp, x, 1), *r2 = ramp_img_rotate90(pp, x, 2),
                     *r3 = ramp_img_rotate90(pp, x, 3), *rm1 = ramp_img_rotate90(pp, x, -1);
    const ramp_image *fh = ramp_img_flip_h(pp, x), *fv = ramp_img_flip_v(pp, x);
    const ramp_image *r180 = ramp_img_rotate(pp, x, 180.0, 0),
                     *r360 = ramp_img_rotate(pp, x, -360, 0);
    assert_int_equal(ramp_img_width(r1), h);
    assert_int_equal(ramp_img_height(r1), w);
    assert_int_equal(ramp_img_width(r3), h);
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w; i++)
            for (int k = 0; k < c; k++) {
                uint8_t v = at(pp, x, i, y, k);
                /* counter-clockwise: the top-right corner goes to the top-left */
                assert_int_equal(at(pp, r1, y, w - 1 - i, k), v);
                assert_int_equal(at(pp, r2, w - 1 - i, h - 1 - y, k), v);
                assert_int_equal(at(pp, r3, h - 1 - y, i, k), v);
                assert_int_equal(at(pp, rm1, h - 1 - y, i, k), v);
                assert_int_equal(at(pp, fh, w - 1 - i, y, k), v);
                assert_int_equal(at(pp, fv, i, h - 1 - y, k), v);
                assert_int_equal(at(pp, r180, w - 1 - i, h - 1 - y, k), v);
                assert_int_equal(at(pp, r360, i, y, k), v);
            }
    /* flip_h for every pixel size (each has its own copy loop) */
    for (int cc = 1; cc <= 4; cc++) {
        const ramp_image *p = pattern(pp, w, h, cc), *f = ramp_img_flip_h(pp, p);
        for (int y = 0; y < h; y++)
            for (int i = 0; i < w; i++)
                for (int k = 0; k < cc; k++)
                    assert_int_equal(at(pp, f, w - 1 - i, y, k), at(pp, p, i, y, k));
    }
    /* crop is a view with the right origin; centre square */
    const ramp_image *cr = ramp_img_crop(pp, x, 2, 1, 3, 4);
    assert_int_equal(ramp_img_width(cr), 3);
    assert_int_equal(ramp_img_height(cr), 4);
    assert_int_equal(at(pp, cr, 0, 0, 0), at(pp, x, 2, 1, 0));
    assert_int_equal(at(pp, cr, 2, 3, 2), at(pp, x, 4, 4, 2));
    const ramp_image *sq = ramp_img_center_square(pp, x);
    assert_int_equal(ramp_img_width(sq), 5);
    assert_int_equal(ramp_img_height(sq), 5);
    assert_int_equal(at(pp, sq, 0, 0, 1), at(pp, x, 1, 0, 1));
    /* operations on a crop view respect its stride */
    const ramp_image *cf = ramp_img_flip_h(pp, cr);
    assert_int_equal(at(pp, cf, 0, 3, 1), at(pp, x, 4, 4, 1));
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    assert_null(ramp_img_crop(pp, x, 5, 0, 3, 1));
    assert_int_equal(ramp_pp_status(pp), RAMP_EINVAL);
    ramp_pp_free(pp);
}

static void test_colour(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    /* gray from RGB equals Pillow's convert("L") */
    const ramp_image *rgb = ramp_img_open(pp, FIX "op_rgb.png");
    expect_exact(pp, ramp_img_gray(pp, rgb), "op_rgb_gray.pnm");
    /* RGBA: drop alpha, gray of RGBA = gray of its RGB, BGR keeps alpha last */
    const ramp_image *x = pattern(pp, 4, 3, 4);
    const ramp_image *da = ramp_img_drop_alpha(pp, x), *g = ramp_img_gray(pp, x),
                     *bgr = ramp_img_bgr(pp, x), *r = ramp_img_rgb(pp, x);
    assert_int_equal(ramp_img_channels(da), 3);
    assert_int_equal(ramp_img_channels(g), 1);
    assert_int_equal(ramp_img_channels(bgr), 4);
    assert_int_equal(ramp_img_channels(r), 3);
    for (int y = 0; y < 3; y++)
        for (int i = 0; i < 4; i++) {
            unsigned R = at(pp, x, i, y, 0), G = at(pp, x, i, y, 1), B = at(pp, x, i, y, 2);
            for (int k = 0; k < 3; k++)
                assert_int_equal(at(pp, da, i, y, k), at(pp, x, i, y, k));
            for (int k = 0; k < 3; k++)
                assert_int_equal(at(pp, r, i, y, k), at(pp, x, i, y, k));
            assert_int_equal(at(pp, g, i, y, 0), (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16);
            assert_int_equal(at(pp, bgr, i, y, 0), B);
            assert_int_equal(at(pp, bgr, i, y, 1), G);
            assert_int_equal(at(pp, bgr, i, y, 2), R);
            assert_int_equal(at(pp, bgr, i, y, 3), at(pp, x, i, y, 3));
        }
    /* gray+alpha → RGB repeats the gray and drops alpha; gray → itself */
    const ramp_image *ga = pattern(pp, 3, 2, 2);
    const ramp_image *ga_rgb = ramp_img_rgb(pp, ga);
    assert_int_equal(ramp_img_channels(ga_rgb), 3);
    for (int k = 0; k < 3; k++)
        assert_int_equal(at(pp, ga_rgb, 2, 1, k), at(pp, ga, 2, 1, 0));
    assert_int_equal(ramp_img_channels(ramp_img_drop_alpha(pp, ga)), 1);
    const ramp_image *g1 = pattern(pp, 3, 2, 1);
    assert_ptr_equal(ramp_img_gray(pp, g1), g1);
    ramp_pp_free(pp);
}

/* ---- tensors ----------------------------------------------------------- */

static void test_tensor(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const int w = 4, h = 3, c = 3;
    const ramp_image *x = pattern(pp, w, h, c);
    const float mean[3] = {10.0f, 20.0f, 30.0f}, sd[3] = {2.0f, 4.0f, 0.5f};
    float buf[64];
    ramp_tensor t = {buf, 64, 0, {0}};
    /* CHW + BGR + mean/std */
    assert_int_equal(ramp_img_to_tensor(pp, x, &t, RAMP_CHW | RAMP_BGR, mean, sd), RAMP_OK);
    assert_ptr_equal(t.data, buf);
    assert_int_equal(t.ndim, 3);
    assert_int_equal(t.shape[0], c);
    assert_int_equal(t.shape[1], h);
    assert_int_equal(t.shape[2], w);
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h; y++)
            for (int i = 0; i < w; i++) {
                float want = ((float)at(pp, x, i, y, 2 - k) - mean[k]) / sd[k];
                assert_true(buf[(k * h + y) * w + i] == want);
            }
    /* HWC, scaled to [0, 1], no mean/std; arena-allocated */
    ramp_tensor u = {0};
    assert_int_equal(ramp_img_to_tensor(pp, x, &u, RAMP_HWC | RAMP_SCALE01, NULL, NULL), RAMP_OK);
    assert_non_null(u.data);
    assert_int_equal(u.shape[0], h);
    assert_int_equal(u.shape[1], w);
    assert_int_equal(u.shape[2], c);
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w; i++)
            for (int k = 0; k < c; k++)
                assert_true(u.data[(y * w + i) * c + k] == (float)at(pp, x, i, y, k) / 255.0f);
    /* too small a buffer */
    ramp_tensor small = {buf, 35, 0, {0}};
    assert_int_equal(ramp_img_to_tensor(pp, x, &small, RAMP_CHW, NULL, NULL), RAMP_ESHAPE);
    ramp_pp_reset(pp);
    /* a failed chain reports its first error */
    const ramp_image *y = ramp_img_resize(pp, ramp_img_open(pp, FIX "text.txt"), 32, 32);
    assert_null(y);
    assert_int_equal(ramp_img_to_tensor(pp, ramp_img_rgb(pp, y), &t, RAMP_CHW, NULL, NULL),
                     RAMP_EFORMAT);
    ramp_pp_free(pp);
}

/* ---- random operations ------------------------------------------------- */

static void run_random(ramp_pp *pp, uint64_t seed, uint64_t index, uint8_t *out, size_t n)
{
    ramp_pp_reset(pp);
    ramp_pp_seed(pp, seed, 3, index);
    const ramp_image *x = ramp_img_open(pp, FIX "op_rgb.png");
    x = ramp_img_random_crop(pp, x, 30, 20);
    x = ramp_img_random_flip_h(pp, x, 0.5);
    x = ramp_img_random_flip_v(pp, x, 0.5);
    x = ramp_img_random_rotate(pp, x, 25.0, 0);
    assert_non_null(x);
    assert_int_equal(ramp_img_width(x), 30);
    size_t stride;
    const uint8_t *px = ramp_img_pixels(pp, x, &stride);
    for (int y = 0; y < 20; y++)
        memcpy(out + (size_t)y * 90, px + y * stride, 90);
    (void)n;
}

/* ---- resize + crop, fused -------------------------------------------------- */

/* a and b have the same shape and samples */
static void assert_same_image(ramp_pp *pp, const ramp_image *a, const ramp_image *b,
                              const char *what)
{
    assert_non_null(a);
    assert_non_null(b);
    int w = ramp_img_width(a), h = ramp_img_height(a), c = ramp_img_channels(a);
    if (w != ramp_img_width(b) || h != ramp_img_height(b) || c != ramp_img_channels(b))
        fail_msg("%s: shape %d×%d×%d vs %d×%d×%d", what, w, h, c, ramp_img_width(b),
                 ramp_img_height(b), ramp_img_channels(b));
    size_t sa, sb;
    const uint8_t *pa = ramp_img_pixels(pp, a, &sa), *pb = ramp_img_pixels(pp, b, &sb);
    assert_non_null(pa);
    assert_non_null(pb);
    for (int y = 0; y < h; y++)
        if (memcmp(pa + (size_t)y * sa, pb + (size_t)y * sb, (size_t)w * (size_t)c))
            fail_msg("%s: row %d differs", what, y);
}

/* ramp_img_resize_crop() is the window of ramp_img_resize() bit for bit:
   shrinking and enlarging, each axis alone, 1, 3 and 4 channels, strided
   input, a JPEG taking DCT scaling, windows at the corners and inside; the
   random variant draws as ramp_img_random_crop() does. */
static void test_resize_crop(void **state)
{
    (void)state;
    static const int sizes[][2] = {{24, 18}, {17, 13}, {48, 20}, {30, 36}, {61, 45},
                                   {96, 72}, {100, 9}, {12, 12}, {48, 36}};
    ramp_pp *pp = new_pp();
    const ramp_image *src[5];
    src[0] = ramp_img_open(pp, FIX "op_rgb.png");
    src[1] = ramp_img_open(pp, FIX "op_g.png");
    src[2] = pattern(pp, 30, 25, 4);
    src[3] = ramp_img_crop(pp, pattern(pp, 40, 30, 3), 3, 2, 33, 25); /* a strided view */
    src[4] = ramp_img_open(pp, FIX "rgb420.jpg"); /* 61×47: DCT-scaled below 31×24 */
    int cases = 0;
    for (int s = 0; s < 5; s++) {
        assert_non_null(src[s]);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            int rw = sizes[i][0], rh = sizes[i][1];
            const ramp_image *full = ramp_img_resize(pp, src[s], rw, rh);
            int win[][4] = {{0, 0, rw, rh},
                            {0, 0, rw / 2 + 1, rh / 3 + 1},
                            {rw - rw / 3 - 1, rh - rh / 2 - 1, rw / 3 + 1, rh / 2 + 1},
                            {rw / 4, rh / 5, rw / 2, rh / 2 + 1},
                            {rw - 1, 0, 1, 1}};
            for (size_t k = 0; k < sizeof win / sizeof win[0]; k++) {
                int *v = win[k];
                if (v[2] < 1 || v[3] < 1) continue;
                char what[96];
                snprintf(what, sizeof what, "source %d, %d×%d, window (%d, %d, %d×%d)", s, rw, rh,
                         v[0], v[1], v[2], v[3]);
                assert_same_image(pp,
                                  ramp_img_resize_crop(pp, src[s], rw, rh, v[0], v[1], v[2], v[3]),
                                  ramp_img_crop(pp, full, v[0], v[1], v[2], v[3]), what);
                cases++;
            }
        }
    }
    print_message("resize_crop == crop(resize): %d cases\n", cases);
    /* the random variant: same draws and samples as resize + random_crop */
    for (uint64_t i = 0; i < 8; i++) {
        ramp_pp_seed(pp, 5, 1, i);
        const ramp_image *a = ramp_img_resize_random_crop(pp, src[0], 40, 30, 24, 24);
        uint64_t next_a = ramp_rng_u64(ramp_pp_rng(pp));
        ramp_pp_seed(pp, 5, 1, i);
        const ramp_image *b = ramp_img_random_crop(pp, ramp_img_resize(pp, src[0], 40, 30), 24, 24);
        assert_int_equal(ramp_rng_u64(ramp_pp_rng(pp)), next_a);
        assert_same_image(pp, a, b, "random crop");
    }
    /* a window outside the resized image */
    assert_null(ramp_img_resize_crop(pp, src[0], 20, 10, 15, 0, 6, 10));
    assert_int_equal(ramp_pp_status(pp), RAMP_EINVAL);
    ramp_pp_reset(pp);
    assert_null(ramp_img_resize_random_crop(pp, ramp_img_open(pp, FIX "op_g.png"), 20, 10, 21, 5));
    assert_int_equal(ramp_pp_status(pp), RAMP_EINVAL);
    ramp_pp_free(pp);
}

/* The SIMD resize passes (resize.c: RGB horizontal, every vertical, on
   x86-64 with SSSE3; RGB horizontal on AVX2) give the scalar reference
   passes' samples exactly:
   random sizes (odd, tiny, a photo's 500×375 → 341×256), 1 to 4 channels,
   shrinking and enlarging, windows anywhere, strided views, and pixels that
   are random, all 0, all 255, or 0/255 stripes (the clip at both ends). */
static uint64_t xs64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_resize_simd(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(__GNUC__)
    if (!__builtin_cpu_supports("ssse3")) {
        print_message("no SSSE3: resizes take the scalar passes only\n");
        return;
    }
    int avx2 = __builtin_cpu_supports("avx2");
#else
    print_message("not x86-64: resizes take the scalar passes only\n");
    return;
    int avx2 = 0;
#endif
    ramp_pp *pp = new_pp();
    uint64_t seed = 0x9e3779b97f4a7c15u;
    int cases = 0;
    for (int it = 0; it < 600; it++) {
        ramp_pp_reset(pp);
        int c = 1 + (int)(xs64(&seed) % 4);
        if (it % 3 == 0) c = 3; /* the photo path: most cases RGB */
        int w, h, rw, rh;
        if (it < 20) { /* the photo task's sizes */
            w = 500 - (int)(xs64(&seed) % 3);
            h = 375;
            rw = 341;
            rh = 256;
        } else {
            w = 1 + (int)(xs64(&seed) % 90);
            h = 1 + (int)(xs64(&seed) % 70);
            rw = 1 + (int)(xs64(&seed) % (unsigned)(2 * w + 4));
            rh = 1 + (int)(xs64(&seed) % (unsigned)(2 * h + 4));
        }
        int pad = (int)(xs64(&seed) % 5);
        size_t stride = (size_t)w * (size_t)c + (size_t)pad;
        uint8_t *buf = malloc(stride * (size_t)h);
        assert_non_null(buf);
        int kind = it % 4; /* random, 0, 255, 0/255 stripes */
        for (size_t i = 0; i < stride * (size_t)h; i++)
            buf[i] = kind == 0   ? (uint8_t)xs64(&seed)
                     : kind == 1 ? 0
                     : kind == 2 ? 255
                                 : (uint8_t)((i / (size_t)c) % 2 ? 255 : 0);
        const ramp_image *x = ramp_img_from_pixels(pp, buf, w, h, c, stride);
        free(buf);
        assert_non_null(x);
        if (it % 5 == 4 && w > 2 && h > 2) /* a strided view */
            x = ramp_img_crop(pp, x, 1, 1, w - 2, h - 2);
        w = ramp_img_width(x);
        h = ramp_img_height(x);
        if (it >= 20 && xs64(&seed) % 4 == 0) rw = w; /* vertical pass alone */
        if (it >= 20 && xs64(&seed) % 4 == 0) rh = h; /* horizontal pass alone */
        for (int k = 0; k < 4; k++) {
            int cw = k == 0 ? rw : 1 + (int)(xs64(&seed) % (unsigned)rw);
            int ch = k == 0 ? rh : 1 + (int)(xs64(&seed) % (unsigned)rh);
            if (it < 20 && k > 0) cw = ch = 224;
            int x0 = (int)(xs64(&seed) % (unsigned)(rw - cw + 1));
            int y0 = (int)(xs64(&seed) % (unsigned)(rh - ch + 1));
            pp->simd = 1; /* the scalar reference */
            const ramp_image *ref = ramp_img_resize_crop(pp, x, rw, rh, x0, y0, cw, ch);
            for (int level = 2; level <= 3; level++) { /* SSSE3, then AVX2 where there is */
                pp->simd = level;
                const ramp_image *a = ramp_img_resize_crop(pp, x, rw, rh, x0, y0, cw, ch);
                char what[160];
                snprintf(what, sizeof what,
                         "passes %d: %d×%d×%d → %d×%d, window (%d, %d, %d×%d), pixels %d", level, w,
                         h, c, rw, rh, x0, y0, cw, ch, kind);
                assert_same_image(pp, a, ref, what);
                cases++;
            }
            pp->simd = 0;
        }
    }
    print_message("SIMD resize == scalar resize: %d cases (AVX2 %s)\n", cases,
                  avx2 ? "tested" : "absent: SSSE3 twice");
    ramp_pp_free(pp);
}

/* ramp_img_flip_h() with its SIMD RGB rows (geometry.c) reverses every
   row exactly: widths 1 to 80 around the five-pixel steps, 1 to 4
   channels, strided views, against a plain reversal and the scalar path. */
static void test_flip_simd(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    uint64_t seed = 0x2545f4914f6cdd1du;
    int cases = 0;
    for (int w = 1; w <= 80; w++)
        for (int c = 1; c <= 4; c++) {
            ramp_pp_reset(pp);
            int h = 1 + (int)(xs64(&seed) % 4), pad = (int)(xs64(&seed) % 4);
            size_t stride = (size_t)w * (size_t)c + (size_t)pad;
            uint8_t *buf = malloc(stride * (size_t)h);
            assert_non_null(buf);
            for (size_t i = 0; i < stride * (size_t)h; i++)
                buf[i] = (uint8_t)xs64(&seed);
            const ramp_image *x = ramp_img_from_pixels(pp, buf, w, h, c, stride);
            assert_non_null(x);
            if (w > 2 && c == 3) x = ramp_img_crop(pp, x, 1, 0, w - 2, h); /* strided */
            int xw = ramp_img_width(x);
            size_t xs;
            const uint8_t *px = ramp_img_pixels(pp, x, &xs);
            pp->simd = 1;
            const ramp_image *ref = ramp_img_flip_h(pp, x);
            pp->simd = 0;
            const ramp_image *f = ramp_img_flip_h(pp, x);
            assert_same_image(pp, f, ref, "flip_h SIMD vs scalar");
            size_t fs;
            const uint8_t *fp = ramp_img_pixels(pp, f, &fs);
            for (int y = 0; y < h; y++)
                for (int i = 0; i < xw; i++)
                    if (memcmp(fp + (size_t)y * fs + (size_t)i * (size_t)c,
                               px + (size_t)y * xs + (size_t)(xw - 1 - i) * (size_t)c, (size_t)c))
                        fail_msg("flip_h %d×%d×%d: pixel (%d, %d) is not the mirror", xw, h, c, i,
                                 y);
            free(buf);
            cases++;
        }
    print_message("flip_h == reversed rows: %d cases\n", cases);
    ramp_pp_free(pp);
}

/* A JPEG resized at full size (no DCT scale reaches the target) and
   windowed decodes only the rows and columns the window reads (jpeg.c,
   ramp__jpeg_decode_window): the result equals the same resize of the fully
   decoded image, byte for byte, for 4:2:0, 4:2:2, 4:4:0, 4:1:1, 4:4:4 and
   gray, baseline and progressive, odd sizes and windows anywhere (the row
   skip and the column crop both taken). A truncated file, and one whose
   damage lies below the window, fail with the full decode's status and
   message. */
static void test_jpeg_window(void **state)
{
    (void)state;
    static const int samps[] = {TJSAMP_420, TJSAMP_422, TJSAMP_440,
                                TJSAMP_411, TJSAMP_444, TJSAMP_GRAY};
    ramp_pp *pp = new_pp();
    uint64_t seed = 0x51af0c3d2e9b7a61u;
    int cases = 0;
    for (int it = 0; it < 96; it++) {
        int W = 40 + (int)(xs64(&seed) % 160), H = 40 + (int)(xs64(&seed) % 140);
        int samp = samps[it % 6], prog = (it / 6) % 2;
        /* smooth gradients plus noise: real chroma to upsample */
        uint8_t *rgb = malloc((size_t)W * (size_t)H * 3);
        assert_non_null(rgb);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int k = 0; k < 3; k++)
                    rgb[((size_t)y * W + x) * 3 + k] =
                        (uint8_t)((x * (k + 1) * 3 + y * (3 - k) * 2) + xs64(&seed) % 40);
        unsigned char *jpg = NULL;
        unsigned long n = 0;
        /* a fresh compressor each time: TurboJPEG 2.1 keeps a progressive
           setting into the next image's compression */
        tjhandle tj = tjInitCompress();
        assert_non_null(tj);
        assert_int_equal(tjCompress2(tj, rgb, W, 0, H, TJPF_RGB, &jpg, &n, samp, 90,
                                     prog ? TJFLAG_PROGRESSIVE : 0),
                         0);
        tjDestroy(tj);
        free(rgb);
        for (int k = 0; k < 6; k++) {
            ramp_pp_reset(pp);
            /* targets past half size: no DCT scale, the full-size path */
            int rw = W / 2 + 1 + (int)(xs64(&seed) % (unsigned)W);
            int rh = H / 2 + 1 + (int)(xs64(&seed) % (unsigned)H);
            if (rw == W) rw++;
            if (rh == H) rh++;
            int cw = 1 + (int)(xs64(&seed) % (unsigned)(rw * 2 / 3));
            int ch = 1 + (int)(xs64(&seed) % (unsigned)(rh * 2 / 3));
            int x0 = (int)(xs64(&seed) % (unsigned)(rw - cw + 1));
            int y0 = (int)(xs64(&seed) % (unsigned)(rh - ch + 1));
            const ramp_image *lazy = ramp_img_from_memory(pp, jpg, n, "w.jpg");
            const ramp_image *full = ramp_img_decode(pp, ramp_img_from_memory(pp, jpg, n, "w.jpg"));
            if (!lazy || !full) fail_msg("%s", ramp_pp_errmsg(pp));
            const ramp_image *a = ramp_img_resize_crop(pp, lazy, rw, rh, x0, y0, cw, ch);
            const ramp_image *b = ramp_img_resize_crop(pp, full, rw, rh, x0, y0, cw, ch);
            char what[160];
            snprintf(what, sizeof what, "%d×%d samp %d%s → %d×%d, window (%d, %d, %d×%d)", W, H,
                     samp, prog ? " progressive" : "", rw, rh, x0, y0, cw, ch);
            assert_same_image(pp, a, b, what);
            cases++;
        }
        tjFree(jpg);
    }
    assert_non_null(pp->jpeg_win); /* the window path ran */
    print_message("window decode == full decode: %d cases\n", cases);

    /* damaged files: the status and message of the full decode */
    uint8_t *rgb = malloc(160 * 120 * 3);
    assert_non_null(rgb);
    for (size_t i = 0; i < 160 * 120 * 3; i++)
        rgb[i] = (uint8_t)(i * 7 + xs64(&seed) % 50);
    unsigned char *jpg = NULL;
    unsigned long n = 0;
    tjhandle tj = tjInitCompress();
    assert_non_null(tj);
    assert_int_equal(tjCompress2(tj, rgb, 160, 0, 120, TJPF_RGB, &jpg, &n, TJSAMP_420, 90, 0), 0);
    free(rgb);
    for (int dmg = 0; dmg < 2; dmg++) {
        unsigned long m = dmg == 0 ? n * 3 / 4 : n; /* truncated; corrupt near the end */
        uint8_t *bad = malloc(n);
        assert_non_null(bad);
        memcpy(bad, jpg, n);
        if (dmg == 1)
            for (unsigned long i = n - n / 10; i < n - 2; i++)
                bad[i] = (uint8_t)(i * 31);
        char msg_full[1024];
        ramp_pp_reset(pp);
        const ramp_image *f = ramp_img_decode(pp, ramp_img_from_memory(pp, bad, m, "bad.jpg"));
        assert_null(f);
        ramp_status st_full = ramp_pp_status(pp);
        snprintf(msg_full, sizeof msg_full, "%s", ramp_pp_errmsg(pp));
        ramp_pp_reset(pp);
        /* the window: the top rows only, the damage lies below it */
        const ramp_image *w = ramp_img_resize_crop(pp, ramp_img_from_memory(pp, bad, m, "bad.jpg"),
                                                   100, 75, 10, 0, 40, 20);
        assert_null(w);
        assert_int_equal(ramp_pp_status(pp), st_full);
        assert_string_equal(ramp_pp_errmsg(pp), msg_full);
        free(bad);
    }
    tjFree(jpg);
    tjDestroy(tj);
    ramp_pp_free(pp);
}

/* A large CHW tensor written into the caller's buffer takes the streaming
   stores (tensor.c, from 512 KiB): the same floats as the arena path, at
   any alignment of the buffer. */
static void test_tensor_stream(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    uint64_t seed = 0x6a09e667f3bcc909u;
    int w = 301, h = 223, c = 3;
    size_t n = (size_t)w * (size_t)h * (size_t)c;
    assert_true(n * sizeof(float) >= ((size_t)512 << 10));
    uint8_t *px = malloc(n);
    float *buf = malloc((n + 3) * sizeof(float));
    assert_non_null(px);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        px[i] = (uint8_t)xs64(&seed);
    const ramp_image *x = ramp_img_from_pixels(pp, px, w, h, c, (size_t)w * (size_t)c);
    assert_non_null(x);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    ramp_tensor ref = {0};
    assert_int_equal(ramp_img_to_tensor(pp, x, &ref, RAMP_CHW | RAMP_SCALE01, mean, sd), RAMP_OK);
    for (int off = 0; off < 4; off++) { /* 0–3 floats past the buffer's alignment */
        memset(buf, 0xff, (n + 3) * sizeof(float));
        ramp_tensor t = {buf + off, n, 0, {0, 0, 0, 0}};
        assert_int_equal(ramp_img_to_tensor(pp, x, &t, RAMP_CHW | RAMP_SCALE01, mean, sd), RAMP_OK);
        assert_ptr_equal(t.data, buf + off);
        assert_memory_equal(t.data, ref.data, n * sizeof(float));
    }
    free(buf);
    free(px);
    ramp_pp_free(pp);
}

static void test_random_ops(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    uint8_t a[1800], b[1800];
    run_random(pp, 42, 7, a, sizeof a);
    run_random(pp, 42, 7, b, sizeof b);
    assert_memory_equal(a, b, sizeof a); /* same (seed, epoch, index): same result */
    int differ = 0;
    for (uint64_t i = 8; i < 12; i++) {
        run_random(pp, 42, i, b, sizeof b);
        differ += memcmp(a, b, sizeof a) != 0;
    }
    assert_true(differ >= 3); /* other samples draw other augmentations */
    /* p = 0 never flips, p = 1 always does */
    ramp_pp_reset(pp);
    const ramp_image *x = pattern(pp, 5, 4, 1);
    assert_int_equal(at(pp, ramp_img_random_flip_h(pp, x, 0.0), 0, 0, 0), at(pp, x, 0, 0, 0));
    assert_int_equal(at(pp, ramp_img_random_flip_h(pp, x, 1.0), 0, 0, 0), at(pp, x, 4, 0, 0));
    assert_null(ramp_img_random_crop(pp, x, 6, 1));
    ramp_pp_free(pp);
}

/* ---- arena reuse --------------------------------------------------------- */

/* status.h, rule 4: a failure is sticky in the pp handle; every later
   operation returns NULL (to_tensor the status), whatever its input, until
   ramp_pp_reset; the first message is kept. */
static void test_sticky_error(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    const uint8_t px[4] = {1, 2, 3, 4};
    const ramp_image *good = ramp_img_from_pixels(pp, px, 2, 2, 1, 2);
    assert_non_null(good);
    assert_null(ramp_img_resize(pp, good, 0, 3));
    assert_int_equal(ramp_pp_status(pp), RAMP_EINVAL);
    char first[512];
    snprintf(first, sizeof first, "%s", ramp_pp_errmsg(pp));
    assert_true(first[0] != 0);
    /* later operations on a good image, and new sources, give NULL */
    assert_null(ramp_img_flip_h(pp, good));
    assert_null(ramp_img_rgb(pp, good));
    assert_null(ramp_img_crop(pp, good, 0, 0, 1, 1));
    assert_null(ramp_img_pixels(pp, good, NULL));
    assert_null(ramp_img_from_pixels(pp, px, 2, 2, 1, 2));
    assert_null(ramp_img_open(pp, "/no/such/file.png"));
    float buf[4];
    ramp_tensor t = {.data = buf};
    assert_int_equal(ramp_img_to_tensor(pp, good, &t, RAMP_CHW, NULL, NULL), RAMP_EINVAL);
    assert_string_equal(ramp_pp_errmsg(pp), first); /* the first message stays */
    /* reset clears it */
    ramp_pp_reset(pp);
    assert_int_equal(ramp_pp_status(pp), RAMP_OK);
    assert_string_equal(ramp_pp_errmsg(pp), "");
    good = ramp_img_from_pixels(pp, px, 2, 2, 1, 2);
    assert_non_null(ramp_img_flip_h(pp, good));
    ramp_pp_free(pp);
    ramp_err e;
    assert_int_equal(ramp_pp_new(NULL, &e), RAMP_EINVAL);
    assert_string_equal(e.msg, "ramp_pp_new: out is NULL");
}

static void test_arena_reuse(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    size_t reserved = 0;
    for (int it = 0; it < 200; it++) {
        ramp_pp_reset(pp);
        const ramp_image *x = ramp_img_open(pp, it % 2 ? FIX "rgb420.jpg" : FIX "rgba8.png");
        x = ramp_img_resize(pp, ramp_img_rgb(pp, x), 32, 32);
        ramp_tensor t = {0};
        assert_int_equal(ramp_img_to_tensor(pp, x, &t, RAMP_CHW, NULL, NULL), RAMP_OK);
        if (it == 10) reserved = ramp_arena_reserved(ramp_pp_arena(pp));
        if (it > 10) assert_int_equal(ramp_arena_reserved(ramp_pp_arena(pp)), reserved);
    }
    assert_true(reserved > 0);
    ramp_pp_free(pp);
}

/* ---- encoding ------------------------------------------------------------ */

static void test_encode(void **state)
{
    (void)state;
    ramp_pp *pp = new_pp();
    for (int c = 1; c <= 4; c++) {
        const ramp_image *x = pattern(pp, 9, 6, c);
        size_t stride;
        const uint8_t *px = ramp_img_pixels(pp, x, &stride);
        uint8_t *png = NULL;
        size_t len = 0;
        ramp_err err;
        assert_int_equal(ramp_img_encode(&png, &len, RAMP_FMT_PNG, px, 9, 6, c, stride, 0, &err),
                         RAMP_OK);
        const ramp_image *y = ramp_img_from_memory(pp, png, len, "enc.png");
        assert_non_null(y);
        /* gray+alpha is written as such and read back as RGBA, as imread does */
        static const int back[5][4] = {{0}, {0}, {0, 0, 0, 1}, {0, 1, 2}, {0, 1, 2, 3}};
        assert_int_equal(ramp_img_channels(y), c == 2 ? 4 : c);
        for (int j = 0; j < 6; j++)
            for (int i = 0; i < 9; i++)
                for (int k = 0; k < ramp_img_channels(y); k++)
                    assert_int_equal(at(pp, y, i, j, k), at(pp, x, i, j, back[c][k]));
        if (c == 1 || c == 3) {
            uint8_t *jpg = NULL;
            assert_int_equal(
                ramp_img_encode(&jpg, &len, RAMP_FMT_JPEG, px, 9, 6, c, stride, 95, &err), RAMP_OK);
            const ramp_image *z = ramp_img_from_memory(pp, jpg, len, "enc.jpg");
            assert_int_equal(ramp_img_format_of(z), RAMP_FMT_JPEG);
            assert_int_equal(ramp_img_channels(z), c);
            assert_non_null(ramp_img_pixels(pp, z, NULL));
            free(jpg);
        } else {
            uint8_t *jpg = (uint8_t *)&err;
            assert_int_equal(
                ramp_img_encode(&jpg, &len, RAMP_FMT_JPEG, px, 9, 6, c, stride, 95, &err),
                RAMP_EINVAL);
            assert_null(jpg);
        }
        ramp_pp_reset(pp);
        free(png);
    }
    /* a smooth image survives JPEG at quality 95 closely */
    const ramp_image *x = ramp_img_open(pp, FIX "op_rgb.png");
    size_t stride;
    const uint8_t *px = ramp_img_pixels(pp, x, &stride);
    uint8_t *jpg = NULL;
    size_t len = 0;
    assert_int_equal(ramp_img_encode(&jpg, &len, RAMP_FMT_JPEG, px, 48, 36, 3, stride, 95, NULL),
                     RAMP_OK);
    const ramp_image *z = ramp_img_from_memory(pp, jpg, len, "enc.jpg");
    double sum = 0;
    for (int j = 0; j < 36; j++)
        for (int i = 0; i < 48; i++)
            for (int k = 0; k < 3; k++)
                sum += abs((int)at(pp, z, i, j, k) - (int)at(pp, x, i, j, k));
    print_message("JPEG q95 round trip: mean |diff| %.2f\n", sum / (48 * 36 * 3));
    assert_true(sum / (48 * 36 * 3) < 8.0);
    free(jpg);
    ramp_pp_free(pp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_decode),
        cmocka_unit_test(test_jpeg_decode),
        cmocka_unit_test(test_jpeg_scaled),
        cmocka_unit_test(test_sniff_and_lazy),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_resize_vs_pillow),
        cmocka_unit_test(test_resize_crop),
        cmocka_unit_test(test_resize_simd),
        cmocka_unit_test(test_flip_simd),
        cmocka_unit_test(test_jpeg_window),
        cmocka_unit_test(test_tensor_stream),
        cmocka_unit_test(test_rotate_vs_pillow),
        cmocka_unit_test(test_geometry_exact),
        cmocka_unit_test(test_colour),
        cmocka_unit_test(test_tensor),
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_arena_reuse),
        cmocka_unit_test(test_sticky_error),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_cmyk_scaled),
        cmocka_unit_test(test_16bit),
        cmocka_unit_test(test_two_channels),
        cmocka_unit_test(test_png_dirty_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
