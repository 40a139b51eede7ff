/* genInt.h — what every generator implementation shares.
 *
 * A concrete generator embeds `struct ramp_gen` as its first member and
 * points `vt` at its table (ramp__gen_init); the public functions in gen.c
 * do the common work (one-hot rows, pins, error text) around the table's
 * `next`. The interface is core's, so the loader (one implementation) and
 * the engine (a consumer) both use it without depending on each other.
 *
 * Room to grow: the table and struct ramp_gen are private, so a hook (a
 * progress callback a consumer sets, say) is a new member here and a new
 * ramp_gen_* setter in ramp/gen.h; no implementation has to change. */
#ifndef RAMP_GEN_INT_H
#define RAMP_GEN_INT_H

#include <stdatomic.h>

#include "ramp/gen.h"

/* Where host memory comes from (hostmem.c): a table, so that the loader's
   buffers can be page-locked (a device then copies them by DMA, truly
   asynchronously) and a test can count or fail every allocation. `alloc`
   returns `bytes` bytes or NULL with the reason in why[len]; `free` takes
   back what alloc gave, with the same size, from any thread. A table a
   block points to must outlive the block (the ones here are static). */
typedef struct ramp__hostmem {
    const char *name;
    int pinned; /* 1: page-locked memory */
    void *(*alloc)(const struct ramp__hostmem *hm, size_t bytes, char *why, size_t len);
    void (*free)(const struct ramp__hostmem *hm, void *p, size_t bytes);
    void *ctx; /* the table's own (a test's counters) */
} ramp__hostmem;

/* malloc and free. */
extern const ramp__hostmem ramp__hostmem_pageable;
/* 1 when the CUDA runtime's driver sees a GPU; else 0 with why[len] saying
   why and what to do (built without CUDA, no driver, no GPU). The one
   probe of the driver: the engine's ramp_cuda_available asks it too. */
int ramp__cuda_probe(char *why, size_t len);
/* cudaHostAlloc(cudaHostAllocPortable) and cudaFreeHost; NULL with the
   reason in why[len] where page-locked memory cannot be had: a build
   without CUDA, no usable driver, no GPU. Asks the driver each call. */
const ramp__hostmem *ramp__hostmem_pinned(char *why, size_t len);
/* 1 when the CUDA runtime knows p as page-locked host memory (0 in a build
   without CUDA): for the tests. */
int ramp__hostmem_is_pinned(const void *p);

/* A reference-counted buffer: chunk slots and gathered batches live in one,
   so a pinned batch (ramp_gen_next_pinned) keeps its memory alive after the
   generator has moved on, or been freed. The data starts 64 bytes in; the
   block is given back to `hm`, the table it came from, by the last unref. */
typedef struct ramp__blk {
    atomic_long refs;
    size_t bytes;
    const ramp__hostmem *hm;
} ramp__blk;

/* refs = 1; NULL with the reason in why[len] when hm cannot give the memory */
ramp__blk *ramp__blk_new(const ramp__hostmem *hm, size_t bytes, char *why, size_t len);
/* 1 when the block's memory is page-locked */
int ramp__blk_pinned(const ramp__blk *b);
void *ramp__blk_data(ramp__blk *b);
void ramp__blk_ref(ramp__blk *b);
void ramp__blk_unref(ramp__blk *b); /* frees at zero; NULL is a no-op; any thread */
int ramp__blk_shared(ramp__blk *b); /* refs > 1: someone besides the owner holds it */

/* The table a generator implementation fills (gen.c's in-memory one,
   loader.c's stream). */
typedef struct ramp_gen_vtable {
    ramp_status (*next)(ramp_gen *g, ramp_batch *b);
    void (*destroy)(ramp_gen *g);
} ramp_gen_vtable;

struct ramp_gen {
    const ramp_gen_vtable *vt;
    size_t n_samples;
    size_t batch_size;
    int n_classes;
    int onehot;
    float *onehot_buf; /* batch_size × n_classes, allocated on first use */
    char errmsg[1024];
    /* set by ramp_gen_next_pinned around vt->next: an implementation that
       lends the batch in place stores the block behind it in `lent`, with a
       reference taken for the pin */
    int pinning;
    ramp__blk *lent;
    /* where ramp_gen_progress goes (NULL: nowhere) */
    void (*progress)(ramp_gen *g, const ramp_progress *p);
};

/* Fills the common fields; used by each implementation's constructor. */
void ramp__gen_init(ramp_gen *g, const ramp_gen_vtable *vt, size_t n_samples, size_t batch_size,
                    int n_classes);

/* Formats an error into g->errmsg and returns st. */
ramp_status ramp__gen_fail(ramp_gen *g, ramp_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
