/* backend_dnnl.c — the oneDNN backend (oneDNN 2.x C API, CPU engine, OpenMP).
 *
 * A *plan* holds, for one batch size, every node's primitives and buffers;
 * plans are built on first use of a batch size and cached (the short last
 * batch of an epoch gets its own plan). Layouts are oneDNN's choice
 * (format_tag_any) for conv/dense outputs and weights; every other layer
 * takes its producer's layout as it is, so tensors stay blocked from layer to
 * layer and the only reorders are the input (none: it is plain and the first
 * conv takes plain input) and the logits at the output. Backward descriptors
 * pin their diff tensors to the forward layouts, so gradients and weights
 * share a layout and the optimiser can run elementwise over the buffers.
 *
 * Weights are stored once in the layout the first plan chose; later plans
 * are created with that layout pinned. Convolutions run as Winograd
 * F(4×4, 3×3) in the passes where that pays (wino_pays), else direct; a
 * 3×3 convolution of 16 channels into 16 runs its forward, backward-data
 * and (from 8×8 images on) backward-weights on ramp's own kernels
 * (conv3x3c16.c, conv_own_fwd), which beat oneDNN's there, on the same
 * buffers and layouts.
 *
 * A ReLU that is the only consumer of a conv, dense, batchnorm or add runs
 * inside it and shares its buffers (the ReLU node is an alias): as a post-op
 * of the conv/dense/add, whose backward is then an in-place eltwise backward
 * from the output (relu_use_dst_for_bwd); in the batchnorm through
 * dnnl_fuse_norm_relu, whose backward masks dy itself from a workspace. The
 * first layer's input gradient is never computed (needs_grad). Every
 * primitive uses a user-provided scratchpad, one buffer per plan.
 *
 * Gradient flow into a node with several consumers: see dx_target. Sums run
 * as a oneDNN binary add (on all threads). An add's input whose only
 * consumer is the add shares the add's dy buffer (add_shares_dy), so its
 * gradient needs no copy. Gradient buffers of layers not alive at the same
 * time in backward are shared (assign_dy) unless keep_grads is set.
 *
 * Profiling (ramp_net_profile): prim_run and the plain C loops add their time
 * and analytic FLOPs (node_flops, per plan) to net->prof when it is on.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <dnnl.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "nn/nnInt.h"

#define MAX_PLANS 4

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
    int fused; /* conv/dense/batchnorm/add with its ReLU consumer folded in */
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
    void *ws;
    dnnl_memory_t mws;
    float *mean, *var, *mask;
    double *bnp; /* batchnorm: ramp__bn_stats computes the statistics (its scratch) */
    dnnl_memory_t mmean, mvar;
    double flops[RAMP_PROF_N_PASSES]; /* per call, for the profile */
} dn_node;

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
    dn_plan *plans[MAX_PLANS];
    int n_plans;
    dn_plan *last; /* plan of the last forward */
    int last_training;
    dn_param *params; /* n_nodes × RAMP__P_MAX */
    int pending_upload;
} dn_state;

static ramp_status dn_fail(ramp_net *net, dnnl_status_t s, const char *what, int id)
{
    return ramp__net_fail(net, s == dnnl_out_of_memory ? RAMP_ENOMEM : RAMP_EINTERNAL,
                          "oneDNN: %s failed for layer %d (dnnl status %d)", what, id, (int)s);
}

#define DN(call, what)                                                                           \
    do {                                                                                         \
        dnnl_status_t s_ = (call);                                                               \
        if (s_ != dnnl_success) {                                                                \
            st = dn_fail(net, s_, what, id);                                                     \
            goto fail;                                                                           \
        }                                                                                        \
    } while (0)

static void prim_free(dn_prim *p)
{
    if (p->p) dnnl_primitive_destroy(p->p);
    if (p->scratch) dnnl_memory_destroy(p->scratch);
    memset(p, 0, sizeof *p);
}

/* Creates the primitive for op_desc with a user scratchpad; hands back the
   primitive descriptor in *pd_out (caller destroys) when pd_out is set. */
static dnnl_status_t prim_make(dn_state *be, dn_prim *pr, dnnl_primitive_desc_t *pd_out,
                               const void *op_desc, dnnl_post_ops_t po,
                               const_dnnl_primitive_desc_t hint)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_primitive_attr_create(&attr);
    if (s) return s;
    s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (!s && po) s = dnnl_primitive_attr_set_post_ops(attr, po);
    if (!s) s = dnnl_primitive_desc_create(&pd, op_desc, attr, be->eng, hint);
    dnnl_primitive_attr_destroy(attr);
    if (s) return s;
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (smd) {
        pr->scratch_md = *smd;
        pr->scratch_size = dnnl_memory_desc_get_size(smd);
    }
    s = dnnl_primitive_create(&pr->p, pd);
    if (s || !pd_out)
        dnnl_primitive_desc_destroy(pd);
    else
        *pd_out = pd;
    return s;
}

/* Runs a primitive; when profiling, waits for it and adds its time and
   `flops` to the profile entry (kind, pass). */
static ramp_status prim_run(ramp_net *net, dn_state *be, dn_prim *pr, int nargs,
                            const dnnl_exec_arg_t *args, int id, int kind, int pass, double flops)
{
    dnnl_exec_arg_t a[16];
    memcpy(a, args, (size_t)nargs * sizeof *a);
    if (pr->scratch) a[nargs++] = (dnnl_exec_arg_t){ DNNL_ARG_SCRATCHPAD, pr->scratch };
    double t0 = ramp__prof_t0(net);
    dnnl_status_t s = dnnl_primitive_execute(pr->p, be->strm, nargs, a);
    if (net->prof_on && !s) {
        s = dnnl_stream_wait(be->strm);
        ramp__prof_add(net, kind, pass, t0, flops);
    }
    return s ? dn_fail(net, s, "execute", id) : RAMP_OK;
}

/* Conv `id`'s forward by ramp__conv3x3c16_fwd over the buffers of args
   (src, weights, dst, bias or NULL memory), timed like prim_run. */
static ramp_status own_conv_fwd(ramp_net *net, const dnnl_exec_arg_t *args, int n, int id,
                                const dn_node *d)
{
    const ramp__node *nd = &net->nodes[id];
    void *h[4] = { NULL, NULL, NULL, NULL };
    for (int i = 0; i < 4; i++) {
        dnnl_status_t s = args[i].memory ? dnnl_memory_get_data_handle(args[i].memory, &h[i])
                                         : dnnl_success;
        if (s) return dn_fail(net, s, "memory", id);
    }
    double t0 = ramp__prof_t0(net);
    ramp__conv3x3c16_fwd(h[2], h[0], h[1], h[3], n, nd->c, nd->h, nd->w, d->fused);
    if (net->prof_on) ramp__prof_add(net, nd->op, RAMP_PROF_FWD, t0, d->flops[RAMP_PROF_FWD]);
    return RAMP_OK;
}

/* Analytic FLOPs of one call of node `id` over n samples, per pass. */
static void node_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    const ramp__node *nd = &net->nodes[id];
    const ramp__node *an = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    double N = (double)n, out = N * (double)ramp__node_size(nd);
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = f[RAMP_PROF_BWD_WEIGHTS] = 0;
    switch (nd->op) {
    case RAMP__OP_CONV:
        f[0] = 2.0 * out * (double)(an->c / nd->groups) * nd->k * nd->k;
        f[1] = f[2] = f[0];
        break;
    case RAMP__OP_DENSE:
        f[0] = f[1] = f[2] = 2.0 * N * (double)ramp__node_size(an) * nd->c;
        break;
    case RAMP__OP_MAXPOOL:
    case RAMP__OP_AVGPOOL:
        f[0] = f[1] = out * nd->k * nd->k;
        break;
    case RAMP__OP_GAP:
        f[0] = f[1] = N * (double)ramp__node_size(an);
        break;
    case RAMP__OP_BN:
        f[0] = 5.0 * out;
        f[1] = 8.0 * out;
        break;
    case RAMP__OP_RELU:
    case RAMP__OP_LRELU:
    case RAMP__OP_SIGMOID:
    case RAMP__OP_TANH:
    case RAMP__OP_DROPOUT:
    case RAMP__OP_ADD:
        f[0] = f[1] = out;
        break;
    default:
        break;
    }
}

static void plan_free(ramp_net *net, dn_plan *pl)
{
    if (!pl) return;
    if (pl->nodes)
        for (int i = 0; i < net->n_nodes; i++) {
            dn_node *d = &pl->nodes[i];
            dn_prim *ps[6] = { &d->fwd, &d->infer, &d->bwd_d, &d->bwd_w, &d->wreorder, &d->gsum };
            for (int j = 0; j < 6; j++) prim_free(ps[j]);
            dnnl_memory_t ms[9] = { d->my,   d->mdy,  d->mtmp, d->mws, d->mmean,
                                    d->mvar, d->mwbd, d->mv0,  d->mv1 };
            for (int j = 0; j < 9; j++)
                if (ms[j]) dnnl_memory_destroy(ms[j]);
            free(d->wbd);
            free(d->wgs);
            if (!d->alias && !d->inplace && i > 0) free(d->y); /* node 0's: the caller's */
            free(d->ws);
            free(d->mean);
            free(d->bnp);
            free(d->var);
            free(d->mask);
        }
    prim_free(&pl->out_reorder);
    prim_free(&pl->dout_reorder);
    if (pl->mout) dnnl_memory_destroy(pl->mout);
    for (int i = 0; i < pl->n_dybuf; i++) free(pl->dybuf[i]);
    free(pl->dybuf);
    free(pl->nodes);
    free(pl->tmp);
    free(pl->scratch);
    free(pl->dy_ready);
    free(pl);
}

static void dn_destroy(void *vst)
{
    (void)vst; /* plans need the net: freed by dn_release below */
}

static void *aligned(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0) bytes = 64;
    bytes = (bytes + 63) & ~(size_t)63;
#if defined(MADV_HUGEPAGE)
    /* Activations of a batch are megabytes each and a step walks through
       all of them: on 2 MiB pages (where transparent huge pages are on
       madvise) the TLB stops missing, ~3% of a ResNet-8 step. */
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge) {
        if (posix_memalign(&p, huge, bytes) != 0) return NULL;
        /* its whole 2 MiB pages only: advised, the tail would take one more
           huge page (up to 2 MiB resident per buffer for nothing) */
        madvise(p, bytes & ~(huge - 1), MADV_HUGEPAGE); /* advice only: failure is harmless */
        memset(p, 0, bytes);
        return p;
    }
#endif
    p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

static dnnl_status_t md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dim_t *dims,
                            dnnl_format_tag_t tag)
{
    dnnl_dims_t full = { 0 }; /* the API reads a whole dnnl_dims_t */
    for (int i = 0; i < nd && i < DNNL_MAX_NDIMS; i++) full[i] = dims[i];
    return dnnl_memory_desc_init_by_tag(md, nd, full, dnnl_f32, tag);
}

/* Is md exactly its dims in layout `tag`? */
static int md_is(const dnnl_memory_desc_t *md, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t want;
    return !md_tag(&want, md->ndims, md->dims, tag) && dnnl_memory_desc_equal(&want, md);
}

/* Does the layout hold exactly the tensor's values (no padded channels)? */
static int md_unpadded(const dnnl_memory_desc_t *md)
{
    for (int i = 0; i < md->ndims; i++)
        if (md->padded_dims[i] != md->dims[i]) return 0;
    return 1;
}

/* Plain layout of a node's output: nchw, or nc for 2-D layouts. */
static dnnl_status_t plain_md_of(dnnl_memory_desc_t *out, const dnnl_memory_desc_t *md)
{
    return md_tag(out, md->ndims, md->dims, md->ndims == 4 ? dnnl_nchw : dnnl_nc);
}

/* Plain layout of a parameter, given its stored md's rank. */
static dnnl_status_t plain_param_md(dnnl_memory_desc_t *out, const dnnl_memory_desc_t *md)
{
    static const dnnl_format_tag_t tags[6] = { dnnl_format_tag_undef, dnnl_a, dnnl_ab, dnnl_abc,
                                               dnnl_abcd, dnnl_abcde };
    if (md->ndims < 1 || md->ndims > 5) return dnnl_invalid_arguments;
    return md_tag(out, md->ndims, md->dims, tags[md->ndims]);
}

/* One-off reorder between two memories. */
static ramp_status reorder_once(ramp_net *net, dn_state *be, const dnnl_memory_desc_t *smd,
                                void *src, const dnnl_memory_desc_t *dmd, void *dst, int id)
{
    ramp_status st = RAMP_OK;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t p = NULL;
    dnnl_memory_t ms = NULL, md = NULL;
    DN(dnnl_reorder_primitive_desc_create(&pd, smd, be->eng, dmd, be->eng, NULL), "reorder");
    DN(dnnl_primitive_create(&p, pd), "reorder");
    DN(dnnl_memory_create(&ms, smd, be->eng, src), "memory");
    DN(dnnl_memory_create(&md, dmd, be->eng, dst), "memory");
    dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, ms }, { DNNL_ARG_TO, md } };
    DN(dnnl_primitive_execute(p, be->strm, 2, a), "reorder");
    DN(dnnl_stream_wait(be->strm), "wait");
fail:
    if (md) dnnl_memory_destroy(md);
    if (ms) dnnl_memory_destroy(ms);
    if (p) dnnl_primitive_destroy(p);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

static ramp_status dn_create(ramp_net *net, void **out)
{
    ramp_status st = RAMP_OK;
    int id = 0;
    dn_state *be = calloc(1, sizeof *be);
    if (!be) return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN backend: out of memory");
    be->params = calloc((size_t)net->n_nodes * RAMP__P_MAX, sizeof *be->params);
    if (!be->params) {
        free(be);
        return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN backend: out of memory");
    }
    DN(dnnl_engine_create(&be->eng, dnnl_cpu, 0), "engine");
    DN(dnnl_stream_create(&be->strm, be->eng, dnnl_stream_default_flags), "stream");
    *out = be;
    return RAMP_OK;
fail:
    if (be->strm) dnnl_stream_destroy(be->strm);
    if (be->eng) dnnl_engine_destroy(be->eng);
    free(be->params);
    free(be);
    return st;
}

/* Frees everything the backend holds for `net` (plans, parameter memories). */
static void dn_release(ramp_net *net, dn_state *be)
{
    for (int i = 0; i < be->n_plans; i++) plan_free(net, be->plans[i]);
    for (int i = 0; i < net->n_nodes * RAMP__P_MAX; i++) {
        if (be->params[i].mw) dnnl_memory_destroy(be->params[i].mw);
        if (be->params[i].mg) dnnl_memory_destroy(be->params[i].mg);
    }
    if (be->strm) dnnl_stream_destroy(be->strm);
    if (be->eng) dnnl_engine_destroy(be->eng);
    free(be->params);
    free(be);
}

/* Is node i a conv, dense, batchnorm or add whose only consumer is a ReLU? */
static int fusable(const ramp_net *net, int i)
{
    const ramp__node *nd = &net->nodes[i];
    if (net->prm.no_fuse ||
        (nd->op != RAMP__OP_CONV && nd->op != RAMP__OP_DENSE && nd->op != RAMP__OP_BN &&
         nd->op != RAMP__OP_ADD) ||
        nd->n_consumers != 1 || i + 1 >= net->n_nodes)
        return 0;
    for (int j = i + 1; j < net->n_nodes; j++)
        for (int k = 0; k < net->nodes[j].n_in; k++)
            if (net->nodes[j].in[k] == i)
                return net->nodes[j].op == RAMP__OP_RELU && net->nodes[j].n_in == 1;
    return 0;
}

/* The stored weight md of (node, kind) if known, else `any` with dims. */
static dnnl_status_t weight_md(dn_state *be, int id, int kind, dnnl_memory_desc_t *md, int nd,
                               const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    if (p->ready) {
        *md = p->md;
        return dnnl_success;
    }
    return md_tag(md, nd, dims, tag);
}

/* Records the md oneDNN chose for a parameter (first plan) and allocates
   its storage and memories. */
static ramp_status param_bind(ramp_net *net, dn_state *be, int id, int kind,
                              const dnnl_memory_desc_t *md)
{
    ramp_status st = RAMP_OK;
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    ramp__param *q = &net->nodes[id].p[kind];
    if (p->ready) return RAMP_OK;
    size_t bytes = dnnl_memory_desc_get_size(md);
    p->md = *md;
    DN(plain_param_md(&p->plain_md, md), "parameter layout");
    if (dnnl_memory_desc_get_size(&p->plain_md) != q->n_plain * sizeof(float)) {
        st = ramp__net_fail(net, RAMP_EINTERNAL, "oneDNN: layer %d parameter %d size mismatch",
                            id, kind);
        goto fail;
    }
    q->n = bytes / sizeof(float);
    q->w = aligned(bytes);
    q->g = q->trainable ? aligned(bytes) : NULL;
    if (!q->w || (q->trainable && !q->g)) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory for layer %d weights", id);
        goto fail;
    }
    DN(dnnl_memory_create(&p->mw, md, be->eng, q->w), "memory");
    if (q->g) DN(dnnl_memory_create(&p->mg, md, be->eng, q->g), "memory");
    p->ready = 1;
    be->pending_upload = 1;
    return RAMP_OK;
fail:
    free(q->w);
    free(q->g);
    q->w = q->g = NULL;
    return st;
}

static dnnl_memory_t pmem(dn_state *be, int id, int kind, int grad)
{
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    return grad ? p->mg : p->mw;
}

/* Can the gradient buffer of input k of add node `id` be the add's own? Its
   gradient equals the add's, so it can when the add is its only consumer, the
   layouts match, and its backward only reads its dy (not a ReLU/dropout that
   masks dy in place, nor an alias). Saves a copy of dy per input per step. */
static int add_shares_dy(const ramp_net *net, const dn_plan *pl, int id, int k)
{
    const ramp__node *nd = &net->nodes[id];
    int in = nd->in[k];
    const ramp__node *an = &net->nodes[in];
    const dn_node *a = &pl->nodes[in];
    if (in == 0 || an->n_consumers != 1 || a->alias || a->fused ||
        (k == 1 && nd->in[0] == in))
        return 0;
    if (an->op != RAMP__OP_CONV && an->op != RAMP__OP_DENSE && an->op != RAMP__OP_BN &&
        an->op != RAMP__OP_MAXPOOL && an->op != RAMP__OP_AVGPOOL && an->op != RAMP__OP_GAP)
        return 0;
    return dnnl_memory_desc_equal(&a->md, &pl->nodes[id].md);
}

/* Node output buffer and memory for a plan (gradients: assign_dy). */
static ramp_status node_buffers(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    dn_node *d = &pl->nodes[id];
    d->bytes = dnnl_memory_desc_get_size(&d->md);
    if (d->alias || d->inplace) {
        d->y = pl->nodes[net->nodes[id].in[0]].y;
    } else if (id > 0) {
        d->y = aligned(d->bytes);
        if (!d->y) return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    }
    DN(dnnl_memory_create(&d->my, &d->md, be->eng, d->y), "memory");
fail:
    return st;
}

static int grp_find(int *g, int i)
{
    while (g[i] != i) i = g[i] = g[g[i]];
    return i;
}

/* Output-gradient buffers. Nodes that must share one form a group: an alias
   and its input, an add and the inputs that take its gradient as theirs
   (add_shares_dy). Backward visits nodes from the last to the first, so a
   group's buffer is in use from its first write, at the backward of the
   latest consumer of a member (the logits' before any), down to its last
   read, at the backward of its earliest member, or of the earliest input of
   a member that passes its gradient on unchanged (dx_accum leaves it to be
   read from here until that input settles). Groups whose spans do not overlap share a buffer, best fit, so
   the buffers written in backward were touched a few layers before and are
   still in cache; with keep_grads every group keeps its own, and every
   gradient can be read after the pass. Nodes whose gradient is never
   computed get none. */
static ramp_status assign_dy(ramp_net *net, dn_state *be, dn_plan *pl)
{
    ramp_status st = RAMP_OK;
    int n = net->n_nodes, id = 0, ng = 0;
    int *grp = malloc((size_t)n * 6 * sizeof *grp);
    size_t *need = calloc((size_t)n, sizeof *need), *cap = calloc((size_t)n, sizeof *cap);
    pl->dybuf = calloc((size_t)n, sizeof *pl->dybuf);
    if (!grp || !need || !cap || !pl->dybuf) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    /* per group (indexed by its root): first write, last read, its buffer;
       order: the groups by first write; busy: per buffer, its last read */
    int *first = grp + n, *last = grp + 2 * n, *order = grp + 3 * n, *busy = grp + 4 * n,
        *slot = grp + 5 * n;
    for (int i = 0; i < n; i++) grp[i] = i;
    for (int i = 1; i < n; i++) {
        const ramp__node *nd = &net->nodes[i];
        if (pl->nodes[i].alias) grp[grp_find(grp, i)] = grp_find(grp, nd->in[0]);
        if (nd->op == RAMP__OP_ADD && !pl->nodes[i].alias)
            for (int k = 0; k < 2; k++)
                if (add_shares_dy(net, pl, i, k)) grp[grp_find(grp, i)] = grp_find(grp, nd->in[k]);
    }
    for (int i = 0; i < n; i++) {
        first[i] = -1;
        last[i] = n + 1;
    }
    for (int i = 0; i < n; i++) {
        const ramp__node *nd = &net->nodes[i];
        int g = grp_find(grp, i);
        if (i > 0 && nd->needs_grad && pl->nodes[i].bytes > need[g]) need[g] = pl->nodes[i].bytes;
        if (i == net->logits_node) first[g] = n;
        /* read at its own backward; a gradient passed on unchanged (dx_accum)
           may be read until its input's backward */
        int through = nd->op == RAMP__OP_ADD || nd->op == RAMP__OP_DROPOUT ||
                      nd->op == RAMP__OP_FLATTEN || nd->op == RAMP__OP_SOFTMAX;
        if (i < last[g]) last[g] = i;
        for (int k = 0; k < nd->n_in; k++) {
            int a = grp_find(grp, nd->in[k]);
            if (i > first[a]) first[a] = i;
            if (through && nd->in[k] < last[g]) last[g] = nd->in[k];
        }
    }
    for (int g = 0; g < n; g++)
        if (grp[g] == g && need[g]) order[ng++] = g;
    for (int a = 1; a < ng; a++) /* latest first write first */
        for (int b = a; b > 0 && first[order[b]] > first[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    /* a buffer is free for g once its occupant's last read is behind; take
       the smallest free one that fits, else grow the largest free one */
    for (int i = 0; i < n; i++) slot[i] = -1;
    for (int j = 0; j < ng; j++) {
        int g = order[j], fit = -1, big = -1;
        if (!net->prm.keep_grads)
            for (int b = 0; b < pl->n_dybuf; b++) {
                if (busy[b] <= first[g]) continue;
                if (cap[b] >= need[g] && (fit < 0 || cap[b] < cap[fit])) fit = b;
                if (big < 0 || cap[b] > cap[big]) big = b;
            }
        int pick = fit >= 0 ? fit : big >= 0 ? big : pl->n_dybuf++;
        if (need[g] > cap[pick]) cap[pick] = need[g];
        busy[pick] = last[g];
        slot[g] = pick;
    }
    for (int b = 0; b < pl->n_dybuf; b++)
        if (!(pl->dybuf[b] = aligned(cap[b]))) {
            st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
            goto fail;
        }
    for (id = 0; id < n; id++) {
        dn_node *d = &pl->nodes[id];
        int b = slot[grp_find(grp, id)];
        if (b < 0) continue; /* its gradient is never computed */
        d->dy = pl->dybuf[b];
        DN(dnnl_memory_create(&d->mdy, &d->md, be->eng, d->dy), "memory");
        if (net->nodes[id].n_consumers > 1 && net->nodes[id].needs_grad) {
            /* gradients of several branches are summed by oneDNN (all threads) */
            dnnl_binary_desc_t bd;
            DN(dnnl_binary_desc_init(&bd, dnnl_binary_add, &d->md, &d->md, &d->md),
               "gradient sum");
            DN(prim_make(be, &d->gsum, NULL, &bd, NULL, NULL), "gradient sum");
            DN(dnnl_memory_create(&d->mv0, &d->md, be->eng, DNNL_MEMORY_NONE), "memory");
            DN(dnnl_memory_create(&d->mv1, &d->md, be->eng, DNNL_MEMORY_NONE), "memory");
        }
    }
fail:
    free(grp);
    free(need);
    free(cap);
    return st;
}

/* Does Winograd F(4×4, 3×3) pay for this pass of conv `id`? Measured with
   oneDNN's AVX-512 kernels at N = 64 (docs/engine.md): against direct, it
   loses with 16 channels to reduce over and wins from 32, in forward (which
   reduces over the inputs) and backward-data (over the outputs); in
   backward-weights it wins from 16 each way. 3×3, stride 1, ungrouped only.
   A rule on shapes, not a timing, so the same net always computes the same. */
static int wino_pays(const ramp_net *net, int id, int pass)
{
    const ramp__node *nd = &net->nodes[id], *an = &net->nodes[nd->in[0]];
    if (net->prm.conv_algo != RAMP_CONV_AUTO || nd->op != RAMP__OP_CONV || nd->k != 3 ||
        nd->stride != 1 || nd->groups != 1)
        return 0;
    switch (pass) {
    case RAMP_PROF_FWD: return an->c >= 32 && nd->c >= 16;
    case RAMP_PROF_BWD_DATA: return nd->c >= 32 && an->c >= 16;
    default: return an->c >= 16 && nd->c >= 16;
    }
}

/* Creates one pass of conv `id` (post-ops in forward only), as Winograd
   where it pays and oneDNN has the kernel (AVX-512), else direct; records
   the choice in the node's `wino` bits. */
static dnnl_status_t conv_make(ramp_net *net, dn_state *be, int id, int pass, dn_prim *pr,
                               dnnl_primitive_desc_t *pd_out, const dnnl_memory_desc_t *src,
                               const dnnl_memory_desc_t *wei, const dnnl_memory_desc_t *bias,
                               const dnnl_memory_desc_t *dst, const dnnl_dim_t *S,
                               const dnnl_dim_t *PL, const dnnl_dim_t *PR, dnnl_post_ops_t po,
                               const_dnnl_primitive_desc_t hint)
{
    ramp__node *nd = &net->nodes[id];
    for (int wino = wino_pays(net, id, pass);; wino = 0) {
        dnnl_alg_kind_t alg = wino ? dnnl_convolution_winograd : dnnl_convolution_direct;
        dnnl_convolution_desc_t cd;
        dnnl_status_t s;
        if (pass == RAMP_PROF_FWD)
            s = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, alg, src, wei, bias,
                                                   dst, S, PL, PR);
        else if (pass == RAMP_PROF_BWD_DATA)
            s = dnnl_convolution_backward_data_desc_init(&cd, alg, src, wei, dst, S, PL, PR);
        else
            s = dnnl_convolution_backward_weights_desc_init(&cd, alg, src, wei, bias, dst, S, PL,
                                                            PR);
        if (!s) s = prim_make(be, pr, pd_out, &cd, pass == RAMP_PROF_FWD ? po : NULL, hint);
        if (s && wino) continue;
        if (!s && wino)
            nd->wino |= 1u << pass;
        else
            nd->wino &= ~(1u << pass);
        return s;
    }
}

/* Does conv `id`'s forward run ramp__conv3x3c16_fwd in place of oneDNN's
   primitive? Where it applies, and the layouts oneDNN chose (src, dst, weights)
   are the kernel's: 16 channels in, 16 out, 3×3, stride 1, padding 1, no
   groups, AVX-512. Its rate is oneDNN's best for this shape at every image size
   (docs/engine.md); more output channels gain nothing, so they stay with the
   library. RAMP_CONV_DIRECT keeps oneDNN everywhere. */
static int conv_own_fwd(const ramp_net *net, int id, const dnnl_memory_desc_t *src,
                        const dnnl_memory_desc_t *wei, const dnnl_memory_desc_t *dst)
{
    const ramp__node *nd = &net->nodes[id], *an = &net->nodes[nd->in[0]];
    if (net->prm.conv_algo != RAMP_CONV_AUTO || nd->op != RAMP__OP_CONV || nd->k != 3 ||
        nd->stride != 1 || nd->pad != 1 || nd->groups != 1 || an->c != 16 || nd->c != 16 ||
        !ramp__conv3x3c16_available())
        return 0;
    return md_is(src, dnnl_aBcd16b) && md_is(dst, dnnl_aBcd16b) && md_is(wei, dnnl_ABcd16b16a);
}

/* The workspace a forward primitive keeps for its backward (max pooling's
   argmax, a fused batchnorm ReLU's mask), if it has one. */
static ramp_status workspace(ramp_net *net, dn_state *be, dn_node *d,
                             const_dnnl_primitive_desc_t pd, int id)
{
    ramp_status st = RAMP_OK;
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
    if (!md || dnnl_memory_desc_get_size(md) == 0) return RAMP_OK;
    if (!(d->ws = aligned(dnnl_memory_desc_get_size(md))))
        return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    DN(dnnl_memory_create(&d->mws, md, be->eng, d->ws), "memory");
fail:
    return st;
}

static ramp_status build_node(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_dim_t N = (dnnl_dim_t)pl->n;
    dnnl_primitive_desc_t pd = NULL, epd = NULL;
    dnnl_post_ops_t po = NULL;
    const dn_node *a = nd->n_in ? &pl->nodes[nd->in[0]] : NULL;
    const ramp__node *an = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    int need_dx = an && an->needs_grad;
    int training_graph = nd->needs_grad;

    switch (nd->op) {
    case RAMP__OP_INPUT: {
        dnnl_dim_t dims[4] = { N, nd->c, nd->h, nd->w };
        DN(md_tag(&d->md, 4, dims, dnnl_nchw), "input layout");
        break;
    }
    case RAMP__OP_CONV:
    case RAMP__OP_DENSE: {
        int conv = nd->op == RAMP__OP_CONV;
        dnnl_memory_desc_t wmd, bmd, dmd, *pb = NULL;
        dnnl_dim_t bdims[1] = { nd->c };
        int G = nd->groups;
        if (conv) {
            dnnl_dim_t wd5[5] = { G, nd->c / G, an->c / G, nd->k, nd->k };
            dnnl_dim_t wd4[4] = { nd->c, an->c, nd->k, nd->k };
            if (G > 1)
                DN(weight_md(be, id, 0, &wmd, 5, wd5, dnnl_format_tag_any), "weights");
            else
                DN(weight_md(be, id, 0, &wmd, 4, wd4, dnnl_format_tag_any), "weights");
            dnnl_dim_t dd[4] = { N, nd->c, nd->h, nd->w };
            DN(md_tag(&dmd, 4, dd, dnnl_format_tag_any), "dst");
        } else {
            if (a->md.ndims == 4) {
                dnnl_dim_t wd[4] = { nd->c, a->md.dims[1], a->md.dims[2], a->md.dims[3] };
                DN(weight_md(be, id, 0, &wmd, 4, wd, dnnl_format_tag_any), "weights");
            } else {
                dnnl_dim_t wd[2] = { nd->c, a->md.dims[1] };
                DN(weight_md(be, id, 0, &wmd, 2, wd, dnnl_format_tag_any), "weights");
            }
            dnnl_dim_t dd[2] = { N, nd->c };
            DN(md_tag(&dmd, 2, dd, dnnl_format_tag_any), "dst");
        }
        if (nd->bias) {
            DN(md_tag(&bmd, 1, bdims, dnnl_a), "bias");
            pb = &bmd;
        }
        d->fused = fusable(net, id);
        if (d->fused) {
            DN(dnnl_post_ops_create(&po), "post-ops");
            DN(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, 0.f, 0.f), "post-ops");
        }
        dnnl_dims_t S = { nd->stride, nd->stride }, PL = { nd->pad, nd->pad };
        dnnl_dims_t PR = { (nd->h - 1) * nd->stride + nd->k - an->h - nd->pad,
                           (nd->w - 1) * nd->stride + nd->k - an->w - nd->pad };
        if (conv) {
            DN(conv_make(net, be, id, RAMP_PROF_FWD, &d->fwd, &pd, &a->md, &wmd, pb, &dmd, S, PL,
                         PR, po, NULL), "conv forward");
        } else {
            dnnl_inner_product_desc_t ipd;
            DN(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_training, &a->md, &wmd,
                                                    pb, &dmd), "dense forward");
            DN(prim_make(be, &d->fwd, &pd, &ipd, po, NULL), "dense forward");
        }
        d->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        d->own_fwd = conv && conv_own_fwd(net, id, &a->md, &wmd, &d->md);
        d->own_bwd = d->own_fwd && need_dx;
        net->nodes[id].own_fwd = d->own_fwd; /* as the last plan built runs it */
        if ((st = param_bind(net, be, id, RAMP__P_WEIGHT, &wmd))) goto fail;
        if (pb && (st = param_bind(net, be, id, RAMP__P_BIAS, pb))) goto fail;
        if (d->own_bwd) { /* the turned filters (ramp__conv3x3c16_flip) */
            if (!(d->wbd = aligned(9 * 16 * 16 * sizeof(float)))) {
                st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
                goto fail;
            }
        } else if (need_dx) {
            /* backward-data kernels want the weights transposed (e.g.
               ABcd16a16b): let oneDNN choose, reorder the weights per step */
            dnnl_memory_desc_t wany;
            dnnl_primitive_desc_t bpd = NULL;
            DN(md_tag(&wany, wmd.ndims, wmd.dims, dnnl_format_tag_any), "weights");
            if (conv) {
                DN(conv_make(net, be, id, RAMP_PROF_BWD_DATA, &d->bwd_d, &bpd, &a->md, &wany,
                             NULL, &d->md, S, PL, PR, NULL, pd), "conv backward data");
            } else {
                dnnl_inner_product_desc_t ipd;
                DN(dnnl_inner_product_backward_data_desc_init(&ipd, &a->md, &wany, &d->md),
                   "dense backward data");
                DN(prim_make(be, &d->bwd_d, &bpd, &ipd, NULL, pd), "dense backward data");
            }
            dnnl_memory_desc_t bwmd = *dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 0);
            dnnl_primitive_desc_destroy(bpd);
            if (!dnnl_memory_desc_equal(&bwmd, &wmd)) {
                d->wbd = aligned(dnnl_memory_desc_get_size(&bwmd));
                if (!d->wbd) {
                    st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
                    goto fail;
                }
                DN(dnnl_memory_create(&d->mwbd, &bwmd, be->eng, d->wbd), "memory");
                dnnl_primitive_desc_t rpd = NULL;
                DN(dnnl_reorder_primitive_desc_create(&rpd, &wmd, be->eng, &bwmd, be->eng, NULL),
                   "weights reorder");
                dnnl_status_t s2 = dnnl_primitive_create(&d->wreorder.p, rpd);
                dnnl_primitive_desc_destroy(rpd);
                DN(s2, "weights reorder");
            }
        }
        size_t wgn = d->own_fwd ? ramp__conv3x3c16_bwd_weights_scratch((int)N, nd->h, nd->w) : 0;
        net->nodes[id].own_bww = wgn > 0;
        d->wgn = wgn;
        if (wgn) { /* ramp's backward-weights (Winograd too): no oneDNN primitive */
            net->nodes[id].wino |= 1u << RAMP_PROF_BWD_WEIGHTS;
        } else if (conv) {
            DN(conv_make(net, be, id, RAMP_PROF_BWD_WEIGHTS, &d->bwd_w, NULL, &a->md, &wmd, pb,
                         &d->md, S, PL, PR, NULL, pd), "conv backward weights");
        } else {
            dnnl_inner_product_desc_t ipd;
            DN(dnnl_inner_product_backward_weights_desc_init(&ipd, &a->md, &wmd, pb, &d->md),
               "dense backward weights");
            DN(prim_make(be, &d->bwd_w, NULL, &ipd, NULL, pd), "dense backward weights");
        }
        break;
    }
    case RAMP__OP_MAXPOOL:
    case RAMP__OP_AVGPOOL:
    case RAMP__OP_GAP: {
        dnnl_alg_kind_t alg = nd->op == RAMP__OP_MAXPOOL ? dnnl_pooling_max
                                                         : dnnl_pooling_avg_include_padding;
        dnnl_memory_desc_t dmd;
        dnnl_dim_t dd[4] = { N, nd->c, nd->h, nd->w };
        DN(md_tag(&dmd, 4, dd, dnnl_format_tag_any), "dst");
        /* global pooling: one kernel over the whole input plane, H×W */
        int gap = nd->op == RAMP__OP_GAP;
        dnnl_dims_t S = { nd->stride, nd->stride },
                    K = { gap ? an->h : nd->k, gap ? an->w : nd->k }, PL = { nd->pad, nd->pad };
        dnnl_dims_t PR = { (nd->h - 1) * nd->stride + K[0] - an->h - nd->pad,
                           (nd->w - 1) * nd->stride + K[1] - an->w - nd->pad };
        dnnl_pooling_desc_t pdsc;
        DN(dnnl_pooling_forward_desc_init(&pdsc, dnnl_forward_training, alg, &a->md, &dmd, S, K,
                                          PL, PR), "pool forward");
        DN(prim_make(be, &d->fwd, &pd, &pdsc, NULL, NULL), "pool forward");
        d->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        if ((st = workspace(net, be, d, pd, id))) goto fail;
        if (need_dx) {
            DN(dnnl_pooling_backward_desc_init(&pdsc, alg, &a->md, &d->md, S, K, PL, PR),
               "pool backward");
            DN(prim_make(be, &d->bwd_d, NULL, &pdsc, NULL, pd), "pool backward");
        }
        break;
    }
    case RAMP__OP_RELU:
    case RAMP__OP_LRELU:
    case RAMP__OP_SIGMOID:
    case RAMP__OP_TANH: {
        dnnl_alg_kind_t alg = nd->op == RAMP__OP_SIGMOID ? dnnl_eltwise_logistic_use_dst_for_bwd
                              : nd->op == RAMP__OP_TANH  ? dnnl_eltwise_tanh_use_dst_for_bwd
                                                         : dnnl_eltwise_relu_use_dst_for_bwd;
        d->md = a->md;
        d->alias = pl->nodes[nd->in[0]].fused;
        if (d->alias && an->op == RAMP__OP_BN) break; /* forward and backward in the BN's */
        dnnl_eltwise_desc_t ed;
        DN(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_training, alg, &d->md, nd->alpha, 0.f),
           "eltwise forward");
        if (d->alias) {
            DN(dnnl_primitive_desc_create(&epd, &ed, NULL, be->eng, NULL), "eltwise forward");
        } else {
            DN(prim_make(be, &d->fwd, &epd, &ed, NULL, NULL), "eltwise forward");
        }
        if (need_dx) {
            DN(dnnl_eltwise_backward_desc_init(&ed, alg, &d->md, &d->md, nd->alpha, 0.f),
               "eltwise backward");
            DN(prim_make(be, &d->bwd_d, NULL, &ed, NULL, epd), "eltwise backward");
        }
        break;
    }
    case RAMP__OP_BN: {
        unsigned fl = dnnl_use_scale | dnnl_use_shift;
        d->md = a->md;
        if (!an->flat && a->md.ndims != 4) {
            st = ramp__net_fail(net, RAMP_EUNSUPPORTED, "oneDNN: layer %d: batchnorm input", id);
            goto fail;
        }
        if (an->flat && a->md.ndims == 4 && (a->md.dims[2] != 1 || a->md.dims[3] != 1)) {
            st = ramp__net_fail(net, RAMP_EUNSUPPORTED, "oneDNN: layer %d: batchnorm right "
                                "after flatten of a spatial map is not supported; put a dense "
                                "layer first", id);
            goto fail;
        }
        d->fused = fusable(net, id);
        if (d->fused) fl |= dnnl_fuse_norm_relu; /* training keeps the ReLU's mask */
        /* Statistics in one read by ramp__bn_stats where the layout is its
           own (oneDNN takes three reads for them and the normalisation) */
        int own_stats = md_is(&d->md, dnnl_aBcd16b) && nd->c % 16 == 0 &&
                        ramp__bn_stats_available();
        if (own_stats && !(d->bnp = malloc((size_t)N * nd->c * 2 * sizeof(double)))) {
            st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
            goto fail;
        }
        dnnl_batch_normalization_desc_t bd;
        DN(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_training, &d->md, nd->eps,
                                                      fl | (own_stats ? dnnl_use_global_stats : 0u)),
           "batchnorm forward");
        DN(prim_make(be, &d->fwd, &pd, &bd, NULL, NULL), "batchnorm forward");
        if ((st = workspace(net, be, d, pd, id))) goto fail;
        DN(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_inference, &d->md,
                                                      nd->eps, fl | dnnl_use_global_stats),
           "batchnorm inference");
        DN(prim_make(be, &d->infer, NULL, &bd, NULL, NULL), "batchnorm inference");
        DN(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &d->md, &d->md,
                                                       nd->eps, fl), "batchnorm backward");
        DN(prim_make(be, &d->bwd_w, NULL, &bd, NULL, pd), "batchnorm backward");
        dnnl_memory_desc_t cmd;
        dnnl_dim_t cd[1] = { nd->c };
        DN(md_tag(&cmd, 1, cd, dnnl_a), "stats");
        for (int k = 0; k < RAMP__P_MAX; k++)
            if ((st = param_bind(net, be, id, k, &cmd))) goto fail;
        d->mean = aligned((size_t)nd->c * sizeof(float));
        d->var = aligned((size_t)nd->c * sizeof(float));
        if (!d->mean || !d->var) {
            st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
            goto fail;
        }
        DN(dnnl_memory_create(&d->mmean, &cmd, be->eng, d->mean), "memory");
        DN(dnnl_memory_create(&d->mvar, &cmd, be->eng, d->var), "memory");
        break;
    }
    case RAMP__OP_DROPOUT:
        d->md = a->md;
        break;
    case RAMP__OP_ADD: {
        d->md = a->md;
        const dn_node *b = &pl->nodes[nd->in[1]];
        if (training_graph && net->nodes[nd->in[1]].needs_grad &&
            !dnnl_memory_desc_equal(&a->md, &b->md)) {
            /* the skip branch has another layout: reorder its gradient */
            dnnl_primitive_desc_t rpd = NULL;
            DN(dnnl_reorder_primitive_desc_create(&rpd, &a->md, be->eng, &b->md, be->eng, NULL),
               "add gradient reorder");
            dnnl_status_t s2 = dnnl_primitive_create(&d->wreorder.p, rpd);
            dnnl_primitive_desc_destroy(rpd);
            DN(s2, "add gradient reorder");
        }
        d->fused = fusable(net, id);
        if (d->fused) {
            DN(dnnl_post_ops_create(&po), "post-ops");
            DN(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, 0.f, 0.f), "post-ops");
        }
        /* The first input's output is read by nothing else, forward or
           backward (the same conditions as for sharing its gradient): add
           onto it in place, into lines it has just written. Not with the
           ReLU post-op on a layout whose channels are padded: there oneDNN
           2.6's in-place binary kernel with a post-op leaves dst = src0 (24
           channels in blocks of 16: the skip connection was lost). */
        d->inplace = !net->prm.no_fuse && (!d->fused || md_unpadded(&a->md)) &&
                     add_shares_dy(net, pl, id, 0);
        net->nodes[nd->in[0]].overwritten = d->inplace;
        dnnl_binary_desc_t bd;
        DN(dnnl_binary_desc_init(&bd, dnnl_binary_add, &a->md, &b->md, &d->md), "add");
        DN(prim_make(be, &d->fwd, NULL, &bd, po, NULL), "add");
        break;
    }
    case RAMP__OP_FLATTEN:
    case RAMP__OP_SOFTMAX:
        d->md = a->md;
        /* not on the input: its buffer is the caller's X, set at each call,
           which an alias's memory made here would not follow */
        d->alias = an->n_consumers == 1 && nd->in[0] != 0;
        break;
    }
    net->nodes[id].fused_relu = d->fused;
    node_flops(net, id, pl->n, d->flops);
    st = node_buffers(net, be, pl, id);
    if (st) goto fail;
    if (nd->op == RAMP__OP_DROPOUT) {
        d->mask = aligned(d->bytes);
        if (!d->mask) st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    }
fail:
    if (po) dnnl_post_ops_destroy(po);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (epd) dnnl_primitive_desc_destroy(epd);
    return st;
}

static ramp_status bind_scratch(ramp_net *net, dn_state *be, dn_plan *pl, dn_prim *pr, int id)
{
    ramp_status st = RAMP_OK;
    if (pr->p && pr->scratch_size)
        DN(dnnl_memory_create(&pr->scratch, &pr->scratch_md, be->eng, pl->scratch), "scratchpad");
fail:
    return st;
}

static ramp_status plan_new(ramp_net *net, dn_state *be, size_t n, dn_plan **out)
{
    ramp_status st = RAMP_OK;
    int id = net->logits_node;
    dn_plan *pl = calloc(1, sizeof *pl);
    if (!pl) return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    pl->n = n;
    pl->nodes = calloc((size_t)net->n_nodes, sizeof *pl->nodes);
    pl->dy_ready = calloc((size_t)net->n_nodes, sizeof *pl->dy_ready);
    if (!pl->nodes || !pl->dy_ready) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    size_t tmp = 0, scratch = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        if ((st = build_node(net, be, pl, i))) goto fail;
        if (pl->nodes[i].bytes > tmp) tmp = pl->nodes[i].bytes;
    }
    if ((st = assign_dy(net, be, pl))) goto fail;
    pl->tmp = aligned(tmp);
    if (!pl->tmp) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    for (int i = 0; i < net->n_nodes; i++) {
        dn_node *d = &pl->nodes[i];
        DN(dnnl_memory_create(&d->mtmp, &d->md, be->eng, pl->tmp), "memory");
        dn_prim *ps[5] = { &d->fwd, &d->infer, &d->bwd_d, &d->bwd_w, &d->gsum };
        for (int j = 0; j < 5; j++)
            if (ps[j]->scratch_size > scratch) scratch = ps[j]->scratch_size;
    }
    /* output reorders: logits node layout ↔ plain */
    dn_node *L = &pl->nodes[net->logits_node];
    DN(plain_md_of(&pl->out_md, &L->md), "output layout");
    DN(dnnl_memory_create(&pl->mout, &pl->out_md, be->eng, DNNL_MEMORY_NONE), "memory");
    {
        dnnl_primitive_desc_t rpd = NULL;
        DN(dnnl_reorder_primitive_desc_create(&rpd, &L->md, be->eng, &pl->out_md, be->eng, NULL),
           "output reorder");
        dnnl_status_t s = dnnl_primitive_create(&pl->out_reorder.p, rpd);
        dnnl_primitive_desc_destroy(rpd);
        DN(s, "output reorder");
        DN(dnnl_reorder_primitive_desc_create(&rpd, &pl->out_md, be->eng, &L->md, be->eng, NULL),
           "output reorder");
        s = dnnl_primitive_create(&pl->dout_reorder.p, rpd);
        dnnl_primitive_desc_destroy(rpd);
        DN(s, "output reorder");
    }
    pl->scratch = aligned(scratch);
    if (!pl->scratch) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    for (id = 0; id < net->n_nodes; id++) {
        dn_node *d = &pl->nodes[id];
        dn_prim *ps[5] = { &d->fwd, &d->infer, &d->bwd_d, &d->bwd_w, &d->gsum };
        for (int j = 0; j < 5; j++)
            if ((st = bind_scratch(net, be, pl, ps[j], id))) goto fail;
    }
    *out = pl;
    return RAMP_OK;
fail:
    plan_free(net, pl);
    return st;
}

static ramp_status upload(ramp_net *net, dn_state *be)
{
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            dn_param *p = &be->params[i * RAMP__P_MAX + k];
            ramp__param *q = &net->nodes[i].p[k];
            if (!q->used || !p->ready) continue;
            ramp_status st = reorder_once(net, be, &p->plain_md, q->plain, &p->md, q->w, i);
            if (st) return st;
        }
    be->pending_upload = 0;
    return RAMP_OK;
}

static ramp_status get_plan(ramp_net *net, dn_state *be, size_t n, dn_plan **out)
{
    for (int i = 0; i < be->n_plans; i++)
        if (be->plans[i]->n == n) {
            *out = be->plans[i];
            return RAMP_OK;
        }
    dn_plan *pl = NULL;
    ramp_status st = plan_new(net, be, n, &pl);
    if (st) return st;
    if (be->n_plans == MAX_PLANS) {
        /* keep the first (training batch) plan; drop the oldest other */
        if (be->last == be->plans[1]) be->last = NULL;
        plan_free(net, be->plans[1]);
        memmove(&be->plans[1], &be->plans[2], (MAX_PLANS - 2) * sizeof *be->plans);
        be->n_plans--;
    }
    be->plans[be->n_plans++] = pl;
    if (be->pending_upload && (st = upload(net, be))) return st;
    *out = pl;
    return RAMP_OK;
}

static ramp_status dn_forward(ramp_net *net, void *vst, const float *X, size_t n, int training,
                              float *logits)
{
    dn_state *be = vst;
    dn_plan *pl = NULL;
    ramp_status st = get_plan(net, be, n, &pl);
    int id = 0;
    if (st) return st;
    if (be->pending_upload && (st = upload(net, be))) return st;
    DN(dnnl_memory_set_data_handle(pl->nodes[0].my, (void *)(uintptr_t)X), "input");
    pl->nodes[0].y = (float *)(uintptr_t)X;
    for (id = 1; id < net->n_nodes; id++) {
        const ramp__node *nd = &net->nodes[id];
        dn_node *d = &pl->nodes[id];
        const dn_node *a = &pl->nodes[nd->in[0]];
        switch (nd->op) {
        case RAMP__OP_CONV:
        case RAMP__OP_DENSE: {
            dnnl_exec_arg_t args[4] = { { DNNL_ARG_SRC, a->my },
                                        { DNNL_ARG_WEIGHTS, pmem(be, id, 0, 0) },
                                        { DNNL_ARG_DST, d->my },
                                        { DNNL_ARG_BIAS, nd->bias ? pmem(be, id, 1, 0) : NULL } };
            if (d->own_fwd) {
                st = own_conv_fwd(net, args, (int)n, id, d);
                break;
            }
            st = prim_run(net, be, &d->fwd, nd->bias ? 4 : 3, args, id, nd->op, RAMP_PROF_FWD,
                          d->flops[RAMP_PROF_FWD]);
            break;
        }
        case RAMP__OP_MAXPOOL:
        case RAMP__OP_AVGPOOL:
        case RAMP__OP_GAP: {
            dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, a->my },
                                        { DNNL_ARG_DST, d->my },
                                        { DNNL_ARG_WORKSPACE, d->mws } };
            st = prim_run(net, be, &d->fwd, d->mws ? 3 : 2, args, id, nd->op, RAMP_PROF_FWD,
                          d->flops[RAMP_PROF_FWD]);
            break;
        }
        case RAMP__OP_RELU:
        case RAMP__OP_LRELU:
        case RAMP__OP_SIGMOID:
        case RAMP__OP_TANH:
            if (!d->alias) {
                dnnl_exec_arg_t args[2] = { { DNNL_ARG_SRC, a->my }, { DNNL_ARG_DST, d->my } };
                st = prim_run(net, be, &d->fwd, 2, args, id, nd->op, RAMP_PROF_FWD,
                              d->flops[RAMP_PROF_FWD]);
            }
            break;
        case RAMP__OP_BN: {
            float *rm = nd->p[RAMP__P_RMEAN].w, *rv = nd->p[RAMP__P_RVAR].w;
            if (training) {
                if (d->bnp) {
                    void *x = NULL;
                    dnnl_status_t s = dnnl_memory_get_data_handle(a->my, &x);
                    if (s) {
                        st = dn_fail(net, s, "memory", id);
                        break;
                    }
                    double t0 = ramp__prof_t0(net);
                    ramp__bn_stats(d->mean, d->var, x, (int)n, nd->c, nd->h * nd->w, d->bnp);
                    if (net->prof_on) /* time only: the call is the primitive's, below */
                        net->prof[nd->op][RAMP_PROF_FWD].s += ramp__now() - t0;
                }
                dnnl_exec_arg_t args[7] = { { DNNL_ARG_SRC, a->my },
                                            { DNNL_ARG_DST, d->my },
                                            { DNNL_ARG_SCALE, pmem(be, id, 0, 0) },
                                            { DNNL_ARG_SHIFT, pmem(be, id, 1, 0) },
                                            { DNNL_ARG_MEAN, d->mmean },
                                            { DNNL_ARG_VARIANCE, d->mvar },
                                            { DNNL_ARG_WORKSPACE, d->mws } };
                st = prim_run(net, be, &d->fwd, d->mws ? 7 : 6, args, id, nd->op, RAMP_PROF_FWD,
                              d->flops[RAMP_PROF_FWD]);
                if (st) break;
                float m = nd->alpha;
                double c = (double)n * nd->h * nd->w, unb = c > 1 ? c / (c - 1) : 1.0;
                for (int j = 0; j < nd->c; j++) {
                    rm[j] = (1.f - m) * rm[j] + m * d->mean[j];
                    rv[j] = (1.f - m) * rv[j] + m * (float)(d->var[j] * unb);
                }
                net->plain_valid = 0;
            } else {
                dnnl_exec_arg_t args[6] = { { DNNL_ARG_SRC, a->my },
                                            { DNNL_ARG_DST, d->my },
                                            { DNNL_ARG_SCALE, pmem(be, id, 0, 0) },
                                            { DNNL_ARG_SHIFT, pmem(be, id, 1, 0) },
                                            { DNNL_ARG_MEAN, pmem(be, id, 2, 0) },
                                            { DNNL_ARG_VARIANCE, pmem(be, id, 3, 0) } };
                st = prim_run(net, be, &d->infer, 6, args, id, nd->op, RAMP_PROF_FWD,
                              d->flops[RAMP_PROF_FWD]);
            }
            break;
        }
        case RAMP__OP_DROPOUT: {
            size_t cnt = d->bytes / sizeof(float);
            double t0 = ramp__prof_t0(net);
            if (training && nd->alpha > 0.f) {
                ramp_rng rng;
                ramp_rng_seed(&rng, net->prm.seed ^ 0x5eedd509u,
                              ramp_rng_key(net->step, (uint64_t)id));
                ramp__dropout_mask(d->mask, cnt, nd->alpha, &rng);
                for (size_t j = 0; j < cnt; j++) d->y[j] = a->y[j] * d->mask[j];
            } else {
                memcpy(d->y, a->y, d->bytes);
            }
            if (net->prof_on) ramp__prof_add(net, nd->op, RAMP_PROF_FWD, t0, d->flops[0]);
            break;
        }
        case RAMP__OP_ADD: {
            dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC_0, a->my },
                                        { DNNL_ARG_SRC_1, pl->nodes[nd->in[1]].my },
                                        { DNNL_ARG_DST, d->my } };
            st = prim_run(net, be, &d->fwd, 3, args, id, nd->op, RAMP_PROF_FWD,
                          d->flops[RAMP_PROF_FWD]);
            break;
        }
        case RAMP__OP_FLATTEN:
        case RAMP__OP_SOFTMAX:
            if (!d->alias) {
                double t0 = ramp__prof_t0(net);
                memcpy(d->y, a->y, d->bytes);
                if (net->prof_on) ramp__prof_add(net, nd->op, RAMP_PROF_FWD, t0, 0);
            }
            break;
        case RAMP__OP_INPUT:
            break;
        }
        if (st) return st;
    }
    id = net->logits_node;
    DN(dnnl_memory_set_data_handle(pl->mout, logits), "output");
    {
        dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, pl->nodes[id].my }, { DNNL_ARG_TO, pl->mout } };
        if ((st = prim_run(net, be, &pl->out_reorder, 2, args, id, RAMP__PK_REORDER,
                           RAMP_PROF_FWD, 0)))
            return st;
    }
    DN(dnnl_stream_wait(be->strm), "wait");
    be->last = pl;
    be->last_training = training;
fail:
    return st;
}

/* Gradient flow into node `in`. The first contribution lands in its dy
   directly: a backward primitive writes there (dx_target), or a node whose
   gradient passes through unchanged (add, dropout, flatten) leaves its own dy
   as `pend`, read in place of a copy (dx_accum). Later contributions go to
   tmp, or come as another node's dy, and are summed by the gsum primitive. */
static dnnl_memory_t dx_target(ramp_net *net, dn_plan *pl, int in, int *via_tmp)
{
    *via_tmp = 0;
    if (!net->nodes[in].needs_grad) {
        *via_tmp = -1; /* sink */
        return pl->nodes[in].mtmp;
    }
    if (!pl->dy_ready[in]) {
        pl->dy_ready[in] = 1;
        return pl->nodes[in].mdy;
    }
    *via_tmp = 1;
    return pl->nodes[in].mtmp;
}

/* dy of node `in` = (pend or dy) + src. */
static ramp_status dx_sum(ramp_net *net, dn_state *be, dn_plan *pl, int in, const float *src)
{
    ramp_status st = RAMP_OK;
    int id = in;
    dn_node *d = &pl->nodes[in];
    DN(dnnl_memory_set_data_handle(d->mv0, (void *)(uintptr_t)(d->pend ? d->pend : d->dy)),
       "gradient sum");
    DN(dnnl_memory_set_data_handle(d->mv1, (void *)(uintptr_t)src), "gradient sum");
    d->pend = NULL;
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC_0, d->mv0 },
                                { DNNL_ARG_SRC_1, d->mv1 },
                                { DNNL_ARG_DST, d->mdy } };
    st = prim_run(net, be, &d->gsum, 3, args, in, RAMP__PK_GRADSUM, RAMP_PROF_BWD_DATA,
                  (double)(d->bytes / sizeof(float)));
fail:
    return st;
}

static ramp_status dx_finish(ramp_net *net, dn_state *be, dn_plan *pl, int in, int via_tmp)
{
    return via_tmp == 1 ? dx_sum(net, be, pl, in, pl->tmp) : RAMP_OK;
}

/* dy of node `in` += src (same layout). */
static ramp_status dx_accum(ramp_net *net, dn_state *be, dn_plan *pl, int in, const float *src)
{
    dn_node *d = &pl->nodes[in];
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    if (d->dy == src || !pl->dy_ready[in]) {
        if (d->dy != src) d->pend = src;
        pl->dy_ready[in] = 1;
        return RAMP_OK;
    }
    return dx_sum(net, be, pl, in, src);
}

/* Runs backward primitive pr of node id, which writes the gradient of its
   input `in` through args[k] (the memory dx_target picks), then sums it in
   if it went through tmp. */
static ramp_status bwd_into(ramp_net *net, dn_state *be, dn_plan *pl, int id, int in, dn_prim *pr,
                            dnnl_exec_arg_t *args, int nargs, int k, int kind, double flops)
{
    int vt;
    args[k].memory = dx_target(net, pl, in, &vt);
    ramp_status st = prim_run(net, be, pr, nargs, args, id, kind, RAMP_PROF_BWD_DATA, flops);
    return st ? st : dx_finish(net, be, pl, in, vt);
}

/* Backward-data of conv `id` (own_bwd) into the dy of its input `in`: the
   first contribution is written, a later one is added to the gradient there
   (or pending) in the same pass, with no gradient sum after it. */
static ramp_status own_conv_bwd_data(ramp_net *net, dn_state *be, dn_plan *pl, int id, int in)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id], *t = &pl->nodes[in];
    void *w = NULL, *dx = NULL;
    dnnl_status_t s = dnnl_memory_get_data_handle(pmem(be, id, 0, 0), &w);
    if (!s) s = dnnl_memory_get_data_handle(t->mdy, &dx);
    if (s) return dn_fail(net, s, "memory", id);
    const float *add = pl->dy_ready[in] ? (t->pend ? t->pend : dx) : NULL;
    pl->dy_ready[in] = 1;
    t->pend = NULL;
    double t0 = ramp__prof_t0(net);
    ramp__conv3x3c16_flip(d->wbd, w);
    ramp__conv3x3c16_bwd_data(dx, d->dy, d->wbd, add, (int)pl->n, nd->h, nd->w);
    if (net->prof_on)
        ramp__prof_add(net, nd->op, RAMP_PROF_BWD_DATA, t0, d->flops[RAMP_PROF_BWD_DATA]);
    return RAMP_OK;
}

/* Conv `id`'s backward-weights (and bias) by ramp__conv3x3c16_bwd_weights,
   with the node's wgs as its scratch (allocated here the first time), timed
   like prim_run. */
static ramp_status own_conv_bwd_weights(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    void *x = NULL, *dw = NULL, *db = NULL;
    dnnl_status_t s = dnnl_memory_get_data_handle(pl->nodes[nd->in[0]].my, &x);
    if (!s) s = dnnl_memory_get_data_handle(pmem(be, id, 0, 1), &dw);
    if (!s && nd->bias) s = dnnl_memory_get_data_handle(pmem(be, id, 1, 1), &db);
    if (s) return dn_fail(net, s, "memory", id);
    if (!d->wgs && !(d->wgs = aligned(d->wgn * sizeof(float)))) /* not for predict-only plans */
        return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    double t0 = ramp__prof_t0(net);
    ramp__conv3x3c16_bwd_weights(dw, db, x, d->dy, d->wgs, (int)pl->n, nd->h, nd->w);
    if (net->prof_on)
        ramp__prof_add(net, nd->op, RAMP_PROF_BWD_WEIGHTS, t0, d->flops[RAMP_PROF_BWD_WEIGHTS]);
    return RAMP_OK;
}

/* A gradient left pending is copied in before its node's backward reads dy. */
static void dx_settle(ramp_net *net, dn_plan *pl, int id)
{
    dn_node *d = &pl->nodes[id];
    if (!d->pend) return;
    double t0 = ramp__prof_t0(net);
    memcpy(d->dy, d->pend, d->bytes);
    d->pend = NULL;
    if (net->prof_on) ramp__prof_add(net, RAMP__PK_GRADSUM, RAMP_PROF_BWD_DATA, t0, 0);
}

static ramp_status dn_backward(ramp_net *net, void *vst, const float *dlogits, size_t n)
{
    dn_state *be = vst;
    dn_plan *pl = be->last;
    ramp_status st = RAMP_OK;
    int id = net->logits_node;
    if (!pl || pl->n != n || !be->last_training)
        return ramp__net_fail(net, RAMP_EINVAL, "backward without a training forward of %zu", n);
    memset(pl->dy_ready, 0, (size_t)net->n_nodes * sizeof *pl->dy_ready);
    for (int i = 0; i < net->n_nodes; i++) pl->nodes[i].pend = NULL;
    DN(dnnl_memory_set_data_handle(pl->mout, (void *)(uintptr_t)dlogits), "output");
    {
        dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, pl->mout }, { DNNL_ARG_TO, pl->nodes[id].mdy } };
        if ((st = prim_run(net, be, &pl->dout_reorder, 2, args, id, RAMP__PK_REORDER,
                           RAMP_PROF_BWD_DATA, 0)))
            return st;
    }
    for (id = net->logits_node; id >= 1; id--) {
        const ramp__node *nd = &net->nodes[id];
        if (!nd->needs_grad) continue;
        dn_node *d = &pl->nodes[id];
        dx_settle(net, pl, id);
        int in = nd->in[0];
        const dn_node *a = &pl->nodes[in];
        int need_dx = net->nodes[in].needs_grad;
        switch (nd->op) {
        case RAMP__OP_CONV:
        case RAMP__OP_DENSE: {
            dnnl_exec_arg_t wa[4] = { { DNNL_ARG_SRC, a->my },
                                      { DNNL_ARG_DIFF_DST, d->mdy },
                                      { DNNL_ARG_DIFF_WEIGHTS, pmem(be, id, 0, 1) },
                                      { DNNL_ARG_DIFF_BIAS, nd->bias ? pmem(be, id, 1, 1) : NULL } };
            if (d->wgn) {
                if ((st = own_conv_bwd_weights(net, be, pl, id))) return st;
            } else if ((st = prim_run(net, be, &d->bwd_w, nd->bias ? 4 : 3, wa, id, nd->op,
                                      RAMP_PROF_BWD_WEIGHTS, d->flops[RAMP_PROF_BWD_WEIGHTS]))) {
                return st;
            }
            if (need_dx && d->own_bwd) {
                if ((st = own_conv_bwd_data(net, be, pl, id, in))) return st;
            } else if (need_dx) {
                dnnl_memory_t wm = pmem(be, id, 0, 0);
                if (d->mwbd) {
                    dnnl_exec_arg_t ra[2] = { { DNNL_ARG_FROM, wm }, { DNNL_ARG_TO, d->mwbd } };
                    if ((st = prim_run(net, be, &d->wreorder, 2, ra, id, RAMP__PK_REORDER,
                                       RAMP_PROF_BWD_DATA, 0)))
                        return st;
                    wm = d->mwbd;
                }
                dnnl_exec_arg_t da[3] = { { DNNL_ARG_DIFF_DST, d->mdy },
                                          { DNNL_ARG_WEIGHTS, wm },
                                          { DNNL_ARG_DIFF_SRC, NULL } };
                if ((st = bwd_into(net, be, pl, id, in, &d->bwd_d, da, 3, 2, nd->op,
                                   d->flops[RAMP_PROF_BWD_DATA])))
                    return st;
            }
            break;
        }
        case RAMP__OP_MAXPOOL:
        case RAMP__OP_AVGPOOL:
        case RAMP__OP_GAP:
            if (need_dx) {
                dnnl_exec_arg_t da[3] = { { DNNL_ARG_DIFF_DST, d->mdy },
                                          { DNNL_ARG_DIFF_SRC, NULL },
                                          { DNNL_ARG_WORKSPACE, d->mws } };
                if ((st = bwd_into(net, be, pl, id, in, &d->bwd_d, da, d->mws ? 3 : 2, 1,
                                   nd->op, d->flops[RAMP_PROF_BWD_DATA])))
                    return st;
            }
            break;
        case RAMP__OP_RELU:
        case RAMP__OP_LRELU:
        case RAMP__OP_SIGMOID:
        case RAMP__OP_TANH:
            if (need_dx && d->alias && !d->bwd_d.p) { /* the batchnorm's backward masks dy */
                pl->dy_ready[in] = 1;
            } else if (need_dx) {
                dnnl_exec_arg_t da[3] = { { DNNL_ARG_DIFF_DST, d->mdy },
                                          { DNNL_ARG_DST, d->my },
                                          { DNNL_ARG_DIFF_SRC, d->mdy } };
                if (d->alias) { /* fused: in place on the producer's dy (its only consumer) */
                    pl->dy_ready[in] = 1;
                    st = prim_run(net, be, &d->bwd_d, 3, da, id, nd->op, RAMP_PROF_BWD_DATA,
                                  d->flops[RAMP_PROF_BWD_DATA]);
                } else {
                    st = bwd_into(net, be, pl, id, in, &d->bwd_d, da, 3, 2, nd->op,
                                  d->flops[RAMP_PROF_BWD_DATA]);
                }
                if (st) return st;
            }
            break;
        case RAMP__OP_BN: {
            dnnl_exec_arg_t da[10] = { { DNNL_ARG_SRC, a->my },
                                       { DNNL_ARG_MEAN, d->mmean },
                                       { DNNL_ARG_VARIANCE, d->mvar },
                                       { DNNL_ARG_DIFF_DST, d->mdy },
                                       { DNNL_ARG_SCALE, pmem(be, id, 0, 0) },
                                       { DNNL_ARG_SHIFT, pmem(be, id, 1, 0) },
                                       { DNNL_ARG_DIFF_SRC, NULL },
                                       { DNNL_ARG_DIFF_SCALE, pmem(be, id, 0, 1) },
                                       { DNNL_ARG_DIFF_SHIFT, pmem(be, id, 1, 1) },
                                       { DNNL_ARG_WORKSPACE, d->mws } };
            if ((st = bwd_into(net, be, pl, id, in, &d->bwd_w, da, d->mws ? 10 : 9, 6, nd->op,
                               d->flops[RAMP_PROF_BWD_DATA])))
                return st;
            break;
        }
        case RAMP__OP_DROPOUT:
            if (need_dx) {
                if (nd->alpha > 0.f) {
                    size_t cnt = d->bytes / sizeof(float);
                    double t0 = ramp__prof_t0(net);
                    for (size_t j = 0; j < cnt; j++) d->dy[j] *= d->mask[j];
                    if (net->prof_on)
                        ramp__prof_add(net, nd->op, RAMP_PROF_BWD_DATA, t0, (double)cnt);
                }
                if ((st = dx_accum(net, be, pl, in, d->dy))) return st;
            }
            break;
        case RAMP__OP_ADD:
            if ((st = dx_accum(net, be, pl, in, d->dy))) return st;
            if (d->wreorder.p && net->nodes[nd->in[1]].needs_grad) {
                dnnl_exec_arg_t ra[2] = { { DNNL_ARG_FROM, d->mdy }, { DNNL_ARG_TO, NULL } };
                if ((st = bwd_into(net, be, pl, id, nd->in[1], &d->wreorder, ra, 2, 1,
                                   RAMP__PK_REORDER, 0)))
                    return st;
            } else {
                if ((st = dx_accum(net, be, pl, nd->in[1], d->dy))) return st;
            }
            break;
        case RAMP__OP_FLATTEN:
        case RAMP__OP_SOFTMAX:
            if (need_dx && (st = dx_accum(net, be, pl, in, d->dy))) return st;
            break;
        case RAMP__OP_INPUT:
            break;
        }
    }
    DN(dnnl_stream_wait(be->strm), "wait");
fail:
    return st;
}

static ramp_status dn_sync(ramp_net *net, void *vst, int to_backend)
{
    dn_state *be = vst;
    if (to_backend) {
        be->pending_upload = 1;
        return be->n_plans ? upload(net, be) : RAMP_OK;
    }
    if (be->pending_upload) return RAMP_OK; /* plain is still the truth */
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            dn_param *p = &be->params[i * RAMP__P_MAX + k];
            ramp__param *q = &net->nodes[i].p[k];
            if (!q->used || !p->ready) continue;
            ramp_status st = reorder_once(net, be, &p->md, q->w, &p->plain_md, q->plain, i);
            if (st) return st;
        }
    return RAMP_OK;
}

static ramp_status dn_grad_read(ramp_net *net, void *vst, int id, int kind, float *out)
{
    dn_state *be = vst;
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    if (!p->ready) return ramp__net_fail(net, RAMP_EINVAL, "layer %d: no gradient yet", id);
    return reorder_once(net, be, &p->md, net->nodes[id].p[kind].g, &p->plain_md, out, id);
}

static ramp_status dn_output_read(ramp_net *net, void *vst, int id, int grad, float *out,
                                  size_t count)
{
    dn_state *be = vst;
    dn_plan *pl = be->last;
    if (!pl) return ramp__net_fail(net, RAMP_EINVAL, "no forward pass yet");
    ramp_status cst = ramp__net_check_count(net, id, pl->n, count);
    if (cst) return cst;
    const dn_node *d = &pl->nodes[id];
    dnnl_memory_desc_t pmd;
    ramp_status st = RAMP_OK;
    DN(plain_md_of(&pmd, &d->md), "layout");
    if (!grad && id == 0) {
        memcpy(out, d->y, d->bytes);
        return RAMP_OK;
    }
    if (grad && !d->dy) return ramp__net_fail(net, RAMP_EINVAL, "layer %d: no gradient", id);
    if (grad && !net->prm.keep_grads)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED, "layer %d: output gradients share buffers "
                              "within a step; build with keep_grads to read them", id);
    const ramp__node *nd = &net->nodes[id];
    const ramp__node *an = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    if (!grad && nd->fused_relu)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED, "layer %d keeps no output of its own: "
                              "the ReLU it feeds is fused into it; read the ReLU's, or build "
                              "with no_fuse", id);
    if (!grad && nd->overwritten)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED, "layer %d keeps no output of its own: "
                              "the add it feeds sums in place over it; build with no_fuse "
                              "to read it", id);
    if (grad && ((nd->op == RAMP__OP_BN && nd->fused_relu) ||
                 (nd->op == RAMP__OP_RELU && an->fused_relu && an->op != RAMP__OP_BN)))
        return ramp__net_fail(net, RAMP_EUNSUPPORTED, "layer %d keeps no output gradient of its "
                              "own: a ReLU is fused with the layer before it; build with "
                              "no_fuse to read it", id);
    return reorder_once(net, be, &d->md, grad ? d->dy : d->y, &pmd, out, id);
fail:
    return st;
}

/* The table's destroy gets only the state; the net pointer is needed to walk
   the nodes, so the state remembers it through this wrapper. */
typedef struct dn_box {
    dn_state *be;
    ramp_net *net;
} dn_box;

static ramp_status box_create(ramp_net *net, void **out)
{
    dn_box *b = calloc(1, sizeof *b);
    if (!b) return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN backend: out of memory");
    void *be = NULL;
    ramp_status st = dn_create(net, &be);
    if (st) {
        free(b);
        return st;
    }
    b->be = be;
    b->net = net;
    *out = b;
    return RAMP_OK;
}

static void box_destroy(void *vb)
{
    dn_box *b = vb;
    if (!b) return;
    dn_destroy(b->be);
    dn_release(b->net, b->be);
    free(b);
}

static ramp_status box_forward(ramp_net *net, void *vb, const float *X, size_t n, int training,
                               float *logits)
{
    return dn_forward(net, ((dn_box *)vb)->be, X, n, training, logits);
}

static ramp_status box_backward(ramp_net *net, void *vb, const float *dl, size_t n)
{
    return dn_backward(net, ((dn_box *)vb)->be, dl, n);
}

static ramp_status box_sync(ramp_net *net, void *vb, int to_backend)
{
    return dn_sync(net, ((dn_box *)vb)->be, to_backend);
}

static ramp_status box_grad_read(ramp_net *net, void *vb, int id, int kind, float *out)
{
    return dn_grad_read(net, ((dn_box *)vb)->be, id, kind, out);
}

static ramp_status box_output_read(ramp_net *net, void *vb, int id, int grad, float *out,
                                   size_t count)
{
    return dn_output_read(net, ((dn_box *)vb)->be, id, grad, out, count);
}

const ramp__nn_backend ramp__nn_backend_dnnl = {
    RAMP__NN_BACKEND_API, "oneDNN",     box_create,    box_destroy,     box_forward,
    box_backward,         box_sync,     box_grad_read, box_output_read,
};
