/* ramp/detector.h — what a participant's batch_detector.c or
 * batch_segmenter.c (or .cpp) defines, for kits whose problem.ini says
 * `workflow = detection` or `workflow = segmentation`.
 *
 *     #include <ramp/detector.h>
 *
 *     ramp_status batch_detector_new(void **self, const ramp_clf_info *info);
 *     ramp_status batch_detector_fit(void *self, ramp_gen_builder *gb);
 *     ramp_status batch_detector_predict(void *self, const float *X, size_t n,
 *                                        ramp_obj *objs, size_t *n_objs);
 *     void batch_detector_free(void *self);
 *
 *     ramp_status batch_segmenter_new(void **self, const ramp_clf_info *info);
 *     ramp_status batch_segmenter_fit(void *self, ramp_gen_builder *gb);
 *     ramp_status batch_segmenter_predict_proba(void *self, const float *X, size_t n,
 *                                               float *proba);
 *     void batch_segmenter_free(void *self);
 *
 * The preprocessor is the classifier's (preprocess.h): the image operations
 * it calls (resize, crop, flips, rotations, scaled decodes) record where
 * each pixel came from, and the workflow moves the targets the same way:
 * a detection batch's objects (ramp_batch.obj, obj_off) and a segmentation
 * batch's masks (ramp_batch.mask, nearest neighbour) arrive in the
 * tensor's pixels. Predictions go back the other way, onto the original
 * image, before they are scored.
 *
 * - new, fit, free: as batch_classifier_* (classifier.h). info->geometry and
 *   info->max_objects say the detection kit's geometry and cap.
 * - batch_detector_predict: X holds n samples; write sample i's detections
 *   into objs[i * max_objects ..] (at most max_objects of them, any order)
 *   and their number into n_objs[i]. Coordinates are the tensor's pixels;
 *   class in [0, n_classes), confidence in [0, 1], finite geometry with
 *   x0 ≤ x1, y0 ≤ y1 or r ≥ 0. Anything else is the fold's error.
 * - batch_segmenter_predict_proba: write n × n_classes × H × W class
 *   scores (H × W: the sample's last two dimensions; finite, non-negative;
 *   the workflow takes the most probable class per pixel of the original
 *   image, sampling these maps bilinearly).
 */
#ifndef RAMP_DETECTOR_H
#define RAMP_DETECTOR_H

#ifdef RAMP_BUILDING_LIBRARY
#error "ramp/detector.h is for submissions; the library includes ramp/submission.h"
#endif

#include <stddef.h>
#include <stdint.h>

#include "ramp/gen.h"
#include "ramp/loader.h"
#include "ramp/status.h"
#include "ramp/submission.h"     /* ramp_clf_info */
#include "ramp/submission_abi.h" /* ramp_submission_abi */

#ifdef __cplusplus
extern "C" {
#endif

ramp_status batch_detector_new(void **self, const ramp_clf_info *info);
ramp_status batch_detector_fit(void *self, ramp_gen_builder *gb);
ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *objs,
                                   size_t *n_objs);
void batch_detector_free(void *self);

ramp_status batch_segmenter_new(void **self, const ramp_clf_info *info);
ramp_status batch_segmenter_fit(void *self, ramp_gen_builder *gb);
ramp_status batch_segmenter_predict_proba(void *self, const float *X, size_t n, float *proba);
void batch_segmenter_free(void *self);

#ifdef __cplusplus
}
#endif
#endif
