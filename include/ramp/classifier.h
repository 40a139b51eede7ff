/* ramp/classifier.h — what a participant's batch_classifier.c (or .cpp) defines.
 *
 *     #include <ramp/classifier.h>
 *
 *     struct model { ... };
 *
 *     ramp_status batch_classifier_new(void **self, const ramp_clf_info *info);
 *     ramp_status batch_classifier_fit(void *self, ramp_gen_builder *gb);
 *     ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n,
 *                                                float *proba);
 *     void batch_classifier_free(void *self);
 *
 * - new: called once per CV fold with the number of classes and the sample
 *   shape the preprocessor produces; allocate the model into *self.
 * - fit: train from the generators that ramp_get_train_valid_generators(gb,
 *   ...) returns (see loader.h). Images stream from disk in bounded memory.
 *   The builder and its generators serve fit only: when it returns, the
 *   workflow frees them (their chunk buffers), so a model must keep neither.
 * - predict_proba: X holds n samples (n × prod(shape) floats, the layout
 *   the preprocessor wrote); write n × n_classes probabilities into proba
 *   (row-major; each row finite, non-negative, with a positive sum: rows are
 *   renormalised to sum 1, as rampwf's scores do).
 *   The workflow calls it batch by batch (test_batch_size samples at most).
 * - free: release everything; self may be NULL.
 *
 * Return RAMP_OK (0) on success; any other status, a crash, a hang past the
 * timeout, or invalid probabilities is reported as that fold's error with the
 * log (anything the code prints on stdout/stderr goes into the log).
 * The code runs in a child process, on the main thread; the loader's threads
 * run beside it.
 */
#ifndef RAMP_CLASSIFIER_H
#define RAMP_CLASSIFIER_H

#ifdef RAMP_BUILDING_LIBRARY
#error "ramp/classifier.h is for submissions; the library includes ramp/submission.h"
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

/* The functions a classifier defines (C linkage). Only a submission sees
   these unprefixed names: the library never includes this header. */
ramp_status batch_classifier_new(void **self, const ramp_clf_info *info);
ramp_status batch_classifier_fit(void *self, ramp_gen_builder *gb);
ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n, float *proba);
void batch_classifier_free(void *self);

#ifdef __cplusplus
}
#endif
#endif
