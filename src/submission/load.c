/* load.c — dlopen a built submission and resolve the contract's symbols.
 * Done in the child process that runs the fold: a constructor that crashes
 * takes only that child down. A .py file goes through the Python plugin,
 * loaded here only then: the preprocessor first (its worker processes are
 * forked before the classifier's imports, torch's threads included), then
 * the classifier, whose functions come from the plugin's table. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "ramp/image.h"
#include "ramp/submission.h"
#include "submission/pyplugin.h"
#include "submission/submissionInt.h"

/* dlsym returns void*; converting it to a function pointer is what POSIX
   requires to work, so do it through memcpy to stay within ISO C. */
static int sym(void *h, const char *name, void *fnptr, size_t size)
{
    void *p = dlsym(h, name);
    if (!p) return 0;
    memcpy(fnptr, &p, size);
    return 1;
}

/* Loads the plugin and starts the interpreter with the submission's folder
   on sys.path. The plugin is never unloaded (nor is the interpreter). */
static ramp_status load_python(const char *py_file, const ramp__sub_python *o, ramp__sub *s,
                               ramp_err *err)
{
    char msg[4096];
    const char *path = o->plugin ? o->plugin : "";
    if (!path[0] || access(path, R_OK) != 0)
        return ramp__err_set(err, RAMP_EUNSUPPORTED, "the Python plugin was not found%s%s",
                             path[0] ? ": " : "", path);
    /* global: numpy's extension modules need libpython's symbols */
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        const char *e = dlerror();
        return ramp__err_set(err, RAMP_ESYMBOL,
                             "cannot load the Python plugin %s: %s (Python submissions need the "
                             "Python ramp was built with: python3-dev)",
                             path, e ? e : "?");
    }
    ramp__py_plugin_fn get;
    if (!sym(h, RAMP__PY_PLUGIN_SYMBOL, &get, sizeof get) || !get() ||
        get()->api_version != RAMP__PY_API_VERSION)
        return ramp__err_set(err, RAMP_ESYMBOL, "%s is not a Python plugin of this ramp version",
                             path);
    const ramp__py_api *py = get();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", py_file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    ramp_status st = py->init(dir, o->lib ? o->lib : "", o->env ? o->env : "", o->log_fd, msg,
                              sizeof msg);
    if (st) return ramp__err_set(err, st, "%s", msg);
    s->py = py;
    return RAMP_OK;
}

const char *ramp__model_name(int model)
{
    return model == RAMP__MODEL_DETECTOR    ? "batch_detector"
           : model == RAMP__MODEL_SEGMENTER ? "batch_segmenter"
                                            : "batch_classifier";
}

/* The images as decoded: C × H × W floats, the pixel values (0-255). */
static ramp_status plain_transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    return ramp_img_to_tensor(pp, x, out, RAMP_CHW, NULL, NULL);
}

ramp_status ramp__sub_load(const ramp__sub_paths *p, const ramp__sub_python *o, ramp__sub *s,
                           ramp_err *err)
{
    memset(s, 0, sizeof *s);
    char msg[4096];
    if (p->pp_py[0] || p->clf_py[0]) {
        ramp_status st = load_python(p->pp_py[0] ? p->pp_py : p->clf_py, o, s, err);
        if (st) return st;
    }
    if (p->pp_py[0]) {
        ramp_status st = s->py->load_preprocessor(p->pp_py, o->workers, &s->transform,
                                                  &s->transform_test, msg, sizeof msg);
        if (st) {
            ramp__err_set(err, st, "%s", msg);
            goto fail;
        }
    }
    if (p->clf_py[0]) {
        int contract = p->simplified ? RAMP__PY_SIMPLIFIED : p->arrays ? RAMP__PY_ARRAYS : RAMP__PY_OWN;
        ramp_status st = s->py->load_classifier(p->clf_py, contract, p->model, msg, sizeof msg);
        if (st) {
            ramp__err_set(err, st, "%s", msg);
            goto fail;
        }
        s->clf_new = s->py->clf_new;
        s->clf_fit = s->py->clf_fit;
        s->clf_predict = s->py->clf_predict;
        s->det_predict = s->py->det_predict;
        s->clf_free = s->py->clf_free;
        s->clf_errmsg = s->py->errmsg;
        s->simple_fit = s->py->simple_fit;
        s->simple_predict = s->py->simple_predict;
    }
    const char *files[2] = {p->pp_so, p->clf_so};
    void **handles[2] = {&s->h_pp, &s->h_clf};
    for (int i = 0; i < 2; i++) {
        if (!files[i][0]) continue; /* Python */
        *handles[i] = dlopen(files[i], RTLD_NOW | RTLD_LOCAL);
        if (!*handles[i]) {
            const char *e = dlerror();
            ramp__err_set(err, RAMP_ESYMBOL, "cannot load %s: %s", files[i], e ? e : "?");
            goto fail;
        }
        const int *abi = dlsym(*handles[i], "ramp_submission_abi");
        if (!abi) {
            ramp__err_set(err, RAMP_ESYMBOL,
                          "%s: symbol ramp_submission_abi missing (include <ramp/%s>)", files[i],
                          i == 0                                ? "preprocess.h"
                          : p->model == RAMP__MODEL_CLASSIFIER ? "classifier.h"
                                                               : "detector.h");
            goto fail;
        }
        if (*abi != RAMP_ABI_VERSION) {
            ramp__err_set(err, RAMP_ESYMBOL, "%s was built for submission ABI %d; this ramp needs %d",
                          files[i], *abi, RAMP_ABI_VERSION);
            goto fail;
        }
    }
    if (s->h_pp && !sym(s->h_pp, "transform", &s->transform, sizeof s->transform)) {
        ramp__err_set(err, RAMP_ESYMBOL, "image_preprocessor: function 'transform' not found");
        goto fail;
    }
    if (s->h_pp && !sym(s->h_pp, "transform_test", &s->transform_test, sizeof s->transform_test))
        s->transform_test = NULL;
    /* rampwf's ObjectDetector has no preprocessor: its model gets the
       images as decoded */
    if (p->arrays && !s->transform) s->transform = plain_transform;
    const char *model = ramp__model_name(p->model);
    struct {
        const char *suffix;
        void *dst;
        size_t size;
    } need[] = {
        {"_new", &s->clf_new, sizeof s->clf_new},
        {"_fit", &s->clf_fit, sizeof s->clf_fit},
        {p->model == RAMP__MODEL_DETECTOR ? "_predict" : "_predict_proba",
         p->model == RAMP__MODEL_DETECTOR ? (void *)&s->det_predict : (void *)&s->clf_predict,
         p->model == RAMP__MODEL_DETECTOR ? sizeof s->det_predict : sizeof s->clf_predict},
        {"_free", &s->clf_free, sizeof s->clf_free},
    };
    for (size_t i = 0; s->h_clf && i < sizeof need / sizeof *need; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s%s", model, need[i].suffix);
        if (!sym(s->h_clf, name, need[i].dst, need[i].size)) {
            ramp__err_set(err, RAMP_ESYMBOL, "%s: function '%s' not found", model, name);
            goto fail;
        }
    }
    return RAMP_OK;
fail:
    ramp__sub_unload(s);
    return err ? err->code : RAMP_ESYMBOL;
}

void ramp__sub_unload(ramp__sub *s)
{
    if (s->py) s->py->shutdown();
    if (s->h_clf) dlclose(s->h_clf);
    if (s->h_pp) dlclose(s->h_pp);
    memset(s, 0, sizeof *s);
}
