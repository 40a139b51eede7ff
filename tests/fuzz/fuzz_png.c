/* fuzz_png.c — libFuzzer target: arbitrary bytes behind the PNG signature,
 * through the libspng path (see fuzz_image.h). */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    fuzz_image(sig, sizeof sig, data, size);
    return 0;
}
