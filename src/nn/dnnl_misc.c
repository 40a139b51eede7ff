/* dnnl_misc.c — the oneDNN backend's layers that move data more than they
 * compute: the input, the residual add, dropout, and flatten and softmax,
 * which both pass their input on as it is (the loss applies the softmax to
 * the logits, loss.c).
 *
 * The input's buffer is the caller's X, set at each forward. An add sums in
 * place over its first input where nothing else reads it, takes a ReLU
 * consumer as a post-op, and reorders its gradient for a skip branch of
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

const dn_op ramp__dn_op_input = { 0, input_plan, NULL, NULL, NULL };
const dn_op ramp__dn_op_add = { DN_F_FUSES_RELU | DN_F_PASSES_DY, add_plan, add_forward,
                                add_backward, out_flops };
const dn_op ramp__dn_op_dropout = { DN_F_PASSES_DY, dropout_plan, dropout_forward,
                                    dropout_backward, out_flops };
const dn_op ramp__dn_op_flatten = { DN_F_PASSES_DY, pass_plan, pass_forward, pass_backward, NULL };
const dn_op ramp__dn_op_softmax = { DN_F_PASSES_DY, pass_plan, pass_forward, pass_backward, NULL };
