/* dnnl_pool.c — the oneDNN backend's pooling layers: max, average (padded
 * zeros counted) and global average pooling, which is average pooling with
 * one window over the whole input plane. The output takes the layout oneDNN
 * chooses from the input's; max pooling keeps its arg-max in the forward
 * primitive's workspace for backward.
 */
#include "nn/dnnlInt.h"

static ramp_status pool_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_dim_t N = (dnnl_dim_t)pl->n;
    dnnl_primitive_desc_t pd = NULL;
    const dn_node *a = &pl->nodes[nd->in[0]];
    const ramp__node *an = &net->nodes[nd->in[0]];
    int need_dx = an->needs_grad;
    dnnl_alg_kind_t alg = nd->op == RAMP__OP_MAXPOOL ? dnnl_pooling_max
                                                     : dnnl_pooling_avg_include_padding;
    dnnl_memory_desc_t dmd;
    dnnl_dim_t dd[4] = { N, nd->c, nd->h, nd->w };
    DN(ramp__dn_md_tag(&dmd, 4, dd, dnnl_format_tag_any), "dst");
    /* global pooling: one kernel over the whole input plane, H×W */
    int gap = nd->op == RAMP__OP_GAP;
    dnnl_dims_t S = { nd->stride, nd->stride },
                K = { gap ? an->h : nd->k, gap ? an->w : nd->k }, PL = { nd->pad, nd->pad };
    dnnl_dims_t PR = { (nd->h - 1) * nd->stride + K[0] - an->h - nd->pad,
                       (nd->w - 1) * nd->stride + K[1] - an->w - nd->pad };
    dnnl_pooling_desc_t pdsc;
    DN(dnnl_pooling_forward_desc_init(&pdsc, dnnl_forward_training, alg, &a->md, &dmd, S, K,
                                      PL, PR), "pool forward");
    DN(ramp__dn_prim_make(be, &d->fwd, &pd, &pdsc, NULL, NULL), "pool forward");
    d->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    if ((st = ramp__dn_workspace(net, be, d, pd, id))) goto fail;
    if (need_dx) {
        DN(dnnl_pooling_backward_desc_init(&pdsc, alg, &a->md, &d->md, S, K, PL, PR),
           "pool backward");
        DN(ramp__dn_prim_make(be, &d->bwd_d, NULL, &pdsc, NULL, pd), "pool backward");
    }
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

static ramp_status pool_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    const dn_node *a = &pl->nodes[nd->in[0]];
    (void)training;
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, a->my },
                                { DNNL_ARG_DST, d->my },
                                { DNNL_ARG_WORKSPACE, d->mws } };
    return ramp__dn_prim_run(net, be, &d->fwd, d->mws ? 3 : 2, args, id, nd->op, RAMP_PROF_FWD,
                             d->flops[RAMP_PROF_FWD]);
}

static ramp_status pool_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    int in = nd->in[0];
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    dnnl_exec_arg_t da[3] = { { DNNL_ARG_DIFF_DST, d->mdy },
                              { DNNL_ARG_DIFF_SRC, NULL },
                              { DNNL_ARG_WORKSPACE, d->mws } };
    return ramp__dn_bwd_into(net, be, pl, id, in, &d->bwd_d, da, d->mws ? 3 : 2, 1, nd->op,
                             d->flops[RAMP_PROF_BWD_DATA]);
}

static void pool_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    const ramp__node *nd = &net->nodes[id];
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] =
        (double)n * (double)ramp__node_size(nd) * nd->k * nd->k;
    f[RAMP_PROF_BWD_WEIGHTS] = 0;
}

static void gap_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    const ramp__node *an = &net->nodes[net->nodes[id].in[0]];
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = (double)n * (double)ramp__node_size(an);
    f[RAMP_PROF_BWD_WEIGHTS] = 0;
}

const dn_op ramp__dn_op_maxpool = { DN_F_READS_DY, pool_plan, pool_forward, pool_backward,
                                    pool_flops };
const dn_op ramp__dn_op_avgpool = { DN_F_READS_DY, pool_plan, pool_forward, pool_backward,
                                    pool_flops };
const dn_op ramp__dn_op_gap = { DN_F_READS_DY, pool_plan, pool_forward, pool_backward, gap_flops };
