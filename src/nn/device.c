/* device.c — which device a net computes on, and whether CUDA can run here.
 *
 * ramp_net_new resolves ramp_net_params.device here (net.c): CPU, CUDA, or
 * AUTO (CUDA when built in and a GPU answers, else CPU). Asking for CUDA
 * where it cannot run is an error that says why, never a quiet fall-back:
 * a ramp built without CUDA (the CMake option), or a machine whose driver
 * is missing or sees no GPU. The run-time question goes to the CUDA runtime
 * (cudaGetDeviceCount, in core's ramp__cuda_probe, which the loader's
 * page-locked buffers ask too), which loads the driver; in a build without CUDA
 * this file has no CUDA dependency at all.
 */
#include <stdio.h>
#include <string.h>

#include "core/coreInt.h"
#include "core/genInt.h" /* ramp__cuda_probe */
#include "nn/nnInt.h"

#ifdef RAMP_HAVE_CUDA
#include <cuda_runtime_api.h>
#include <cudnn_version.h>
#endif

static void say(char *why, size_t len, const char *msg)
{
    if (why && len) snprintf(why, len, "%s", msg);
}

int ramp_cuda_built(void)
{
#ifdef RAMP_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

#ifdef RAMP_HAVE_CUDA
#define RAMP__STR2(x) #x
#define RAMP__STR(x) RAMP__STR2(x)
#define RAMP__CUDA_DESC                                                                          \
    "CUDA: built (CUDA runtime " RAMP__STR(CUDART_VERSION) ", cuDNN " RAMP__STR(                \
        CUDNN_MAJOR) "." RAMP__STR(CUDNN_MINOR) "." RAMP__STR(CUDNN_PATCHLEVEL) ", cuBLAS)"
#else
#define RAMP__CUDA_DESC "CUDA: not built"
#endif

const char *ramp_nn_build_info(void)
{
    /* the oneDNN backend's stand-in (backend_none.c) says "not built" */
    if (strstr(ramp__nn_backend_dnnl.name, "not built"))
        return "engine: reference backend only (oneDNN not built); " RAMP__CUDA_DESC;
    return "engine: oneDNN and reference backends; " RAMP__CUDA_DESC;
}

int ramp_cuda_available(char *why, size_t len)
{
    char msg[512];
    if (!ramp__cuda_probe(msg, sizeof msg)) {
        if (why && len) snprintf(why, len, "%s, or use the CPU (device cpu)", msg);
        return 0;
    }
#ifdef RAMP_HAVE_CUDA
    /* the GPU answers: cuBLAS and cuDNN must load too (cuda_dl.h) */
    if (!ramp__cuda_dl_load(msg, sizeof msg)) {
        say(why, len, msg);
        return 0;
    }
#endif
    say(why, len, "");
    return 1;
}

const char *ramp_math_name(ramp_math m)
{
    switch (m) {
    case RAMP_MATH_FP32: return "fp32";
    case RAMP_MATH_TF32: return "tf32";
    case RAMP_MATH_BF16: return "bf16";
    }
    return NULL;
}

ramp_status ramp_math_parse(const char *name, ramp_math *out)
{
    static const ramp_math all[] = {RAMP_MATH_FP32, RAMP_MATH_TF32, RAMP_MATH_BF16};
    if (!name || !out) return RAMP_EINVAL;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(name, ramp_math_name(all[i])) == 0) {
            *out = all[i];
            return RAMP_OK;
        }
    return RAMP_EINVAL;
}

int ramp_cuda_math_ok(ramp_math m, char *why, size_t len)
{
    if (!ramp_cuda_available(why, len)) return 0;
#ifdef RAMP_HAVE_CUDA
    if (m == RAMP_MATH_BF16) {
        struct cudaDeviceProp prop;
        cudaError_t e = cudaGetDeviceProperties(&prop, 0);
        if (e != cudaSuccess) {
            if (why && len)
                snprintf(why, len, "cannot read the GPU's properties: %s (%s)",
                         cudaGetErrorString(e), cudaGetErrorName(e));
            return 0;
        }
        prop.name[sizeof prop.name - 1] = '\0';
        return ramp__cuda_bf16_ok(prop.major, prop.minor, prop.name, why, len);
    }
#else
    (void)m;
#endif
    say(why, len, "");
    return 1;
}

int ramp__cuda_bf16_ok(int major, int minor, const char *gpu, char *why, size_t len)
{
    if (major >= 8) {
        say(why, len, "");
        return 1;
    }
    if (why && len)
        snprintf(why, len,
                 "math bf16 needs bf16 tensor cores (compute capability 8.0, Ampere, or later); "
                 "the GPU (%s) has compute capability %d.%d: use math fp32 on it",
                 gpu && gpu[0] ? gpu : "unnamed", major, minor);
    return 0;
}

const char *ramp_device_name(ramp_device d)
{
    switch (d) {
    case RAMP_DEVICE_CPU: return "cpu";
    case RAMP_DEVICE_CUDA: return "cuda";
    case RAMP_DEVICE_AUTO: return "auto";
    }
    return NULL;
}

ramp_status ramp_device_parse(const char *name, ramp_device *out)
{
    static const ramp_device all[] = {RAMP_DEVICE_CPU, RAMP_DEVICE_CUDA, RAMP_DEVICE_AUTO};
    if (!name || !out) return RAMP_EINVAL;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(name, ramp_device_name(all[i])) == 0) {
            *out = all[i];
            return RAMP_OK;
        }
    return RAMP_EINVAL;
}

ramp_status ramp__device_resolve(ramp_device asked, ramp_device *out, ramp_err *err)
{
    char why[512];
    switch (asked) {
    case RAMP_DEVICE_CPU:
        *out = RAMP_DEVICE_CPU;
        return RAMP_OK;
    case RAMP_DEVICE_AUTO:
        *out = ramp_cuda_available(NULL, 0) ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU;
        return RAMP_OK;
    case RAMP_DEVICE_CUDA:
        if (!ramp_cuda_available(why, sizeof why))
            return ramp__err_set(err, RAMP_EUNSUPPORTED, "ramp_net_new: device cuda: %s", why);
        *out = RAMP_DEVICE_CUDA;
        return RAMP_OK;
    }
    return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: unknown device %d", (int)asked);
}
