/* dnnl_resize.c — the oneDNN backend's layers that enlarge a feature map:
 * upsampling (oneDNN's resampling primitive, nearest or linear) and the
 * transposed convolution (its deconvolution primitive).
 *
 * Resampling by an integer factor follows the half-pixel convention, as
 * the reference does (ref_resize.c). The deconvolution's weights are O×I×K×K
 * to oneDNN, stored in the layout its forward chose; their plain layout is
 * I×O×K×K (PyTorch's ConvTranspose2d), which ramp__dn_param_bind knows.
 * Output padding is the right padding taken away: padding_r = padding −
 * output_padding. As for conv (dnnl_conv.c), backward-data may want the
 * weights in another layout: they are reordered into it once per step; and
 * backward-weights runs in the layouts oneDNN has a kernel for
 * (de_bwd_weights_make).
 */
#include <stdlib.h>
#include <string.h>

#include "nn/dnnlInt.h"

/* --- upsampling --------------------------------------------------------- */

static ramp_status up_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_primitive_desc_t pd = NULL;
    const dn_node *a = &pl->nodes[nd->in[0]];
    dnnl_alg_kind_t alg =
        nd->pad == RAMP_UPSAMPLE_BILINEAR ? dnnl_resampling_linear : dnnl_resampling_nearest;
    float f[2] = {(float)nd->k, (float)nd->k};
    dnnl_memory_desc_t dmd;
    dnnl_dim_t dd[4] = {(dnnl_dim_t)pl->n, nd->c, nd->h, nd->w};
    DN(ramp__dn_md_tag(&dmd, 4, dd, dnnl_format_tag_any), "dst");
    dnnl_resampling_desc_t rd;
    DN(dnnl_resampling_forward_desc_init(&rd, dnnl_forward_training, alg, f, &a->md, &dmd),
       "upsample forward");
    DN(ramp__dn_prim_make(be, &d->fwd, &pd, &rd, NULL, NULL), "upsample forward");
    d->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    if (net->nodes[nd->in[0]].needs_grad) {
        DN(dnnl_resampling_backward_desc_init(&rd, alg, f, &a->md, &d->md), "upsample backward");
        DN(ramp__dn_prim_make(be, &d->bwd_d, NULL, &rd, NULL, pd), "upsample backward");
    }
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

static ramp_status up_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    (void)training;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, pl->nodes[nd->in[0]].my}, {DNNL_ARG_DST, d->my}};
    return ramp__dn_prim_run(net, be, &d->fwd, 2, args, id, nd->op, RAMP_PROF_FWD,
                             d->flops[RAMP_PROF_FWD]);
}

static ramp_status up_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    int in = nd->in[0];
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    dnnl_exec_arg_t da[2] = {{DNNL_ARG_DIFF_DST, d->mdy}, {DNNL_ARG_DIFF_SRC, NULL}};
    return ramp__dn_bwd_into(net, be, pl, id, in, &d->bwd_d, da, 2, 1, nd->op,
                             d->flops[RAMP_PROF_BWD_DATA]);
}

/* Nearest: one copy per output value; bilinear: 4 taps, 7 operations. */
static void up_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    const ramp__node *nd = &net->nodes[id];
    double out = (double)n * (double)ramp__node_size(nd);
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = nd->pad == RAMP_UPSAMPLE_BILINEAR ? 7 * out : out;
    f[RAMP_PROF_BWD_WEIGHTS] = 0;
}

const dn_op ramp__dn_op_upsample = {DN_F_READS_DY, up_plan, up_forward, up_backward, up_flops};

/* --- transposed convolution --------------------------------------------- */

/* Backward-weights of transposed conv `id`. In the forward's layouts
   oneDNN 2.6 has only its reference loop for it (63 ms a step for a 16→8,
   k2 s2 layer over 16×8×8, against 1 ms for its other passes): then
   oneDNN chooses the input's and the gradient's layouts, the input is
   reordered into the first before each run (sxb) and the gradient computed
   in the second (gwb), then reordered into the weights' (as dnnl_conv.c
   does for conv). */
static ramp_status de_bwd_weights_make(ramp_net *net, dn_state *be, dn_node *d, int id,
                                       const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *wmd,
                                       const dnnl_memory_desc_t *pb, const dnnl_dim_t *S,
                                       const dnnl_dim_t *PL, const dnnl_dim_t *PR,
                                       const_dnnl_primitive_desc_t hint)
{
    ramp_status st = RAMP_OK;
    dnnl_primitive_desc_t wpd = NULL;
    dnnl_deconvolution_desc_t dc;
    dnnl_memory_desc_t sany, wany;
    DN(ramp__dn_md_tag(&sany, 4, src->dims, dnnl_format_tag_any), "src");
    DN(ramp__dn_md_tag(&wany, 4, wmd->dims, dnnl_format_tag_any), "weights");
    for (int k = 0; k < 3; k++) { /* as they are; any weights; any input and weights */
        DN(dnnl_deconvolution_backward_weights_desc_init(&dc, dnnl_deconvolution_direct,
                                                         k == 2 ? &sany : src, k ? &wany : wmd, pb,
                                                         &d->md, S, PL, PR),
           "conv_transpose backward weights");
        if (d->bwd_w.p) dnnl_primitive_destroy(d->bwd_w.p);
        if (wpd) dnnl_primitive_desc_destroy(wpd);
        d->bwd_w.p = NULL;
        wpd = NULL;
        DN(ramp__dn_prim_make(be, &d->bwd_w, &wpd, &dc, NULL, hint),
           "conv_transpose backward weights");
        if (!ramp__dn_is_ref(wpd)) break;
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(wpd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *gmd =
        dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_weights_md, 0);
    if (!dnnl_memory_desc_equal(smd, src))
        DN(ramp__dn_side_buffer(be, smd, src, 1, &d->sxb, &d->msxb, &d->sreorder),
           "input reorder");
    if (!dnnl_memory_desc_equal(gmd, wmd))
        DN(ramp__dn_side_buffer(be, gmd, wmd, 0, &d->gwb, &d->mgwb, &d->greorder), "gradient reorder");
fail:
    if (wpd) dnnl_primitive_desc_destroy(wpd);
    return st;
}

static ramp_status de_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_dim_t N = (dnnl_dim_t)pl->n;
    dnnl_primitive_desc_t pd = NULL, bpd = NULL;
    const dn_node *a = &pl->nodes[nd->in[0]];
    const ramp__node *an = &net->nodes[nd->in[0]];
    dnnl_memory_desc_t wmd, bmd, dmd, *pb = NULL;
    dnnl_dim_t wd[4] = {nd->c, an->c, nd->k, nd->k}, bdims[1] = {nd->c};
    DN(ramp__dn_weight_md(be, id, 0, &wmd, 4, wd, dnnl_format_tag_any), "weights");
    dnnl_dim_t dd[4] = {N, nd->c, nd->h, nd->w};
    DN(ramp__dn_md_tag(&dmd, 4, dd, dnnl_format_tag_any), "dst");
    if (nd->bias) {
        DN(ramp__dn_md_tag(&bmd, 1, bdims, dnnl_a), "bias");
        pb = &bmd;
    }
    dnnl_dims_t S = {nd->stride, nd->stride}, PL = {nd->pad, nd->pad},
                PR = {nd->pad - nd->opad, nd->pad - nd->opad};
    dnnl_deconvolution_desc_t dc;
    DN(dnnl_deconvolution_forward_desc_init(&dc, dnnl_forward_training, dnnl_deconvolution_direct,
                                            &a->md, &wmd, pb, &dmd, S, PL, PR),
       "conv_transpose forward");
    DN(ramp__dn_prim_make(be, &d->fwd, &pd, &dc, NULL, NULL), "conv_transpose forward");
    d->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if ((st = ramp__dn_param_bind(net, be, id, RAMP__P_WEIGHT, &wmd))) goto fail;
    if (pb && (st = ramp__dn_param_bind(net, be, id, RAMP__P_BIAS, pb))) goto fail;
    if (an->needs_grad) {
        dnnl_memory_desc_t wany;
        DN(ramp__dn_md_tag(&wany, 4, wmd.dims, dnnl_format_tag_any), "weights");
        DN(dnnl_deconvolution_backward_data_desc_init(&dc, dnnl_deconvolution_direct, &a->md, &wany,
                                                      &d->md, S, PL, PR),
           "conv_transpose backward data");
        DN(ramp__dn_prim_make(be, &d->bwd_d, &bpd, &dc, NULL, pd), "conv_transpose backward data");
        dnnl_memory_desc_t bwmd = *dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 0);
        if (!dnnl_memory_desc_equal(&bwmd, &wmd)) {
            if (!(d->wbd = ramp__dn_aligned(dnnl_memory_desc_get_size(&bwmd)))) {
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
    if (ramp__node_learns(nd) &&
        (st = de_bwd_weights_make(net, be, d, id, &a->md, &wmd, pb, S, PL, PR, pd)))
        goto fail;
fail:
    if (bpd) dnnl_primitive_desc_destroy(bpd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

static ramp_status de_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    (void)training;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, pl->nodes[nd->in[0]].my},
                               {DNNL_ARG_WEIGHTS, ramp__dn_pmem(be, id, 0, 0)},
                               {DNNL_ARG_DST, d->my},
                               {DNNL_ARG_BIAS, nd->bias ? ramp__dn_pmem(be, id, 1, 0) : NULL}};
    return ramp__dn_prim_run(net, be, &d->fwd, nd->bias ? 4 : 3, args, id, nd->op, RAMP_PROF_FWD,
                             d->flops[RAMP_PROF_FWD]);
}

static ramp_status de_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    int in = nd->in[0];
    ramp_status st;
    if (ramp__node_learns(nd) && d->bwd_w.p) {
        dnnl_exec_arg_t wa[4] = {
            {DNNL_ARG_SRC, pl->nodes[in].my},
            {DNNL_ARG_DIFF_DST, d->mdy},
            {DNNL_ARG_DIFF_WEIGHTS, ramp__dn_pmem(be, id, 0, 1)},
            {DNNL_ARG_DIFF_BIAS, nd->bias ? ramp__dn_pmem(be, id, 1, 1) : NULL}};
        dnnl_exec_arg_t sa[2] = {{DNNL_ARG_FROM, pl->nodes[in].my}, {DNNL_ARG_TO, d->msxb}};
        if (d->msxb && (st = ramp__dn_prim_run(net, be, &d->sreorder, 2, sa, id, RAMP__PK_REORDER,
                                               RAMP_PROF_BWD_WEIGHTS, 0)))
            return st;
        if (d->msxb) wa[0].memory = d->msxb;
        if (d->mgwb) wa[2].memory = d->mgwb;
        if ((st = ramp__dn_prim_run(net, be, &d->bwd_w, nd->bias ? 4 : 3, wa, id, nd->op,
                                    RAMP_PROF_BWD_WEIGHTS, d->flops[RAMP_PROF_BWD_WEIGHTS])))
            return st;
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, d->mgwb},
                                 {DNNL_ARG_TO, ramp__dn_pmem(be, id, 0, 1)}};
        if (d->mgwb && (st = ramp__dn_prim_run(net, be, &d->greorder, 2, ra, id, RAMP__PK_REORDER,
                                               RAMP_PROF_BWD_WEIGHTS, 0)))
            return st;
    }
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    dnnl_memory_t wm = ramp__dn_pmem(be, id, 0, 0);
    if (d->mwbd) {
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, wm}, {DNNL_ARG_TO, d->mwbd}};
        if ((st = ramp__dn_prim_run(net, be, &d->wreorder, 2, ra, id, RAMP__PK_REORDER,
                                    RAMP_PROF_BWD_DATA, 0)))
            return st;
        wm = d->mwbd;
    }
    dnnl_exec_arg_t da[3] = {
        {DNNL_ARG_DIFF_DST, d->mdy}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, NULL}};
    return ramp__dn_bwd_into(net, be, pl, id, in, &d->bwd_d, da, 3, 2, nd->op,
                             d->flops[RAMP_PROF_BWD_DATA]);
}

/* 2 per input value, output channel and tap, in each pass. */
static void de_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    const ramp__node *nd = &net->nodes[id], *an = &net->nodes[nd->in[0]];
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = f[RAMP_PROF_BWD_WEIGHTS] =
        2.0 * (double)n * (double)ramp__node_size(an) * nd->c * nd->k * nd->k;
}

const dn_op ramp__dn_op_deconv = {DN_F_READS_DY, de_plan, de_forward, de_backward, de_flops};
