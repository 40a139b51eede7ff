/* test_nn_dense.c — what segmentation and detection nets need from the
 * engine: upsampling, transposed convolution, per-pixel softmax
 * cross-entropy and the CenterNet loss and decoding, the in-memory
 * generators of masks and objects.
 *
 * Against PyTorch 1.13 (tests/gen_dense_fixtures.py, in double): a small
 * U-Net-like net on both backends (logits, loss, every gradient, the
 * per-pixel probabilities), the CenterNet loss and its gradient on two
 * heads (boxes with offsets, circles), and finite differences of the loss.
 * Decoding against a hand-made heat map. Two nets that train: a segmenter
 * to a pixel accuracy well above the majority class, a detector to an AP
 * (ramp_det_eval) well above chance. */
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
#include "ramp/detection.h"
#include "ramp/nn.h"
#include "ramp/onnx.h"
#include "ramp/rng.h"

#define MAXA 32

typedef struct fixture {
    int count;
    uint32_t n[MAXA];
    float *a[MAXA];
} fixture;

static void load(fixture *fx, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/nn/%s", RAMP_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint32_t c;
    assert_int_equal(fread(&c, 4, 1, f), 1);
    assert_true(c <= MAXA);
    fx->count = (int)c;
    for (uint32_t i = 0; i < c; i++) {
        assert_int_equal(fread(&fx->n[i], 4, 1, f), 1);
        fx->a[i] = malloc(fx->n[i] * sizeof(float) + 1);
        assert_non_null(fx->a[i]);
        assert_int_equal(fread(fx->a[i], 4, fx->n[i], f), fx->n[i]);
    }
    fclose(f);
}

static void unload(fixture *fx)
{
    for (int i = 0; i < fx->count; i++)
        free(fx->a[i]);
}

static void check(const char *what, const float *got, const float *want, size_t n, double tol)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        s += (double)want[i] * want[i];
    }
    double r = s > 0 ? e / s : e;
    if (!(r < tol)) fprintf(stderr, "%s: normalised MSE %g (tolerance %g)\n", what, r, tol);
    assert_true(r < tol);
}

/* --- the U-Net-like net against PyTorch ------------------------------------ */

static ramp_net *seg_net_w(int backend, const float *cw, int n_cw)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 3,
                                                     .height = 6,
                                                     .width = 6,
                                                     .backend = backend,
                                                     .keep_grads = 1,
                                                     .loss = RAMP_LOSS_PIXEL_SOFTMAX,
                                                     .class_weights = cw,
                                                     .n_class_weights = n_cw},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 3, .padding = 1}); /* 1 */
    ramp_net_relu(net);                                                            /* 2 */
    ramp_net_maxpool(net, 3, 3, 0);                                                /* 3 */
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 3, .padding = 1}); /* 4 */
    ramp_net_upsample(net, 3, RAMP_UPSAMPLE_BILINEAR);                             /* 5 */
    ramp_net_concat(net, 2);                                                       /* 6 */
    ramp_net_conv_transpose2d(
        net,
        &(ramp_conv_transpose2d){
            .filters = 5, .kernel = 3, .stride = 2, .padding = 1, .output_padding = 1}); /* 7 */
    ramp_net_relu(net);                                                                  /* 8 */
    ramp_net_maxpool(net, 4, 4, 0);                                                      /* 9 */
    ramp_net_upsample(net, 2, RAMP_UPSAMPLE_NEAREST);                                    /* 10 */
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){.filters = 3, .kernel = 1}),    /* 11 */
                     RAMP_OK);
    int shape[3];
    assert_int_equal(ramp_net_layer_shape(net, 7, shape), RAMP_OK);
    assert_int_equal(shape[0], 5);
    assert_int_equal(shape[1], 12);
    assert_int_equal(shape[2], 12);
    return net;
}

static ramp_net *seg_net(int backend)
{
    return seg_net_w(backend, NULL, 0);
}

static const int SEG_PID[8][2] = {{1, 0}, {1, 1}, {4, 0}, {4, 1}, {7, 0}, {7, 1}, {11, 0}, {11, 1}};

/* The fixture's parameters set into net, its mask copied into mask (3 ×
   36), and the batch over its input. */
static ramp_batch seg_setup(ramp_net *net, const fixture *fx, int32_t *mask)
{
    for (int i = 0; i < 8; i++)
        assert_int_equal(
            ramp_net_set_param(net, SEG_PID[i][0], SEG_PID[i][1], fx->a[2 + i], fx->n[2 + i]),
            RAMP_OK);
    for (int i = 0; i < 3 * 36; i++)
        mask[i] = (int32_t)fx->a[1][i];
    return (ramp_batch){.X = fx->a[0], .n = 3, .sample_size = 108, .ndim = 3,
                        .shape = {3, 6, 6}, .mask = mask, .mask_h = 6, .mask_w = 6};
}

static void seg_torch(int backend)
{
    fixture fx;
    load(&fx, "seg_net.bin");
    assert_int_equal(fx.count, 2 + 8 + 2 + 8 + 1);
    ramp_net *net = seg_net(backend);
    int32_t mask[3 * 36];
    ramp_batch b = seg_setup(net, &fx, mask);
    double loss;
    assert_int_equal(ramp_net_forward_backward_batch(net, &b, &loss), RAMP_OK);
    float buf[4096];
    assert_int_equal(ramp_net_get_output(net, 11, buf, 3 * 108), RAMP_OK);
    check("seg logits", buf, fx.a[10], 3 * 108, 1e-10);
    assert_true(fabs(loss - fx.a[11][0]) < 1e-5 * fabs(fx.a[11][0]));
    for (int i = 0; i < 8; i++) {
        char what[32];
        snprintf(what, sizeof what, "seg grad %d", i);
        assert_int_equal(ramp_net_get_grad(net, SEG_PID[i][0], SEG_PID[i][1], buf, fx.n[12 + i]),
                         RAMP_OK);
        check(what, buf, fx.a[12 + i], fx.n[12 + i], 1e-9);
    }
    float probs[3 * 108];
    assert_int_equal(ramp_net_predict(net, fx.a[0], 3, probs), RAMP_OK);
    check("seg probs", probs, fx.a[20], 3 * 108, 1e-10);
    ramp_net_free(net);
    unload(&fx);
}

/* The same net and batch with class weights (0.3, 1, 2.5): the loss and
   every gradient against PyTorch's CrossEntropyLoss(weight=) (fixture
   seg_weighted.bin). The caller's weights are copied: overwritten after
   ramp_net_new, they change nothing. */
static void seg_weighted(int backend)
{
    fixture fx, fw;
    load(&fx, "seg_net.bin");
    load(&fw, "seg_weighted.bin");
    assert_int_equal(fw.count, 1 + 8);
    float cw[3] = {0.3f, 1.0f, 2.5f};
    ramp_net *net = seg_net_w(backend, cw, 3);
    cw[0] = cw[1] = cw[2] = 1.0f;
    int32_t mask[3 * 36];
    ramp_batch b = seg_setup(net, &fx, mask);
    double loss;
    assert_int_equal(ramp_net_forward_backward_batch(net, &b, &loss), RAMP_OK);
    if (!(fabs(loss - fw.a[0][0]) < 1e-5 * fabs(fw.a[0][0])))
        fprintf(stderr, "weighted loss %.9g, PyTorch %.9g\n", loss, (double)fw.a[0][0]);
    assert_true(fabs(loss - fw.a[0][0]) < 1e-5 * fabs(fw.a[0][0]));
    assert_true(fabs(loss - fx.a[11][0]) > 1e-3); /* the weights matter here */
    float buf[4096];
    for (int i = 0; i < 8; i++) {
        char what[40];
        snprintf(what, sizeof what, "weighted seg grad %d", i);
        assert_int_equal(ramp_net_get_grad(net, SEG_PID[i][0], SEG_PID[i][1], buf, fw.n[1 + i]),
                         RAMP_OK);
        check(what, buf, fw.a[1 + i], fw.n[1 + i], 1e-9);
    }
    ramp_net_free(net);
    unload(&fw);
    unload(&fx);
}

static void test_seg_weighted(void **state)
{
    (void)state;
    seg_weighted(RAMP_NN_REF);
    seg_weighted(RAMP_NN_DNNL);
}

/* Class weights refused where they cannot apply, and on a classifier: each
   row counts its class's weight (PyTorch's definition, checked by hand). */
static void test_class_weights(void **state)
{
    (void)state;
    ramp_net *net = NULL;
    ramp_err e = {RAMP_OK, ""};
    float bad[3] = {1.0f, -0.5f, 1.0f}, zero[2] = {0, 0}, w2[2] = {0.25f, 3.0f};
    ramp_net_params p = {.channels = 1, .height = 1, .width = 4, .backend = RAMP_NN_REF};
    p.class_weights = bad;
    p.n_class_weights = 3;
    assert_int_equal(ramp_net_new(&net, &p, &e), RAMP_EINVAL);
    assert_non_null(strstr(e.msg, "class_weights[1] = -0.5"));
    p.class_weights = zero;
    p.n_class_weights = 2;
    assert_int_equal(ramp_net_new(&net, &p, &e), RAMP_EINVAL);
    assert_non_null(strstr(e.msg, "all 0"));
    p.class_weights = NULL;
    assert_int_equal(ramp_net_new(&net, &p, &e), RAMP_EINVAL);
    /* three classes out, two weights: refused when the net is first used */
    p.class_weights = w2;
    assert_int_equal(ramp_net_new(&net, &p, &e), RAMP_OK);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = 3});
    float X[2 * 4] = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, 1.0f, -0.5f, 0.25f};
    int32_t y[2] = {0, 1};
    double loss;
    assert_int_equal(ramp_net_forward_backward(net, X, y, 2, 0.f, &loss), RAMP_ESHAPE);
    assert_non_null(strstr(ramp_net_errmsg(net), "2 class_weights for an output of 3 classes"));
    ramp_net_free(net);
    /* two classes: the loss is (0.25 l0 + 3 l1) / 3.25 */
    assert_int_equal(ramp_net_new(&net, &p, &e), RAMP_OK);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = 2});
    assert_int_equal(ramp_net_forward_backward(net, X, y, 2, 0.f, &loss), RAMP_OK);
    float pr[4];
    assert_int_equal(ramp_net_predict(net, X, 2, pr), RAMP_OK);
    double want = (0.25 * -log(pr[0]) + 3.0 * -log(pr[3])) / 3.25;
    if (!(fabs(loss - want) < 1e-5 * want))
        fprintf(stderr, "weighted classifier loss %.9g, by hand %.9g\n", loss, want);
    assert_true(fabs(loss - want) < 1e-5 * want);
    ramp_net_free(net);
}

static void test_seg_torch_ref(void **state)
{
    (void)state;
    seg_torch(RAMP_NN_REF);
}

static void test_seg_torch_dnnl(void **state)
{
    (void)state;
    seg_torch(RAMP_NN_DNNL);
}

/* Gradients through upsampling (both modes, odd and even factors) and
   transposed convolutions (strides, paddings, output paddings, no bias):
   the first conv's weight gradient, and the transposed conv's own, against
   central differences of the per-pixel loss, on both backends. */
static void fd_param(ramp_net *net, const ramp_batch *b, int id, size_t nw, const char *what)
{
    float w[128], gw[128];
    assert_true(nw <= 128);
    double loss;
    assert_int_equal(ramp_net_forward_backward_batch(net, b, &loss), RAMP_OK);
    assert_int_equal(ramp_net_get_param(net, id, 0, w, nw), RAMP_OK);
    assert_int_equal(ramp_net_get_grad(net, id, 0, gw, nw), RAMP_OK);
    for (size_t k = 0; k < nw; k += 1 + nw / 12) {
        float keep = w[k];
        double l[2];
        for (int s = 0; s < 2; s++) {
            w[k] = keep + (s ? -1e-2f : 1e-2f);
            assert_int_equal(ramp_net_set_param(net, id, 0, w, nw), RAMP_OK);
            assert_int_equal(ramp_net_forward_backward_batch(net, b, &l[s]), RAMP_OK);
        }
        w[k] = keep;
        assert_int_equal(ramp_net_set_param(net, id, 0, w, nw), RAMP_OK);
        double fd = (l[0] - l[1]) / 2e-2;
        if (fabs(fd - gw[k]) > 2e-3 + 2e-2 * fabs(fd))
            fprintf(stderr, "%s: dL/dw[%zu] of layer %d %g, finite difference %g\n", what, k, id,
                    gw[k], fd);
        assert_true(fabs(fd - gw[k]) <= 2e-3 + 2e-2 * fabs(fd));
    }
}

static void layer_fd(int backend, int which)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 2,
                                                     .height = 5,
                                                     .width = 4,
                                                     .backend = backend,
                                                     .seed = 7,
                                                     .loss = RAMP_LOSS_PIXEL_SOFTMAX},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 3, .kernel = 1});
    switch (which) {
    case 0:
        ramp_net_upsample(net, 3, RAMP_UPSAMPLE_BILINEAR);
        break;
    case 1:
        ramp_net_upsample(net, 2, RAMP_UPSAMPLE_NEAREST);
        break;
    case 2:
        ramp_net_upsample(net, 4, RAMP_UPSAMPLE_BILINEAR);
        break;
    case 3:
        ramp_net_conv_transpose2d(net,
                                  &(ramp_conv_transpose2d){.filters = 2, .kernel = 2, .stride = 2});
        break;
    case 4:
        ramp_net_conv_transpose2d(
            net, &(ramp_conv_transpose2d){
                     .filters = 2, .kernel = 4, .stride = 3, .padding = 2, .output_padding = 2});
        break;
    default:
        ramp_net_conv_transpose2d(
            net, &(ramp_conv_transpose2d){.filters = 2, .kernel = 3, .padding = 1, .no_bias = 1});
        break;
    }
    assert_int_equal(ramp_net_last(net), 2);
    int sh[3];
    assert_int_equal(ramp_net_layer_shape(net, 2, sh), RAMP_OK);
    size_t n = 2, in = 2 * 5 * 4, hw = (size_t)sh[1] * sh[2];
    float X[80];
    int32_t *mask = malloc(n * hw * sizeof *mask);
    assert_non_null(mask);
    ramp_rng g;
    ramp_rng_seed(&g, 99, (uint64_t)which);
    for (size_t i = 0; i < n * in; i++)
        X[i] = (float)(2 * ramp_rng_uniform(&g) - 1);
    for (size_t i = 0; i < n * hw; i++)
        mask[i] = (int32_t)(ramp_rng_uniform(&g) * sh[0]);
    mask[1] = RAMP_IGNORE_LABEL;
    ramp_batch b = {.X = X,
                    .n = n,
                    .sample_size = in,
                    .ndim = 3,
                    .shape = {2, 5, 4},
                    .mask = mask,
                    .mask_h = sh[1],
                    .mask_w = sh[2]};
    char what[64];
    snprintf(what, sizeof what, "case %d, backend %d", which, backend);
    fd_param(net, &b, 1, 6, what);
    if (which >= 3) {
        const int k[3] = {2, 4, 3};
        fd_param(net, &b, 2, (size_t)3 * 2 * k[which - 3] * k[which - 3], what);
    }
    free(mask);
    ramp_net_free(net);
}

/* The same net on both backends gives the same outputs and gradients. */
static void backends_agree(int which)
{
    static float out[2][8192];
    float g[2][128];
    size_t cnt = 0;
    for (int be = 0; be < 2; be++) {
        ramp_net *net = NULL;
        assert_int_equal(ramp_net_new(&net,
                                      &(ramp_net_params){.channels = 3,
                                                         .height = 7,
                                                         .width = 6,
                                                         .backend = be,
                                                         .seed = 11,
                                                         .loss = RAMP_LOSS_PIXEL_SOFTMAX},
                                      NULL),
                         RAMP_OK);
        if (which == 0)
            ramp_net_upsample(net, 5, RAMP_UPSAMPLE_BILINEAR);
        else
            ramp_net_conv_transpose2d(
                net,
                &(ramp_conv_transpose2d){
                    .filters = 4, .kernel = 3, .stride = 3, .padding = 1, .output_padding = 1});
        ramp_net_relu(net);
        assert_int_equal(
            ramp_net_conv2d(net, &(ramp_conv2d){.filters = 2, .kernel = 3, .padding = 1}), RAMP_OK);
        int sh[3];
        assert_int_equal(ramp_net_layer_shape(net, 3, sh), RAMP_OK);
        float X[2 * 126];
        ramp_rng r;
        ramp_rng_seed(&r, 5, 0);
        for (int i = 0; i < 2 * 126; i++)
            X[i] = (float)(2 * ramp_rng_uniform(&r) - 1);
        size_t hw = (size_t)sh[1] * sh[2];
        int32_t *mask = malloc(2 * hw * sizeof *mask);
        assert_non_null(mask);
        for (size_t i = 0; i < 2 * hw; i++)
            mask[i] = (int32_t)(i * 7 % 3 == 0);
        ramp_batch b = {.X = X,
                        .n = 2,
                        .sample_size = 126,
                        .ndim = 3,
                        .shape = {3, 7, 6},
                        .mask = mask,
                        .mask_h = sh[1],
                        .mask_w = sh[2]};
        double loss;
        assert_int_equal(ramp_net_forward_backward_batch(net, &b, &loss), RAMP_OK);
        cnt = 2 * (size_t)sh[0] * hw;
        assert_true(cnt <= 8192);
        assert_int_equal(ramp_net_get_output(net, 3, out[be], cnt), RAMP_OK);
        assert_int_equal(ramp_net_get_grad(net, 3, 0, g[be], (size_t)(which ? 4 : 3) * 2 * 9),
                         RAMP_OK);
        free(mask);
        ramp_net_free(net);
    }
    check("backends: output", out[1], out[0], cnt, 1e-10);
    check("backends: grad", g[1], g[0], (size_t)(which ? 4 : 3) * 2 * 9, 1e-9);
}

static void test_layers_fd(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++)
        for (int which = 0; which < 6; which++)
            layer_fd(be, which);
    backends_agree(0);
    backends_agree(1);
}

/* The weight file rebuilds the new layers (and new_from_file takes the loss
   from its params): same outputs, same summary. */
static void test_weight_file(void **state)
{
    (void)state;
    ramp_net *a = seg_net(RAMP_NN_REF), *b = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/tests/test_nn_dense_w.bin", RAMP_BINARY_DIR);
    assert_int_equal(ramp_net_save(a, path), RAMP_OK);
    ramp_err err;
    assert_int_equal(ramp_net_new_from_file(&b, path,
                                            &(ramp_net_params){.backend = RAMP_NN_DNNL,
                                                               .loss = RAMP_LOSS_PIXEL_SOFTMAX},
                                            &err),
                     RAMP_OK);
    assert_string_equal(ramp_net_layer_type(b, 5), "Upsample");
    assert_string_equal(ramp_net_layer_type(b, 7), "ConvTranspose2D");
    char sa[4096], sb[4096];
    ramp_net_summary_str(a, sa, sizeof sa);
    ramp_net_summary_str(b, sb, sizeof sb);
    assert_string_equal(sa, sb);
    assert_non_null(strstr(sa, "Upsample x3 bilinear"));
    assert_non_null(strstr(sa, "ConvTranspose2D k3 s2"));
    float X[2 * 108], pa[2 * 108], pb[2 * 108];
    for (int i = 0; i < 2 * 108; i++)
        X[i] = (float)((i * 37) % 19) / 9.f - 1.f;
    assert_int_equal(ramp_net_predict(a, X, 2, pa), RAMP_OK);
    assert_int_equal(ramp_net_predict(b, X, 2, pb), RAMP_OK);
    check("reloaded probs", pb, pa, 2 * 108, 1e-10);
    remove(path);
    ramp_net_free(a);
    ramp_net_free(b);
}

/* --- the CenterNet loss against PyTorch ---------------------------------- */

static void centernet_case(const fixture *fx, int base, const ramp_centernet *cfg, int hw,
                           int in_hw)
{
    int c = ramp__centernet_channels(cfg);
    size_t n = 2, chw = (size_t)c * hw * hw;
    assert_int_equal(fx->n[base], n * chw);
    size_t n_obj = fx->n[base + 1] / 5;
    ramp_obj objs[16];
    assert_true(n_obj <= 16);
    for (size_t i = 0; i < n_obj; i++) {
        const float *row = fx->a[base + 1] + 5 * i;
        objs[i] = (ramp_obj){.cls = (int32_t)row[0], .g = {row[1], row[2], row[3], row[4]}};
    }
    size_t off[3] = {(size_t)fx->a[base + 2][0], (size_t)fx->a[base + 2][1],
                     (size_t)fx->a[base + 2][2]};
    float *dl = malloc(n * chw * sizeof *dl), *probs = malloc(n * chw * sizeof *probs);
    assert_non_null(dl);
    assert_non_null(probs);
    double loss;
    size_t num, den;
    ramp_err err;
    assert_int_equal(ramp__centernet_loss(&loss, probs, dl, &num, &den, fx->a[base], objs, off, n,
                                          c, hw, hw, cfg, in_hw, in_hw, &err),
                     RAMP_OK);
    if (fabs(loss - fx->a[base + 3][0]) >= 1e-5 * fabs(fx->a[base + 3][0]))
        fprintf(stderr, "centernet loss %.9g, torch %.9g\n", loss, fx->a[base + 3][0]);
    assert_true(fabs(loss - fx->a[base + 3][0]) < 1e-5 * fabs(fx->a[base + 3][0]));
    check("centernet dloss", dl, fx->a[base + 4], n * chw, 1e-9);
    for (size_t j = 0; j < (size_t)cfg->n_classes * hw * hw; j++) /* sigmoid on the heat */
        assert_true(fabs(probs[j] - 1 / (1 + exp(-fx->a[base][j]))) < 1e-6);
    assert_true(probs[chw - 1] == fx->a[base][chw - 1]); /* the rest as it is */
    /* finite differences of the loss itself, on the heat values (smooth) */
    float *z = malloc(n * chw * sizeof *z);
    assert_non_null(z);
    memcpy(z, fx->a[base], n * chw * sizeof *z);
    for (size_t j = 0; j < (size_t)cfg->n_classes * hw * hw; j += 3) {
        double l[2];
        float keep = z[j];
        for (int s = 0; s < 2; s++) {
            z[j] = keep + (s ? -1e-3f : 1e-3f);
            assert_int_equal(ramp__centernet_loss(&l[s], NULL, NULL, NULL, NULL, z, objs, off, n, c,
                                                  hw, hw, cfg, in_hw, in_hw, &err),
                             RAMP_OK);
        }
        z[j] = keep;
        double fd = (l[0] - l[1]) / 2e-3;
        assert_true(fabs(fd - dl[j]) <= 1e-4 + 1e-2 * fabs(fd));
    }
    /* a class out of range is refused, naming the object */
    objs[0].cls = cfg->n_classes;
    assert_int_equal(ramp__centernet_loss(&loss, NULL, NULL, NULL, NULL, z, objs, off, n, c, hw, hw,
                                          cfg, in_hw, in_hw, &err),
                     RAMP_ERANGE);
    assert_non_null(strstr(err.msg, "object 0 of sample 0"));
    free(z);
    free(dl);
    free(probs);
}

static void test_centernet_loss(void **state)
{
    (void)state;
    fixture fx;
    load(&fx, "centernet.bin");
    assert_int_equal(fx.count, 10);
    centernet_case(&fx, 0, &(ramp_centernet){.n_classes = 2, .offset = 1}, 4, 16);
    centernet_case(&fx, 5, &(ramp_centernet){.n_classes = 1, .geometry = 1, .size_weight = 0.5f}, 5,
                   10);
    unload(&fx);
}

/* --- decoding ------------------------------------------------------------- */

static void test_centernet_decode(void **state)
{
    (void)state;
    /* K = 2, boxes with offsets, 5×6 cells at stride 4×2 */
    enum { H = 5, W = 6, C = 6 };
    float m[C * H * W] = {0};
#define AT(c, i, j) m[((c)*H + (i)) * W + (j)]
    AT(0, 1, 1) = 0.9f; /* a peak with a weaker neighbour */
    AT(0, 1, 2) = 0.6f;
    AT(0, 3, 4) = 0.4f;  /* a second peak of class 0 */
    AT(1, 1, 2) = 0.7f;  /* class 1 at a cell class 0 also uses: its own map */
    AT(1, 4, 5) = 0.05f; /* below min_conf */
    AT(2, 1, 1) = 2.0f;  /* w, h of the first, in cells */
    AT(3, 1, 1) = 3.0f;
    AT(4, 1, 1) = 0.25f; /* its offset */
    AT(5, 1, 1) = 0.75f;
    AT(2, 1, 2) = 1.0f;
    AT(3, 1, 2) = 1.0f;
    ramp_centernet cfg = {.n_classes = 2, .offset = 1};
    ramp_obj o[8];
    int n = -1;
    assert_int_equal(ramp_centernet_decode(m, C, H, W, &cfg, 4.f, 2.f, 8, 0.1f, o, &n), RAMP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(o[0].cls, 0);
    assert_true(fabsf(o[0].conf - 0.9f) < 1e-6f);
    /* centre ((1 + 0.25)·4, (1 + 0.75)·2) = (5, 3.5); box 8 × 6 */
    assert_true(fabsf(o[0].g[0] - 1.f) < 1e-5f && fabsf(o[0].g[1] - 0.5f) < 1e-5f);
    assert_true(fabsf(o[0].g[2] - 9.f) < 1e-5f && fabsf(o[0].g[3] - 6.5f) < 1e-5f);
    assert_int_equal(o[1].cls, 1);
    assert_true(fabsf(o[1].conf - 0.7f) < 1e-6f);
    /* offset 0 there: centre (2·4, 1·2) = (8, 2), box 4 × 2 */
    assert_true(fabsf(o[1].g[0] - 6.f) < 1e-5f && fabsf(o[1].g[3] - 3.f) < 1e-5f);
    assert_int_equal(o[2].cls, 0);
    assert_true(fabsf(o[2].conf - 0.4f) < 1e-6f);
    /* max_objects cuts the lowest */
    assert_int_equal(ramp_centernet_decode(m, C, H, W, &cfg, 4.f, 2.f, 2, 0.1f, o, &n), RAMP_OK);
    assert_int_equal(n, 2);
    /* circles without offsets: the cell's centre, radius in cells · mean stride */
    ramp_centernet cc = {.n_classes = 1, .geometry = 1};
    float mc[2 * 3 * 3] = {0};
    mc[4] = 0.8f;     /* class 0 at (1, 1) */
    mc[9 + 4] = 1.5f; /* radius 1.5 cells */
    assert_int_equal(ramp_centernet_decode(mc, 2, 3, 3, &cc, 2.f, 2.f, 4, 0.5f, o, &n), RAMP_OK);
    assert_int_equal(n, 1);
    assert_true(fabsf(o[0].g[0] - 3.f) < 1e-6f && fabsf(o[0].g[1] - 3.f) < 1e-6f);
    assert_true(fabsf(o[0].g[2] - 3.f) < 1e-6f && o[0].g[3] == 0.f);
    /* wrong channel count */
    assert_int_equal(ramp_centernet_decode(mc, 3, 3, 3, &cc, 2.f, 2.f, 4, 0.5f, o, &n),
                     RAMP_EINVAL);
#undef AT
}

/* --- generators ------------------------------------------------------------ */

static void test_generators(void **state)
{
    (void)state;
    enum { N = 5, HW = 4 };
    float X[N * 2];
    int32_t masks[N * HW];
    for (int i = 0; i < N; i++) {
        X[2 * i] = (float)i;
        X[2 * i + 1] = (float)-i;
        for (int p = 0; p < HW; p++)
            masks[i * HW + p] = i * 10 + p;
    }
    int shape[3] = {2, 1, 1};
    ramp_gen *g = NULL;
    ramp_err err;
    assert_int_equal(ramp_gen_from_arrays_masks(&g, X, masks, N, 3, shape, 2, 2, 3, 2, 1, 3, &err),
                     RAMP_OK);
    ramp_batch b;
    ramp_gen_pin *pin = NULL;
    int seen = 0;
    for (int s = 0; s < 3; s++) {
        assert_int_equal(ramp_gen_next_pinned(g, &b, &pin), RAMP_OK);
        ramp_batch b2;
        assert_int_equal(ramp_gen_next(g, &b2), RAMP_OK); /* moves the generator on */
        assert_null(b.y);
        assert_int_equal(b.mask_h, 2);
        assert_int_equal(b.mask_w, 2);
        for (size_t i = 0; i < b.n; i++) {
            int id = (int)b.X[2 * i];
            seen |= 1 << id;
            for (int p = 0; p < HW; p++)
                assert_int_equal(b.mask[i * HW + p], id * 10 + p);
        }
        ramp_gen_release(pin);
    }
    assert_int_equal(seen & 0x1f, seen); /* every id a sample's */
    ramp_gen_free(g);
    assert_int_equal(ramp_gen_from_arrays_masks(&g, X, NULL, N, 3, shape, 2, 2, 3, 2, 1, 3, &err),
                     RAMP_EINVAL);

    /* objects: sample i has i objects, of class i, x0 = 100·i + k */
    ramp_obj objs[10];
    size_t off[N + 1] = {0}, q = 0;
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < i; k++)
            objs[q++] = (ramp_obj){.cls = i, .g = {(float)(100 * i + k), 0, 1, 1}};
        off[i + 1] = q;
    }
    assert_int_equal(ramp_gen_from_arrays_objs(&g, X, objs, off, N, 3, shape, 5, 3, 1, 9, &err),
                     RAMP_OK);
    size_t total = 0;
    for (int s = 0; s < 4; s++) {
        assert_int_equal(ramp_gen_next_pinned(g, &b, &pin), RAMP_OK);
        ramp_batch b2;
        assert_int_equal(ramp_gen_next(g, &b2), RAMP_OK);
        assert_int_equal(b.obj_off[0], 0);
        for (size_t i = 0; i < b.n; i++) {
            int id = (int)b.X[2 * i];
            assert_int_equal(b.obj_off[i + 1] - b.obj_off[i], (size_t)id);
            for (size_t k = b.obj_off[i]; k < b.obj_off[i + 1]; k++) {
                assert_int_equal(b.obj[k].cls, id);
                assert_true(b.obj[k].g[0] == (float)(100 * id + (int)(k - b.obj_off[i])));
            }
            total += (size_t)id;
        }
        ramp_gen_release(pin);
    }
    assert_true(total > 0);
    ramp_gen_free(g);
    off[3] = 0; /* decreasing */
    assert_int_equal(ramp_gen_from_arrays_objs(&g, X, objs, off, N, 3, shape, 5, 3, 1, 9, &err),
                     RAMP_EINVAL);
    assert_non_null(strstr(err.msg, "decreases at sample 2"));
}

/* --- errors ---------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    ramp_net *net = NULL;
    /* a mask of another size than the output is refused, naming both */
    assert_int_equal(
        ramp_net_new(&net,
                     &(ramp_net_params){
                         .channels = 1, .height = 8, .width = 8, .loss = RAMP_LOSS_PIXEL_SOFTMAX},
                     NULL),
        RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 3, .kernel = 3, .padding = 1});
    ramp_net_maxpool(net, 2, 2, 0);
    float X[64] = {0};
    int32_t mask[64] = {0};
    ramp_batch b = {.X = X,
                    .n = 1,
                    .sample_size = 64,
                    .ndim = 3,
                    .shape = {1, 8, 8},
                    .mask = mask,
                    .mask_h = 8,
                    .mask_w = 8};
    double loss;
    assert_int_equal(ramp_net_forward_backward_batch(net, &b, &loss), RAMP_ESHAPE);
    assert_non_null(strstr(ramp_net_errmsg(net), "masks are 8x8"));
    assert_non_null(strstr(ramp_net_errmsg(net), "is 4x4"));
    b.mask_h = b.mask_w = 4;
    mask[5] = 3; /* class out of range */
    assert_int_equal(ramp_net_forward_backward_batch(net, &b, &loss), RAMP_ERANGE);
    mask[5] = RAMP_IGNORE_LABEL;
    assert_int_equal(ramp_net_forward_backward_batch(net, &b, &loss), RAMP_OK);
    b.mask = NULL; /* masks needed */
    assert_int_equal(ramp_net_forward_backward_batch(net, &b, &loss), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "needs masks"));
    int32_t y = 0;
    assert_int_equal(ramp_net_evaluate(net, X, &y, 1, &loss, NULL), RAMP_EUNSUPPORTED);
    /* ONNX export refuses the new layers, naming them (or has no ONNX) */
    ramp_net_free(net);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(ramp_net_new(&net,
                                      &(ramp_net_params){.channels = 1,
                                                         .height = 4,
                                                         .width = 4,
                                                         .backend = RAMP_NN_REF,
                                                         .loss = RAMP_LOSS_PIXEL_SOFTMAX},
                                      NULL),
                         RAMP_OK);
        ramp_net_conv2d(net, &(ramp_conv2d){.filters = 2, .kernel = 1});
        if (k)
            ramp_net_conv_transpose2d(
                net, &(ramp_conv_transpose2d){.filters = 2, .kernel = 2, .stride = 2});
        else
            ramp_net_upsample(net, 2, RAMP_UPSAMPLE_NEAREST);
        assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){.filters = 2, .kernel = 1}), RAMP_OK);
        char path[512];
        snprintf(path, sizeof path, "%s/tests/test_nn_dense.onnx", RAMP_BINARY_DIR);
        remove(path);
        assert_int_equal(ramp_net_save_onnx(net, path), RAMP_EUNSUPPORTED);
        const char *msg = ramp_net_errmsg(net);
        if (!strstr(msg, "built without ONNX")) {
            assert_non_null(strstr(msg, k ? "layer 2 (ConvTranspose2D)" : "layer 2 (Upsample)"));
            FILE *f = fopen(path, "rb");
            if (f) fclose(f);
            assert_null(f); /* nothing written */
        }
        ramp_net_free(net);
    }
    /* a final softmax layer folds into the per-pixel loss on both backends */
    for (int be = 0; be < 2; be++) {
        assert_int_equal(ramp_net_new(&net,
                                      &(ramp_net_params){.channels = 1,
                                                         .height = 8,
                                                         .width = 8,
                                                         .backend = be,
                                                         .loss = RAMP_LOSS_PIXEL_SOFTMAX},
                                      NULL),
                         RAMP_OK);
        ramp_net_conv2d(net, &(ramp_conv2d){.filters = 3, .kernel = 3, .padding = 1});
        assert_int_equal(ramp_net_softmax(net), RAMP_OK);
        float Xs[2 * 64], Ps[2 * 3 * 64];
        for (int i = 0; i < 2 * 64; i++)
            Xs[i] = (float)(i % 5) - 2.f;
        assert_int_equal(ramp_net_predict(net, Xs, 2, Ps), RAMP_OK);
        for (int i = 0; i < 2 * 64; i++) {
            int n = i / 64, p = i % 64;
            const float *q = Ps + (size_t)n * 3 * 64 + p;
            assert_true(fabsf(q[0] + q[64] + q[128] - 1.f) < 1e-5f);
        }
        ramp_net_free(net);
    }
    /* the default (softmax) loss on a 3-D output, a CenterNet head of the
       wrong width */
    for (int l = RAMP_LOSS_AUTO; l <= RAMP_LOSS_SOFTMAX; l++) {
        assert_int_equal(
            ramp_net_new(
                &net,
                &(ramp_net_params){.channels = 1, .height = 4, .width = 4, .loss = (ramp_loss)l},
                NULL),
            RAMP_OK);
        ramp_net_conv2d(net, &(ramp_conv2d){.filters = 2, .kernel = 1});
        float P[32];
        assert_int_equal(ramp_net_predict(net, X, 1, P), RAMP_ESHAPE);
        assert_non_null(strstr(ramp_net_errmsg(net), "RAMP_LOSS_PIXEL_SOFTMAX"));
        ramp_net_free(net);
    }
    float P[32];
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 1,
                                                     .height = 4,
                                                     .width = 4,
                                                     .loss = RAMP_LOSS_CENTERNET,
                                                     .centernet = {.n_classes = 2}},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 5, .kernel = 1});
    assert_int_equal(ramp_net_predict(net, X, 1, P), RAMP_ESHAPE);
    assert_non_null(strstr(ramp_net_errmsg(net), "must have 4 channels"));
    ramp_net_free(net);
    /* bad layer options */
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 1, .height = 4, .width = 4}, NULL),
        RAMP_OK);
    assert_int_equal(ramp_net_upsample(net, 9, RAMP_UPSAMPLE_NEAREST), RAMP_EINVAL);
    ramp_net_free(net);
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 1, .height = 4, .width = 4}, NULL),
        RAMP_OK);
    assert_int_equal(
        ramp_net_conv_transpose2d(
            net,
            &(ramp_conv_transpose2d){.filters = 1, .kernel = 3, .stride = 2, .output_padding = 2}),
        RAMP_EINVAL);
    ramp_net_free(net);
}

/* --- nets that train -------------------------------------------------------- */

static double normal(ramp_rng *r)
{
    double u1 = ramp_rng_uniform(r), u2 = ramp_rng_uniform(r);
    if (u1 < 1e-12) u1 = 1e-12;
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

/* A square of side s at (x, y) of value v into image `img` (side S) and,
   when mask is set, class k into it; returns nothing. */
static void square(float *img, int32_t *mask, int S, int x, int y, int s, float v, int k)
{
    for (int i = y; i < y + s && i < S; i++)
        for (int j = x; j < x + s && j < S; j++) {
            img[i * S + j] += v;
            if (mask) mask[i * S + j] = k;
        }
}

static int stop_never(const ramp_fit_progress *p, void *u)
{
    (void)p;
    (void)u;
    return 0;
}

/* Bright squares (class 1) and dark ones (class 2) on noise (class 0): a
   small U-Net (conv, pool, conv, transposed conv, concat skip, conv, 1×1
   conv) must beat the majority class by far on held-out images. */
static void test_train_segmenter(void **state)
{
    (void)state;
    enum { S = 16, NT = 192, NV = 64, N = NT + NV };
    float *X = calloc((size_t)N * S * S, sizeof *X);
    int32_t *M = calloc((size_t)N * S * S, sizeof *M);
    assert_non_null(X);
    assert_non_null(M);
    ramp_rng r;
    ramp_rng_seed(&r, 2026, 1);
    for (int i = 0; i < N; i++) {
        float *img = X + (size_t)i * S * S;
        for (int p = 0; p < S * S; p++)
            img[p] = (float)(0.4 * normal(&r));
        for (int k = 1; k <= 2; k++) {
            int s = 3 + (int)(ramp_rng_uniform(&r) * 4);
            int x = (int)(ramp_rng_uniform(&r) * (S - s)),
                y = (int)(ramp_rng_uniform(&r) * (S - s));
            square(img, M + (size_t)i * S * S, S, x, y, s, k == 1 ? 1.f : -1.f, k);
        }
    }
    size_t bg = 0;
    for (size_t p = (size_t)NT * S * S; p < (size_t)N * S * S; p++)
        bg += M[p] == 0;
    double base = (double)bg / ((double)NV * S * S);
    int shape[3] = {1, S, S};
    ramp_gen *tr = NULL, *va = NULL;
    assert_int_equal(ramp_gen_from_arrays_masks(&tr, X, M, NT, 3, shape, S, S, 3, 16, 1, 5, NULL),
                     RAMP_OK);
    assert_int_equal(ramp_gen_from_arrays_masks(&va, X + (size_t)NT * S * S, M + (size_t)NT * S * S,
                                                NV, 3, shape, S, S, 3, 32, 0, 0, NULL),
                     RAMP_OK);
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 1,
                                                     .height = S,
                                                     .width = S,
                                                     .seed = 3,
                                                     .n_threads = 1,
                                                     .loss = RAMP_LOSS_PIXEL_SOFTMAX},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 8, .kernel = 3, .padding = 1});
    int skip = ramp_net_relu(net) ? -1 : ramp_net_last(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 16, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    ramp_net_conv_transpose2d(net,
                              &(ramp_conv_transpose2d){.filters = 8, .kernel = 2, .stride = 2});
    ramp_net_relu(net);
    ramp_net_concat(net, skip);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 8, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){.filters = 3, .kernel = 1}), RAMP_OK);
    ramp_fit_opts o = {
        .epochs = 12, .optimizer = RAMP_OPT_ADAM, .lr = 0.01f, .progress = stop_never};
    ramp_status st = ramp_net_fit_generator(net, tr, NT, va, NV, &o);
    if (st) fprintf(stderr, "%s\n", ramp_net_errmsg(net));
    assert_int_equal(st, RAMP_OK);
    size_t nh;
    const ramp_fit_progress *h = ramp_net_history(net, &nh);
    double acc = h[nh - 1].val_acc;
    fprintf(stderr, "segmenter: validation pixel accuracy %.4f (majority %.4f), loss %.4f\n", acc,
            base, h[nh - 1].val_loss);
    assert_true(acc > base + 0.6 * (1 - base));
    /* predict: per-pixel probabilities summing to 1, argmax = the accuracy */
    float *P = malloc((size_t)NV * 3 * S * S * sizeof *P);
    assert_non_null(P);
    assert_int_equal(ramp_net_predict(net, X + (size_t)NT * S * S, NV, P), RAMP_OK);
    size_t ok = 0;
    for (int i = 0; i < NV; i++)
        for (int p = 0; p < S * S; p++) {
            const float *q = P + (size_t)i * 3 * S * S + p;
            float sum = q[0] + q[S * S] + q[2 * S * S];
            assert_true(fabsf(sum - 1.f) < 1e-4f);
            int am = q[S * S] > q[0] ? 1 : 0;
            if (q[2 * S * S] > q[(size_t)am * S * S]) am = 2;
            ok += am == M[((size_t)NT + i) * S * S + p];
        }
    assert_true(fabs((double)ok / ((double)NV * S * S) - acc) < 1e-3);
    free(P);
    ramp_net_free(net);
    ramp_gen_free(tr);
    ramp_gen_free(va);
    free(X);
    free(M);
}

/* Bright squares (class 0) and dark ones (class 1), one or two an image:
   a small CenterNet at stride 4 must reach a decent mAP (IoU 0.5) on
   held-out images through ramp_net_detect. */
static void disc(float *img, int S, float cx, float cy, float rad, float v)
{
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++)
            if ((j + 0.5f - cx) * (j + 0.5f - cx) + (i + 0.5f - cy) * (i + 0.5f - cy) <= rad * rad)
                img[i * S + j] += v;
}

/* circles = 0: bright squares (class 0) and dark ones (class 1), boxes with
   offsets; 1: bright discs (one class), circles without offsets. */
static void train_detector(int circles)
{
    enum { S = 32, NT = 256, NV = 64, N = NT + NV };
    float *X = calloc((size_t)N * S * S, sizeof *X);
    ramp_obj *objs = calloc((size_t)N * 2, sizeof *objs);
    size_t *off = calloc(N + 1, sizeof *off);
    assert_non_null(X);
    assert_non_null(objs);
    assert_non_null(off);
    ramp_rng r;
    ramp_rng_seed(&r, 2026, 2);
    size_t q = 0;
    for (int i = 0; i < N; i++) {
        float *img = X + (size_t)i * S * S;
        for (int p = 0; p < S * S; p++)
            img[p] = (float)(0.3 * normal(&r));
        int k = 1 + (ramp_rng_uniform(&r) < 0.5);
        for (int j = 0; j < k; j++) {
            int s = 6 + (int)(ramp_rng_uniform(&r) * 7);
            /* the second in the other half, so they do not overlap */
            int x = (int)(ramp_rng_uniform(&r) * (S / 2 - s)) + (j ? S / 2 : 0);
            int y = (int)(ramp_rng_uniform(&r) * (S - s));
            if (s > S / 2) s = S / 2;
            int cls = !circles && ramp_rng_uniform(&r) < 0.5;
            if (circles) {
                float cx = x + s / 2.f, cy = y + s / 2.f, rad = s / 2.f;
                disc(img, S, cx, cy, rad, 1.f);
                objs[q++] = (ramp_obj){.cls = 0, .g = {cx, cy, rad, 0}};
                continue;
            }
            square(img, NULL, S, x, y, s, cls ? -1.f : 1.f, 0);
            objs[q++] =
                (ramp_obj){.cls = cls, .g = {(float)x, (float)y, (float)(x + s), (float)(y + s)}};
        }
        off[i + 1] = q;
    }
    int shape[3] = {1, S, S};
    ramp_gen *tr = NULL, *va = NULL;
    assert_int_equal(ramp_gen_from_arrays_objs(&tr, X, objs, off, NT, 3, shape, 2, 16, 1, 5, NULL),
                     RAMP_OK);
    size_t voff[NV + 1];
    for (int i = 0; i <= NV; i++)
        voff[i] = off[NT + i] - off[NT];
    assert_int_equal(ramp_gen_from_arrays_objs(&va, X + (size_t)NT * S * S, objs + off[NT], voff,
                                               NV, 3, shape, 2, 16, 0, 0, NULL),
                     RAMP_OK);
    ramp_net *net = NULL;
    ramp_centernet head = {.n_classes = circles ? 1 : 2, .geometry = circles, .offset = !circles};
    int C = circles ? 2 : 6, K = head.n_classes;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 1,
                                                     .height = S,
                                                     .width = S,
                                                     .seed = 4,
                                                     .n_threads = 1,
                                                     .loss = RAMP_LOSS_CENTERNET,
                                                     .centernet = head},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 16, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 32, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 32, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){.filters = C, .kernel = 1}), RAMP_OK);
    int out = ramp_net_last(net);
    float b[6] = {0};
    for (int k = 0; k < K; k++)
        b[k] = -2.19f; /* heat starts at p = 0.1 (CenterNet's) */
    assert_int_equal(ramp_net_set_param(net, out, 1, b, (size_t)C), RAMP_OK);
    ramp_fit_opts o = {.epochs = 12, .optimizer = RAMP_OPT_ADAM, .lr = 4e-3f};
    ramp_status st = ramp_net_fit_generator(net, tr, NT, va, NV, &o);
    if (st) fprintf(stderr, "%s\n", ramp_net_errmsg(net));
    assert_int_equal(st, RAMP_OK);
    enum { MAXO = 10 };
    ramp_obj *pred = calloc((size_t)NV * MAXO, sizeof *pred);
    int *cnt = calloc(NV, sizeof *cnt);
    ramp_det_obj *t = calloc((size_t)NV * 2, sizeof *t), *p = calloc((size_t)NV * MAXO, sizeof *p);
    ramp_det_image *im = calloc(NV, sizeof *im);
    assert_true(pred && cnt && t && p && im);
    assert_int_equal(ramp_net_detect(net, X + (size_t)NT * S * S, NV, MAXO, 0.05f, pred, cnt),
                     RAMP_OK);
    size_t nt = 0, np = 0;
    for (int i = 0; i < NV; i++) {
        im[i].truth = t + nt;
        im[i].pred = p + np;
        for (size_t k = off[NT + i]; k < off[NT + i + 1]; k++, nt++) {
            t[nt].cls = objs[k].cls;
            for (int c = 0; c < 4; c++)
                t[nt].g[c] = objs[k].g[c];
        }
        im[i].n_truth = off[NT + i + 1] - off[NT + i];
        for (int k = 0; k < cnt[i]; k++, np++) {
            const ramp_obj *o2 = &pred[(size_t)i * MAXO + (size_t)k];
            p[np].cls = o2->cls;
            p[np].conf = o2->conf;
            for (int c = 0; c < 4; c++)
                p[np].g[c] = o2->g[c];
        }
        im[i].n_pred = (size_t)cnt[i];
    }
    ramp_det_eval *ev = NULL;
    ramp_det_params dp = {.geom = circles ? RAMP_DET_CIRCLE : RAMP_DET_BOX};
    assert_int_equal(ramp_det_eval_new(&ev, im, NV, K, &dp, NULL), RAMP_OK);
    double map = ramp_det_eval_map(ev, RAMP_DET_AP_ALL_POINT, NULL);
    size_t nh;
    const ramp_fit_progress *h = ramp_net_history(net, &nh);
    fprintf(stderr,
            "detector (%s): mAP@0.5 %.4f on %d images (%zu predictions), training loss "
            "%.4f, centres found %.3f; validation loss %.4f, centres found %.3f\n",
            circles ? "circles" : "boxes", map, NV, np, h[nh - 1].loss, h[nh - 1].acc,
            h[nh - 1].val_loss, h[nh - 1].val_acc);
    assert_true(map > (circles ? 0.5 : 0.6)); /* (circles: cell centres, no offsets) */
    assert_true(h[nh - 1].val_loss < h[0].val_loss && h[nh - 1].val_acc > 0.5);
    ramp_det_eval_free(ev);
    free(im);
    free(p);
    free(t);
    free(cnt);
    free(pred);
    ramp_gen_free(va);
    ramp_net_free(net);
    ramp_gen_free(tr);
    free(X);
    free(objs);
    free(off);
}

static void test_train_detector(void **state)
{
    (void)state;
    train_detector(0);
}

static void test_train_detector_circles(void **state)
{
    (void)state;
    train_detector(1);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seg_torch_ref),
        cmocka_unit_test(test_seg_weighted),
        cmocka_unit_test(test_class_weights),
        cmocka_unit_test(test_seg_torch_dnnl),
        cmocka_unit_test(test_layers_fd),
        cmocka_unit_test(test_centernet_loss),
        cmocka_unit_test(test_centernet_decode),
        cmocka_unit_test(test_generators),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_train_segmenter),
        cmocka_unit_test(test_train_detector),
        cmocka_unit_test(test_weight_file),
        cmocka_unit_test(test_train_detector_circles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
