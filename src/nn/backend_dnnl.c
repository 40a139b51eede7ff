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
 * This file holds what every layer shares: the engine and stream, plans and
 * their buffers, parameter storage, gradient flow and the walk over the
 * graph. Each layer type is an entry of the ops table (dn_op, dnnlInt.h):
 * build_node, dn_forward and dn_backward call its plan, forward and
 * backward. The entries live by family, as the reference's ref_*.c do:
 * dnnl_conv.c (conv, dense: Winograd where it pays, ramp's own 3×3 kernels
 * of conv3x3c16.c where they beat oneDNN's), dnnl_pool.c, dnnl_act.c,
 * dnnl_bn.c and dnnl_misc.c (input, add, dropout, flatten, softmax, mul,
 * concat).
 *
 * Weights are stored once in the layout the first plan chose; later plans
 * are created with that layout pinned (ramp__dn_weight_md, ramp__dn_param_bind).
 *
 * A ReLU that is the only consumer of a conv, dense, batchnorm or add runs
 * inside it and shares its buffers (the ReLU node is an alias): as a post-op
 * of the conv/dense/add, whose backward is then an in-place eltwise backward
 * from the output (relu_use_dst_for_bwd; a clip, ReLU6, is fused the same
 * way into a conv, dense or add, as clip_v2); in the batchnorm through
 * dnnl_fuse_norm_relu, whose backward masks dy itself from a workspace. The
 * first layer's input gradient is never computed (needs_grad). Every
 * primitive uses a user-provided scratchpad, one buffer per plan.
 *
 * Gradient flow into a node with several consumers: see dx_target. Sums run
 * as a oneDNN binary add (on all threads). An add's input whose only
 * consumer is the add shares the add's dy buffer (ramp__dn_add_shares_dy), so its
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

#include "nn/dnnlInt.h"

ramp_status ramp__dn_fail(ramp_net *net, dnnl_status_t s, const char *what, int id)
{
    return ramp__net_fail(net, s == dnnl_out_of_memory ? RAMP_ENOMEM : RAMP_EINTERNAL,
                          "oneDNN: %s failed for layer %d (dnnl status %d)", what, id, (int)s);
}

static void prim_free(dn_prim *p)
{
    if (p->p) dnnl_primitive_destroy(p->p);
    if (p->scratch) dnnl_memory_destroy(p->scratch);
    memset(p, 0, sizeof *p);
}

/* Creates the primitive for op_desc with a user scratchpad; hands back the
   primitive descriptor in *pd_out (caller destroys) when pd_out is set. */
dnnl_status_t ramp__dn_prim_make(dn_state *be, dn_prim *pr, dnnl_primitive_desc_t *pd_out,
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
ramp_status ramp__dn_prim_run(ramp_net *net, dn_state *be, dn_prim *pr, int nargs,
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
    return s ? ramp__dn_fail(net, s, "execute", id) : RAMP_OK;
}

/* The entry of each layer type, by RAMP__OP_*. */
static const dn_op *const ops[RAMP__OP_DECONV + 1] = {
    [RAMP__OP_INPUT] = &ramp__dn_op_input,     [RAMP__OP_CONV] = &ramp__dn_op_conv,
    [RAMP__OP_DENSE] = &ramp__dn_op_dense,     [RAMP__OP_MAXPOOL] = &ramp__dn_op_maxpool,
    [RAMP__OP_AVGPOOL] = &ramp__dn_op_avgpool, [RAMP__OP_GAP] = &ramp__dn_op_gap,
    [RAMP__OP_RELU] = &ramp__dn_op_relu,       [RAMP__OP_LRELU] = &ramp__dn_op_lrelu,
    [RAMP__OP_SIGMOID] = &ramp__dn_op_sigmoid, [RAMP__OP_TANH] = &ramp__dn_op_tanh,
    [RAMP__OP_SOFTMAX] = &ramp__dn_op_softmax, [RAMP__OP_BN] = &ramp__dn_op_bn,
    [RAMP__OP_DROPOUT] = &ramp__dn_op_dropout, [RAMP__OP_FLATTEN] = &ramp__dn_op_flatten,
    [RAMP__OP_ADD] = &ramp__dn_op_add,         [RAMP__OP_CLIP] = &ramp__dn_op_clip,
    [RAMP__OP_MUL] = &ramp__dn_op_mul,         [RAMP__OP_CONCAT] = &ramp__dn_op_concat,
    [RAMP__OP_UPSAMPLE] = &ramp__dn_op_upsample, [RAMP__OP_DECONV] = &ramp__dn_op_deconv,
};

static const dn_op *op_of(const ramp_net *net, int id)
{
    return ops[net->nodes[id].op];
}

/* Analytic FLOPs of one call of node `id` over n samples, per pass. */
static void node_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = f[RAMP_PROF_BWD_WEIGHTS] = 0;
    if (op_of(net, id)->flops) op_of(net, id)->flops(net, id, n, f);
}

static void plan_free(ramp_net *net, dn_plan *pl)
{
    if (!pl) return;
    if (pl->nodes)
        for (int i = 0; i < net->n_nodes; i++) {
            dn_node *d = &pl->nodes[i];
            dn_prim *ps[10] = { &d->fwd,  &d->infer, &d->bwd_d,    &d->bwd_w,    &d->wreorder,
                                &d->gsum, &d->aux,   &d->sreorder, &d->greorder, &d->dreorder };
            for (int j = 0; j < 10; j++) prim_free(ps[j]);
            for (int j = 0; j < 6; j++)
                if (d->mx[j]) dnnl_memory_destroy(d->mx[j]);
            free(d->xbuf);
            dnnl_memory_t ms[12] = { d->my,  d->mdy, d->mtmp, d->mws,  d->mmean, d->mvar,
                                     d->mwbd, d->mv0, d->mv1,  d->msxb, d->mgwb, d->mdyb };
            for (int j = 0; j < 12; j++)
                if (ms[j]) dnnl_memory_destroy(ms[j]);
            free(d->wbd);
            free(d->sxb);
            free(d->gwb);
            free(d->dyb);
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

void *ramp__dn_aligned(size_t bytes)
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

dnnl_status_t ramp__dn_md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dim_t *dims,
                              dnnl_format_tag_t tag)
{
    dnnl_dims_t full = { 0 }; /* the API reads a whole dnnl_dims_t */
    for (int i = 0; i < nd && i < DNNL_MAX_NDIMS; i++) full[i] = dims[i];
    return dnnl_memory_desc_init_by_tag(md, nd, full, dnnl_f32, tag);
}

/* Is md exactly its dims in layout `tag`? */
int ramp__dn_md_is(const dnnl_memory_desc_t *md, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t want;
    return !ramp__dn_md_tag(&want, md->ndims, md->dims, tag) && dnnl_memory_desc_equal(&want, md);
}

/* Does the layout hold exactly the tensor's values (no padded channels)? */
int ramp__dn_md_unpadded(const dnnl_memory_desc_t *md)
{
    for (int i = 0; i < md->ndims; i++)
        if (md->padded_dims[i] != md->dims[i]) return 0;
    return 1;
}

/* Plain layout of a node's output: nchw, or nc for 2-D layouts. */
static dnnl_status_t plain_md_of(dnnl_memory_desc_t *out, const dnnl_memory_desc_t *md)
{
    return ramp__dn_md_tag(out, md->ndims, md->dims, md->ndims == 4 ? dnnl_nchw : dnnl_nc);
}

/* Plain layout of a parameter, given its stored md's rank. */
static dnnl_status_t plain_param_md(dnnl_memory_desc_t *out, const dnnl_memory_desc_t *md)
{
    static const dnnl_format_tag_t tags[6] = { dnnl_format_tag_undef, dnnl_a, dnnl_ab, dnnl_abc,
                                               dnnl_abcd, dnnl_abcde };
    if (md->ndims < 1 || md->ndims > 5) return dnnl_invalid_arguments;
    return ramp__dn_md_tag(out, md->ndims, md->dims, tags[md->ndims]);
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

/* The op of node i's only consumer where it can run inside node i, a layer
   that fuses (conv, dense, batchnorm, add: DN_F_FUSES_RELU): a ReLU, or a
   clip after all but a batchnorm (whose fusion, dnnl_fuse_norm_relu, is
   ReLU's only); else -1. */
static int fused_op(const ramp_net *net, int i)
{
    const ramp__node *nd = &net->nodes[i];
    if (net->prm.no_fuse || !(op_of(net, i)->flags & DN_F_FUSES_RELU) ||
        nd->n_consumers != 1 || i + 1 >= net->n_nodes)
        return -1;
    for (int j = i + 1; j < net->n_nodes; j++)
        for (int k = 0; k < net->nodes[j].n_in; k++)
            if (net->nodes[j].in[k] == i) {
                ramp__op op = net->nodes[j].op;
                int ok = op == RAMP__OP_RELU || (op == RAMP__OP_CLIP && nd->op != RAMP__OP_BN);
                return ok && net->nodes[j].n_in == 1 ? (int)op : -1;
            }
    return -1;
}

int ramp__dn_fusable(const ramp_net *net, int i)
{
    return fused_op(net, i) >= 0;
}

int ramp__dn_fused_clip(const ramp_net *net, int i)
{
    return fused_op(net, i) == RAMP__OP_CLIP;
}

dnnl_status_t ramp__dn_fused_post_ops(const ramp_net *net, int i, dnnl_post_ops_t *po)
{
    const ramp__node *c = NULL;
    for (int j = i + 1; j < net->n_nodes && !c; j++)
        if (net->nodes[j].in[0] == i) c = &net->nodes[j];
    dnnl_status_t s = dnnl_post_ops_create(po);
    if (s || !c) return s ? s : dnnl_invalid_arguments;
    if (c->op == RAMP__OP_CLIP)
        return dnnl_post_ops_append_eltwise(*po, 1.f, dnnl_eltwise_clip_v2, c->alpha, c->beta);
    return dnnl_post_ops_append_eltwise(*po, 1.f, dnnl_eltwise_relu, 0.f, 0.f);
}

/* The stored weight md of (node, kind) if known, else `any` with dims. */
dnnl_status_t ramp__dn_weight_md(dn_state *be, int id, int kind, dnnl_memory_desc_t *md, int nd,
                                 const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    if (p->ready) {
        *md = p->md;
        return dnnl_success;
    }
    return ramp__dn_md_tag(md, nd, dims, tag);
}

/* Records the md oneDNN chose for a parameter (first plan) and allocates
   its storage and memories. */
ramp_status ramp__dn_param_bind(ramp_net *net, dn_state *be, int id, int kind,
                                const dnnl_memory_desc_t *md)
{
    ramp_status st = RAMP_OK;
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    ramp__param *q = &net->nodes[id].p[kind];
    if (p->ready) return RAMP_OK;
    size_t bytes = dnnl_memory_desc_get_size(md);
    p->md = *md;
    if (net->nodes[id].op == RAMP__OP_DECONV && kind == RAMP__P_WEIGHT && md->ndims == 4)
        DN(ramp__dn_md_tag(&p->plain_md, 4, md->dims, dnnl_iohw), "parameter layout");
    else /* (a transposed conv's weights are O×I×K×K to oneDNN, I×O×K×K plain) */
        DN(plain_param_md(&p->plain_md, md), "parameter layout");
    if (dnnl_memory_desc_get_size(&p->plain_md) != q->n_plain * sizeof(float)) {
        st = ramp__net_fail(net, RAMP_EINTERNAL, "oneDNN: layer %d parameter %d size mismatch",
                            id, kind);
        goto fail;
    }
    q->n = bytes / sizeof(float);
    q->w = ramp__dn_aligned(bytes);
    q->g = q->trainable ? ramp__dn_aligned(bytes) : NULL;
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

/* Can the gradient buffer of input k of add node `id` be the add's own? Its
   gradient equals the add's, so it can when the add is its only consumer, the
   layouts match, and its backward only reads its dy (not a ReLU/dropout that
   masks dy in place, nor an alias). Saves a copy of dy per input per step. */
int ramp__dn_add_shares_dy(const ramp_net *net, const dn_plan *pl, int id, int k)
{
    const ramp__node *nd = &net->nodes[id];
    int in = nd->in[k];
    const ramp__node *an = &net->nodes[in];
    const dn_node *a = &pl->nodes[in];
    if (in == 0 || an->n_consumers != 1 || a->alias || a->fused ||
        (k == 1 && nd->in[0] == in))
        return 0;
    if (!(op_of(net, in)->flags & DN_F_READS_DY)) /* conv, dense, batchnorm, pools */
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
        d->y = ramp__dn_aligned(d->bytes);
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
                if (ramp__dn_add_shares_dy(net, pl, i, k))
                    grp[grp_find(grp, i)] = grp_find(grp, nd->in[k]);
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
        int through = (op_of(net, i)->flags & DN_F_PASSES_DY) != 0;
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
        if (!(pl->dybuf[b] = ramp__dn_aligned(cap[b]))) {
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
            DN(ramp__dn_prim_make(be, &d->gsum, NULL, &bd, NULL, NULL), "gradient sum");
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
/* The workspace a forward primitive keeps for its backward (max pooling's
   argmax, a fused batchnorm ReLU's mask), if it has one. */
ramp_status ramp__dn_workspace(ramp_net *net, dn_state *be, dn_node *d,
                               const_dnnl_primitive_desc_t pd, int id)
{
    ramp_status st = RAMP_OK;
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
    if (!md || dnnl_memory_desc_get_size(md) == 0) return RAMP_OK;
    if (!(d->ws = ramp__dn_aligned(dnnl_memory_desc_get_size(md))))
        return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    DN(dnnl_memory_create(&d->mws, md, be->eng, d->ws), "memory");
fail:
    return st;
}

static ramp_status build_node(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    dn_node *d = &pl->nodes[id];
    ramp_status st = op_of(net, id)->plan(net, be, pl, id);
    if (st) return st;
    net->nodes[id].fused_relu = d->fused;
    node_flops(net, id, pl->n, d->flops);
    return node_buffers(net, be, pl, id);
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
    pl->tmp = ramp__dn_aligned(tmp);
    if (!pl->tmp) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    for (int i = 0; i < net->n_nodes; i++) {
        dn_node *d = &pl->nodes[i];
        DN(dnnl_memory_create(&d->mtmp, &d->md, be->eng, pl->tmp), "memory");
        dn_prim *ps[6] = { &d->fwd, &d->infer, &d->bwd_d, &d->bwd_w, &d->gsum, &d->aux };
        for (int j = 0; j < 6; j++)
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
    pl->scratch = ramp__dn_aligned(scratch);
    if (!pl->scratch) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    for (id = 0; id < net->n_nodes; id++) {
        dn_node *d = &pl->nodes[id];
        dn_prim *ps[6] = { &d->fwd, &d->infer, &d->bwd_d, &d->bwd_w, &d->gsum, &d->aux };
        for (int j = 0; j < 6; j++)
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
    if (be->n_plans == DN_MAX_PLANS) {
        /* keep the first (training batch) plan; drop the oldest other */
        if (be->last == be->plans[1]) be->last = NULL;
        plan_free(net, be->plans[1]);
        memmove(&be->plans[1], &be->plans[2], (DN_MAX_PLANS - 2) * sizeof *be->plans);
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
        const dn_op *op = op_of(net, id);
        if (op->forward && (st = op->forward(net, be, pl, id, training))) return st;
    }
    id = net->logits_node;
    DN(dnnl_memory_set_data_handle(pl->mout, logits), "output");
    {
        dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, pl->nodes[id].my }, { DNNL_ARG_TO, pl->mout } };
        if ((st = ramp__dn_prim_run(net, be, &pl->out_reorder, 2, args, id, RAMP__PK_REORDER,
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
    st = ramp__dn_prim_run(net, be, &d->gsum, 3, args, in, RAMP__PK_GRADSUM, RAMP_PROF_BWD_DATA,
                           (double)(d->bytes / sizeof(float)));
fail:
    return st;
}

static ramp_status dx_finish(ramp_net *net, dn_state *be, dn_plan *pl, int in, int via_tmp)
{
    return via_tmp == 1 ? dx_sum(net, be, pl, in, pl->tmp) : RAMP_OK;
}

/* dy of node `in` += src (same layout). */
ramp_status ramp__dn_dx_accum(ramp_net *net, dn_state *be, dn_plan *pl, int in, const float *src)
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
ramp_status ramp__dn_bwd_into(ramp_net *net, dn_state *be, dn_plan *pl, int id, int in,
                              dn_prim *pr, dnnl_exec_arg_t *args, int nargs, int k, int kind,
                              double flops)
{
    int vt;
    args[k].memory = dx_target(net, pl, in, &vt);
    ramp_status st =
        ramp__dn_prim_run(net, be, pr, nargs, args, id, kind, RAMP_PROF_BWD_DATA, flops);
    return st ? st : dx_finish(net, be, pl, in, vt);
}

ramp_status ramp__dn_bwd_into_view(ramp_net *net, dn_state *be, dn_plan *pl, int id, int in,
                                   dn_prim *pr, dnnl_exec_arg_t *args, int nargs, int k,
                                   dnnl_memory_t view, int kind, double flops)
{
    int vt;
    void *h = NULL;
    dnnl_memory_t m = dx_target(net, pl, in, &vt);
    dnnl_status_t s = dnnl_memory_get_data_handle(m, &h);
    if (!s) s = dnnl_memory_set_data_handle(view, h);
    if (s) return ramp__dn_fail(net, s, "gradient view", id);
    args[k].memory = view;
    ramp_status st =
        ramp__dn_prim_run(net, be, pr, nargs, args, id, kind, RAMP_PROF_BWD_DATA, flops);
    return st ? st : dx_finish(net, be, pl, in, vt);
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
        if ((st = ramp__dn_prim_run(net, be, &pl->dout_reorder, 2, args, id, RAMP__PK_REORDER,
                                    RAMP_PROF_BWD_DATA, 0)))
            return st;
    }
    for (id = net->logits_node; id >= 1; id--) {
        if (!net->nodes[id].needs_grad) continue;
        dx_settle(net, pl, id);
        const dn_op *op = op_of(net, id);
        if (op->backward && (st = op->backward(net, be, pl, id))) return st;
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
                              "the ReLU (or clip) it feeds is fused into it; read that layer's, "
                              "or build with no_fuse", id);
    if (!grad && nd->overwritten)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED, "layer %d keeps no output of its own: "
                              "the add it feeds sums in place over it; build with no_fuse "
                              "to read it", id);
    if (grad && ((nd->op == RAMP__OP_BN && nd->fused_relu) ||
                 ((nd->op == RAMP__OP_RELU || nd->op == RAMP__OP_CLIP) && an->fused_relu &&
                  an->op != RAMP__OP_BN)))
        return ramp__net_fail(net, RAMP_EUNSUPPORTED, "layer %d keeps no output gradient of its "
                              "own: it is fused with the layer before it; build with "
                              "no_fuse to read it", id);
    return reorder_once(net, be, &d->md, grad ? d->dy : d->y, &pmd, out, id);
fail:
    return st;
}

static ramp_status dn_state_convert(ramp_net *net, dn_state *be, int id, int kind,
                                    const float *src, float *dst, int to_backend)
{
    dn_param *p = &be->params[id * RAMP__P_MAX + kind];
    if (!p->ready) return ramp__net_fail(net, RAMP_EINTERNAL, "layer %d: no storage yet", id);
    if (to_backend)
        return reorder_once(net, be, &p->plain_md, (void *)(uintptr_t)src, &p->md, dst, id);
    return reorder_once(net, be, &p->md, (void *)(uintptr_t)src, &p->plain_md, dst, id);
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

static ramp_status box_state_convert(ramp_net *net, void *vb, int id, int kind,
                                     const float *src, float *dst, int to_backend)
{
    return dn_state_convert(net, ((dn_box *)vb)->be, id, kind, src, dst, to_backend);
}

const ramp__nn_backend ramp__nn_backend_dnnl = {
    RAMP__NN_BACKEND_API, "oneDNN", box_create,    box_destroy,     box_forward,
    box_backward,         box_sync, box_grad_read, box_output_read, box_state_convert,
    NULL,                 NULL,     NULL, /* host storage: optim.c steps it, no staging */
};
