/* test_onnx.c — ONNX import (src/onnx/onnx_import.c) against PyTorch.
 *
 * tests/gen_onnx_fixtures.py exports small VGG-, ResNet- and MobileNetV2-
 * shaped networks and an MLP with torch.onnx (random weights, batch norms
 * with non-trivial statistics; the ResNet keeps its BatchNormalization
 * nodes, the VGG has them folded into its convs) and saves an input and
 * PyTorch's eval-mode output. Each model is loaded on both backends and its
 * output must match PyTorch's to 1e-5 (absolute, or relative above 1). The
 * rest are errors: every unsupported operator named, a node's bad
 * attribute, missing initializer, shape mismatch, external data and wrong
 * types named; truncated and garbage files fail with a message, never
 * crash (the fuzzer, tests/fuzz/fuzz_onnx.c, goes further).
 */
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
#include "ramp/npy.h"
#include "ramp/onnx.h"

#define FIX RAMP_SOURCE_DIR "/tests/fixtures/onnx/"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    uint8_t *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Max |got − want| / max(1, |want|). */
static double max_err(const float *got, const float *want, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]) / fmax(1.0, fabs((double)want[i]));
        if (!(d <= m)) m = d; /* NaN wins */
    }
    return m;
}

/* Loads NAME.onnx on `backend`, runs NAME_x.npy, compares with NAME_y.npy. */
static void check_model(const char *name, ramp_nn_backend backend, int from_memory)
{
    char path[512];
    ramp_err err;
    float *x, *y;
    size_t n, d, ny, k;
    snprintf(path, sizeof path, FIX "%s_x.npy", name);
    assert_int_equal(ramp_npy_read_matrix_f(&x, &n, &d, path, &err), RAMP_OK);
    snprintf(path, sizeof path, FIX "%s_y.npy", name);
    assert_int_equal(ramp_npy_read_matrix_f(&y, &ny, &k, path, &err), RAMP_OK);
    assert_int_equal(n, ny);
    snprintf(path, sizeof path, FIX "%s.onnx", name);

    ramp_net *net = NULL;
    ramp_net_params p = {.backend = backend, .seed = 1};
    ramp_status st;
    if (from_memory) {
        size_t len;
        uint8_t *buf = slurp(path, &len);
        st = ramp_net_load_onnx_mem(&net, buf, len, &p, &err);
        memset(buf, 0xAB, len); /* nothing of it is kept */
        free(buf);
    } else {
        st = ramp_net_load_onnx(&net, path, &p, &err);
    }
    if (st) fprintf(stderr, "%s: %s\n", name, err.msg);
    assert_int_equal(st, RAMP_OK);
    assert_non_null(net);
    int in[3];
    assert_int_equal(ramp_net_layer_shape(net, 0, in), RAMP_OK);
    assert_int_equal((size_t)in[0] * in[1] * in[2], d);

    float *probs = malloc(n * k * sizeof *probs), *got = malloc(n * k * sizeof *got);
    assert_non_null(probs);
    assert_non_null(got);
    assert_int_equal(ramp_net_predict(net, x, n, probs), RAMP_OK);
    int last = ramp_net_last(net);
    char summary[4096];
    ramp_net_summary_str(net, summary, sizeof summary);
    if (strstr(summary, "Softmax")) /* the model ends with its softmax */
        memcpy(got, probs, n * k * sizeof *got);
    else
        assert_int_equal(ramp_net_get_output(net, last, got, n * k), RAMP_OK);
    double e = max_err(got, y, n * k);
    if (!(e <= 1e-5))
        fprintf(stderr, "%s (%s): error %g\n%s", name, backend == RAMP_NN_REF ? "ref" : "dnnl", e,
                summary);
    assert_true(e <= 1e-5);
    ramp_net_free(net);
    free(probs);
    free(got);
    free(x);
    free(y);
}

static void vgg_ref(void **s)
{
    (void)s;
    check_model("vgg", RAMP_NN_REF, 0);
}
static void vgg_dnnl(void **s)
{
    (void)s;
    check_model("vgg", RAMP_NN_DNNL, 0);
}
static void vgg_mem(void **s)
{
    (void)s;
    check_model("vgg", RAMP_NN_DNNL, 1);
}
static void resnet_ref(void **s)
{
    (void)s;
    check_model("resnet", RAMP_NN_REF, 0);
}
static void resnet_dnnl(void **s)
{
    (void)s;
    check_model("resnet", RAMP_NN_DNNL, 0);
}
static void mobilenet_ref(void **s)
{
    (void)s;
    check_model("mobilenet", RAMP_NN_REF, 0);
}
static void mobilenet_dnnl(void **s)
{
    (void)s;
    check_model("mobilenet", RAMP_NN_DNNL, 0);
}
static void opset9_ref(void **s)
{
    (void)s;
    check_model("small_opset9", RAMP_NN_REF, 0);
}
static void opset9_dnnl(void **s)
{
    (void)s;
    check_model("small_opset9", RAMP_NN_DNNL, 0);
}
static void mlp_ref(void **s)
{
    (void)s;
    check_model("mlp", RAMP_NN_REF, 0);
}
static void mlp_dnnl(void **s)
{
    (void)s;
    check_model("mlp", RAMP_NN_DNNL, 1);
}
/* x.view(x.size(0), -1) with a dynamic batch: Shape, Gather, Unsqueeze (axes
   an input; an attribute at opset 11), Concat, Reshape evaluated at import;
   shape_ops: Slice, Squeeze, Cast and Mul too */
static void view_flatten_ref(void **s)
{
    (void)s;
    check_model("view_flatten", RAMP_NN_REF, 0);
    check_model("view_flatten_opset11", RAMP_NN_REF, 0);
    check_model("view_product", RAMP_NN_REF, 0);
    check_model("shape_ops", RAMP_NN_REF, 0);
}
static void view_flatten_dnnl(void **s)
{
    (void)s;
    check_model("view_flatten", RAMP_NN_DNNL, 0);
    check_model("view_flatten_opset11", RAMP_NN_DNNL, 1);
    check_model("view_product", RAMP_NN_DNNL, 0);
    check_model("shape_ops", RAMP_NN_DNNL, 0);
}

/* The error of loading fixture `file`: its status and message. */
static ramp_status load_err(const char *file, const ramp_net_params *p, ramp_err *err)
{
    ramp_net *net = (ramp_net *)&net; /* must be reset */
    ramp_status st = ramp_net_load_onnx(&net, file, p, err);
    if (st)
        assert_null(net);
    else
        ramp_net_free(net);
    assert_int_equal(err->code, st);
    return st;
}

static void expect(const char *file, ramp_status want, const char *msg)
{
    ramp_err err;
    ramp_net_params p = {.backend = RAMP_NN_REF};
    ramp_status st = load_err(file, &p, &err);
    if (st != want || !strstr(err.msg, msg))
        fprintf(stderr, "%s: got %s '%s', want %s '...%s...'\n", file, ramp_err_name(st), err.msg,
                ramp_err_name(want), msg);
    assert_int_equal(st, want);
    assert_non_null(strstr(err.msg, msg));
}

static void unsupported_ops(void **s)
{
    (void)s;
    ramp_err err;
    assert_int_equal(load_err(FIX "unsupported.onnx", NULL, &err), RAMP_EUNSUPPORTED);
    /* every operator once, with the first node using it */
    assert_string_equal(err.msg, FIX "unsupported.onnx: unsupported operators: Resize (node "
                                     "/up/Resize), LSTM (node lstm_1)");
}

static void node_errors(void **s)
{
    (void)s;
    expect(FIX "bad_attr.onnx", RAMP_EFORMAT,
           "bad_attr.onnx: node 'conv1' (Conv): attribute 'strides' is not a list of integers");
    expect(FIX "bad_missing.onnx", RAMP_EFORMAT,
           "node 'conv1' (Conv): weights 'W' is not an initializer, a Constant nor the output "
           "of an earlier node");
    expect(FIX "bad_shape.onnx", RAMP_ESHAPE,
           "node 'fc' (Gemm): weights take 100 inputs, the input has 144");
    expect(FIX "bad_external.onnx", RAMP_EUNSUPPORTED,
           "node 'conv1' (Conv): tensor 'W' keeps its data in an external file");
    expect(FIX "bad_int_weights.onnx", RAMP_EFORMAT,
           "node 'conv1' (Conv): weights 'W' is int64, not float");
    expect(FIX "bad_pads.onnx", RAMP_EUNSUPPORTED,
           "node 'conv1' (Conv): pads (0, 0, 1, 1) are not the same on every side");
    expect(FIX "bad_avg_pad.onnx", RAMP_EUNSUPPORTED,
           "node 'pool1' (AveragePool): count_include_pad=0 with padding 1");
    expect(FIX "bad_ceil.onnx", RAMP_EUNSUPPORTED,
           "node 'pool1' (MaxPool): ceil_mode=1 changes the output size here (4, not 3)");
    expect(FIX "bad_reshape.onnx", RAMP_EUNSUPPORTED,
           "node 'reshape1' (Reshape): reshape to (1, 3, 64); ramp reshapes only as a flatten");
    expect(FIX "bad_domain.onnx", RAMP_EUNSUPPORTED,
           "bad_domain.onnx: unsupported operators: com.microsoft.FusedConv (node fc1)");
    expect(FIX "bad_softmax.onnx", RAMP_EUNSUPPORTED,
           "node 'sm' (Softmax): softmax over axis 1 of a 4-D tensor");
    /* shapes evaluated at import that are no flatten */
    expect(FIX "bad_view_3d.onnx", RAMP_EUNSUPPORTED,
           "node '/Reshape' (Reshape): reshape to (N, 4, -1); ramp reshapes only as a flatten "
           "to (N, -1) or (N, 64)");
    expect(FIX "bad_view_gather1.onnx", RAMP_EUNSUPPORTED,
           "node '/Reshape' (Reshape): reshape to (4, -1) whose first size is not the batch "
           "size; ramp reshapes only as a flatten to (N, -1) or (N, 64)");
    expect(FIX "bad_batch_mul.onnx", RAMP_EUNSUPPORTED,
           "node 'mul1' (Mul): a product with the batch size");
    expect(FIX "bad_shape_read.onnx", RAMP_EUNSUPPORTED,
           "node 'relu1' (Relu): input 's' is a shape evaluated at import; ramp reads such "
           "values only as a Reshape's shape");
}

static void input_size(void **s)
{
    (void)s;
    /* the model fixes 16×16: asking for another size is an error, the same
       size is fine */
    ramp_net_params p = {.backend = RAMP_NN_REF, .height = 32};
    ramp_err err;
    assert_int_equal(load_err(FIX "vgg.onnx", &p, &err), RAMP_ESHAPE);
    assert_non_null(strstr(err.msg, "input 'input' has height 16 but the parameters ask for 32"));
    p.height = 16;
    assert_int_equal(load_err(FIX "vgg.onnx", &p, &err), RAMP_OK);
    /* a symbolic H and W: the parameters must give them */
    p = (ramp_net_params){.backend = RAMP_NN_REF};
    assert_int_equal(load_err(FIX "vgg_symbolic.onnx", &p, &err), RAMP_EINVAL);
    assert_non_null(strstr(err.msg, "input 'input' leaves its height open: give it in the "
                                    "parameters (ramp_net_params.height)"));
    p.height = p.width = 16;
    ramp_net *net;
    assert_int_equal(ramp_net_load_onnx(&net, FIX "vgg_symbolic.onnx", &p, &err), RAMP_OK);
    int shp[3];
    assert_int_equal(ramp_net_layer_shape(net, 0, shp), RAMP_OK);
    assert_int_equal(shp[0], 3);
    assert_int_equal(shp[1], 16);
    assert_int_equal(shp[2], 16);
    ramp_net_free(net);
    /* another size reaches the Gemm, whose weights then do not fit */
    p.height = p.width = 20;
    assert_int_equal(load_err(FIX "vgg_symbolic.onnx", &p, &err), RAMP_ESHAPE);
    assert_non_null(strstr(err.msg, "(Gemm): weights take 256 inputs, the input has 400"));
}

/* An imported net is an ordinary one: a layer added after it draws its own
   weights (the importer leaves its layers' weights undrawn, as it sets
   them), trains, and the imported weights are the file's. */
static void extend_after_import(void **s)
{
    (void)s;
    ramp_net *net;
    ramp_err err;
    ramp_net_params p = {.backend = RAMP_NN_REF, .seed = 3};
    assert_int_equal(ramp_net_load_onnx(&net, FIX "mlp.onnx", &p, &err), RAMP_OK);
    int last = ramp_net_last(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 3}), RAMP_OK);
    float w[15];
    assert_int_equal(ramp_net_get_param(net, last + 1, 0, w, 15), RAMP_OK);
    int nonzero = 0;
    for (int i = 0; i < 15; i++)
        nonzero += w[i] != 0.f;
    assert_int_equal(nonzero, 15);
    float x[2 * 16] = {0};
    int32_t y[2] = {0, 2};
    double loss;
    assert_int_equal(ramp_net_forward_backward(net, x, y, 2, 0.f, &loss), RAMP_OK);
    assert_true(isfinite(loss) && loss > 0);
    ramp_net_free(net);
}

/* Each layer is named after its node; the input layer keeps its default. */
static void layer_names(void **s)
{
    (void)s;
    ramp_net *net;
    ramp_err err;
    ramp_net_params p = {.backend = RAMP_NN_REF};
    assert_int_equal(ramp_net_load_onnx(&net, FIX "vgg.onnx", &p, &err), RAMP_OK);
    assert_int_equal(ramp_net_find(net, "/classifier/classifier.3/Gemm"), ramp_net_last(net));
    assert_int_equal(ramp_net_find(net, "/features/features.0/Conv"), 1);
    assert_string_equal(ramp_net_layer_name(net, 1), "/features/features.0/Conv");
    ramp_net_free(net);
    /* a node without a name: the engine's default */
    assert_int_equal(ramp_net_load_onnx(&net, FIX "mlp.onnx", &p, &err), RAMP_OK);
    assert_int_equal(ramp_net_find(net, "/MatMul"), 2); /* 1 is the Reshape's flatten */
    assert_int_equal(ramp_net_find(net, "/Add"), -1);   /* folded into the MatMul's dense */
    ramp_net_free(net);
    /* cleaned to the engine's rules: spaces and control bytes become '_',
       cut at 63 bytes; a name taken already leaves the default */
    assert_int_equal(ramp_net_load_onnx(&net, FIX "names.onnx", &p, &err), RAMP_OK);
    assert_string_equal(ramp_net_layer_name(net, 1), "my_conv_1");
    assert_string_equal(ramp_net_layer_name(net, 2), "relu2");
    char f63[64];
    memset(f63, 'f', 63);
    f63[63] = 0;
    assert_string_equal(ramp_net_layer_name(net, 3), f63);
    ramp_net_free(net);
}

static void malformed(void **s)
{
    (void)s;
    size_t len;
    uint8_t *buf = slurp(FIX "resnet.onnx", &len);
    ramp_err err;
    ramp_net_params p = {.backend = RAMP_NN_REF};
    /* every prefix length in steps: a truncated file is an error */
    for (size_t cut = 0; cut < len; cut += 97) {
        ramp_net *net = NULL;
        ramp_status st = ramp_net_load_onnx_mem(&net, buf, cut, &p, &err);
        assert_int_not_equal(st, RAMP_OK);
        assert_null(net);
        assert_true(err.msg[0] != 0);
    }
    /* bytes flipped here and there: an error or a net, never a crash */
    uint32_t r = 12345;
    for (int t = 0; t < 200; t++) {
        uint8_t *c = malloc(len);
        assert_non_null(c);
        memcpy(c, buf, len);
        for (int k = 0; k < 4; k++) {
            r = r * 1103515245u + 12345u;
            c[(r >> 8) % len] ^= (uint8_t)(1u << (r % 8));
        }
        ramp_net *net = NULL;
        if (ramp_net_load_onnx_mem(&net, c, len, &p, &err) == RAMP_OK)
            ramp_net_free(net);
        else
            assert_null(net);
        free(c);
    }
    free(buf);
    /* garbage */
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof junk; i++) {
        r = r * 1103515245u + 12345u;
        junk[i] = (uint8_t)(r >> 16);
    }
    ramp_net *net = NULL;
    assert_int_not_equal(ramp_net_load_onnx_mem(&net, junk, sizeof junk, &p, &err), RAMP_OK);
    assert_null(net);
    /* a PNG is no ONNX model */
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    assert_int_equal(ramp_net_load_onnx_mem(&net, png, sizeof png, &p, &err), RAMP_EFORMAT);
    assert_non_null(strstr(err.msg, "not an ONNX model"));
    /* empty, missing, a folder, NULLs */
    assert_int_equal(ramp_net_load_onnx_mem(&net, "", 0, &p, &err), RAMP_EFORMAT);
    assert_int_equal(ramp_net_load_onnx(&net, FIX "no_such.onnx", &p, &err), RAMP_ENOENT);
    assert_non_null(strstr(err.msg, "no_such.onnx"));
    assert_int_not_equal(ramp_net_load_onnx(&net, FIX, &p, &err), RAMP_OK);
    assert_int_equal(ramp_net_load_onnx(NULL, FIX "vgg.onnx", &p, &err), RAMP_EINVAL);
    assert_int_equal(ramp_net_load_onnx(&net, NULL, &p, NULL), RAMP_EINVAL);
    assert_null(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vgg_ref),
        cmocka_unit_test(vgg_dnnl),
        cmocka_unit_test(vgg_mem),
        cmocka_unit_test(resnet_ref),
        cmocka_unit_test(resnet_dnnl),
        cmocka_unit_test(mobilenet_ref),
        cmocka_unit_test(mobilenet_dnnl),
        cmocka_unit_test(mlp_ref),
        cmocka_unit_test(mlp_dnnl),
        cmocka_unit_test(opset9_ref),
        cmocka_unit_test(opset9_dnnl),
        cmocka_unit_test(view_flatten_ref),
        cmocka_unit_test(view_flatten_dnnl),
        cmocka_unit_test(unsupported_ops),
        cmocka_unit_test(node_errors),
        cmocka_unit_test(input_size),
        cmocka_unit_test(extend_after_import),
        cmocka_unit_test(layer_names),
        cmocka_unit_test(malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
