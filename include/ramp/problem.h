/* ramp/problem.h — a kit's problem file (problem.ini): title, classes,
 * score types, cross-validation and workflow knobs.
 *
 *     ramp_err err;
 *     ramp_problem *p;
 *     if (ramp_problem_load(&p, "kits/fashion_mnist", &err))
 *         fprintf(stderr, "%s\n", err.msg);   // "kits/fashion_mnist/problem.ini:7: ..."
 *     else {
 *         printf("%s: %d classes, official score %s\n", ramp_problem_title(p),
 *                ramp_problem_n_classes(p), ramp_problem_score_name(p, 0));
 *         ramp_problem_free(p);
 *     }
 *
 * The format is documented in docs/kits.md. A loaded problem is immutable:
 * every accessor is thread-safe and returns strings borrowed from the
 * handle, valid until ramp_problem_free().
 */
#ifndef RAMP_PROBLEM_H
#define RAMP_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/score.h" /* ramp_score_kind */
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_problem ramp_problem;

/* The workflow a kit declares ([problem] workflow). */
typedef enum ramp_workflow_kind {
    RAMP_WORKFLOW_IMAGE_CLASSIFIER = 0, /* "image_classifier": image_preprocessor + batch_classifier */
    RAMP_WORKFLOW_SIMPLIFIED = 1,       /* "simplified_image_classifier": image_classifier.py */
    RAMP_WORKFLOW_DETECTION = 2,    /* "detection": image_preprocessor + batch_detector */
    RAMP_WORKFLOW_SEGMENTATION = 3, /* "segmentation": image_preprocessor + batch_segmenter */
} ramp_workflow_kind;

/* How the CV folds are cut ([cv] method, or [cv] folds = FILE). */
typedef enum ramp_cv_method {
    RAMP_CV_STRATIFIED_SHUFFLE_SPLIT = 0, /* scikit-learn's StratifiedShuffleSplit, exactly */
    RAMP_CV_SHUFFLE_SPLIT = 1,            /* scikit-learn's ShuffleSplit, exactly */
    RAMP_CV_FOLDS_FILE = 2,               /* the rows listed in a file (fold,set,row) */
} ramp_cv_method;

/* The kit's data files ([data] section). */
typedef enum ramp_data_item {
    RAMP_DATA_IMAGES = 0,      /* the image folder (default DATA/imgs) */
    RAMP_DATA_TRAIN = 1,       /* default DATA/train.csv */
    RAMP_DATA_TEST = 2,        /* default DATA/test.csv */
    RAMP_DATA_CLASS_CODES = 3, /* default DATA/class_codes.csv */
    RAMP_DATA_MASKS = 4,       /* segmentation label masks (default DATA/masks) */
} ramp_data_item;

/* Loads KIT_DIR/problem.ini and, when present, the class codes
   (KIT_DIR/data/class_codes.csv, or the file [data] class_codes names): a
   CSV with a 'class' column and a name column ('name', else the first other
   column: rampwf kits ship `class,taxa_name`). On failure *out is NULL and err (may be NULL) holds a message
   naming file:line. The caller frees *out with ramp_problem_free(). */
ramp_status ramp_problem_load(ramp_problem **out, const char *kit_dir, ramp_err *err);

/* Same from memory: `ini` (ini_len bytes, named ini_name in messages) and
   optional class codes `codes` (NULL for none). Both buffers are borrowed
   only for the call. The relative paths the file names ([cv] folds, [data])
   are resolved against kit_dir, as ramp_problem_load does (a problem parsed
   from stored text names its kit here); kit_dir NULL keeps them as
   written. */
ramp_status ramp_problem_parse(ramp_problem **out, const char *ini, size_t ini_len,
                               const char *ini_name, const char *codes, size_t codes_len,
                               const char *codes_name, const char *kit_dir, ramp_err *err);

/* Frees the problem; NULL is a no-op. */
void ramp_problem_free(ramp_problem *p);

const char *ramp_problem_title(const ramp_problem *p);
int ramp_problem_n_classes(const ramp_problem *p);
/* Name of class i (from class_codes.csv, else its number); NULL if i is out
   of range. */
const char *ramp_problem_class_name(const ramp_problem *p, int i);

/* Scores, in file order; score 0 is the official one. Out-of-range i gives
   -1 / NULL / 0. */
int ramp_problem_n_scores(const ramp_problem *p);
ramp_score_kind ramp_problem_score_kind(const ramp_problem *p, int i);
const char *ramp_problem_score_name(const ramp_problem *p, int i);
int ramp_problem_score_precision(const ramp_problem *p, int i); /* decimals shown */
double ramp_problem_score_param(const ramp_problem *p, int i);
/* A detection score's minipatch (`minipatch=ROW_MIN:ROW_MAX:COL_MIN:COL_MAX`
   on its line: the region of each image it is computed on, in pixels,
   rampwf's order; see ramp_score_detection_minipatch in detection.h): 1 and
   the four bounds in out (may be NULL) when the line sets one, else 0 and
   out untouched. The parser refuses it on a non-detection kind, and on map
   when the kit says compat = rampwf. */
int ramp_problem_score_minipatch(const ramp_problem *p, int i, double out[4]);

/* Cross-validation: the method (default: stratified shuffle split, as
   scikit-learn cuts it for the same random_state), n_splits, test_size (< 1
   a fraction, ≥ 1 an absolute count) and random_state (< 2^32, numpy's
   seed); or a folds file, whose path ramp_problem_cv_folds_file gives
   (resolved against the kit folder, as written when ramp_problem_parse has
   no kit_dir), NULL for the other methods. */
ramp_cv_method ramp_problem_cv_method(const ramp_problem *p);
const char *ramp_problem_cv_folds_file(const ramp_problem *p);
int ramp_problem_cv_n_splits(const ramp_problem *p);
double ramp_problem_cv_test_size(const ramp_problem *p);
uint64_t ramp_problem_cv_random_state(const ramp_problem *p);

/* The workflow the kit declares (default: image_classifier). */
ramp_workflow_kind ramp_problem_workflow(const ramp_problem *p);
/* "image_classifier", "simplified_image_classifier", "detection" or
   "segmentation" ("unknown" out of range). A kit's scores must be of its
   workflow's task (ramp_score_type.task): ramp_problem_parse refuses the
   others naming their line. Detection and segmentation kits have no class
   per image: their [cv] method defaults to shuffle_split, and
   stratified_shuffle_split is refused. */
const char *ramp_workflow_name(ramp_workflow_kind k);

/* A data file or folder the [data] section names (resolved against the kit
   folder, as written when ramp_problem_parse has no kit_dir); NULL when the
   section does not name it (the caller uses its data folder's default). */
const char *ramp_problem_data_path(const ramp_problem *p, ramp_data_item which);

/* Workflow knobs. */
int ramp_problem_chunk_size(const ramp_problem *p);
int ramp_problem_n_jobs(const ramp_problem *p);
int ramp_problem_test_batch_size(const ramp_problem *p);

/* Detection knobs (workflow = detection; refused with another workflow):
   [problem] geometry = box | circle: 0 (RAMP_DET_BOX) or 1 (RAMP_DET_CIRCLE,
   detection.h), default box; [detection] max_objects, the cap on objects
   per image in [1, 10000] (default 100); iou_threshold in (0, 1] (default
   0.5: the overlap at which bagging fuses the folds' detections); compat =
   ramp | rampwf: 1 when rampwf's semantics of its score types are asked
   for (default 0); bagging = wbf | nms | rampwf: 0 weighted box fusion
   (default), 1 non-maximum suppression, 2 rampwf's combination of
   detections (pairs of folds matched, linked groups averaged; objects no
   other fold found dropped). */
int ramp_problem_geometry(const ramp_problem *p);
int ramp_problem_max_objects(const ramp_problem *p);
double ramp_problem_iou_threshold(const ramp_problem *p);
int ramp_problem_compat_rampwf(const ramp_problem *p);
int ramp_problem_bagging(const ramp_problem *p);

#ifdef __cplusplus
}
#endif
#endif
