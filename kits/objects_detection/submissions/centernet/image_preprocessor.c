/* The CenterNet's preprocessor: RGB at 64×64, a random horizontal flip in
 * training. The boxes follow the image (the operations record their
 * geometry); the detections go back to 128×128 before scoring. */
#include <ramp/preprocess.h>

static const float mean[3] = {0.5f, 0.5f, 0.5f}, std_[3] = {0.25f, 0.25f, 0.25f};

ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_resize(pp, ramp_img_rgb(pp, x), 64, 64);
    y = ramp_img_random_flip_h(pp, y, 0.5);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, mean, std_);
}

ramp_status transform_test(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_resize(pp, ramp_img_rgb(pp, x), 64, 64);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, mean, std_);
}
