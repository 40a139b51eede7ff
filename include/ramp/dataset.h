/* ramp/dataset.h — a kit's data: the id,class index files, the stratified
 * shuffle split used for cross-validation, and whole-kit tools (building the
 * Fashion-MNIST kit, checking a kit).
 *
 *     ramp_index *train;
 *     ramp_err err;
 *     if (ramp_index_load(&train, "kit/data/train.csv", 10, 0, &err)) ...
 *     size_t n = ramp_index_n(train), n_train, n_test;
 *     ramp_split_sizes(&n_train, &n_test, n, 0.2, &err);
 *     uint32_t *tr = malloc(n_train * 4), *te = malloc(n_test * 4);
 *     ramp_split_stratified(tr, te, ramp_index_labels(train), n, 10, 0.2, seed, fold, &err);
 *
 * Layout of a kit: docs/kits.md.
 *
 * Threads: the loaders, splits and checks here share nothing and are
 * thread-safe (ramp_kit_check runs its own n_threads inside); an index or
 * folds handle, once made, is read-only except ramp_folds_restrict, so its
 * accessors may run from several threads at once.
 */
#ifndef RAMP_DATASET_H
#define RAMP_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/detection.h" /* RAMP_DET_BOX, RAMP_DET_CIRCLE */
#include "ramp/gen.h"       /* ramp_obj */
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the index (id,class CSV) -------------------------------------------- */

typedef struct ramp_index ramp_index;

/* A sample source: image i is at paths[i] and has class labels[i] (labels
   may be NULL for unlabelled data); ids[i] names it in errors. */
typedef struct ramp_samples {
    const char *const *paths;
    const char *const *ids;
    const int32_t *labels;
    size_t n;
    int n_classes;
    /* Detection data (NULL otherwise): row i's objects, in its image's
       pixels, are objs[obj_off[i] .. obj_off[i+1]). */
    const ramp_obj *objs;
    const size_t *obj_off;
    int geometry; /* 0 boxes, 1 circles (ramp_det_geom's values) */
    /* Segmentation data (NULL otherwise): row i's label mask, a PNG whose
       pixel values are classes (RAMP_IGNORE_LABEL: void), either as a file
       (mask_paths[i]) or as bytes in memory (mask_bytes[i], mask_len[i]:
       what a fold child receives); the bytes win when both are set. */
    const char *const *mask_paths;
    const uint8_t *const *mask_bytes;
    const size_t *mask_len;
} ramp_samples;

/* Flags of ramp_index_load(). */
enum {
    /* skip the rows with a row-level problem (bad or out-of-range class,
       empty or unsafe id, duplicate id, wrong field count) and keep their
       messages in the index (ramp_index_skipped) instead of failing */
    RAMP_INDEX_SKIP_BAD_ROWS = 1u << 0,
    /* the class column is optional (a segmentation kit's id list): without
       it every row has class 0; with it, classes are checked as usual */
    RAMP_INDEX_NO_CLASS = 1u << 1,
};

/* Reads an id,class CSV: a header naming the columns (any order, extra
   columns allowed), RFC 4180 quoting ("" escapes a quote), LF or CRLF, an
   optional UTF-8 BOM, blank lines ignored. Classes must be integers in
   [0, n_classes) (n_classes <= 0: any integer >= 0). Ids must be non-empty
   and unique; an id is a path relative to the images folder (rampwf joins
   it onto the folder: "train/0001.jpg" is fine), so it must stay inside it:
   components separated by '/', none empty, "." or "..", no leading '/', no
   NUL or backslash, at most 1024 bytes and 255 bytes a component. Anything
   else is reported as "FILE:LINE: id '<id>' is not a safe relative path
   (<why>)".
   Without flags, the first problem fails the call. With
   RAMP_INDEX_SKIP_BAD_ROWS, row-level problems skip their row, the index
   holds the good rows and keeps each skipped row's message (file:line and
   the reason, in file order: ramp_index_n_skipped, ramp_index_skipped);
   problems with the file as a whole (unreadable, no header, missing column,
   unterminated quote) still fail the call. On failure *out is NULL and err
   (may be NULL) names file:line. The caller frees *out. */
ramp_status ramp_index_load(ramp_index **out, const char *path, int n_classes, unsigned flags,
                            ramp_err *err);

/* Same from memory (`text` is borrowed for the call; `name` is used in
   messages). */
ramp_status ramp_index_parse(ramp_index **out, const char *text, size_t len, const char *name,
                             int n_classes, unsigned flags, ramp_err *err);

/* Frees the index; NULL is a no-op. */
void ramp_index_free(ramp_index *ix);

/* Rows, in file order. The strings and arrays are borrowed from the index
   (valid until it is freed); all accessors are thread-safe. */
size_t ramp_index_n(const ramp_index *ix);
const char *ramp_index_id(const ramp_index *ix, size_t i);
int ramp_index_label(const ramp_index *ix, size_t i);
const int32_t *ramp_index_labels(const ramp_index *ix);
size_t ramp_index_line(const ramp_index *ix, size_t i); /* line of row i in the file */
const char *ramp_index_name(const ramp_index *ix);      /* file name given at load */

/* Rows skipped under RAMP_INDEX_SKIP_BAD_ROWS, in file order: the message of
   skipped row k ("FILE:LINE: reason", borrowed from the index) and, in *st
   (may be NULL), its status; NULL for k out of range. */
size_t ramp_index_n_skipped(const ramp_index *ix);
const char *ramp_index_skipped(const ramp_index *ix, size_t k, ramp_status *st);

/* ---- detection targets (one row per object) ------------------------------
 *
 *     ramp_det_index *d;
 *     if (ramp_det_index_load(&d, "kit/data/train.csv", 10, RAMP_DET_BOX, 0, &err)) ...
 *     const ramp_obj *o = ramp_det_index_objs(d);
 *     const size_t *off = ramp_det_index_obj_off(d);
 *     for (size_t i = 0; i < ramp_det_index_n(d); i++)      // images
 *         for (size_t j = off[i]; j < off[i + 1]; j++) ...  // o[j]: its objects
 */

typedef struct ramp_det_index ramp_det_index;

/* Reads a detection CSV: a header naming the columns (any order, extra
   columns ignored) id and either x0,y0,x1,y1 with class (boxes) or x,y,r
   with an optional class (circles; class 0 without it); the CSV syntax of
   ramp_index_load. One row per object; an image without objects has one
   row whose fields other than the id are all empty. The rows of an image
   need not be adjacent: images are numbered in the order their id first
   appears, and each image's objects keep the file's order. Ids follow
   ramp_index_load's safe-path rule; classes are integers in [0, n_classes)
   (n_classes <= 0: any >= 0); coordinates are finite numbers with x0 <= x1,
   y0 <= y1 and r >= 0, in pixels of the image (origin: the top-left corner
   of its top-left pixel). Objects get conf = 1 and, for circles, g[3] = 0.
   geometry is RAMP_DET_BOX or RAMP_DET_CIRCLE (detection.h), the one the
   problem declares (a header of the other is refused), or -1 to take the
   header's. flags: RAMP_INDEX_SKIP_BAD_ROWS as in ramp_index_load (an image
   all of whose rows are bad is left out). Every message names file:line.
   On failure *out is NULL. The caller frees *out. Thread-safe. */
ramp_status ramp_det_index_load(ramp_det_index **out, const char *path, int n_classes, int geometry,
                                unsigned flags, ramp_err *err);

/* Same from memory (`text` borrowed for the call; `name` used in messages). */
ramp_status ramp_det_index_parse(ramp_det_index **out, const char *text, size_t len,
                                 const char *name, int n_classes, int geometry, unsigned flags,
                                 ramp_err *err);

/* Frees the index; NULL is a no-op. */
void ramp_det_index_free(ramp_det_index *ix);

/* Images (in first-appearance order) and their objects. Everything is
   borrowed from the index, valid until it is freed; accessors are
   thread-safe. obj_off has n + 1 entries: image i's objects are
   objs[obj_off[i] .. obj_off[i + 1]). */
size_t ramp_det_index_n(const ramp_det_index *ix);
const char *ramp_det_index_id(const ramp_det_index *ix, size_t i);
const char *const *ramp_det_index_ids(const ramp_det_index *ix); /* n ids */
size_t ramp_det_index_line(const ramp_det_index *ix, size_t i);  /* image i's first row */
int ramp_det_index_geometry(const ramp_det_index *ix);           /* the header's */
size_t ramp_det_index_n_objs(const ramp_det_index *ix);
const ramp_obj *ramp_det_index_objs(const ramp_det_index *ix);
const size_t *ramp_det_index_obj_off(const ramp_det_index *ix);
size_t ramp_det_index_obj_line(const ramp_det_index *ix, size_t j); /* object j's row */
const char *ramp_det_index_name(const ramp_det_index *ix);

/* Rows skipped under RAMP_INDEX_SKIP_BAD_ROWS, as ramp_index_skipped. */
size_t ramp_det_index_n_skipped(const ramp_det_index *ix);
const char *ramp_det_index_skipped(const ramp_det_index *ix, size_t k, ramp_status *st);

/* ---- the stratified shuffle split ----------------------------------------- */

/* Sizes of the split as scikit-learn computes them: test_size in (0, 1) is a
   fraction (n_test = ceil(test_size * n)), test_size >= 1 an integer count;
   n_train = n - n_test. RAMP_EINVAL when either would be 0. */
ramp_status ramp_split_sizes(size_t *n_train, size_t *n_test, size_t n, double test_size,
                             ramp_err *err);

/* Fold `fold` of a stratified shuffle split of labels[0..n) (each in
   [0, n_classes)): writes the train and test row numbers, each ascending,
   into train[] and test[] (sized by ramp_split_sizes()). Per class, the
   counts are scikit-learn StratifiedShuffleSplit's: the train counts follow
   its _approximate_mode (floor of the proportional share, the remainder to
   the largest fractional parts, ties broken by the seeded stream) and each
   class's test count is the rest. The rows drawn come from a stream seeded
   from (seed, fold): reproducible, different per fold, not sklearn's
   permutation. As in sklearn, every present class needs 2 rows and both
   sides at least one row per present class (RAMP_EINVAL otherwise).
   Thread-safe (no shared state). */
ramp_status ramp_split_stratified(uint32_t *train, uint32_t *test, const int32_t *labels, size_t n,
                                  int n_classes, double test_size, uint64_t seed, int fold,
                                  ramp_err *err);

/* ---- whole kits --------------------------------------------------------- */

typedef struct ramp_fmnist_opts {
    const char *source_dir; /* the IDX .gz files; NULL: /usr/share/datasets/fashion-mnist */
    const char *out_dir;    /* the kit to create */
    int jpeg;               /* 0: PNG, 1: JPEG quality 90 */
    int size;               /* side in pixels; 0 or 28: native */
    int rgb;                /* write 3 channels (gray replicated) */
    long limit_train;       /* < 0: all 60,000 */
    long limit_test;        /* < 0: all 10,000 */
    int force;              /* allow a non-empty out_dir */
    int n_threads;          /* encoders; <= 0: 2 */
} ramp_fmnist_opts;

typedef struct ramp_fmnist_stats {
    size_t n_train, n_test;
    uint64_t bytes; /* image bytes written */
} ramp_fmnist_stats;

/* Builds a complete kit (problem.ini, data/train.csv, data/test.csv,
   data/class_codes.csv, data/imgs/<id> without extension) from the
   Fashion-MNIST IDX files. Refuses an existing non-empty out_dir unless
   opts->force. *stats (may be NULL) receives the counts. Thread-safe with
   distinct out_dirs. */
ramp_status ramp_kit_build_fashion_mnist(ramp_fmnist_stats *stats, const ramp_fmnist_opts *opts,
                                         ramp_err *err);

/* Data made here for detection and segmentation kits (docs/kits.md). */
typedef struct ramp_synth_opts {
    const char *out_dir;    /* writes OUT/data/...; refuses a non-empty OUT/data unless force */
    const char *source_dir; /* objects: the Fashion-MNIST IDX .gz files; NULL: Debian's */
    long n_train, n_test;   /* images per split, <= 99999; < 0: the defaults (objects 3000 +
                               1000, circles 2000 + 600) */
    int size;               /* canvas side in [32, 1024]; 0: 128 */
    uint64_t seed;          /* the same seed gives the same bytes, whatever n_threads */
    int n_threads;          /* <= 0: 2 */
    int force;
    int segmentation; /* objects: the problem.ini written is the segmentation kit's */
} ramp_synth_opts;

typedef struct ramp_synth_stats {
    size_t n_train, n_test, n_objects;
    uint64_t bytes;    /* PNG bytes written (images and masks) */
    int wrote_problem; /* OUT had no problem.ini: the kit's was written */
} ramp_synth_stats;

/* Fashion-MNIST items (train items for the train split, test items for the
   test split) pasted at random positions and scales onto textured RGB
   canvases, 1-4 a picture: OUT/data/imgs/<split>_<row>.png (RGB),
   OUT/data/masks/<id> (8-bit gray: 0 background, 1 + class, 255 void on
   the items' soft rims), OUT/data/train.csv and test.csv (boxes,
   id,class,x0,y0,x1,y1, classes 0-9), OUT/data/seg_train.csv and
   seg_test.csv (the id lists), class_codes.csv (the 10 classes) and
   seg_class_codes.csv (background + the 10); and, when OUT has no
   problem.ini, kits/objects_detection's (kits/objects_segmentation's with
   opts->segmentation). Thread-safe with distinct out_dirs. */
ramp_status ramp_kit_build_objects(ramp_synth_stats *stats, const ramp_synth_opts *opts,
                                   ramp_err *err);

/* Crater-like circles on a gray terrain, 0-6 a picture, radius 4-24 px at
   size 128 (scaled with size), centres inside the image:
   OUT/data/imgs/<id>.png (gray), OUT/data/train.csv and test.csv
   (id,x,y,r; an image without craters: id,,,), class_codes.csv (0,crater);
   and kits/circles' problem.ini when OUT has none. Thread-safe with
   distinct out_dirs. */
ramp_status ramp_kit_build_circles(ramp_synth_stats *stats, const ramp_synth_opts *opts,
                                   ramp_err *err);

typedef struct ramp_kit_summary {
    int n_classes;
    size_t n_rows[2];     /* train, test (good rows) */
    size_t *per_class[2]; /* n_classes counts each; malloc'd, see ramp_kit_summary_free */
    size_t n_images;      /* images decoded */
    size_t n_jpeg, n_png;
    int min_w, max_w, min_h, max_h;
    size_t n_channels[5]; /* images with 1..4 channels */
    size_t n_problems;
    char **problems; /* n_problems messages, in the order below; malloc'd */
    int workflow;    /* the kit's ramp_workflow_kind (0 when problem.ini is bad) */
    /* detection: n_rows are images, per_class counts objects */
    size_t n_objects[2];
    /* segmentation: mask pixels per class, n_classes + 1 counts each (the
       last: void, 255); NULL otherwise */
    uint64_t *pixels_per_class[2];
} ramp_kit_summary;

/* Checks a kit: problem.ini (and class codes), the train and test CSVs
   ([data] train/test, else data_dir/train.csv and test.csv; images in
   [data] images, else data_dir/imgs), and that every listed image exists
   and decodes within the image limits (n_threads decoders; <= 0: 2). A
   detection kit's CSVs are read by ramp_det_index_load and each object must
   lie in its image: a box inside [0, w] x [0, h], a circle's centre inside
   it (its rim may cross the edge). A segmentation kit's id lists are read
   with RAMP_INDEX_NO_CLASS and each image's mask ([data] masks, else
   data_dir/masks, then /<id>) must exist and be an 8-bit gray PNG (bit
   depth 8, colour type 0) of the image's size whose pixels are classes
   (< n_classes) or 255 (void; the first other value is reported with its
   pixel). Every problem found goes into
   sum->problems: the problem file's first, then the CSVs' rows, then the
   images in file order; each names the csv file:line or the id, and the
   reason. Rows rejected by the CSV check are not looked up as images.
   Returns RAMP_OK when none was found; RAMP_EFORMAT when some were, err
   then holding the first and the count of the others ("kit/data/train.csv:7:
   ... (and 3 more problems)"); another status when the check could not run
   (err says why). `sum` (may be NULL) receives the summary, also on
   RAMP_EFORMAT; free it with ramp_kit_summary_free(). data_dir NULL means
   KIT/data. */
ramp_status ramp_kit_check(ramp_kit_summary *sum, const char *kit_dir, const char *data_dir,
                           int n_threads, ramp_err *err);

/* Frees the arrays inside a summary (not the struct); NULL is a no-op. */
void ramp_kit_summary_free(ramp_kit_summary *sum);

/* ---- scikit-learn's shuffle splits, exactly -------------------------------
 *
 * The folds a Python kit gets from StratifiedShuffleSplit or ShuffleSplit
 * (n_splits, test_size, random_state=<int>).split(X, y): the same rows in the
 * same order, drawn from numpy's legacy RandomState(random_state) as sklearn
 * draws them.
 *
 *     size_t n_tr, n_te;
 *     ramp_split_sizes(&n_tr, &n_te, n, 0.2, &err);
 *     uint32_t *tr = malloc(8 * n_tr * 4), *te = malloc(8 * n_te * 4);
 *     ramp_split_sss(tr, te, labels, n, 8, 0.2, 57, &err);
 *     // split s: tr[s * n_tr .. (s + 1) * n_tr), te[s * n_te .. (s + 1) * n_te)
 */

/* StratifiedShuffleSplit(n_splits, test_size, random_state).split(X, labels):
   writes split s's train rows at train + s * n_train and its test rows at
   test + s * n_test (n_train, n_test from ramp_split_sizes()), each in
   sklearn's order. The classes are the distinct label values present, in
   numeric order (a label value absent from the rows is no class). Errors as
   sklearn's: test_size (RAMP_EINVAL, see ramp_split_sizes), random_state not
   below 2^32 (RAMP_ERANGE), a class with 1 row, or a side with fewer rows
   than the classes present (RAMP_EINVAL; the message names the class or the
   counts). Buffers are borrowed; thread-safe (no shared state). */
ramp_status ramp_split_sss(uint32_t *train, uint32_t *test, const int32_t *labels, size_t n,
                           int n_splits, double test_size, uint64_t random_state, ramp_err *err);

/* ShuffleSplit(n_splits, test_size, random_state).split(X) over n rows, laid
   out as ramp_split_sss's: per split, permutation(n), test = perm[:n_test],
   train = perm[n_test:]. Thread-safe. */
ramp_status ramp_split_ss(uint32_t *train, uint32_t *test, size_t n, int n_splits, double test_size,
                          uint64_t random_state, ramp_err *err);

/* A subset of at most max_n of the n rows (labels[i] in [0, n_classes)) that
   a stratified split with test_size can always cut, for a quick test. The
   rule: classes with 1 row are never kept; the others are ranked by size,
   largest first (equal sizes in an order drawn from `seed`); k is the
   largest number such that the first k classes give M = min(max_n, their
   rows) rows whose ramp_split_sizes(M, test_size) sides both have >= k rows
   (and M >= 2k). Class c of those k gets max(2, floor(M' * count_c / S))
   rows, S the k classes' rows and M' the largest value whose total is <= M;
   the few rows still short of M go one each to the largest classes whose
   share grows at M' + 1. So every class kept has >= 2 rows, both sides
   have a row per class, and the shares are proportional to the class sizes
   otherwise; with n <= max_n and every class splittable, all rows are kept.
   Which rows of a class are kept is drawn from `seed`. Writes the rows,
   ascending, into rows[] (room for min(n, max_n)) and their number into
   *n_rows. RAMP_EINVAL when no such subset exists (err says why).
   Reproducible for a seed; thread-safe. */
ramp_status ramp_split_quick(uint32_t *rows, size_t *n_rows, const int32_t *labels, size_t n,
                             int n_classes, size_t max_n, double test_size, uint64_t seed,
                             ramp_err *err);

/* ---- a kit's cross-validation folds ----------------------------------------
 *
 *     ramp_folds *f;
 *     if (ramp_folds_make(&f, problem, labels, n, &err)) ... err.msg
 *     for (int k = 0; k < ramp_folds_n(f); k++) {
 *         const uint32_t *tr, *va;
 *         size_t n_tr, n_va;
 *         ramp_folds_get(f, k, &tr, &n_tr, &va, &n_va);
 *     }
 *     ramp_folds_free(f);
 *
 * A folds file is a CSV with a header naming the columns fold, set and row
 * (any order, extra columns ignored): fold numbers 0, 1, ... without gaps (at
 * most 10000 folds), set train or valid, row a labelled row's number in
 * [0, n). A fold's rows keep the file's order; a row may not appear twice on
 * one side of a fold, and both sides of each fold need a row. Errors name
 * file:line.
 */

typedef struct ramp_problem ramp_problem; /* ramp/problem.h (a C11 typedef may repeat) */
typedef struct ramp_folds ramp_folds;

/* The CV folds of problem p over the n labelled rows (labels[i] in
   [0, n_classes)): per ramp_problem_cv_method(p), sklearn's
   StratifiedShuffleSplit or ShuffleSplit with (ramp_problem_cv_n_splits,
   ramp_problem_cv_test_size, ramp_problem_cv_random_state), or the folds
   file ramp_problem_cv_folds_file(p). p and labels are borrowed for the call
   (labels may be NULL for ShuffleSplit and a folds file). On failure *out is
   NULL and err (may be NULL) says why. The caller frees *out. */
ramp_status ramp_folds_make(ramp_folds **out, const ramp_problem *p, const int32_t *labels,
                            size_t n, ramp_err *err);

/* Reads the folds file `path` over n rows (the format above). */
ramp_status ramp_folds_load(ramp_folds **out, const char *path, size_t n, ramp_err *err);

/* Same from memory (`text` borrowed for the call; `name` used in messages). */
ramp_status ramp_folds_parse(ramp_folds **out, const char *text, size_t len, const char *name,
                             size_t n, ramp_err *err);

/* The number of folds. */
int ramp_folds_n(const ramp_folds *f);

/* Fold k's train and valid rows (borrowed from f, valid until it is freed or
   restricted); k out of range gives NULL and 0. Thread-safe. */
void ramp_folds_get(const ramp_folds *f, int k, const uint32_t **train, size_t *n_train,
                    const uint32_t **valid, size_t *n_valid);

/* Keeps only the rows r with keep[r] != 0 (keep has the n rows the folds
   were made over) and renumbers them as positions among the kept rows, each
   fold's order kept (a quick test runs the kit's folds, scaled down). A fold
   left with an empty side is RAMP_EINVAL naming the fold (the message kept
   in f: ramp_folds_errmsg), and f is then unchanged. Not thread-safe with
   readers of f. */
ramp_status ramp_folds_restrict(ramp_folds *f, const uint8_t *keep, size_t n);

/* The last error of ramp_folds_restrict on f ("" after a success);
   borrowed, valid until f's next call. */
const char *ramp_folds_errmsg(const ramp_folds *f);

/* Frees the folds; NULL is a no-op. */
void ramp_folds_free(ramp_folds *f);

#ifdef __cplusplus
}
#endif
#endif
