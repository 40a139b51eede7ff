/* test_nn_layers.c — the oneDNN backend against the reference backend, layer
 * by layer, on odd shapes (normalised MSE < 1e-6 for every layer output,
 * output gradient and parameter gradient), and the reference backward
 * against central finite differences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn/nnInt.h"
#include "ramp/nn.h"
#include "ramp/rng.h"

typedef void (*builder)(ramp_net *net);

static ramp_net *make(int backend, int c, int h, int w, builder b, int no_fuse,
                      ramp_conv_algo algo, int keep_grads)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = c,
                                                     .height = h,
                                                     .width = w,
                                                     .seed = 11,
                                                     .backend = backend,
                                                     .no_fuse = no_fuse,
                                                     .conv_algo = algo,
                                                     .keep_grads = keep_grads},
                                  NULL),
                     RAMP_OK);
    b(net);
    if (net->build_st) fprintf(stderr, "build: %s\n", ramp_net_errmsg(net));
    assert_int_equal(net->build_st, RAMP_OK);
    return net;
}

static double nmse(const float *a, const float *b, size_t n)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return s > 0 ? e / s : e;
}

static void fill(float *x, size_t n, uint64_t seed)
{
    ramp_rng r;
    ramp_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++) x[i] = (float)(2.0 * ramp_rng_uniform(&r) - 1.0);
}

/* Runs forward/backward on both backends and compares everything; with
   fusion on, at least `min_fused` layers must have taken in their ReLU. */
static void compare_keep(int c, int h, int w, int n, int k, builder b, int no_fuse,
                         int min_fused, ramp_conv_algo algo, int keep_grads)
{
    ramp_net *ref = make(RAMP_NN_REF, c, h, w, b, 1, algo, 1);
    ramp_net *dn = make(RAMP_NN_DNNL, c, h, w, b, no_fuse, algo, keep_grads);
    size_t ss = (size_t)c * h * w;
    float *X = malloc((size_t)n * ss * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    assert_non_null(X);
    assert_non_null(y);
    fill(X, (size_t)n * ss, 5);
    for (int i = 0; i < n; i++) y[i] = i % k;
    double l1, l2;
    assert_int_equal(ramp_net_forward_backward(ref, X, y, (size_t)n, 0.1f, &l1), RAMP_OK);
    int st = ramp_net_forward_backward(dn, X, y, (size_t)n, 0.1f, &l2);
    if (st) fprintf(stderr, "dnnl: %s\n", ramp_net_errmsg(dn));
    assert_int_equal(st, RAMP_OK);
    assert_true(fabs(l1 - l2) < 1e-4 * (1 + fabs(l1)));
    int checked = 0, fused = 0, overwritten = 0;
    for (int id = 1; id < ref->n_nodes; id++) {
        const ramp__node *nd = &ref->nodes[id];
        size_t cnt = (size_t)n * ramp__node_size(nd);
        float *a = malloc(cnt * sizeof(float)), *bb = malloc(cnt * sizeof(float));
        assert_non_null(a);
        assert_non_null(bb);
        /* A layer with its ReLU (or clip) fused in, or that an add sums
           over in place, keeps no output of its own; a fused ReLU or clip
           keeps no gradient of its own (it masks the layer's in place),
           except after a batchnorm, which keeps none itself instead. */
        const ramp__node *dd = &dn->nodes[id], *dp = &dn->nodes[dd->in[0]];
        int fused_away = dd->fused_relu || dd->overwritten;
        int no_dy = (dd->op == RAMP__OP_BN && dd->fused_relu) ||
                    ((dd->op == RAMP__OP_RELU || dd->op == RAMP__OP_CLIP) && dp->fused_relu &&
                     dp->op != RAMP__OP_BN);
        fused += dd->fused_relu;
        overwritten += dd->overwritten;
        assert_true(!no_fuse || !fused_away);
        if (fused_away) {
            assert_int_equal(ramp_net_get_output(dn, id, bb, cnt), RAMP_EUNSUPPORTED);
        } else {
            assert_int_equal(ramp_net_get_output(ref, id, a, cnt), RAMP_OK);
            assert_int_equal(ramp_net_get_output(dn, id, bb, cnt), RAMP_OK);
            double e = nmse(bb, a, cnt);
            if (e >= 1e-6) fprintf(stderr, "layer %d output nmse %g\n", id, e);
            assert_true(e < 1e-6);
            checked++;
        }
        /* A ReLU feeding max pooling has tied zeros in its windows: the two
           backends may route a window's gradient to different zeros (masked
           by the ReLU's backward, so everything upstream still agrees). */
        int ties = nd->op == RAMP__OP_RELU && ref->nodes[id + 1].op == RAMP__OP_MAXPOOL;
        /* without keep_grads gradient buffers are shared: none can be read,
           and the parameter gradients below check them all */
        if ((no_dy || !keep_grads) && nd->needs_grad)
            assert_int_equal(ramp_net_get_output_grad(dn, id, bb, cnt), RAMP_EUNSUPPORTED);
        if (keep_grads && nd->needs_grad && id <= ref->logits_node && !no_dy && !ties) {
            assert_int_equal(ramp_net_get_output_grad(ref, id, a, cnt), RAMP_OK);
            assert_int_equal(ramp_net_get_output_grad(dn, id, bb, cnt), RAMP_OK);
            double e = nmse(bb, a, cnt);
            if (e >= 1e-6) fprintf(stderr, "layer %d output grad nmse %g (n %d fuse %d)\n", id, e, n, !no_fuse);
            assert_true(e < 1e-6);
        }
        free(a);
        free(bb);
        for (int kind = 0; kind < RAMP__P_MAX; kind++) {
            const ramp__param *p = &nd->p[kind];
            if (!p->used) continue;
            float *ga = malloc(p->n_plain * sizeof(float)), *gb = malloc(p->n_plain * sizeof(float));
            assert_non_null(ga);
            assert_non_null(gb);
            if (p->trainable) {
                assert_int_equal(ramp_net_get_grad(ref, id, kind, ga, p->n_plain), RAMP_OK);
                assert_int_equal(ramp_net_get_grad(dn, id, kind, gb, p->n_plain), RAMP_OK);
            } else { /* running statistics after one training step */
                assert_int_equal(ramp_net_get_param(ref, id, kind, ga, p->n_plain), RAMP_OK);
                assert_int_equal(ramp_net_get_param(dn, id, kind, gb, p->n_plain), RAMP_OK);
            }
            double e = nmse(gb, ga, p->n_plain);
            if (e >= 1e-6) fprintf(stderr, "layer %d param %d grad nmse %g\n", id, kind, e);
            assert_true(e < 1e-6);
            free(ga);
            free(gb);
        }
    }
    assert_true(checked > 0);
    if (!no_fuse) assert_true(fused >= min_fused);
    assert_true(!no_fuse || overwritten == 0);
    /* evaluation mode (running statistics) agrees too */
    float *p1 = malloc((size_t)n * k * sizeof(float)), *p2 = malloc((size_t)n * k * sizeof(float));
    assert_non_null(p1);
    assert_non_null(p2);
    assert_int_equal(ramp_net_predict(ref, X, (size_t)n, p1), RAMP_OK);
    assert_int_equal(ramp_net_predict(dn, X, (size_t)n, p2), RAMP_OK);
    assert_true(nmse(p2, p1, (size_t)n * k) < 1e-6);
    free(p1);
    free(p2);
    free(X);
    free(y);
    ramp_net_free(ref);
    ramp_net_free(dn);
}

/* With every gradient kept (each checked), and with shared gradient buffers. */
static void compare_algo(int c, int h, int w, int n, int k, builder b, int no_fuse,
                         int min_fused, ramp_conv_algo algo)
{
    compare_keep(c, h, w, n, k, b, no_fuse, min_fused, algo, 1);
    compare_keep(c, h, w, n, k, b, no_fuse, min_fused, algo, 0);
}

static void compare(int c, int h, int w, int n, int k, builder b, int no_fuse, int min_fused)
{
    compare_algo(c, h, w, n, k, b, no_fuse, min_fused, RAMP_CONV_AUTO);
}

/* conv (stride 2, padding), ReLU, max pool with padding, 1×1 conv without
   bias, flatten, dense, BN on features, tanh, dense: 3×11×9 input. */
static void build_a(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 5, .kernel = 3, .stride = 2, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 3, 2, 1);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 7, .kernel = 1, .no_bias = 1 });
    ramp_net_leaky_relu(net, 0.1f);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 6, .no_bias = 1 }); /* BN cancels a bias */
    ramp_net_batchnorm(net, 0.3f, 0);
    ramp_net_tanh(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 4, .init = RAMP_INIT_GLOROT });
}

/* conv + BN + ReLU, a residual block with a grouped conv, avg pool, 1×1
   conv, sigmoid, global average pooling, dense and softmax: 4×10×10. */
static void build_b(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 6, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    int skip = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 6, .kernel = 3, .padding = 1, .groups = 2,
                                         .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_add(net, skip);
    ramp_net_relu(net);
    ramp_net_avgpool(net, 3, 2, 1);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 9, .kernel = 1 });
    ramp_net_sigmoid(net);
    ramp_net_dropout(net, 0.f);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 3 });
    ramp_net_softmax(net);
}

/* The reference CNN, scaled down: 1×13×13. */
static void build_c(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 17, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 20, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 19 });
    ramp_net_relu(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 10 });
}

static void test_dnnl_vs_ref_a(void **s)
{
    (void)s;
    compare(3, 11, 9, 5, 4, build_a, 1, 0);
    compare(3, 11, 9, 5, 4, build_a, 0, 1);
}

static void test_dnnl_vs_ref_b(void **s)
{
    (void)s;
    compare(4, 10, 10, 3, 3, build_b, 1, 0);
    compare(4, 10, 10, 7, 3, build_b, 0, 2);
}

static void test_dnnl_vs_ref_c(void **s)
{
    (void)s;
    compare(1, 13, 13, 6, 10, build_c, 1, 0);
    compare(1, 13, 13, 17, 10, build_c, 0, 3);
}

/* Channels where Winograd pays (wino_pays in dnnl_conv.c): a 1×1 conv
   and ReLU, a residual block of 3×3 convs 16→32 and 32→32 with batchnorm
   and ReLU, a 3×3 conv with bias and ReLU, global average pooling and
   dense: 3×6×6. Layer ids below are fixed by this order. */
enum { D_CONV16_32 = 3, D_CONV32_32 = 6, D_CONV_BIAS = 10 };
static void build_d(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 1 });
    ramp_net_relu(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    int skip = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_add(net, skip);
    ramp_net_relu(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 5 });
}

/* A residual block whose 24 channels fill one and a half of oneDNN's
   16-channel blocks (padded layouts), with every fusion: 3×8×8. */
static void build_e(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 24, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    int skip = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 24, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 24, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_add(net, skip);
    ramp_net_relu(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 24, .kernel = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_add(net, skip); /* an add without a ReLU after it */
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 4 });
}

static void test_dnnl_vs_ref_padded_channels(void **s)
{
    (void)s;
    compare(3, 8, 8, 4, 4, build_e, 1, 0);
    compare(3, 8, 8, 4, 4, build_e, 0, 3);
}

/* A MobileNetV2-style block, as ONNX imports give it: 1×1 expansion, BN,
   ReLU6 (clip 0..6); a depthwise 3×3 conv (groups = channels) with dilation
   2, BN, ReLU6; squeeze-excitation (GAP, dense, ReLU, dense, sigmoid) whose
   flat gates scale the channels (mul broadcast over H×W); a 1×1 projection
   concatenated after a dilated 3×3 branch from the block's input (12 + 8
   channels: a seam inside a 16-channel block); a clip; a dilated conv of
   stride 2: 3×9×9. */
static void build_g(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_clip(net, 0.f, 6.f);
    int x = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = 2, .groups = 16,
                                         .dilation = 2, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_clip(net, 0.f, 6.f);
    int dw = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 4 });
    ramp_net_relu(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 16 });
    ramp_net_sigmoid(net);
    int gate = ramp_net_last(net);
    ramp_net_from(net, dw);
    ramp_net_mul(net, gate);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 8, .kernel = 1 });
    int proj = ramp_net_last(net);
    ramp_net_from(net, x);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 12, .kernel = 3, .padding = 3,
                                         .dilation = 3 });
    ramp_net_concat(net, proj);
    ramp_net_clip(net, -0.5f, 0.5f);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 8, .kernel = 3, .stride = 2, .padding = 1,
                                         .dilation = 2 });
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 5 });
}

/* The other cases of mul and concat: a conv times the (plain) input; a clip
   with lo > 0 on 20 channels (padded in 8- and 16-channel blocks, whose
   padding must stay zero); per-channel
   gates from a global pooling (C×1×1, not flat) on those padded channels;
   a same-shape product of two trained branches, then added to one of them
   and clipped (the clip after the add runs inside it, the one after the conv
   too unless oneDNN picks a gemm kernel there: dnnl_conv.c); a
   concat on a 16-channel
   seam, then with the input (3 channels); flat vectors multiplied and
   concatenated: 3×6×6. */
static void build_h(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 3, .kernel = 1 });
    ramp_net_mul(net, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 20, .kernel = 3, .padding = 1 });
    ramp_net_clip(net, 0.1f, 0.8f);
    int c = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    ramp_net_sigmoid(net);
    int gate = ramp_net_last(net);
    ramp_net_from(net, c);
    ramp_net_mul(net, gate);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 1 });
    int s16 = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = 1 });
    ramp_net_sigmoid(net);
    ramp_net_mul(net, s16);
    ramp_net_add(net, s16); /* SE-ResNet's residual: an add over the mul (in place) */
    ramp_net_clip(net, -0.3f, 0.9f);
    ramp_net_concat(net, s16);
    ramp_net_concat(net, 0);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 6 });
    int d = ramp_net_last(net);
    ramp_net_tanh(net);
    int t = ramp_net_last(net);
    ramp_net_from(net, d);
    ramp_net_dense(net, &(ramp_dense){ .units = 6 });
    ramp_net_sigmoid(net);
    ramp_net_mul(net, t);
    ramp_net_concat(net, d);
    ramp_net_dense(net, &(ramp_dense){ .units = 4 });
}

static void test_dnnl_vs_ref_import_ops(void **s)
{
    (void)s;
    compare(3, 9, 9, 3, 5, build_g, 1, 0);
    compare(3, 9, 9, 4, 5, build_g, 0, 1);
    compare_algo(3, 9, 9, 2, 5, build_g, 0, 1, RAMP_CONV_DIRECT);
    compare(3, 6, 6, 3, 4, build_h, 1, 0);
    compare(3, 6, 6, 5, 4, build_h, 0, 1); /* the clip after the add fused, at least */
}

/* Index of (n, c, h, w) in a 16-channel-blocked tensor of C channels. */
static size_t blk(int n, int c, int h, int w, int C, int H, int W)
{
    return ((((size_t)n * (C / 16) + c / 16) * H + h) * W + w) * 16 + c % 16;
}

/* The 16-channel kernels alone against the plain reference kernels on an
   N×16×H×W input: forward into 32 channels with bias and ReLU, backward-data
   adding onto a gradient already there. */
static void conv16_vs_ref(int N, int H, int W)
{
    /* Winograd F(4×4, 3×3) rounds more than the direct sum */
    double tol = H >= 8 && W >= 8 ? 1e-10 : 1e-12;
    enum { C = 16, O = 32 };
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * O * H * W;
    float *x = malloc(nx * sizeof(float)), *xb = malloc(nx * sizeof(float));
    float *dy = malloc(nx * sizeof(float)), *dyb = malloc(nx * sizeof(float));
    float *dxref = calloc(nx, sizeof(float)), *base = malloc(nx * sizeof(float));
    float *dxb = malloc(nx * sizeof(float)), *yref = malloc(ny * sizeof(float));
    float *yb = malloc(ny * sizeof(float));
    static float w[O * C * 9], b[O], wb[O * C * 9], dwref[C * C * 9], wt[C * C * 9];
    assert_true(x && xb && dy && dyb && dxref && base && dxb && yref && yb);
    fill(x, nx, 21);
    fill(w, sizeof w / sizeof *w, 22);
    fill(b, O, 23);
    fill(dy, nx, 24);
    fill(base, nx, 25);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++)
                for (int v = 0; v < W; v++) {
                    size_t i = (((size_t)n * C + c) * H + h) * W + v;
                    xb[blk(n, c, h, v, C, H, W)] = x[i];
                    dyb[blk(n, c, h, v, C, H, W)] = dy[i];
                    dxb[blk(n, c, h, v, C, H, W)] = base[i];
                }
    for (int o = 0; o < O; o++) /* ABcd16b16a: [o/16][kh][kw][ic][o%16] */
        for (int c = 0; c < C; c++)
            for (int k = 0; k < 9; k++)
                wb[((o / 16) * 9 + k) * 256 + c * 16 + o % 16] = w[(o * C + c) * 9 + k];
    ramp__ref_conv_fwd(yref, x, w, b, N, C, H, W, O, 3, 1, 1, 1, 1);
    ramp__conv3x3c16_fwd(yb, xb, wb, b, N, O, H, W, 1);
    double e = 0, r = 0;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int h = 0; h < H; h++)
                for (int v = 0; v < W; v++) {
                    float want = yref[(((size_t)n * O + o) * H + h) * W + v];
                    want = want > 0.f ? want : 0.f;
                    double d = (double)yb[blk(n, o, h, v, O, H, W)] - want;
                    e += d * d;
                    r += (double)want * want;
                }
    if (e / r >= tol) fprintf(stderr, "%dx%d forward nmse %g\n", H, W, e / r);
    assert_true(e / r < tol);
    /* backward-data of the first 16 output channels' conv: dx = base + ... */
    memset(dwref, 0, sizeof dwref);
    ramp__ref_conv_bwd(dxref, dwref, NULL, dy, x, w, N, C, H, W, C, 3, 1, 1, 1, 1);
    ramp__conv3x3c16_flip(wt, wb);
    ramp__conv3x3c16_bwd_data(dxb, dyb, wt, dxb, N, H, W);
    e = r = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++)
                for (int v = 0; v < W; v++) {
                    size_t i = (((size_t)n * C + c) * H + h) * W + v;
                    double want = (double)base[i] + dxref[i], d = dxb[blk(n, c, h, v, C, H, W)] - want;
                    e += d * d;
                    r += want * want;
                }
    if (e / r >= tol) fprintf(stderr, "%dx%d backward-data nmse %g\n", H, W, e / r);
    assert_true(e / r < tol);
    /* backward-weights and bias (Winograd only: from 8×8 on) */
    size_t k = ramp__conv3x3c16_bwd_weights_scratch(N, H, W);
    assert_true((k > 0) == (H >= 8 && W >= 8));
    if (k) {
        float *scratch = aligned_alloc(64, k * sizeof(float)), dwb[C * C * 9], db[C];
        double dbref[C] = { 0 };
        assert_non_null(scratch);
        ramp__conv3x3c16_bwd_weights(dwb, db, xb, dyb, scratch, N, H, W);
        for (size_t i = 0; i < nx; i++) dbref[i / ((size_t)H * W) % C] += dy[i];
        e = r = 0;
        for (int o = 0; o < C; o++) {
            for (int c = 0; c < C; c++)
                for (int q = 0; q < 9; q++) { /* ours: [kh][kw][c][o] */
                    double want = dwref[(o * C + c) * 9 + q], d = dwb[q * 256 + c * 16 + o] - want;
                    e += d * d;
                    r += want * want;
                }
            e += ((double)db[o] - dbref[o]) * ((double)db[o] - dbref[o]);
            r += dbref[o] * dbref[o];
        }
        if (e / r >= tol) fprintf(stderr, "%dx%d backward-weights nmse %g\n", H, W, e / r);
        assert_true(e / r < tol);
        free(scratch);
    }
    free(x), free(xb), free(dy), free(dyb), free(dxref), free(base), free(dxb), free(yref);
    free(yb);
}

/* Both algorithms: direct below 8×8 (a width of two pixel blocks), Winograd
   from there (two groups of tiles across, partial tiles at both edges;
   backward-weights over bands of tile rows and over groups of images). */
static void test_conv16_kernels_vs_ref(void **s)
{
    (void)s;
    if (!ramp__conv3x3c16_available()) {
        print_message("skipped: no AVX-512 here, so the 16-channel kernels do not run\n");
        skip();
    }
    conv16_vs_ref(3, 5, 19);
    conv16_vs_ref(3, 11, 37);
    conv16_vs_ref(2, 8, 8);
    conv16_vs_ref(37, 8, 9); /* backward-weights over groups of 2 images, the last alone */
}

/* One-pass batchnorm statistics against a two-pass sum in double, on 48
   channels (three blocks) of 7×9 pixels: channel 5 sits at 1000 with a
   spread of 0.01, where E[x²] - E[x]² in float would keep no digit of the
   variance; the same bits on one and two threads. */
static void test_bn_stats(void **s)
{
    (void)s;
    if (!ramp__bn_stats_available()) {
        print_message("skipped: no AVX-512 here, so ramp__bn_stats does not run\n");
        skip();
    }
    enum { N = 5, C = 48, HW = 63 };
    static float x[N * C * HW], mean[2][C], var[2][C];
    static double part[N * C * 2];
    fill(x, sizeof x / sizeof *x, 31);
    for (int n = 0; n < N; n++)
        for (int p = 0; p < HW; p++) {
            float *v = &x[(((size_t)n * (C / 16)) * HW + p) * 16 + 5];
            *v = 1000.f + 0.01f * *v;
        }
    for (int t = 0; t < 2; t++) {
        ramp__nn_set_omp_threads(t + 1);
        ramp__bn_stats(mean[t], var[t], x, N, C, HW, part);
    }
    assert_memory_equal(mean[0], mean[1], sizeof mean[0]);
    assert_memory_equal(var[0], var[1], sizeof var[0]);
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) m += x[((size_t)(n * (C / 16) + c / 16) * HW + p) * 16 + c % 16];
        m /= N * HW;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                double d = x[((size_t)(n * (C / 16) + c / 16) * HW + p) * 16 + c % 16] - m;
                v += d * d;
            }
        v /= N * HW;
        assert_true(fabs(mean[0][c] - m) <= 1e-6 * fabs(m) + 1e-7);
        if (fabs(var[0][c] - v) > 1e-5 * v) fprintf(stderr, "channel %d var %g want %g\n", c, var[0][c], v);
        assert_true(fabs(var[0][c] - v) <= 1e-5 * v);
    }
}

/* Which adds sum in place over their first input after a fused training
   step: with the ReLU post-op only where the channels fill whole 16-blocks
   (build_d's 32), not where they are padded (build_e's 24 in AVX-512's
   16-blocks: oneDNN 2.6 loses the sum there; AVX2's 8-blocks hold it
   whole); without a ReLU always. The values are compare()'s job. */
static void test_add_in_place(void **s)
{
    (void)s;
    ramp_net *d = make(RAMP_NN_DNNL, 3, 6, 6, build_d, 0, RAMP_CONV_AUTO, 0);
    ramp_net *e = make(RAMP_NN_DNNL, 3, 8, 8, build_e, 0, RAMP_CONV_AUTO, 0);
    float X[2 * 3 * 8 * 8];
    int32_t y[2] = { 0, 3 };
    double l;
    fill(X, sizeof X / sizeof *X, 3);
    assert_int_equal(ramp_net_forward_backward(d, X, y, 2, 0.f, &l), RAMP_OK);
    assert_int_equal(ramp_net_forward_backward(e, X, y, 2, 0.f, &l), RAMP_OK);
    assert_int_equal(d->nodes[8].op, RAMP__OP_ADD);
    assert_true(d->nodes[8].fused_relu);
    assert_true(d->nodes[7].overwritten);
    assert_int_equal(e->nodes[9].op, RAMP__OP_ADD);
    assert_true(e->nodes[9].fused_relu);
    /* 24 channels are padded in AVX-512's 16-blocks, not in AVX2's 8-blocks */
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f"))
        assert_true(e->nodes[8].overwritten);
    else
#endif
        assert_false(e->nodes[8].overwritten);
    assert_int_equal(e->nodes[13].op, RAMP__OP_ADD);
    assert_false(e->nodes[13].fused_relu);
    assert_true(e->nodes[12].overwritten);
    ramp_net_free(d);
    ramp_net_free(e);
}

/* oneDNN has f32 Winograd kernels on AVX-512 machines only. */
static int cpu_has_winograd(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

/* The Winograd passes of layer `id` after a training step of build_d; the
   step's gradient of that layer's weights goes to g (32×32×3×3) if not NULL. */
static unsigned wino_bits(ramp_conv_algo algo, int id, float *g)
{
    ramp_net *net = make(RAMP_NN_DNNL, 3, 6, 6, build_d, 0, algo, 0);
    float X[2 * 3 * 6 * 6];
    int32_t y[2] = { 0, 3 };
    double l;
    fill(X, sizeof X / sizeof *X, 3);
    assert_int_equal(ramp_net_forward_backward(net, X, y, 2, 0.f, &l), RAMP_OK);
    unsigned bits = net->nodes[id].wino;
    if (g) assert_int_equal(ramp_net_get_grad(net, id, RAMP__P_WEIGHT, g, 32 * 32 * 9), RAMP_OK);
    ramp_net_free(net);
    return bits;
}

static void test_dnnl_vs_ref_winograd(void **s)
{
    (void)s;
    compare_algo(3, 6, 6, 4, 5, build_d, 0, 4, RAMP_CONV_AUTO);
    compare_algo(3, 6, 6, 1, 5, build_d, 0, 4, RAMP_CONV_AUTO); /* a batch of one */
    compare_algo(3, 6, 6, 4, 5, build_d, 1, 0, RAMP_CONV_AUTO);
    compare_algo(3, 6, 6, 4, 5, build_d, 0, 4, RAMP_CONV_DIRECT);
    unsigned fwd = 1u << RAMP_PROF_FWD, bd = 1u << RAMP_PROF_BWD_DATA,
             bw = 1u << RAMP_PROF_BWD_WEIGHTS;
    assert_int_equal(wino_bits(RAMP_CONV_DIRECT, D_CONV32_32, NULL), 0);
    if (!cpu_has_winograd()) {
        print_message("skipped: no AVX-512 here, so no Winograd kernels to check\n");
        skip();
    }
    /* 16 input channels: direct forward; 32 outputs: Winograd backward */
    assert_int_equal(wino_bits(RAMP_CONV_AUTO, D_CONV16_32, NULL), bd | bw);
    assert_int_equal(wino_bits(RAMP_CONV_AUTO, D_CONV_BIAS, NULL), fwd | bd | bw);
    /* the same step twice: the same gradient, bit for bit */
    static float g1[32 * 32 * 9], g2[32 * 32 * 9];
    assert_int_equal(wino_bits(RAMP_CONV_AUTO, D_CONV32_32, g1), fwd | bd | bw);
    assert_int_equal(wino_bits(RAMP_CONV_AUTO, D_CONV32_32, g2), fwd | bd | bw);
    assert_memory_equal(g1, g2, sizeof g1);
}

/* 16 channels into 16, 3×3, stride 1, padding 1: the shape whose forward and
   backward-data run ramp__conv3x3c16_* (conv_own_fwd in dnnl_conv.c): with
   bias and a fused ReLU, then without bias before a batchnorm and beside a
   second conv from the same input (its gradient written, then accumulated),
   then feeding an add whose skip input's gradient is pending when the conv's
   is added in; last a 16→32 conv that stays with oneDNN. The input conv
   gives the 16-channel blocked layout. */
enum { F_OWN_BIAS = 2, F_OWN_BN = 4, F_LIB = 12 };
static void build_f(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 1 });
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    int x = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    int bn = ramp_net_last(net);
    ramp_net_from(net, x);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_add(net, bn);
    ramp_net_relu(net);
    int r = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = 1 });
    ramp_net_add(net, r);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1 });
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 3 });
}

/* Output of layer id after a forward of n samples of f on a dnnl net built
   with algo and threads; whether the layer ran the own kernel in *own. */
static float *f_output(int h, int w, int n, ramp_conv_algo algo, int threads, int id, int *own)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 2,
                                                     .height = h,
                                                     .width = w,
                                                     .seed = 11,
                                                     .conv_algo = algo,
                                                     .n_threads = threads,
                                                     .no_fuse = 1},
                                  NULL),
                     RAMP_OK);
    build_f(net);
    size_t cnt = (size_t)n * ramp__node_size(&net->nodes[id]);
    float *X = malloc((size_t)n * 2 * h * w * sizeof(float)), *p = malloc((size_t)n * 3 * 4);
    float *out = malloc(cnt * sizeof(float));
    assert_non_null(X);
    assert_non_null(p);
    assert_non_null(out);
    fill(X, (size_t)n * 2 * h * w, 9);
    assert_int_equal(ramp_net_predict(net, X, (size_t)n, p), RAMP_OK);
    assert_int_equal(ramp_net_get_output(net, id, out, cnt), RAMP_OK);
    *own = net->nodes[id].own_fwd;
    free(X);
    free(p);
    ramp_net_free(net);
    return out;
}

static void test_dnnl_vs_ref_conv16(void **s)
{
    (void)s;
    /* direct: widths cut into one, two and three pixel blocks, heights of one
       row; Winograd: one tile group, partial tiles, two groups */
    static const int hw[][2] = { { 1, 1 }, { 3, 2 }, { 5, 17 }, { 1, 33 }, { 4, 40 },
                                 { 8, 8 }, { 9, 13 }, { 11, 37 } };
    for (size_t i = 0; i < sizeof hw / sizeof *hw; i++) {
        compare(2, hw[i][0], hw[i][1], 3, 3, build_f, 0, 3);
        compare(2, hw[i][0], hw[i][1], 3, 3, build_f, 1, 0);
    }
    if (!ramp__conv3x3c16_available()) {
        print_message("skipped: no AVX-512 here, so the 16-channel kernel does not run\n");
        skip();
    }
    /* against oneDNN's own forward (RAMP_CONV_DIRECT), and the same bits
       whatever the thread count */
    for (size_t i = 0; i < sizeof hw / sizeof *hw; i++) {
        int h = hw[i][0], w = hw[i][1], own;
        size_t cnt = (size_t)5 * 16 * h * w;
        int ids[2] = { F_OWN_BIAS, F_OWN_BN };
        for (int k = 0; k < 2; k++) {
            float *lib = f_output(h, w, 5, RAMP_CONV_DIRECT, 2, ids[k], &own);
            assert_false(own);
            float *a = f_output(h, w, 5, RAMP_CONV_AUTO, 2, ids[k], &own);
            assert_true(own);
            float *b = f_output(h, w, 5, RAMP_CONV_AUTO, 1, ids[k], &own);
            double e = nmse(a, lib, cnt), tol = h >= 8 && w >= 8 ? 1e-10 : 1e-12;
            if (e >= tol) fprintf(stderr, "%dx%d layer %d nmse %g\n", h, w, ids[k], e);
            assert_true(e < tol);
            assert_memory_equal(a, b, cnt * sizeof(float));
            free(lib);
            free(a);
            free(b);
        }
    }
    int own;
    free(f_output(4, 5, 2, RAMP_CONV_AUTO, 2, F_LIB, &own));
    assert_false(own); /* 32 output channels */
    /* the kernels alone, backward-data adding onto its output, and
       backward-weights: one and two threads give the same bits */
    for (size_t i = 0; i < sizeof hw / sizeof *hw; i++) {
        /* 33 images: backward-weights sums groups of 2 (the last alone); 5:
           bands of tile rows */
        int h = hw[i][0], w = hw[i][1], n = h >= 8 && w >= 8 ? 33 : 5;
        size_t cnt = (size_t)n * h * w * 16;
        float *x = malloc(cnt * sizeof(float)), *dy = malloc(cnt * sizeof(float));
        float *y[2], *dx[2], wt[2304], wf[2304], b[16], dw[2][2304], db[2][16];
        assert_non_null(x);
        assert_non_null(dy);
        fill(x, cnt, 1);
        fill(dy, cnt, 2);
        fill(wf, 2304, 3);
        fill(b, 16, 4);
        ramp__conv3x3c16_flip(wt, wf);
        for (int t = 0; t < 2; t++) {
            y[t] = malloc(cnt * sizeof(float));
            dx[t] = malloc(cnt * sizeof(float));
            assert_non_null(y[t]);
            assert_non_null(dx[t]);
            memcpy(dx[t], x, cnt * sizeof(float));
            ramp__nn_set_omp_threads(t + 1);
            ramp__conv3x3c16_fwd(y[t], x, wf, b, n, 16, h, w, 1);
            ramp__conv3x3c16_bwd_data(dx[t], dy, wt, dx[t], n, h, w);
            size_t k = ramp__conv3x3c16_bwd_weights_scratch(n, h, w);
            float *scratch = k ? aligned_alloc(64, k * sizeof(float)) : NULL;
            if (k) {
                assert_non_null(scratch);
                ramp__conv3x3c16_bwd_weights(dw[t], db[t], x, dy, scratch, n, h, w);
            } else {
                memset(dw[t], 0, sizeof dw[t]);
                memset(db[t], 0, sizeof db[t]);
            }
            free(scratch);
        }
        assert_memory_equal(y[0], y[1], cnt * sizeof(float));
        assert_memory_equal(dx[0], dx[1], cnt * sizeof(float));
        assert_memory_equal(dw[0], dw[1], sizeof dw[0]);
        assert_memory_equal(db[0], db[1], sizeof db[0]);
        for (int t = 0; t < 2; t++) {
            free(y[t]);
            free(dx[t]);
        }
        free(x);
        free(dy);
    }
}

/* --- finite differences (reference backend) ------------------------------ */

static double loss_at(ramp_net *net, const float *X, const int32_t *y, size_t n)
{
    double l;
    assert_int_equal(ramp_net_forward_backward(net, X, y, n, 0.f, &l), RAMP_OK);
    return l;
}

/* Smooth layers only (no ReLU kinks); BN, residual add, avg and max pool. */
static void build_fd(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 3, .kernel = 3, .padding = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_tanh(net);
    int skip = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 3, .kernel = 3, .padding = 1 });
    ramp_net_sigmoid(net);
    ramp_net_add(net, skip);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_avgpool(net, 2, 1, 0);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 5 });
    ramp_net_leaky_relu(net, 0.2f);
    ramp_net_dense(net, &(ramp_dense){ .units = 3 });
}

/* The import ops: dilated convs (one depthwise), a clip, per-channel and
   same-shape mul, concat. */
static void build_fd_import(ramp_net *net)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3, .padding = 2, .dilation = 2 });
    ramp_net_tanh(net);
    int x = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3, .padding = 2, .groups = 4,
                                         .dilation = 2 });
    ramp_net_clip(net, -0.6f, 0.6f);
    int c = ramp_net_last(net);
    ramp_net_from(net, x);
    ramp_net_global_avgpool(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 4 });
    ramp_net_sigmoid(net);
    int gate = ramp_net_last(net);
    ramp_net_from(net, c);
    ramp_net_mul(net, gate);
    ramp_net_concat(net, x);
    int cat = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 8, .kernel = 1 });
    ramp_net_sigmoid(net);
    ramp_net_mul(net, cat);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 3 });
}

/* Central differences of step h against the analytic gradients. */
static void finite_differences(builder b, float h)
{
    ramp_net *net = make(RAMP_NN_REF, 2, 7, 6, b, 1, RAMP_CONV_AUTO, 1);
    size_t n = 4, ss = 2 * 7 * 6;
    float X[4 * 2 * 7 * 6];
    int32_t y[4] = { 0, 1, 2, 1 };
    fill(X, n * ss, 9);
    loss_at(net, X, y, n);
    int tested = 0;
    for (int id = 1; id < net->n_nodes; id++)
        for (int kind = 0; kind < 2; kind++) {
            ramp__param *p = &net->nodes[id].p[kind];
            if (!p->used) continue;
            float *g = malloc(p->n_plain * sizeof(float)), *w = malloc(p->n_plain * sizeof(float));
            assert_non_null(g);
            assert_non_null(w);
            loss_at(net, X, y, n);
            assert_int_equal(ramp_net_get_grad(net, id, kind, g, p->n_plain), RAMP_OK);
            assert_int_equal(ramp_net_get_param(net, id, kind, w, p->n_plain), RAMP_OK);
            size_t step = p->n_plain > 12 ? p->n_plain / 12 : 1;
            for (size_t j = 0; j < p->n_plain; j += step) {
                float w0 = w[j];
                w[j] = w0 + h;
                ramp_net_set_param(net, id, kind, w, p->n_plain);
                double lp = loss_at(net, X, y, n);
                w[j] = w0 - h;
                ramp_net_set_param(net, id, kind, w, p->n_plain);
                double lm = loss_at(net, X, y, n);
                w[j] = w0;
                ramp_net_set_param(net, id, kind, w, p->n_plain);
                double num = (lp - lm) / (2.0 * h), an = g[j];
                double err = fabs(num - an) / (fabs(num) + fabs(an) + 1e-3);
                if (err > 2e-2)
                    fprintf(stderr, "layer %d kind %d [%zu]: numeric %g analytic %g\n", id, kind, j,
                            num, an);
                assert_true(err <= 2e-2);
                tested++;
            }
            free(g);
            free(w);
        }
    assert_true(tested > 50);
    ramp_net_free(net);
}

static void test_finite_differences(void **s)
{
    (void)s;
    finite_differences(build_fd, 1e-2f);
}

static void test_finite_differences_import_ops(void **s)
{
    (void)s;
    /* a small step: a bias moves a whole channel, some of it across the
       clip's bounds, where the loss has kinks */
    finite_differences(build_fd_import, 1e-3f);
}

/* Two ctest entries: the portable cases (test_nn_layers) and the ones that
   need AVX-512 (test_nn_layers_avx512, `--avx512`), so a machine without
   AVX-512 reports those skipped without hiding that the rest passed. */
int main(int argc, char **argv)
{
    const struct CMUnitTest portable[] = {
        cmocka_unit_test(test_dnnl_vs_ref_a),
        cmocka_unit_test(test_dnnl_vs_ref_b),
        cmocka_unit_test(test_dnnl_vs_ref_c),
        cmocka_unit_test(test_dnnl_vs_ref_padded_channels),
        cmocka_unit_test(test_add_in_place),
        cmocka_unit_test(test_finite_differences),
        cmocka_unit_test(test_dnnl_vs_ref_import_ops),
        cmocka_unit_test(test_finite_differences_import_ops),
    };
    const struct CMUnitTest avx512[] = {
        cmocka_unit_test(test_dnnl_vs_ref_winograd),
        cmocka_unit_test(test_dnnl_vs_ref_conv16),
        cmocka_unit_test(test_conv16_kernels_vs_ref),
        cmocka_unit_test(test_bn_stats),
    };
    if (argc > 1 && strcmp(argv[1], "--avx512") == 0)
        return cmocka_run_group_tests_name("nn_layers_avx512", avx512, NULL, NULL);
    return cmocka_run_group_tests_name("nn_layers", portable, NULL, NULL);
}
