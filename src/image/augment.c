/* augment.c — random crops, flips and rotations drawn from the context's
 * stream. Each operation draws the same number of values whatever the
 * outcome (a flip draws once even when it does not flip), so later draws do
 * not depend on earlier outcomes beyond the seed.
 */
#include "image/imageInt.h"

const ramp_image *ramp_img_random_crop(ramp_pp *pp, const ramp_image *x, int w, int h)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (w <= 0 || h <= 0 || w > x->width || h > x->height)
        return ramp__img_fail(pp, RAMP_EINVAL, "%s: random crop %d×%d larger than the %d×%d image",
                              x->name, w, h, x->width, x->height);
    int x0 = (int)ramp_rng_below(&pp->rng, (uint64_t)(x->width - w + 1));
    int y0 = (int)ramp_rng_below(&pp->rng, (uint64_t)(x->height - h + 1));
    return ramp_img_crop(pp, x, x0, y0, w, h);
}

const ramp_image *ramp_img_random_flip_h(ramp_pp *pp, const ramp_image *x, double p)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    return ramp_rng_uniform(&pp->rng) < p ? ramp_img_flip_h(pp, x) : ramp_img_decode(pp, x);
}

const ramp_image *ramp_img_random_flip_v(ramp_pp *pp, const ramp_image *x, double p)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    return ramp_rng_uniform(&pp->rng) < p ? ramp_img_flip_v(pp, x) : ramp_img_decode(pp, x);
}

const ramp_image *ramp_img_random_rotate(ramp_pp *pp, const ramp_image *x, double max_degrees,
                                         uint8_t fill)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    double u = ramp_rng_uniform(&pp->rng);
    return ramp_img_rotate(pp, x, (2.0 * u - 1.0) * max_degrees, fill);
}
