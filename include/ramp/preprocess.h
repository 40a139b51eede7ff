/* ramp/preprocess.h — what a participant's image_preprocessor.c defines.
 *
 *     #include <ramp/preprocess.h>
 *
 *     ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
 *     {
 *         const ramp_image *y = ramp_img_rgb(pp, x);
 *         y = ramp_img_resize(pp, y, 32, 32);
 *         return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_BGR,
 *                                   (const float[]){103.939f, 116.779f, 123.68f}, NULL);
 *     }
 *
 * `transform` is required; `transform_test` is optional and falls back to
 * `transform` (RAMP's rule). Random augmentation belongs in `transform` only:
 * ramp_pp_rng(pp) is seeded from (seed, epoch, sample index) before each call,
 * so results do not depend on the number of loader threads.
 *
 * Both run on loader threads, many at once, each with its own `pp`: keep
 * them free of global state. Intermediate images live in `pp`'s arena and are
 * released after the call; `out` arrives pointing at the chunk buffer slot for
 * this sample, so ramp_img_to_tensor() writes straight into it. Every sample
 * must give the same shape; a mismatch is an error naming the sample's id.
 */
#ifndef RAMP_PREPROCESS_H
#define RAMP_PREPROCESS_H

#ifdef RAMP_BUILDING_LIBRARY
#error "ramp/preprocess.h is for submissions; the library includes ramp/submission.h"
#endif

#include "ramp/image.h"
#include "ramp/loader.h"
#include "ramp/submission_abi.h" /* ramp_submission_abi */

#ifdef __cplusplus
extern "C" {
#endif

/* The symbols a preprocessor exports (C linkage). Only a submission sees
   these unprefixed names: the library never includes this header. */
ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out);
ramp_status transform_test(ramp_pp *pp, const ramp_image *x, ramp_tensor *out);

#ifdef __cplusplus
}
#endif
#endif
