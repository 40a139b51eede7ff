/* ramp/classifier.h — what a participant's batch_classifier.c (or .cpp) defines.
 *
 *     #include <ramp/classifier.h>
 *
 *     struct model { ... };
 *
 *     ramp_status batch_classifier_new(const ramp_clf_info *info, void **self);
 *     ramp_status batch_classifier_fit(void *self, ramp_gen_builder *gb);
 *     ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n,
 *                                                float *proba);
 *     void batch_classifier_free(void *self);
 *
 * - new: called once per CV fold with the number of classes and the sample
 *   shape the preprocessor produces; allocate the model into *self.
 * - fit: train from the generators that ramp_get_train_valid_generators(gb,
 *   ...) returns (see loader.h). Images stream from disk in bounded memory.
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

#include <stddef.h>
#include <stdint.h>

#include "ramp/gen.h"
#include "ramp/loader.h"
#include "ramp/preprocess.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_clf_info {
    int n_classes;
    int ndim;       /* dimensions of one sample (3 for C×H×W) */
    int shape[4];
    uint64_t seed;  /* the run's seed: use it for initialisation and shuffles */
    int n_threads;  /* compute threads the classifier may use */
    int quick_test; /* 1 under --quick-test: a small subset; train briefly */
    int fold;       /* CV fold number */
    const char *submission_dir;
} ramp_clf_info;

ramp_status batch_classifier_new(const ramp_clf_info *info, void **self);
ramp_status batch_classifier_fit(void *self, ramp_gen_builder *gb);
ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n, float *proba);
void batch_classifier_free(void *self);

#ifdef __cplusplus
}
#endif
#endif
