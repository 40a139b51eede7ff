/* imageInt.h — the image module's private structures and helpers.
 *
 * A ramp_image is a small header in the context's arena. A lazy image keeps
 * the encoded bytes (`enc`, `enc_len`) and fills `pixels` on first use; the
 * public API hands out `const ramp_image *`, and the decode cache is the only
 * field ever written after creation (by the owning thread, see image.h).
 * Decoded pixels are interleaved 8-bit samples, `stride` bytes per row.
 */
#ifndef RAMP_IMAGE_INT_H
#define RAMP_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/image.h"

#define RAMP__IMG_NAME_MAX 512
/* Encoded files larger than this are refused before reading them. */
#define RAMP__IMG_MAX_FILE_BYTES ((size_t)256 << 20)

struct ramp_pp {
    ramp_arena *arena;
    ramp_rng rng;
    uint64_t max_pixels;
    ramp_status status; /* first error since the last reset */
    char msg[1024];
    void *tj_dec; /* TurboJPEG decompressor, made on first use, kept across resets */
};

struct ramp_image {
    int width, height, channels;
    ramp_img_format format;
    const char *name; /* arena copy; "" if none */
    /* encoded form (lazy images only) */
    const uint8_t *enc;
    size_t enc_len;
    /* decoded pixels (NULL until decoded) */
    uint8_t *pixels;
    size_t stride;
};

/* Records an error in pp (first one wins) and returns NULL, so a failing
   operation reads `return ramp__img_fail(pp, RAMP_EINVAL, "...")`. */
const ramp_image *ramp__img_fail(ramp_pp *pp, ramp_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A new decoded image w × h × c with uninitialised pixels (stride w*c) in
   the arena; NULL (and ENOMEM recorded) on failure. `like` gives the name. */
ramp_image *ramp__img_new(ramp_pp *pp, int w, int h, int c, const ramp_image *like);

/* Pixels of x, decoding if needed (NULL on error, recorded in pp). */
const uint8_t *ramp__img_px(ramp_pp *pp, const ramp_image *x);

/* JPEG (jpeg.c). Header: fills width/height/channels, checks limits. */
ramp_status ramp__jpeg_header(ramp_pp *pp, ramp_image *im);
/* Decodes im->enc at output size w × h (a DCT scale of the full size) into
   `dst` (rows `stride` bytes apart, im->channels per pixel). */
ramp_status ramp__jpeg_decode(ramp_pp *pp, const ramp_image *im, uint8_t *dst, int w, int h,
                              size_t stride);
/* Smallest DCT scale (num/denom with num = 1, denom in 1, 2, 4, 8) whose output covers
   min_w × min_h: writes the scaled size. */
void ramp__jpeg_scaled_size(int w, int h, int min_w, int min_h, int *out_w, int *out_h);

/* PNG (png.c). */
ramp_status ramp__png_header(ramp_pp *pp, ramp_image *im);
ramp_status ramp__png_decode(ramp_pp *pp, ramp_image *im);

/* Checks w × h against the context's limit; records ETOOBIG naming `name`. */
ramp_status ramp__img_check_size(ramp_pp *pp, const char *name, uint64_t w, uint64_t h);

#endif
