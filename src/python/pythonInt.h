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

#include "python/pyplugin.h"

typedef struct ramp__pystate {
    PyObject *np;         /* numpy */
    PyObject *np_asarray; /* numpy.asarray */
    PyObject *np_empty;   /* numpy.empty */
    PyObject *np_contig;  /* numpy.ascontiguousarray */
    PyObject *np_float32, *np_uint8;
    PyObject *format_exception; /* traceback.format_exception */
    PyObject *tf, *tf_test;     /* the preprocessor's functions (tf_test may be NULL) */
    PyObject *clf_cls;          /* BatchClassifier */
    PyObject *info;             /* ramp.info: a dict the submission may read */
    int n_classes;
    int ndim;
    int shape[4];
    char errmsg[8192];
} ramp__pystate;

extern ramp__pystate ramp__py;

/* Formats the pending Python exception (and clears it) into msg as
   "<what> raised <Type: text>\n<traceback>"; also writes the traceback to
   stderr (the fold's log). Returns RAMP_ECRASH. GIL held. */
ramp_status ramp__py_fail(char *msg, size_t len, const char *what);

/* Adds the generator types to the `ramp` module. GIL held. */
int ramp__py_gen_types_init(PyObject *module);

/* A Python gen_builder over gb (borrowed while the object is open), and its
   closing: generators made from it stop working (RuntimeError); batches they
   lent stay valid (pinned). GIL held. */
PyObject *ramp__py_builder_new(ramp_gen_builder *gb);
void ramp__py_builder_close(PyObject *builder);

/* The transforms, per mode (pytransform.c). */
ramp_status ramp__py_transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out);
ramp_status ramp__py_transform_test(ramp_pp *pp, const ramp_image *x, ramp_tensor *out);
ramp_status ramp__py_workers_start(int n, char *msg, size_t len);
void ramp__py_workers_stop(void);

#endif
