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
 * Then training with each optimiser (SGD with momentum, Nesterov and weight
 * decay, Adam, AdamW; a frozen layer, an lr_mult, a rebuild between two
 * fits) against the reference, reading parameters, running statistics and
 * a gradient after every step, a save and load, and the staging entry used
 * every way fit does not: on CUDA these check the parameters and optimiser
 * state that live on the GPU and the staged input. Two cases test host
 * logic on the CPU only: fit's prefetch order (a recording stage entry on
 * the reference backend, bit-identical results) and TF32's refusal and
 * no-op on the CPU.
 *
 * bf16 (RAMP_MATH_BF16): on CUDA every layer of nets 0-2 against the fp32
 * reference at bf16's tolerances, a training run that must learn as fp32
 * does, and the cast kernels bit for bit against a host rounding to
 * nearest even; on the CPU, the same cases check that BF16 computes
 * exactly fp32 there, the host rounding on hand-worked values, and the
 * refusal of a GPU without bf16 tensor cores (its message).
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
#include <unistd.h>
#include <cmocka.h>

#include "nn/nnInt.h"
#include "ramp/nn.h"
#include "ramp/rng.h"

enum { N = 4, C = 3, H = 9, W = 8, K = 5 };

typedef enum target { T_DNNL, T_CUDA } target;

static target g_target; /* set by main; read by the cases */
static ramp_math g_math;  /* run()'s math: fp32 unless a bf16 case sets it */
static int g_low, g_heavy; /* run()'s last net: heavy layers in bf16, of how many (CUDA) */
static int g_bf16_low, g_bf16_heavy; /* the same, of bf16_agree()'s bf16 run */
#if RAMP_TEST_CUDA_BUILT
int ramp__cuda_bf16_layers(const ramp_net *net, int *heavy);
#endif

static double nmse(const float *got, const float *want, size_t n)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        s += (double)want[i] * want[i];
    }
    return s > 0 ? e / s : e;
}

static void check(const char *what, int id, const float *got, const float *want, size_t n,
                  double tol)
{
    double r = nmse(got, want, n);
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
                                                     .keep_grads = 1, .n_threads = 2,
                                                     .math = g_math},
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
#if RAMP_TEST_CUDA_BUILT
    g_low = ramp__cuda_bf16_layers(net, &g_heavy);
#else
    g_low = g_heavy = 0;
#endif
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
   the reference's. On CUDA the parameters, gradients and optimiser state
   stay on the GPU between steps, the optimiser steps them there, and each
   batch after the first of an epoch is staged (cudaInt.h): this checks all
   three. A fit_case varies the optimiser and what happens around it. */
typedef struct fit_case {
    ramp_fit_opts o;  /* epochs 0: 2 epochs of SGD, lr 0.05, momentum 0.9 */
    int two_fits;     /* the epochs as two fits of one (state carried over) */
    int rebuild;      /* between the two fits, freeze the batch norms' statistics:
                         the backend is rebuilt, the optimiser state goes through
                         the host (ramp__net_reopen) and back */
    int freeze;       /* layer 1 (the first conv) frozen */
    float lr_mult;    /* > 0: the last layer's lr_mult */
    int peek;         /* after every step (progress callback), read every parameter,
                         the running statistics and the last layer's gradient */
    int save_load;    /* after training, save, load into a fresh net, predict there */
} fit_case;

enum { NPAR = 65536, NPEEK = 4096 };

/* What a peeking progress callback gathers: the sum over steps of every
   value read, position by position. */
typedef struct peek {
    ramp_net *net;
    float sum[NPEEK];
    size_t n;
    int steps;
} peek;

static int peek_step(const ramp_fit_progress *pr, void *user)
{
    peek *pk = user;
    if (pr->end_of_epoch) return 0;
    ramp_net *net = pk->net;
    static float buf[NPAR];
    size_t at = 0;
    int last = ramp_net_n_layers(net) - 1;
    for (int id = 1; id <= last; id++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[id].p[k];
            if (!p->used) continue;
            assert_int_equal(ramp_net_get_param(net, id, k, buf, p->n_plain), RAMP_OK);
            for (size_t j = 0; j < p->n_plain && at < NPEEK; j++) pk->sum[at++] += buf[j];
        }
    const ramp__param *g = &net->nodes[last].p[0];
    assert_int_equal(ramp_net_get_grad(net, last, 0, buf, g->n_plain), RAMP_OK);
    for (size_t j = 0; j < g->n_plain && at < NPEEK; j++) pk->sum[at++] += buf[j];
    pk->n = at;
    pk->steps++;
    return 0;
}

static void fit_case_run(builder b, const fit_case *fc, int backend, ramp_device dev, int dropout,
                         float *params, size_t *np, float *probs, peek *pk)
{
    enum { NS = 40 };
    static float X[NS * C * H * W];
    int32_t y[NS];
    ramp_rng g;
    ramp_rng_seed(&g, 9, 0);
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) X[i] = (float)(2 * ramp_rng_uniform(&g) - 1);
    for (int i = 0; i < NS; i++) y[i] = (int32_t)(i % K);
    ramp_net *net = NULL;
    ramp_net_params prm = {.channels = C, .height = H, .width = W, .seed = 7, .backend = backend,
                           .device = dev, .n_threads = 2};
    assert_int_equal(ramp_net_new(&net, &prm, NULL), RAMP_OK);
    b(net, dropout);
    if (fc->freeze) assert_int_equal(ramp_net_freeze(net, 1, 1), RAMP_OK);
    if (fc->lr_mult > 0)
        assert_int_equal(ramp_net_set_lr_mult(net, ramp_net_n_layers(net) - 1, fc->lr_mult),
                         RAMP_OK);
    ramp_gen *gen = NULL;
    int shape[3] = {C, H, W};
    assert_int_equal(ramp_gen_from_arrays(&gen, X, y, NS, 3, shape, K, 16, 0, 1, NULL), RAMP_OK);
    ramp_fit_opts o = fc->o;
    if (o.epochs == 0) o = (ramp_fit_opts){.epochs = 2, .lr = 0.05f, .momentum = 0.9f};
    if (pk) {
        memset(pk, 0, sizeof *pk);
        pk->net = net;
        o.progress = peek_step;
        o.progress_every = 1;
        o.user = pk;
    }
    int fits = fc->two_fits ? 2 : 1;
    if (fc->two_fits) o.epochs = 1;
    for (int f = 0; f < fits; f++) {
        if (f == 1 && fc->rebuild) assert_int_equal(ramp_net_freeze_bn_stats(net, -1, 1), RAMP_OK);
        ramp_status st = ramp_net_fit_generator(net, gen, NS, NULL, 0, &o);
        if (st) fprintf(stderr, "fit: %s\n", ramp_net_errmsg(net));
        assert_int_equal(st, RAMP_OK);
    }
    ramp_gen_free(gen);
    *np = 0;
    for (int id = 1; id < ramp_net_n_layers(net); id++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[id].p[k];
            if (!p->used) continue;
            assert_true(*np + p->n_plain <= NPAR);
            assert_int_equal(ramp_net_get_param(net, id, k, params + *np, p->n_plain), RAMP_OK);
            *np += p->n_plain;
        }
    assert_int_equal(ramp_net_predict(net, X, NS, probs), RAMP_OK);
    if (fc->save_load) {
        /* a fresh net (its initial weights, as the trained one started)
           predicts; then the trained weights, as the GPU has them
           (synchronised for the save), go into it, and its initial ones
           over the trained net's (whose GPU copies must be replaced): each
           predicts what the other did. Up to the rounding of another
           evaluation batch size: the fresh net has not trained, so it
           evaluates all 40 rows at once, and the algorithms are chosen per
           batch size. */
        char trained[] = "/tmp/ramp_nn_cuda_XXXXXX", initial[] = "/tmp/ramp_nn_cuda_XXXXXX";
        int fd = mkstemp(trained);
        assert_true(fd >= 0);
        close(fd);
        fd = mkstemp(initial);
        assert_true(fd >= 0);
        close(fd);
        ramp_net *back = NULL;
        assert_int_equal(ramp_net_new(&back, &prm, NULL), RAMP_OK);
        b(back, dropout);
        static float q0[NS * K], q[NS * K];
        assert_int_equal(ramp_net_predict(back, X, NS, q0), RAMP_OK);
        assert_int_equal(ramp_net_save(back, initial), RAMP_OK);
        assert_int_equal(ramp_net_save(net, trained), RAMP_OK);
        assert_int_equal(ramp_net_load(back, trained), RAMP_OK);
        assert_int_equal(ramp_net_predict(back, X, NS, q), RAMP_OK);
        check("predictions after loading the trained weights", -1, q, probs, NS * K, 1e-12);
        assert_int_equal(ramp_net_load(net, initial), RAMP_OK);
        assert_int_equal(ramp_net_predict(net, X, NS, q), RAMP_OK);
        check("predictions after loading the initial weights", -1, q, q0, NS * K, 1e-12);
        double diff = 0;
        for (int i = 0; i < NS * K; i++) diff += fabs((double)q0[i] - probs[i]);
        assert_true(diff > 1e-3); /* training moved them: the two checks above can fail */
        remove(trained);
        remove(initial);
        ramp_net_free(back);
    }
    ramp_net_free(net);
}

static void fit_case_agree(builder b, const fit_case *fc)
{
    int cuda = g_target == T_CUDA;
    if (cuda && !ramp_cuda_available(NULL, 0)) skip();
    static float pr[NPAR], pg[NPAR], qr[40 * K], qg[40 * K];
    static peek kr, kg;
    size_t nr, ng;
    fit_case_run(b, fc, RAMP_NN_REF, RAMP_DEVICE_CPU, cuda, pr, &nr, qr, fc->peek ? &kr : NULL);
    fit_case_run(b, fc, RAMP_NN_DNNL, cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU, cuda, pg, &ng, qg,
                 fc->peek ? &kg : NULL);
    assert_int_equal(ng, nr);
    /* Adam's first steps move each weight by about lr·sign(g): a gradient
       near zero that cuDNN rounds to the other sign moves it the other way */
    double tol = cuda && fc->o.optimizer != RAMP_OPT_SGD ? 1e-5 : 1e-7;
    check("trained parameters", -1, pg, pr, nr, tol);
    check("trained predictions", -1, qg, qr, 40 * K, tol);
    if (fc->peek) {
        assert_int_equal(kg.steps, kr.steps);
        assert_int_equal(kg.steps, 2 * 2); /* 2 epochs of 3 steps, the last one's unreported */
        assert_int_equal(kg.n, kr.n);
        assert_true(kr.n > 0);
        check("parameters, statistics and gradients read mid-training", -1, kg.sum, kr.sum, kr.n,
              1e-7);
    }
}

static void fit_agree(builder b)
{
    fit_case fc = {0};
    fit_case_agree(b, &fc);
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

/* --- the optimisers on the device, reads mid-training, save and load ----- */

/* SGD with Nesterov momentum and weight decay; every parameter, the running
   statistics and a gradient read after every step (the host's copies are
   then fetched from the GPU between steps, which must not disturb them). */
static void test_nesterov_peek(void **s)
{
    (void)s;
    fit_case fc = {.o = {.epochs = 2, .lr = 0.05f, .momentum = 0.9f, .nesterov = 1,
                         .weight_decay = 1e-3f},
                   .peek = 1};
    fit_case_agree(build0, &fc);
}

/* Adam with L2 decay over two fits, the backend rebuilt between them (the
   Adam moments and step counts go to the host and back), the first conv
   frozen. */
static void test_adam_rebuild(void **s)
{
    (void)s;
    fit_case fc = {.o = {.epochs = 2, .optimizer = RAMP_OPT_ADAM, .lr = 0.01f,
                         .weight_decay = 1e-3f},
                   .two_fits = 1, .rebuild = 1, .freeze = 1};
    fit_case_agree(build1, &fc);
}

/* AdamW with the last layer at half the learning rate; then the trained
   weights saved, loaded into a fresh net and over the trained one. */
static void test_adamw_save_load(void **s)
{
    (void)s;
    fit_case fc = {.o = {.epochs = 2, .optimizer = RAMP_OPT_ADAMW, .lr = 0.01f,
                         .weight_decay = 0.05f},
                   .lr_mult = 0.5f, .save_load = 1};
    fit_case_agree(build0, &fc);
}

/* Plain SGD with weight decay, a frozen first conv, a cosine schedule, two
   fits (the momentum-free path keeps no state). */
static void test_sgd_frozen(void **s)
{
    (void)s;
    fit_case fc = {.o = {.epochs = 2, .lr = 0.05f, .weight_decay = 1e-3f,
                         .schedule = RAMP_SCHED_COSINE},
                   .two_fits = 1, .freeze = 1, .peek = 1};
    fit_case_agree(build2, &fc);
}

/* Heavy-ball momentum with the last layer's lr_mult, two fits, the
   backend rebuilt between them (the momentum buffers through the host). */
static void test_momentum_rebuild(void **s)
{
    (void)s;
    fit_case fc = {.o = {.epochs = 2, .lr = 0.05f, .momentum = 0.9f, .weight_decay = 1e-4f},
                   .two_fits = 1, .rebuild = 1, .lr_mult = 2.f};
    fit_case_agree(build0, &fc);
}

/* --- staged input ----------------------------------------------------------
   The backend's stage entry (CUDA's; NULL on the CPU, where the same calls
   run unstaged) used the ways fit does not: a forward with another batch
   than the staged one (must compute on its own input), the staged one
   after it (must take the staged copy), a staged batch larger than any
   before (the buffers grow while one is in flight), a cancelled stage.
   Every step's loss and logits against the reference's. */
enum { NSTG = 6 };

static void staged_run(int backend, ramp_device dev, double *loss, float *logits)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = C, .height = H, .width = W,
                                                     .seed = 7, .backend = backend,
                                                     .device = dev, .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    build0(net, 0);
    static float X[3][2 * N * C * H * W];
    int32_t y[2 * N];
    ramp_rng g;
    ramp_rng_seed(&g, 11, 0);
    for (int b = 0; b < 3; b++)
        for (size_t i = 0; i < sizeof X[b] / sizeof *X[b]; i++)
            X[b][i] = (float)(2 * ramp_rng_uniform(&g) - 1);
    for (int i = 0; i < 2 * N; i++) y[i] = (int32_t)(i % K);
    int last = ramp_net_n_layers(net) - 1;
    /* (batch, samples, stage before): -1 none, -2 cancel what is staged */
    const struct { int x, n, stage, stage_n; } seq[NSTG] = {
        {0, N, -1, 0},     /* builds the net */
        {2, N, 1, N},      /* X[1] staged, X[2] run: unstaged */
        {1, N, -1, 0},     /* the staged X[1] */
        {0, 2 * N, 0, 2 * N}, /* staged larger than ever */
        {2, N, 2, N},      /* staged ... */
        {1, N, -2, 0},     /* ... cancelled, another run */
    };
    for (int i = 0; i < NSTG; i++) {
        if (net->finalized && net->be->stage) {
            if (seq[i].stage >= 0)
                assert_int_equal(net->be->stage(net, net->be_st, X[seq[i].stage],
                                                (size_t)seq[i].stage_n),
                                 RAMP_OK);
            else if (seq[i].stage == -2)
                assert_int_equal(net->be->stage(net, net->be_st, NULL, 0), RAMP_OK);
        }
        ramp_status st = ramp_net_forward_backward(net, X[seq[i].x], y, (size_t)seq[i].n, 0.f,
                                                   &loss[i]);
        if (st) fprintf(stderr, "%s\n", ramp_net_errmsg(net));
        assert_int_equal(st, RAMP_OK);
        assert_int_equal(ramp_net_get_output(net, last, logits + (size_t)i * 2 * N * K,
                                             (size_t)seq[i].n * K),
                         RAMP_OK);
    }
    ramp_net_free(net);
}

static void test_staged(void **s)
{
    (void)s;
    int cuda = g_target == T_CUDA;
    if (cuda && !ramp_cuda_available(NULL, 0)) skip();
    static float lr[NSTG * 2 * N * K], lg[NSTG * 2 * N * K];
    double sr[NSTG], sg[NSTG];
    memset(lr, 0, sizeof lr);
    memset(lg, 0, sizeof lg);
    staged_run(RAMP_NN_REF, RAMP_DEVICE_CPU, sr, lr);
    staged_run(RAMP_NN_DNNL, cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU, sg, lg);
    for (int i = 0; i < NSTG; i++) {
        if (!(fabs(sg[i] - sr[i]) <= 1e-5 * fabs(sr[i]) + 1e-6))
            fprintf(stderr, "step %d: loss %.9g, the reference's %.9g\n", i, sg[i], sr[i]);
        assert_true(fabs(sg[i] - sr[i]) <= 1e-5 * fabs(sr[i]) + 1e-6);
        check("logits", i, lg + (size_t)i * 2 * N * K, lr + (size_t)i * 2 * N * K,
              (size_t)2 * N * K, cuda ? 1e-8 : 1e-9);
    }
}

/* --- fit's prefetch order, on the CPU --------------------------------------
   The reference backend with a recording stage entry: fit must stage batch
   s + 1 during step s (never the first of an epoch), the next forward must
   take exactly that batch, a fit ends with a cancel, and the trained
   weights must be the bits of the same fit without staging. */
static ramp__nn_backend g_rec;
static const float *g_pending_x;
static size_t g_pending_n;
static int g_staged, g_taken, g_cancels, g_forwards, g_backwards;

static ramp_status rec_stage(ramp_net *net, void *st, const float *X, size_t n)
{
    (void)net, (void)st;
    if (!X) {
        g_cancels++;
        g_pending_x = NULL;
        return RAMP_OK;
    }
    assert_null(g_pending_x); /* one at a time, each taken before the next */
    /* after the step's backward (and optimiser), so a wait for the loader
       overlaps the GPU's work */
    assert_int_equal(g_backwards, g_forwards);
    g_pending_x = X;
    g_pending_n = n;
    g_staged++;
    return RAMP_OK;
}

static ramp_status rec_forward(ramp_net *net, void *st, const float *X, size_t n, int training,
                               float *logits)
{
    if (g_pending_x) {
        assert_ptr_equal(X, g_pending_x);
        assert_int_equal(n, g_pending_n);
        g_taken++;
        g_pending_x = NULL;
    }
    g_forwards++;
    return ramp__nn_backend_ref.forward(net, st, X, n, training, logits);
}

static ramp_status rec_backward(ramp_net *net, void *st, const float *dlogits, size_t n)
{
    g_backwards++;
    return ramp__nn_backend_ref.backward(net, st, dlogits, n);
}

static void prefetch_fit(int record, float *params, size_t *np)
{
    ramp_fit_opts o = {.epochs = 3, .lr = 0.05f, .momentum = 0.9f};
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
                                                     .seed = 7, .backend = RAMP_NN_REF,
                                                     .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    if (record) {
        g_rec = ramp__nn_backend_ref;
        g_rec.stage = rec_stage;
        g_rec.forward = rec_forward;
        g_rec.backward = rec_backward;
        net->be = &g_rec; /* before the net is built: finalize creates it */
    }
    build1(net, 0);
    ramp_gen *gen = NULL;
    int shape[3] = {C, H, W};
    /* shuffled: batches are gathered into the generator's buffer */
    assert_int_equal(ramp_gen_from_arrays(&gen, X, y, NS, 3, shape, K, 16, 1, 5, NULL), RAMP_OK);
    assert_int_equal(ramp_net_fit_generator(net, gen, NS, NULL, 0, &o), RAMP_OK);
    ramp_gen_free(gen);
    *np = 0;
    for (int id = 1; id < ramp_net_n_layers(net); id++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[id].p[k];
            if (!p->used) continue;
            assert_int_equal(ramp_net_get_param(net, id, k, params + *np, p->n_plain), RAMP_OK);
            *np += p->n_plain;
        }
    ramp_net_free(net);
}

static void test_fit_prefetch(void **s)
{
    (void)s;
    if (g_target == T_CUDA) skip(); /* host logic: the CPU run tests it */
    static float a[NPAR], b[NPAR];
    size_t na, nb;
    prefetch_fit(0, a, &na);
    g_staged = g_taken = g_cancels = g_forwards = g_backwards = 0;
    prefetch_fit(1, b, &nb);
    assert_int_equal(g_staged, 3 * 2); /* 3 epochs of 3 steps: steps 2 and 3 staged */
    assert_int_equal(g_taken, g_staged);
    assert_int_equal(g_forwards, 3 * 3);
    assert_int_equal(g_cancels, 1);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof(float));
}

/* --- TF32 ------------------------------------------------------------------
   An unknown math value is refused; TF32 on the CPU computes in fp32 (the
   same bits as without it); on CUDA the results stay near fp32's (TF32's
   10-bit products: a normalised MSE far below 1e-4 on these nets). */
static void test_tf32(void **s)
{
    (void)s;
    int cuda = g_target == T_CUDA;
    ramp_net *net = NULL;
    ramp_err err = {RAMP_OK, ""};
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = C, .height = H, .width = W,
                                                     .math = (ramp_math)7},
                                  &err),
                     RAMP_EINVAL);
    assert_null(net);
    assert_non_null(strstr(err.msg, "math 7"));
    if (cuda && !ramp_cuda_available(NULL, 0)) skip();
    ramp_device dev = cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU;
    double loss[2];
    float lg[2][N * K];
    for (int m = 0; m < 2; m++) {
        ramp_net_params prm = {.channels = C, .height = H, .width = W, .seed = 7, .device = dev,
                               .n_threads = 2, .math = m ? RAMP_MATH_TF32 : RAMP_MATH_FP32};
        assert_int_equal(ramp_net_new(&net, &prm, NULL), RAMP_OK);
        build1(net, 0);
        float X[N * C * H * W];
        int32_t y[N] = {0, 1, 2, 3};
        ramp_rng g;
        ramp_rng_seed(&g, 3, 0);
        for (size_t i = 0; i < sizeof X / sizeof *X; i++)
            X[i] = (float)(2 * ramp_rng_uniform(&g) - 1);
        assert_int_equal(ramp_net_forward_backward(net, X, y, N, 0.f, &loss[m]), RAMP_OK);
        assert_int_equal(ramp_net_get_output(net, ramp_net_n_layers(net) - 1, lg[m], N * K),
                         RAMP_OK);
        ramp_net_free(net);
        net = NULL;
    }
    if (cuda) {
        /* whether the tensor cores took these small products is cuDNN's and
           cuBLAS's choice: said, not asserted */
        int differ = 0;
        for (int i = 0; i < N * K; i++) differ += lg[1][i] != lg[0][i];
        fprintf(stderr, "TF32: %d of %d logits differ from fp32's\n", differ, N * K);
        check("TF32 logits against fp32", -1, lg[1], lg[0], N * K, 1e-4);
    } else {
        assert_true(loss[1] == loss[0]);
        assert_memory_equal(lg[1], lg[0], sizeof lg[0]);
    }
}

/* --- bf16 ------------------------------------------------------------------ */

/* A float to bf16, rounded to nearest with ties to even, on the host: the
   reference for the GPU's cast (NaN stays a NaN, its payload not pinned). */
static uint16_t bf16_rne(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static float bf16_value(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int bf16_is_nan(uint16_t b)
{
    return (b & 0x7f80u) == 0x7f80u && (b & 0x7fu) != 0;
}

#if RAMP_TEST_CUDA_BUILT
int ramp__cuda_bf16_casts(uint16_t *y16, float *back, float *acc, const float *x, size_t n,
                          char *why, size_t len);
#endif

/* The host rounding on hand-worked values (its ties, overflow, subnormals,
   signs); on CUDA the GPU's casts against it, bit for bit: to bf16, back
   to fp32 exactly, and accumulated into fp32. */
static void test_bf16_casts(void **s)
{
    (void)s;
    static const struct {
        uint32_t in;
        uint16_t out;
    } hand[] = {
        {0x3F800000u, 0x3F80}, /* 1 */
        {0x3F808000u, 0x3F80}, /* 1 + 2^-8: a tie, to the even 1 */
        {0x3F818000u, 0x3F82}, /* 1 + 3·2^-8: a tie, to the even 1 + 2^-6 */
        {0x3F808001u, 0x3F81}, /* just above the tie: up */
        {0x3F807FFFu, 0x3F80}, /* just below: down */
        {0xBF818000u, 0xBF82}, /* a negative tie */
        {0x7F7FFFFFu, 0x7F80}, /* FLT_MAX rounds up to +inf */
        {0x7F7F7FFFu, 0x7F7F}, /* the largest finite bf16 and just above it stay */
        {0x7F800000u, 0x7F80}, /* +inf */
        {0xFF800000u, 0xFF80}, /* -inf */
        {0x80000000u, 0x8000}, /* -0 */
        {0x00000001u, 0x0000}, /* the least subnormal: to 0 */
        {0x00018000u, 0x0002}, /* a subnormal tie, up to the even */
        {0x00008000u, 0x0000}, /* a subnormal tie, down to the even 0 */
        {0x007FFFFFu, 0x0080}, /* the largest subnormal: up to the least normal */
        {0x40490FDBu, 0x4049}, /* pi */
    };
    enum { NH = sizeof hand / sizeof *hand, NR = 4096, NX = NH + 2 + NR };
    for (int i = 0; i < NH; i++) {
        uint16_t got = bf16_rne(bits_float(hand[i].in));
        if (got != hand[i].out)
            fprintf(stderr, "bf16 of 0x%08x: 0x%04x, want 0x%04x\n", (unsigned)hand[i].in,
                    (unsigned)got, (unsigned)hand[i].out);
        assert_int_equal(got, hand[i].out);
    }
    assert_true(bf16_is_nan(bf16_rne(bits_float(0x7FC00000u))));
    assert_true(bf16_is_nan(bf16_rne(bits_float(0x7F800001u)))); /* a NaN that would round to inf */
    /* values bf16 holds exactly come back as they were (a subnormal too) */
    assert_true(bf16_value(bf16_rne(1.5f)) == 1.5f);
    assert_true(bf16_value(bf16_rne(-0x1p-130f)) == -0x1p-130f);
    assert_true(bf16_value(bf16_rne(0x1.fep127f)) == 0x1.fep127f);
    if (g_target != T_CUDA) return;
    if (!ramp_cuda_available(NULL, 0)) skip();
#if RAMP_TEST_CUDA_BUILT
    static float x[NX], back[NX], acc[NX], acc0[NX];
    static uint16_t y16[NX];
    for (int i = 0; i < NH; i++) x[i] = bits_float(hand[i].in);
    x[NH] = bits_float(0x7FC00000u);
    x[NH + 1] = bits_float(0xFF800001u);
    ramp_rng g;
    ramp_rng_seed(&g, 11, 0);
    for (int i = NH + 2; i < NX; i++) x[i] = bits_float((uint32_t)ramp_rng_u64(&g)); /* every exponent */
    for (int i = 0; i < NX; i++) acc[i] = acc0[i] = (float)(ramp_rng_uniform(&g) - 0.5);
    char why[300] = "";
    int rc = ramp__cuda_bf16_casts(y16, back, acc, x, NX, why, sizeof why);
    if (rc) fprintf(stderr, "bf16 casts: %s\n", why);
    assert_int_equal(rc, 0);
    int bad = 0;
    for (int i = 0; i < NX; i++) {
        uint16_t want = bf16_rne(x[i]);
        int ok = bf16_is_nan(want) ? bf16_is_nan(y16[i]) && isnan(back[i]) && isnan(acc[i])
                                   : y16[i] == want &&
                                         memcmp(&back[i], &(float){bf16_value(want)},
                                                sizeof(float)) == 0 &&
                                         acc[i] == acc0[i] + bf16_value(want);
        if (!ok && bad++ < 8) {
            uint32_t u;
            memcpy(&u, &x[i], sizeof u);
            fprintf(stderr, "bf16 cast of 0x%08x: 0x%04x, back %a, acc %a; want 0x%04x\n",
                    (unsigned)u, (unsigned)y16[i], (double)back[i], (double)acc[i],
                    (unsigned)want);
        }
    }
    assert_int_equal(bad, 0);
#endif
}

/* The option and its refusal: BF16 is accepted (on the CPU it computes
   fp32); an unknown value's message names the three; a GPU before compute
   capability 8.0 is refused naming it (the backend's check, asked
   directly: no such GPU here). */
int ramp__cuda_bf16_ok(int major, int minor, const char *gpu, char *why, size_t len);
static void test_bf16_option(void **s)
{
    (void)s;
    ramp_net *net = NULL;
    ramp_err err = {RAMP_OK, ""};
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = C, .height = H, .width = W,
                                                     .math = (ramp_math)3},
                                  &err),
                     RAMP_EINVAL);
    assert_non_null(strstr(err.msg, "RAMP_MATH_BF16"));
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = C, .height = H, .width = W,
                                                     .math = RAMP_MATH_BF16},
                                  &err),
                     RAMP_OK);
    ramp_net_free(net);
    char why[400] = "unset";
    assert_int_equal(ramp__cuda_bf16_ok(7, 5, "Tesla T4", why, sizeof why), 0);
    assert_non_null(strstr(why, "Tesla T4"));
    assert_non_null(strstr(why, "7.5"));
    assert_non_null(strstr(why, "8.0"));
    assert_int_equal(ramp__cuda_bf16_ok(6, 0, NULL, why, sizeof why), 0);
    assert_int_equal(ramp__cuda_bf16_ok(8, 0, "A100", why, sizeof why), 1);
    assert_string_equal(why, "");
    assert_int_equal(ramp__cuda_bf16_ok(9, 0, "H200", NULL, 0), 1);
}

/* One net in bf16 against the fp32 reference. On CUDA: bf16 rounds each
   heavy op's input, weights and result to an 8-bit significand (a
   relative error of at most 2^-8 each, about 1.5e-3 RMS: a normalised MSE
   near 2e-6 per rounding, 7e-6 per layer), which a numpy model of these
   shapes puts at 3e-5 to 4.4e-5 after three layers and 1e-5 on a weight
   gradient (tests/bf16_error_model.py); so outputs and probabilities must
   agree to a normalised MSE of 3e-4 (1.7 % RMS), gradients to 3e-2: the
   backward rounds dy, w and x again, and a rounding that moves a value
   across a ReLU's or a clip's bound, or changes a max-pool's winner, flips
   a whole gradient value (the model leaves those out; a simulation of
   these sizes put one ReLU alone at 1.2-1.9e-3, past 3e-3 in 12-23 % of
   draws, and a max-pool's flipped window at about 5e-3 each); the loss to
   1 % relative; and the
   logits must differ from CUDA's fp32 ones (bf16 did run). A wrong cast,
   layout or descriptor gives errors of order 1. The worst figures are
   printed (the margins, for the first GPU run). On the CPU: BF16 computes
   fp32, the same bits as without it. */
static void bf16_agree(builder b)
{
    int cuda = g_target == T_CUDA;
    if (cuda && !ramp_cuda_available(NULL, 0)) skip();
    ramp_device dev = cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU;
    static result ref, got, f32;
    run(cuda ? &ref : &f32, b, cuda ? RAMP_NN_REF : RAMP_NN_DNNL, cuda ? RAMP_DEVICE_CPU : dev,
        cuda);
    g_math = RAMP_MATH_BF16;
    run(&got, b, RAMP_NN_DNNL, dev, cuda);
    g_math = RAMP_MATH_FP32;
    int low = g_low, heavy = g_heavy;
    g_bf16_low = low;
    g_bf16_heavy = heavy;
    if (!cuda) {
        assert_int_equal(low, 0); /* nothing runs in bf16 on the CPU */
        assert_true(got.loss == f32.loss);
        for (int id = 1; id < f32.n_layers; id++) {
            assert_memory_equal(got.out[id], f32.out[id], f32.n_out[id] * sizeof(float));
            for (int k = 0; k < 2; k++)
                if (f32.n_grad[id][k])
                    assert_memory_equal(got.grad[id][k], f32.grad[id][k],
                                        f32.n_grad[id][k] * sizeof(float));
        }
        assert_memory_equal(got.probs, f32.probs, (size_t)N * K * sizeof(float));
        clear(&got);
        clear(&f32);
        return;
    }
    run(&f32, b, RAMP_NN_DNNL, dev, cuda);
    assert_int_equal(got.n_layers, ref.n_layers);
    double worst_out = 0, worst_grad = 0;
    for (int id = 1; id < ref.n_layers; id++) {
        double e = nmse(got.out[id], ref.out[id], ref.n_out[id]);
        if (e > worst_out) worst_out = e;
        check("bf16 output", id, got.out[id], ref.out[id], ref.n_out[id], 3e-4);
        if (ref.dout[id] && got.dout[id]) {
            e = nmse(got.dout[id], ref.dout[id], ref.n_out[id]);
            if (e > worst_grad) worst_grad = e;
            check("bf16 output gradient", id, got.dout[id], ref.dout[id], ref.n_out[id], 3e-2);
        }
        for (int k = 0; k < 2; k++) {
            assert_int_equal(got.n_grad[id][k], ref.n_grad[id][k]);
            if (!ref.n_grad[id][k]) continue;
            e = nmse(got.grad[id][k], ref.grad[id][k], ref.n_grad[id][k]);
            if (e > worst_grad) worst_grad = e;
            check(k ? "bf16 bias gradient" : "bf16 weight gradient", id, got.grad[id][k],
                  ref.grad[id][k], ref.n_grad[id][k], 3e-2);
        }
    }
    double ep = nmse(got.probs, ref.probs, (size_t)N * K);
    /* a convolution cuDNN has no bf16 algorithm for runs in fp32: said */
    fprintf(stderr, "bf16: %d of %d heavy layers in bf16; loss %g (fp32 %g); worst normalised "
            "MSE: outputs %g, gradients %g, probabilities %g\n", low, heavy, got.loss, ref.loss,
            worst_out, worst_grad, ep);
    assert_true(heavy > 0 && low > 0); /* the dense layers at least */
    assert_true(fabs(got.loss - ref.loss) <= 1e-2 * fabs(ref.loss));
    check("bf16 evaluation probabilities", -1, got.probs, ref.probs, (size_t)N * K, 3e-4);
    int last = ref.n_layers - 1, differ = 0;
    for (size_t i = 0; i < ref.n_out[last]; i++) differ += got.out[last][i] != f32.out[last][i];
    assert_true(differ > 0);
    clear(&ref);
    clear(&got);
    clear(&f32);
}

static void test_bf16_net0(void **s)
{
    (void)s;
    bf16_agree(build0);
}

static void test_bf16_net1(void **s)
{
    (void)s;
    bf16_agree(build1);
}

/* Channel counts cuDNN's bf16 tensor-core kernels are made for (multiples
   of 8): conv 3→16, conv 16→16, transposed conv 16→8 (stride 2), conv
   8→8, dense. The nets above have 3-6 channels, where a convolution may
   find no bf16 algorithm and run fp32 (the dense layers alone then make
   "bf16 ran" true); here every heavy layer but the first (3 input
   channels) must run in bf16, or the bf16 convolution code went
   untested. */
static void build_wide(ramp_net *net, int dropout)
{
    (void)dropout;
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 16, .kernel = 3, .padding = 1});
    ramp_net_relu(net);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 16, .kernel = 3, .padding = 1, .no_bias = 1});
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    ramp_net_conv_transpose2d(net, &(ramp_conv_transpose2d){.filters = 8, .kernel = 3,
                                                            .stride = 2, .padding = 1,
                                                            .output_padding = 1});
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 8, .kernel = 3, .padding = 1});
    ramp_net_tanh(net);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = K});
}

static void test_bf16_wide(void **s)
{
    (void)s;
    bf16_agree(build_wide);
    if (g_target == T_CUDA) {
        fprintf(stderr, "bf16 wide net: %d of %d heavy layers in bf16\n", g_bf16_low,
                g_bf16_heavy);
        assert_true(g_bf16_heavy == 5 && g_bf16_low >= g_bf16_heavy - 1);
    }
}

static void test_bf16_net2(void **s)
{
    (void)s;
    bf16_agree(build2);
}

/* Training in bf16: net 0 (the cnn-like one) learns a task it can (a
   band of two rows brighter by SIGNAL per class, in noise of ±0.5) with
   Adam, as the fp32 reference does: the epoch's loss falls to under half
   its first value and the training accuracy ends within 0.1 of the
   reference's, both above 0.85 (the reference reaches 0.97 here, and 0.92
   to 0.97 from other initial weights, seeds 6, 9, 21: bf16's rounding is
   a smaller perturbation than a new initialisation). On the CPU BF16
   trains the same bits as fp32 (the predictions compared). */
typedef struct epoch_losses {
    double loss[16];
    int n;
} epoch_losses;

static int note_epoch(const ramp_fit_progress *pr, void *user)
{
    epoch_losses *el = user;
    if (pr->end_of_epoch && el->n < 16) el->loss[el->n++] = pr->loss;
    return 0;
}

enum { BS = 160 };
#define SIGNAL 0.2f

static double bf16_train(int backend, ramp_device dev, ramp_math math, epoch_losses *el,
                         float *probs)
{
    static float X[BS * C * H * W];
    int32_t y[BS];
    ramp_rng g;
    ramp_rng_seed(&g, 13, 0);
    for (int i = 0; i < BS; i++) {
        y[i] = (int32_t)(i % K);
        for (int j = 0; j < C * H * W; j++) {
            int row = j / W % H;
            float v = (float)(ramp_rng_uniform(&g) - 0.5);
            X[(size_t)i * C * H * W + j] = v + (row / 2 == y[i] ? SIGNAL : 0.f);
        }
    }
    ramp_net *net = NULL;
    ramp_net_params prm = {.channels = C, .height = H, .width = W, .seed = 5, .backend = backend,
                           .device = dev, .n_threads = 2, .math = math};
    assert_int_equal(ramp_net_new(&net, &prm, NULL), RAMP_OK);
    build0(net, 0);
    ramp_gen *gen = NULL;
    int shape[3] = {C, H, W};
    assert_int_equal(ramp_gen_from_arrays(&gen, X, y, BS, 3, shape, K, 16, 1, 2, NULL), RAMP_OK);
    memset(el, 0, sizeof *el);
    ramp_fit_opts o = {.epochs = 6, .optimizer = RAMP_OPT_ADAM, .lr = 0.01f,
                       .progress = note_epoch, .user = el};
    ramp_status st = ramp_net_fit_generator(net, gen, BS, NULL, 0, &o);
    if (st) fprintf(stderr, "fit: %s\n", ramp_net_errmsg(net));
    assert_int_equal(st, RAMP_OK);
    ramp_gen_free(gen);
    assert_int_equal(ramp_net_predict(net, X, BS, probs), RAMP_OK);
    ramp_net_free(net);
    int right = 0;
    for (int i = 0; i < BS; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (probs[i * K + k] > probs[i * K + best]) best = k;
        right += best == y[i];
    }
    return (double)right / BS;
}

static void test_bf16_fit(void **s)
{
    (void)s;
    int cuda = g_target == T_CUDA;
    if (cuda && !ramp_cuda_available(NULL, 0)) skip();
    ramp_device dev = cuda ? RAMP_DEVICE_CUDA : RAMP_DEVICE_CPU;
    static epoch_losses er, eb;
    static float pr[BS * K], pb[BS * K];
    double acc_r = bf16_train(RAMP_NN_REF, RAMP_DEVICE_CPU, RAMP_MATH_FP32, &er, pr);
    double acc_b = bf16_train(RAMP_NN_DNNL, dev, RAMP_MATH_BF16, &eb, pb);
    fprintf(stderr, "bf16 training (%s): loss %g -> %g, accuracy %g; fp32 reference: loss %g -> "
            "%g, accuracy %g\n", cuda ? "CUDA" : "CPU", eb.loss[0], eb.loss[eb.n - 1], acc_b,
            er.loss[0], er.loss[er.n - 1], acc_r);
    assert_int_equal(er.n, 6);
    assert_int_equal(eb.n, 6);
    assert_true(acc_r > 0.85);
    assert_true(er.loss[5] < 0.5 * er.loss[0]);
    assert_true(eb.loss[5] < 0.5 * eb.loss[0]);
    assert_true(acc_b > 0.85);
    assert_true(fabs(acc_b - acc_r) <= 0.1);
    if (!cuda) { /* fp32 on the CPU: the oneDNN backend's fp32 predictions exactly */
        static epoch_losses ef;
        static float pf[BS * K];
        bf16_train(RAMP_NN_DNNL, dev, RAMP_MATH_FP32, &ef, pf);
        assert_memory_equal(pb, pf, sizeof pf);
    }
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
        cmocka_unit_test(test_nesterov_peek), cmocka_unit_test(test_adam_rebuild),
        cmocka_unit_test(test_adamw_save_load), cmocka_unit_test(test_sgd_frozen),
        cmocka_unit_test(test_momentum_rebuild), cmocka_unit_test(test_staged),
        cmocka_unit_test(test_fit_prefetch), cmocka_unit_test(test_tf32),
        cmocka_unit_test(test_bf16_casts), cmocka_unit_test(test_bf16_option),
        cmocka_unit_test(test_bf16_net0), cmocka_unit_test(test_bf16_net1),
        cmocka_unit_test(test_bf16_net2), cmocka_unit_test(test_bf16_wide),
        cmocka_unit_test(test_bf16_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
