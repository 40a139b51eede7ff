/* ramp/submission.h — the contract between the workflow and a submission,
 * as the library sees it: the ABI version and what a classifier is told.
 *
 * A submission's own files include <ramp/preprocess.h> (transform,
 * transform_test) or <ramp/classifier.h> (batch_classifier_*): each adds the
 * prototypes of the unprefixed functions that file defines, and no other
 * (classifier.h does not declare transform). Both carry the ABI mark of
 * <ramp/submission_abi.h>. The library includes only this header, so those
 * names never enter its namespace: the submission headers refuse to compile
 * inside the library.
 */
#ifndef RAMP_SUBMISSION_H
#define RAMP_SUBMISSION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when the submission contract, a struct it uses or the signature of
   a function a submission calls changes; a submission built against other
   headers is refused at load ("built for submission ABI N").
   2: ramp_net_params gained conv_algo, no_fuse and keep_grads.
   3: one error convention (status.h): constructors take their result first
      (ramp_net_new(&net, &params, &err), ramp_gen_builder_new(&gb, ...)),
      ramp_pp_new and ramp_arena_new take a ramp_err, batch_classifier_new
      takes its state first (void **self, const ramp_clf_info *info), and
      the submission prototypes moved out of the library's sight (this
      header).
   4: detection and segmentation: ramp_batch carries objects and masks,
      ramp_clf_info the geometry and the cap on objects per image,
      ramp_net_params the loss (and a CenterNet head).
   5: ramp_net_params and ramp_clf_info gained the device (CPU or CUDA).
   6: ramp_clf_info gained the math (fp32, tf32, bf16). */
#define RAMP_ABI_VERSION 6

/* What batch_classifier_new is told (see classifier.h). */
typedef struct ramp_clf_info {
    int n_classes;
    int ndim;       /* dimensions of one sample (3 for C×H×W) */
    int shape[4];
    uint64_t seed;  /* the run's seed: use it for initialisation and shuffles */
    int n_threads;  /* compute threads the classifier may use */
    int quick_test; /* 1 under --quick-test: a small subset; train briefly */
    int fold;       /* CV fold number */
    const char *submission_dir; /* borrowed: valid during batch_classifier_new
                                   only; copy it to keep it */
    /* detection only: the kit's geometry (0 boxes, 1 circles: ramp_det_geom's
       values) and the most objects batch_detector_predict may give per
       image; 0 for other workflows */
    int geometry;
    int max_objects;
    /* where the run trains: 0 the CPU, 1 a CUDA GPU (ramp_device's
       RAMP_DEVICE_CPU / RAMP_DEVICE_CUDA; never AUTO: `ramp test --device`
       resolved it, and checked the GPU, before any fold). An engine
       submission passes it on as ramp_net_params.device. */
    int device;
    /* the arithmetic asked for (`ramp test --math`): ramp_math's values,
       0 fp32 (the default), 1 tf32, 2 bf16. An engine submission passes it
       on as ramp_net_params.math; a PyTorch one reads ramp.info['math']. */
    int math;
} ramp_clf_info;

#ifdef __cplusplus
}
#endif
#endif
