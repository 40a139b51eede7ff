/* imageInt.h — the image module's private structures and helpers.
 *
 * A ramp_image is a small header in the context's arena. A lazy image keeps
 * the encoded bytes (`enc`, `enc_len`) and fills `pixels` on first use; the
 * public API hands out `const ramp_image *`, and the decode cache is the only
 * field ever written after creation (by the owning thread, see image.h).
 * Decoded pixels are interleaved 8-bit samples, `stride` bytes per row.
 * A 16-bit image (bits == 16: a 16-bit gray PNG, which imread gives as
 * uint16) decodes into `samples16`; its 8-bit `pixels` (v >> 8) are made
 * from them on first use by an 8-bit operation, and cached the same way.
 *
 * Every image carries `aff`, the affine map from its source image's pixel
 * coordinates to its own (image.h, "where each pixel came from"): the
 * identity for an opened or fresh image; ramp__img_new() copies the map of
 * the image it is made `like`, which is right for colour operations, and
 * each geometric operation then composes its own step onto it
 * (ramp__img_geom()).
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
    void *tj_dec;   /* TurboJPEG decompressor, made on first use, kept across resets */
    void *jpeg_win; /* libjpeg decompressor of window decodes (jpeg.c), the same */
    /* the SIMD code paths (resize.c, geometry.c): 0 the best the CPU has;
       1 none (the scalar reference), 2 SSSE3 at most, 3 AVX2 at most.
       Tests set it to compare them. */
    int simd;
    /* the map and size of the last ramp_img_to_tensor() since the reset
       (ramp_pp_geometry()); geo_ok 0 when none */
    double geo[6];
    int geo_w, geo_h, geo_ok;
};

struct ramp_image {
    int width, height, channels;
    ramp_img_format format;
    const char *name; /* arena copy; "" if none */
    /* encoded form (lazy images only) */
    const uint8_t *enc;
    size_t enc_len;
    int bits;      /* 8, or 16 when the decoded samples are 16-bit (see image.h) */
    int jpeg_cmyk; /* JPEG with 4 components (CMYK or YCCK), decoded to RGB */
    /* decoded pixels (NULL until decoded) */
    uint8_t *pixels;
    size_t stride;
    /* 16-bit samples, host-endian (bits == 16 only; NULL until decoded) */
    uint16_t *samples16;
    size_t stride16; /* bytes between rows of samples16 */
    /* source pixel coordinates → this image's: (x, y) ↦
       (aff[0] x + aff[1] y + aff[2], aff[3] x + aff[4] y + aff[5]) */
    double aff[6];
};

/* Records an error in pp (first one wins) and returns NULL, so a failing
   operation reads `return ramp__img_fail(pp, RAMP_EINVAL, "...")`. */
const ramp_image *ramp__img_fail(ramp_pp *pp, ramp_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A new decoded image w × h × c with uninitialised pixels (stride w*c) in
   the arena; NULL (and ENOMEM recorded) on failure. `like` gives the name
   and the affine map (the identity when like is NULL): a geometric
   operation then sets the map with ramp__img_geom(). */
ramp_image *ramp__img_new(ramp_pp *pp, int w, int h, int c, const ramp_image *like);

/* 8-bit pixels of x, decoding (and reducing 16-bit samples) if needed
   (NULL on error, recorded in pp). */
const uint8_t *ramp__img_px(ramp_pp *pp, const ramp_image *x);

/* Full decode of a lazy image into its native depth (pixels, or samples16
   for a 16-bit image); RAMP_OK at once for a decoded image. */
ramp_status ramp__img_decode_full(ramp_pp *pp, ramp_image *im);

/* JPEG (jpeg.c). Header: fills width/height/channels (and jpeg_cmyk),
   checks limits. */
ramp_status ramp__jpeg_header(ramp_pp *pp, ramp_image *im);
/* Decodes im->enc at output size w × h (a DCT scale of the full size) into
   `dst` (rows `stride` bytes apart, im->channels per pixel). CMYK/YCCK goes
   through a w × h × 4 scratch buffer in the arena, then to RGB. */
ramp_status ramp__jpeg_decode(ramp_pp *pp, const ramp_image *im, uint8_t *dst, int w, int h,
                              size_t stride);
/* Whether im is a JPEG that ramp__jpeg_decode_window() can decode: not
   decoded yet, not CMYK. */
int ramp__jpeg_window_ok(const ramp_image *im);
/* Decodes rows [y0, y0 + h) and columns [x0, x0 + w) of im->enc at full
   size into the arena: *px is pixel (x0, y0), rows *stride bytes apart
   (im->channels per pixel), and they hold the samples of the full decode;
   the IDCT, upsampling and colour conversion cover little more than the
   window. */
ramp_status ramp__jpeg_decode_window(ramp_pp *pp, const ramp_image *im, int x0, int y0, int w,
                                     int h, const uint8_t **px, size_t *stride);
/* Frees a ramp_pp.jpeg_win (NULL: nothing). */
void ramp__jpeg_win_free(void *jw);
/* Smallest DCT scale (num/denom with num = 1, denom in 1, 2, 4, 8) whose output covers
   min_w × min_h: writes the scaled size. */
void ramp__jpeg_scaled_size(int w, int h, int min_w, int min_h, int *out_w, int *out_h);
/* The DCT scale factor (num/denom) TurboJPEG decodes a w × h JPEG at when
   asked for out_w × out_h: output pixel i covers source [i/f, (i+1)/f), so
   the scaled image's map is a scale by f (1/d for the sizes above, but
   TurboJPEG picks factors such as 3/8 for images a few pixels wide). */
double ramp__jpeg_scale_factor(int w, int h, int out_w, int out_h);

/* PNG (png.c). The header fills width/height/channels/bits; for a palette
   image it decodes too (the channel count depends on the indices used). */
ramp_status ramp__png_header(ramp_pp *pp, ramp_image *im);
/* Fills im->pixels, or im->samples16 when im->bits == 16. */
ramp_status ramp__png_decode(ramp_pp *pp, ramp_image *im);

/* Affine maps (affine.c), 6 doubles as in ramp_image.aff. */
void ramp__aff_identity(double a[6]);
/* out = step ∘ prev (first prev, then step); out may alias either. */
void ramp__aff_compose(double out[6], const double step[6], const double prev[6]);
/* Sets im's map to step ∘ from's map: a geometric operation's output. */
void ramp__img_geom(ramp_image *im, const ramp_image *from, const double step[6]);

/* Checks w × h against the context's limit; records ETOOBIG naming `name`. */
ramp_status ramp__img_check_size(ramp_pp *pp, const char *name, uint64_t w, uint64_t h);

#endif
