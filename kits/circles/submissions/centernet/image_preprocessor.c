/* The circles CenterNet's preprocessor: gray at 64×64, random flips in
 * training. The circles follow the image (the operations record their
 * geometry); the detections go back to 128×128 before scoring. */
#include <ramp/preprocess.h>

static const float mean[1] = {0.5f}, std_[1] = {0.25f};

ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_resize(pp, ramp_img_gray(pp, x), 64, 64);
    y = ramp_img_random_flip_v(pp, ramp_img_random_flip_h(pp, y, 0.5), 0.5);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, mean, std_);
}

ramp_status transform_test(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_resize(pp, ramp_img_gray(pp, x), 64, 64);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, mean, std_);
}
