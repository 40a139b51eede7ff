/* dnnl_misc.c — the oneDNN backend's layers that move data more than they
 * compute: the input, the residual add, dropout, flatten and softmax,
 * which both pass their input on as it is (the loss applies the softmax to
 * the logits, loss.c), and the two-input mul and concat (binary mul,
 * reduction, concat and reorder primitives).
 *
 * The input's buffer is the caller's X, set at each forward. An add sums in
 * place over its first input where nothing else reads it, takes a ReLU or
 * clip consumer as a post-op, and reorders its gradient for a skip branch of
 * another layout. Flatten and softmax alias their input's buffers where they
 * are its only consumer, else copy. Dropout draws its mask per step from a
 * stream keyed by (step, layer). Gradients that pass through unchanged go to
 * ramp__dn_dx_accum, which keeps them pending instead of copying.
 */
#include <string.h>

#include "nn/dnnlInt.h"

static ramp_status input_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_dim_t N = (dnnl_dim_t)pl->n;
    (void)be;
    dnnl_dim_t dims[4] = { N, nd->c, nd->h, nd->w };
    DN(ramp__dn_md_tag(&d->md, 4, dims, dnnl_nchw), "input layout");
fail:
    return st;
}

static ramp_status add_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_post_ops_t po = NULL;
    const dn_node *a = &pl->nodes[nd->in[0]];
    int training_graph = nd->needs_grad;
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
    d->fused = ramp__dn_fusable(net, id);
    if (d->fused) DN(ramp__dn_fused_post_ops(net, id, &po), "post-ops");
    /* The first input's output is read by nothing else, forward or
       backward (the same conditions as for sharing its gradient): add
       onto it in place, into lines it has just written. Not with the
       ReLU post-op on a layout whose channels are padded: there oneDNN
       2.6's in-place binary kernel with a post-op leaves dst = src0 (24
       channels in blocks of 16: the skip connection was lost). */
    d->inplace = !net->prm.no_fuse && (!d->fused || ramp__dn_md_unpadded(&a->md)) &&
                 ramp__dn_add_shares_dy(net, pl, id, 0);
    net->nodes[nd->in[0]].overwritten = d->inplace;
    dnnl_binary_desc_t bd;
    DN(dnnl_binary_desc_init(&bd, dnnl_binary_add, &a->md, &b->md, &d->md), "add");
    DN(ramp__dn_prim_make(be, &d->fwd, NULL, &bd, po, NULL), "add");
fail:
    if (po) dnnl_post_ops_destroy(po);
    return st;
}

static ramp_status add_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    const dn_node *a = &pl->nodes[nd->in[0]];
    (void)training;
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC_0, a->my },
                                { DNNL_ARG_SRC_1, pl->nodes[nd->in[1]].my },
                                { DNNL_ARG_DST, d->my } };
    return ramp__dn_prim_run(net, be, &d->fwd, 3, args, id, nd->op, RAMP_PROF_FWD,
                             d->flops[RAMP_PROF_FWD]);
}

static ramp_status add_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    ramp_status st = ramp__dn_dx_accum(net, be, pl, nd->in[0], d->dy);
    if (st) return st;
    if (d->wreorder.p && net->nodes[nd->in[1]].needs_grad) {
        dnnl_exec_arg_t ra[2] = { { DNNL_ARG_FROM, d->mdy }, { DNNL_ARG_TO, NULL } };
        return ramp__dn_bwd_into(net, be, pl, id, nd->in[1], &d->wreorder, ra, 2, 1,
                                 RAMP__PK_REORDER, 0);
    }
    return ramp__dn_dx_accum(net, be, pl, nd->in[1], d->dy);
}

static ramp_status dropout_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    dn_node *d = &pl->nodes[id];
    (void)be;
    d->md = pl->nodes[net->nodes[id].in[0]].md;
    d->mask = ramp__dn_aligned(dnnl_memory_desc_get_size(&d->md));
    if (!d->mask) return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    return RAMP_OK;
}

static ramp_status dropout_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    const dn_node *a = &pl->nodes[nd->in[0]];
    (void)be;
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
    return RAMP_OK;
}

static ramp_status dropout_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    int in = nd->in[0];
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    if (nd->alpha > 0.f) {
        size_t cnt = d->bytes / sizeof(float);
        double t0 = ramp__prof_t0(net);
        for (size_t j = 0; j < cnt; j++) d->dy[j] *= d->mask[j];
        if (net->prof_on) ramp__prof_add(net, nd->op, RAMP_PROF_BWD_DATA, t0, (double)cnt);
    }
    return ramp__dn_dx_accum(net, be, pl, in, d->dy);
}

static ramp_status pass_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    const ramp__node *an = &net->nodes[nd->in[0]];
    dn_node *d = &pl->nodes[id];
    (void)be;
    d->md = pl->nodes[nd->in[0]].md;
    /* not on the input: its buffer is the caller's X, set at each call,
       which an alias's memory made here would not follow */
    d->alias = an->n_consumers == 1 && nd->in[0] != 0;
    return RAMP_OK;
}

static ramp_status pass_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    (void)be;
    (void)training;
    if (d->alias) return RAMP_OK;
    double t0 = ramp__prof_t0(net);
    memcpy(d->y, pl->nodes[nd->in[0]].y, d->bytes);
    if (net->prof_on) ramp__prof_add(net, nd->op, RAMP_PROF_FWD, t0, 0);
    return RAMP_OK;
}

static ramp_status pass_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    int in = net->nodes[id].in[0];
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    return ramp__dn_dx_accum(net, be, pl, in, pl->nodes[id].dy);
}

/* One per output value each way. */
static void out_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    double out = (double)n * (double)ramp__node_size(&net->nodes[id]);
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = out;
    f[RAMP_PROF_BWD_WEIGHTS] = 0;
}

/* --- mul and concat --------------------------------------------------------
   Both see their inputs as N×C×H×W by the nodes' shapes (a flat vector as
   N×C×1×1): a node's md of another rank (a dense's N×C, a flatten's
   N×C'×H'×W') is reshaped into that view where oneDNN can (plain layouts
   always can); where it cannot, the plan fails naming the layer. Views are
   memories of their own (d->mx) whose data handles are pointed at the
   inputs' buffers at each call, and, in backward, at the buffers the
   inputs' gradients go to (ramp__dn_bwd_into_view). */

/* The N×C×H×W view of node `in`'s output md (N the plan's batch). */
static ramp_status view_md(ramp_net *net, dn_plan *pl, int id, int in, dnnl_memory_desc_t *out)
{
    const ramp__node *nd = &net->nodes[in];
    const dnnl_memory_desc_t *md = &pl->nodes[in].md;
    dnnl_dims_t dims = { (dnnl_dim_t)pl->n, nd->c, nd->h, nd->w };
    if (md->ndims == 4 && md->dims[1] == nd->c && md->dims[2] == nd->h && md->dims[3] == nd->w) {
        *out = *md;
        return RAMP_OK;
    }
    if (dnnl_memory_desc_reshape(out, md, 4, dims) == dnnl_success) return RAMP_OK;
    return ramp__net_fail(net, RAMP_EUNSUPPORTED, "%s (layer %d): oneDNN cannot view layer %d's "
                          "layout as %dx%dx%d (use the reference backend)",
                          ramp__op_name(net->nodes[id].op), id, in, nd->c, nd->h, nd->w);
}

/* Creates d->mx[k] over no buffer yet (handles are set per call). */
static dnnl_status_t view_mem(dn_state *be, dn_node *d, int k, const dnnl_memory_desc_t *md)
{
    return dnnl_memory_create(&d->mx[k], md, be->eng, DNNL_MEMORY_NONE);
}

/* Points the input views at the inputs' outputs (node 0's, the caller's X,
   changes per call). */
static ramp_status views_point(ramp_net *net, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_status_t s = dnnl_memory_set_data_handle(d->mx[DN_X_A], pl->nodes[nd->in[0]].y);
    if (!s) s = dnnl_memory_set_data_handle(d->mx[DN_X_B], pl->nodes[nd->in[1]].y);
    return s ? ramp__dn_fail(net, s, "input view", id) : RAMP_OK;
}

/* A reorder primitive from md `from` to md `to`. */
static dnnl_status_t reorder_make(dn_state *be, dn_prim *pr, const dnnl_memory_desc_t *from,
                                  const dnnl_memory_desc_t *to)
{
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&rpd, from, be->eng, to, be->eng, NULL);
    if (s) return s;
    s = dnnl_primitive_create(&pr->p, rpd);
    dnnl_primitive_desc_destroy(rpd);
    return s;
}

/* y = a ⊙ b (binary mul, b broadcast over H×W when it is N×C×1×1). In
   backward, da = dy ⊙ b (binary mul into a's gradient); db = dy ⊙ a into
   xbuf, then summed over H×W (reduction) or reordered into b's layout, or
   written straight into b's gradient when b has a's shape and layout. */
static ramp_status mul_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_memory_desc_t amd, bmd;
    int ga = net->nodes[nd->in[0]].needs_grad, gb = net->nodes[nd->in[1]].needs_grad;
    if ((st = view_md(net, pl, id, nd->in[0], &amd)) ||
        (st = view_md(net, pl, id, nd->in[1], &bmd)))
        return st;
    d->md = amd;
    DN(view_mem(be, d, DN_X_A, &amd), "memory");
    DN(view_mem(be, d, DN_X_B, &bmd), "memory");
    dnnl_binary_desc_t bd;
    DN(dnnl_binary_desc_init(&bd, dnnl_binary_mul, &amd, &bmd, &amd), "mul");
    DN(ramp__dn_prim_make(be, &d->fwd, NULL, &bd, NULL, NULL), "mul");
    if (!nd->needs_grad) return RAMP_OK;
    if (ga) {
        DN(view_mem(be, d, DN_X_DA, &amd), "memory");
        DN(dnnl_binary_desc_init(&bd, dnnl_binary_mul, &amd, &bmd, &amd), "mul backward");
        DN(ramp__dn_prim_make(be, &d->bwd_d, NULL, &bd, NULL, NULL), "mul backward");
    }
    if (gb) {
        DN(view_mem(be, d, DN_X_DB, &bmd), "memory");
        DN(dnnl_binary_desc_init(&bd, dnnl_binary_mul, &amd, &amd, &amd), "mul backward");
        DN(ramp__dn_prim_make(be, &d->bwd_w, NULL, &bd, NULL, NULL), "mul backward");
        if (!dnnl_memory_desc_equal(&amd, &bmd)) {
            d->xbuf = ramp__dn_aligned(dnnl_memory_desc_get_size(&amd));
            if (!d->xbuf) return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
            DN(dnnl_memory_create(&d->mx[DN_X_DYB], &amd, be->eng, d->xbuf), "memory");
            if (bmd.dims[2] == 1 && bmd.dims[3] == 1 && (amd.dims[2] > 1 || amd.dims[3] > 1)) {
                dnnl_reduction_desc_t rd;
                DN(dnnl_reduction_desc_init(&rd, dnnl_reduction_sum, &amd, &bmd, 0.f, 0.f),
                   "mul backward sum");
                DN(ramp__dn_prim_make(be, &d->aux, NULL, &rd, NULL, NULL), "mul backward sum");
            } else {
                DN(reorder_make(be, &d->aux, &amd, &bmd), "mul backward reorder");
            }
        }
    }
fail:
    return st;
}

static ramp_status mul_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    dn_node *d = &pl->nodes[id];
    (void)training;
    ramp_status st = views_point(net, pl, id);
    if (st) return st;
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC_0, d->mx[DN_X_A] },
                                { DNNL_ARG_SRC_1, d->mx[DN_X_B] },
                                { DNNL_ARG_DST, d->my } };
    return ramp__dn_prim_run(net, be, &d->fwd, 3, args, id, RAMP__OP_MUL, RAMP_PROF_FWD,
                             d->flops[RAMP_PROF_FWD]);
}

static ramp_status mul_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    ramp_status st = RAMP_OK;
    double f = d->flops[RAMP_PROF_BWD_DATA] / 2;
    if (net->nodes[nd->in[0]].needs_grad) {
        dnnl_exec_arg_t da[3] = { { DNNL_ARG_SRC_0, d->mdy },
                                  { DNNL_ARG_SRC_1, d->mx[DN_X_B] },
                                  { DNNL_ARG_DST, NULL } };
        st = ramp__dn_bwd_into_view(net, be, pl, id, nd->in[0], &d->bwd_d, da, 3, 2,
                                    d->mx[DN_X_DA], RAMP__OP_MUL, f);
        if (st) return st;
    }
    if (!net->nodes[nd->in[1]].needs_grad) return RAMP_OK;
    dnnl_exec_arg_t db[3] = { { DNNL_ARG_SRC_0, d->mdy },
                              { DNNL_ARG_SRC_1, d->mx[DN_X_A] },
                              { DNNL_ARG_DST, d->mx[DN_X_DYB] } };
    if (!d->xbuf) /* b has a's shape and layout: straight into its gradient */
        return ramp__dn_bwd_into_view(net, be, pl, id, nd->in[1], &d->bwd_w, db, 3, 2,
                                      d->mx[DN_X_DB], RAMP__OP_MUL, f);
    if ((st = ramp__dn_prim_run(net, be, &d->bwd_w, 3, db, id, RAMP__OP_MUL, RAMP_PROF_BWD_DATA,
                                f)))
        return st;
    dnnl_exec_arg_t ra[2] = { { DNNL_ARG_SRC, d->mx[DN_X_DYB] }, { DNNL_ARG_DST, NULL } };
    return ramp__dn_bwd_into_view(net, be, pl, id, nd->in[1], &d->aux, ra, 2, 1,
                                  d->mx[DN_X_DB], RAMP__OP_MUL, 0);
}

/* y = the channels of a, then those of b (concat primitive). Its layout is
   oneDNN's choice where each input's part of it can be cut out as a
   sub-memory (channel blocks that do not straddle the seam), else plain;
   backward reorders each part of dy into its input's gradient. */
static ramp_status concat_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_memory_desc_t src[2], dmd, sub[2];
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    if ((st = view_md(net, pl, id, nd->in[0], &src[0])) ||
        (st = view_md(net, pl, id, nd->in[1], &src[1])))
        return st;
    DN(view_mem(be, d, DN_X_A, &src[0]), "memory");
    DN(view_mem(be, d, DN_X_B, &src[1]), "memory");
    DN(dnnl_primitive_attr_create(&attr), "concat");
    DN(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "concat");
    dnnl_dims_t dd = { (dnnl_dim_t)pl->n, nd->c, nd->h, nd->w };
    for (int plain = 0; plain < 2; plain++) {
        DN(ramp__dn_md_tag(&dmd, 4, dd, plain ? dnnl_nchw : dnnl_format_tag_any), "concat");
        DN(dnnl_concat_primitive_desc_create(&pd, &dmd, 2, 1, src, attr, be->eng), "concat");
        d->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        dnnl_dims_t off0 = { 0, 0, 0, 0 }, off1 = { 0, src[0].dims[1], 0, 0 };
        if (dnnl_memory_desc_init_submemory(&sub[0], &d->md, src[0].dims, off0) == dnnl_success &&
            dnnl_memory_desc_init_submemory(&sub[1], &d->md, src[1].dims, off1) == dnnl_success)
            break;
        dnnl_primitive_desc_destroy(pd);
        pd = NULL;
        if (plain) {
            st = ramp__net_fail(net, RAMP_EINTERNAL, "oneDNN: concat (layer %d) cannot be split",
                                id);
            goto fail;
        }
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (smd) {
        d->fwd.scratch_md = *smd;
        d->fwd.scratch_size = dnnl_memory_desc_get_size(smd);
    }
    DN(dnnl_primitive_create(&d->fwd.p, pd), "concat");
    for (int k = 0; k < 2; k++) {
        if (!nd->needs_grad || !net->nodes[nd->in[k]].needs_grad) continue;
        DN(view_mem(be, d, DN_X_DYA + k, &sub[k]), "memory");
        DN(view_mem(be, d, DN_X_DA + k, &src[k]), "memory");
        DN(reorder_make(be, k ? &d->bwd_w : &d->bwd_d, &sub[k], &src[k]), "concat backward");
    }
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

static ramp_status concat_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    dn_node *d = &pl->nodes[id];
    (void)training;
    ramp_status st = views_point(net, pl, id);
    if (st) return st;
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_MULTIPLE_SRC, d->mx[DN_X_A] },
                                { DNNL_ARG_MULTIPLE_SRC + 1, d->mx[DN_X_B] },
                                { DNNL_ARG_DST, d->my } };
    return ramp__dn_prim_run(net, be, &d->fwd, 3, args, id, RAMP__OP_CONCAT, RAMP_PROF_FWD, 0);
}

static ramp_status concat_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    for (int k = 0; k < 2; k++) {
        if (!net->nodes[nd->in[k]].needs_grad) continue;
        dnnl_status_t s = dnnl_memory_set_data_handle(d->mx[DN_X_DYA + k], d->dy);
        if (s) return ramp__dn_fail(net, s, "gradient view", id);
        dnnl_exec_arg_t ra[2] = { { DNNL_ARG_FROM, d->mx[DN_X_DYA + k] }, { DNNL_ARG_TO, NULL } };
        ramp_status st = ramp__dn_bwd_into_view(net, be, pl, id, nd->in[k],
                                                k ? &d->bwd_w : &d->bwd_d, ra, 2, 1,
                                                d->mx[DN_X_DA + k], RAMP__OP_CONCAT, 0);
        if (st) return st;
    }
    return RAMP_OK;
}

/* Mul: one per output value forward, two backward (both products). */
static void mul_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    double out = (double)n * (double)ramp__node_size(&net->nodes[id]);
    f[RAMP_PROF_FWD] = out;
    f[RAMP_PROF_BWD_DATA] = 2 * out;
    f[RAMP_PROF_BWD_WEIGHTS] = 0;
}

const dn_op ramp__dn_op_input = { 0, input_plan, NULL, NULL, NULL };
const dn_op ramp__dn_op_add = { DN_F_FUSES_RELU | DN_F_PASSES_DY, add_plan, add_forward,
                                add_backward, out_flops };
const dn_op ramp__dn_op_dropout = { DN_F_PASSES_DY, dropout_plan, dropout_forward,
                                    dropout_backward, out_flops };
const dn_op ramp__dn_op_flatten = { DN_F_PASSES_DY, pass_plan, pass_forward, pass_backward, NULL };
const dn_op ramp__dn_op_softmax = { DN_F_PASSES_DY, pass_plan, pass_forward, pass_backward, NULL };
const dn_op ramp__dn_op_mul = { DN_F_READS_DY, mul_plan, mul_forward, mul_backward, mul_flops };
const dn_op ramp__dn_op_concat = { DN_F_READS_DY, concat_plan, concat_forward, concat_backward,
                                   NULL };
