/* plugin.c — the embedded interpreter and RAMP's Python contract.
 *
 * The fold's child process calls init once: the interpreter starts
 * unbuffered (prints reach the fold's log even when the child ends with
 * _exit), without its own signal handlers (a crash must end the child by its
 * signal), with the submission's folder first on sys.path, and the Python
 * version and numpy are checked with a clear message. A built-in module
 * `ramp` exposes `ramp.info` (n_classes, shape, seed, n_threads, quick_test,
 * fold) to submissions that want it; RAMP's own files do not need it.
 *
 * After init the main thread gives up the GIL: every entry point (the
 * classifier calls on the main thread, the transforms on loader threads)
 * takes it with PyGILState_Ensure, and the generators release it while they
 * wait for data, so a Python preprocessor never deadlocks against a Python
 * classifier.
 *
 * RAMP's contract: image_preprocessor.py defines transform(x) (and maybe
 * transform_test); batch_classifier.py defines BatchClassifier() with
 * fit(gen_builder) and predict_proba(X). A Python exception becomes the
 * call's error: "<file>: <call> raised <Type: text>" followed by the
 * traceback, which also goes to the log.
 *
 * rampwf's ObjectDetector (object_detector.py alone: fit(X, y) and
 * predict(X) over arrays) runs as a detector: its class is wrapped by
 * rampwf.workflows._fold_detector.FoldDetector, which reads the fold's
 * images into arrays and converts the objects both ways.
 *
 * Detection and segmentation kits follow the same pattern (detector.h's
 * contract in Python): batch_detector.py's BatchDetector().predict(X)
 * returns a list of n arrays (k, 6) — class, confidence, four geometry
 * values in tensor pixels — copied into the C contract's objs / n_objs here
 * (shapes, types, integral classes and the max_objects cap are checked here,
 * naming the image; the fold checks the values); batch_segmenter.py's
 * BatchSegmenter().predict_proba(X) returns n × n_classes × H × W, checked
 * and copied like a classifier's. ramp.info gains workflow, geometry and
 * max_objects so that the classes learn the kit as BatchClassifier does.
 */
#include "python/pythonInt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "submission/submissionInt.h" /* ramp__model */

ramp__pystate ramp__py = {.log_fd = -1};

static int g_started;

/* ---- errors ------------------------------------------------------------------- */

/* "Type: first line of the text", Type qualified by its module when not a
   builtin (as Python prints it). */
static void exception_summary(PyObject *type, PyObject *val, char *out, size_t len)
{
    PyObject *mod = PyObject_GetAttrString(type, "__module__");
    PyObject *qn = PyObject_GetAttrString(type, "__qualname__");
    PyObject *text = val ? PyObject_Str(val) : NULL;
    PyErr_Clear();
    const char *m = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : NULL;
    const char *q = qn && PyUnicode_Check(qn) ? PyUnicode_AsUTF8(qn) : NULL;
    const char *t = text ? PyUnicode_AsUTF8(text) : NULL;
    PyErr_Clear();
    int k = snprintf(out, len, "%s%s%s", m && strcmp(m, "builtins") != 0 ? m : "",
                     m && strcmp(m, "builtins") != 0 ? "." : "", q ? q : "Exception");
    if (t && *t && k > 0 && (size_t)k < len) {
        size_t n = strcspn(t, "\n");
        snprintf(out + k, len - (size_t)k, ": %.*s", (int)(n < 900 ? n : 900), t);
    }
    Py_XDECREF(mod);
    Py_XDECREF(qn);
    Py_XDECREF(text);
}

/* " (file.py, line N, in fn)" for the innermost frame of tb; "" if none. */
static void last_frame(PyObject *tb, char *out, size_t len)
{
    out[0] = '\0';
    if (!tb || tb == Py_None) return;
    PyObject *t = tb;
    Py_INCREF(t);
    for (;;) {
        PyObject *next = PyObject_GetAttrString(t, "tb_next");
        if (!next || next == Py_None) {
            Py_XDECREF(next);
            break;
        }
        Py_DECREF(t);
        t = next;
    }
    PyObject *line = PyObject_GetAttrString(t, "tb_lineno");
    PyObject *frame = PyObject_GetAttrString(t, "tb_frame");
    PyObject *code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
    PyObject *file = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
    PyObject *name = code ? PyObject_GetAttrString(code, "co_name") : NULL;
    const char *f = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
    const char *nm = name && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
    long ln = line ? PyLong_AsLong(line) : -1;
    if (f && nm && ln > 0) {
        const char *base = strrchr(f, '/');
        snprintf(out, len, " (%s, line %ld, in %s)", base ? base + 1 : f, ln, nm);
    }
    PyErr_Clear();
    Py_XDECREF(line);
    Py_XDECREF(frame);
    Py_XDECREF(code);
    Py_XDECREF(file);
    Py_XDECREF(name);
    Py_DECREF(t);
}

/* Writes a, b and c to the fold's log, whole (a pipe may take them in parts). */
static void log_write(const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3 && ramp__py.log_fd >= 0; i++) {
        size_t n = strlen(parts[i]), done = 0;
        while (done < n) {
            ssize_t k = write(ramp__py.log_fd, parts[i] + done, n - done);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) return;
            done += (size_t)k;
        }
    }
}

ramp_status ramp__py_fail(char *msg, size_t len, const char *what)
{
    PyObject *type = NULL, *val = NULL, *tb = NULL;
    PyErr_Fetch(&type, &val, &tb);
    if (!type) {
        snprintf(msg, len, "%s failed (no Python exception set)", what);
        return RAMP_ECRASH;
    }
    PyErr_NormalizeException(&type, &val, &tb);
    if (val && tb) PyException_SetTraceback(val, tb);
    const char *full = NULL;
    PyObject *lines = NULL, *joined = NULL, *sep = NULL;
    if (ramp__py.format_exception) {
        lines = PyObject_CallFunctionObjArgs(ramp__py.format_exception, type, val ? val : Py_None,
                                             tb ? tb : Py_None, NULL);
        sep = PyUnicode_FromString("");
        if (lines && sep) joined = PyUnicode_Join(sep, lines);
        if (joined) full = PyUnicode_AsUTF8(joined);
    }
    PyObject *text = NULL;
    if (!full) { /* before traceback is imported, or it failed: the exception's text */
        PyErr_Clear();
        text = val ? PyObject_Str(val) : NULL;
        const char *t = text ? PyUnicode_AsUTF8(text) : NULL;
        PyObject *tn = PyObject_GetAttrString(type, "__name__");
        const char *tname = tn ? PyUnicode_AsUTF8(tn) : NULL;
        PyObject *line = PyUnicode_FromFormat("%s: %s\n", tname ? tname : "Exception",
                                              t ? t : "(no text)");
        Py_XDECREF(tn);
        Py_XDECREF(text);
        text = line;
        full = line ? PyUnicode_AsUTF8(line) : NULL;
        if (!full) {
            PyErr_Clear();
            full = "(the exception could not be formatted)\n";
        }
    }
    /* the message: "<what> raised <Type>: <the text's first line> (<file>,
       line N, in <function>)"; the whole traceback goes to the log */
    char summary[1024], where[512] = "";
    exception_summary(type, val, summary, sizeof summary);
    last_frame(tb, where, sizeof where);
    int offline = strstr(summary, "URLError") || strstr(summary, "name resolution") ||
                  strstr(summary, "Network is unreachable") || strstr(summary, "getaddrinfo") ||
                  strstr(summary, "ConnectionError") || strstr(summary, "Max retries exceeded");
    snprintf(msg, len, "%s raised %s%s%s", what, summary, where,
             offline ? " (the sandbox has no network: ship what the code downloads, pretrained "
                       "weights say, in the submission's folder; docs/python.md)"
                     : "");
    log_write(what, " raised an exception:\n", full);
    Py_XDECREF(text);
    Py_XDECREF(joined);
    Py_XDECREF(sep);
    Py_XDECREF(lines);
    Py_XDECREF(type);
    Py_XDECREF(val);
    Py_XDECREF(tb);
    return RAMP_ECRASH;
}

/* ---- the `ramp` built-in module -------------------------------------------------- */

static struct PyModuleDef ramp_module_def = {
    PyModuleDef_HEAD_INIT,
    "ramp",
    "ramp's embedding: `info` describes the fold (n_classes, shape, seed, n_threads, "
    "quick_test, fold).",
    -1,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL};

static PyObject *ramp_module_init(void)
{
    PyObject *m = PyModule_Create(&ramp_module_def);
    if (!m) return NULL;
    PyObject *info = PyDict_New();
    if (!info || PyModule_AddObject(m, "info", info) < 0 || ramp__py_gen_types_init(m) < 0 ||
        ramp__py_compat_init(m) < 0) {
        Py_XDECREF(info);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* ---- init -------------------------------------------------------------------------- */

static PyObject *import_attr(const char *mod, const char *attr)
{
    PyObject *m = PyImport_ImportModule(mod);
    if (!m) return NULL;
    PyObject *a = PyObject_GetAttrString(m, attr);
    Py_DECREF(m);
    return a;
}

/* sys.path after init: the submission's folder, ramp's own packages (the
   `rampwf` that kits and submissions import), an activated virtualenv's or
   conda env's site-packages (with its .pth files), then the system's. */
static const char path_setup[] =
    "def _ramp_path(lib, env):\n"
    "    import os, site, sys\n"
    "    head = sys.path[:1]\n"
    "    rest = sys.path[1:]\n"
    "    new = [lib] if lib else []\n"
    "    if env:\n"
    "        v = 'python%d.%d' % sys.version_info[:2]\n"
    "        sp = os.path.join(env, 'lib', v, 'site-packages')\n"
    "        if not os.path.isdir(sp):\n"
    "            have = [d for d in os.listdir(os.path.join(env, 'lib'))\n"
    "                    if d.startswith('python')] if os.path.isdir(os.path.join(env, 'lib')) else []\n"
    "            raise RuntimeError('the active Python environment %s has no %s/site-packages '\n"
    "                               '(it has %s): ramp runs Python %d.%d; make the environment '\n"
    "                               'with that Python' % (env, v, ', '.join(have) or 'none',\n"
    "                               *sys.version_info[:2]))\n"
    "        before = set(sys.path)\n"
    "        site.addsitedir(sp)\n"
    "        new += [p for p in sys.path if p not in before]\n"
    "        rest = [p for p in rest if p not in new]\n"
    "    sys.path[:] = head + new + [p for p in rest if p not in new]\n";

static ramp_status set_path(const char *lib, const char *env, char *msg, size_t len)
{
    PyObject *g = PyDict_New();
    ramp_status st = RAMP_OK;
    if (!g || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) < 0) goto fail;
    PyObject *r = PyRun_String(path_setup, Py_file_input, g, g);
    if (!r) goto fail;
    Py_DECREF(r);
    PyObject *fn = PyDict_GetItemString(g, "_ramp_path"); /* borrowed */
    r = fn ? PyObject_CallFunction(fn, "ss", lib ? lib : "", env ? env : "") : NULL;
    if (!r) goto fail;
    Py_DECREF(r);
    Py_DECREF(g);
    return RAMP_OK;
fail:
    st = ramp__py_fail(msg, len, "Python start-up: sys.path");
    Py_XDECREF(g);
    return st;
}

static ramp_status py_init(const char *sub_dir, const char *py_lib, const char *py_env, int log_fd,
                           char *msg, size_t len)
{
    ramp__py.log_fd = log_fd;
    if (g_started) return RAMP_OK;
    if (PyImport_AppendInittab("ramp", ramp_module_init) < 0) {
        snprintf(msg, len, "Python: cannot register the ramp module");
        return RAMP_EINTERNAL;
    }
    PyConfig cfg;
    PyConfig_InitPythonConfig(&cfg);
    cfg.install_signal_handlers = 0;
    cfg.buffered_stdio = 0;
    cfg.parse_argv = 0;
    cfg.write_bytecode = 0; /* nothing written into the submission folder */
    PyStatus ps = PyStatus_Ok();
#ifdef RAMP_PYTHON_EXE
    /* sys.executable: what multiprocessing and subprocess start */
    ps = PyConfig_SetBytesString(&cfg, &cfg.program_name, RAMP_PYTHON_EXE);
#endif
    if (!PyStatus_Exception(ps)) ps = Py_InitializeFromConfig(&cfg);
    PyConfig_Clear(&cfg);
    if (PyStatus_Exception(ps)) {
        snprintf(msg, len, "Python: the interpreter did not start: %s",
                 ps.err_msg ? ps.err_msg : "unknown error");
        return RAMP_EINTERNAL;
    }
    g_started = 1;
    ramp_status st = RAMP_OK;
    /* the interpreter this plugin was built for */
    PyObject *vi = PySys_GetObject("version_info"); /* borrowed */
    long major = vi ? PyLong_AsLong(PyTuple_GetItem(vi, 0)) : -1;
    long minor = vi ? PyLong_AsLong(PyTuple_GetItem(vi, 1)) : -1;
    if (major != PY_MAJOR_VERSION || minor != PY_MINOR_VERSION || minor < 8) {
        snprintf(msg, len,
                 "Python: the plugin was built for Python %d.%d but runs on %ld.%ld (%s); "
                 "rebuild ramp against this Python (python3-dev)",
                 PY_MAJOR_VERSION, PY_MINOR_VERSION, major, minor, Py_GetVersion());
        st = RAMP_EUNSUPPORTED;
        goto done;
    }
    /* the path first: a virtualenv's numpy is the one to import */
    PyObject *path = PySys_GetObject("path"); /* borrowed */
    PyObject *dir = PyUnicode_DecodeFSDefault(sub_dir);
    if (!path || !dir || PyList_Insert(path, 0, dir) < 0) {
        Py_XDECREF(dir);
        st = ramp__py_fail(msg, len, "Python start-up");
        goto done;
    }
    Py_DECREF(dir);
    if ((st = set_path(py_lib, py_env, msg, len))) goto done;
    ramp__py.np = PyImport_ImportModule("numpy");
    if (!ramp__py.np) {
        char why[1024];
        ramp__py_fail(why, sizeof why, "import numpy");
        snprintf(msg, len,
                 "Python %ld.%ld has no usable numpy: Python submissions need it (Debian: "
                 "python3-numpy). %s",
                 major, minor, why);
        st = RAMP_EUNSUPPORTED;
        goto done;
    }
    PyObject *ver = PyObject_GetAttrString(ramp__py.np, "__version__");
    const char *v = ver && PyUnicode_Check(ver) ? PyUnicode_AsUTF8(ver) : NULL;
    int vmaj = 0, vmin = 0;
    if (!v || sscanf(v, "%d.%d", &vmaj, &vmin) != 2 || (vmaj == 1 && vmin < 17)) {
        snprintf(msg, len, "Python: numpy %s is too old (1.17 or later needed)", v ? v : "?");
        Py_XDECREF(ver);
        st = RAMP_EUNSUPPORTED;
        goto done;
    }
    Py_XDECREF(ver);
    ramp__py.np_asarray = PyObject_GetAttrString(ramp__py.np, "asarray");
    ramp__py.np_empty = PyObject_GetAttrString(ramp__py.np, "empty");
    ramp__py.np_contig = PyObject_GetAttrString(ramp__py.np, "ascontiguousarray");
    ramp__py.np_float32 = PyObject_GetAttrString(ramp__py.np, "float32");
    ramp__py.np_uint8 = PyObject_GetAttrString(ramp__py.np, "uint8");
    ramp__py.np_uint16 = PyObject_GetAttrString(ramp__py.np, "uint16");
    ramp__py.np_int64 = PyObject_GetAttrString(ramp__py.np, "int64");
    ramp__py.np_seed = import_attr("numpy.random", "seed");
    ramp__py.py_seed = import_attr("random", "seed");
    ramp__py.format_exception = import_attr("traceback", "format_exception");
    if (!ramp__py.np_asarray || !ramp__py.np_empty || !ramp__py.np_contig || !ramp__py.np_float32 ||
        !ramp__py.np_uint8 || !ramp__py.np_uint16 || !ramp__py.np_int64 || !ramp__py.np_seed ||
        !ramp__py.py_seed || !ramp__py.format_exception) {
        st = ramp__py_fail(msg, len, "Python start-up");
        goto done;
    }
    /* a crash in an extension module: Python's stack in the log, then the
       signal ends the child as for C code */
    PyObject *fh = PyImport_ImportModule("faulthandler");
    PyObject *fr = fh ? PyObject_CallMethod(fh, "enable", NULL) : NULL;
    if (!fr) PyErr_Clear();
    Py_XDECREF(fr);
    Py_XDECREF(fh);
    PyObject *ramp_mod = PyImport_ImportModule("ramp");
    ramp__py.info = ramp_mod ? PyObject_GetAttrString(ramp_mod, "info") : NULL;
    Py_XDECREF(ramp_mod);
    if (!ramp__py.info) st = ramp__py_fail(msg, len, "Python start-up");
done:
    PyEval_SaveThread(); /* the GIL is taken per call from now on */
    return st;
}

/* Imports the file at `path` as module `name` (registered in sys.modules, so
   pickling and worker processes find it). New reference or NULL. */
static PyObject *import_file(const char *name, const char *path)
{
    PyObject *util = PyImport_ImportModule("importlib.util");
    if (!util) return NULL;
    PyObject *mod = NULL, *spec = NULL;
    spec = PyObject_CallMethod(util, "spec_from_file_location", "ss", name, path);
    if (!spec) goto done;
    mod = PyObject_CallMethod(util, "module_from_spec", "O", spec);
    if (!mod) goto done;
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    if (PyDict_SetItemString(modules, name, mod) < 0) {
        Py_CLEAR(mod);
        goto done;
    }
    PyObject *loader = PyObject_GetAttrString(spec, "loader");
    PyObject *r = loader ? PyObject_CallMethod(loader, "exec_module", "O", mod) : NULL;
    Py_XDECREF(loader);
    if (!r) {
        PyDict_DelItemString(modules, name);
        Py_CLEAR(mod);
    }
    Py_XDECREF(r);
done:
    Py_XDECREF(spec);
    Py_DECREF(util);
    return mod;
}

static ramp_status py_load_preprocessor(const char *path, int n_workers, ramp_transform_fn *tf,
                                        ramp_transform_fn *tf_test, char *msg, size_t len)
{
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    PyObject *mod = import_file("image_preprocessor", path);
    if (!mod) {
        st = ramp__py_fail(msg, len, "image_preprocessor.py: import");
        goto done;
    }
    ramp__py.tf = PyObject_GetAttrString(mod, "transform");
    if (!ramp__py.tf || !PyCallable_Check(ramp__py.tf)) {
        PyErr_Clear();
        snprintf(msg, len, "image_preprocessor.py: function 'transform' not found");
        st = RAMP_ESYMBOL;
        goto done;
    }
    ramp__py.tf_test = PyObject_GetAttrString(mod, "transform_test");
    if (!ramp__py.tf_test || !PyCallable_Check(ramp__py.tf_test)) {
        PyErr_Clear();
        Py_CLEAR(ramp__py.tf_test);
    }
    *tf = ramp__py_transform;
    *tf_test = ramp__py.tf_test ? ramp__py_transform_test : NULL;
done:
    Py_XDECREF(mod);
    PyGILState_Release(gs);
    if (!st && n_workers > 0) st = ramp__py_workers_start(n_workers, msg, len);
    return st;
}

/* rampwf's ObjectDetector class `cls` put on ramp's detector contract:
   functools.partial(FoldDetector, cls), called with no argument by
   clf_new. New reference, or NULL with an exception set. GIL held. */
static PyObject *fold_detector(PyObject *cls)
{
    PyObject *fd = import_attr("rampwf.workflows._fold_detector", "FoldDetector");
    PyObject *partial = fd ? import_attr("functools", "partial") : NULL;
    PyObject *r = partial ? PyObject_CallFunctionObjArgs(partial, fd, cls, NULL) : NULL;
    Py_XDECREF(partial);
    Py_XDECREF(fd);
    return r;
}

static ramp_status py_load_classifier(const char *path, int contract, int model, char *msg,
                                      size_t len)
{
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    int simplified = contract == RAMP__PY_SIMPLIFIED, arrays = contract == RAMP__PY_ARRAYS;
    if (simplified) model = RAMP__MODEL_CLASSIFIER;
    if (arrays) model = RAMP__MODEL_DETECTOR;
    const char *mod_name = simplified                       ? "image_classifier"
                           : arrays                         ? "object_detector"
                           : model == RAMP__MODEL_DETECTOR  ? "batch_detector"
                           : model == RAMP__MODEL_SEGMENTER ? "batch_segmenter"
                                                            : "batch_classifier";
    const char *cls_name = simplified                       ? "ImageClassifier"
                           : arrays                         ? "ObjectDetector"
                           : model == RAMP__MODEL_DETECTOR  ? "BatchDetector"
                           : model == RAMP__MODEL_SEGMENTER ? "BatchSegmenter"
                                                            : "BatchClassifier";
    char what[96];
    snprintf(what, sizeof what, "%s.py: import", mod_name);
    ramp__py.simplified = simplified;
    ramp__py.model = model;
    ramp__py.clf_name = cls_name;
    ramp__py.clf_file = simplified                       ? "image_classifier.py"
                        : arrays                         ? "object_detector.py"
                        : model == RAMP__MODEL_DETECTOR  ? "batch_detector.py"
                        : model == RAMP__MODEL_SEGMENTER ? "batch_segmenter.py"
                                                         : "batch_classifier.py";
    PyObject *mod = import_file(mod_name, path);
    if (!mod) {
        st = ramp__py_fail(msg, len, what);
        goto done;
    }
    ramp__py.clf_cls = PyObject_GetAttrString(mod, cls_name);
    if (!ramp__py.clf_cls || !PyCallable_Check(ramp__py.clf_cls)) {
        PyErr_Clear();
        Py_CLEAR(ramp__py.clf_cls);
        snprintf(msg, len, "%s.py: class '%s' not found", mod_name, cls_name);
        st = RAMP_ESYMBOL;
        goto done;
    }
    if (arrays) {
        PyObject *wrapped = fold_detector(ramp__py.clf_cls);
        Py_CLEAR(ramp__py.clf_cls);
        if (!wrapped) {
            st = ramp__py_fail(msg, len, "rampwf.workflows.object_detector: import");
            goto done;
        }
        ramp__py.clf_cls = wrapped;
    }
done:
    Py_XDECREF(mod);
    PyGILState_Release(gs);
    return st;
}

/* ---- the classifier contract --------------------------------------------------------- */

static int info_set(const char *key, PyObject *v)
{
    if (!v) return -1;
    int r = PyDict_SetItemString(ramp__py.info, key, v);
    Py_DECREF(v);
    return r;
}

static ramp_status py_clf_new(void **self, const ramp_clf_info *info)
{
    *self = NULL;
    ramp__py.errmsg[0] = '\0';
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    ramp__py.n_classes = info->n_classes;
    ramp__py.geometry = info->geometry;
    ramp__py.max_objects = info->max_objects;
    ramp__py.ndim = info->ndim;
    memcpy(ramp__py.shape, info->shape, sizeof ramp__py.shape);
    PyObject *shape = PyTuple_New(info->ndim);
    for (int d = 0; shape && d < info->ndim; d++)
        PyTuple_SET_ITEM(shape, d, PyLong_FromLong(info->shape[d]));
    if (info_set("n_classes", PyLong_FromLong(info->n_classes)) < 0 ||
        info_set("shape", shape) < 0 ||
        info_set("seed", PyLong_FromUnsignedLongLong(info->seed)) < 0 ||
        info_set("n_threads", PyLong_FromLong(info->n_threads)) < 0 ||
        info_set("quick_test", PyBool_FromLong(info->quick_test)) < 0 ||
        info_set("fold", PyLong_FromLong(info->fold)) < 0 ||
        info_set("submission_dir",
                 PyUnicode_DecodeFSDefault(info->submission_dir ? info->submission_dir : "")) < 0 ||
        info_set("workflow", PyUnicode_FromString(ramp__py.model == RAMP__MODEL_DETECTOR
                                                      ? "detection"
                                                  : ramp__py.model == RAMP__MODEL_SEGMENTER
                                                      ? "segmentation"
                                                      : "classification")) < 0 ||
        info_set("geometry", PyUnicode_FromString(ramp__py.model != RAMP__MODEL_DETECTOR ? ""
                                                  : info->geometry == 1 ? "circle"
                                                                        : "box")) < 0 ||
        info_set("max_objects", PyLong_FromLong(info->max_objects)) < 0 ||
        info_set("device", PyUnicode_FromString(info->device == 1 ? "cuda" : "cpu")) < 0 ||
        info_set("math", PyUnicode_FromString(info->math == 2   ? "bf16"
                                              : info->math == 1 ? "tf32"
                                                                : "fp32")) < 0) {
        char what[96];
        snprintf(what, sizeof what, "%s: setup", ramp__py.clf_file);
        st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, what);
        goto done;
    }
    if (ramp__py.model == RAMP__MODEL_DETECTOR && info->max_objects <= 0) {
        snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                 "%s: the kit's max_objects is %d (1 or more needed)", ramp__py.clf_file,
                 info->max_objects);
        st = RAMP_EINVAL;
        goto done;
    }
    if (ramp__py.model == RAMP__MODEL_SEGMENTER && info->ndim < 2) {
        snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                 "%s: samples of %d dimension(s): a segmenter needs images (…×H×W)",
                 ramp__py.clf_file, info->ndim);
        st = RAMP_ESHAPE;
        goto done;
    }
    /* numpy's and Python's global streams from the run's seed and the fold:
       the same --seed gives the same draws */
    uint32_t fold_seed = (uint32_t)(info->seed * 0x9E3779B97F4A7C15ULL >> 32) ^ (uint32_t)info->fold;
    if (ramp__py_seed_all(fold_seed) < 0) {
        st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, "seeding numpy.random");
        goto done;
    }
    /* and torch's, when the submission imported it (its CPU kernels are then
       deterministic run to run) */
    PyObject *torch = PyDict_GetItemString(PyImport_GetModuleDict(), "torch"); /* borrowed */
    if (torch) {
        PyObject *r = PyObject_CallMethod(torch, "manual_seed", "k", (unsigned long)fold_seed);
        if (!r) {
            st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, "torch.manual_seed");
            goto done;
        }
        Py_DECREF(r);
    }
    char what[96];
    snprintf(what, sizeof what, "%s: %s()", ramp__py.clf_file, ramp__py.clf_name);
    PyObject *obj = PyObject_CallNoArgs(ramp__py.clf_cls);
    if (!obj) {
        st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, what);
        goto done;
    }
    *self = obj;
done:
    PyGILState_Release(gs);
    return st;
}

static ramp_status py_clf_fit(void *self, ramp_gen_builder *gb)
{
    ramp__py.errmsg[0] = '\0';
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    PyObject *b = ramp__py_builder_new(gb);
    PyObject *w = b ? ramp__py_builder_wrap(b, gb) : NULL; /* rampwf's face */
    PyObject *r = w ? PyObject_CallMethod((PyObject *)self, "fit", "O", w) : NULL;
    Py_XDECREF(w);
    char what[96];
    snprintf(what, sizeof what, "%s: fit", ramp__py.clf_file);
    if (!r) st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, what);
    Py_XDECREF(r);
    if (b) {
        ramp__py_builder_close(b);
        Py_DECREF(b);
    }
    PyGILState_Release(gs);
    return st;
}

/* A fresh float32 array (n, *shape) holding a copy of X: the model may keep
   it; the loader's batch dies after the call. New reference, or NULL with
   an exception set. GIL held. */
static PyObject *input_array(const float *X, size_t n)
{
    PyObject *shape = PyTuple_New(ramp__py.ndim + 1);
    if (!shape) return NULL;
    size_t ss = 1;
    PyTuple_SET_ITEM(shape, 0, PyLong_FromSize_t(n));
    for (int d = 0; d < ramp__py.ndim; d++) {
        PyTuple_SET_ITEM(shape, d + 1, PyLong_FromLong(ramp__py.shape[d]));
        ss *= (size_t)ramp__py.shape[d];
    }
    PyObject *arr =
        PyObject_CallFunctionObjArgs(ramp__py.np_empty, shape, ramp__py.np_float32, NULL);
    Py_DECREF(shape);
    if (!arr) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(arr, &v, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    memcpy(v.buf, X, n * ss * sizeof(float));
    PyBuffer_Release(&v);
    return arr;
}

/* "a × b × c" of a buffer's shape. */
static void shape_text(const Py_buffer *v, char *out, size_t len)
{
    int k = 0;
    out[0] = '\0';
    for (int d = 0; d < v->ndim && d < 6 && k >= 0 && (size_t)k < len; d++)
        k += snprintf(out + k, len - (size_t)k, d ? " × %zd" : "%zd", v->shape[d]);
}

/* A classifier's predict_proba (n × n_classes) or a segmenter's (n ×
   n_classes × H × W, H × W the samples' last two dimensions). */
static ramp_status py_clf_predict(void *self, const float *X, size_t n, float *proba)
{
    ramp__py.errmsg[0] = '\0';
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    size_t c = (size_t)ramp__py.n_classes;
    int seg = ramp__py.model == RAMP__MODEL_SEGMENTER;
    size_t h = seg ? (size_t)ramp__py.shape[ramp__py.ndim - 2] : 1;
    size_t w = seg ? (size_t)ramp__py.shape[ramp__py.ndim - 1] : 1;
    char what[96];
    snprintf(what, sizeof what, "%s: predict_proba", ramp__py.clf_file);
    PyObject *arr = NULL, *res = NULL, *out = NULL;
    arr = input_array(X, n);
    if (!arr) goto pyfail;
    res = PyObject_CallMethod((PyObject *)self, "predict_proba", "O", arr);
    if (!res) goto pyfail;
    out = PyObject_CallFunctionObjArgs(ramp__py.np_contig, res, ramp__py.np_float32, NULL);
    if (!out) {
        snprintf(what, sizeof what, "%s: predict_proba's result to a float array",
                 ramp__py.clf_file);
        goto pyfail;
    }
    Py_buffer v;
    if (PyObject_GetBuffer(out, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) goto pyfail;
    int ok = seg ? v.ndim == 4 && (size_t)v.shape[0] == n && (size_t)v.shape[1] == c &&
                       (size_t)v.shape[2] == h && (size_t)v.shape[3] == w
                 : v.ndim == 2 && (size_t)v.shape[0] == n && (size_t)v.shape[1] == c;
    if (ok) {
        memcpy(proba, v.buf, n * c * h * w * sizeof(float));
    } else {
        char sh[128];
        shape_text(&v, sh, sizeof sh);
        if (seg)
            snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                     "%s: predict_proba returned shape (%s), expected (%zu × %zu × %zu × %zu): "
                     "n × n_classes × H × W",
                     ramp__py.clf_file, sh, n, c, h, w);
        else
            snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                     "%s: predict_proba returned shape (%s), expected (%zu × %zu)",
                     ramp__py.clf_file, sh, n, c);
        st = RAMP_EBADOUTPUT;
    }
    PyBuffer_Release(&v);
    goto done;
pyfail:
    st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, what);
done:
    Py_XDECREF(out);
    Py_XDECREF(res);
    Py_XDECREF(arr);
    PyGILState_Release(gs);
    return st;
}

/* Copies image i's detections (an array-like (k, 6)) into objs; the count
   into *k. RAMP_EBADOUTPUT with errmsg naming the image, or RAMP_ECRASH
   when Python raised. GIL held. */
static ramp_status det_item(PyObject *item, size_t i, ramp_obj *objs, size_t *k)
{
    const char *file = ramp__py.clf_file;
    size_t cap = (size_t)ramp__py.max_objects;
    PyObject *a = PyObject_CallFunctionObjArgs(ramp__py.np_contig, item, ramp__py.np_float32, NULL);
    if (!a) {
        char what[128];
        snprintf(what, sizeof what, "%s: predict's item %zu (image %zu) to a float array", file, i,
                 i);
        return ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, what);
    }
    Py_buffer v;
    if (PyObject_GetBuffer(a, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) {
        Py_DECREF(a);
        return ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, "predict: buffer");
    }
    ramp_status st = RAMP_OK;
    size_t n = 0;
    /* an empty list or array (shape (0,)) is no object */
    if (v.ndim == 1 && v.shape[0] == 0)
        n = 0;
    else if (v.ndim == 2 && v.shape[1] == 6)
        n = (size_t)v.shape[0];
    else {
        char sh[128];
        shape_text(&v, sh, sizeof sh);
        snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                 "%s: predict: image %zu: an array of shape (%s), expected (k × 6): class, "
                 "confidence, then x0, y0, x1, y1 (boxes) or x, y, r, 0 (circles)",
                 file, i, sh);
        st = RAMP_EBADOUTPUT;
        goto done;
    }
    if (n > cap) {
        snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                 "%s: predict: image %zu: %zu objects, more than max_objects (%zu, the kit's "
                 "[detection] max_objects): keep the most confident",
                 file, i, n, cap);
        st = RAMP_EBADOUTPUT;
        goto done;
    }
    const float *f = v.buf;
    for (size_t j = 0; j < n; j++, f += 6) {
        /* the class must be a whole number (a float column holds it); the
           fold checks its range and the other values */
        if (!isfinite(f[0]) || f[0] != floorf(f[0]) || f[0] < -1e9f || f[0] > 1e9f) {
            snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                     "%s: predict: image %zu, object %zu: class %g is not a whole number", file, i,
                     j, (double)f[0]);
            st = RAMP_EBADOUTPUT;
            goto done;
        }
        objs[j].cls = (int32_t)f[0];
        objs[j].conf = f[1];
        for (int q = 0; q < 4; q++) objs[j].g[q] = f[2 + q];
        if (ramp__py.geometry == 1) objs[j].g[3] = 0.0f;
    }
    *k = n;
done:
    PyBuffer_Release(&v);
    Py_DECREF(a);
    return st;
}

/* A detector's predict: a list (or tuple) of n arrays (k, 6) in tensor
   pixels, into the C contract's objs (max_objects per image) and n_objs. */
static ramp_status py_det_predict(void *self, const float *X, size_t n, ramp_obj *objs,
                                  size_t *n_objs)
{
    ramp__py.errmsg[0] = '\0';
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    const char *file = ramp__py.clf_file;
    char what[96];
    snprintf(what, sizeof what, "%s: predict", file);
    PyObject *arr = input_array(X, n), *res = NULL;
    if (!arr) {
        st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, what);
        goto done;
    }
    res = PyObject_CallMethod((PyObject *)self, "predict", "O", arr);
    if (!res) {
        st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, what);
        goto done;
    }
    if (!PyList_Check(res) && !PyTuple_Check(res)) {
        snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                 "%s: predict returned a %s, expected a list of %zu arrays of shape (k × 6)", file,
                 Py_TYPE(res)->tp_name, n);
        st = RAMP_EBADOUTPUT;
        goto done;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(res);
    if ((size_t)len != n) {
        snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                 "%s: predict returned %zd items for %zu images (one array (k × 6) per image "
                 "expected)",
                 file, len, n);
        st = RAMP_EBADOUTPUT;
        goto done;
    }
    for (size_t i = 0; i < n && !st; i++)
        st = det_item(PySequence_Fast_GET_ITEM(res, (Py_ssize_t)i), i,
                      objs + i * (size_t)ramp__py.max_objects, &n_objs[i]);
done:
    Py_XDECREF(res);
    Py_XDECREF(arr);
    PyGILState_Release(gs);
    return st;
}

/* ---- rampwf's simplified workflow --------------------------------------------------- */

static ramp_status py_simple_fit(void *self, const ramp__py_images *imgs)
{
    ramp__py.errmsg[0] = '\0';
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    PyObject *loader = ramp__py_loader_new(imgs);
    PyObject *r = loader ? PyObject_CallMethod((PyObject *)self, "fit", "O", loader) : NULL;
    if (!r) st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg, "image_classifier.py: fit");
    Py_XDECREF(r);
    Py_XDECREF(loader);
    PyGILState_Release(gs);
    return st;
}

static ramp_status py_simple_predict(void *self, const ramp__py_images *imgs, float *proba)
{
    ramp__py.errmsg[0] = '\0';
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    size_t n = imgs->n, c = (size_t)imgs->n_classes;
    PyObject *loader = ramp__py_loader_new(imgs), *res = NULL, *out = NULL;
    if (loader) res = PyObject_CallMethod((PyObject *)self, "predict_proba", "O", loader);
    if (!res) {
        st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg,
                           "image_classifier.py: predict_proba");
        goto done;
    }
    out = PyObject_CallFunctionObjArgs(ramp__py.np_contig, res, ramp__py.np_float32, NULL);
    Py_buffer v;
    if (!out || PyObject_GetBuffer(out, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) {
        st = ramp__py_fail(ramp__py.errmsg, sizeof ramp__py.errmsg,
                           "image_classifier.py: predict_proba's result to a float array");
        goto done;
    }
    if (v.ndim == 2 && (size_t)v.shape[0] == n && (size_t)v.shape[1] == c) {
        memcpy(proba, v.buf, n * c * sizeof(float));
    } else {
        snprintf(ramp__py.errmsg, sizeof ramp__py.errmsg,
                 "image_classifier.py: predict_proba returned shape (%zd%s%zd), expected (%zu × "
                 "%zu)",
                 v.ndim > 0 ? v.shape[0] : 0, v.ndim > 1 ? " × " : "", v.ndim > 1 ? v.shape[1] : 0,
                 n, c);
        st = RAMP_EBADOUTPUT;
    }
    PyBuffer_Release(&v);
done:
    Py_XDECREF(out);
    Py_XDECREF(res);
    Py_XDECREF(loader);
    PyGILState_Release(gs);
    return st;
}

static void py_clf_free(void *self)
{
    if (!self || !g_started) return;
    PyGILState_STATE gs = PyGILState_Ensure();
    Py_DECREF((PyObject *)self);
    PyGILState_Release(gs);
}

static const char *py_errmsg(void)
{
    return ramp__py.errmsg;
}

static void py_shutdown(void)
{
    ramp__py_workers_stop();
}

static const ramp__py_api api = {
    .api_version = RAMP__PY_API_VERSION,
    .init = py_init,
    .load_preprocessor = py_load_preprocessor,
    .load_classifier = py_load_classifier,
    .clf_new = py_clf_new,
    .clf_fit = py_clf_fit,
    .clf_predict = py_clf_predict,
    .det_predict = py_det_predict,
    .clf_free = py_clf_free,
    .simple_fit = py_simple_fit,
    .simple_predict = py_simple_predict,
    .simple_stats = ramp__py_loader_stats,
    .errmsg = py_errmsg,
    .shutdown = py_shutdown,
};

/* The plugin's one exported symbol. */
__attribute__((visibility("default"))) const ramp__py_api *ramp__python_plugin(void);
const ramp__py_api *ramp__python_plugin(void)
{
    return &api;
}
