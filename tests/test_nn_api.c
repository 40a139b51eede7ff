/* test_nn_api.c — the engine's contract: builder errors (sticky, exact
 * codes), summary, save/load round trip and shape mismatch, determinism for
 * the same seed, predict's probabilities, a short last batch, optimisers
 * (their exact updates against torch.optim's formulas), schedules, and
 * evaluation after training through the training batch's plan. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
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

static ramp_net *small(int backend, uint64_t seed, int units)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 1,
                                                     .height = 8,
                                                     .width = 8,
                                                     .seed = seed,
                                                     .backend = backend,
                                                     .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3, .padding = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 0, 0);
    ramp_net_dropout(net, 0.25f);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = units });
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = 3 }), RAMP_OK);
    return net;
}

/* Three classes told apart by where the bright square is. */
static void toy_data(float *X, int32_t *y, size_t n)
{
    ramp_rng r;
    ramp_rng_seed(&r, 3, 0);
    for (size_t i = 0; i < n; i++) {
        float *x = X + i * 64;
        y[i] = (int32_t)(i % 3);
        for (int j = 0; j < 64; j++) x[j] = (float)(0.3 * ramp_rng_uniform(&r));
        int r0 = y[i] == 0 ? 0 : 4, c0 = y[i] == 2 ? 4 : 0;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++) x[(r0 + a) * 8 + c0 + b] += 1.f;
    }
}

static void test_builder_errors(void **s)
{
    (void)s;
    ramp_net *net = NULL;
    ramp_err err;
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 0, .height = 8, .width = 8}, &err),
        RAMP_EINVAL);
    assert_null(net);
    assert_non_null(strstr(err.msg, "bad input shape"));
    assert_int_equal(
        ramp_net_new(&net,
                     &(ramp_net_params){
                         .channels = 1, .height = 8, .width = 8, .conv_algo = (ramp_conv_algo)7},
                     &err),
        RAMP_EINVAL);
    assert_null(net);
    assert_non_null(strstr(err.msg, "conv_algo 7"));
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3, .groups = 2 }),
                     RAMP_ESHAPE);
    assert_non_null(strstr(ramp_net_errmsg(net), "groups 2"));
    /* sticky: a later valid call returns the first error */
    assert_int_equal(ramp_net_relu(net), RAMP_ESHAPE);
    ramp_net_free(net);

    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3 });
    int a = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3 });
    assert_int_equal(ramp_net_add(net, a), RAMP_ESHAPE);
    assert_non_null(strstr(ramp_net_errmsg(net), "differ"));
    ramp_net_free(net);

    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 2 });
    ramp_net_softmax(net);
    assert_int_equal(ramp_net_relu(net), RAMP_EUNSUPPORTED);
    ramp_net_free(net);

    /* an output that is not a vector */
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3 });
    float X[192] = { 0 }, p[4];
    assert_int_equal(ramp_net_predict(net, X, 1, p), RAMP_ESHAPE);
    ramp_net_free(net);
    ramp_net_free(NULL);

    /* reading a layer's output into a buffer of the wrong size, on both
       backends: an error naming the size, not an overflow */
    for (int be = 0; be < 2; be++) {
        assert_int_equal(ramp_net_new(&net,
                                      &(ramp_net_params){.channels = 3,
                                                         .height = 8,
                                                         .width = 8,
                                                         .backend = be ? RAMP_NN_DNNL : RAMP_NN_REF,
                                                         .keep_grads = 1},
                                      NULL),
                         RAMP_OK);
        ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3, .padding = 1 });
        ramp_net_flatten(net);
        ramp_net_dense(net, &(ramp_dense){ .units = 2 });
        float X2[2 * 192] = { 0 }, out[2 * 256 + 1];
        int32_t y[2] = { 0, 1 };
        double loss;
        assert_int_equal(ramp_net_forward_backward(net, X2, y, 2, 0.f, &loss), RAMP_OK);
        assert_int_equal(ramp_net_get_output(net, 1, out, 2 * 256), RAMP_OK);
        assert_int_equal(ramp_net_get_output(net, 1, out, 256), RAMP_ESHAPE);
        assert_non_null(strstr(ramp_net_errmsg(net), "holds 512 values"));
        assert_int_equal(ramp_net_get_output(net, 1, out, 2 * 256 + 1), RAMP_ESHAPE);
        assert_int_equal(ramp_net_get_output_grad(net, 1, out, 2 * 256), RAMP_OK);
        assert_int_equal(ramp_net_get_output_grad(net, 1, out, 10), RAMP_ESHAPE);
        ramp_net_free(net);
    }
}

static void test_summary(void **s)
{
    (void)s;
    ramp_net *net = small(RAMP_NN_DNNL, 1, 5);
    char buf[4096];
    size_t n = ramp_net_summary_str(net, buf, sizeof buf);
    assert_true(n < sizeof buf);
    assert_int_equal(strlen(buf), n);
    assert_non_null(strstr(buf, "Conv2D"));
    assert_non_null(strstr(buf, "(N, 4, 8, 8)"));
    assert_non_null(strstr(buf, "(N, 64)"));
    /* conv 4·9+4, BN 4+4 (+8 running), dense 64·5+5, dense 5·3+3 */
    size_t trainable = 40 + 8 + 325 + 18;
    assert_int_equal(ramp_net_n_params(net), trainable);
    char want[64];
    snprintf(want, sizeof want, "Trainable params: %zu", trainable);
    assert_non_null(strstr(buf, want));
    snprintf(want, sizeof want, "Total params: %zu", trainable + 8);
    assert_non_null(strstr(buf, want));
    char tiny[10];
    assert_int_equal(ramp_net_summary_str(net, tiny, sizeof tiny), n);
    assert_int_equal(strlen(tiny), 9);
    ramp_net_free(net);
}

static ramp_status train(ramp_net *net, const float *X, const int32_t *y, size_t n,
                         const ramp_fit_opts *o)
{
    ramp_gen *g = NULL;
    int shape[3] = { 1, 8, 8 };
    assert_int_equal(ramp_gen_from_arrays(&g, X, y, n, 3, shape, 3, 16, 1, 5, NULL), RAMP_OK);
    ramp_status st = ramp_net_fit_generator(net, g, n, NULL, 0, o);
    if (st) fprintf(stderr, "fit: %s\n", ramp_net_errmsg(net));
    ramp_gen_free(g);
    return st;
}

static void test_determinism_and_predict(void **s)
{
    (void)s;
    size_t n = 90; /* batch 16: the last batch has 10 */
    float *X = malloc(n * 64 * sizeof(float));
    int32_t y[90];
    assert_non_null(X);
    toy_data(X, y, n);
    float w1[320], w2[320], w3[320];
    for (int rep = 0; rep < 3; rep++) {
        ramp_net *net = small(RAMP_NN_DNNL, rep == 2 ? 99 : 7, 5);
        ramp_fit_opts o = { .epochs = 3, .lr = 0.05f, .momentum = 0.9f, .nesterov = 1,
                            .weight_decay = 1e-4f, .schedule = RAMP_SCHED_COSINE,
                            .warmup_steps = 3 };
        assert_int_equal(train(net, X, y, n, &o), RAMP_OK);
        assert_int_equal(ramp_net_get_param(net, 7, RAMP__P_WEIGHT, rep == 0 ? w1 : rep == 1 ? w2 : w3,
                                            320), RAMP_OK);
        if (rep == 0) {
            float *p = malloc(n * 3 * sizeof(float));
            assert_non_null(p);
            assert_int_equal(ramp_net_predict(net, X, n, p), RAMP_OK);
            size_t ok = 0;
            for (size_t i = 0; i < n; i++) {
                float sum = p[3 * i] + p[3 * i + 1] + p[3 * i + 2];
                assert_true(fabsf(sum - 1.f) < 1e-5f);
                int am = 0;
                for (int k = 1; k < 3; k++)
                    if (p[3 * i + k] > p[3 * i + am]) am = k;
                ok += am == y[i];
            }
            assert_true(ok >= 80); /* an easy problem */
            free(p);
            size_t nh;
            const ramp_fit_progress *h = ramp_net_history(net, &nh);
            assert_int_equal(nh, 3);
            assert_true(h[2].loss < h[0].loss);
        }
        ramp_net_free(net);
    }
    assert_memory_equal(w1, w2, sizeof w1);               /* same seed: bit for bit */
    assert_true(memcmp(w1, w3, sizeof w1) != 0);          /* another seed differs */
    free(X);
}

static void test_optimisers(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof(float));
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n);
    ramp_optimizer kinds[3] = { RAMP_OPT_SGD, RAMP_OPT_ADAM, RAMP_OPT_ADAMW };
    for (int k = 0; k < 3; k++) {
        ramp_net *net = small(k == 1 ? RAMP_NN_REF : RAMP_NN_DNNL, 3, 6);
        double l0, l1, a;
        assert_int_equal(ramp_net_evaluate(net, X, y, n, &l0, &a), RAMP_OK);
        ramp_fit_opts o = { .epochs = 4, .optimizer = kinds[k], .weight_decay = 1e-3f,
                            .schedule = RAMP_SCHED_STEP, .step_epochs = 2, .gamma = 0.5f,
                            .label_smoothing = 0.05f, .lr = k ? 0.01f : 0.05f };
        assert_int_equal(train(net, X, y, n, &o), RAMP_OK);
        assert_int_equal(ramp_net_evaluate(net, X, y, n, &l1, &a), RAMP_OK);
        assert_true(l1 < l0);
        ramp_net_free(net);
    }
    /* schedules */
    ramp_fit_opts o = { .schedule = RAMP_SCHED_COSINE, .warmup_steps = 10, .lr_min = 0.f };
    assert_true(fabs(ramp__lr_at(&o, 1.0, 0, 110, 0) - 0.1) < 1e-12);
    assert_true(fabs(ramp__lr_at(&o, 1.0, 10, 110, 0) - 1.0) < 1e-12);
    assert_true(fabs(ramp__lr_at(&o, 1.0, 60, 110, 0) - 0.5) < 1e-12);
    o = (ramp_fit_opts){ .schedule = RAMP_SCHED_STEP, .step_epochs = 2, .gamma = 0.1f };
    assert_true(fabs(ramp__lr_at(&o, 1.0, 5, 100, 5) - 0.01) < 1e-6);
    free(X);
}

/* Each optimiser's update of a dense layer's weights (oneDNN backend, its
   blocked storage updated in slices on two threads) over three steps,
   against torch.optim's formulas evaluated in double. */
static void test_optimiser_updates(void **s)
{
    (void)s;
    const struct {
        ramp_optimizer kind;
        float mu, wd;
        int nesterov;
    } cases[] = { { RAMP_OPT_SGD, 0.f, 0.01f, 0 },  { RAMP_OPT_SGD, 0.9f, 0.01f, 0 },
                  { RAMP_OPT_SGD, 0.9f, 0.f, 1 },   { RAMP_OPT_ADAM, 0.f, 0.01f, 0 },
                  { RAMP_OPT_ADAMW, 0.f, 0.01f, 0 } };
    enum { N = 48, W = 5 * 64 };
    float *X = malloc(N * 64 * sizeof(float));
    int32_t y[N];
    assert_non_null(X);
    toy_data(X, y, N);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ramp_net *net = small(RAMP_NN_DNNL, 1, 5);
        ramp__optim o = { cases[c].kind, 0.05f, cases[c].mu, cases[c].wd, 0.9f, 0.999f, 1e-8f,
                          cases[c].nesterov };
        static float w[W], g[W], w1[W];
        static double m[W], v[W];
        memset(m, 0, sizeof m);
        memset(v, 0, sizeof v);
        for (int t = 1; t <= 3; t++) {
            double l;
            assert_int_equal(ramp_net_forward_backward(net, X, y, N, 0.f, &l), RAMP_OK);
            assert_int_equal(ramp_net_get_param(net, 7, RAMP__P_WEIGHT, w, W), RAMP_OK);
            assert_int_equal(ramp_net_get_grad(net, 7, RAMP__P_WEIGHT, g, W), RAMP_OK);
            assert_int_equal(ramp__optim_step(net, &o), RAMP_OK);
            assert_int_equal(ramp_net_get_param(net, 7, RAMP__P_WEIGHT, w1, W), RAMP_OK);
            double bc1 = 1 - pow(0.9, t), bc2 = 1 - pow(0.999, t), lr = 0.05, wd = cases[c].wd;
            for (int j = 0; j < W; j++) {
                double want, wj = w[j], d = g[j];
                if (cases[c].kind == RAMP_OPT_SGD) {
                    d += wd * wj;
                    if (cases[c].mu != 0.f) {
                        m[j] = t == 1 ? d : cases[c].mu * m[j] + d;
                        d = cases[c].nesterov ? d + cases[c].mu * m[j] : m[j];
                    }
                    want = wj - lr * d;
                } else {
                    if (cases[c].kind == RAMP_OPT_ADAMW)
                        wj *= 1 - lr * wd;
                    else
                        d += wd * wj;
                    m[j] = 0.9 * m[j] + 0.1 * d;
                    v[j] = 0.999 * v[j] + 0.001 * d * d;
                    want = wj - lr / bc1 * m[j] / (sqrt(v[j]) / sqrt(bc2) + 1e-8);
                }
                if (fabs(w1[j] - want) > 1e-6 * (1 + fabs(want)))
                    fprintf(stderr, "case %zu step %d weight %d: %.9g, want %.9g\n", c, t, j,
                            (double)w1[j], want);
                assert_true(fabs(w1[j] - want) <= 1e-6 * (1 + fabs(want)));
            }
        }
        ramp_net_free(net);
    }
    free(X);
}

/* fit, predict and evaluate run on the net's thread count and give the
   caller's back (omp_get_max_threads on the calling thread). */
static void test_omp_threads_restored(void **s)
{
    (void)s;
    int (*get)(void);
    void (*set)(int);
    *(void **)(&get) = dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    *(void **)(&set) = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (!get || !set) {
        skip(); /* no OpenMP runtime loaded: nothing is changed to restore */
        return;
    }
    size_t n = 40;
    float *X = malloc(n * 64 * sizeof(float));
    int32_t y[40];
    assert_non_null(X);
    toy_data(X, y, n);
    set(3);
    ramp_net *net = small(RAMP_NN_DNNL, 7, 5); /* n_threads 2 */
    assert_int_equal(train(net, X, y, n, &(ramp_fit_opts){ .epochs = 1 }), RAMP_OK);
    assert_int_equal(get(), 3);
    float p[40 * 3];
    assert_int_equal(ramp_net_predict(net, X, n, p), RAMP_OK);
    assert_int_equal(get(), 3);
    double loss, acc;
    assert_int_equal(ramp_net_evaluate(net, X, y, n, &loss, &acc), RAMP_OK);
    assert_int_equal(get(), 3);
    ramp_net_free(net);
    free(X);
}

/* Global average pooling over a plane that is not square (5×3): each
   backend's output is the mean of its input plane, and the gradient it sends
   back is dy / 15 at every position; the two backends agree. */
static void test_global_avgpool_not_square(void **s)
{
    (void)s;
    enum { N = 3, C = 4, H = 5, W = 3, HW = H * W };
    float X[N * 2 * HW];
    int32_t y[N] = { 0, 2, 1 };
    ramp_rng r;
    ramp_rng_seed(&r, 9, 0);
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) X[i] = (float)ramp_rng_uniform(&r) - 0.5f;
    float conv[2][N * C * HW], gap[2][N * C], dconv[2][N * C * HW], dgap[2][N * C];
    for (int be = 0; be < 2; be++) {
        ramp_net *net = NULL;
        assert_int_equal(ramp_net_new(&net,
                                      &(ramp_net_params){ .channels = 2, .height = H, .width = W,
                                                          .seed = 4, .n_threads = 1,
                                                          .backend = be ? RAMP_NN_REF : RAMP_NN_DNNL,
                                                          .no_fuse = 1, .keep_grads = 1 },
                                      NULL), RAMP_OK);
        ramp_net_conv2d(net, &(ramp_conv2d){ .filters = C, .kernel = 3, .padding = 1 });
        int id_conv = ramp_net_last(net);
        assert_int_equal(ramp_net_global_avgpool(net), RAMP_OK);
        int id_gap = ramp_net_last(net);
        ramp_net_flatten(net);
        assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = 3 }), RAMP_OK);
        double loss;
        assert_int_equal(ramp_net_forward_backward(net, X, y, N, 0.f, &loss), RAMP_OK);
        assert_int_equal(ramp_net_get_output(net, id_conv, conv[be], N * C * HW), RAMP_OK);
        assert_int_equal(ramp_net_get_output(net, id_gap, gap[be], N * C), RAMP_OK);
        assert_int_equal(ramp_net_get_output_grad(net, id_conv, dconv[be], N * C * HW), RAMP_OK);
        assert_int_equal(ramp_net_get_output_grad(net, id_gap, dgap[be], N * C), RAMP_OK);
        for (int nc = 0; nc < N * C; nc++) {
            double mean = 0;
            for (int i = 0; i < HW; i++) mean += conv[be][nc * HW + i];
            mean /= HW;
            assert_true(fabs(gap[be][nc] - mean) < 1e-6);
            for (int i = 0; i < HW; i++)
                assert_true(fabsf(dconv[be][nc * HW + i] - dgap[be][nc] / HW) < 1e-7f);
        }
        ramp_net_free(net);
    }
    for (int i = 0; i < N * C; i++) {
        assert_true(fabsf(gap[0][i] - gap[1][i]) < 1e-5f);
        assert_true(fabsf(dgap[0][i] - dgap[1][i]) < 1e-5f);
    }
}

/* flatten straight on the input, then dense (a logistic regression on
   pixels): both backends train it and agree on the forward pass */
static void test_flatten_input(void **s)
{
    (void)s;
    enum { N = 4, C = 2, H = 3, W = 5, D = C * H * W };
    float X[N * D];
    int32_t y[N] = { 0, 1, 2, 1 };
    ramp_rng r;
    ramp_rng_seed(&r, 5, 0);
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) X[i] = (float)ramp_rng_uniform(&r) - 0.5f;
    float probs[2][N * 3];
    for (int be = 0; be < 2; be++) {
        ramp_net *net = NULL;
        assert_int_equal(ramp_net_new(&net,
                                      &(ramp_net_params){ .channels = C, .height = H, .width = W,
                                                          .seed = 2, .n_threads = 1,
                                                          .backend = be ? RAMP_NN_REF : RAMP_NN_DNNL },
                                      NULL), RAMP_OK);
        assert_int_equal(ramp_net_flatten(net), RAMP_OK);
        assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = 3 }), RAMP_OK);
        double loss;
        if (ramp_net_forward_backward(net, X, y, N, 0.f, &loss) != RAMP_OK)
            fail_msg("backend %d: %s", be, ramp_net_errmsg(net));
        assert_int_equal(ramp_net_predict(net, X, N, probs[be]), RAMP_OK);
        ramp_net_free(net);
    }
    for (int i = 0; i < N * 3; i++) assert_true(fabsf(probs[0][i] - probs[1][i]) < 1e-5f);
}

/* Bytes of file `path` into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* Every builder's attributes and a branch (test_new_from_file): a dilated
   conv, batchnorm, ReLU, max pooling, dropout, a leaky ReLU (a tanh if
   `other`) fed by the pool beside it, their add, clip, a concat and a
   per-channel mul, average pooling, a dense without bias, softmax; two
   layers named. */
static ramp_net *graph_net(int other)
{
    ramp_net *a = NULL;
    assert_int_equal(ramp_net_new(&a, &(ramp_net_params){ .channels = 1, .height = 8, .width = 8,
                                                           .seed = 4, .backend = RAMP_NN_REF,
                                                           .n_threads = 2 },
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(a, &(ramp_conv2d){ .filters = 4, .kernel = 3, .padding = 2, .stride = 1,
                                       .dilation = 2 });
    ramp_net_set_name(a, 1, "stem");
    ramp_net_batchnorm(a, 0.3f, 1e-4f);
    ramp_net_relu(a);
    ramp_net_maxpool(a, 2, 0, 0);
    int pool = ramp_net_last(a);
    ramp_net_dropout(a, 0.25f);
    int drop = ramp_net_last(a);
    ramp_net_from(a, pool);
    if (other) ramp_net_tanh(a);
    else ramp_net_leaky_relu(a, 0.2f); /* fed by the pool, not the layer before */
    ramp_net_add(a, drop);
    ramp_net_clip(a, -1.f, 2.f);
    ramp_net_concat(a, pool); /* 8×4×4 */
    int cat = ramp_net_last(a);
    ramp_net_global_avgpool(a);
    int gate = ramp_net_last(a);
    ramp_net_from(a, cat);
    ramp_net_mul(a, gate);
    ramp_net_set_name(a, ramp_net_last(a), "gated");
    ramp_net_avgpool(a, 2, 1, 1);
    ramp_net_flatten(a);
    ramp_net_dense(a, &(ramp_dense){ .units = 3, .no_bias = 1, .init = RAMP_INIT_GLOROT });
    ramp_net_softmax(a);
    return a;
}

/* A weight file (version 2) carries its graph: ramp_net_new_from_file
   rebuilds the net (branches, every attribute) with its weights, on either
   backend; a version 1 file still loads into a net built in code but
   rebuilds nothing; a damaged graph and another net's graph are refused. */
static void test_new_from_file(void **s)
{
    (void)s;
    const char *path = "test_nn_api_graph.bin", *v1 = "test_nn_api_graph_v1.bin";
    ramp_net *a = graph_net(0);
    assert_string_equal(ramp_net_errmsg(a), "");
    assert_int_equal(ramp_net_save(a, path), RAMP_OK);
    float X[5 * 64], pa[5 * 3], pb[5 * 3];
    int32_t y[5];
    toy_data(X, y, 5);
    assert_int_equal(ramp_net_predict(a, X, 5, pa), RAMP_OK);
    char sa[4096], sb[4096];
    ramp_net_summary_str(a, sa, sizeof sa);
    for (int be = 0; be < 2; be++) {
        ramp_net *b = NULL;
        ramp_err err = { 0 };
        assert_int_equal(ramp_net_new_from_file(&b, path,
                                                &(ramp_net_params){ .channels = 9, .seed = 99,
                                                                    .backend = be ? RAMP_NN_DNNL
                                                                                  : RAMP_NN_REF,
                                                                    .n_threads = 2 },
                                                &err),
                         RAMP_OK);
        ramp_net_summary_str(b, sb, sizeof sb);
        assert_string_equal(sa, sb); /* the same layers, inputs, shapes and counts */
        for (int i = 0; i < ramp_net_n_layers(a); i++) {
            const ramp__node *x = &a->nodes[i], *z = &b->nodes[i];
            assert_true(x->op == z->op && x->n_in == z->n_in && x->in[0] == z->in[0] &&
                        (x->n_in < 2 || x->in[1] == z->in[1]));
            assert_true(x->k == z->k && x->stride == z->stride && x->pad == z->pad &&
                        x->groups == z->groups && x->bias == z->bias && x->init == z->init);
            assert_true(x->alpha == z->alpha && x->eps == z->eps && x->beta == z->beta &&
                        x->dilation == z->dilation);
            assert_string_equal(ramp_net_layer_name(a, i), ramp_net_layer_name(b, i));
        }
        for (int i = 0; i < ramp_net_n_layers(a); i++)
            for (int k = 0; k < RAMP__P_MAX; k++) {
                const ramp__param *p = &a->nodes[i].p[k];
                assert_int_equal(p->used, b->nodes[i].p[k].used);
                if (p->used) assert_memory_equal(p->plain, b->nodes[i].p[k].plain,
                                                 p->n_plain * sizeof(float));
            }
        assert_int_equal(ramp_net_predict(b, X, 5, pb), RAMP_OK);
        for (int i = 0; i < 5 * 3; i++)
            if (be) assert_true(fabsf(pa[i] - pb[i]) < 1e-5f);
            else assert_true(pa[i] == pb[i]);
        ramp_net_free(b);
    }
    /* version 1: the tensors alone (the graph cut off, the version set back) */
    size_t len;
    uint8_t *buf = slurp(path, &len);
    size_t graph = 0;
    for (size_t i = 0; i + 8 <= len; i++)
        if (memcmp(buf + i, "RAMPNNG", 8) == 0) graph = i;
    assert_true(graph > 16);
    buf[8] = 1;
    spit(v1, buf, graph);
    ramp_net *c = NULL;
    ramp_err err = { 0 };
    assert_int_equal(ramp_net_new_from_file(&c, v1, &(ramp_net_params){ 0 }, &err), RAMP_EFORMAT);
    assert_null(c);
    assert_non_null(strstr(err.msg, "a version 1 weight file holds no graph"));
    assert_int_equal(ramp_net_load(a, v1), RAMP_OK);
    /* a damaged graph */
    buf[8] = 2;
    spit(v1, buf, len - 1);
    assert_int_equal(ramp_net_new_from_file(&c, v1, &(ramp_net_params){ 0 }, &err), RAMP_EFORMAT);
    assert_non_null(strstr(err.msg, "the graph after the weights is damaged"));
    assert_int_equal(ramp_net_load(a, v1), RAMP_EFORMAT);
    /* an unknown layer type: named */
    memcpy(buf + graph + 24 + 1, "Conv9D", 6);
    spit(v1, buf, len);
    assert_int_equal(ramp_net_new_from_file(&c, v1, &(ramp_net_params){ 0 }, &err), RAMP_EFORMAT);
    assert_non_null(strstr(err.msg, "layer 1: unknown layer type 'Conv9D'"));
    /* the tensors of another net with the same shapes but other layers */
    ramp_net *d = graph_net(1);
    assert_int_equal(ramp_net_load(d, path), RAMP_ESHAPE);
    char want[96];
    snprintf(want, sizeof want, "the file's graph (%d layers) is not this network's",
             ramp_net_n_layers(a));
    assert_non_null(strstr(ramp_net_errmsg(d), want));
    ramp_net_free(d);
    free(buf);
    remove(path);
    remove(v1);
    ramp_net_free(a);
}

static void test_save_load(void **s)
{
    (void)s;
    const char *path = "test_nn_api_weights.bin";
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof(float));
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n);
    ramp_net *a = small(RAMP_NN_DNNL, 1, 5), *b = small(RAMP_NN_REF, 2, 5), *c = small(RAMP_NN_DNNL, 1, 6);
    assert_int_equal(train(a, X, y, n, &(ramp_fit_opts){ .epochs = 2, .momentum = 0.9f }), RAMP_OK);
    assert_int_equal(ramp_net_save(a, path), RAMP_OK);
    assert_int_equal(ramp_net_load(b, path), RAMP_OK); /* across backends */
    float pa[48 * 3], pb[48 * 3];
    assert_int_equal(ramp_net_predict(a, X, n, pa), RAMP_OK);
    assert_int_equal(ramp_net_predict(b, X, n, pb), RAMP_OK);
    for (size_t i = 0; i < n * 3; i++) assert_true(fabsf(pa[i] - pb[i]) < 1e-4f);
    /* a network of other shapes: a clear error, weights untouched */
    float before[6 * 64], after[6 * 64];
    assert_int_equal(ramp_net_get_param(c, 7, 0, before, 6 * 64), RAMP_OK);
    assert_int_equal(ramp_net_load(c, path), RAMP_ESHAPE);
    assert_non_null(strstr(ramp_net_errmsg(c), "layer 7 (Dense) kind 0 has shape 5x64 in the file "
                                                "but 6x64"));
    assert_int_equal(ramp_net_get_param(c, 7, 0, after, 6 * 64), RAMP_OK);
    assert_memory_equal(before, after, sizeof before);
    /* corrupt files */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputc('X', f);
    fclose(f);
    assert_int_equal(ramp_net_load(b, path), RAMP_EFORMAT);
    assert_non_null(strstr(ramp_net_errmsg(b), "bad magic"));
    assert_int_equal(ramp_net_load(b, "/nonexistent/w.bin"), RAMP_ENOENT);
    remove(path);
    ramp_net_free(a);
    ramp_net_free(b);
    ramp_net_free(c);
    free(X);
}

/* A net of the import ops on toy_data's 1×8×8 images: a dilated conv, BN,
   ReLU6, a depthwise dilated conv, squeeze-excitation gates (mul), a concat
   with the block's input. `dilation` of the first conv is a parameter: the
   weights do not depend on it. */
static ramp_net *import_net(int backend, int dilation)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 1,
                                                     .height = 8,
                                                     .width = 8,
                                                     .seed = 4,
                                                     .backend = backend,
                                                     .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 8, .kernel = 3, .padding = dilation,
                                         .dilation = dilation });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_clip(net, 0.f, 6.f);
    int x = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 8, .kernel = 3, .padding = 2, .groups = 8,
                                         .dilation = 2 });
    ramp_net_clip(net, 0.f, 6.f);
    int dw = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 8 });
    ramp_net_sigmoid(net);
    int gate = ramp_net_last(net);
    ramp_net_from(net, dw);
    ramp_net_mul(net, gate);
    ramp_net_concat(net, x);
    ramp_net_maxpool(net, 2, 0, 0);
    ramp_net_flatten(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = 3 }), RAMP_OK);
    return net;
}

/* The import ops' contract: their errors, output shapes, summary and
   profile names; a net of them trains on both backends, and its weight file
   loads across backends and into the same net with another dilation (an
   architecture attribute: the weights are the same). */
static void test_import_ops(void **s)
{
    (void)s;
    ramp_net *net = NULL;
    int shape[3];
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3,
                                                          .dilation = -1 }), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "dilation -1"));
    ramp_net_free(net);
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3,
                                                          .dilation = 4 }), RAMP_ESHAPE);
    assert_non_null(strstr(ramp_net_errmsg(net), "dilation 4"));
    ramp_net_free(net);
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    assert_int_equal(ramp_net_clip(net, 1.f, 1.f), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "lo < hi"));
    ramp_net_free(net);

    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    /* floor((8 + 2·0 − 2·2 − 1) / 1) + 1 = 4; (8 + 2·2 − 4 − 1) + 1 = 8;
       floor((8 + 2 − 4 − 1) / 2) + 1 = 3 */
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 6, .kernel = 3,
                                                          .dilation = 2 }), RAMP_OK);
    assert_int_equal(ramp_net_layer_shape(net, 1, shape), RAMP_OK);
    assert_true(shape[0] == 6 && shape[1] == 4 && shape[2] == 4);
    ramp_net_from(net, 0);
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 3, .kernel = 3, .padding = 2,
                                                          .groups = 3, .dilation = 2 }), RAMP_OK);
    assert_int_equal(ramp_net_layer_shape(net, 2, shape), RAMP_OK);
    assert_true(shape[0] == 3 && shape[1] == 8 && shape[2] == 8);
    assert_int_equal(ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 5, .kernel = 3, .stride = 2,
                                                          .padding = 1, .dilation = 2 }), RAMP_OK);
    assert_int_equal(ramp_net_layer_shape(net, 3, shape), RAMP_OK);
    assert_true(shape[0] == 5 && shape[1] == 3 && shape[2] == 3);
    /* mul: same shape (2 and 0), per channel (a C×1×1), else an error */
    ramp_net_from(net, 2);
    assert_int_equal(ramp_net_mul(net, 0), RAMP_OK);
    assert_int_equal(ramp_net_clip(net, 0.f, 6.f), RAMP_OK);
    int cl = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    int g = ramp_net_last(net);
    ramp_net_from(net, cl);
    assert_int_equal(ramp_net_mul(net, g), RAMP_OK);
    assert_int_equal(ramp_net_concat(net, 0), RAMP_OK);
    assert_int_equal(ramp_net_layer_shape(net, ramp_net_last(net), shape), RAMP_OK);
    assert_true(shape[0] == 6 && shape[1] == 8 && shape[2] == 8);
    char buf[4096];
    ramp_net_summary_str(net, buf, sizeof buf);
    assert_non_null(strstr(buf, "Conv2D dilation 2"));
    assert_non_null(strstr(buf, "Clip [0, 6]"));
    assert_non_null(strstr(buf, "Mul (2, 0)"));
    assert_non_null(strstr(buf, "Concat ("));
    assert_int_equal(ramp_net_mul(net, 1), RAMP_ESHAPE); /* 6×8×8 by 6×4×4 */
    assert_non_null(strstr(ramp_net_errmsg(net), "neither"));
    ramp_net_free(net);
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3 });
    assert_int_equal(ramp_net_concat(net, 0), RAMP_ESHAPE); /* 6×6 and 8×8 */
    assert_non_null(strstr(ramp_net_errmsg(net), "differ in H×W"));
    ramp_net_free(net);
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    ramp_net_relu(net);
    assert_int_equal(ramp_net_mul(net, 1), RAMP_EINVAL); /* the current layer itself */
    assert_non_null(strstr(ramp_net_errmsg(net), "twice"));
    ramp_net_free(net);
    assert_int_equal(
        ramp_net_new(&net, &(ramp_net_params){.channels = 3, .height = 8, .width = 8}, NULL),
        RAMP_OK);
    assert_int_equal(ramp_net_concat(net, 5), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "no layer 5"));
    ramp_net_free(net);

    /* training through them, on both backends; oneDNN's profile names them */
    const char *path = "test_nn_api_import.bin";
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof(float));
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n);
    float p[2][48 * 3];
    for (int be = 0; be < 2; be++) {
        ramp_net *t = import_net(be ? RAMP_NN_REF : RAMP_NN_DNNL, 1);
        assert_int_equal(ramp_net_profile(t, 1), RAMP_OK);
        assert_int_equal(train(t, X, y, n, &(ramp_fit_opts){ .epochs = 6, .lr = 0.05f,
                                                            .momentum = 0.9f }), RAMP_OK);
        double loss, acc;
        assert_int_equal(ramp_net_evaluate(t, X, y, n, &loss, &acc), RAMP_OK);
        if (acc < 0.99) fprintf(stderr, "backend %d: loss %g acc %g\n", be, loss, acc);
        assert_true(acc >= 0.99);
        ramp_layer_profile prof[64];
        int np = ramp_net_profile_get(t, prof, 64), seen = 0;
        assert_true(np > 0 && np <= 64);
        for (int i = 0; i < np; i++)
            seen |= (!strcmp(prof[i].type, "Clip")) | (!strcmp(prof[i].type, "Mul") << 1) |
                    (!strcmp(prof[i].type, "Concat") << 2);
        assert_int_equal(seen, be == 0 ? 7 : 0); /* the reference times no layers */
        if (be == 0) assert_int_equal(ramp_net_save(t, path), RAMP_OK);
        ramp_net_free(t);
    }
    ramp_net *a = import_net(RAMP_NN_DNNL, 1), *b = import_net(RAMP_NN_REF, 1);
    assert_int_equal(ramp_net_load(a, path), RAMP_OK);
    assert_int_equal(ramp_net_load(b, path), RAMP_OK);
    assert_int_equal(ramp_net_predict(a, X, n, p[0]), RAMP_OK);
    assert_int_equal(ramp_net_predict(b, X, n, p[1]), RAMP_OK);
    for (size_t i = 0; i < n * 3; i++) assert_true(fabsf(p[0][i] - p[1][i]) < 1e-4f);
    ramp_net *c = import_net(RAMP_NN_DNNL, 2);
    assert_int_equal(ramp_net_load(c, path), RAMP_OK);
    assert_int_equal(ramp_net_predict(c, X, n, p[1]), RAMP_OK);
    double diff = 0;
    for (size_t i = 0; i < n * 3; i++) diff += fabsf(p[0][i] - p[1][i]);
    assert_true(diff > 1e-3); /* another architecture computes something else */
    remove(path);
    ramp_net_free(a);
    ramp_net_free(b);
    ramp_net_free(c);
    free(X);
}

/* The peak resident set (VmHWM) in KiB, reset first when `reset`; -1 when
   /proc cannot say. */
static long peak_kib(int reset)
{
    if (reset) {
        FILE *c = fopen("/proc/self/clear_refs", "w");
        if (!c) return -1;
        int ok = fputs("5", c) >= 0;
        if (fclose(c) != 0 || !ok) return -1;
    }
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    fclose(f);
    return kib;
}

/* After training, evaluation goes through the training batch's plan: the
   same probabilities as an untrained net with the same weights (which
   evaluates a batch of any size on a plan of that size), and no memory for
   another batch size. A 28×28 CNN's plan for 256 rows holds ~60 MB more
   than its 64-row training plan; predict over 1000 rows once built two. */
static void test_eval_after_training(void **s)
{
    (void)s;
    const char *path = "test_nn_api_eval.bin";
    size_t n = 48, m = 37; /* 37 rows: two batches of 16 and one of 5, padded */
    float *X = malloc(n * 64 * sizeof(float)), pa[48 * 3], pb[48 * 3];
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n);
    ramp_net *a = small(RAMP_NN_DNNL, 1, 5), *b = small(RAMP_NN_DNNL, 2, 5);
    assert_int_equal(train(a, X, y, n, &(ramp_fit_opts){ .epochs = 1, .momentum = 0.9f }), RAMP_OK);
    assert_int_equal(ramp_net_save(a, path), RAMP_OK);
    assert_int_equal(ramp_net_load(b, path), RAMP_OK);
    remove(path);
    assert_int_equal(ramp_net_predict(a, X, m, pa), RAMP_OK);
    assert_int_equal(ramp_net_predict(b, X, m, pb), RAMP_OK);
    for (size_t i = 0; i < m * 3; i++) assert_true(fabsf(pa[i] - pb[i]) < 1e-5f);
    ramp_net_free(a);
    ramp_net_free(b);
    free(X);

    /* the memory: one training step at 64 rows, then predict over 1000 */
    size_t rows = 1000, ss = 28 * 28;
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net, &(ramp_net_params){.channels = 1, .height = 28, .width = 28,
                                                           .seed = 3, .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = 10 }), RAMP_OK);
    float *Xb = calloc(rows * ss, sizeof *Xb), *p = malloc(rows * 10 * sizeof *p);
    int32_t yb[64] = { 0 };
    assert_non_null(Xb);
    assert_non_null(p);
    for (size_t i = 0; i < rows * ss; i++) Xb[i] = (float)(i % 7) / 7.f;
    assert_int_equal(ramp_net_forward_backward(net, Xb, yb, 64, 0.f, NULL), RAMP_OK);
    long before = peak_kib(1);
    if (before < 0) {
        ramp_net_free(net);
        free(Xb);
        free(p);
        skip(); /* no /proc/self/clear_refs: the peak cannot be reset */
    }
    assert_int_equal(ramp_net_predict(net, Xb, rows, p), RAMP_OK);
    long grew = peak_kib(0) - before;
    fprintf(stderr, "predict over %zu rows after training: peak +%ld KiB\n", rows, grew);
    assert_true(grew < 8 * 1024);
    ramp_net_free(net);
    free(Xb);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builder_errors),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_determinism_and_predict),
        cmocka_unit_test(test_optimisers),
        cmocka_unit_test(test_optimiser_updates),
        cmocka_unit_test(test_omp_threads_restored),
        cmocka_unit_test(test_global_avgpool_not_square),
        cmocka_unit_test(test_flatten_input),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_new_from_file),
        cmocka_unit_test(test_eval_after_training),
        cmocka_unit_test(test_import_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
