/* fuzz_jpeg.c — libFuzzer target: arbitrary bytes behind a JPEG start-of-image
 * marker, through the TurboJPEG path (see fuzz_image.h). */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t soi[] = {0xFF, 0xD8, 0xFF};
    fuzz_image(soi, sizeof soi, data, size);
    return 0;
}
