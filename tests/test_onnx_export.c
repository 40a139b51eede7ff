/* test_onnx_export.c — ramp_net_save_onnx: the file is a valid ONNX model
 * (Debian's python3-onnx checker with full shape inference) that computes
 * what ramp computes (tests/onnx_run_torch.py, an interpreter over
 * torch.nn.functional, within 1e-5 on both backends), with the agreed
 * header (IR 8, opset 13, producer "ramp", input "input" N×C×H×W with a
 * symbolic N, output "output", node names from the layers); the round trip
 * through ramp_net_load_onnx gives the same parameter and output bits;
 * errors name the layer at fault, and the file is replaced atomically. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"
#include "onnx_subset.pb-c.h"
#include "ramp/gen.h"
#include "ramp/nn.h"
#include "ramp/npy.h"
#include "ramp/onnx.h"
#include "ramp/rng.h"

static char work[256];

static int setup(void **s)
{
    (void)s;
    snprintf(work, sizeof work, "%s/test_onnx_export.work", RAMP_BINARY_DIR "/tests");
    ramp__rmtree(work);
    return ramp__mkdirs(work) == 0 ? 0 : -1;
}

static char *path_in(const char *name)
{
    static char buf[16][512]; /* a ring: up to 16 paths in use at once */
    static int k;
    k = (k + 1) % 16;
    snprintf(buf[k], sizeof buf[k], "%s/%s", work, name);
    return buf[k];
}

static ramp_net *net_new(int backend, int c, int h, int w)
{
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){.channels = c,
                                                     .height = h,
                                                     .width = w,
                                                     .seed = 7,
                                                     .backend = backend,
                                                     .n_threads = 2},
                                  NULL),
                     RAMP_OK);
    return net;
}

/* Every parameter of the net random (running variances positive), so a
   batchnorm's statistics and γ, β matter. */
static void randomise(ramp_net *net, uint64_t seed)
{
    ramp_rng r;
    ramp_rng_seed(&r, seed, 0);
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[i].p[k];
            if (!p->used) continue;
            float *v = malloc(p->n_plain * sizeof *v);
            assert_non_null(v);
            float scale = net->nodes[i].op == RAMP__OP_BN ? 0.5f : 0.3f;
            for (size_t j = 0; j < p->n_plain; j++) {
                float u = (float)(2.0 * ramp_rng_uniform(&r) - 1.0);
                v[j] = k == RAMP__P_RVAR                                        ? 0.5f + u * u
                       : k == RAMP__P_WEIGHT && net->nodes[i].op == RAMP__OP_BN ? 1.f + scale * u
                                                                                : scale * u;
            }
            assert_int_equal(ramp_net_set_param(net, i, k, v, p->n_plain), RAMP_OK);
            free(v);
        }
}

/* Every layer type the engine has, on a 3×12×12 input: convs (bias, none,
   groups, stride), batchnorm on images and on features, each activation,
   both pools with padding, a residual add between two branches, dropout,
   a dense on an image-shaped input (exported behind a Flatten) and one on
   features, ending in softmax when `softmax`. */
static ramp_net *every_op(int backend, int softmax)
{
    ramp_net *net = net_new(backend, 3, 12, 12);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 8, .kernel = 3, .padding = 1});
    ramp_net_batchnorm(net, 0.2f, 1e-3f);
    int a = ramp_net_last(net);
    ramp_net_relu(net);
    ramp_net_conv2d(
        net, &(ramp_conv2d){.filters = 8, .kernel = 3, .padding = 1, .groups = 2, .no_bias = 1});
    ramp_net_leaky_relu(net, 0.1f);
    int b = ramp_net_last(net);
    ramp_net_from(net, a);
    ramp_net_tanh(net);
    ramp_net_add(net, b);
    ramp_net_maxpool(net, 3, 2, 1);
    ramp_net_sigmoid(net);
    ramp_net_avgpool(net, 3, 1, 1);
    ramp_net_dropout(net, 0.3f);
    ramp_net_dense(net, &(ramp_dense){.units = 16});
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    ramp_net_dense(net, &(ramp_dense){.units = 5});
    if (softmax) ramp_net_softmax(net);
    assert_int_equal(ramp_net_last(net) >= 0 ? RAMP_OK : RAMP_EINVAL, RAMP_OK);
    assert_string_equal(ramp_net_errmsg(net), "");
    randomise(net, 11);
    return net;
}

/* conv, stride 2, global average pool (C×1×1), flatten, dense: logits. */
static ramp_net *gap_net(int backend)
{
    ramp_net *net = net_new(backend, 2, 9, 7);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 6, .kernel = 3, .stride = 2});
    ramp_net_relu(net);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 4}), RAMP_OK);
    randomise(net, 12);
    return net;
}

/* The import ops on a 4×10×10 input, MobileNetV2 and SE style: a dilated
   conv, ReLU6 (clip 0, 6), a depthwise conv, a squeeze-excitation gate
   (global pool, 1×1 convs, sigmoid, mul by the C×1×1 gate), a concat of two
   branches; then on features: a gate from a flat vector onto an image (mul,
   second input reshaped; only if `flat_gate`, as the importer takes no
   such Reshape yet), a concat of a flat vector with a C×1×1 pool
   (flattened), a flat mul; two layers named. */
static ramp_net *ops_net(int backend, int flat_gate)
{
    ramp_net *net = net_new(backend, 4, 10, 10);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 8, .kernel = 3, .padding = 2, .dilation = 2});
    ramp_net_set_name(net, 1, "stem.conv");
    ramp_net_clip(net, 0.f, 6.f);
    int x = ramp_net_last(net);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 8, .kernel = 3, .padding = 1, .groups = 8});
    int dw = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 4, .kernel = 1});
    ramp_net_relu(net);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 8, .kernel = 1});
    ramp_net_sigmoid(net);
    int gate = ramp_net_last(net);
    ramp_net_from(net, dw);
    ramp_net_mul(net, gate); /* 8×10×10 ⊙ 8×1×1 */
    ramp_net_set_name(net, ramp_net_last(net), "se.mul");
    ramp_net_concat(net, x); /* 16×10×10 */
    int cat = ramp_net_last(net);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = 16});
    ramp_net_sigmoid(net);
    int fgate = ramp_net_last(net); /* flat 16 */
    ramp_net_from(net, cat);
    if (flat_gate) ramp_net_mul(net, fgate); /* 16×10×10 ⊙ flat 16 */
    ramp_net_global_avgpool(net);            /* 16×1×1 */
    int pooled = ramp_net_last(net);
    ramp_net_from(net, fgate);
    ramp_net_concat(net, pooled); /* flat 16 + 16×1×1 → flat 32 */
    int feat = ramp_net_last(net);
    ramp_net_tanh(net);
    ramp_net_mul(net, feat); /* flat ⊙ flat */
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 3}), RAMP_OK);
    assert_string_equal(ramp_net_errmsg(net), "");
    randomise(net, 13);
    return net;
}

static float *inputs(const ramp_net *net, size_t n, uint64_t seed)
{
    size_t f = ramp__node_size(&net->nodes[0]);
    float *X = malloc(n * f * sizeof *X);
    assert_non_null(X);
    ramp_rng r;
    ramp_rng_seed(&r, seed, 1);
    for (size_t i = 0; i < n * f; i++)
        X[i] = (float)(2.0 * ramp_rng_uniform(&r) - 1.0);
    return X;
}

/* The net's output for X: probabilities after a softmax layer, else the
   last layer's own output (logits), n × K. */
static float *outputs(ramp_net *net, const float *X, size_t n, size_t *k)
{
    int last = ramp_net_n_layers(net) - 1, shape[3];
    assert_int_equal(ramp_net_layer_shape(net, last, shape), RAMP_OK);
    *k = (size_t)shape[0];
    float *Y = malloc(n * *k * sizeof *Y);
    assert_non_null(Y);
    assert_int_equal(ramp_net_predict(net, X, n, Y), RAMP_OK);
    if (net->nodes[last].op != RAMP__OP_SOFTMAX)
        assert_int_equal(ramp_net_get_output(net, last, Y, n * *k), RAMP_OK);
    return Y;
}

/* Runs tests/onnx_run_torch.py; its exit status (77: cannot run here). */
static int torch_check(const char *model, const char *x, const char *y)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/onnx_run_torch.py %s %s --expect %s",
             RAMP_SOURCE_DIR, model, x, y);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

/* Exports net, runs it in PyTorch on n random samples and compares. */
static int export_and_compare(ramp_net *net, const char *name, size_t n)
{
    char model[600], xs[600], ys[600];
    snprintf(model, sizeof model, "%s/%s.onnx", work, name);
    snprintf(xs, sizeof xs, "%s/%s_x.npy", work, name);
    snprintf(ys, sizeof ys, "%s/%s_y.npy", work, name);
    assert_int_equal(ramp_net_save_onnx(net, model), RAMP_OK);
    float *X = inputs(net, n, 5);
    size_t k, f = ramp__node_size(&net->nodes[0]);
    float *Y = outputs(net, X, n, &k);
    assert_int_equal(ramp_npy_write_matrix_f(xs, X, n, f, NULL), RAMP_OK);
    assert_int_equal(ramp_npy_write_matrix_f(ys, Y, n, k, NULL), RAMP_OK);
    free(X);
    free(Y);
    return torch_check(model, xs, ys);
}

static void test_torch_runs_export(void **s)
{
    (void)s;
    int skipped = 0;
    for (int be = 0; be < 2; be++) {
        ramp_nn_backend backend = be ? RAMP_NN_DNNL : RAMP_NN_REF;
        const char *bn = be ? "dnnl" : "ref";
        char name[64];
        for (int sm = 0; sm < 2; sm++) {
            ramp_net *net = every_op(backend, sm);
            snprintf(name, sizeof name, "every_%s_%s", sm ? "softmax" : "logits", bn);
            int rc = export_and_compare(net, name, 7);
            ramp_net_free(net);
            if (rc == 77)
                skipped = 1;
            else
                assert_int_equal(rc, 0);
        }
        ramp_net *net = gap_net(backend);
        snprintf(name, sizeof name, "gap_%s", bn);
        int rc = export_and_compare(net, name, 5);
        ramp_net_free(net);
        if (rc == 77)
            skipped = 1;
        else
            assert_int_equal(rc, 0);
        net = ops_net(backend, 1);
        snprintf(name, sizeof name, "ops_%s", bn);
        rc = export_and_compare(net, name, 5);
        ramp_net_free(net);
        if (rc == 77)
            skipped = 1;
        else
            assert_int_equal(rc, 0);
    }
    if (skipped) skip(); /* no python3-onnx or python3-torch */
}

/* The header fields, names and shapes, read back with protobuf-c. */
static void test_model_header(void **s)
{
    (void)s;
    ramp_net *net = every_op(RAMP_NN_REF, 0);
    const char *path = path_in("header.onnx");
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_OK);
    uint8_t *data;
    size_t len;
    assert_int_equal(ramp__read_file(path, 1 << 24, &data, &len, NULL), RAMP_OK);
    RampOnnxpb__ModelProto *m = ramp__onnxpb__model_proto__unpack(NULL, len, data);
    assert_non_null(m);
    assert_int_equal(m->ir_version, 8);
    assert_int_equal(m->n_opset_import, 1);
    assert_int_equal(m->opset_import[0]->version, 13);
    assert_string_equal(m->producer_name, "ramp");
    assert_non_null(strstr(m->doc_string, "logits"));
    const RampOnnxpb__GraphProto *g = m->graph;
    assert_int_equal(g->n_input, 1);
    assert_string_equal(g->input[0]->name, "input");
    const RampOnnxpb__TensorShapeProto *sh = g->input[0]->type->tensor_type->shape;
    assert_int_equal(sh->n_dim, 4);
    assert_string_equal(sh->dim[0]->dim_param, "N");
    assert_int_equal(sh->dim[1]->dim_value, 3);
    assert_int_equal(sh->dim[2]->dim_value, 12);
    assert_int_equal(sh->dim[3]->dim_value, 12);
    assert_int_equal(g->n_output, 1);
    assert_string_equal(g->output[0]->name, "output");
    sh = g->output[0]->type->tensor_type->shape;
    assert_int_equal(sh->n_dim, 2);
    assert_int_equal(sh->dim[1]->dim_value, 5);
    /* one node per layer, plus the Flatten before the first dense */
    assert_int_equal(g->n_node, (size_t)ramp_net_n_layers(net));
    assert_string_equal(g->node[0]->op_type, "Conv");
    assert_string_equal(g->node[0]->name, "conv2d1");
    assert_string_equal(g->node[0]->input[0], "input");
    assert_string_equal(g->node[0]->input[1], "conv2d1.weight");
    assert_string_equal(g->node[0]->output[0], "conv2d1");
    int saw_flatten = 0, saw_avg = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        const RampOnnxpb__NodeProto *n = g->node[i];
        if (strcmp(n->op_type, "Flatten") == 0) {
            saw_flatten = 1;
            assert_string_equal(g->node[i + 1]->op_type, "Gemm");
            assert_string_equal(n->output[0], g->node[i + 1]->input[0]);
        }
        if (strcmp(n->op_type, "AveragePool") == 0)
            for (size_t a = 0; a < n->n_attribute; a++)
                if (strcmp(n->attribute[a]->name, "count_include_pad") == 0)
                    saw_avg = (int)n->attribute[a]->i;
    }
    assert_true(saw_flatten);
    assert_int_equal(saw_avg, 1);
    assert_string_equal(g->node[g->n_node - 1]->op_type, "Gemm");
    assert_string_equal(g->node[g->n_node - 1]->output[0], "output");
    /* weights, biases, 2 × 4 batchnorm tensors, the dropout ratio */
    size_t want = 0;
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++)
            want += (size_t)net->nodes[i].p[k].used;
    assert_int_equal(g->n_initializer, want + 1);
    ramp__onnxpb__model_proto__free_unpacked(m, NULL);
    free(data);
    ramp_net_free(net);

    net = every_op(RAMP_NN_REF, 1);
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_OK);
    assert_int_equal(ramp__read_file(path, 1 << 24, &data, &len, NULL), RAMP_OK);
    m = ramp__onnxpb__model_proto__unpack(NULL, len, data);
    assert_non_null(m);
    assert_non_null(strstr(m->doc_string, "probabilities"));
    assert_string_equal(m->graph->node[m->graph->n_node - 1]->op_type, "Softmax");
    ramp__onnxpb__model_proto__free_unpacked(m, NULL);
    free(data);
    ramp_net_free(net);
}

/* Trained weights (the backend's copy is the truth after a fit) reach the
   file: exporting after predict on the oneDNN backend matches the plain
   parameters read back. */
static void test_weights_from_backend(void **s)
{
    (void)s;
    ramp_net *net = gap_net(RAMP_NN_DNNL);
    float *X = inputs(net, 4, 3);
    int32_t y[4] = {0, 1, 2, 3};
    int shape[3] = {2, 9, 7};
    ramp_gen *g = NULL;
    assert_int_equal(ramp_gen_from_arrays(&g, X, y, 4, 3, shape, 4, 4, 0, 1, NULL), RAMP_OK);
    assert_int_equal(
        ramp_net_fit_generator(net, g, 4, NULL, 0, &(ramp_fit_opts){.epochs = 2, .lr = 0.1f}),
        RAMP_OK);
    ramp_gen_free(g);
    assert_int_equal(net->plain_valid, 0); /* the trained weights are the backend's */
    const char *path = path_in("trained.onnx");
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_OK);
    uint8_t *data;
    size_t len;
    assert_int_equal(ramp__read_file(path, 1 << 24, &data, &len, NULL), RAMP_OK);
    RampOnnxpb__ModelProto *m = ramp__onnxpb__model_proto__unpack(NULL, len, data);
    assert_non_null(m);
    float w[6 * 2 * 9];
    assert_int_equal(ramp_net_get_param(net, 1, RAMP__P_WEIGHT, w, 6 * 2 * 9), RAMP_OK);
    const RampOnnxpb__TensorProto *t = m->graph->initializer[0];
    assert_string_equal(t->name, "conv2d1.weight");
    assert_int_equal(t->n_dims, 4);
    assert_int_equal(t->dims[0], 6);
    assert_int_equal(t->dims[1], 2);
    assert_int_equal(t->raw_data.len, sizeof w);
    assert_memory_equal(t->raw_data.data, w, sizeof w);
    ramp__onnxpb__model_proto__free_unpacked(m, NULL);
    free(data);
    free(X);
    ramp_net_free(net);
}

/* The parameters of a and b, layer by layer (skipping layers without any,
   as the Flatten an import adds before a dense), are the same bits. */
static void same_params(ramp_net *a, ramp_net *b)
{
    int j = 0;
    for (int i = 0; i < ramp_net_n_layers(a); i++) {
        if (!a->nodes[i].p[RAMP__P_WEIGHT].used) continue;
        while (j < ramp_net_n_layers(b) && !b->nodes[j].p[RAMP__P_WEIGHT].used)
            j++;
        assert_true(j < ramp_net_n_layers(b));
        assert_int_equal(a->nodes[i].op, b->nodes[j].op);
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &a->nodes[i].p[k];
            assert_int_equal(p->used, b->nodes[j].p[k].used);
            if (!p->used) continue;
            assert_int_equal(p->n_plain, b->nodes[j].p[k].n_plain);
            float *va = malloc(p->n_plain * sizeof *va), *vb = malloc(p->n_plain * sizeof *vb);
            assert_true(va && vb);
            assert_int_equal(ramp_net_get_param(a, i, k, va, p->n_plain), RAMP_OK);
            assert_int_equal(ramp_net_get_param(b, j, k, vb, p->n_plain), RAMP_OK);
            assert_memory_equal(va, vb, p->n_plain * sizeof *va);
            free(va);
            free(vb);
        }
        j++;
    }
}

/* ramp → ONNX → ramp (ramp_net_load_onnx): the same parameters and the
   same output bits, on each backend. */
static void test_round_trip(void **s)
{
    (void)s;
    for (int be = 0; be < 2; be++) {
        ramp_nn_backend backend = be ? RAMP_NN_DNNL : RAMP_NN_REF;
        for (int kind = 0; kind < 4; kind++) {
            ramp_net *net = kind < 2    ? every_op(backend, kind)
                            : kind == 2 ? gap_net(backend)
                                        : ops_net(backend, 0);
            const char *path = path_in("round.onnx");
            assert_int_equal(ramp_net_save_onnx(net, path), RAMP_OK);
            ramp_net *back = NULL;
            ramp_err err = {0};
            ramp_status st = ramp_net_load_onnx(
                &back, path, &(ramp_net_params){.seed = 9, .backend = backend, .n_threads = 2},
                &err);
            if (st) fail_msg("import of %s: %s", path, err.msg);
            same_params(net, back);
            if (kind == 3) { /* the names set come back */
                assert_int_equal(ramp_net_find(back, "stem.conv"), 1);
                assert_true(ramp_net_find(back, "se.mul") > 0);
            }
            size_t n = 6, k1, k2;
            float *X = inputs(net, n, 21);
            float *Y1 = outputs(net, X, n, &k1), *Y2 = outputs(back, X, n, &k2);
            assert_int_equal(k1, k2);
            assert_memory_equal(Y1, Y2, n * k1 * sizeof *Y1);
            free(X);
            free(Y1);
            free(Y2);
            ramp_net_free(back);
            ramp_net_free(net);
        }
    }
}

/* X (n × c×h×w floats) as a 4-D '<f4' .npy file, which ramp_npy_write
   (1-D and 2-D) does not write. */
static void write_npy4(const char *path, const float *X, size_t n, int c, int h, int w)
{
    char dict[128];
    int dl = snprintf(dict, sizeof dict,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %d, %d, %d), }", n,
                      c, h, w);
    size_t total = (10 + (size_t)dl + 1 + 63) / 64 * 64, hl = total - 10;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)(hl & 0xff), f);
    fputc((int)(hl >> 8), f);
    fwrite(dict, 1, (size_t)dl, f);
    for (size_t i = 10 + (size_t)dl; i + 1 < total; i++)
        fputc(' ', f);
    fputc('\n', f);
    fwrite(X, sizeof *X, n * (size_t)c * h * w, f);
    fclose(f);
}

/* `ramp model export`: an engine weight file (ramp_net_save) becomes an
   ONNX model that PyTorch runs to ramp's outputs: logits as saved,
   probabilities with --softmax; a file without a graph exits 1. */
static void test_cli_export(void **s)
{
    (void)s;
    ramp_net *net = every_op(RAMP_NN_REF, 0);
    const char *w = path_in("cli.weights"), *m = path_in("cli.onnx"), *ms = path_in("cli_sm.onnx");
    assert_int_equal(ramp_net_save(net, w), RAMP_OK);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/ramp model export %s --output %s", RAMP_BINARY_DIR, w, m);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/ramp model export %s --output %s --softmax", RAMP_BINARY_DIR, w,
             ms);
    assert_int_equal(system(cmd), 0);
    size_t n = 6, k, f = ramp__node_size(&net->nodes[0]);
    float *X = inputs(net, n, 8), *Y = outputs(net, X, n, &k), *P = malloc(n * k * sizeof *P);
    assert_non_null(P);
    assert_int_equal(ramp_net_predict(net, X, n, P), RAMP_OK);
    const char *xs = path_in("cli_x.npy"), *ys = path_in("cli_y.npy"), *ps = path_in("cli_p.npy");
    assert_int_equal(ramp_npy_write_matrix_f(xs, X, n, f, NULL), RAMP_OK);
    assert_int_equal(ramp_npy_write_matrix_f(ys, Y, n, k, NULL), RAMP_OK);
    assert_int_equal(ramp_npy_write_matrix_f(ps, P, n, k, NULL), RAMP_OK);
    int rc1 = torch_check(m, xs, ys), rc2 = torch_check(ms, xs, ps);
    uint8_t *data;
    size_t len;
    /* the same bytes as ramp_net_save_onnx of the net itself */
    const char *direct = path_in("cli_direct.onnx");
    assert_int_equal(ramp_net_save_onnx(net, direct), RAMP_OK);
    uint8_t *d1, *d2;
    size_t l1, l2;
    assert_int_equal(ramp__read_file(m, 1 << 24, &d1, &l1, NULL), RAMP_OK);
    assert_int_equal(ramp__read_file(direct, 1 << 24, &d2, &l2, NULL), RAMP_OK);
    assert_int_equal(l1, l2);
    assert_memory_equal(d1, d2, l1);
    free(d1);
    free(d2);
    /* info and predict read the weight file too: predict's logits are the
       net's own bits on the same backend */
    snprintf(cmd, sizeof cmd, "%s/ramp model info %s > %s", RAMP_BINARY_DIR, w,
             path_in("cli_info.out"));
    assert_int_equal(system(cmd), 0);
    assert_int_equal(ramp__read_file(path_in("cli_info.out"), 1 << 16, &data, &len, NULL), RAMP_OK);
    data[len - 1] = 0;
    assert_non_null(strstr((char *)data, "engine weight file, input N x 3 x 12 x 12"));
    assert_non_null(strstr((char *)data, "Total params: 5317"));
    free(data);
    write_npy4(path_in("cli_x4.npy"), X, n, 3, 12, 12);
    snprintf(cmd, sizeof cmd, "%s/ramp model predict %s --input %s --output %s --backend ref",
             RAMP_BINARY_DIR, w, path_in("cli_x4.npy"), path_in("cli_pred.npy"));
    assert_int_equal(system(cmd), 0);
    ramp_npy pred;
    assert_int_equal(ramp_npy_read(&pred, path_in("cli_pred.npy"), 0, NULL), RAMP_OK);
    assert_true(pred.dtype == RAMP_NPY_F4 && pred.shape[0] == n && pred.shape[1] == k);
    assert_memory_equal(pred.data, Y, n * k * sizeof *Y);
    ramp_npy_clear(&pred);
    /* a weight file without its graph (version 1) */
    assert_int_equal(ramp__read_file(w, 1 << 24, &data, &len, NULL), RAMP_OK);
    data[8] = 1;
    FILE *fp = fopen(w, "wb");
    assert_non_null(fp);
    fwrite(data, 1, len, fp);
    fclose(fp);
    free(data);
    snprintf(cmd, sizeof cmd, "%s/ramp model export %s --output %s 2> %s", RAMP_BINARY_DIR, w,
             path_in("cli_v1.onnx"), path_in("cli_v1.err"));
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    assert_int_equal(ramp__read_file(path_in("cli_v1.err"), 1 << 16, &data, &len, NULL), RAMP_OK);
    data[len - 1] = 0;
    assert_non_null(strstr((char *)data, "a version 1 weight file holds no graph"));
    free(data);
    free(X);
    free(Y);
    free(P);
    ramp_net_free(net);
    /* a failure is one even when the other check could not run */
    if (rc1 != 77) assert_int_equal(rc1, 0);
    if (rc2 != 77) assert_int_equal(rc2, 0);
    if (rc1 == 77 || rc2 == 77) skip();
}

static int count_tmp_files(void)
{
    DIR *d = opendir(work);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    closedir(d);
    return n;
}

static void test_errors(void **s)
{
    (void)s;
    ramp_net *net = every_op(RAMP_NN_REF, 0);
    const char *path = path_in("errors.onnx");
    assert_int_equal(ramp_net_save_onnx(NULL, path), RAMP_EINVAL);
    assert_int_equal(ramp_net_save_onnx(net, NULL), RAMP_EINVAL);
    /* a folder that does not exist: the message names the file */
    assert_int_equal(ramp_net_save_onnx(net, path_in("no/such/dir/m.onnx")), RAMP_EIO);
    assert_non_null(strstr(ramp_net_errmsg(net), "no/such/dir/m.onnx"));
    /* a good file stays whole when a later export fails */
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_OK);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    ramp_net_from(net, 3); /* the current layer is no longer the output */
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "the current layer (3) is not the last one"));
    ramp_net_free(net);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    /* a branch that joins nothing */
    net = net_new(RAMP_NN_REF, 1, 4, 4);
    ramp_net_relu(net);
    ramp_net_from(net, 0);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = 2});
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "layer 1 (ReLU) feeds nothing"));
    ramp_net_free(net);
    /* a layer named like another tensor */
    net = every_op(RAMP_NN_REF, 0);
    assert_int_equal(ramp_net_set_name(net, 3, "output"), RAMP_OK);
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "two tensors would be named 'output'"));
    assert_int_equal(ramp_net_set_name(net, 3, "conv2d1.weight"), RAMP_OK);
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "'conv2d1.weight'"));
    ramp_net_free(net);
    /* a net with no layers */
    net = net_new(RAMP_NN_REF, 1, 4, 4);
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "no layers"));
    ramp_net_free(net);
    /* a sticky builder error is returned as it is */
    net = net_new(RAMP_NN_REF, 1, 4, 4);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 0}), RAMP_EINVAL);
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "units 0"));
    ramp_net_free(net);
    assert_int_equal(count_tmp_files(), 0);
}

/* Writing over an existing file replaces it whole, leaving no temporary. */
static void test_replaces_atomically(void **s)
{
    (void)s;
    const char *path = path_in("replace.onnx");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("old contents", f);
    fclose(f);
    ramp_net *net = gap_net(RAMP_NN_REF);
    assert_int_equal(ramp_net_save_onnx(net, path), RAMP_OK);
    uint8_t *data;
    size_t len;
    assert_int_equal(ramp__read_file(path, 1 << 24, &data, &len, NULL), RAMP_OK);
    RampOnnxpb__ModelProto *m = ramp__onnxpb__model_proto__unpack(NULL, len, data);
    assert_non_null(m);
    ramp__onnxpb__model_proto__free_unpacked(m, NULL);
    free(data);
    assert_int_equal(count_tmp_files(), 0);
    ramp_net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_header),
        cmocka_unit_test(test_weights_from_backend),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_replaces_atomically),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_cli_export),
        cmocka_unit_test(test_torch_runs_export),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
