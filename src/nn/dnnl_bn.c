/* dnnl_bn.c — the oneDNN backend's batch normalisation, in the layout of
 * its input (blocked maps, or a feature vector).
 *
 * Training runs on batch statistics, computed in one read by ramp__bn_stats
 * (bn_stats.c) where the layout is its own (16-channel blocks, AVX-512) and
 * handed to the primitive as global statistics; elsewhere oneDNN computes
 * them. The running mean and variance (parameters 2 and 3) move by the
 * momentum `alpha` after each training forward; inference uses them, and so
 * does training with frozen statistics (bn_frozen: the primitives take them
 * as global statistics, so backward treats them as constants). A ReLU
 * consumer is fused (dnnl_fuse_norm_relu) and its mask kept in the
 * workspace, so backward masks dy itself.
 */
#include <stdlib.h>

#include "nn/dnnlInt.h"

static ramp_status bn_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_dim_t N = (dnnl_dim_t)pl->n;
    dnnl_primitive_desc_t pd = NULL;
    const dn_node *a = &pl->nodes[nd->in[0]];
    const ramp__node *an = &net->nodes[nd->in[0]];
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
    d->fused = ramp__dn_fusable(net, id);
    if (d->fused) fl |= dnnl_fuse_norm_relu; /* training keeps the ReLU's mask */
    /* Statistics in one read by ramp__bn_stats where the layout is its
       own (oneDNN takes three reads for them and the normalisation) */
    int own_stats = !nd->bn_frozen && ramp__dn_md_is(&d->md, dnnl_aBcd16b) && nd->c % 16 == 0 &&
                    ramp__bn_stats_available();
    if (nd->bn_frozen) fl |= dnnl_use_global_stats; /* the running ones, in backward too */
    if (own_stats && !(d->bnp = malloc((size_t)N * nd->c * 2 * sizeof(double)))) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    dnnl_batch_normalization_desc_t bd;
    DN(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_training, &d->md, nd->eps,
                                                  fl | (own_stats ? dnnl_use_global_stats : 0u)),
       "batchnorm forward");
    DN(ramp__dn_prim_make(be, &d->fwd, &pd, &bd, NULL, NULL), "batchnorm forward");
    if ((st = ramp__dn_workspace(net, be, d, pd, id))) goto fail;
    DN(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_inference, &d->md,
                                                  nd->eps, fl | dnnl_use_global_stats),
       "batchnorm inference");
    DN(ramp__dn_prim_make(be, &d->infer, NULL, &bd, NULL, NULL), "batchnorm inference");
    DN(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &d->md, &d->md,
                                                   nd->eps, fl), "batchnorm backward");
    DN(ramp__dn_prim_make(be, &d->bwd_w, NULL, &bd, NULL, pd), "batchnorm backward");
    dnnl_memory_desc_t cmd;
    dnnl_dim_t cd[1] = { nd->c };
    DN(ramp__dn_md_tag(&cmd, 1, cd, dnnl_a), "stats");
    for (int k = 0; k < RAMP__P_MAX; k++)
        if ((st = ramp__dn_param_bind(net, be, id, k, &cmd))) goto fail;
    d->mean = ramp__dn_aligned((size_t)nd->c * sizeof(float));
    d->var = ramp__dn_aligned((size_t)nd->c * sizeof(float));
    if (!d->mean || !d->var) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
        goto fail;
    }
    DN(dnnl_memory_create(&d->mmean, &cmd, be->eng, d->mean), "memory");
    DN(dnnl_memory_create(&d->mvar, &cmd, be->eng, d->var), "memory");
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

static ramp_status bn_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    const dn_node *a = &pl->nodes[nd->in[0]];
    size_t n = pl->n;
    float *rm = nd->p[RAMP__P_RMEAN].w, *rv = nd->p[RAMP__P_RVAR].w;
    if (training && nd->bn_frozen) {
        dnnl_exec_arg_t args[7] = { { DNNL_ARG_SRC, a->my },
                                    { DNNL_ARG_DST, d->my },
                                    { DNNL_ARG_SCALE, ramp__dn_pmem(be, id, 0, 0) },
                                    { DNNL_ARG_SHIFT, ramp__dn_pmem(be, id, 1, 0) },
                                    { DNNL_ARG_MEAN, ramp__dn_pmem(be, id, 2, 0) },
                                    { DNNL_ARG_VARIANCE, ramp__dn_pmem(be, id, 3, 0) },
                                    { DNNL_ARG_WORKSPACE, d->mws } };
        st = ramp__dn_prim_run(net, be, &d->fwd, d->mws ? 7 : 6, args, id, nd->op, RAMP_PROF_FWD,
                               d->flops[RAMP_PROF_FWD]);
    } else if (training) {
        if (d->bnp) {
            void *x = NULL;
            dnnl_status_t s = dnnl_memory_get_data_handle(a->my, &x);
            if (s) return ramp__dn_fail(net, s, "memory", id);
            double t0 = ramp__prof_t0(net);
            ramp__bn_stats(d->mean, d->var, x, (int)n, nd->c, nd->h * nd->w, d->bnp);
            if (net->prof_on) /* time only: the call is the primitive's, below */
                net->prof[nd->op][RAMP_PROF_FWD].s += ramp__now() - t0;
        }
        dnnl_exec_arg_t args[7] = { { DNNL_ARG_SRC, a->my },
                                    { DNNL_ARG_DST, d->my },
                                    { DNNL_ARG_SCALE, ramp__dn_pmem(be, id, 0, 0) },
                                    { DNNL_ARG_SHIFT, ramp__dn_pmem(be, id, 1, 0) },
                                    { DNNL_ARG_MEAN, d->mmean },
                                    { DNNL_ARG_VARIANCE, d->mvar },
                                    { DNNL_ARG_WORKSPACE, d->mws } };
        st = ramp__dn_prim_run(net, be, &d->fwd, d->mws ? 7 : 6, args, id, nd->op, RAMP_PROF_FWD,
                               d->flops[RAMP_PROF_FWD]);
        if (st) return st;
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
                                    { DNNL_ARG_SCALE, ramp__dn_pmem(be, id, 0, 0) },
                                    { DNNL_ARG_SHIFT, ramp__dn_pmem(be, id, 1, 0) },
                                    { DNNL_ARG_MEAN, ramp__dn_pmem(be, id, 2, 0) },
                                    { DNNL_ARG_VARIANCE, ramp__dn_pmem(be, id, 3, 0) } };
        st = ramp__dn_prim_run(net, be, &d->infer, 6, args, id, nd->op, RAMP_PROF_FWD,
                               d->flops[RAMP_PROF_FWD]);
    }
    return st;
}

static ramp_status bn_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    int in = nd->in[0];
    const dn_node *a = &pl->nodes[in];
    int fz = nd->bn_frozen;
    dnnl_exec_arg_t da[10] = { { DNNL_ARG_SRC, a->my },
                               { DNNL_ARG_MEAN, fz ? ramp__dn_pmem(be, id, 2, 0) : d->mmean },
                               { DNNL_ARG_VARIANCE, fz ? ramp__dn_pmem(be, id, 3, 0) : d->mvar },
                               { DNNL_ARG_DIFF_DST, d->mdy },
                               { DNNL_ARG_SCALE, ramp__dn_pmem(be, id, 0, 0) },
                               { DNNL_ARG_SHIFT, ramp__dn_pmem(be, id, 1, 0) },
                               { DNNL_ARG_DIFF_SRC, NULL },
                               { DNNL_ARG_DIFF_SCALE, ramp__dn_pmem(be, id, 0, 1) },
                               { DNNL_ARG_DIFF_SHIFT, ramp__dn_pmem(be, id, 1, 1) },
                               { DNNL_ARG_WORKSPACE, d->mws } };
    return ramp__dn_bwd_into(net, be, pl, id, in, &d->bwd_w, da, d->mws ? 10 : 9, 6, nd->op,
                             d->flops[RAMP_PROF_BWD_DATA]);
}

/* Forward: mean, variance, normalise, scale and shift; backward: about 8 per value. */
static void bn_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    double out = (double)n * (double)ramp__node_size(&net->nodes[id]);
    f[RAMP_PROF_FWD] = 5.0 * out;
    f[RAMP_PROF_BWD_DATA] = 8.0 * out;
    f[RAMP_PROF_BWD_WEIGHTS] = 0;
}

const dn_op ramp__dn_op_bn = { DN_F_FUSES_RELU | DN_F_READS_DY, bn_plan, bn_forward, bn_backward,
                               bn_flops };
