/* bench_train.c — training throughput of the engine (oneDNN backend), data in
 * memory: the reference CNN on 1×28×28 and ResNet-8 on 3×32×32, batch 64, SGD
 * with momentum. Prints one line per model with the median of 3 runs:
 *   ENGINE model=refcnn img_per_s=<x>
 * then a profiled epoch (ramp_net_profile): per layer type and pass, the
 * time per step, its share of the step and the achieved GFLOP/s, next to the
 * same oneDNN primitives (same shapes, N = 64, format_tag_any, the same fused
 * ReLU and algorithm per pass, read from the trained net's layers) created
 * and run alone through the dnnl C API, so the engine's own overhead shows.
 * Those lines start with "PROF". The model's FLOPs are counted as direct
 * convolution, so a Winograd pass shows as more GFLOP/s than it computes.
 * Usage: bench_train [threads=2] [steps=40]. run.sh compares with PyTorch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <dnnl.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "core/coreInt.h"
#include "nn/nnInt.h"
#include "ramp/nn.h"
#include "ramp/rng.h"
#include "refcnn.h"
#include "resnet8.h"

#define BATCH 64

/* One conv or dense layer of a model, for the primitives-alone timing. */
typedef struct layer_spec {
    int conv;       /* 1 conv, 0 dense */
    int C, H, W;    /* input of one sample (dense: H = W = 0 for a 2-D input) */
    int O, K, S, P; /* outputs; conv kernel, stride, padding */
    int bias, relu; /* bias term; ReLU fused as a post-op */
    int plain_src;  /* the input is the plain NCHW network input */
    int need_dx;    /* backward-data runs (not the first layer) */
    unsigned wino;  /* passes (1 << ramp_prof_pass) run as Winograd */
    int own_fwd;    /* forward runs ramp's 16-channel kernel, not oneDNN's */
    int own_bww;    /* and so does backward-weights */
} layer_spec;

static void refcnn(ramp_net *net)
{
    refcnn_build(net, 10);
}

static void resnet8(ramp_net *net)
{
    resnet8_build(net, NULL);
}

/* The conv and dense layers of a built net, as the engine ran them (fused
   ReLU, Winograd passes: read from the nodes after training). Returns the count. */
static int layers_of(const ramp_net *net, layer_spec *out, int max)
{
    int n = 0;
    for (int id = 1; id < net->n_nodes && n < max; id++) {
        const ramp__node *nd = &net->nodes[id];
        if (nd->op != RAMP__OP_CONV && nd->op != RAMP__OP_DENSE) continue;
        int in = nd->in[0], src = in;
        while (net->nodes[src].op == RAMP__OP_FLATTEN) src = net->nodes[src].in[0];
        const ramp__node *sn = &net->nodes[src];
        layer_spec *L = &out[n++];
        memset(L, 0, sizeof *L);
        L->conv = nd->op == RAMP__OP_CONV;
        L->C = sn->c;
        L->H = sn->flat ? 0 : sn->h;
        L->W = sn->flat ? 0 : sn->w;
        L->O = nd->c;
        L->K = nd->k;
        L->S = nd->stride;
        L->P = nd->pad;
        L->bias = nd->bias;
        L->relu = nd->fused_relu;
        L->plain_src = in == 0;
        L->need_dx = net->nodes[in].needs_grad;
        L->wino = nd->wino;
        L->own_fwd = nd->own_fwd;
        L->own_bww = nd->own_bww;
    }
    return n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* --- the primitives alone ------------------------------------------------ */

#define CHK(call)                                                                                \
    do {                                                                                         \
        dnnl_status_t s_ = (call);                                                               \
        if (s_ != dnnl_success) {                                                                \
            fprintf(stderr, "alone: %s: dnnl status %d\n", #call, (int)s_);                      \
            ok = 0;                                                                              \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)

static dnnl_memory_desc_t md_of(int nd, const dnnl_dim_t *d, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t full = { 0 };
    for (int i = 0; i < nd; i++) full[i] = d[i];
    if (dnnl_memory_desc_init_by_tag(&md, nd, full, dnnl_f32, tag)) memset(&md, 0, sizeof md);
    return md;
}

/* A memory for md with small pseudo-random values; NULL on failure. */
static dnnl_memory_t mem_new(dnnl_engine_t eng, const dnnl_memory_desc_t *md, ramp_rng *r)
{
    dnnl_memory_t m = NULL;
    void *h = NULL;
    if (dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE)) return NULL;
    if (dnnl_memory_get_data_handle(m, &h) || !h) {
        dnnl_memory_destroy(m);
        return NULL;
    }
    float *f = h;
    size_t n = dnnl_memory_desc_get_size(md) / sizeof(float);
    for (size_t i = 0; i < n; i++) f[i] = (float)(ramp_rng_uniform(r) - 0.5) * 0.1f;
    return m;
}

static const dnnl_memory_desc_t *qmd(const_dnnl_primitive_desc_t pd, dnnl_query_t q)
{
    return dnnl_primitive_desc_query_md(pd, q, 0);
}

/* Seconds per call of p over `iters` calls after 5 warm-up calls. */
static double time_prim(dnnl_primitive_t p, dnnl_stream_t strm, int nargs,
                        const dnnl_exec_arg_t *args, int iters)
{
    for (int i = 0; i < 5; i++) dnnl_primitive_execute(p, strm, nargs, args);
    dnnl_stream_wait(strm);
    double t0 = ramp__now();
    for (int i = 0; i < iters; i++) dnnl_primitive_execute(p, strm, nargs, args);
    dnnl_stream_wait(strm);
    return (ramp__now() - t0) / iters;
}

static dnnl_alg_kind_t alg(const layer_spec *L, int pass)
{
    return L->wino & (1u << pass) ? dnnl_convolution_winograd : dnnl_convolution_direct;
}

/* ramp's 16-channel kernels on the buffers of a: forward (pass 0: src,
   weights, dst, bias), backward-data (1: diff_dst, weights, diff_src) as the
   engine runs it, the filters turned each call, or backward-weights (2: src,
   diff_dst, diff_weights, diff_bias). */
static double time_own(const layer_spec *L, const dnnl_exec_arg_t *a, int n, int pass, int iters)
{
    void *h[4] = { NULL, NULL, NULL, NULL };
    static float wt[9 * 16 * 16];
    for (int i = 0; i < n; i++)
        if (a[i].memory) dnnl_memory_get_data_handle(a[i].memory, &h[i]);
    float *scratch = NULL;
    if (pass == 2) {
        size_t k = ramp__conv3x3c16_bwd_weights_scratch(BATCH, L->H, L->W);
        if (!k || !(scratch = aligned_alloc(64, k * sizeof(float)))) return 0;
    }
    double t0 = 0;
    for (int i = 0; i < iters + 5; i++) {
        if (i == 5) t0 = ramp__now();
        if (pass == 2) {
            ramp__conv3x3c16_bwd_weights(h[2], h[3], h[0], h[1], scratch, BATCH, L->H, L->W);
        } else if (pass == 1) {
            ramp__conv3x3c16_flip(wt, h[1]);
            ramp__conv3x3c16_bwd_data(h[2], h[0], wt, NULL, BATCH, L->H, L->W);
        } else {
            ramp__conv3x3c16_fwd(h[2], h[0], h[1], h[3], BATCH, L->O, L->H, L->W, L->relu);
        }
    }
    double sec = (ramp__now() - t0) / iters;
    free(scratch);
    return sec;
}

/* Do md's dims in layout `tag` give md exactly? */
static int md_is(const dnnl_memory_desc_t *md, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t want;
    return !dnnl_memory_desc_init_by_tag(&want, md->ndims, md->dims, dnnl_f32, tag) &&
           dnnl_memory_desc_equal(&want, md);
}

/* Times forward, backward-data (if need_dx) and backward-weights of one layer
   alone: sec[pass] per call (0 where the pass does not run), as the engine
   runs them; lib[pass]: oneDNN's primitive. Returns 1 on success. */
static int alone_layer(dnnl_engine_t eng, dnnl_stream_t strm, const layer_spec *L, int iters,
                       double sec[RAMP_PROF_N_PASSES], double lib[RAMP_PROF_N_PASSES])
{
    int ok = 1;
    ramp_rng r;
    ramp_rng_seed(&r, 7, 0);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t fpd = NULL, dpd = NULL, wpd = NULL;
    dnnl_primitive_t fp = NULL, dp = NULL, wp = NULL;
    dnnl_memory_t m[9] = { 0 }; /* src dst w b | dsrc wbd | ddst dw db */
    const dnnl_dim_t N = BATCH;
    int OH = L->conv ? (L->H + 2 * L->P - L->K) / L->S + 1 : 0;
    int OW = L->conv ? (L->W + 2 * L->P - L->K) / L->S + 1 : 0;
    dnnl_dim_t sd[4] = { N, L->C, L->H, L->W };
    int snd = L->conv || L->H ? 4 : 2;
    dnnl_memory_desc_t src = md_of(snd, sd, L->plain_src ? dnnl_nchw : dnnl_format_tag_any);
    dnnl_dim_t wd[4] = { L->O, L->C, L->conv ? L->K : L->H, L->conv ? L->K : L->W };
    dnnl_memory_desc_t wmd = md_of(snd, wd, dnnl_format_tag_any);
    dnnl_dim_t bd[1] = { L->O };
    dnnl_memory_desc_t bmd = md_of(1, bd, dnnl_a);
    dnnl_dim_t dd4[4] = { N, L->O, OH, OW }, dd2[2] = { N, L->O };
    dnnl_memory_desc_t dmd = L->conv ? md_of(4, dd4, dnnl_format_tag_any)
                                     : md_of(2, dd2, dnnl_format_tag_any);
    dnnl_dims_t S = { L->S, L->S }, PL = { L->P, L->P };
    dnnl_dims_t PR = { (OH - 1) * L->S + L->K - L->H - L->P, (OW - 1) * L->S + L->K - L->W - L->P };
    const dnnl_memory_desc_t *pb = L->bias ? &bmd : NULL;
    for (int p = 0; p < RAMP_PROF_N_PASSES; p++) sec[p] = 0;

    CHK(dnnl_primitive_attr_create(&attr));
    if (L->relu) {
        CHK(dnnl_post_ops_create(&po));
        CHK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, 0.f, 0.f));
        CHK(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    if (L->conv) {
        dnnl_convolution_desc_t cd;
        CHK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, alg(L, RAMP_PROF_FWD),
                                               &src, &wmd, pb, &dmd, S, PL, PR));
        CHK(dnnl_primitive_desc_create(&fpd, &cd, attr, eng, NULL));
    } else {
        dnnl_inner_product_desc_t id;
        CHK(dnnl_inner_product_forward_desc_init(&id, dnnl_forward_training, &src, &wmd, pb,
                                                 &dmd));
        CHK(dnnl_primitive_desc_create(&fpd, &id, attr, eng, NULL));
    }
    src = *qmd(fpd, dnnl_query_src_md);
    wmd = *qmd(fpd, dnnl_query_weights_md);
    dmd = *qmd(fpd, dnnl_query_dst_md);
    /* ramp's kernels read these buffers only in the layouts the engine checked */
    int own = L->own_fwd && md_is(&src, dnnl_aBcd16b) && md_is(&dmd, dnnl_aBcd16b) &&
              md_is(&wmd, dnnl_ABcd16b16a);
    if (L->own_fwd && !own) fprintf(stderr, "alone: layouts differ from the engine's; ramp's "
                                            "kernels not timed\n");
    CHK(dnnl_primitive_create(&fp, fpd));
    if (!(m[0] = mem_new(eng, &src, &r)) || !(m[1] = mem_new(eng, &dmd, &r)) ||
        !(m[2] = mem_new(eng, &wmd, &r)) || (pb && !(m[3] = mem_new(eng, &bmd, &r))) ||
        !(m[6] = mem_new(eng, &dmd, &r)) || !(m[7] = mem_new(eng, &wmd, &r)) ||
        (pb && !(m[8] = mem_new(eng, &bmd, &r)))) {
        ok = 0;
        goto out;
    }
    {
        dnnl_exec_arg_t a[4] = { { DNNL_ARG_SRC, m[0] }, { DNNL_ARG_WEIGHTS, m[2] },
                                 { DNNL_ARG_DST, m[1] }, { DNNL_ARG_BIAS, m[3] } };
        sec[RAMP_PROF_FWD] = lib[RAMP_PROF_FWD] = time_prim(fp, strm, pb ? 4 : 3, a, iters);
        if (own) sec[RAMP_PROF_FWD] = time_own(L, a, 4, 0, iters);
    }
    if (L->need_dx) { /* weights in the layout backward-data prefers, as the engine does */
        dnnl_memory_desc_t wany = md_of(wmd.ndims, wmd.dims, dnnl_format_tag_any);
        if (L->conv) {
            dnnl_convolution_desc_t cd;
            CHK(dnnl_convolution_backward_data_desc_init(&cd, alg(L, RAMP_PROF_BWD_DATA), &src,
                                                         &wany, &dmd, S, PL, PR));
            CHK(dnnl_primitive_desc_create(&dpd, &cd, NULL, eng, fpd));
        } else {
            dnnl_inner_product_desc_t id;
            CHK(dnnl_inner_product_backward_data_desc_init(&id, &src, &wany, &dmd));
            CHK(dnnl_primitive_desc_create(&dpd, &id, NULL, eng, fpd));
        }
        CHK(dnnl_primitive_create(&dp, dpd));
        if (!(m[4] = mem_new(eng, &src, &r)) ||
            !(m[5] = mem_new(eng, qmd(dpd, dnnl_query_weights_md), &r))) {
            ok = 0;
            goto out;
        }
        dnnl_exec_arg_t a[3] = { { DNNL_ARG_DIFF_DST, m[6] }, { DNNL_ARG_WEIGHTS, m[5] },
                                 { DNNL_ARG_DIFF_SRC, m[4] } };
        sec[RAMP_PROF_BWD_DATA] = lib[RAMP_PROF_BWD_DATA] = time_prim(dp, strm, 3, a, iters);
        if (own) { /* the engine's weights, in the forward's layout */
            dnnl_exec_arg_t o[3] = { { DNNL_ARG_DIFF_DST, m[6] }, { DNNL_ARG_WEIGHTS, m[2] },
                                     { DNNL_ARG_DIFF_SRC, m[4] } };
            sec[RAMP_PROF_BWD_DATA] = time_own(L, o, 3, 1, iters);
        }
    }
    if (L->conv) {
        dnnl_convolution_desc_t cd;
        CHK(dnnl_convolution_backward_weights_desc_init(&cd, alg(L, RAMP_PROF_BWD_WEIGHTS), &src,
                                                        &wmd, pb, &dmd, S, PL, PR));
        CHK(dnnl_primitive_desc_create(&wpd, &cd, NULL, eng, fpd));
    } else {
        dnnl_inner_product_desc_t id;
        CHK(dnnl_inner_product_backward_weights_desc_init(&id, &src, &wmd, pb, &dmd));
        CHK(dnnl_primitive_desc_create(&wpd, &id, NULL, eng, fpd));
    }
    CHK(dnnl_primitive_create(&wp, wpd));
    {
        dnnl_exec_arg_t a[4] = { { DNNL_ARG_SRC, m[0] }, { DNNL_ARG_DIFF_DST, m[6] },
                                 { DNNL_ARG_DIFF_WEIGHTS, m[7] }, { DNNL_ARG_DIFF_BIAS, m[8] } };
        sec[RAMP_PROF_BWD_WEIGHTS] = lib[RAMP_PROF_BWD_WEIGHTS] =
            time_prim(wp, strm, pb ? 4 : 3, a, iters);
        if (own && L->own_bww) sec[RAMP_PROF_BWD_WEIGHTS] = time_own(L, a, 4, 2, iters);
    }
out:
    for (int i = 0; i < 9; i++)
        if (m[i]) dnnl_memory_destroy(m[i]);
    if (fp) dnnl_primitive_destroy(fp);
    if (dp) dnnl_primitive_destroy(dp);
    if (wp) dnnl_primitive_destroy(wp);
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (dpd) dnnl_primitive_desc_destroy(dpd);
    if (wpd) dnnl_primitive_desc_destroy(wpd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return ok;
}

/* FLOPs of one call of a layer's pass: conv 2·N·O·C·K²·OH·OW, dense 2·N·I·O. */
static double layer_flops(const layer_spec *L)
{
    if (!L->conv) return 2.0 * BATCH * L->C * (L->H ? (double)L->H * L->W : 1.0) * L->O;
    int OH = (L->H + 2 * L->P - L->K) / L->S + 1, OW = (L->W + 2 * L->P - L->K) / L->S + 1;
    return 2.0 * BATCH * L->O * L->C * L->K * L->K * (double)OH * OW;
}

/* Alone totals per type (0 conv, 1 dense) and pass: seconds and FLOPs per step. */
typedef struct alone_sum {
    double s[2][RAMP_PROF_N_PASSES], f[2][RAMP_PROF_N_PASSES];
    int ok;
    int own; /* conv layers whose forward is ramp's kernel */
} alone_sum;

static alone_sum alone_model(const layer_spec *Ls, int nl, int iters)
{
    alone_sum a;
    memset(&a, 0, sizeof a);
    printf("PROF per layer, alone (ms per call; winograd = fwd, bwd_data, bwd_weights):\n");
    dnnl_engine_t eng = NULL;
    dnnl_stream_t strm = NULL;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) ||
        dnnl_stream_create(&strm, eng, dnnl_stream_default_flags)) {
        if (eng) dnnl_engine_destroy(eng);
        return a;
    }
    a.ok = 1;
    for (int i = 0; i < nl && a.ok; i++) {
        double sec[RAMP_PROF_N_PASSES], lib[RAMP_PROF_N_PASSES] = { 0, 0, 0 };
        if (!alone_layer(eng, strm, &Ls[i], iters, sec, lib)) {
            a.ok = 0;
            break;
        }
        int t = Ls[i].conv ? 0 : 1;
        if (Ls[i].own_fwd) a.own++;
        {
            const char *own = Ls[i].own_fwd ? " (ramp)" : "";
            printf("PROF layer %s %3d->%-3d %2dx%-2d k%d s%d winograd=%u%u%u fwd %.3f%s bwd_data "
                   "%.3f%s bwd_weights %.3f%s ms", Ls[i].conv ? "conv " : "dense", Ls[i].C,
                   Ls[i].O, Ls[i].H, Ls[i].W, Ls[i].K, Ls[i].S, Ls[i].wino & 1,
                   Ls[i].wino >> 1 & 1, Ls[i].wino >> 2 & 1, 1e3 * sec[0], own, 1e3 * sec[1],
                   Ls[i].need_dx ? own : "", 1e3 * sec[2], Ls[i].own_bww ? " (ramp)" : "");
            if (Ls[i].own_fwd)
                printf(" (oneDNN: fwd %.3f bwd_data %.3f bwd_weights %.3f)", 1e3 * lib[0],
                       1e3 * lib[1], 1e3 * lib[2]);
            printf("\n");
        }
        for (int p = 0; p < RAMP_PROF_N_PASSES; p++)
            if (sec[p] > 0) {
                a.s[t][p] += sec[p];
                a.f[t][p] += layer_flops(&Ls[i]);
            }
    }
    dnnl_stream_destroy(strm);
    dnnl_engine_destroy(eng);
    return a;
}

/* --- the engine ------------------------------------------------------------ */

static ramp_status train(ramp_net *net, ramp_gen *g, size_t n)
{
    return ramp_net_fit_generator(net, g, n, NULL, 0,
                                  &(ramp_fit_opts){ .lr = 0.01f, .momentum = 0.9f });
}

static const char *pass_name[RAMP_PROF_N_PASSES] = { "fwd", "bwd_data", "bwd_weights" };

/* One profiled epoch of a fresh net, printed next to the primitives alone. */
static void profile(const char *name, int c, int hw, void (*build)(ramp_net *), int threads,
                    int steps, const float *X, const int32_t *y)
{
    layer_spec Ls[64];
    int nl = 0;
    size_t bs = BATCH, n = bs * (size_t)steps;
    int shape[3] = { c, hw, hw };
    ramp_net *net = NULL;
    ramp_gen *g = NULL;
    ramp_layer_profile pr[64];
    int np = 0;
    if (ramp_net_new(&net,
                     &(ramp_net_params){
                         .channels = c, .height = hw, .width = hw, .seed = 1, .n_threads = threads},
                     NULL))
        return;
    build(net);
    ramp_status st = ramp_gen_from_arrays(&g, X, y, n, 3, shape, 10, bs, 0, 0, NULL);
    if (!st) st = train(net, g, bs * 3);
    if (!st) st = ramp_net_profile(net, 1);
    if (!st) st = train(net, g, n);
    ramp_net_profile(net, 0);
    if (st) fprintf(stderr, "%s: %s\n", name, ramp_net_errmsg(net));
    else np = ramp_net_profile_get(net, pr, 64);
    if (!st) nl = layers_of(net, Ls, 64);
    ramp_gen_free(g);
    ramp_net_free(net);
    if (np <= 0) return;
    if (np > 64) np = 64;
    /* the primitives alone run on this thread's OpenMP team, which the engine
       has just set to `threads` */
    alone_sum al = alone_model(Ls, nl, 50);
    double step = 0, timed = 0;
    uint64_t nsteps = 1;
    for (int i = 0; i < np; i++)
        if (!strcmp(pr[i].type, "Step")) {
            step = pr[i].seconds;
            nsteps = pr[i].calls ? pr[i].calls : 1;
        } else {
            timed += pr[i].seconds;
        }
    printf("PROF model=%s profiled epoch: %llu steps, %.2f ms/step, %.0f img/s; alone: the "
           "same oneDNN primitives run alone (%s)\n", name, (unsigned long long)nsteps,
           1e3 * step / nsteps, step > 0 ? (double)(bs * nsteps) / step : 0,
           al.ok ? "50 iterations each" : "FAILED");
    printf("PROF %-13s %-11s %6s %8s %6s %8s | %8s %8s %9s\n", "type", "pass", "calls", "ms/step",
           "share", "GFLOP/s", "alone_ms", "alone_GF", "overhead");
    for (int i = 0; i < np; i++) {
        const ramp_layer_profile *e = &pr[i];
        if (!strcmp(e->type, "Step")) continue;
        double ms = 1e3 * e->seconds / nsteps;
        printf("PROF %-13s %-11s %6.1f %8.3f %5.1f%% ", e->type, pass_name[e->pass],
               (double)e->calls / nsteps, ms, step > 0 ? 100 * e->seconds / step : 0);
        if (e->flops > 0) printf("%8.1f", e->flops / e->seconds * 1e-9);
        else printf("%8s", "-");
        int t = !strcmp(e->type, "Conv2D") ? 0 : !strcmp(e->type, "Dense") ? 1 : -1;
        if (t >= 0 && al.ok && al.s[t][e->pass] > 0) {
            double ams = 1e3 * al.s[t][e->pass];
            printf(" | %8.3f %8.1f %8.0f%%\n", ams, al.f[t][e->pass] / al.s[t][e->pass] * 1e-9,
                   100 * (ms - ams) / ams);
        } else {
            printf(" |\n");
        }
    }
    printf("PROF %-13s %-11s %6s %8.3f %5.1f%%   (untimed: control flow between sections)\n",
           "other", "-", "", 1e3 * (step - timed) / nsteps,
           step > 0 ? 100 * (step - timed) / step : 0);
    if (al.own)
        printf("PROF note: the forward, backward-data and (from 8x8 on) backward-weights of %d "
               "conv layer(s) run ramp's 16-channel kernels; their alone times are those kernels' "
               "(oneDNN's are in the layer lines)\n", al.own);
    fflush(stdout);
}

static double bench(const char *name, int c, int hw, void (*build)(ramp_net *), int threads,
                    int steps)
{
    size_t bs = BATCH, n = bs * (size_t)steps;
    size_t ss = (size_t)c * hw * hw;
    float *X = malloc(n * ss * sizeof(float));
    int32_t *y = malloc(n * sizeof(int32_t));
    if (!X || !y) return 0;
    ramp_rng r;
    ramp_rng_seed(&r, 1, 0);
    for (size_t i = 0; i < n * ss; i++) X[i] = (float)ramp_rng_uniform(&r);
    for (size_t i = 0; i < n; i++) y[i] = (int32_t)(i % 10);
    double runs[3];
    for (int rep = 0; rep < 3; rep++) {
        ramp_net *net = NULL;
        ramp_gen *g = NULL;
        int shape[3] = { c, hw, hw };
        if (ramp_net_new(
                &net,
                &(ramp_net_params){
                    .channels = c, .height = hw, .width = hw, .seed = 1, .n_threads = threads},
                NULL))
            return 0;
        build(net);
        ramp_status st = ramp_gen_from_arrays(&g, X, y, n, 3, shape, 10, bs, 0, 0, NULL);
        /* warm-up epoch of 3 steps builds the primitives */
        if (!st) st = train(net, g, bs * 3);
        double t0 = ramp__now();
        if (!st) st = train(net, g, n);
        runs[rep] = st ? 0 : (double)n / (ramp__now() - t0);
        if (st) fprintf(stderr, "%s: %s\n", name, ramp_net_errmsg(net));
        ramp_gen_free(g);
        ramp_net_free(net);
    }
    qsort(runs, 3, sizeof *runs, cmp);
    printf("ENGINE model=%s img_per_s=%.0f (runs %.0f %.0f %.0f)\n", name, runs[1], runs[0],
           runs[1], runs[2]);
    fflush(stdout);
    if (!getenv("BENCH_NO_PROFILE")) profile(name, c, hw, build, threads, steps, X, y);
    free(X);
    free(y);
    return runs[1];
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2, steps = argc > 2 ? atoi(argv[2]) : 40;
    bench("refcnn", 1, 28, refcnn, threads, steps);
    bench("resnet", 3, 32, resnet8, threads, steps);
    return 0;
}
