/* pygen.c — ramp's loader under RAMP's Python gen_builder.
 *
 * The core of the gen_builder a fit() receives (pycompat.c's rampwf class
 * holds it as `_core` and makes every generator through it):
 *
 *     gen = core.subset(indices, batch_size, shuffle, train)
 *     X, y = next(gen)   # X float32 (n, *shape), y float32 one-hot (n, n_classes)
 *
 * In a detection kit y is instead a list of n float32 arrays (k, 5): class,
 * then the object's four geometry values in tensor pixels (boxes x0, y0,
 * x1, y1; circles x, y, r, 0), from the batch's obj / obj_off; in a
 * segmentation kit an int64 array (n, H, W) of classes (255: void), from
 * the batch's mask. These are small copies (torch's losses want int64
 * targets), made as the batch arrives; X stays zero-copy.
 *
 * Generators are endless Python iterators (RAMP's and Keras's habit): an
 * epoch is gen.steps_per_epoch batches. Each batch comes from
 * ramp_gen_next_pinned, so X and y are numpy arrays over the loader's own
 * buffers (no copy): a Batch view object exports the memory through the
 * buffer protocol and holds the pin; numpy.asarray keeps the view alive, and
 * the view's last reference releases the pin. A batch thus stays valid
 * exactly as long as Python holds it (even after fit returns), and the loader
 * never waits for it (see ramp_gen_next_pinned).
 *
 * The GIL is released while a generator waits for data, so loader threads
 * running a Python transform can take it. Batches of the train generator
 * report progress to the workflow (the bar of `ramp test`).
 *
 * The builder is valid during fit only: afterwards its generators raise
 * RuntimeError (their C side is freed with the builder).
 *
 * On a CUDA fold the builder's buffers are page-locked (loader.h's
 * pin_memory): X is then an array over page-locked memory, which PyTorch
 * copies to the GPU as an asynchronous DMA with
 * torch.from_numpy(X).to('cuda', non_blocking=True). Builder and
 * generators say so in their `pin_memory` attribute. y's one-hot rows live
 * in the pin's own (pageable) memory. docs/python.md says how long a batch
 * must be held for such a copy.
 */
#include "python/pythonInt.h" /* Python.h first: it sets the feature macros */

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ramp/gen.h"

/* ---- the pin and the array views -------------------------------------------------- */

typedef struct {
    PyObject_HEAD ramp_gen_pin *pin;
} PinObject;

static void pin_dealloc(PyObject *o)
{
    ramp_gen_release(((PinObject *)o)->pin);
    Py_TYPE(o)->tp_free(o);
}

static PyTypeObject PinType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ramp._Pin",
    .tp_basicsize = sizeof(PinObject),
    .tp_dealloc = pin_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "a loader batch kept alive (internal)",
};

/* A float32 C-contiguous array over pinned memory, for numpy.asarray. */
typedef struct {
    PyObject_HEAD PyObject *owner; /* the PinObject */
    float *data;
    int ndim;
    Py_ssize_t shape[5];
    Py_ssize_t strides[5];
    Py_ssize_t len;
} ViewObject;

static int view_getbuffer(PyObject *o, Py_buffer *v, int flags)
{
    ViewObject *s = (ViewObject *)o;
    v->buf = s->data;
    v->obj = o;
    Py_INCREF(o);
    v->len = s->len;
    v->readonly = 0; /* the batch is the caller's: torch.from_numpy wants it writable */
    v->itemsize = sizeof(float);
    v->format = (flags & PyBUF_FORMAT) ? "f" : NULL;
    v->ndim = s->ndim;
    v->shape = (flags & PyBUF_ND) ? s->shape : NULL;
    v->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? s->strides : NULL;
    v->suboffsets = NULL;
    v->internal = NULL;
    return 0;
}

static void view_dealloc(PyObject *o)
{
    Py_XDECREF(((ViewObject *)o)->owner);
    Py_TYPE(o)->tp_free(o);
}

static PyBufferProcs view_as_buffer = {view_getbuffer, NULL};

static PyTypeObject ViewType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ramp._BatchView",
    .tp_basicsize = sizeof(ViewObject),
    .tp_dealloc = view_dealloc,
    .tp_as_buffer = &view_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "float32 memory of a pinned batch, exported by the buffer protocol (internal)",
};

/* numpy array of shape (n, dims...) over data, owned by `owner`. */
static PyObject *array_over(PyObject *owner, float *data, size_t n, int ndim, const int *dims)
{
    ViewObject *v = PyObject_New(ViewObject, &ViewType);
    if (!v) return NULL;
    Py_INCREF(owner);
    v->owner = owner;
    v->data = data;
    v->ndim = ndim + 1;
    v->shape[0] = (Py_ssize_t)n;
    for (int d = 0; d < ndim; d++)
        v->shape[d + 1] = dims[d];
    Py_ssize_t st = sizeof(float);
    for (int d = v->ndim - 1; d >= 0; d--) {
        v->strides[d] = st;
        st *= v->shape[d];
    }
    v->len = st;
    PyObject *a = PyObject_CallOneArg(ramp__py.np_asarray, (PyObject *)v);
    Py_DECREF(v);
    return a;
}

/* Sample i's objects as a float32 array (k, 5): class, g[0..3]. New
   reference, or NULL with an exception set. */
static PyObject *objects_array(const ramp_obj *o, size_t k)
{
    PyObject *shape = Py_BuildValue("(ni)", (Py_ssize_t)k, 5);
    PyObject *a = shape ? PyObject_CallFunctionObjArgs(ramp__py.np_empty, shape,
                                                       ramp__py.np_float32, NULL)
                        : NULL;
    Py_XDECREF(shape);
    if (!a) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(a, &v, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    float *f = v.buf;
    for (size_t j = 0; j < k; j++, f += 5) {
        f[0] = (float)o[j].cls;
        for (int q = 0; q < 4; q++) f[1 + q] = o[j].g[q];
    }
    PyBuffer_Release(&v);
    return a;
}

/* A detection batch's targets: a list of n arrays (k_i, 5). */
static PyObject *detection_targets(const ramp_batch *bt)
{
    PyObject *list = PyList_New((Py_ssize_t)bt->n);
    for (size_t i = 0; list && i < bt->n; i++) {
        PyObject *a = objects_array(bt->obj + bt->obj_off[i], bt->obj_off[i + 1] - bt->obj_off[i]);
        if (!a) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, a);
    }
    return list;
}

/* A segmentation batch's masks: an int64 array (n, mask_h, mask_w). */
static PyObject *segmentation_targets(const ramp_batch *bt)
{
    PyObject *shape = Py_BuildValue("(nii)", (Py_ssize_t)bt->n, bt->mask_h, bt->mask_w);
    PyObject *a = shape ? PyObject_CallFunctionObjArgs(ramp__py.np_empty, shape, ramp__py.np_int64,
                                                       NULL)
                        : NULL;
    Py_XDECREF(shape);
    if (!a) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(a, &v, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    int64_t *d = v.buf;
    size_t cells = bt->n * (size_t)bt->mask_h * (size_t)bt->mask_w;
    for (size_t q = 0; q < cells; q++) d[q] = bt->mask[q];
    PyBuffer_Release(&v);
    return a;
}

/* ---- generators --------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD PyObject *builder; /* BuilderObject: open while fit runs */
    ramp_gen *g;
    int train; /* reports progress */
    size_t steps;
    size_t batch_in_epoch;
    int busy; /* inside ramp_gen_next with the GIL released */
    /* how it was made, to make it again in a forked process (a Keras
       worker): the loader's threads do not cross a fork */
    pid_t pid;
    uint32_t *idx; /* the builder's samples it serves, in order */
    size_t n_idx, batch_size;
    int shuffle, use_train_tf;
    int pin_memory; /* its batches' X lies in page-locked memory */
} GenObject;

typedef struct {
    PyObject_HEAD ramp_gen_builder *gb; /* NULL once closed */
    int manual_progress;                /* the classifier calls progress(): generators stay quiet */
    int n_busy;                         /* generators inside ramp_gen_next */
    int pin_memory;                     /* the loader's buffers are page-locked */
} BuilderObject;

/* In a process forked from the fold (multiprocessing, Keras's
   use_multiprocessing=True): the generator's loader threads stayed in the
   parent, so its C generator is left alone (never freed here) and a fresh
   one is made over the same rows, starting at the beginning of an epoch, as
   a copied Python generator would go on from where the parent left it.
   Python transforms then run on this process's own threads (pytransform.c
   forgets the parent's workers at the fork). */
static int gen_refork(GenObject *s, BuilderObject *b)
{
    if (s->pid == getpid()) return 0;
    s->pid = getpid();
    s->g = NULL; /* the parent's: its threads are not here */
    s->train = 0; /* progress lines come from the fold's own process only */
    b->manual_progress = 1;
    ramp_gen *g = NULL;
    if (ramp_gen_builder_subset(b->gb, s->idx, s->n_idx, s->batch_size, s->shuffle,
                                s->use_train_tf, &g)) {
        PyErr_Format(PyExc_RuntimeError, "ramp loader (forked process): %s",
                     ramp_gen_builder_errmsg(b->gb));
        return -1;
    }
    ramp_gen_set_onehot(g, 1);
    s->g = g;
    s->batch_in_epoch = 0;
    return 0;
}

static PyObject *gen_next(PyObject *o)
{
    GenObject *s = (GenObject *)o;
    BuilderObject *b = (BuilderObject *)s->builder;
    if (!b->gb) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this generator belongs to a gen_builder whose fit() has returned");
        return NULL;
    }
    if (gen_refork(s, b) < 0) return NULL;
    if (!s->g) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this generator belongs to a gen_builder whose fit() has returned");
        return NULL;
    }
    /* one generator serves one thread at a time (the C generator is not
       thread-safe); a second caller gets Python's usual error */
    if (s->busy) {
        PyErr_SetString(PyExc_ValueError, "generator already executing");
        return NULL;
    }
    ramp_batch bt;
    ramp_gen_pin *pin = NULL;
    ramp_status st;
    s->busy = 1;
    b->n_busy++;
    Py_BEGIN_ALLOW_THREADS st = ramp_gen_next_pinned(s->g, &bt, &pin);
    Py_END_ALLOW_THREADS s->busy = 0;
    b->n_busy--;
    if (st)
    {
        PyErr_Format(PyExc_RuntimeError, "ramp loader: %s (%s)", ramp_gen_errmsg(s->g),
                     ramp_err_name(st));
        return NULL;
    }
    PinObject *p = PyObject_New(PinObject, &PinType);
    if (!p) {
        ramp_gen_release(pin);
        return NULL;
    }
    p->pin = pin;
    PyObject *X = array_over((PyObject *)p, (float *)bt.X, bt.n, bt.ndim, bt.shape);
    PyObject *y = NULL;
    if (X && bt.obj && bt.obj_off) {
        y = detection_targets(&bt);
    } else if (X && bt.mask) {
        y = segmentation_targets(&bt);
    } else if (X && bt.y_onehot) {
        int nc = bt.n_classes;
        y = array_over((PyObject *)p, (float *)bt.y_onehot, bt.n, 1, &nc);
    } else if (X) {
        y = Py_None;
        Py_INCREF(y);
    }
    Py_DECREF(p);
    if (!X || !y) {
        Py_XDECREF(X);
        Py_XDECREF(y);
        return NULL;
    }
    if (s->train) {
        s->batch_in_epoch++;
        if (!b->manual_progress)
            ramp_gen_builder_progress(b->gb, bt.epoch, 0, s->batch_in_epoch, s->steps, NAN, NAN);
    }
    if (bt.end_of_epoch) s->batch_in_epoch = 0;
    PyObject *t = PyTuple_Pack(2, X, y);
    Py_DECREF(X);
    Py_DECREF(y);
    return t;
}

static PyObject *gen_iter(PyObject *o)
{
    Py_INCREF(o);
    return o;
}

static PyObject *gen_len(PyObject *o, void *closure)
{
    (void)closure;
    return PyLong_FromSize_t(((GenObject *)o)->steps);
}

static PyObject *gen_n(PyObject *o, void *closure)
{
    (void)closure;
    GenObject *s = (GenObject *)o;
    return PyLong_FromSize_t(s->g ? ramp_gen_n_samples(s->g) : 0);
}

static void gen_dealloc(PyObject *o)
{
    /* A generator Python drops frees its loader threads and chunk buffers
       now (batches still held stay valid: their pins outlive it); once the
       builder is closed, the builder has freed it already. */
    GenObject *s = (GenObject *)o;
    BuilderObject *b = (BuilderObject *)s->builder;
    if (b && b->gb && s->g && s->pid == getpid()) {
        ramp_gen *g = s->g;
        s->g = NULL;
        /* joining the loader threads: one may be running a Python transform
           and waiting for the GIL */
        Py_BEGIN_ALLOW_THREADS ramp_gen_free(g);
        Py_END_ALLOW_THREADS
    }
    free(s->idx);
    Py_XDECREF(s->builder);
    Py_TYPE(o)->tp_free(o);
}

static PyObject *gen_pin_memory(PyObject *o, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((GenObject *)o)->pin_memory);
}

static PyGetSetDef gen_getset[] = {
    {"steps_per_epoch", gen_len, NULL, "batches per epoch: ceil(n_samples / batch_size)", NULL},
    {"n_samples", gen_n, NULL, "samples per epoch", NULL},
    {"pin_memory", gen_pin_memory, NULL,
     "True when each batch's X lies in page-locked memory (a CUDA fold): "
     "torch.from_numpy(X).to('cuda', non_blocking=True) is then an asynchronous copy",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject GenType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ramp.Generator",
    .tp_basicsize = sizeof(GenObject),
    .tp_dealloc = gen_dealloc,
    .tp_iter = gen_iter,
    .tp_iternext = gen_next,
    .tp_getset = gen_getset,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "endless iterator of (X, y) batches from ramp's loader",
};

static PyObject *gen_wrap(PyObject *builder, ramp_gen *g, int train)
{
    GenObject *s = PyObject_New(GenObject, &GenType);
    if (!s) return NULL;
    Py_INCREF(builder);
    s->builder = builder;
    s->g = g;
    s->train = train;
    s->steps = ramp_gen_steps_per_epoch(g);
    s->batch_in_epoch = 0;
    s->busy = 0;
    s->pid = getpid();
    s->idx = NULL;
    s->n_idx = s->batch_size = 0;
    s->shuffle = s->use_train_tf = 0;
    s->pin_memory = ((BuilderObject *)builder)->pin_memory;
    ramp_gen_set_onehot(g, 1);
    return (PyObject *)s;
}

/* subset(indices, batch_size, shuffle, train[, report]): a generator over
   the builder's samples at `indices` (positions among them, in that order),
   reshuffled every epoch when `shuffle`, with the preprocessor's
   `transform` when `train` (else transform_test); `report` (default:
   shuffle) feeds ramp test's progress bar. */
static PyObject *builder_subset(PyObject *o, PyObject *args)
{
    BuilderObject *b = (BuilderObject *)o;
    PyObject *ind;
    Py_ssize_t batch_size;
    int shuffle, train, report = -1;
    if (!PyArg_ParseTuple(args, "Onpp|p:subset", &ind, &batch_size, &shuffle, &train, &report))
        return NULL;
    if (!b->gb) {
        PyErr_SetString(PyExc_RuntimeError, "gen_builder used after fit() returned");
        return NULL;
    }
    if (batch_size <= 0) {
        PyErr_Format(PyExc_ValueError, "batch_size must be positive (got %zd)", batch_size);
        return NULL;
    }
    PyObject *seq = PySequence_Fast(ind, "indices must be a sequence of integers");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    size_t total = ramp_gen_builder_n_samples(b->gb);
    uint32_t *idx = malloc(((size_t)n + 1) * sizeof *idx);
    if (!idx) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t v = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i), PyExc_IndexError);
        if (v == -1 && PyErr_Occurred()) goto bad;
        if (v < 0 || (size_t)v >= total) {
            PyErr_Format(PyExc_IndexError, "index %zd out of range (%zu samples)", v, total);
            goto bad;
        }
        idx[i] = (uint32_t)v;
    }
    Py_DECREF(seq);
    if (n == 0) {
        free(idx);
        PyErr_SetString(PyExc_ValueError, "a generator needs at least one sample");
        return NULL;
    }
    ramp_gen *g = NULL;
    if (ramp_gen_builder_subset(b->gb, idx, (size_t)n, (size_t)batch_size, shuffle, train, &g)) {
        free(idx);
        PyErr_Format(PyExc_ValueError, "ramp loader: %s", ramp_gen_builder_errmsg(b->gb));
        return NULL;
    }
    PyObject *r = gen_wrap(o, g, report < 0 ? shuffle : report);
    if (!r) {
        free(idx);
        return NULL;
    }
    GenObject *s = (GenObject *)r;
    s->idx = idx;
    s->n_idx = (size_t)n;
    s->batch_size = (size_t)batch_size;
    s->shuffle = shuffle;
    s->use_train_tf = train;
    return r;
bad:
    Py_DECREF(seq);
    free(idx);
    return NULL;
}

/* ---- the builder ---------------------------------------------------------------------- */

static PyObject *builder_progress(PyObject *o, PyObject *args)
{
    BuilderObject *b = (BuilderObject *)o;
    int epoch, n_epochs;
    Py_ssize_t batch, n_batches;
    double loss = NAN, acc = NAN;
    if (!PyArg_ParseTuple(args, "iinn|dd:progress", &epoch, &n_epochs, &batch, &n_batches, &loss,
                          &acc))
        return NULL;
    b->manual_progress = 1;
    if (b->gb && batch >= 0 && n_batches >= 0)
        ramp_gen_builder_progress(b->gb, epoch, n_epochs, (size_t)batch, (size_t)n_batches, loss,
                                  acc);
    Py_RETURN_NONE;
}

static PyMethodDef builder_methods[] = {
    {"subset", builder_subset, METH_VARARGS,
     "subset(indices, batch_size, shuffle, train[, report]) -> a generator over those samples"},
    {"progress", builder_progress, METH_VARARGS,
     "progress(epoch, n_epochs, batch, n_batches[, loss[, accuracy]]): for ramp test's display"},
    {NULL, NULL, 0, NULL},
};

static PyObject *builder_pin_memory(PyObject *o, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((BuilderObject *)o)->pin_memory);
}

static PyGetSetDef builder_getset[] = {
    {"pin_memory", builder_pin_memory, NULL,
     "True when the loader's batch buffers are page-locked memory (a CUDA fold)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static void builder_dealloc(PyObject *o)
{
    Py_TYPE(o)->tp_free(o);
}

static PyTypeObject BuilderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ramp.GenBuilder",
    .tp_basicsize = sizeof(BuilderObject),
    .tp_dealloc = builder_dealloc,
    .tp_methods = builder_methods,
    .tp_getset = builder_getset,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "RAMP's gen_builder over ramp's streaming loader",
};

PyObject *ramp__py_builder_new(ramp_gen_builder *gb)
{
    BuilderObject *b = PyObject_New(BuilderObject, &BuilderType);
    if (!b) return NULL;
    b->gb = gb;
    b->manual_progress = 0;
    b->n_busy = 0;
    b->pin_memory = ramp_gen_builder_opts(gb).pin_memory != 0;
    return (PyObject *)b;
}

void ramp__py_builder_close(PyObject *builder)
{
    BuilderObject *b = (BuilderObject *)builder;
    /* a thread of the classifier may still be inside next() without the
       GIL: let it come out before the builder's generators are freed */
    while (b->n_busy > 0) {
        Py_BEGIN_ALLOW_THREADS struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        Py_END_ALLOW_THREADS
    }
    b->gb = NULL;
}

int ramp__py_gen_types_init(PyObject *module)
{
    PyTypeObject *types[] = {&PinType, &ViewType, &GenType, &BuilderType};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (PyType_Ready(types[i]) < 0) return -1;
    Py_INCREF(&GenType);
    if (PyModule_AddObject(module, "Generator", (PyObject *)&GenType) < 0) return -1;
    Py_INCREF(&BuilderType);
    if (PyModule_AddObject(module, "GenBuilder", (PyObject *)&BuilderType) < 0) return -1;
    return 0;
}
