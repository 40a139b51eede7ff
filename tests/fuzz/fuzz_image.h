/* fuzz_image.h — the harness the image fuzz targets share: bytes through
 * sniffing, header parsing, a full decode, a scaled resize, rotation and a
 * tensor, with a 4-megapixel limit so that a claimed size cannot make a run
 * slow. Each target forces its format's signature, so the fuzzer spends its
 * time inside that decoder. */
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
    if (ramp_pp_new(&pp) == RAMP_OK) {
        ramp_pp_set_max_pixels(pp, (uint64_t)1 << 22);
        const ramp_image *x = ramp_img_from_memory(pp, buf, n, "fuzz");
        if (x) {
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
