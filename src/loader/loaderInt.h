/* loaderInt.h — what every generator implementation shares.
 *
 * A concrete generator embeds `struct ramp_gen` as its first member and
 * points `vt` at its table; the public functions in gen.c do the common
 * work (one-hot rows, error text) around the table's `next`. */
#ifndef RAMP_LOADER_INT_H
#define RAMP_LOADER_INT_H

#include "ramp/gen.h"

struct ramp_gen {
    const ramp_gen_vtable *vt;
    size_t n_samples;
    size_t batch_size;
    int n_classes;
    int onehot;
    float *onehot_buf; /* batch_size × n_classes, allocated on first use */
    char errmsg[1024];
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
