/* colour.c — channel conversions.
 *
 * Gray from RGB uses Pillow's fixed-point ITU-R 601-2 luma,
 * L = (19595 R + 38470 G + 7471 B + 2^15) >> 16 (R·299/1000 + G·587/1000 +
 * B·114/1000, rounded), so results match Image.convert("L") bit for bit.
 * Alpha is dropped, never composited, as Image.convert("RGB") does.
 * A conversion that changes nothing returns its input.
 */
#include <string.h>

#include "image/imageInt.h"

static uint8_t luma(const uint8_t *p)
{
    return (uint8_t)((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
}

/* Per-pixel map from c_in to c_out channels; `f` picks the conversion. */
enum conv { DROP_ALPHA, TO_RGB, TO_GRAY, SWAP_RB };

static const ramp_image *convert(ramp_pp *pp, const ramp_image *x, int c_out, enum conv f)
{
    const uint8_t *in = ramp__img_px(pp, x);
    if (!in) return NULL;
    int w = x->width, h = x->height, c = x->channels;
    ramp_image *out = ramp__img_new(pp, w, h, c_out, x);
    if (!out) return NULL;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = in + (size_t)y * x->stride;
        uint8_t *d = out->pixels + (size_t)y * out->stride;
        for (int i = 0; i < w; i++, s += c, d += c_out) {
            switch (f) {
            case DROP_ALPHA:
                memcpy(d, s, (size_t)c_out);
                break;
            case TO_RGB:
                if (c >= 3)
                    memcpy(d, s, 3);
                else
                    d[0] = d[1] = d[2] = s[0];
                break;
            case TO_GRAY:
                d[0] = c >= 3 ? luma(s) : s[0];
                break;
            case SWAP_RB:
                d[0] = s[2];
                d[1] = s[1];
                d[2] = s[0];
                if (c == 4) d[3] = s[3];
                break;
            }
        }
    }
    return out;
}

const ramp_image *ramp_img_drop_alpha(ramp_pp *pp, const ramp_image *x)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (x->channels == 2 || x->channels == 4) return convert(pp, x, x->channels - 1, DROP_ALPHA);
    return x; /* nothing to do: stay lazy, so a following resize can decode scaled */
}

const ramp_image *ramp_img_rgb(ramp_pp *pp, const ramp_image *x)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (x->channels == 3) return x; /* stays lazy (see ramp_img_drop_alpha) */
    return convert(pp, x, 3, TO_RGB);
}

const ramp_image *ramp_img_gray(ramp_pp *pp, const ramp_image *x)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (x->channels == 1) return x; /* stays lazy */
    return convert(pp, x, 1, TO_GRAY);
}

const ramp_image *ramp_img_bgr(ramp_pp *pp, const ramp_image *x)
{
    if (!x || pp->status) return NULL; /* sticky (status.h, rule 4) */
    if (x->channels < 3) return x; /* stays lazy */
    return convert(pp, x, x->channels, SWAP_RB);
}
