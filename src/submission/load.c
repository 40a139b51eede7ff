/* load.c — dlopen a built submission and resolve the contract's symbols.
 * Done in the child process that runs the fold: a constructor that crashes
 * takes only that child down. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "ramp/preprocess.h"
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

ramp_status ramp__sub_load(const ramp__sub_paths *p, ramp__sub *s, ramp_err *err)
{
    memset(s, 0, sizeof *s);
    const char *files[2] = {p->pp_so, p->clf_so};
    void **handles[2] = {&s->h_pp, &s->h_clf};
    for (int i = 0; i < 2; i++) {
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
                          i == 0 ? "preprocess.h" : "classifier.h");
            goto fail;
        }
        if (*abi != RAMP_ABI_VERSION) {
            ramp__err_set(err, RAMP_ESYMBOL, "%s was built for submission ABI %d; this ramp needs %d",
                          files[i], *abi, RAMP_ABI_VERSION);
            goto fail;
        }
    }
    if (!sym(s->h_pp, "transform", &s->transform, sizeof s->transform)) {
        ramp__err_set(err, RAMP_ESYMBOL, "image_preprocessor: function 'transform' not found");
        goto fail;
    }
    if (!sym(s->h_pp, "transform_test", &s->transform_test, sizeof s->transform_test))
        s->transform_test = NULL;
    struct {
        const char *name;
        void *dst;
        size_t size;
    } need[] = {
        {"batch_classifier_new", &s->clf_new, sizeof s->clf_new},
        {"batch_classifier_fit", &s->clf_fit, sizeof s->clf_fit},
        {"batch_classifier_predict_proba", &s->clf_predict, sizeof s->clf_predict},
        {"batch_classifier_free", &s->clf_free, sizeof s->clf_free},
    };
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!sym(s->h_clf, need[i].name, need[i].dst, need[i].size)) {
            ramp__err_set(err, RAMP_ESYMBOL, "batch_classifier: function '%s' not found",
                          need[i].name);
            goto fail;
        }
    return RAMP_OK;
fail:
    ramp__sub_unload(s);
    return err ? err->code : RAMP_ESYMBOL;
}

void ramp__sub_unload(ramp__sub *s)
{
    if (s->h_clf) dlclose(s->h_clf);
    if (s->h_pp) dlclose(s->h_pp);
    memset(s, 0, sizeof *s);
}

static int has_headers(const char *inc)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/ramp/classifier.h", inc);
    return stat(p, &sb) == 0;
}

void ramp__sub_include_dir(char *buf, size_t len, const char *fallback)
{
    const char *env = getenv("RAMP_INCLUDE_DIR");
    if (env && env[0]) {
        snprintf(buf, len, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 16];
            snprintf(cand, sizeof cand, "%s/../include", exe);
            if (has_headers(cand)) {
                snprintf(buf, len, "%s", cand);
                return;
            }
        }
    }
    snprintf(buf, len, "%s", fallback ? fallback : "/usr/local/include");
}
