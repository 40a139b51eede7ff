/* dnnl_conv.c — the oneDNN backend's convolution and dense (inner product)
 * layers: one code path for both, as oneDNN's two primitives take the same
 * arguments.
 *
 * Weights take the layout the first plan's forward chose (format_tag_any,
 * pinned for later plans); backward-data may want them in another layout,
 * so they are reordered into it once per step. A convolution runs as
 * Winograd F(4×4, 3×3) in the passes where that pays (wino_pays), else
 * direct; a 3×3 convolution of 16 channels into 16 runs on ramp's own
 * kernels (conv3x3c16.c: conv_own_fwd) on the same buffers and layouts. A
 * ReLU or clip consumer is fused as a post-op (fusable).
 */
#include <stdlib.h>
#include <string.h>

#include "nn/dnnlInt.h"


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
        nd->stride != 1 || nd->groups != 1 || nd->dilation > 1)
        return 0;
    switch (pass) {
    case RAMP_PROF_FWD: return an->c >= 32 && nd->c >= 16;
    case RAMP_PROF_BWD_DATA: return nd->c >= 32 && an->c >= 16;
    default: return an->c >= 16 && nd->c >= 16;
    }
}

/* Creates one pass of conv `id` (post-ops in forward only), as Winograd
   where it pays and oneDNN has the kernel (AVX-512), else direct; records
   the choice in the node's `wino` bits. Dilation goes to oneDNN as the gap
   between taps (dilation − 1: 0 is a plain convolution). */
static dnnl_status_t conv_make(ramp_net *net, dn_state *be, int id, int pass, dn_prim *pr,
                               dnnl_primitive_desc_t *pd_out, const dnnl_memory_desc_t *src,
                               const dnnl_memory_desc_t *wei, const dnnl_memory_desc_t *bias,
                               const dnnl_memory_desc_t *dst, const dnnl_dim_t *S,
                               const dnnl_dim_t *PL, const dnnl_dim_t *PR, dnnl_post_ops_t po,
                               const_dnnl_primitive_desc_t hint)
{
    ramp__node *nd = &net->nodes[id];
    dnnl_dims_t DL = { nd->dilation - 1, nd->dilation - 1 };
    for (int wino = wino_pays(net, id, pass);; wino = 0) {
        dnnl_alg_kind_t alg = wino ? dnnl_convolution_winograd : dnnl_convolution_direct;
        dnnl_convolution_desc_t cd;
        dnnl_status_t s;
        if (pass == RAMP_PROF_FWD)
            s = dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_training, alg, src,
                                                           wei, bias, dst, S, DL, PL, PR);
        else if (pass == RAMP_PROF_BWD_DATA)
            s = dnnl_dilated_convolution_backward_data_desc_init(&cd, alg, src, wei, dst, S, DL,
                                                                 PL, PR);
        else
            s = dnnl_dilated_convolution_backward_weights_desc_init(&cd, alg, src, wei, bias, dst,
                                                                    S, DL, PL, PR);
        if (!s)
            s = ramp__dn_prim_make(be, pr, pd_out, &cd, pass == RAMP_PROF_FWD ? po : NULL, hint);
        if (s && wino) continue;
        if (!s && wino)
            nd->wino |= 1u << pass;
        else
            nd->wino &= ~(1u << pass);
        return s;
    }
}

/* Is oneDNN's chosen implementation its plain reference loop? */
int ramp__dn_is_ref(const_dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;
    return !dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) && impl &&
           strncmp(impl, "ref", 3) == 0;
}

/* A buffer of md's size, its memory object, and the reorder from `other`
   into it (to_md: 1) or from it (0) into `other` (dnnlInt.h). */
dnnl_status_t ramp__dn_side_buffer(dn_state *be, const dnnl_memory_desc_t *md,
                                   const dnnl_memory_desc_t *other, int to_md, float **buf,
                                   dnnl_memory_t *mem, dn_prim *reorder)
{
    dnnl_primitive_desc_t rpd = NULL;
    if (!(*buf = ramp__dn_aligned(dnnl_memory_desc_get_size(md)))) return dnnl_out_of_memory;
    dnnl_status_t s = dnnl_memory_create(mem, md, be->eng, *buf);
    if (!s)
        s = to_md ? dnnl_reorder_primitive_desc_create(&rpd, other, be->eng, md, be->eng, NULL)
                  : dnnl_reorder_primitive_desc_create(&rpd, md, be->eng, other, be->eng, NULL);
    if (!s) s = dnnl_primitive_create(&reorder->p, rpd);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    return s;
}

/* Conv `id`'s backward-weights, reading the input in its own layout and
   writing the gradient in the weights' layout `wmd`, where oneDNN has a
   kernel for them. Where it has none, it falls back to its reference loop:
   a 1-channel first layer (plain input, blocked output) took 150–300 ms a
   step there on AVX2, ten times the rest of the reference CNN's step. Then
   oneDNN chooses the input's and the gradient's layouts: the input is
   reordered into the first (sxb) before each run, the gradient computed in
   the second (gwb) and reordered into the weights' after. A dilated conv
   has only the reference loop for blocked output gradients on AVX2 (86 s a
   step for a 64-channel 24×24 layer, batch 64): there oneDNN chooses the
   output gradient's layout too, and the gradient is reordered into it
   (dyb) before the run. */
static dnnl_status_t conv_bwd_weights_make(ramp_net *net, dn_state *be, int id, dn_node *d,
                                           const dnnl_memory_desc_t *src,
                                           const dnnl_memory_desc_t *wmd,
                                           const dnnl_memory_desc_t *pb, const dnnl_dim_t *S,
                                           const dnnl_dim_t *PL, const dnnl_dim_t *PR,
                                           const_dnnl_primitive_desc_t hint)
{
    dnnl_primitive_desc_t wpd = NULL, apd = NULL;
    dnnl_memory_desc_t wany, sany, gmd, smd, dmd;
    dn_prim alt = { 0 };
    dnnl_status_t s = conv_make(net, be, id, RAMP_PROF_BWD_WEIGHTS, &d->bwd_w, &wpd, src, wmd,
                                pb, &d->md, S, PL, PR, NULL, hint);
    if (s || !ramp__dn_is_ref(wpd)) goto done;
    if ((s = ramp__dn_md_tag(&wany, wmd->ndims, wmd->dims, dnnl_format_tag_any)) ||
        (s = ramp__dn_md_tag(&sany, src->ndims, src->dims, dnnl_format_tag_any)))
        goto done;
    if (conv_make(net, be, id, RAMP_PROF_BWD_WEIGHTS, &alt, &apd, &sany, &wany, pb, &d->md, S,
                  PL, PR, NULL, hint) ||
        ramp__dn_is_ref(apd)) {
        /* the output gradient's layout too */
        dnnl_memory_desc_t dany;
        if (alt.p) dnnl_primitive_destroy(alt.p);
        alt.p = NULL;
        if (apd) dnnl_primitive_desc_destroy(apd);
        apd = NULL;
        if ((s = ramp__dn_md_tag(&dany, d->md.ndims, d->md.dims, dnnl_format_tag_any))) goto done;
        if (conv_make(net, be, id, RAMP_PROF_BWD_WEIGHTS, &alt, &apd, &sany, &wany, pb, &dany, S,
                      PL, PR, NULL, hint) ||
            ramp__dn_is_ref(apd))
            goto done; /* keep the reference loop */
        dmd = *dnnl_primitive_desc_query_md(apd, dnnl_query_diff_dst_md, 0);
        if (!dnnl_memory_desc_equal(&dmd, &d->md) &&
            (s = ramp__dn_side_buffer(be, &dmd, &d->md, 1, &d->dyb, &d->mdyb,
                                      &d->dreorder)))
            goto done;
    }
    smd = *dnnl_primitive_desc_query_md(apd, dnnl_query_src_md, 0);
    gmd = *dnnl_primitive_desc_query_md(apd, dnnl_query_diff_weights_md, 0);
    dnnl_primitive_destroy(d->bwd_w.p);
    d->bwd_w = alt;
    alt.p = NULL;
    if (!dnnl_memory_desc_equal(&smd, src) &&
        (s = ramp__dn_side_buffer(be, &smd, src, 1, &d->sxb, &d->msxb, &d->sreorder)))
        goto done;
    if (!dnnl_memory_desc_equal(&gmd, wmd))
        s = ramp__dn_side_buffer(be, &gmd, wmd, 0, &d->gwb, &d->mgwb, &d->greorder);
done:
    if (alt.p) dnnl_primitive_destroy(alt.p);
    if (apd) dnnl_primitive_desc_destroy(apd);
    if (wpd) dnnl_primitive_desc_destroy(wpd);
    return s;
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
        nd->stride != 1 || nd->pad != 1 || nd->groups != 1 || nd->dilation > 1 || an->c != 16 ||
        nd->c != 16 || !ramp__conv3x3c16_available())
        return 0;
    return ramp__dn_md_is(src, dnnl_aBcd16b) && ramp__dn_md_is(dst, dnnl_aBcd16b) &&
           ramp__dn_md_is(wei, dnnl_ABcd16b16a);
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
        if (s) return ramp__dn_fail(net, s, "memory", id);
    }
    double t0 = ramp__prof_t0(net);
    ramp__conv3x3c16_fwd(h[2], h[0], h[1], h[3], n, nd->c, nd->h, nd->w, d->fused);
    if (net->prof_on) ramp__prof_add(net, nd->op, RAMP_PROF_FWD, t0, d->flops[RAMP_PROF_FWD]);
    return RAMP_OK;
}

static ramp_status conv_plan(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    ramp_status st = RAMP_OK;
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    dnnl_dim_t N = (dnnl_dim_t)pl->n;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_post_ops_t po = NULL;
    const dn_node *a = &pl->nodes[nd->in[0]];
    const ramp__node *an = &net->nodes[nd->in[0]];
    int need_dx = an->needs_grad;
    int conv = nd->op == RAMP__OP_CONV;
    dnnl_memory_desc_t wmd, bmd, dmd, *pb = NULL;
    dnnl_dim_t bdims[1] = { nd->c };
    int G = nd->groups;
    if (conv) {
        dnnl_dim_t wd5[5] = { G, nd->c / G, an->c / G, nd->k, nd->k };
        dnnl_dim_t wd4[4] = { nd->c, an->c, nd->k, nd->k };
        if (G > 1)
            DN(ramp__dn_weight_md(be, id, 0, &wmd, 5, wd5, dnnl_format_tag_any), "weights");
        else
            DN(ramp__dn_weight_md(be, id, 0, &wmd, 4, wd4, dnnl_format_tag_any), "weights");
        dnnl_dim_t dd[4] = { N, nd->c, nd->h, nd->w };
        DN(ramp__dn_md_tag(&dmd, 4, dd, dnnl_format_tag_any), "dst");
    } else {
        if (a->md.ndims == 4) {
            dnnl_dim_t wd[4] = { nd->c, a->md.dims[1], a->md.dims[2], a->md.dims[3] };
            DN(ramp__dn_weight_md(be, id, 0, &wmd, 4, wd, dnnl_format_tag_any), "weights");
        } else {
            dnnl_dim_t wd[2] = { nd->c, a->md.dims[1] };
            DN(ramp__dn_weight_md(be, id, 0, &wmd, 2, wd, dnnl_format_tag_any), "weights");
        }
        dnnl_dim_t dd[2] = { N, nd->c };
        DN(ramp__dn_md_tag(&dmd, 2, dd, dnnl_format_tag_any), "dst");
    }
    if (nd->bias) {
        DN(ramp__dn_md_tag(&bmd, 1, bdims, dnnl_a), "bias");
        pb = &bmd;
    }
    d->fused = ramp__dn_fusable(net, id);
    if (d->fused) DN(ramp__dn_fused_post_ops(net, id, &po), "post-ops");
    dnnl_dims_t S = { nd->stride, nd->stride }, PL = { nd->pad, nd->pad };
    int span = conv ? (nd->k - 1) * nd->dilation + 1 : nd->k; /* the kernel's extent */
    dnnl_dims_t PR = { (nd->h - 1) * nd->stride + span - an->h - nd->pad,
                       (nd->w - 1) * nd->stride + span - an->w - nd->pad };
    for (;;) {
        if (conv) {
            DN(conv_make(net, be, id, RAMP_PROF_FWD, &d->fwd, &pd, &a->md, &wmd, pb, &dmd, S,
                         PL, PR, po, NULL), "conv forward");
        } else {
            dnnl_inner_product_desc_t ipd;
            DN(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_training, &a->md, &wmd,
                                                    pb, &dmd), "dense forward");
            DN(ramp__dn_prim_make(be, &d->fwd, &pd, &ipd, po, NULL), "dense forward");
        }
        /* oneDNN's gemm-based kernels (plain layouts) apply a clip post-op
           element by element: a 1×1 conv 16→64 over 32×28×28 took 12.5 ms
           with it against 2.1 ms without (and 0.1 ms for the clip alone),
           where the jit kernels of blocked layouts take it for free; there
           the clip runs as its own layer */
        const char *impl = NULL;
        if (!d->fused || !ramp__dn_fused_clip(net, id) ||
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) ||
            !impl || !strstr(impl, "gemm"))
            break;
        dnnl_primitive_destroy(d->fwd.p);
        memset(&d->fwd, 0, sizeof d->fwd);
        dnnl_primitive_desc_destroy(pd);
        dnnl_post_ops_destroy(po);
        pd = NULL;
        po = NULL;
        d->fused = 0;
    }
    d->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    /* the own kernels fuse a ReLU, not a clip */
    d->own_fwd = conv && !ramp__dn_fused_clip(net, id) &&
                 conv_own_fwd(net, id, &a->md, &wmd, &d->md);
    d->own_bwd = d->own_fwd && need_dx;
    net->nodes[id].own_fwd = d->own_fwd; /* as the last plan built runs it */
    if ((st = ramp__dn_param_bind(net, be, id, RAMP__P_WEIGHT, &wmd))) goto fail;
    if (pb && (st = ramp__dn_param_bind(net, be, id, RAMP__P_BIAS, pb))) goto fail;
    if (d->own_bwd) { /* the turned filters (ramp__conv3x3c16_flip) */
        if (!(d->wbd = ramp__dn_aligned(9 * 16 * 16 * sizeof(float)))) {
            st = ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
            goto fail;
        }
    } else if (need_dx) {
        /* backward-data kernels want the weights transposed (e.g.
           ABcd16a16b): let oneDNN choose, reorder the weights per step */
        dnnl_memory_desc_t wany;
        dnnl_primitive_desc_t bpd = NULL;
        DN(ramp__dn_md_tag(&wany, wmd.ndims, wmd.dims, dnnl_format_tag_any), "weights");
        if (conv) {
            DN(conv_make(net, be, id, RAMP_PROF_BWD_DATA, &d->bwd_d, &bpd, &a->md, &wany,
                         NULL, &d->md, S, PL, PR, NULL, pd), "conv backward data");
        } else {
            dnnl_inner_product_desc_t ipd;
            DN(dnnl_inner_product_backward_data_desc_init(&ipd, &a->md, &wany, &d->md),
               "dense backward data");
            DN(ramp__dn_prim_make(be, &d->bwd_d, &bpd, &ipd, NULL, pd), "dense backward data");
        }
        dnnl_memory_desc_t bwmd = *dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 0);
        dnnl_primitive_desc_destroy(bpd);
        if (!dnnl_memory_desc_equal(&bwmd, &wmd)) {
            d->wbd = ramp__dn_aligned(dnnl_memory_desc_get_size(&bwmd));
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
        DN(conv_bwd_weights_make(net, be, id, d, &a->md, &wmd, pb, S, PL, PR, pd),
           "conv backward weights");
    } else {
        dnnl_inner_product_desc_t ipd;
        DN(dnnl_inner_product_backward_weights_desc_init(&ipd, &a->md, &wmd, pb, &d->md),
           "dense backward weights");
        DN(ramp__dn_prim_make(be, &d->bwd_w, NULL, &ipd, NULL, pd), "dense backward weights");
    }
fail:
    if (po) dnnl_post_ops_destroy(po);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st;
}

static ramp_status conv_forward(ramp_net *net, dn_state *be, dn_plan *pl, int id, int training)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    const dn_node *a = &pl->nodes[nd->in[0]];
    (void)training;
    dnnl_exec_arg_t args[4] = { { DNNL_ARG_SRC, a->my },
                                { DNNL_ARG_WEIGHTS, ramp__dn_pmem(be, id, 0, 0) },
                                { DNNL_ARG_DST, d->my },
                                { DNNL_ARG_BIAS, nd->bias ? ramp__dn_pmem(be, id, 1, 0) : NULL } };
    if (d->own_fwd) return own_conv_fwd(net, args, (int)pl->n, id, d);
    return ramp__dn_prim_run(net, be, &d->fwd, nd->bias ? 4 : 3, args, id, nd->op, RAMP_PROF_FWD,
                             d->flops[RAMP_PROF_FWD]);
}

/* Backward-data of conv `id` (own_bwd) into the dy of its input `in`: the
   first contribution is written, a later one is added to the gradient there
   (or pending) in the same pass, with no gradient sum after it. */
static ramp_status own_conv_bwd_data(ramp_net *net, dn_state *be, dn_plan *pl, int id, int in)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id], *t = &pl->nodes[in];
    void *w = NULL, *dx = NULL;
    dnnl_status_t s = dnnl_memory_get_data_handle(ramp__dn_pmem(be, id, 0, 0), &w);
    if (!s) s = dnnl_memory_get_data_handle(t->mdy, &dx);
    if (s) return ramp__dn_fail(net, s, "memory", id);
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
    if (!s) s = dnnl_memory_get_data_handle(ramp__dn_pmem(be, id, 0, 1), &dw);
    if (!s && nd->bias) s = dnnl_memory_get_data_handle(ramp__dn_pmem(be, id, 1, 1), &db);
    if (s) return ramp__dn_fail(net, s, "memory", id);
    if (!d->wgs &&
        !(d->wgs = ramp__dn_aligned(d->wgn * sizeof(float)))) /* not for predict-only plans */
        return ramp__net_fail(net, RAMP_ENOMEM, "oneDNN: out of memory");
    double t0 = ramp__prof_t0(net);
    ramp__conv3x3c16_bwd_weights(dw, db, x, d->dy, d->wgs, (int)pl->n, nd->h, nd->w);
    if (net->prof_on)
        ramp__prof_add(net, nd->op, RAMP_PROF_BWD_WEIGHTS, t0, d->flops[RAMP_PROF_BWD_WEIGHTS]);
    return RAMP_OK;
}

static ramp_status conv_backward(ramp_net *net, dn_state *be, dn_plan *pl, int id)
{
    const ramp__node *nd = &net->nodes[id];
    dn_node *d = &pl->nodes[id];
    int in = nd->in[0];
    const dn_node *a = &pl->nodes[in];
    int need_dx = net->nodes[in].needs_grad;
    ramp_status st;
    dnnl_exec_arg_t wa[4] = { { DNNL_ARG_SRC, a->my },
                              { DNNL_ARG_DIFF_DST, d->mdy },
                              { DNNL_ARG_DIFF_WEIGHTS, ramp__dn_pmem(be, id, 0, 1) },
                              { DNNL_ARG_DIFF_BIAS,
                                nd->bias ? ramp__dn_pmem(be, id, 1, 1) : NULL } };
    if (!ramp__node_learns(nd)) {
        /* frozen, but a layer before it trains: only its input gradient */
    } else if (d->wgn) {
        if ((st = own_conv_bwd_weights(net, be, pl, id))) return st;
    } else {
        dnnl_exec_arg_t sa[2] = { { DNNL_ARG_FROM, a->my }, { DNNL_ARG_TO, d->msxb } };
        if (d->msxb && (st = ramp__dn_prim_run(net, be, &d->sreorder, 2, sa, id,
                                               RAMP__PK_REORDER, RAMP_PROF_BWD_WEIGHTS, 0)))
            return st;
        dnnl_exec_arg_t da[2] = { { DNNL_ARG_FROM, d->mdy }, { DNNL_ARG_TO, d->mdyb } };
        if (d->mdyb && (st = ramp__dn_prim_run(net, be, &d->dreorder, 2, da, id,
                                               RAMP__PK_REORDER, RAMP_PROF_BWD_WEIGHTS, 0)))
            return st;
        if (d->msxb) wa[0].memory = d->msxb;
        if (d->mdyb) wa[1].memory = d->mdyb;
        if (d->mgwb) wa[2].memory = d->mgwb; /* then reordered into the weights' layout */
        if ((st = ramp__dn_prim_run(net, be, &d->bwd_w, nd->bias ? 4 : 3, wa, id, nd->op,
                                    RAMP_PROF_BWD_WEIGHTS, d->flops[RAMP_PROF_BWD_WEIGHTS])))
            return st;
        dnnl_exec_arg_t ra[2] = { { DNNL_ARG_FROM, d->mgwb },
                                  { DNNL_ARG_TO, ramp__dn_pmem(be, id, 0, 1) } };
        if (d->mgwb && (st = ramp__dn_prim_run(net, be, &d->greorder, 2, ra, id,
                                               RAMP__PK_REORDER, RAMP_PROF_BWD_WEIGHTS, 0)))
            return st;
    }
    if (need_dx && d->own_bwd) {
        if ((st = own_conv_bwd_data(net, be, pl, id, in))) return st;
    } else if (need_dx) {
        dnnl_memory_t wm = ramp__dn_pmem(be, id, 0, 0);
        if (d->mwbd) {
            dnnl_exec_arg_t ra[2] = { { DNNL_ARG_FROM, wm }, { DNNL_ARG_TO, d->mwbd } };
            if ((st = ramp__dn_prim_run(net, be, &d->wreorder, 2, ra, id, RAMP__PK_REORDER,
                                        RAMP_PROF_BWD_DATA, 0)))
                return st;
            wm = d->mwbd;
        }
        dnnl_exec_arg_t da[3] = { { DNNL_ARG_DIFF_DST, d->mdy },
                                  { DNNL_ARG_WEIGHTS, wm },
                                  { DNNL_ARG_DIFF_SRC, NULL } };
        if ((st = ramp__dn_bwd_into(net, be, pl, id, in, &d->bwd_d, da, 3, 2, nd->op,
                                    d->flops[RAMP_PROF_BWD_DATA])))
            return st;
    }
    return RAMP_OK;
}

static void conv_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    const ramp__node *nd = &net->nodes[id], *an = &net->nodes[nd->in[0]];
    double out = (double)n * (double)ramp__node_size(nd);
    f[RAMP_PROF_FWD] = 2.0 * out * (double)(an->c / nd->groups) * nd->k * nd->k;
    f[RAMP_PROF_BWD_DATA] = f[RAMP_PROF_BWD_WEIGHTS] = f[RAMP_PROF_FWD];
}

static void dense_flops(const ramp_net *net, int id, size_t n, double f[RAMP_PROF_N_PASSES])
{
    const ramp__node *nd = &net->nodes[id], *an = &net->nodes[nd->in[0]];
    f[RAMP_PROF_FWD] = f[RAMP_PROF_BWD_DATA] = f[RAMP_PROF_BWD_WEIGHTS] =
        2.0 * (double)n * (double)ramp__node_size(an) * nd->c;
}

const dn_op ramp__dn_op_conv = { DN_F_FUSES_RELU | DN_F_READS_DY, conv_plan, conv_forward,
                                 conv_backward, conv_flops };
const dn_op ramp__dn_op_dense = { DN_F_FUSES_RELU | DN_F_READS_DY, conv_plan, conv_forward,
                                  conv_backward, dense_flops };
