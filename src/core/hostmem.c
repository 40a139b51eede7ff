/* hostmem.c — where the loader's buffers come from: pageable memory
 * (malloc) or page-locked memory (cudaHostAlloc).
 *
 * A device copies from page-locked ("pinned") host memory by DMA, so a copy
 * made asynchronously on a stream really overlaps the trainer's work; from
 * pageable memory the CUDA runtime first stages the bytes through a buffer
 * of its own, and the copy is synchronous whatever the caller asked. The
 * loader therefore allocates its chunk and batch buffers through one of the
 * tables below, chosen by ramp_loader_opts.pin_memory; each reference-
 * counted block (gen.c) remembers its table, so the last pin frees it the
 * way it was allocated, on any thread, after the generator is gone.
 *
 * Page-locked memory is asked with cudaHostAllocPortable: the pages count
 * as pinned for every CUDA context of the process, so a second CUDA runtime
 * in the same process (PyTorch's, in a Python submission) copies from them
 * asynchronously too. Where it cannot be had — a ramp built without CUDA,
 * no driver, no GPU — the caller gets the reason (ramp__hostmem_pinned, from
 * ramp__cuda_probe, which the engine's ramp_cuda_available asks too) and
 * turns it into RAMP_EUNSUPPORTED: never a silent fall-back to pageable
 * memory, which would only make the copies quietly synchronous.
 *
 * Core owns this (not the engine) because the blocks are core's and the
 * loader may not include the engine; in a build without CUDA this file has
 * no CUDA dependency at all.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/coreInt.h"
#include "core/genInt.h"

#ifdef RAMP_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

static void say(char *why, size_t len, const char *fmt, ...) RAMP__PRINTF(3, 4);
static void say(char *why, size_t len, const char *fmt, ...)
{
    if (!why || !len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

static void *pageable_alloc(const ramp__hostmem *hm, size_t bytes, char *why, size_t len)
{
    (void)hm;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) say(why, len, "out of memory");
    return p;
}

static void pageable_free(const ramp__hostmem *hm, void *p, size_t bytes)
{
    (void)hm;
    (void)bytes;
    free(p);
}

const ramp__hostmem ramp__hostmem_pageable = {"pageable", 0, pageable_alloc, pageable_free, NULL};

#ifdef RAMP_HAVE_CUDA
static void *pinned_alloc(const ramp__hostmem *hm, size_t bytes, char *why, size_t len)
{
    (void)hm;
    void *p = NULL;
    cudaError_t e = cudaHostAlloc(&p, bytes ? bytes : 1, cudaHostAllocPortable);
    if (e != cudaSuccess) {
        cudaGetLastError(); /* not sticky: clear it for the next caller */
        say(why, len, "cudaHostAlloc (page-locked memory): %s (%s)", cudaGetErrorString(e),
            cudaGetErrorName(e));
        return NULL;
    }
    return p;
}

static void pinned_free(const ramp__hostmem *hm, void *p, size_t bytes)
{
    (void)hm;
    (void)bytes;
    if (p) cudaFreeHost(p);
}

static const ramp__hostmem pinned_table = {"page-locked (cudaHostAlloc)", 1, pinned_alloc,
                                           pinned_free, NULL};
#endif

int ramp__cuda_probe(char *why, size_t len)
{
#ifdef RAMP_HAVE_CUDA
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e == cudaSuccess && n > 0) {
        if (why && len) why[0] = '\0';
        return 1;
    }
    if (e == cudaSuccess || e == cudaErrorNoDevice)
        say(why, len, "no CUDA GPU on this machine (the driver sees no device): run on a machine "
            "with an NVIDIA GPU");
    else if (e == cudaErrorInsufficientDriver)
        say(why, len, "no usable NVIDIA driver (missing, or older than CUDA %d.%d that ramp was "
            "built with): install or update the NVIDIA driver", CUDART_VERSION / 1000,
            CUDART_VERSION % 1000 / 10);
    else
        say(why, len, "the CUDA runtime cannot use a GPU here: %s (%s); check the driver and "
            "/dev/nvidia*", cudaGetErrorString(e), cudaGetErrorName(e));
    cudaGetLastError();
    return 0;
#else
    say(why, len, "ramp was built without CUDA: rebuild with the CUDA toolkit and cuDNN installed "
        "(cmake -DRAMP_CUDA=ON; CUDNN_ROOT if cuDNN is outside the toolkit)");
    return 0;
#endif
}

const ramp__hostmem *ramp__hostmem_pinned(char *why, size_t len)
{
#ifdef RAMP_HAVE_CUDA
    if (ramp__cuda_probe(why, len)) return &pinned_table;
#else
    ramp__cuda_probe(why, len);
#endif
    return NULL;
}

int ramp__hostmem_is_pinned(const void *p)
{
#ifdef RAMP_HAVE_CUDA
    struct cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return a.type == cudaMemoryTypeHost;
#else
    (void)p;
    return 0;
#endif
}
