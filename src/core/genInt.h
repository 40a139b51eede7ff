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

/* A reference-counted buffer: chunk slots and gathered batches live in one,
   so a pinned batch (ramp_gen_next_pinned) keeps its memory alive after the
   generator has moved on, or been freed. The data starts 64 bytes in. */
typedef struct ramp__blk {
    atomic_long refs;
    size_t bytes;
} ramp__blk;

ramp__blk *ramp__blk_new(size_t bytes); /* refs = 1; NULL on ENOMEM */
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
