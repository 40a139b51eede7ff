/* The seed's preprocessor in C: drop alpha, 32×32, CHW, BGR, mean pixel. */
#include <ramp/preprocess.h>

ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_rgb(pp, x);
    y = ramp_img_resize(pp, y, 32, 32);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_BGR,
                              (const float[]){103.939f, 116.779f, 123.68f}, NULL);
}
