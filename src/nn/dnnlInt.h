/* dnnlInt.h — the oneDNN backend's internals, shared by backend_dnnl.c (the
 * engine, stream, plans, buffers and the walk over the graph) and the op
 * families (dnnl_conv.c: conv and dense; dnnl_pool.c; dnnl_act.c: eltwise;
 * dnnl_bn.c; dnnl_misc.c: input, add, dropout, flatten, softmax, mul,
 * concat; dnnl_resize.c: upsample, transposed conv).
 *
 * Each layer type (RAMP__OP_*) has one dn_op entry, as ggml's backends have
 * one entry per op: `plan` builds the node's primitives and buffers for one
 * batch size, `forward` and `backward` run them, `flops` gives the profile's
 * analytic counts. backend_dnnl.c walks the nodes and calls the entry of each
 * (ops_of); a new layer adds an entry in its family's file, and a second
 * backend mirrors the same files.
 *
 * Conventions: every function takes the net first, then the backend state,
 * then the plan and the node id; oneDNN failures go through DN (which needs
 * `st`, `id`, `net` and a `fail:` label in scope) to ramp__dn_fail, whose
 * message names the layer.
 */
#ifndef RAMP_NN_DNNL_INT_H
#define RAMP_NN_DNNL_INT_H

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <dnnl.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "nn/nnInt.h"

#define DN_MAX_PLANS 4

typedef struct dn_prim {
    dnnl_primitive_t p;
    dnnl_memory_desc_t scratch_md;
    size_t scratch_size;
    dnnl_memory_t scratch;
} dn_prim;

typedef struct dn_node {
    dnnl_memory_desc_t md; /* output layout */
    size_t bytes;
    float *y, *dy;
    int alias; /* y/dy belong to the input node */
    int inplace; /* an add writing over its first input's y (that input's only use) */
    int fused; /* conv/dense/batchnorm/add with its ReLU (or clip) consumer folded in */
    int own_fwd; /* conv forward by ramp__conv3x3c16_fwd (conv_own_fwd) */
    int own_bwd; /* and its backward-data by ramp__conv3x3c16_bwd_data */
    size_t wgn;  /* and its backward-weights by ramp__conv3x3c16_bwd_weights: floats of */
    float *wgs;  /* its scratch, allocated on the first backward */
    dnnl_memory_t my, mdy, mtmp;
    dn_prim gsum;         /* several consumers: dy = v0 + v1 (views set per call) */
    dnnl_memory_t mv0, mv1;
    const float *pend;    /* a first gradient not copied yet: dy is this buffer */
    dn_prim fwd, infer, bwd_d, bwd_w;
    dn_prim wreorder;  /* weights → the layout backward-data prefers, if it differs */
    float *wbd;        /* weights in that layout (own_bwd: turned by ramp__conv3x3c16_flip) */
    dnnl_memory_t mwbd;
    /* conv backward-weights where oneDNN has no kernel for the forward's layouts: its input
       reordered into the layout the kernel reads (sxb), the gradient computed in the kernel's
       layout (gwb) and reordered into the weights'; where the kernel also wants another
       layout of the output's gradient (a dilated conv: gemm-based), that gradient is
       reordered too (dyb) */
    dn_prim sreorder, greorder, dreorder;
    float *sxb, *gwb, *dyb;
    dnnl_memory_t msxb, mgwb, mdyb;
    void *ws;
    dnnl_memory_t mws;
    float *mean, *var, *mask;
    double *bnp; /* batchnorm: ramp__bn_stats computes the statistics (its scratch) */
    dnnl_memory_t mmean, mvar;
    double flops[RAMP_PROF_N_PASSES]; /* per call, for the profile */
    /* mul and concat (dnnl_misc.c): views of their inputs and gradients as
       N×C×H×W (DN_X_*; data handles set per call), a primitive from the
       product buffer xbuf to the second input's gradient */
    dnnl_memory_t mx[6];
    dn_prim aux;
    float *xbuf;
} dn_node;

/* d->mx: the inputs' outputs (A, B) and the buffers their gradients go to
   (DA, DB), as N×C×H×W; concat: each input's part of its dy (DYA, DYB);
   mul: DYB is dy ⊙ a, in xbuf, before it is summed or reordered into B's. */
enum { DN_X_A, DN_X_B, DN_X_DA, DN_X_DB, DN_X_DYA, DN_X_DYB };

typedef struct dn_plan {
    size_t n;
    dn_node *nodes;
    float **dybuf; /* the output-gradient buffers (assign_dy) */
    int n_dybuf;
    float *tmp;
    void *scratch;
    int *dy_ready;
    dnnl_memory_desc_t out_md; /* plain logits */
    dnnl_memory_t mout;
    dn_prim out_reorder, dout_reorder;
} dn_plan;

typedef struct dn_param {
    int ready;
    dnnl_memory_desc_t md, plain_md;
    dnnl_memory_t mw, mg;
} dn_param;

typedef struct dn_state {
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dn_plan *plans[DN_MAX_PLANS];
    int n_plans;
    dn_plan *last; /* plan of the last forward */
    int last_training;
    dn_param *params; /* n_nodes × RAMP__P_MAX */
    int pending_upload;
} dn_state;

/* One layer type's entry (see the top of this file). `plan` sets the node's
   output layout d->md (node_buffers then allocates y from it) and creates
   its primitives; `forward` and `backward` may be NULL (nothing to run). */
typedef struct dn_op {
    unsigned flags; /* DN_F_* */
    ramp_status (*plan)(ramp_net *net, dn_state *be, dn_plan *pl, int id);
    ramp_status (*forward)(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training);
    /* Called only where the node needs its gradient; its pending dy is settled. */
    ramp_status (*backward)(ramp_net *net, dn_state *be, dn_plan *pl, int id);
    /* Analytic FLOPs of one call over n samples, per pass (NULL: none). */
    void (*flops)(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES]);
} dn_op;

enum {
    DN_F_FUSES_RELU = 1u << 0, /* can run its only consumer, a ReLU, inside it (fusable) */
    DN_F_READS_DY = 1u << 1,   /* its backward only reads its dy (add_shares_dy) */
    DN_F_PASSES_DY = 1u << 2   /* passes its dy on unchanged to its input(s) (assign_dy) */
};

/* The entries, one per RAMP__OP_*, in the family files. */
extern const dn_op ramp__dn_op_input, ramp__dn_op_add, ramp__dn_op_dropout, ramp__dn_op_flatten,
    ramp__dn_op_softmax, ramp__dn_op_mul, ramp__dn_op_concat;      /* dnnl_misc.c */
extern const dn_op ramp__dn_op_conv, ramp__dn_op_dense;             /* dnnl_conv.c */
extern const dn_op ramp__dn_op_maxpool, ramp__dn_op_avgpool, ramp__dn_op_gap; /* dnnl_pool.c */
extern const dn_op ramp__dn_op_relu, ramp__dn_op_lrelu, ramp__dn_op_sigmoid,
    ramp__dn_op_tanh, ramp__dn_op_clip;                              /* dnnl_act.c */
extern const dn_op ramp__dn_op_bn;                                   /* dnnl_bn.c */
extern const dn_op ramp__dn_op_upsample, ramp__dn_op_deconv;        /* dnnl_resize.c */

/* --- shared by the families (backend_dnnl.c) ------------------------------ */

/* Sets the net's error for a oneDNN status s of `what` at layer id; returns
   RAMP_ENOMEM or RAMP_EINTERNAL. */
ramp_status ramp__dn_fail(ramp_net *net, dnnl_status_t s, const char *what, int id);

#define DN(call, what)                                                                           \
    do {                                                                                         \
        dnnl_status_t s_ = (call);                                                               \
        if (s_ != dnnl_success) {                                                                \
            st = ramp__dn_fail(net, s_, what, id);                                               \
            goto fail;                                                                           \
        }                                                                                        \
    } while (0)

/* Creates the primitive for op_desc with a user scratchpad; hands back the
   primitive descriptor in *pd_out (caller destroys) when pd_out is set. */
dnnl_status_t ramp__dn_prim_make(dn_state *be, dn_prim *pr, dnnl_primitive_desc_t *pd_out,
                                 const void *op_desc, dnnl_post_ops_t po,
                                 const_dnnl_primitive_desc_t hint);
/* Runs a primitive; when profiling, waits for it and adds its time and
   `flops` to the profile entry (kind, pass). */
ramp_status ramp__dn_prim_run(ramp_net *net, dn_state *be, dn_prim *pr, int nargs,
                              const dnnl_exec_arg_t *args, int id, int kind, int pass,
                              double flops);
/* Zeroed memory, 64-byte aligned (2 MiB, advised huge, from 2 MiB on);
   free() releases it. NULL when out of memory. */
void *ramp__dn_aligned(size_t bytes);
/* md = dims in layout tag, f32. */
dnnl_status_t ramp__dn_md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dim_t *dims,
                              dnnl_format_tag_t tag);
/* Is md exactly its dims in layout `tag`? */
int ramp__dn_md_is(const dnnl_memory_desc_t *md, dnnl_format_tag_t tag);
/* Does the layout hold exactly the tensor's values (no padded channels)? */
int ramp__dn_md_unpadded(const dnnl_memory_desc_t *md);
/* Is node i a layer that fuses ReLU (DN_F_FUSES_RELU) whose only consumer is
   a ReLU, or a clip (not after a batchnorm)? */
int ramp__dn_fusable(const ramp_net *net, int i);
/* Is that consumer a clip? */
int ramp__dn_fused_clip(const ramp_net *net, int i);
/* Post-ops running node i's fused consumer (ReLU or clip); *po to destroy. */
dnnl_status_t ramp__dn_fused_post_ops(const ramp_net *net, int i, dnnl_post_ops_t *po);
/* The stored weight md of (node, kind) if known, else `tag` with dims. */
dnnl_status_t ramp__dn_weight_md(dn_state *be, int id, int kind, dnnl_memory_desc_t *md, int nd,
                                 const dnnl_dim_t *dims, dnnl_format_tag_t tag);
/* Records the md oneDNN chose for a parameter (first plan) and allocates
   its storage and memories. */
ramp_status ramp__dn_param_bind(ramp_net *net, dn_state *be, int id, int kind,
                                const dnnl_memory_desc_t *md);
/* The memory of parameter (node id, kind): its weights, or its gradient. */
static inline dnnl_memory_t ramp__dn_pmem(dn_state *be, int id, int kind, int grad)
{
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    return grad ? p->mg : p->mw;
}
/* Can the gradient buffer of input k of add node `id` be the add's own? */
int ramp__dn_add_shares_dy(const ramp_net *net, const dn_plan *pl, int id, int k);
/* The workspace a forward primitive keeps for its backward, if it has one. */
ramp_status ramp__dn_workspace(ramp_net *net, dn_state *be, dn_node *d,
                               const_dnnl_primitive_desc_t pd, int id);
/* Runs backward primitive pr of node id, which writes the gradient of its
   input `in` through args[k], and sums it into that input's gradient. */
ramp_status ramp__dn_bwd_into(ramp_net *net, dn_state *be, dn_plan *pl, int id, int in,
                              dn_prim *pr, dnnl_exec_arg_t *args, int nargs, int k, int kind,
                              double flops);
/* As ramp__dn_bwd_into, through `view`: a memory of another md over the
   same bytes as the input's gradient (a reshaped or N×C×H×W view of it),
   whose data handle is pointed at the buffer the gradient goes to. */
ramp_status ramp__dn_bwd_into_view(ramp_net *net, dn_state *be, dn_plan *pl, int id, int in,
                                   dn_prim *pr, dnnl_exec_arg_t *args, int nargs, int k,
                                   dnnl_memory_t view, int kind, double flops);
/* dy of node `in` += src (same layout); the first contribution is kept as
   pending instead of copied. */
ramp_status ramp__dn_dx_accum(ramp_net *net, dn_state *be, dn_plan *pl, int in,
                              const float *src);
/* Is oneDNN's chosen implementation its plain reference loop (dnnl_conv.c)? */
int ramp__dn_is_ref(const_dnnl_primitive_desc_t pd);
/* A buffer of md's size, its memory object, and the reorder between it and
   `other`: into it (to_md 1) or out of it (0). Where oneDNN has a kernel
   only for other layouts than the plan's, a pass runs on such buffers. */
dnnl_status_t ramp__dn_side_buffer(dn_state *be, const dnnl_memory_desc_t *md,
                                   const dnnl_memory_desc_t *other, int to_md, float **buf,
                                   dnnl_memory_t *mem, dn_prim *reorder);

#endif
