/* fuzz_image.h — the harness the image fuzz targets share: bytes through
 * sniffing, header parsing, a window of a near-full-size resize taken from
 * the undecoded image (a JPEG's partial decode), a full decode (16-bit
 * samples too, and a crop of them), a scaled resize, rotation and a tensor, with a 4-megapixel
 * limit so that a claimed size cannot make a run slow. Each target forces
 * its format's signature, so the fuzzer spends its time inside that
 * decoder. */
#ifndef RAMP_FUZZ_IMAGE_H
#define RAMP_FUZZ_IMAGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/image.h"

static void fuzz_image(const uint8_t *sig, size_t sig_len, const uint8_t *data, size_t size)
{
    /* the input, behind the signature unless it already starts with it */
    int has = size >= sig_len && memcmp(data, sig, sig_len) == 0;
    size_t n = has ? size : sig_len + size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return;
    if (has) {
        memcpy(buf, data, size);
    } else {
        memcpy(buf, sig, sig_len);
        if (size) memcpy(buf + sig_len, data, size);
    }
    ramp_pp *pp;
    if (ramp_pp_new(&pp, NULL) == RAMP_OK) {
        ramp_pp_set_max_pixels(pp, (uint64_t)1 << 22);
        const ramp_image *x = ramp_img_from_memory(pp, buf, n, "fuzz");
        if (x) {
            /* first, while x is not decoded yet: a window of a resize close
               to full size (no DCT scale fits: a JPEG decodes only the rows
               and columns the window reads) */
            int w0 = ramp_img_width(x), h0 = ramp_img_height(x);
            if (w0 > 2 && h0 > 2) {
                int rw = w0 - 1, rh = h0 - 1;
                const ramp_image *win =
                    ramp_img_resize_crop(pp, x, rw, rh, rw / 4, rh / 3, rw / 2 + 1, rh / 3 + 1);
                size_t wst;
                const uint8_t *wpx = win ? ramp_img_pixels(pp, win, &wst) : NULL;
                volatile uint8_t wsink = wpx ? wpx[0] : 0;
                (void)wsink;
            }
            /* the 16-bit samples first (a 16-bit image decodes to them), then
               the last one of a crop's view */
            size_t st16 = 0;
            const uint16_t *s16 = ramp_img_samples16(pp, x, &st16);
            int w = ramp_img_width(x), h = ramp_img_height(x), c = ramp_img_channels(x);
            volatile uint16_t sink16 = s16 ? s16[0] : 0;
            const ramp_image *v = ramp_img_crop(pp, x, w / 3, h / 3, w - w / 3, h - h / 3);
            const uint16_t *v16 = ramp_img_samples16(pp, v, &st16);
            if (v16)
                sink16 =
                    v16[(size_t)(h - h / 3 - 1) * st16 / 2 + (size_t)(w - w / 3) * (size_t)c - 1];
            (void)sink16;
            size_t stride;
            const uint8_t *px = ramp_img_pixels(pp, x, &stride);
            volatile uint8_t sink = px ? px[0] : 0;
            (void)sink;
            const ramp_image *y = ramp_img_resize(pp, x, 13, 11);
            y = ramp_img_rotate(pp, ramp_img_rgb(pp, y), 17.0, 0);
            ramp_tensor t = {0};
            (void)ramp_img_to_tensor(pp, y, &t, RAMP_CHW | RAMP_BGR, NULL, NULL);
        }
        ramp_pp_free(pp);
    }
    free(buf);
}

#endif
