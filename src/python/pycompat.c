/* pycompat.c — what a rampwf submission sees: rampwf's gen_builder and
 * ImageLoader, over ramp's loader and decoders.
 *
 * Both are small Python classes (their attributes and corner cases are
 * rampwf's contract, which reads best as Python), defined in the `ramp`
 * module from the source below; the work is done in C:
 * - the gen_builder's generators are ramp's loader (pygen.c's
 *   GenBuilder.subset): rampwf's split (the last int(valid_ratio × n) rows
 *   of the fold-train order validate, with `transform`), an empty
 *   generator for valid_ratio = 0, per-epoch reshuffling of the train rows
 *   (ramp's own choice: rampwf never shuffles);
 * - the ImageLoader's load / parallel_load decode with ramp's decoders
 *   (ramp._imread, ramp._imread_many: TurboJPEG / libspng, the GIL
 *   released, parallel_load on n_jobs threads), giving the arrays
 *   skimage.io.imread gives (gray H×W, uint16 for 16-bit PNGs).
 * Both objects own copies of their data: a submission may keep them past
 * fit().
 */
#include "python/pythonInt.h" /* Python.h first */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ramp/image.h"

/* ---- decoding -------------------------------------------------------------------------- */

/* what the image loader decoded, and the wall time it took (GIL held when
   updated): the fold reports it as the loader's figures */
static uint64_t g_images;
static double g_seconds;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ramp__py_loader_stats(uint64_t *images, double *seconds)
{
    *images = g_images;
    *seconds = g_seconds;
}

typedef struct decoded {
    uint8_t *px; /* rows packed */
    int w, h, c, bits;
    ramp_status st;
    char err[512];
} decoded;

/* Decodes path into d (no GIL). */
static void decode_one(ramp_pp *pp, const char *path, decoded *d)
{
    memset(d, 0, sizeof *d);
    ramp_pp_reset(pp);
    const ramp_image *x = ramp_img_open(pp, path);
    size_t stride = 0;
    int bits = 8;
    const uint8_t *px = x ? ramp__py_image_pixels(pp, x, &stride, &bits) : NULL;
    if (!px) {
        d->st = ramp_pp_status(pp) ? ramp_pp_status(pp) : RAMP_EIO;
        snprintf(d->err, sizeof d->err, "%s", ramp_pp_errmsg(pp));
        return;
    }
    d->w = ramp_img_width(x);
    d->h = ramp_img_height(x);
    d->c = ramp_img_channels(x);
    d->bits = bits;
    size_t row = (size_t)d->w * (size_t)d->c * (bits == 16 ? 2 : 1);
    d->px = malloc(row * (size_t)d->h + 1);
    if (!d->px) {
        d->st = RAMP_ENOMEM;
        snprintf(d->err, sizeof d->err, "%s: out of memory", path);
        return;
    }
    for (int y = 0; y < d->h; y++)
        memcpy(d->px + (size_t)y * row, px + (size_t)y * stride, row);
}

/* The array of d, or NULL with OSError set (GIL held). */
static PyObject *decoded_array(const decoded *d)
{
    if (d->st) {
        PyErr_SetString(PyExc_OSError, d->err[0] ? d->err : "cannot read the image");
        return NULL;
    }
    size_t row = (size_t)d->w * (size_t)d->c * (d->bits == 16 ? 2 : 1);
    return ramp__py_image_array(d->px, row, d->w, d->h, d->c, d->bits);
}

static PyObject *py_imread(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *path_obj;
    unsigned long long max_pixels = RAMP_DEFAULT_MAX_PIXELS;
    if (!PyArg_ParseTuple(args, "O&|K:_imread", PyUnicode_FSConverter, &path_obj, &max_pixels))
        return NULL;
    ramp_pp *pp = NULL;
    if (ramp_pp_new(&pp, NULL)) {
        Py_DECREF(path_obj);
        return PyErr_NoMemory();
    }
    ramp_pp_set_max_pixels(pp, max_pixels);
    decoded d;
    const char *path = PyBytes_AS_STRING(path_obj);
    double t0 = now_s();
    PyThreadState *ts = PyEval_SaveThread();
    decode_one(pp, path, &d);
    PyEval_RestoreThread(ts);
    g_seconds += now_s() - t0;
    g_images++;
    ramp_pp_free(pp);
    Py_DECREF(path_obj);
    PyObject *r = decoded_array(&d);
    free(d.px);
    return r;
}

typedef struct many {
    const char **paths;
    decoded *out;
    size_t n;
    size_t next; /* under mu */
    uint64_t max_pixels;
    pthread_mutex_t mu;
} many;

static void *many_main(void *arg)
{
    many *m = arg;
    ramp_pp *pp = NULL;
    int ok = ramp_pp_new(&pp, NULL) == RAMP_OK;
    if (ok) ramp_pp_set_max_pixels(pp, m->max_pixels);
    for (;;) {
        pthread_mutex_lock(&m->mu);
        size_t i = m->next++;
        pthread_mutex_unlock(&m->mu);
        if (i >= m->n) break;
        if (ok) {
            decode_one(pp, m->paths[i], &m->out[i]);
        } else {
            m->out[i].st = RAMP_ENOMEM;
            snprintf(m->out[i].err, sizeof m->out[i].err, "out of memory");
        }
    }
    ramp_pp_free(pp);
    return NULL;
}

/* _imread_many(paths, n_jobs, max_pixels) -> list of arrays, decoded on
   n_jobs threads without the GIL. */
static PyObject *py_imread_many(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *seq_in;
    int n_jobs = 1;
    unsigned long long max_pixels = RAMP_DEFAULT_MAX_PIXELS;
    if (!PyArg_ParseTuple(args, "O|iK:_imread_many", &seq_in, &n_jobs, &max_pixels)) return NULL;
    PyObject *seq = PySequence_Fast(seq_in, "_imread_many: paths must be a sequence");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **enc = calloc((size_t)n + 1, sizeof *enc);
    many m = {calloc((size_t)n + 1, sizeof(char *)),
              calloc((size_t)n + 1, sizeof(decoded)),
              (size_t)n,
              0,
              max_pixels,
              PTHREAD_MUTEX_INITIALIZER};
    PyObject *list = NULL;
    if (!enc || !m.paths || !m.out) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(seq, i), &enc[i])) goto done;
        m.paths[i] = PyBytes_AS_STRING(enc[i]);
    }
    if (n_jobs < 1) n_jobs = 1;
    if (n_jobs > 64) n_jobs = 64;
    if ((Py_ssize_t)n_jobs > n) n_jobs = n > 0 ? (int)n : 1;
    pthread_t th[64];
    int started = 0;
    double t0 = now_s();
    PyThreadState *ts = PyEval_SaveThread();
    for (int t = 1; t < n_jobs; t++) {
        if (pthread_create(&th[t], NULL, many_main, &m) != 0) break;
        started = t;
    }
    many_main(&m); /* this thread works too */
    for (int t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    PyEval_RestoreThread(ts);
    g_seconds += now_s() - t0;
    g_images += (uint64_t)n;
    list = PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *a = decoded_array(&m.out[i]);
        if (!a) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, a);
    }
done:
    for (Py_ssize_t i = 0; enc && i < n; i++)
        Py_XDECREF(enc[i]);
    for (size_t i = 0; m.out && i < (size_t)n; i++)
        free(m.out[i].px);
    free(enc);
    free(m.paths);
    free(m.out);
    Py_DECREF(seq);
    return list;
}

static PyMethodDef compat_functions[] = {
    {"_imread", py_imread, METH_VARARGS,
     "_imread(path[, max_pixels]) -> the image as skimage.io.imread gives it"},
    {"_imread_many", py_imread_many, METH_VARARGS,
     "_imread_many(paths[, n_jobs[, max_pixels]]) -> list of images, decoded in parallel"},
    {NULL, NULL, 0, NULL},
};

/* ---- rampwf's classes ------------------------------------------------------------------- */

static const char compat_source[] =
    "import os as _os\n"
    "import numpy as _np\n"
    "\n"
    "class _EmptyGenerator:\n"
    "    \"\"\"The valid generator of valid_ratio=0: no batch at all.\"\"\"\n"
    "    steps_per_epoch = 0\n"
    "    n_samples = 0\n"
    "    pin_memory = False\n"
    "    def __iter__(self):\n"
    "        return self\n"
    "    def __next__(self):\n"
    "        raise StopIteration\n"
    "    def __len__(self):\n"
    "        return 0\n"
    "\n"
    "class RampwfGenBuilder:\n"
    "    \"\"\"rampwf's BatchGeneratorBuilder, served by ramp's loader.\"\"\"\n"
    "    def __init__(self, core, X_array, y_array, folder, chunk_size, n_classes, n_jobs,\n"
    "                 transform_img, transform_test_img):\n"
    "        self._core = core\n"
    "        self.X_array = X_array\n"
    "        self.y_array = y_array\n"
    "        self.folder = folder\n"
    "        self.chunk_size = chunk_size\n"
    "        self.n_classes = n_classes\n"
    "        self.n_jobs = n_jobs\n"
    "        self.transform_img = transform_img\n"
    "        self.transform_test_img = transform_test_img\n"
    "        self.nb_examples = len(X_array)\n"
    "    @property\n"
    "    def n_samples(self):\n"
    "        return self.nb_examples\n"
    "    @property\n"
    "    def pin_memory(self):\n"
    "        \"\"\"True when batches lie in page-locked memory (a CUDA fold).\"\"\"\n"
    "        return self._core.pin_memory\n"
    "    def get_train_valid_generators(self, batch_size=256, valid_ratio=0.1):\n"
    "        nb_valid = int(valid_ratio * self.nb_examples)\n"
    "        nb_train = self.nb_examples - nb_valid\n"
    "        if nb_train <= 0 or nb_valid < 0:\n"
    "            raise ValueError('get_train_valid_generators: valid_ratio=%r leaves %d of %d '\n"
    "                             'samples to train on' % (valid_ratio, nb_train,\n"
    "                                                      self.nb_examples))\n"
    "        gen_train = self._core.subset(range(nb_train), batch_size, True, True)\n"
    "        if nb_valid > 0:\n"
    "            gen_valid = self._core.subset(range(nb_train, self.nb_examples), batch_size,\n"
    "                                          False, True, False)\n"
    "        else:\n"
    "            gen_valid = _EmptyGenerator()\n"
    "        return gen_train, gen_valid, nb_train, nb_valid\n"
    "    def _get_generator(self, indices=None, batch_size=256):\n"
    "        if indices is None:\n"
    "            indices = range(self.nb_examples)\n"
    "        return self._core.subset([int(i) for i in indices], batch_size, False, True, False)\n"
    "    def progress(self, epoch, n_epochs, batch, n_batches, loss=float('nan'),\n"
    "                 accuracy=float('nan')):\n"
    "        self._core.progress(epoch, n_epochs, batch, n_batches, loss, accuracy)\n"
    "\n"
    "class ImageLoader:\n"
    "    \"\"\"rampwf's ImageLoader (simplified_image_classifier), on ramp's decoders.\"\"\"\n"
    "    def __init__(self, X_array, y_array, folder, n_classes, n_jobs=1,\n"
    "                 max_pixels=64000000):\n"
    "        self.X_array = X_array\n"
    "        self.y_array = y_array\n"
    "        self.folder = folder\n"
    "        self.n_classes = n_classes\n"
    "        self.nb_examples = len(X_array)\n"
    "        self._n_jobs = n_jobs\n"
    "        self._max_pixels = max_pixels\n"
    "    def _path(self, index):\n"
    "        return _os.path.join(self.folder, '{}'.format(self.X_array[index]))\n"
    "    def load(self, index):\n"
    "        if index < 0 or index >= self.nb_examples:\n"
    "            raise IndexError('list index out of range')\n"
    "        x = _imread(self._path(index), self._max_pixels)\n"
    "        if self.y_array is not None:\n"
    "            return x, self.y_array[index]\n"
    "        return x\n"
    "    def parallel_load(self, indexes, transforms=None):\n"
    "        indexes = list(indexes)\n"
    "        for index in indexes:\n"
    "            assert 0 <= index < self.nb_examples\n"
    "        if transforms is not None:\n"
    "            for t in transforms:\n"
    "                if not isinstance(t, dict) or 'name' not in t:\n"
    "                    raise ValueError('parallel_load: each transform is a dict with a name')\n"
    "        xs = _imread_many([self._path(i) for i in indexes], self._n_jobs, self._max_pixels)\n"
    "        if self.y_array is not None:\n"
    "            return xs, [self.y_array[i] for i in indexes]\n"
    "        return xs\n"
    "    def __iter__(self):\n"
    "        for i in range(self.nb_examples):\n"
    "            yield self.load(i)\n"
    "    def __len__(self):\n"
    "        return self.nb_examples\n";

static PyObject *g_builder_cls, *g_loader_cls;

int ramp__py_compat_init(PyObject *module)
{
    if (PyModule_AddFunctions(module, compat_functions) < 0) return -1;
    PyObject *d = PyModule_GetDict(module); /* borrowed */
    if (PyDict_GetItemString(d, "__builtins__") == NULL &&
        PyDict_SetItemString(d, "__builtins__", PyEval_GetBuiltins()) < 0)
        return -1;
    PyObject *r = PyRun_String(compat_source, Py_file_input, d, d);
    if (!r) return -1;
    Py_DECREF(r);
    g_builder_cls = PyDict_GetItemString(d, "RampwfGenBuilder");
    g_loader_cls = PyDict_GetItemString(d, "ImageLoader");
    if (!g_builder_cls || !g_loader_cls) return -1;
    Py_INCREF(g_builder_cls);
    Py_INCREF(g_loader_cls);
    return 0;
}

/* A numpy object array of the ids (rampwf's X_array: the ids as the CSV
   gives them). */
static PyObject *ids_array(const char *const *ids, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *s = PyUnicode_DecodeFSDefault(ids[i]);
        if (!s) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, s);
    }
    if (!list) return NULL;
    PyObject *np_array = PyObject_GetAttrString(ramp__py.np, "array");
    PyObject *obj = PyObject_GetAttrString(ramp__py.np, "object_");
    PyObject *a = np_array && obj ? PyObject_CallFunctionObjArgs(np_array, list, obj, NULL) : NULL;
    Py_XDECREF(np_array);
    Py_XDECREF(obj);
    Py_DECREF(list);
    return a;
}

/* rampwf's y_array: int64 labels. */
static PyObject *labels_array(const int32_t *y, size_t n)
{
    PyObject *shape = Py_BuildValue("(n)", (Py_ssize_t)n);
    PyObject *i64 = PyObject_GetAttrString(ramp__py.np, "int64");
    PyObject *a =
        shape && i64 ? PyObject_CallFunctionObjArgs(ramp__py.np_empty, shape, i64, NULL) : NULL;
    Py_XDECREF(shape);
    Py_XDECREF(i64);
    if (!a) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(a, &v, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        ((int64_t *)v.buf)[i] = y[i];
    PyBuffer_Release(&v);
    return a;
}

/* The folder the ids are relative to: path minus "/id". */
static PyObject *folder_of(const char *path, const char *id)
{
    size_t pl = strlen(path), il = strlen(id);
    if (pl > il && strcmp(path + pl - il, id) == 0 && path[pl - il - 1] == '/')
        return PyUnicode_DecodeFSDefaultAndSize(path, (Py_ssize_t)(pl - il - 1));
    return PyUnicode_FromString(".");
}

PyObject *ramp__py_builder_wrap(PyObject *core, ramp_gen_builder *gb)
{
    const ramp_samples *s = ramp_gen_builder_samples(gb);
    PyObject *X = ids_array((const char *const *)s->ids, s->n);
    PyObject *y = NULL; /* None without class labels (detection, segmentation) */
    if (X && s->labels) {
        y = labels_array(s->labels, s->n);
    } else if (X) {
        y = Py_None;
        Py_INCREF(y);
    }
    PyObject *folder = y ? folder_of(s->n ? s->paths[0] : "", s->n ? s->ids[0] : "") : NULL;
    ramp_loader_opts o = ramp_gen_builder_opts(gb);
    PyObject *tf = ramp__py.tf ? ramp__py.tf : Py_None;
    PyObject *tft = ramp__py.tf_test ? ramp__py.tf_test : tf;
    PyObject *r = NULL;
    if (folder)
        r = PyObject_CallFunction(g_builder_cls, "OOOOnnnOO", core, X, y, folder,
                                  (Py_ssize_t)o.chunk_size, (Py_ssize_t)s->n_classes,
                                  (Py_ssize_t)o.n_jobs, tf, tft);
    Py_XDECREF(X);
    Py_XDECREF(y);
    Py_XDECREF(folder);
    return r;
}

PyObject *ramp__py_loader_new(const ramp__py_images *imgs)
{
    PyObject *X = ids_array(imgs->ids, imgs->n);
    PyObject *y = NULL;
    if (X && imgs->labels) {
        y = labels_array(imgs->labels, imgs->n);
    } else if (X) {
        y = Py_None;
        Py_INCREF(y);
    }
    PyObject *r = NULL;
    if (y)
        r = PyObject_CallFunction(g_loader_cls, "OOsiiK", X, y, imgs->folder, imgs->n_classes,
                                  imgs->n_jobs, (unsigned long long)imgs->max_pixels);
    Py_XDECREF(X);
    Py_XDECREF(y);
    return r;
}
