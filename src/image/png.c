/* png.c — PNG header parsing and decoding through libspng.
 *
 * The header (IHDR, and whether a tRNS chunk precedes IDAT) is read by hand
 * from the bytes: it is 33 bytes and a chunk walk, cheaper than a decoder
 * context, and it is enough to know the output shape and enforce the pixel
 * limit before any allocation. libspng then decodes straight into arena
 * memory with its CRC and Adler-32 checks on, image limits set, and chunk
 * sizes bounded (ancillary chunks cannot inflate without bound).
 *
 * Output: gray → 1 channel, gray+alpha → 2, RGB → 3, RGBA → 4, palette → RGB
 * or RGBA when a tRNS chunk is present. tRNS on gray/RGB images is ignored,
 * as Pillow does (it keeps "L"/"RGB"). 16-bit samples are reduced to their
 * high byte (v >> 8), which is what Pillow's "RGB;16B"/"RGBA;16B" unpackers
 * and libpng's png_set_strip_16 do. Gray below 8 bits is scaled to 0–255.
 */
#include <string.h>
#include <spng.h>

#include "image/imageInt.h"

#define PNG_CACHE_LIMIT ((size_t)16 << 20) /* bytes of ancillary chunk data kept */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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
    int trns = 0;
    if (ctype == 3) {
        /* walk chunk headers up to the first IDAT looking for tRNS */
        size_t off = 33;
        while (off + 8 <= n) {
            uint32_t len = be32(b + off);
            const uint8_t *type = b + off + 4;
            if (memcmp(type, "IDAT", 4) == 0 || memcmp(type, "IEND", 4) == 0) break;
            if (memcmp(type, "tRNS", 4) == 0) trns = 1;
            if (len > n - off - 8 || n - off - 8 - len < 4)
                break; /* truncated: decode fails later */
            off += 12 + (size_t)len;
        }
    }
    static const int chans[7] = {1, 0, 3, 3, 2, 0, 4};
    im->width = (int)w;
    im->height = (int)h;
    im->channels = ctype == 3 && trns ? 4 : chans[ctype];
    return RAMP_OK;
}

ramp_status ramp__png_decode(ramp_pp *pp, ramp_image *im)
{
    const uint8_t *b = im->enc;
    int depth = b[24], ctype = b[25];
    ramp_status st = RAMP_OK;
    spng_ctx *ctx = spng_ctx_new(0);
    if (!ctx) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: cannot create a PNG decoder", im->name);
        return RAMP_ENOMEM;
    }
    int fmt, flags = 0;
    if (ctype == 3) {
        fmt = im->channels == 4 ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
        if (im->channels == 4) flags = SPNG_DECODE_TRNS;
    } else if (ctype == 0 && depth < 8) {
        fmt = SPNG_FMT_G8;
    } else {
        fmt = SPNG_FMT_PNG; /* 8 bits: already our layout; 16 bits: reduced below */
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
    size_t stride = (size_t)im->width * (size_t)im->channels;
    size_t want = stride * (size_t)im->height * (depth == 16 ? 2 : 1);
    if (len != want) {
        ramp_pp_fail(pp, RAMP_EINTERNAL, "%s: PNG decoder size %zu, expected %zu", im->name, len,
                     want);
        st = RAMP_EINTERNAL;
        goto done;
    }
    uint8_t *px = ramp_arena_alloc(pp->arena, len);
    if (!px) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d image", im->name, im->width,
                     im->height);
        st = RAMP_ENOMEM;
        goto done;
    }
    e = spng_decode_image(ctx, px, len, fmt, flags);
    /* The image can end before the last IDAT's CRC is read; reading the
       chunks up to IEND verifies it (and every later chunk's CRC). */
    if (!e) e = spng_decode_chunks(ctx);
    if (e) {
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: corrupt PNG: %s", im->name, spng_strerror(e));
        st = RAMP_EFORMAT;
        goto done;
    }
    if (depth == 16) {
        /* host-endian uint16 samples → high byte, in place (dst index ≤ src index) */
        const uint16_t *src = (const uint16_t *)(void *)px;
        size_t count = len / 2;
        for (size_t i = 0; i < count; i++)
            px[i] = (uint8_t)(src[i] >> 8);
    }
    im->pixels = px;
    im->stride = stride;
done:
    spng_ctx_free(ctx);
    return st;
}
