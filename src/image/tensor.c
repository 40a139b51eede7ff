/* tensor.c — an image to a float tensor, CHW or HWC.
 *
 * v = (p [/ 255] − mean[c]) / std[c] per output channel, computed in float
 * in that order (the same rounding as numpy's float32 (a/255 − m)/s). With
 * RAMP_BGR the colour channels are reversed (alpha stays last) before mean
 * and std are applied, so mean/std are given in output order.
 * A successful conversion records the image's affine map and size in the
 * context (ramp_pp_geometry()).
 * A CHW tensor of 512 KiB or more written into the caller's buffer (a
 * loader's chunk slot) goes there with streaming stores on x86-64: the
 * same values, without reading each cache line in first.
 */
#include <stdint.h>
#include <string.h>

#include "image/imageInt.h"

#if defined(__x86_64__)
#include <emmintrin.h>
#define HAVE_STREAM 1
#else
#define HAVE_STREAM 0
#endif

/* Tensors from this size up, written into the caller's buffer, bypass the
   cache (streaming stores): a loader's chunk slot is read back only after
   many more samples have been written. */
#define STREAM_MIN_BYTES ((size_t)512 << 10)

ramp_status ramp_img_to_tensor(ramp_pp *pp, const ramp_image *x, ramp_tensor *out, unsigned flags,
                               const float *mean, const float *std)
{
    if (pp->status != RAMP_OK) return pp->status; /* sticky (status.h, rule 4) */
    if (!x) {
        return ramp_pp_fail(pp, RAMP_EINVAL, "ramp_img_to_tensor: NULL image");
    }
    if (!out) return ramp_pp_fail(pp, RAMP_EINVAL, "%s: NULL tensor", x->name);
    const uint8_t *in = ramp__img_px(pp, x);
    if (!in) return pp->status;
    int w = x->width, h = x->height, c = x->channels;
    size_t n = (size_t)w * (size_t)h * (size_t)c;
    float *dst = out->data;
    if (!dst) {
        dst = ramp_arena_alloc(pp->arena, n * sizeof(float));
        if (!dst) return ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a tensor", x->name);
        out->capacity = n;
    } else if (out->capacity < n) {
        return ramp_pp_fail(pp, RAMP_ESHAPE, "%s: tensor of %zu floats cannot hold %d×%d×%d",
                            x->name, out->capacity, c, h, w);
    }
    /* src[k]: which input channel feeds output channel k */
    int src[4] = {0, 1, 2, 3};
    if ((flags & RAMP_BGR) && c >= 3) {
        src[0] = 2;
        src[2] = 0;
    }
    /* One table per output channel: 256 exact values of the formula, so
       the loop below is a gather and the division runs 256 times, not
       once per sample. */
    float lut[4][256];
    for (int k = 0; k < c; k++) {
        float mk = mean ? mean[k] : 0.0f, sk = std ? std[k] : 1.0f;
        for (int v = 0; v < 256; v++) {
            float f = (flags & RAMP_SCALE01) ? (float)v / 255.0f : (float)v;
            lut[k][v] = std ? (f - mk) / sk : f - mk;
        }
    }
    size_t plane = (size_t)w * (size_t)h;
    int stream = out->data != NULL && n * sizeof(float) >= STREAM_MIN_BYTES;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = in + (size_t)y * x->stride;
        if (flags & RAMP_HWC) {
            float *d = dst + (size_t)y * (size_t)w * (size_t)c;
            for (int i = 0; i < w; i++, row += c, d += c)
                for (int k = 0; k < c; k++)
                    d[k] = lut[k][row[src[k]]];
        } else {
            for (int k = 0; k < c; k++) {
                const uint8_t *p = row + src[k];
                const float *t = lut[k];
                float *d = dst + (size_t)k * plane + (size_t)y * (size_t)w;
                int i = 0;
#if HAVE_STREAM
                if (stream) {
                    for (; i < w && ((uintptr_t)(d + i) & 15); i++)
                        d[i] = t[p[(size_t)i * (size_t)c]];
                    for (; i + 4 <= w; i += 4)
                        _mm_stream_ps(d + i, _mm_setr_ps(t[p[(size_t)i * (size_t)c]],
                                                         t[p[(size_t)(i + 1) * (size_t)c]],
                                                         t[p[(size_t)(i + 2) * (size_t)c]],
                                                         t[p[(size_t)(i + 3) * (size_t)c]]));
                }
#endif
                for (; i < w; i++)
                    d[i] = t[p[(size_t)i * (size_t)c]];
            }
        }
    }
#if HAVE_STREAM
    if (stream) _mm_sfence(); /* the streamed stores before anything after */
#else
    (void)stream;
#endif
    memcpy(pp->geo, x->aff, sizeof pp->geo);
    pp->geo_w = w;
    pp->geo_h = h;
    pp->geo_ok = 1;
    int hwc = (flags & RAMP_HWC) != 0;
    out->data = dst;
    out->ndim = 3;
    out->shape[3] = 0;
    if (hwc) {
        out->shape[0] = h;
        out->shape[1] = w;
        out->shape[2] = c;
    } else {
        out->shape[0] = c;
        out->shape[1] = h;
        out->shape[2] = w;
    }
    return RAMP_OK;
}
