/* fuzz_jpeg.c — libFuzzer target: arbitrary bytes through the JPEG path of
 * the image module (sniff, header, lazy decode, pixels, resize, rotate,
 * tensor). Any crash, sanitizer report, hang or leak is a bug; an error
 * status is the expected outcome for most inputs. The pixel limit is lowered
 * so the fuzzer spends its time on parsing, not on huge legal images.
 */
#include <stddef.h>
#include <stdint.h>

#include "ramp/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ramp_pp *pp;
    if (ramp_pp_new(&pp) != RAMP_OK) return 0;
    ramp_pp_set_max_pixels(pp, (uint64_t)1 << 22);
    const ramp_image *x = ramp_img_from_memory(pp, data, size, "fuzz");
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
    return 0;
}
