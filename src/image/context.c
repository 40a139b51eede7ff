/* context.c — the preprocessing context: arena, random stream, limits and
 * the first-error record.
 *
 * Operations record only the first error since the last reset, so a user can
 * chain calls and check once at the end; a NULL input propagates silently.
 * The TurboJPEG decompressor is created on first use and kept for the
 * context's life: creating one costs more than decoding a tiny JPEG.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "core/coreInt.h"
#include "image/imageInt.h"

ramp_status ramp_pp_new(ramp_pp **out, ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_pp_new: out is NULL");
    *out = NULL;
    ramp_pp *pp = calloc(1, sizeof *pp);
    if (!pp || ramp_arena_new(&pp->arena, NULL)) goto fail;
    pp->max_pixels = RAMP_DEFAULT_MAX_PIXELS;
    ramp_rng_seed(&pp->rng, 0, 0);
    *out = pp;
    return RAMP_OK;
fail:
    free(pp);
    return ramp__err_set(err, RAMP_ENOMEM, "preprocessing context: out of memory");
}

void ramp_pp_free(ramp_pp *pp)
{
    if (!pp) return;
    if (pp->tj_dec) tjDestroy((tjhandle)pp->tj_dec);
    ramp__jpeg_win_free(pp->jpeg_win);
    ramp_arena_free(pp->arena);
    free(pp);
}

void ramp_pp_reset(ramp_pp *pp)
{
    if (!pp) return;
    ramp_arena_reset(pp->arena);
    pp->status = RAMP_OK;
    pp->msg[0] = 0;
    pp->geo_ok = 0; /* ramp_pp_geometry() is about this reset's tensor */
}

void ramp_pp_seed(ramp_pp *pp, uint64_t seed, uint64_t epoch, uint64_t index)
{
    ramp_rng_seed(&pp->rng, seed, ramp_rng_key(epoch, index));
}

ramp_rng *ramp_pp_rng(ramp_pp *pp)
{
    return &pp->rng;
}
ramp_arena *ramp_pp_arena(ramp_pp *pp)
{
    return pp->arena;
}

void ramp_pp_set_max_pixels(ramp_pp *pp, uint64_t max_pixels)
{
    pp->max_pixels = max_pixels ? max_pixels : RAMP_DEFAULT_MAX_PIXELS;
}

ramp_status ramp_pp_status(const ramp_pp *pp)
{
    return pp->status;
}
const char *ramp_pp_errmsg(const ramp_pp *pp)
{
    return pp->msg;
}

static void pp_vfail(ramp_pp *pp, ramp_status st, const char *fmt, va_list ap)
{
    if (pp->status != RAMP_OK) return;
    pp->status = st;
    vsnprintf(pp->msg, sizeof pp->msg, fmt, ap);
}

ramp_status ramp_pp_fail(ramp_pp *pp, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pp_vfail(pp, st, fmt, ap);
    va_end(ap);
    return pp->status;
}

const ramp_image *ramp__img_fail(ramp_pp *pp, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pp_vfail(pp, st, fmt, ap);
    va_end(ap);
    return NULL;
}

ramp_status ramp__img_check_size(ramp_pp *pp, const char *name, uint64_t w, uint64_t h)
{
    if (w == 0 || h == 0) {
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: image has a zero dimension (%llu×%llu)", name,
                     (unsigned long long)w, (unsigned long long)h);
        return RAMP_EFORMAT;
    }
    /* w, h < 2^32 each, so the product fits in 64 bits */
    if (w > INT32_MAX || h > INT32_MAX || w * h > pp->max_pixels) {
        ramp_pp_fail(
            pp, RAMP_ETOOBIG, "%s: image of %llu×%llu pixels exceeds the limit of %llu pixels",
            name, (unsigned long long)w, (unsigned long long)h, (unsigned long long)pp->max_pixels);
        return RAMP_ETOOBIG;
    }
    return RAMP_OK;
}

ramp_image *ramp__img_new(ramp_pp *pp, int w, int h, int c, const ramp_image *like)
{
    const char *name = like && like->name ? like->name : "";
    if (w <= 0 || h <= 0 || c < 1 || c > 4) {
        ramp__img_fail(pp, RAMP_EINVAL, "%s: invalid image shape %d×%d×%d", name, w, h, c);
        return NULL;
    }
    if (ramp__img_check_size(pp, name, (uint64_t)w, (uint64_t)h) != RAMP_OK) return NULL;
    size_t stride = (size_t)w * (size_t)c;
    ramp_image *im = ramp_arena_alloc(pp->arena, sizeof *im);
    uint8_t *px = im ? ramp_arena_alloc(pp->arena, stride * (size_t)h) : NULL;
    if (!px) {
        ramp__img_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d×%d image", name, w, h, c);
        return NULL;
    }
    memset(im, 0, sizeof *im);
    im->width = w;
    im->height = h;
    im->channels = c;
    im->bits = 8;
    im->format = RAMP_FMT_PIXELS;
    im->name = name;
    im->pixels = px;
    im->stride = stride;
    if (like)
        memcpy(im->aff, like->aff, sizeof im->aff);
    else
        ramp__aff_identity(im->aff);
    return im;
}
