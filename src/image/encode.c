/* encode.c — pixels to JPEG (TurboJPEG) or PNG (libspng), for building kits.
 *
 * This is not on the hot path: it makes its own encoder per call and returns
 * a buffer from malloc() so the caller, who has no context, frees it with
 * free(). JPEG: gray stays gray, RGB is written 4:2:0 (Pillow's default);
 * PNG: 8-bit, colour type from the channel count.
 */
#include <stdlib.h>
#include <string.h>
#include <spng.h>
#include <turbojpeg.h>

#include "core/coreInt.h"
#include "image/imageInt.h"

static ramp_status encode_jpeg(const uint8_t *pixels, int w, int h, int c, size_t stride,
                               int quality, uint8_t **out, size_t *out_len, ramp_err *err)
{
    if (c != 1 && c != 3)
        return ramp__err_set(err, RAMP_EINVAL, "JPEG encoding needs 1 or 3 channels, not %d", c);
    if (quality < 1 || quality > 100)
        return ramp__err_set(err, RAMP_EINVAL, "JPEG quality %d is outside 1–100", quality);
    int subsamp = c == 1 ? TJSAMP_GRAY : TJSAMP_420;
    unsigned long cap = tjBufSize(w, h, subsamp);
    if (cap == (unsigned long)-1)
        return ramp__err_set(err, RAMP_ETOOBIG, "JPEG of %d×%d is too large", w, h);
    unsigned char *buf = malloc(cap);
    if (!buf) return ramp__err_set(err, RAMP_ENOMEM, "out of memory for a %lu-byte JPEG", cap);
    tjhandle tj = tjInitCompress();
    if (!tj) {
        free(buf);
        return ramp__err_set(err, RAMP_ENOMEM, "cannot create a JPEG compressor");
    }
    unsigned long len = cap;
    /* NOREALLOC: the buffer stays ours (malloc'd), so free() is right for it */
    if (tjCompress2(tj, pixels, w, (int)stride, h, c == 1 ? TJPF_GRAY : TJPF_RGB, &buf, &len,
                    subsamp, quality, TJFLAG_NOREALLOC) != 0) {
        ramp_status st =
            ramp__err_set(err, RAMP_EINTERNAL, "JPEG encoding failed: %s", tjGetErrorStr2(tj));
        tjDestroy(tj);
        free(buf);
        return st;
    }
    tjDestroy(tj);
    uint8_t *shrunk = realloc(buf, len ? len : 1);
    *out = shrunk ? shrunk : buf;
    *out_len = len;
    return RAMP_OK;
}

static ramp_status encode_png(const uint8_t *pixels, int w, int h, int c, size_t stride, int level,
                              uint8_t **out, size_t *out_len, ramp_err *err)
{
    static const uint8_t ctypes[5] = {0, SPNG_COLOR_TYPE_GRAYSCALE, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
                                      SPNG_COLOR_TYPE_TRUECOLOR, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA};
    if (c < 1 || c > 4)
        return ramp__err_set(err, RAMP_EINVAL, "PNG encoding needs 1–4 channels, not %d", c);
    ramp_status st = RAMP_OK;
    size_t row = (size_t)w * (size_t)c;
    uint8_t *packed = NULL;
    const uint8_t *src = pixels;
    if (stride != row) {
        /* spng encodes a contiguous image; pack the rows */
        packed = malloc(row * (size_t)h);
        if (!packed)
            return ramp__err_set(err, RAMP_ENOMEM, "out of memory for a %d×%d image", w, h);
        for (int y = 0; y < h; y++)
            memcpy(packed + row * (size_t)y, pixels + stride * (size_t)y, row);
        src = packed;
    }
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (!ctx) {
        st = ramp__err_set(err, RAMP_ENOMEM, "cannot create a PNG encoder");
        goto done;
    }
    struct spng_ihdr ihdr = {
        .width = (uint32_t)w, .height = (uint32_t)h, .bit_depth = 8, .color_type = ctypes[c]};
    int e = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    if (!e && level >= 1 && level <= 9) e = spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, level);
    if (!e) e = spng_set_ihdr(ctx, &ihdr);
    if (!e) e = spng_encode_image(ctx, src, row * (size_t)h, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    if (e) {
        st = ramp__err_set(err, RAMP_EINTERNAL, "PNG encoding failed: %s", spng_strerror(e));
        goto done;
    }
    size_t len = 0;
    void *png = spng_get_png_buffer(ctx, &len, &e);
    if (!png) {
        st = ramp__err_set(err, e ? RAMP_EINTERNAL : RAMP_ENOMEM, "PNG encoding failed: %s",
                           spng_strerror(e));
        goto done;
    }
    /* spng's default allocator is malloc, so the caller's free() matches */
    *out = png;
    *out_len = len;
done:
    spng_ctx_free(ctx);
    free(packed);
    return st;
}

ramp_status ramp_img_encode(uint8_t **out, size_t *out_len, ramp_img_format fmt,
                            const uint8_t *pixels, int width, int height, int channels,
                            size_t stride, int quality, ramp_err *err)
{
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!pixels || !out || !out_len || width <= 0 || height <= 0 || channels < 1 ||
        stride < (size_t)width * (size_t)channels)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_img_encode: invalid arguments");
    ramp__err_clear(err);
    if (fmt == RAMP_FMT_JPEG)
        return encode_jpeg(pixels, width, height, channels, stride, quality, out, out_len, err);
    if (fmt == RAMP_FMT_PNG)
        return encode_png(pixels, width, height, channels, stride, quality, out, out_len, err);
    return ramp__err_set(err, RAMP_EINVAL, "ramp_img_encode: unknown format %d", (int)fmt);
}
