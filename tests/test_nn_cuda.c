/* test_nn_cuda.c — every layer of a backend against the reference backend,
 * run per backend: the same nets (seeded alike), one training forward and
 * backward on the same batch, then the loss, every layer's output and
 * output gradient, every parameter's gradient, and evaluation's
 * probabilities (batch norm's running statistics) compared by normalised
 * MSE (ggml's test-backend-ops measure) against RAMP_NN_REF; then two
 * epochs of SGD, and the trained parameters and predictions compared.
 *
 *   test_nn_cuda          the oneDNN backend (runs everywhere; it keeps the
 *                         harness honest: a wrong gradient there fails it)
 *   test_nn_cuda --gpu    the CUDA backend (device cuda): SKIPPED where
 *                         ramp_cuda_available() says no (a build without
 *                         CUDA, or no driver or GPU), never passed there
 *
 * Dropout is compared on CUDA only: the oneDNN backend draws its masks in
 * its own layout, the CUDA backend from the reference's stream. */
#define _POSIX_C_SOURCE 200809L
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

enum { N = 4, C = 3, H = 9, W = 8, K = 5 };

typedef enum target { T_DNNL, T_CUDA } target;

static target g_target; /* set by main; read by the cases */

static void check(const char *what, int id, const float *got, const float *want, size_t n,
                  double tol)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        s += (double)want[i] * want[i];
    }
    double r = s > 0 ? e / s : e;
    if (!(r < tol))
        fprintf(stderr, "%s of layer %d: normalised MSE %g (tolerance %g)\n", what, id, r, tol);
    assert_true(r < tol);
}

/* Net 0: conv, batch norm, ReLU, max pool, grouped dilated conv with bias,
   leaky ReLU, average pool (padded), flatten, [dropout on CUDA], dense. */
static void build0(ramp_net *net, int dropout)
{
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 6, .kernel = 3, .padding = 1, .no_bias = 1});
    ramp_net_batchnorm(net, 0.2f, 0);
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 3, .padding = 2, .groups = 2,
                                        .dilation = 2});
    ramp_net_leaky_relu(net, 0.1f);
    ramp_net_avgpool(net, 3, 1, 1);
    ramp_net_flatten(net);
    if (dropout) ramp_net_dropout(net, 0.3f);
    ramp_net_dense(net, &(ramp_dense){.units = K});
}

/* Net 1: a residual block with a squeeze-and-excitation gate and a concat:
   conv, ReLU [a]; conv, batch norm, add a, tanh [t]; global pool, dense,
   sigmoid [gate]; t ⊙ gate; concat a; clip; strided conv; global pool;
   flatten; dense. */
static void build1(ramp_net *net, int dropout)
{
    (void)dropout;
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    int a = ramp_net_last(net);
    /* no bias before a batch norm: its gradient is zero up to rounding */
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 3, .padding = 1, .no_bias = 1});
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_add(net, a);
    ramp_net_tanh(net);
    int t = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    ramp_net_dense(net, &(ramp_dense){.units = 4});
    ramp_net_sigmoid(net);
    int gate = ramp_net_last(net);
    ramp_net_from(net, t);
    ramp_net_mul(net, gate);
    ramp_net_concat(net, a);
    ramp_net_clip(net, -0.5f, 0.5f);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 6, .kernel = 3, .stride = 2});
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = K});
}

/* Net 2: the dense kits' layers: a strided conv, a transposed convolution
   with output padding, bilinear and nearest upsampling, pools, conv, global
   pool, dense (shapes in the comments, from 3×9×8). */
static void build2(ramp_net *net, int dropout)
{
    (void)dropout;
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 3, .padding = 1}); /* 4×9×8 */
    ramp_net_relu(net);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 3, .stride = 2, .padding = 1});
    /* 4×5×4 → 3×10×8 */
    ramp_net_conv_transpose2d(net, &(ramp_conv_transpose2d){.filters = 3, .kernel = 3,
                                                            .stride = 2, .padding = 1,
                                                            .output_padding = 1});
    ramp_net_upsample(net, 2, RAMP_UPSAMPLE_BILINEAR); /* 3×20×16 */
    ramp_net_maxpool(net, 2, 2, 0);                    /* 3×10×8 */
    ramp_net_upsample(net, 3, RAMP_UPSAMPLE_NEAREST);  /* 3×30×24 */
    ramp_net_avgpool(net, 3, 3, 0);                    /* 3×10×8 */
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 3, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = K});
}

typedef void (*builder)(ramp_net *net, int dropout);

/* Everything one net gives after a training step and a prediction. */
typedef struct result {
    double loss;
    float *out[64], *dout[64], *grad[64][2], *probs;
    size_t n_out[64], n_grad[64][2];
    int n_layers;
} result;

static void run(result *r, builder b, int backend, ramp_device dev, int dropout)
{
    memset(r, 0, sizeof *r);
    ramp_net *net = NULL;
    ramp_err err = {RAMP_OK, ""};
    ramp_status st = ramp_net_new(&net,
                                  &(ramp_net_params){.channels = C, .height = H, .width = W,
                                                     .seed = 7, .backend = backend,
                                                     .device = dev, .no_fuse = 1,
                                                     .keep_grads = 1, .n_threads = 2},
                                  &err);
    if (st) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(st, RAMP_OK);
    b(net, dropout);
    float X[N * C * H * W];
    int32_t y[N];
    ramp_rng g;
    ramp_rng_seed(&g, 3, 0);
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) X[i] = (float)(2 * ramp_rng_uniform(&g) - 1);
    for (int i = 0; i < N; i++) y[i] = (int32_t)(i * 3 % K);
    st = ramp_net_forward_backward(net, X, y, N, 0.f, &r->loss);
    if (st) fprintf(stderr, "%s\n", ramp_net_errmsg(net));
    assert_int_equal(st, RAMP_OK);
    r->n_layers = ramp_net_n_layers(net);
    assert_true(r->n_layers <= 64);
    for (int id = 1; id < r->n_layers; id++) {
        int sh[3];
        assert_int_equal(ramp_net_layer_shape(net, id, sh), RAMP_OK);
        size_t cnt = (size_t)N * sh[0] * sh[1] * sh[2];
        r->out[id] = malloc(cnt * sizeof(float));
        r->dout[id] = malloc(cnt * sizeof(float));
        assert_non_null(r->out[id]);
        assert_non_null(r->dout[id]);
        r->n_out[id] = cnt;
        assert_int_equal(ramp_net_get_output(net, id, r->out[id], cnt), RAMP_OK);
        if (ramp_net_get_output_grad(net, id, r->dout[id], cnt) != RAMP_OK) {
            free(r->dout[id]); /* a layer without a gradient (the final one's input side) */
            r->dout[id] = NULL;
        }
        for (int k = 0; k < 2; k++) {
            const ramp__param *p = &net->nodes[id].p[k]; /* its size: the engine's internals */
            if (!p->used || !p->trainable) continue;
            size_t n = p->n_plain;
            r->grad[id][k] = malloc(n * sizeof(float));
            assert_non_null(r->grad[id][k]);
            assert_int_equal(ramp_net_get_grad(net, id, k, r->grad[id][k], n), RAMP_OK);
            r->n_grad[id][k] = n;
        }
    }
    r->probs = malloc((size_t)N * K * sizeof(float));
    assert_non_null(r->probs);
    assert_int_equal(ramp_net_predict(net, X, N, r->probs), RAMP_OK);
    ramp_net_free(net);
}

static void clear(result *r)
{
    for (int id = 0; id < 64; id++) {
        free(r->out[id]);
        free(r->dout[id]);
        free(r->grad[id][0]);
        free(r->grad[id][1]);
    }
    free(r->probs);
}

static void agree(builder b)
{
    int cuda = g_target == T_CUDA;
    if (cuda && !ramp_cuda_available(NULL, 0)) skip(); /* no GPU here: never counted as passed */
    static result ref, got;
    run(&ref, b, RAMP_NN_REF, RAMP_DEVICE_CPU, cuda);
    run(&got, b, RAMP_NN_DNNL, cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU, cuda);
    assert_int_equal(got.n_layers, ref.n_layers);
    double tol = cuda ? 1e-8 : 1e-9; /* cuDNN's algorithms round differently */
    assert_true(fabs(got.loss - ref.loss) <= 1e-5 * fabs(ref.loss) + 1e-6);
    for (int id = 1; id < ref.n_layers; id++) {
        check("output", id, got.out[id], ref.out[id], ref.n_out[id], tol);
        if (ref.dout[id] && got.dout[id])
            check("output gradient", id, got.dout[id], ref.dout[id], ref.n_out[id], tol);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(got.n_grad[id][k], ref.n_grad[id][k]);
            if (ref.n_grad[id][k])
                check(k ? "bias gradient" : "weight gradient", id, got.grad[id][k],
                      ref.grad[id][k], ref.n_grad[id][k], tol);
        }
    }
    check("evaluation probabilities", -1, got.probs, ref.probs, (size_t)N * K, tol);
    clear(&ref);
    clear(&got);
}

static void test_net0(void **s)
{
    (void)s;
    agree(build0);
}

static void test_net1(void **s)
{
    (void)s;
    agree(build1);
}

/* Training: two epochs of SGD with momentum over 40 samples in batches of
   16 (a short last batch: a second batch size, planned anew), then every
   parameter (running statistics included) and the predictions against
   the reference's. The parameters live on the host between steps
   (cudaInt.h): this checks they go up and come back each step. */
static void fit(builder b, int backend, ramp_device dev, int dropout, float *params, size_t *np,
                float *probs)
{
    enum { NS = 40 };
    static float X[NS * C * H * W];
    int32_t y[NS];
    ramp_rng g;
    ramp_rng_seed(&g, 9, 0);
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) X[i] = (float)(2 * ramp_rng_uniform(&g) - 1);
    for (int i = 0; i < NS; i++) y[i] = (int32_t)(i % K);
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = C, .height = H, .width = W,
                                                     .seed = 7, .backend = backend,
                                                     .device = dev, .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    b(net, dropout);
    ramp_gen *gen = NULL;
    int shape[3] = {C, H, W};
    assert_int_equal(ramp_gen_from_arrays(&gen, X, y, NS, 3, shape, K, 16, 0, 1, NULL), RAMP_OK);
    ramp_status st = ramp_net_fit_generator(net, gen, NS, NULL, 0,
                                            &(ramp_fit_opts){.epochs = 2, .lr = 0.05f,
                                                             .momentum = 0.9f});
    if (st) fprintf(stderr, "fit: %s\n", ramp_net_errmsg(net));
    assert_int_equal(st, RAMP_OK);
    ramp_gen_free(gen);
    *np = 0;
    for (int id = 1; id < ramp_net_n_layers(net); id++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[id].p[k];
            if (!p->used) continue;
            assert_true(*np + p->n_plain <= 65536);
            assert_int_equal(ramp_net_get_param(net, id, k, params + *np, p->n_plain), RAMP_OK);
            *np += p->n_plain;
        }
    assert_int_equal(ramp_net_predict(net, X, NS, probs), RAMP_OK);
    ramp_net_free(net);
}

static void fit_agree(builder b)
{
    int cuda = g_target == T_CUDA;
    if (cuda && !ramp_cuda_available(NULL, 0)) skip();
    static float pr[65536], pg[65536], qr[40 * K], qg[40 * K];
    size_t nr, ng;
    fit(b, RAMP_NN_REF, RAMP_DEVICE_CPU, cuda, pr, &nr, qr);
    fit(b, RAMP_NN_DNNL, cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU, cuda, pg, &ng, qg);
    assert_int_equal(ng, nr);
    check("trained parameters", -1, pg, pr, nr, 1e-7);
    check("trained predictions", -1, qg, qr, 40 * K, 1e-7);
}

static void test_fit0(void **s)
{
    (void)s;
    fit_agree(build0);
}

static void test_fit1(void **s)
{
    (void)s;
    fit_agree(build1);
}

static void test_net2(void **s)
{
    (void)s;
    agree(build2);
}

static void test_fit2(void **s)
{
    (void)s;
    fit_agree(build2);
}

/* Net 3: net 0 with its batch norm's statistics frozen (fine-tuning:
   the running ones in training too, and the backward of constants). */
static void build3(ramp_net *net, int dropout)
{
    build0(net, dropout);
    ramp_net_freeze_bn_stats(net, -1, 1);
}

static void test_net3(void **s)
{
    (void)s;
    agree(build3);
}

static void test_fit3(void **s)
{
    (void)s;
    fit_agree(build3);
}

/* Batch norm over one value per channel (a dense layer's features, a
   training batch of one sample: a short last batch of 1). cuDNN's
   unbiased running variance divides by N·H·W − 1 = 0; the reference
   keeps it finite, and so must the backend: the running statistics then
   show in the evaluation's probabilities. */
static void bn_one(int backend, ramp_device dev, float *probs)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = C, .height = H, .width = W,
                                                     .seed = 7, .backend = backend,
                                                     .device = dev, .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = 6});
    ramp_net_batchnorm(net, 0.5f, 0);
    ramp_net_relu(net);
    ramp_net_dense(net, &(ramp_dense){.units = K});
    float X[N * C * H * W];
    int32_t y[N] = {1, 2, 3, 4};
    ramp_rng g;
    ramp_rng_seed(&g, 5, 0);
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) X[i] = (float)(2 * ramp_rng_uniform(&g) - 1);
    double loss;
    ramp_status st = ramp_net_forward_backward(net, X, y, 1, 0.f, &loss);
    if (st) fprintf(stderr, "%s\n", ramp_net_errmsg(net));
    assert_int_equal(st, RAMP_OK);
    assert_int_equal(ramp_net_predict(net, X, N, probs), RAMP_OK);
    for (int i = 0; i < N * K; i++) assert_true(isfinite(probs[i]));
    ramp_net_free(net);
}

static void test_bn_one(void **s)
{
    (void)s;
    int cuda = g_target == T_CUDA;
    if (cuda && !ramp_cuda_available(NULL, 0)) skip();
    float pr[N * K], pg[N * K];
    bn_one(RAMP_NN_REF, RAMP_DEVICE_CPU, pr);
    bn_one(RAMP_NN_DNNL, cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU, pg);
    check("evaluation probabilities after a batch of one", -1, pg, pr, (size_t)N * K, 1e-8);
}

int main(int argc, char **argv)
{
    g_target = argc > 1 && strcmp(argv[1], "--gpu") == 0 ? T_CUDA : T_DNNL;
    /* the same cases on both targets: oneDNN here, CUDA with --gpu (each
       case skips where no GPU answers) */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net0), cmocka_unit_test(test_net1), cmocka_unit_test(test_fit0),
        cmocka_unit_test(test_fit1), cmocka_unit_test(test_net2), cmocka_unit_test(test_fit2),
        cmocka_unit_test(test_net3), cmocka_unit_test(test_fit3), cmocka_unit_test(test_bn_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
