/* test_nn_torch.c — forward outputs and every gradient of a small CNN with
 * batch norm and a residual block against PyTorch 1.13 (computed in double
 * by tests/gen_nn_fixtures.py into tests/fixtures/nn/small_cnn.bin), for
 * both backends: logits, loss (label smoothing 0.1), all parameter
 * gradients, BN running statistics after the step, and eval-mode
 * probabilities. Normalised MSE < 1e-8 (float32 against double). The same
 * for a block of the layers ONNX import needs (import_ops.bin): ReLU6,
 * depthwise and dilated convs, squeeze-excitation mul, concat, clip. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/nn.h"

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
        fx->a[i] = malloc(fx->n[i] * sizeof(float));
        assert_non_null(fx->a[i]);
        assert_int_equal(fread(fx->a[i], 4, fx->n[i], f), fx->n[i]);
    }
    fclose(f);
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

static void check(const char *what, const float *got, const float *want, size_t n)
{
    double s = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        s += (double)want[i] * want[i];
        m = fmax(m, fabs((double)got[i]));
    }
    if (s < 1e-20) { /* a gradient that is zero in exact arithmetic (bias before BN) */
        if (m >= 1e-5) fprintf(stderr, "%s: max %g, want 0\n", what, m);
        assert_true(m < 1e-5);
        return;
    }
    double e = nmse(got, want, n);
    if (e >= 1e-8) fprintf(stderr, "%s: nmse %g\n", what, e);
    assert_true(e < 1e-8);
}

/* ramp layer id and kind of each PyTorch parameter, in the fixture's order */
static const int PID[9][2] = { { 1, 0 }, { 1, 1 }, { 2, 0 }, { 2, 1 }, { 4, 0 },
                               { 5, 0 }, { 5, 1 }, { 10, 0 }, { 10, 1 } };

static void run(int backend)
{
    fixture fx;
    load(&fx, "small_cnn.bin");
    assert_int_equal(fx.count, 2 + 9 + 2 + 9 + 5);
    ramp_net *net = NULL;
    assert_int_equal(
        ramp_net_new(&net,
                     &(ramp_net_params){.channels = 2, .height = 6, .width = 6, .backend = backend},
                     NULL),
        RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3, .padding = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    int skip = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 3, .padding = 1, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_add(net, skip);
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_flatten(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = 5 }), RAMP_OK);
    for (int i = 0; i < 9; i++)
        assert_int_equal(ramp_net_set_param(net, PID[i][0], PID[i][1], fx.a[2 + i], fx.n[2 + i]),
                         RAMP_OK);
    int32_t y[4];
    for (int i = 0; i < 4; i++) y[i] = (int32_t)fx.a[1][i];
    double loss;
    assert_int_equal(ramp_net_forward_backward(net, fx.a[0], y, 4, 0.1f, &loss), RAMP_OK);
    float buf[4096];
    assert_int_equal(ramp_net_get_output(net, 10, buf, 20), RAMP_OK);
    check("logits", buf, fx.a[11], 20);
    assert_true(fabs(loss - fx.a[12][0]) < 1e-5 * fabs(fx.a[12][0]));
    for (int i = 0; i < 9; i++) {
        char what[32];
        snprintf(what, sizeof what, "grad %d", i);
        assert_int_equal(ramp_net_get_grad(net, PID[i][0], PID[i][1], buf, fx.n[13 + i]), RAMP_OK);
        check(what, buf, fx.a[13 + i], fx.n[13 + i]);
    }
    const int rs[4][2] = { { 2, 2 }, { 2, 3 }, { 5, 2 }, { 5, 3 } };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ramp_net_get_param(net, rs[i][0], rs[i][1], buf, 4), RAMP_OK);
        check("running stats", buf, fx.a[22 + i], 4);
    }
    assert_int_equal(ramp_net_predict(net, fx.a[0], 4, buf), RAMP_OK);
    check("eval probabilities", buf, fx.a[26], 20);
    ramp_net_free(net);
    for (int i = 0; i < fx.count; i++) free(fx.a[i]);
}

/* ramp layer id and kind of each parameter of import_ops.bin, in its order */
static const int IPID[12][2] = { { 1, 0 },  { 1, 1 },  { 3, 0 },  { 6, 0 },
                                 { 6, 1 },  { 8, 0 },  { 8, 1 },  { 11, 0 },
                                 { 12, 0 }, { 12, 1 }, { 16, 0 }, { 16, 1 } };

static void run_import(int backend)
{
    fixture fx;
    load(&fx, "import_ops.bin");
    assert_int_equal(fx.count, 2 + 12 + 2 + 12 + 1);
    ramp_net *net = NULL;
    assert_int_equal(
        ramp_net_new(&net,
                     &(ramp_net_params){.channels = 3, .height = 7, .width = 7, .backend = backend},
                     NULL),
        RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 8, .kernel = 1 });
    ramp_net_clip(net, 0.f, 6.f);
    int e = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 8, .kernel = 3, .padding = 2, .groups = 8,
                                         .dilation = 2, .no_bias = 1 });
    ramp_net_clip(net, 0.f, 6.f);
    int d = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 4 });
    ramp_net_relu(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 8 });
    ramp_net_sigmoid(net);
    int g = ramp_net_last(net);
    ramp_net_from(net, d);
    ramp_net_mul(net, g);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 4, .kernel = 1, .no_bias = 1 });
    int p = ramp_net_last(net);
    ramp_net_from(net, e);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 6, .kernel = 3, .padding = 3,
                                         .dilation = 3 });
    ramp_net_concat(net, p);
    ramp_net_clip(net, -1.f, 1.f);
    ramp_net_global_avgpool(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = 5 }), RAMP_OK);
    assert_int_equal(ramp_net_n_layers(net), 17);
    for (int i = 0; i < 12; i++)
        assert_int_equal(ramp_net_set_param(net, IPID[i][0], IPID[i][1], fx.a[2 + i],
                                            fx.n[2 + i]), RAMP_OK);
    int32_t y[4];
    for (int i = 0; i < 4; i++) y[i] = (int32_t)fx.a[1][i];
    double loss;
    assert_int_equal(ramp_net_forward_backward(net, fx.a[0], y, 4, 0.1f, &loss), RAMP_OK);
    float buf[4096];
    assert_int_equal(ramp_net_get_output(net, 16, buf, 20), RAMP_OK);
    check("logits", buf, fx.a[14], 20);
    assert_true(fabs(loss - fx.a[15][0]) < 1e-5 * fabs(fx.a[15][0]));
    for (int i = 0; i < 12; i++) {
        char what[32];
        snprintf(what, sizeof what, "grad %d", i);
        assert_int_equal(ramp_net_get_grad(net, IPID[i][0], IPID[i][1], buf, fx.n[16 + i]),
                         RAMP_OK);
        check(what, buf, fx.a[16 + i], fx.n[16 + i]);
    }
    assert_int_equal(ramp_net_predict(net, fx.a[0], 4, buf), RAMP_OK);
    check("eval probabilities", buf, fx.a[28], 20);
    ramp_net_free(net);
    for (int i = 0; i < fx.count; i++) free(fx.a[i]);
}

static void test_torch_import_ref(void **s)
{
    (void)s;
    run_import(RAMP_NN_REF);
}

static void test_torch_import_dnnl(void **s)
{
    (void)s;
    run_import(RAMP_NN_DNNL);
}

static void test_torch_ref(void **s)
{
    (void)s;
    run(RAMP_NN_REF);
}

static void test_torch_dnnl(void **s)
{
    (void)s;
    run(RAMP_NN_DNNL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torch_ref),
        cmocka_unit_test(test_torch_dnnl),
        cmocka_unit_test(test_torch_import_ref),
        cmocka_unit_test(test_torch_import_dnnl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
