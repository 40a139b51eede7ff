/* pythonInt.h — what the plugin's files share.
 *
 * plugin.c   the interpreter, module loading, exceptions → messages, the
 *            classifier contract, the exported table
 * pygen.c    the Python face of the loader: gen_builder, generators, and
 *            zero-copy batch arrays that pin the loader's buffers
 * pytransform.c  transform(x) on loader threads (GIL) or in worker processes
 *
 * One interpreter per process, hence one state (ramp__py) per process: the
 * C contracts the plugin serves (ramp_transform_fn, batch_classifier_*)
 * carry no user pointer for the modules.
 */
#ifndef RAMP_PYTHON_INT_H
#define RAMP_PYTHON_INT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "submission/pyplugin.h"

typedef struct ramp__pystate {
    PyObject *np;         /* numpy */
    PyObject *np_asarray; /* numpy.asarray */
    PyObject *np_empty;   /* numpy.empty */
    PyObject *np_contig;  /* numpy.ascontiguousarray */
    PyObject *np_float32, *np_uint8, *np_uint16, *np_int64;
    PyObject *np_seed, *py_seed; /* numpy.random.seed, random.seed */
    PyObject *format_exception; /* traceback.format_exception */
    PyObject *tf, *tf_test;     /* the preprocessor's functions (tf_test may be NULL) */
    PyObject *clf_cls;          /* BatchClassifier, BatchDetector or BatchSegmenter */
    PyObject *info;             /* ramp.info: a dict the submission may read */
    int simplified;             /* the classifier is rampwf's simplified ImageClassifier */
    const char *clf_file;       /* its file, for messages */
    const char *clf_name;       /* its class, for messages */
    int model;                  /* RAMP__MODEL_CLASSIFIER, _DETECTOR or _SEGMENTER */
    int geometry, max_objects;  /* a detector's (ramp_clf_info) */
    int n_classes;
    int ndim;
    int shape[4];
    char errmsg[8192];
    int log_fd; /* where tracebacks go (the fold's log), or -1 */
} ramp__pystate;

extern ramp__pystate ramp__py;

/* Formats the pending Python exception (and clears it) into msg as
   "<what> raised <Type: text>\n<traceback>"; also writes the traceback to
   ramp__py.log_fd (the fold's log). Returns RAMP_ECRASH. GIL held. */
ramp_status ramp__py_fail(char *msg, size_t len, const char *what);

/* Adds the generator types to the `ramp` module. GIL held. */
int ramp__py_gen_types_init(PyObject *module);

/* A Python gen_builder over gb (borrowed while the object is open), and its
   closing: generators made from it stop working (RuntimeError); batches they
   lent stay valid (pinned). GIL held. */
PyObject *ramp__py_builder_new(ramp_gen_builder *gb);
void ramp__py_builder_close(PyObject *builder);

/* x as rampwf hands an image to a submission: a fresh numpy array, H×W for
   gray and H×W×C otherwise, uint8 or (bits 16) uint16. New reference, or
   NULL with an exception set. GIL held. */
PyObject *ramp__py_image_array(const uint8_t *px, size_t stride, int w, int h, int c, int bits);
/* The decoded samples of x (16-bit ones when the image has them); NULL
   with pp's error. No GIL needed. */
const uint8_t *ramp__py_image_pixels(ramp_pp *pp, const ramp_image *x, size_t *stride, int *bits);
/* Seeds numpy's and Python's global random streams. 0, or -1 with an
   exception set. GIL held. */
int ramp__py_seed_all(uint32_t seed);

/* rampwf's classes over ramp (pycompat.c): added to the `ramp` module at
   its creation; the gen_builder a fit() receives (core: pygen.c's builder
   over gb); the ImageLoader of the simplified workflow (a copy of imgs).
   New references or NULL with an exception set. GIL held. */
int ramp__py_compat_init(PyObject *module);
PyObject *ramp__py_builder_wrap(PyObject *core, ramp_gen_builder *gb);
PyObject *ramp__py_loader_new(const ramp__py_images *imgs);
/* Images the ImageLoader decoded so far, and the wall time it spent. */
void ramp__py_loader_stats(uint64_t *images, double *seconds);

/* The transforms, per mode (pytransform.c). */
ramp_status ramp__py_transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out);
ramp_status ramp__py_transform_test(ramp_pp *pp, const ramp_image *x, ramp_tensor *out);
ramp_status ramp__py_workers_start(int n, char *msg, size_t len);
void ramp__py_workers_stop(void);

#endif
