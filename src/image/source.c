/* source.c — where images come from: files, memory, raw pixels; format
 * sniffing; lazy decoding.
 *
 * Opening reads the whole file into the context's arena (no per-image
 * malloc) and parses only the header, so width, height and channels are
 * known and the pixel limit is enforced before any pixel memory is taken.
 * The pixels are decoded on first use into arena memory; a scaled decode
 * (JPEG only) makes a new, smaller image and leaves the lazy one untouched.
 * A 16-bit image decodes into its 16-bit samples; the 8-bit pixels that
 * every other operation reads are made from them (v >> 8) on first use.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/coreInt.h"
#include "image/imageInt.h"

ramp_img_format ramp_img_sniff(const void *bytes, size_t n)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    const uint8_t *b = bytes;
    if (!b) return RAMP_FMT_PIXELS;
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return RAMP_FMT_JPEG;
    if (n >= 8 && memcmp(b, png_sig, 8) == 0) return RAMP_FMT_PNG;
    return RAMP_FMT_PIXELS;
}

static const char *arena_name(ramp_pp *pp, const char *name)
{
    if (!name) return "";
    size_t n = strnlen(name, RAMP__IMG_NAME_MAX - 1);
    char *s = ramp_arena_alloc(pp->arena, n + 1);
    if (!s) return NULL;
    memcpy(s, name, n);
    s[n] = 0;
    return s;
}

/* Header parse of bytes already in the arena (or borrowed). */
static const ramp_image *lazy_image(ramp_pp *pp, const uint8_t *bytes, size_t n, const char *name)
{
    ramp_image *im = ramp_arena_alloc(pp->arena, sizeof *im);
    if (!im) return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory", name);
    memset(im, 0, sizeof *im);
    im->name = name;
    im->enc = bytes;
    im->enc_len = n;
    im->bits = 8;
    ramp__aff_identity(im->aff); /* a source is its own reference */
    im->format = ramp_img_sniff(bytes, n);
    ramp_status st;
    switch (im->format) {
    case RAMP_FMT_JPEG:
        st = ramp__jpeg_header(pp, im);
        break;
    case RAMP_FMT_PNG:
        st = ramp__png_header(pp, im);
        break;
    default:
        return ramp__img_fail(pp, RAMP_EFORMAT, "%s: unrecognised image format%s", name,
                              n == 0 ? " (empty file)" : "");
    }
    return st == RAMP_OK ? im : NULL;
}

const ramp_image *ramp_img_from_memory(ramp_pp *pp, const void *bytes, size_t n, const char *name)
{
    if (pp->status) return NULL; /* sticky (status.h, rule 4) */
    const char *nm = arena_name(pp, name);
    if (!nm) return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory", name ? name : "");
    if (!bytes && n) return ramp__img_fail(pp, RAMP_EINVAL, "%s: NULL bytes", nm);
    return lazy_image(pp, bytes, n, nm);
}

static void *arena_alloc_fn(void *arena, size_t n)
{
    return ramp_arena_alloc(arena, n);
}

const ramp_image *ramp_img_open(ramp_pp *pp, const char *path)
{
    if (pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (!path) return ramp__img_fail(pp, RAMP_EINVAL, "ramp_img_open: NULL path");
    const char *nm = arena_name(pp, path);
    if (!nm) return ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory", path);
    uint8_t *buf = NULL;
    size_t n = 0;
    ramp_err e;
    ramp_status st = ramp__read_file_with(path, RAMP__IMG_MAX_FILE_BYTES, arena_alloc_fn, pp->arena,
                                          &buf, &n, &e);
    if (st) return ramp__img_fail(pp, st, "%s", e.msg);
    return lazy_image(pp, buf, n, nm);
}

const ramp_image *ramp_img_from_pixels(ramp_pp *pp, const uint8_t *pixels, int width, int height,
                                       int channels, size_t stride)
{
    if (pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (!pixels) return ramp__img_fail(pp, RAMP_EINVAL, "ramp_img_from_pixels: NULL pixels");
    if (width > 0 && channels > 0 && stride < (size_t)width * (size_t)channels)
        return ramp__img_fail(pp, RAMP_EINVAL, "ramp_img_from_pixels: stride %zu < %d×%d", stride,
                              width, channels);
    ramp_image *im = ramp__img_new(pp, width, height, channels, NULL);
    if (!im) return NULL;
    for (int y = 0; y < height; y++)
        memcpy(im->pixels + (size_t)y * im->stride, pixels + (size_t)y * stride, im->stride);
    return im;
}

int ramp_img_width(const ramp_image *x)
{
    return x ? x->width : 0;
}
int ramp_img_height(const ramp_image *x)
{
    return x ? x->height : 0;
}
int ramp_img_channels(const ramp_image *x)
{
    return x ? x->channels : 0;
}
int ramp_img_bits(const ramp_image *x)
{
    return x ? (x->bits == 16 ? 16 : 8) : 0;
}
ramp_img_format ramp_img_format_of(const ramp_image *x)
{
    return x ? x->format : RAMP_FMT_PIXELS;
}
const char *ramp_img_name(const ramp_image *x)
{
    return x && x->name ? x->name : "";
}

/* Fills the decode cache of a lazy image (the one write to an image after
   creation; see imageInt.h). */
ramp_status ramp__img_decode_full(ramp_pp *pp, ramp_image *im)
{
    if (im->pixels || im->samples16) return RAMP_OK;
    if (im->format == RAMP_FMT_PNG && im->enc) return ramp__png_decode(pp, im);
    if (im->format != RAMP_FMT_JPEG || !im->enc) {
        ramp_pp_fail(pp, RAMP_EINTERNAL, "%s: image has no pixels", im->name);
        return RAMP_EINTERNAL;
    }
    size_t stride = (size_t)im->width * (size_t)im->channels;
    uint8_t *px = ramp_arena_alloc(pp->arena, stride * (size_t)im->height);
    if (!px) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d image", im->name, im->width,
                     im->height);
        return RAMP_ENOMEM;
    }
    ramp_status st = ramp__jpeg_decode(pp, im, px, im->width, im->height, stride);
    if (st != RAMP_OK) return st;
    im->pixels = px;
    im->stride = stride;
    return RAMP_OK;
}

/* The 8-bit cache of a 16-bit image: v >> 8 (see image.h). */
static ramp_status reduce16(ramp_pp *pp, ramp_image *im)
{
    size_t row = (size_t)im->width * (size_t)im->channels;
    uint8_t *px = ramp_arena_alloc(pp->arena, row * (size_t)im->height);
    if (!px) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d image", im->name, im->width,
                     im->height);
        return RAMP_ENOMEM;
    }
    for (int y = 0; y < im->height; y++) {
        const uint16_t *s = (const uint16_t *)(const void *)((const uint8_t *)im->samples16 +
                                                             (size_t)y * im->stride16);
        uint8_t *d = px + (size_t)y * row;
        for (size_t i = 0; i < row; i++)
            d[i] = (uint8_t)(s[i] >> 8);
    }
    im->pixels = px;
    im->stride = row;
    return RAMP_OK;
}

const uint8_t *ramp__img_px(ramp_pp *pp, const ramp_image *x)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (x->pixels) return x->pixels;
    ramp_image *im = (ramp_image *)x;
    if (ramp__img_decode_full(pp, im) != RAMP_OK) return NULL;
    if (!im->pixels && reduce16(pp, im) != RAMP_OK) return NULL;
    return im->pixels;
}

const uint8_t *ramp_img_pixels(ramp_pp *pp, const ramp_image *x, size_t *stride)
{
    const uint8_t *px = ramp__img_px(pp, x);
    if (stride) *stride = px ? x->stride : 0;
    return px;
}

const uint16_t *ramp_img_samples16(ramp_pp *pp, const ramp_image *x, size_t *stride_bytes)
{
    if (stride_bytes) *stride_bytes = 0;
    if (!x || x->bits != 16) return NULL;
    if (ramp__img_decode_full(pp, (ramp_image *)x) != RAMP_OK) return NULL;
    if (stride_bytes) *stride_bytes = x->stride16;
    return x->samples16;
}

const ramp_image *ramp_img_decode(ramp_pp *pp, const ramp_image *x)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    return ramp__img_decode_full(pp, (ramp_image *)x) == RAMP_OK ? x : NULL;
}

const ramp_image *ramp_img_decode_scaled(ramp_pp *pp, const ramp_image *x, int min_w, int min_h)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    /* An image opened from a JPEG always takes the scaled path, decoded or
       not, so a resize's result does not depend on what ran before it. */
    if (x->format != RAMP_FMT_JPEG || !x->enc) return ramp_img_decode(pp, x);
    int w, h;
    ramp__jpeg_scaled_size(x->width, x->height, min_w, min_h, &w, &h);
    if (w == x->width && h == x->height) return ramp_img_decode(pp, x);
    ramp_image *im = ramp__img_new(pp, w, h, x->channels, x);
    if (!im) return NULL;
    if (ramp__jpeg_decode(pp, x, im->pixels, w, h, im->stride) != RAMP_OK) return NULL;
    /* the decoder's own scale (output pixel i covers [i/f, (i+1)/f)): not
       w / x->width, which differs when the width is not a multiple of d */
    double f = ramp__jpeg_scale_factor(x->width, x->height, w, h);
    ramp__img_geom(im, x, (const double[6]){f, 0, 0, 0, f, 0});
    return im;
}
