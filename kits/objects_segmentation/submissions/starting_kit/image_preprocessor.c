/* The segmentation starting kit's preprocessor: RGB, half size, a random
 * horizontal flip in training. The workflow moves each mask with the image
 * (the operations record their geometry), and maps the predictions back to
 * the full-size image before scoring. */
#include <ramp/preprocess.h>

static ramp_status to_tensor(ramp_pp *pp, const ramp_image *y, ramp_tensor *out)
{
    y = ramp_img_resize(pp, y, ramp_img_width(y) / 2, ramp_img_height(y) / 2);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, NULL, NULL);
}

ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    return to_tensor(pp, ramp_img_random_flip_h(pp, ramp_img_rgb(pp, x), 0.5), out);
}

ramp_status transform_test(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    return to_tensor(pp, ramp_img_rgb(pp, x), out);
}
