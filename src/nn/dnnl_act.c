/* dnnl_act.c — the oneDNN backend's elementwise activations: ReLU, leaky
 * ReLU, sigmoid, tanh and clip, in the layout of their input. Backward reads
 * the forward's output (the *_use_dst_for_bwd algorithms), as the
 * reference's ref_act.c and ref_misc.c do. Clip is oneDNN's clip_v2, whose
 * gradient passes only strictly inside (lo, hi), as the reference's (the
 * older clip also passes it at x = hi).
 *
 * A ReLU whose producer fused it (fusable: conv, dense, add as a post-op,
 * batchnorm through dnnl_fuse_norm_relu), or a clip fused as a post-op
 * (conv, dense, add), is an alias of that producer's
 * buffers: it runs no forward; its backward is an in-place eltwise backward
 * on the producer's dy, or nothing at all after a batchnorm, whose backward
 * masks dy itself from its workspace.
 */
#include "nn/dnnlInt.h"

static ramp_status act_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_primitive_desc_t epd = NULL;
    const dn_node *a = &pl->nodes[nd->in[0]];
    const ramp__node *an = &net->nodes[nd->in[0]];
    int need_dx = an->needs_grad;
    dnnl_alg_kind_t alg = nd->op == RAMP__OP_SIGMOID ? dnnl_eltwise_logistic_use_dst_for_bwd
                          : nd->op == RAMP__OP_TANH  ? dnnl_eltwise_tanh_use_dst_for_bwd
                          : nd->op == RAMP__OP_CLIP  ? dnnl_eltwise_clip_v2_use_dst_for_bwd
                                                     : dnnl_eltwise_relu_use_dst_for_bwd;
    float beta = nd->op == RAMP__OP_CLIP ? nd->beta : 0.f;
    d->md = a->md;
    d->alias = pl->nodes[nd->in[0]].fused;
    if (d->alias && an->op == RAMP__OP_BN) return RAMP_OK; /* forward and backward in the BN's */
    dnnl_eltwise_desc_t ed;
    DN(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_training, alg, &d->md, nd->alpha, beta),
       "eltwise forward");
    if (d->alias) {
        DN(dnnl_primitive_desc_create(&epd, &ed, NULL, be->eng, NULL), "eltwise forward");
    } else {
        DN(ramp__dn_prim_make(be, &d->fwd, &epd, &ed, NULL, NULL), "eltwise forward");
    }
    if (need_dx) {
        DN(dnnl_eltwise_backward_desc_init(&ed, alg, &d->md, &d->md, nd->alpha, beta),
           "eltwise backward");
        DN(ramp__dn_prim_make(be, &d->bwd_d, NULL, &ed, NULL, epd), "eltwise backward");
    }
fail:
    if (epd) dnnl_primitive_desc_destroy(epd);
    return st;
}

static ramp_status act_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    const dn_node *a = &pl->nodes[nd->in[0]];
    (void)training;
    if (d->alias) return RAMP_OK; /* computed by its producer */
    dnnl_exec_arg_t args[2] = { { DNNL_ARG_SRC, a->my }, { DNNL_ARG_DST, d->my } };
    return ramp__dn_prim_run(net, be, &d->fwd, 2, args, id, nd->op, RAMP_PROF_FWD,
                             d->flops[RAMP_PROF_FWD]);
}

static ramp_status act_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    int in = nd->in[0];
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    if (d->alias && !d->bwd_d.p) { /* the batchnorm's backward masks dy */
        pl->dy_ready[in] = 1;
        return RAMP_OK;
    }
    dnnl_exec_arg_t da[3] = { { DNNL_ARG_DIFF_DST, d->mdy },
                              { DNNL_ARG_DST, d->my },
                              { DNNL_ARG_DIFF_SRC, d->mdy } };
    if (d->alias) { /* fused: in place on the producer's dy (its only consumer) */
        pl->dy_ready[in] = 1;
        return ramp__dn_prim_run(net, be, &d->bwd_d, 3, da, id, nd->op, RAMP_PROF_BWD_DATA,
                                 d->flops[RAMP_PROF_BWD_DATA]);
    }
    return ramp__dn_bwd_into(net, be, pl, id, in, &d->bwd_d, da, 3, 2, nd->op,
                             d->flops[RAMP_PROF_BWD_DATA]);
}

/* One per value each way. */
static void act_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    double out = (double)n * (double)ramp__node_size(&net->nodes[id]);
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = out;
    f[RAMP_PROF_BWD_WEIGHTS] = 0;
}

const dn_op ramp__dn_op_relu = { 0, act_plan, act_forward, act_backward, act_flops };
const dn_op ramp__dn_op_lrelu = { 0, act_plan, act_forward, act_backward, act_flops };
const dn_op ramp__dn_op_sigmoid = { 0, act_plan, act_forward, act_backward, act_flops };
const dn_op ramp__dn_op_tanh = { 0, act_plan, act_forward, act_backward, act_flops };
const dn_op ramp__dn_op_clip = { 0, act_plan, act_forward, act_backward, act_flops };
