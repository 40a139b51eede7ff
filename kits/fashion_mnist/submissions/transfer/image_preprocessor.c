/* The transfer submission's preprocessor: the one its pretrained network
 * was trained with (bench/transfer/bench_transfer.c) — gray, 28×28, scaled
 * to [0, 1] and standardised with Fashion-MNIST's mean and standard
 * deviation, as the cnn's. */
#include <ramp/preprocess.h>

ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_gray(pp, x);
    y = ramp_img_resize(pp, y, 28, 28); /* a no-op copy at 28×28 */
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, (const float[]){0.2860f},
                              (const float[]){0.3530f});
}
