/* cuda_dl.c — loading cuBLAS and cuDNN on first use (cuda_dl.h). */
#define _GNU_SOURCE
#define RAMP__CUDA_DL_IMPL
#include "nn/cudaInt.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef RAMP_CUBLAS_PATH
#define RAMP_CUBLAS_PATH ""
#endif
#ifndef RAMP_CUDNN_PATH
#define RAMP_CUDNN_PATH ""
#endif

ramp__cuda_dl ramp__cudl;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_ok;
static char g_why[600];

/* The library CMake found, else its soname (the loader's search path). */
static void *open_lib(const char *path, const char *soname, const char *what)
{
    void *h = path[0] ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!h) h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(g_why, sizeof g_why,
                 "cannot load %s (%s): %s; install it where the loader finds it "
                 "(LD_LIBRARY_PATH, ld.so.conf)",
                 what, soname, e ? e : "not found");
    }
    return h;
}

static void load(void)
{
    void *blas = open_lib(RAMP_CUBLAS_PATH, RAMP_CUBLAS_SONAME, "cuBLAS");
    if (!blas) return;
    void *dnn = open_lib(RAMP_CUDNN_PATH, RAMP_CUDNN_SONAME, "cuDNN");
    if (!dnn) return;
#define RAMP__CUDA_DL_SYM(lib, name)                                                             \
    *(void **)&ramp__cudl.name = dlsym(lib, #name);                                              \
    if (!ramp__cudl.name) {                                                                      \
        snprintf(g_why, sizeof g_why, "%s has no %s: another version than ramp was built for?", \
                 #lib[0] == 'b' ? RAMP_CUBLAS_SONAME : RAMP_CUDNN_SONAME, #name);                \
        return;                                                                                  \
    }
    RAMP__CUDA_DL_FNS(RAMP__CUDA_DL_SYM)
#undef RAMP__CUDA_DL_SYM
    g_ok = 1;
}

int ramp__cuda_dl_load(char *why, size_t len)
{
    pthread_once(&g_once, load);
    if (!g_ok && why && len) snprintf(why, len, "%s", g_why);
    return g_ok;
}
