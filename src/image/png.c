/* png.c — PNG header parsing and decoding through libspng.
 *
 * The header (IHDR) is read by hand from the bytes: it is 33 bytes, cheaper
 * than a decoder context, and enough to know the output shape and enforce
 * the pixel limit before any allocation. libspng then decodes straight into
 * arena memory with its CRC and Adler-32 checks on, image limits set, and
 * chunk sizes bounded (ancillary chunks cannot inflate without bound).
 *
 * The output is what skimage.io.imread gives (skimage 0.19 over imageio
 * 2.4's Pillow plugin, Pillow 9.4), sample for sample:
 *   gray 1/2/4 bits  → 1 channel scaled to 0–255 (imread: "1" and "L;n")
 *   gray 8           → 1 channel; tRNS ignored (imread keeps "L")
 *   gray 16          → 1 channel of 16-bit samples (bits 16: imread's uint16)
 *   RGB 8/16         → 3 channels, 16 bits by their high byte (Pillow's
 *                      "RGB;16B"); tRNS ignored (imread keeps "RGB")
 *   gray+alpha 8/16  → 4 channels R = G = B = gray, then alpha (imageio
 *                      converts every mode with alpha to RGBA)
 *   RGBA 8/16        → 4 channels, 16 bits by their high byte
 *   palette          → 1 channel when every palette entry between the
 *                      smallest and the largest index used is gray (imageio
 *                      converts such images to "L"), else 4 channels RGBA,
 *                      alpha from tRNS or 255; an index past the palette
 *                      reads as (i, i, i), Pillow's default entry.
 * The palette rule depends on the indices, so a palette image is decoded
 * when its header is read; every other kind decodes on first use.
 */
#include <string.h>
#include <spng.h>

#include "image/imageInt.h"

#define PNG_CACHE_LIMIT ((size_t)16 << 20) /* bytes of ancillary chunk data kept */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The palette and its alphas, as decoded. */
typedef struct {
    struct spng_plte plte;
    struct spng_trns trns;
    int has_trns;
} palette;

/* Decodes im's image data as `fmt` into fresh arena memory of exactly
   `want` bytes (*out); reads PLTE and tRNS into `pal` when it is not NULL. */
static ramp_status png_run(ramp_pp *pp, const ramp_image *im, int fmt, size_t want, void **out,
                           palette *pal)
{
    ramp_status st = RAMP_OK;
    *out = NULL;
    spng_ctx *ctx = spng_ctx_new(0);
    if (!ctx) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: cannot create a PNG decoder", im->name);
        return RAMP_ENOMEM;
    }
    size_t len = 0;
    int e = spng_set_png_buffer(ctx, im->enc, im->enc_len);
    if (!e) e = spng_set_image_limits(ctx, (uint32_t)im->width, (uint32_t)im->height);
    if (!e) e = spng_set_chunk_limits(ctx, im->enc_len, PNG_CACHE_LIMIT);
    if (!e) e = spng_decoded_image_size(ctx, fmt, &len);
    if (e) {
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: corrupt PNG: %s", im->name, spng_strerror(e));
        st = RAMP_EFORMAT;
        goto done;
    }
    if (len != want) {
        ramp_pp_fail(pp, RAMP_EINTERNAL, "%s: PNG decoder size %zu, expected %zu", im->name, len,
                     want);
        st = RAMP_EINTERNAL;
        goto done;
    }
    void *px = ramp_arena_alloc(pp->arena, len);
    if (!px) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d image", im->name, im->width,
                     im->height);
        st = RAMP_ENOMEM;
        goto done;
    }
    /* libspng ORs the pixels of interlaced images below 8 bits into place,
       so the memory (arena memory, reused after a reset) must start zeroed */
    if (im->enc[24] < 8) memset(px, 0, len);
    e = spng_decode_image(ctx, px, len, fmt, 0);
    /* The image can end before the last IDAT's CRC is read; reading the
       chunks up to IEND verifies it (and every later chunk's CRC). */
    if (!e) e = spng_decode_chunks(ctx);
    if (!e && pal) {
        e = spng_get_plte(ctx, &pal->plte);
        if (!e) {
            int t = spng_get_trns(ctx, &pal->trns);
            pal->has_trns = t == 0;
            if (t && t != SPNG_ECHUNKAVAIL) e = t;
        }
    }
    if (e) {
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: corrupt PNG: %s", im->name, spng_strerror(e));
        st = RAMP_EFORMAT;
        goto done;
    }
    *out = px;
done:
    spng_ctx_free(ctx);
    return st;
}

/* Index of pixel x in a packed row of `depth`-bit indices (PNG bit order:
   the first pixel in the most significant bits). */
static unsigned index_at(const uint8_t *row, int x, int depth)
{
    if (depth == 8) return row[x];
    unsigned per = 8u / (unsigned)depth, shift = 8u - (unsigned)depth * (1u + (unsigned)x % per);
    return (row[(unsigned)x / per] >> shift) & ((1u << depth) - 1u);
}

/* Palette image: indices → gray or RGBA by imageio's rule (file comment). */
static ramp_status png_palette(ramp_pp *pp, ramp_image *im, int depth)
{
    int w = im->width, h = im->height;
    size_t row = ((size_t)w * (size_t)depth + 7) / 8;
    void *buf;
    palette pal;
    memset(&pal, 0, sizeof pal);
    ramp_status st = png_run(pp, im, SPNG_FMT_PNG, row * (size_t)h, &buf, &pal);
    if (st != RAMP_OK) return st;
    const uint8_t *idx = buf;
    unsigned lo = 255, hi = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned i = index_at(idx + (size_t)y * row, x, depth);
            if (i < lo) lo = i;
            if (i > hi) hi = i;
        }
    const struct spng_plte_entry *e = pal.plte.entries;
    unsigned n = pal.plte.n_entries;
    int gray = 1;
    for (unsigned i = lo; i <= hi && i < n; i++)
        if (e[i].red != e[i].green || e[i].green != e[i].blue) gray = 0;
    int c = gray ? 1 : 4;
    size_t stride = (size_t)w * (size_t)c;
    uint8_t *px = ramp_arena_alloc(pp->arena, stride * (size_t)h);
    if (!px) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d image", im->name, w, h);
        return RAMP_ENOMEM;
    }
    unsigned n_alpha = pal.has_trns ? pal.trns.n_type3_entries : 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = idx + (size_t)y * row;
        uint8_t *d = px + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            unsigned i = index_at(s, x, depth);
            if (gray) {
                d[x] = i < n ? e[i].red : (uint8_t)i;
                continue;
            }
            uint8_t *q = d + (size_t)x * 4;
            q[0] = i < n ? e[i].red : (uint8_t)i;
            q[1] = i < n ? e[i].green : (uint8_t)i;
            q[2] = i < n ? e[i].blue : (uint8_t)i;
            q[3] = i < n_alpha ? pal.trns.type3_alpha[i] : 255;
        }
    }
    im->channels = c;
    im->pixels = px;
    im->stride = stride;
    return RAMP_OK;
}

ramp_status ramp__png_header(ramp_pp *pp, ramp_image *im)
{
    const uint8_t *b = im->enc;
    size_t n = im->enc_len;
    if (n < 33 || be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0) {
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: corrupt PNG: missing or truncated IHDR", im->name);
        return RAMP_EFORMAT;
    }
    uint32_t w = be32(b + 16), h = be32(b + 20);
    int depth = b[24], ctype = b[25];
    int ok_depth;
    switch (ctype) {
    case 0:
        ok_depth = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
        break;
    case 3:
        ok_depth = depth == 1 || depth == 2 || depth == 4 || depth == 8;
        break;
    case 2:
    case 4:
    case 6:
        ok_depth = depth == 8 || depth == 16;
        break;
    default:
        ok_depth = 0;
    }
    if (!ok_depth) {
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: corrupt PNG: colour type %d with bit depth %d",
                     im->name, ctype, depth);
        return RAMP_EFORMAT;
    }
    ramp_status st = ramp__img_check_size(pp, im->name, w, h);
    if (st != RAMP_OK) return st;
    /* Deflate expands at most 1032:1, so a file too small for its declared
       image is refused here, before the caller allocates width × height
       (a 60-byte file cannot make us reserve gigabytes below the limit). */
    static const int samples[7] = {1, 0, 3, 1, 2, 0, 4};
    uint64_t raw = (uint64_t)h * (1 + ((uint64_t)w * (uint64_t)(samples[ctype] * depth) + 7) / 8);
    if (raw / 1032 > n) {
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: truncated PNG: %zu bytes cannot hold a %u×%u image",
                     im->name, n, w, h);
        return RAMP_EFORMAT;
    }
    static const int chans[7] = {1, 0, 3, 0, 4, 0, 4};
    im->width = (int)w;
    im->height = (int)h;
    im->bits = ctype == 0 && depth == 16 ? 16 : 8;
    if (ctype == 3) return png_palette(pp, im, depth);
    im->channels = chans[ctype];
    return RAMP_OK;
}

ramp_status ramp__png_decode(ramp_pp *pp, ramp_image *im)
{
    int depth = im->enc[24], ctype = im->enc[25];
    size_t n = (size_t)im->width * (size_t)im->height;
    void *px;
    ramp_status st;
    if (im->bits == 16) {
        /* host-endian uint16 (SPNG_FMT_PNG is host-endian), kept as is */
        st = png_run(pp, im, SPNG_FMT_PNG, n * 2, &px, NULL);
        if (st != RAMP_OK) return st;
        im->samples16 = px;
        im->stride16 = (size_t)im->width * 2;
        return RAMP_OK;
    }
    int fmt;
    switch (ctype) {
    case 0: /* 1–8 bits; below 8 scaled to 0–255 (v × 255 / (2^depth − 1)) */
        fmt = SPNG_FMT_G8;
        break;
    case 2: /* 16 bits: libspng keeps the high byte, as Pillow's RGB;16B */
        fmt = SPNG_FMT_RGB8;
        break;
    case 4: /* gray+alpha → RGBA, gray repeated */
    case 6:
        fmt = SPNG_FMT_RGBA8;
        break;
    default: /* palette images were decoded with their header */
        ramp_pp_fail(pp, RAMP_EINTERNAL, "%s: PNG colour type %d depth %d has no decoder", im->name,
                     ctype, depth);
        return RAMP_EINTERNAL;
    }
    st = png_run(pp, im, fmt, n * (size_t)im->channels, &px, NULL);
    if (st != RAMP_OK) return st;
    im->pixels = px;
    im->stride = (size_t)im->width * (size_t)im->channels;
    return RAMP_OK;
}
