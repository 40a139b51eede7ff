/* photo_transform.h — the ImageNet training transform of the benches' photo
 * kit (bench/loader/bench_loader.c, bench/gpu/bench_busy.c): the shorter
 * side to 256 (the other in proportion, rounded), a random 224×224 crop and
 * a random flip, as torchvision's Resize(256) + RandomCrop(224) +
 * RandomHorizontalFlip (ramp_img_resize_random_crop: the same as
 * ramp_img_resize + ramp_img_random_crop, computing only the crop), then
 * float CHW over 255 with ImageNet's mean and std. */
#ifndef RAMP_BENCH_PHOTO_TRANSFORM_H
#define RAMP_BENCH_PHOTO_TRANSFORM_H

#include "ramp/image.h"

static inline ramp_status tf_photo(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_rgb(pp, x);
    int w = ramp_img_width(x), h = ramp_img_height(x);
    int rw = w <= h ? 256 : (int)((double)w * 256 / h + 0.5);
    int rh = w <= h ? (int)((double)h * 256 / w + 0.5) : 256;
    y = ramp_img_resize_random_crop(pp, y, rw, rh, 224, 224);
    y = ramp_img_random_flip_h(pp, y, 0.5);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01,
                              (const float[]){0.485f, 0.456f, 0.406f},
                              (const float[]){0.229f, 0.224f, 0.225f});
}

#endif
