/* test_nn_tune.c — fine-tuning: layer names, frozen layers (weights bit for
 * bit unchanged by Adam with weight decay, no gradient where none is
 * needed: the oneDNN backend's profile shows it), learning-rate
 * multipliers (0 is frozen, 0.5 is half the step), frozen batchnorm
 * statistics (unchanged by a fit, training output equal to
 * inference output, gradients against finite differences and between the
 * backends), cutting a trained net and training a new head, and the
 * transfer recipe (freeze the trunk, train the head, unfreeze, fine-tune);
 * each on both backends where it applies. */
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

enum { IN = 1, CONV = 1, BN = 2, RELU = 3, POOL = 4, FLAT = 5, HID = 6, OUT = 7 };

/* Layer id's gradient (kind) on the reference net r and the oneDNN net d
   agree to a normalised squared error of 1e-6; `what` and `k` name the case. */
static void grads_close(ramp_net *r, ramp_net *d, int id, int kind, const char *what, int k)
{
    size_t m = r->nodes[id].p[kind].n_plain;
    float *gr = malloc(m * sizeof *gr), *gd = malloc(m * sizeof *gd);
    assert_non_null(gr);
    assert_non_null(gd);
    assert_int_equal(ramp_net_get_grad(r, id, kind, gr, m), RAMP_OK);
    assert_int_equal(ramp_net_get_grad(d, id, kind, gd, m), RAMP_OK);
    double num = 0, den = 0;
    for (size_t j = 0; j < m; j++) {
        num += (double)(gr[j] - gd[j]) * (gr[j] - gd[j]);
        den += (double)gr[j] * gr[j];
    }
    if (num > 1e-6 * (den + 1e-12))
        fprintf(stderr, "%s %d: layer %d kind %d: nmse %g\n", what, k, id, kind,
                num / (den + 1e-30));
    assert_true(num <= 1e-6 * (den + 1e-12));
    free(gr);
    free(gd);
}

static const char *be_name(int be)
{
    return be == RAMP_NN_REF ? "reference" : "oneDNN";
}

static ramp_net *new_net(int backend, uint64_t seed)
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
    return net;
}

/* 0 input, 1 conv(filters), 2 BN, 3 ReLU, 4 maxpool, 5 flatten, 6 dense 8,
   7 dense `classes`. */
static ramp_net *small(int backend, uint64_t seed, int filters, int classes)
{
    ramp_net *net = new_net(backend, seed);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = filters, .kernel = 3, .padding = 1});
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 0, 0);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = 8});
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = classes}), RAMP_OK);
    return net;
}

/* Three classes told apart by where the bright square is (task 0), or four
   by its corner (task 1). */
static void toy_data(float *X, int32_t *y, size_t n, int task)
{
    ramp_rng r;
    ramp_rng_seed(&r, 3 + (uint64_t)task, 0);
    for (size_t i = 0; i < n; i++) {
        float *x = X + i * 64;
        int k = task ? 4 : 3;
        y[i] = (int32_t)(i % (size_t)k);
        for (int j = 0; j < 64; j++)
            x[j] = (float)(0.3 * ramp_rng_uniform(&r));
        int r0 = task ? (y[i] / 2) * 4 : (y[i] == 0 ? 0 : 4);
        int c0 = task ? (y[i] % 2) * 4 : (y[i] == 2 ? 4 : 0);
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                x[(r0 + a) * 8 + c0 + b] += 1.f;
    }
}

static ramp_status train(ramp_net *net, const float *X, const int32_t *y, size_t n, int classes,
                         const ramp_fit_opts *o)
{
    ramp_gen *g = NULL;
    int shape[3] = {1, 8, 8};
    assert_int_equal(ramp_gen_from_arrays(&g, X, y, n, 3, shape, classes, 16, 1, 5, NULL), RAMP_OK);
    ramp_status st = ramp_net_fit_generator(net, g, n, NULL, 0, o);
    if (st) fprintf(stderr, "fit: %s\n", ramp_net_errmsg(net));
    ramp_gen_free(g);
    return st;
}

/* Layer id's parameter `kind` into a new buffer of *n floats. */
static float *param(ramp_net *net, int id, int kind, size_t *n)
{
    *n = net->nodes[id].p[kind].n_plain;
    float *w = malloc(*n * sizeof *w);
    assert_non_null(w);
    assert_int_equal(ramp_net_get_param(net, id, kind, w, *n), RAMP_OK);
    return w;
}

static int same_param(ramp_net *net, int id, int kind, const float *w)
{
    size_t n;
    float *now = param(net, id, kind, &n);
    int same = !memcmp(now, w, n * sizeof *w);
    free(now);
    return same;
}

static double loss_at(ramp_net *net, const float *X, const int32_t *y, size_t n)
{
    double l;
    assert_int_equal(ramp_net_forward_backward(net, X, y, n, 0.f, &l), RAMP_OK);
    return l;
}

/* --- names ------------------------------------------------------------------ */

static void test_names(void **s)
{
    (void)s;
    ramp_net *net = small(RAMP_NN_REF, 1, 4, 3);
    assert_string_equal(ramp_net_layer_name(net, 0), "input0");
    assert_string_equal(ramp_net_layer_name(net, CONV), "conv2d1");
    assert_string_equal(ramp_net_layer_name(net, BN), "batchnorm2");
    assert_string_equal(ramp_net_layer_name(net, OUT), "dense7");
    assert_null(ramp_net_layer_name(net, 8));
    assert_null(ramp_net_layer_name(net, -1));
    assert_null(ramp_net_layer_name(NULL, 0));
    assert_int_equal(ramp_net_find(net, "dense6"), HID);
    assert_int_equal(ramp_net_find(net, "nope"), -1);
    assert_int_equal(ramp_net_find(net, NULL), -1);

    assert_int_equal(ramp_net_set_name(net, CONV, "stem.conv"), RAMP_OK);
    assert_int_equal(ramp_net_set_name(net, OUT, "head"), RAMP_OK);
    assert_string_equal(ramp_net_layer_name(net, CONV), "stem.conv");
    assert_int_equal(ramp_net_find(net, "stem.conv"), CONV);
    assert_int_equal(ramp_net_find(net, "conv2d1"), -1); /* the default name is gone */
    assert_int_equal(ramp_net_set_name(net, CONV, "stem.conv"), RAMP_OK); /* its own: fine */

    /* errors, each RAMP_EINVAL with nothing changed */
    assert_int_equal(ramp_net_set_name(net, HID, "head"), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "layer 7 is already named 'head'"));
    assert_int_equal(ramp_net_set_name(net, HID, "batchnorm2"), RAMP_EINVAL); /* a default */
    assert_int_equal(ramp_net_set_name(net, HID, ""), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_name(net, HID, "two words"), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "spaces"));
    assert_int_equal(ramp_net_set_name(net, HID, "tab\there"), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_name(net, HID, "caf\xc3\xa9"), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_name(net, HID, NULL), RAMP_EINVAL);
    char longest[64], too_long[65];
    memset(longest, 'a', 63);
    longest[63] = '\0';
    memset(too_long, 'b', 64);
    too_long[64] = '\0';
    assert_int_equal(ramp_net_set_name(net, HID, too_long), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "1 to 63 bytes"));
    assert_int_equal(ramp_net_set_name(net, 8, "x"), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "no layer 8"));
    assert_int_equal(ramp_net_set_name(net, -1, "x"), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_name(NULL, 1, "x"), RAMP_EINVAL);
    assert_string_equal(ramp_net_layer_name(net, HID), "dense6");
    assert_int_equal(ramp_net_set_name(net, HID, longest), RAMP_OK);
    assert_int_equal(ramp_net_find(net, longest), HID);

    /* the summary shows names and marks */
    ramp_net_freeze(net, CONV, 1);
    ramp_net_freeze_bn_stats(net, BN, 1);
    ramp_net_set_lr_mult(net, OUT, 0.25f);
    char buf[4096];
    assert_true(ramp_net_summary_str(net, buf, sizeof buf) < sizeof buf);
    assert_non_null(strstr(buf, "stem.conv"));
    assert_non_null(strstr(buf, "Conv2D [frozen]"));
    assert_non_null(strstr(buf, "BatchNorm [frozen stats]"));
    assert_non_null(strstr(buf, "Dense [lr x0.25]"));
    assert_non_null(strstr(buf, "batchnorm2"));
    /* conv 4·9+4 frozen; BN 8 (+8 running), dense 64·8+8, dense 8·3+3 */
    assert_int_equal(ramp_net_n_params(net), 8 + 520 + 27);
    assert_non_null(strstr(buf, "Trainable params: 555"));

    /* names survive a cut of later layers; the names cut go with them */
    assert_int_equal(ramp_net_cut(net, FLAT), RAMP_OK);
    assert_int_equal(ramp_net_find(net, "stem.conv"), CONV);
    assert_int_equal(ramp_net_find(net, "head"), -1);
    assert_int_equal(ramp_net_find(net, longest), -1);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 2}), RAMP_OK);
    assert_string_equal(ramp_net_layer_name(net, HID), "dense6");
    /* a name set first wins over a later layer's default name */
    assert_int_equal(ramp_net_set_name(net, POOL, "dense7"), RAMP_OK);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 3}), RAMP_OK);
    assert_string_equal(ramp_net_layer_name(net, OUT), "dense7");
    assert_int_equal(ramp_net_find(net, "dense7"), POOL);
    ramp_net_free(net);
}

/* Bad arguments of the other calls: exact codes. */
static void test_errors(void **s)
{
    (void)s;
    ramp_net *net = small(RAMP_NN_REF, 1, 4, 3);
    assert_int_equal(ramp_net_freeze(net, 8, 1), RAMP_EINVAL);
    assert_int_equal(ramp_net_freeze(net, -1, 1), RAMP_EINVAL);
    assert_int_equal(ramp_net_freeze_upto(net, 8, 1), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_lr_mult(net, CONV, -0.5f), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "finite number >= 0"));
    assert_int_equal(ramp_net_set_lr_mult(net, CONV, NAN), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_lr_mult(net, CONV, INFINITY), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_lr_mult(net, 9, 1.f), RAMP_EINVAL);
    assert_true(net->nodes[CONV].lr_mult == 1.f);
    assert_int_equal(ramp_net_freeze_bn_stats(net, CONV, 1), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "not a batchnorm"));
    assert_int_equal(ramp_net_freeze_bn_stats(net, 42, 1), RAMP_EINVAL);
    assert_int_equal(ramp_net_freeze(NULL, 1, 1), RAMP_EINVAL);
    assert_int_equal(ramp_net_freeze_upto(NULL, 1, 1), RAMP_EINVAL);
    assert_int_equal(ramp_net_set_lr_mult(NULL, 1, 1.f), RAMP_EINVAL);
    assert_int_equal(ramp_net_freeze_bn_stats(NULL, -1, 1), RAMP_EINVAL);
    assert_int_equal(ramp_net_cut(NULL, 1), RAMP_EINVAL);
    /* none of those broke the net */
    assert_int_equal(ramp_net_relu(net), RAMP_OK);
    /* a bad cut is a builder error, sticky as ramp_net_from's */
    assert_int_equal(ramp_net_cut(net, 9), RAMP_EINVAL);
    assert_non_null(strstr(ramp_net_errmsg(net), "cut: no layer 9"));
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 3}), RAMP_EINVAL);
    ramp_net_free(net);
}

/* --- freezing ----------------------------------------------------------------- */

/* Frozen layers keep their weights bit for bit through a fit with Adam and
   weight decay (and, with SGD, momentum); the others move. No gradient is
   computed before the first layer that learns. */
static void test_freeze(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof *X);
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n, 0);
    for (int be = 0; be < 2; be++)
        for (int opt = 0; opt < 3; opt++) {
            ramp_net *net = small(be, 5, 4, 3);
            /* used once before freezing: the backend is rebuilt */
            if (opt == 2)
                assert_int_equal(train(net, X, y, n, 3, &(ramp_fit_opts){.momentum = 0.9f}),
                                 RAMP_OK);
            assert_int_equal(ramp_net_freeze_upto(net, BN, 1), RAMP_OK);
            assert_int_equal(ramp_net_freeze(net, OUT, 1), RAMP_OK);
            size_t nw, nb, ng, nh, nm, nv;
            float *w = param(net, CONV, RAMP__P_WEIGHT, &nw),
                  *b = param(net, CONV, RAMP__P_BIAS, &nb);
            float *gm = param(net, BN, RAMP__P_WEIGHT, &ng),
                  *o = param(net, OUT, RAMP__P_WEIGHT, &nh);
            float *h = param(net, HID, RAMP__P_WEIGHT, &nm),
                  *rm = param(net, BN, RAMP__P_RMEAN, &nv);
            ramp_fit_opts fo = {.epochs = 2, .weight_decay = 0.05f, .lr = 0.01f};
            if (opt == 0) fo.optimizer = RAMP_OPT_ADAM;
            if (opt == 1) fo.optimizer = RAMP_OPT_ADAMW;
            if (opt == 2) {
                fo.momentum = 0.9f;
                fo.lr = 0.05f;
            }
            assert_int_equal(train(net, X, y, n, 3, &fo), RAMP_OK);
            assert_true(same_param(net, CONV, RAMP__P_WEIGHT, w));
            assert_true(same_param(net, CONV, RAMP__P_BIAS, b));
            assert_true(same_param(net, BN, RAMP__P_WEIGHT, gm));
            assert_true(same_param(net, OUT, RAMP__P_WEIGHT, o));
            assert_false(same_param(net, HID, RAMP__P_WEIGHT, h));
            /* a frozen batchnorm still follows the batches' statistics */
            assert_false(same_param(net, BN, RAMP__P_RMEAN, rm));
            /* where gradients stop */
            for (int i = 0; i <= POOL; i++)
                assert_int_equal(net->nodes[i].needs_grad, 0);
            assert_int_equal(net->nodes[HID].needs_grad, 1);
            assert_int_equal(net->nodes[OUT].needs_grad, 1); /* frozen, but on the path */
            float *gb = malloc(nw * sizeof *gb);
            assert_non_null(gb);
            assert_int_equal(ramp_net_get_grad(net, CONV, RAMP__P_WEIGHT, gb, nw), RAMP_EINVAL);
            assert_non_null(strstr(ramp_net_errmsg(net), "frozen"));
            assert_int_equal(ramp_net_get_grad(net, OUT, RAMP__P_WEIGHT, gb, 24), RAMP_EINVAL);
            assert_int_equal(ramp_net_get_grad(net, HID, RAMP__P_WEIGHT, gb, 8), RAMP_ESHAPE);
            free(gb);
            /* unfrozen, they train again */
            assert_int_equal(ramp_net_freeze_upto(net, OUT, 0), RAMP_OK);
            assert_int_equal(train(net, X, y, n, 3, &fo), RAMP_OK);
            assert_false(same_param(net, CONV, RAMP__P_WEIGHT, w));
            assert_false(same_param(net, OUT, RAMP__P_WEIGHT, o));
            assert_int_equal(net->nodes[CONV].needs_grad, 1);
            assert_int_equal(net->nodes[0].needs_grad, 0);
            free(w);
            free(b);
            free(gm);
            free(o);
            free(h);
            free(rm);
            ramp_net_free(net);
        }
    free(X);
}

/* Calls of (type, pass) in the net's profile. */
static uint64_t calls(const ramp_net *net, const char *type, ramp_prof_pass pass)
{
    ramp_layer_profile pr[64];
    int n = ramp_net_profile_get(net, pr, 64);
    for (int i = 0; i < n && i < 64; i++)
        if (!strcmp(pr[i].type, type) && pr[i].pass == pass) return pr[i].calls;
    return 0;
}

/* What the oneDNN backend runs backward (its profile counts every
   primitive): nothing for a frozen prefix, only backward-data for a frozen
   dense after one that learns, no backward-data into the first layer that
   learns. 3 steps of 16. */
static void test_freeze_skips_backward(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof *X);
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n, 0);
    ramp_net *net = small(RAMP_NN_DNNL, 5, 4, 3);
    assert_int_equal(ramp_net_freeze_upto(net, POOL, 1), RAMP_OK);
    assert_int_equal(ramp_net_freeze(net, OUT, 1), RAMP_OK);
    assert_int_equal(ramp_net_profile(net, 1), RAMP_OK);
    assert_int_equal(train(net, X, y, n, 3, &(ramp_fit_opts){.momentum = 0.9f}), RAMP_OK);
    assert_int_equal(calls(net, "Conv2D", RAMP_PROF_FWD), 3);
    assert_int_equal(calls(net, "Conv2D", RAMP_PROF_BWD_DATA), 0);
    assert_int_equal(calls(net, "Conv2D", RAMP_PROF_BWD_WEIGHTS), 0);
    assert_int_equal(calls(net, "BatchNorm", RAMP_PROF_BWD_DATA), 0);
    assert_int_equal(calls(net, "MaxPool2D", RAMP_PROF_BWD_DATA), 0);
    assert_int_equal(calls(net, "Dense", RAMP_PROF_BWD_WEIGHTS), 3); /* layer 6 only */
    assert_int_equal(calls(net, "Dense", RAMP_PROF_BWD_DATA), 3);    /* layer 7 only */
    /* the whole net: every pass of every layer */
    assert_int_equal(ramp_net_freeze_upto(net, OUT, 0), RAMP_OK);
    assert_int_equal(ramp_net_profile(net, 1), RAMP_OK);
    assert_int_equal(train(net, X, y, n, 3, &(ramp_fit_opts){.momentum = 0.9f}), RAMP_OK);
    assert_int_equal(calls(net, "Conv2D", RAMP_PROF_BWD_WEIGHTS), 3);
    assert_int_equal(calls(net, "Conv2D", RAMP_PROF_BWD_DATA), 0); /* its input: the data */
    assert_int_equal(calls(net, "BatchNorm", RAMP_PROF_BWD_DATA), 3);
    assert_int_equal(calls(net, "Dense", RAMP_PROF_BWD_WEIGHTS), 6);
    assert_int_equal(calls(net, "Dense", RAMP_PROF_BWD_DATA), 6);
    ramp_net_free(net);
    free(X);
}

/* A residual net: stem conv-BN-ReLU, a basic block of 16 channels (3×3
   convs into 16: ramp's own kernels where there is AVX-512), a strided
   block with a 1×1 projection, global pooling, dense. */
static ramp_net *resnet(int backend)
{
    ramp_net *net = new_net(backend, 21);
    /* no bias before a batchnorm: its gradient is zero, up to rounding */
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = 16, .kernel = 3, .padding = 1, .no_bias = 1});
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
    for (int b = 0; b < 2; b++) {
        int in = ramp_net_last(net), f = b ? 32 : 16;
        ramp_net_conv2d(
            net,
            &(ramp_conv2d){.filters = f, .kernel = 3, .padding = 1, .stride = b + 1, .no_bias = 1});
        ramp_net_batchnorm(net, 0, 0);
        ramp_net_relu(net);
        ramp_net_conv2d(net, &(ramp_conv2d){.filters = f, .kernel = 3, .padding = 1});
        int main_out = ramp_net_last(net), sc = in;
        if (b) {
            ramp_net_from(net, in);
            ramp_net_conv2d(net, &(ramp_conv2d){.filters = f, .kernel = 1, .stride = 2});
            sc = ramp_net_last(net);
            ramp_net_from(net, main_out);
        }
        ramp_net_add(net, sc);
        ramp_net_relu(net);
    }
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 3}), RAMP_OK);
    return net;
}

/* Frozen prefixes ending anywhere in a residual net (gradients stopping
   inside a block, at a branch, at an add): the oneDNN backend gives the
   reference's loss and gradients of every layer that learns. */
static void test_frozen_prefix_grads(void **s)
{
    (void)s;
    size_t n = 8;
    float X[8 * 64];
    int32_t y[8];
    toy_data(X, y, n, 0);
    ramp_net *r = resnet(RAMP_NN_REF), *d = resnet(RAMP_NN_DNNL);
    int last = ramp_net_n_layers(r) - 1, checked = 0;
    for (int k = 0; k < last; k++) {
        assert_int_equal(ramp_net_freeze_upto(r, last, 0), RAMP_OK);
        assert_int_equal(ramp_net_freeze_upto(d, last, 0), RAMP_OK);
        assert_int_equal(ramp_net_freeze_upto(r, k, 1), RAMP_OK);
        assert_int_equal(ramp_net_freeze_upto(d, k, 1), RAMP_OK);
        double lr_ = loss_at(r, X, y, n), ld = loss_at(d, X, y, n);
        assert_true(fabs(lr_ - ld) < 1e-5 * (1 + fabs(lr_)));
        for (int id = k + 1; id <= last; id++)
            for (int kind = 0; kind < 2; kind++) {
                if (!r->nodes[id].p[kind].used) continue;
                grads_close(r, d, id, kind, "frozen up to", k);
                checked++;
            }
        for (int id = 0; id <= last; id++)
            assert_int_equal(r->nodes[id].needs_grad, d->nodes[id].needs_grad);
        assert_int_equal(d->nodes[k].needs_grad, 0);
    }
    assert_true(checked > 100);
    ramp_net_free(r);
    ramp_net_free(d);
}

/* lr_mult 0 is frozen (the same weights bit for bit); every layer at 0.5
   with lr 0.1 is lr 0.05 (bit for bit, with momentum, weight decay and a
   cosine schedule on top); one SGD step of a layer at 0.5 is half that of
   the same layer at 1. */
static void test_lr_mult(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof *X);
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n, 0);
    ramp_fit_opts fo = {.epochs = 2,
                        .lr = 0.1f,
                        .momentum = 0.9f,
                        .weight_decay = 1e-3f,
                        .schedule = RAMP_SCHED_COSINE,
                        .warmup_steps = 2};
    for (int be = 0; be < 2; be++) {
        ramp_net *a = small(be, 9, 4, 3), *b = small(be, 9, 4, 3);
        assert_int_equal(ramp_net_set_lr_mult(a, CONV, 0.f), RAMP_OK);
        assert_int_equal(ramp_net_set_lr_mult(a, OUT, 0.f), RAMP_OK);
        assert_int_equal(ramp_net_freeze(b, CONV, 1), RAMP_OK);
        assert_int_equal(ramp_net_freeze(b, OUT, 1), RAMP_OK);
        assert_int_equal(train(a, X, y, n, 3, &fo), RAMP_OK);
        assert_int_equal(train(b, X, y, n, 3, &fo), RAMP_OK);
        for (int id = 1; id <= OUT; id++)
            for (int k = 0; k < RAMP__P_MAX; k++) {
                if (!a->nodes[id].p[k].used) continue;
                size_t m;
                float *w = param(a, id, k, &m);
                assert_true(same_param(b, id, k, w));
                free(w);
            }
        ramp_net_free(a);
        ramp_net_free(b);

        a = small(be, 9, 4, 3);
        b = small(be, 9, 4, 3);
        for (int id = 0; id <= OUT; id++)
            assert_int_equal(ramp_net_set_lr_mult(a, id, 0.5f), RAMP_OK);
        ramp_fit_opts fb = fo;
        fb.lr = 0.05f;
        assert_int_equal(train(a, X, y, n, 3, &fo), RAMP_OK);
        assert_int_equal(train(b, X, y, n, 3, &fb), RAMP_OK);
        for (int id = 1; id <= OUT; id++)
            for (int k = 0; k < 2; k++) {
                if (!a->nodes[id].p[k].used) continue;
                size_t m;
                float *w = param(a, id, k, &m);
                assert_true(same_param(b, id, k, w));
                free(w);
            }
        ramp_net_free(a);
        ramp_net_free(b);

        /* one plain SGD step (no momentum, no decay): half the step */
        a = small(be, 9, 4, 3);
        assert_int_equal(ramp_net_set_lr_mult(a, HID, 0.5f), RAMP_OK);
        size_t m;
        float *w0 = param(a, HID, RAMP__P_WEIGHT, &m), *c0 = param(a, CONV, RAMP__P_WEIGHT, &m);
        float *g = malloc(512 * sizeof *g), *gc = malloc(36 * sizeof *gc);
        assert_non_null(g);
        assert_non_null(gc);
        assert_int_equal(ramp_net_forward_backward(a, X, y, 16, 0.f, NULL), RAMP_OK);
        assert_int_equal(ramp_net_get_grad(a, HID, RAMP__P_WEIGHT, g, 512), RAMP_OK);
        assert_int_equal(ramp_net_get_grad(a, CONV, RAMP__P_WEIGHT, gc, 36), RAMP_OK);
        ramp__optim o = {RAMP_OPT_SGD, 0.1f, 0.f, 0.f, 0.9f, 0.999f, 1e-8f, 0};
        assert_int_equal(ramp__optim_step(a, &o), RAMP_OK);
        float *w1 = param(a, HID, RAMP__P_WEIGHT, &m), *c1 = param(a, CONV, RAMP__P_WEIGHT, &m);
        for (int j = 0; j < 512; j++) {
            volatile float lr = 0.05f, step = lr * g[j]; /* exact: lr · 0.5 is 0.05f */
            assert_true(w1[j] == w0[j] - step);
        }
        for (int j = 0; j < 36; j++) {
            volatile float lr = 0.1f, step = lr * gc[j];
            assert_true(c1[j] == c0[j] - step);
        }
        free(w0);
        free(w1);
        free(c0);
        free(c1);
        free(g);
        free(gc);
        /* changing a non-zero multiplier keeps the backend as it is */
        assert_int_equal(a->finalized, 1);
        assert_int_equal(ramp_net_set_lr_mult(a, HID, 2.f), RAMP_OK);
        assert_int_equal(a->finalized, 1);
        assert_int_equal(ramp_net_set_lr_mult(a, HID, 0.f), RAMP_OK); /* learns no more */
        assert_int_equal(a->finalized, 0);
        ramp_net_free(a);
    }
    free(X);
}

/* --- frozen batchnorm statistics ------------------------------------------------ */

/* Running statistics far from 0 and 1, so that using them is visible. */
static void odd_stats(ramp_net *net, int id)
{
    int c = net->nodes[id].c;
    float m[16], v[16];
    for (int j = 0; j < c; j++) {
        m[j] = 0.1f + 0.05f * (float)j;
        v[j] = 0.5f + 0.1f * (float)j;
    }
    assert_int_equal(ramp_net_set_param(net, id, RAMP__P_RMEAN, m, (size_t)c), RAMP_OK);
    assert_int_equal(ramp_net_set_param(net, id, RAMP__P_RVAR, v, (size_t)c), RAMP_OK);
}

/* A fit leaves frozen statistics as they are and still trains γ and β; the
   output in training mode is then the inference output. 16 channels: the
   oneDNN backend's own statistics path, and its BN+ReLU fusion. */
static void test_bn_frozen_stats(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof *X);
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n, 0);
    for (int be = 0; be < 2; be++)
        for (int ch = 4; ch <= 16; ch += 12) {
            ramp_net *net = small(be, 4, ch, 3);
            /* trained once with statistics moving, then frozen */
            assert_int_equal(train(net, X, y, n, 3, &(ramp_fit_opts){.momentum = 0.9f}), RAMP_OK);
            assert_int_equal(ramp_net_freeze_bn_stats(net, -1, 1), RAMP_OK);
            size_t m;
            float *rm = param(net, BN, RAMP__P_RMEAN, &m), *rv = param(net, BN, RAMP__P_RVAR, &m);
            float *gm = param(net, BN, RAMP__P_WEIGHT, &m), *bt = param(net, BN, RAMP__P_BIAS, &m);
            assert_int_equal(
                train(net, X, y, n, 3,
                      &(ramp_fit_opts){.epochs = 2, .momentum = 0.9f, .optimizer = RAMP_OPT_ADAM}),
                RAMP_OK);
            assert_true(same_param(net, BN, RAMP__P_RMEAN, rm));
            assert_true(same_param(net, BN, RAMP__P_RVAR, rv));
            assert_false(same_param(net, BN, RAMP__P_WEIGHT, gm));
            assert_false(same_param(net, BN, RAMP__P_BIAS, bt));
            /* training output (forward_backward) = evaluation output (predict) */
            size_t rows = 16, k = 3;
            float lt[48], li[48], p[48];
            assert_int_equal(ramp_net_forward_backward(net, X, y, rows, 0.f, NULL), RAMP_OK);
            assert_int_equal(ramp_net_get_output(net, OUT, lt, rows * k), RAMP_OK);
            assert_int_equal(ramp_net_predict(net, X, rows, p), RAMP_OK);
            assert_int_equal(ramp_net_get_output(net, OUT, li, rows * k), RAMP_OK);
            for (size_t j = 0; j < rows * k; j++) {
                if (fabsf(lt[j] - li[j]) > 1e-4f * (1.f + fabsf(li[j])))
                    fprintf(stderr, "%s, %d channels: logit %zu: training %g, inference %g\n",
                            be_name(be), ch, j, (double)lt[j], (double)li[j]);
                assert_true(fabsf(lt[j] - li[j]) <= 1e-4f * (1.f + fabsf(li[j])));
            }
            /* unfrozen, training normalises with the batch again */
            assert_int_equal(ramp_net_freeze_bn_stats(net, BN, 0), RAMP_OK);
            assert_int_equal(ramp_net_forward_backward(net, X, y, rows, 0.f, NULL), RAMP_OK);
            assert_int_equal(ramp_net_get_output(net, OUT, lt, rows * k), RAMP_OK);
            float diff = 0;
            for (size_t j = 0; j < rows * k; j++)
                diff = fmaxf(diff, fabsf(lt[j] - li[j]));
            assert_true(diff > 1e-3f);
            assert_false(same_param(net, BN, RAMP__P_RMEAN, rm));
            free(rm);
            free(rv);
            free(gm);
            free(bt);
            ramp_net_free(net);
        }
    free(X);
}

/* Smooth (tanh) so central differences hold: conv → BN (frozen statistics)
   → tanh → dense. */
static ramp_net *fd_net(int backend, int relu)
{
    ramp_net *net = new_net(backend, 11);
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = relu ? 16 : 3, .kernel = 3, .padding = 1});
    ramp_net_batchnorm(net, 0, 0);
    if (relu)
        ramp_net_relu(net);
    else
        ramp_net_tanh(net);
    ramp_net_flatten(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 3}), RAMP_OK);
    odd_stats(net, 2);
    assert_int_equal(ramp_net_freeze_bn_stats(net, 2, 1), RAMP_OK);
    return net;
}

static void test_bn_frozen_grad(void **s)
{
    (void)s;
    size_t n = 4;
    float X[4 * 64];
    int32_t y[4];
    toy_data(X, y, n, 0);
    /* the reference against central differences */
    ramp_net *net = fd_net(RAMP_NN_REF, 0);
    int tested = 0;
    for (int id = 1; id <= 2; id++)
        for (int kind = 0; kind < 2; kind++) {
            size_t m;
            loss_at(net, X, y, n);
            float *w = param(net, id, kind, &m), *g = malloc(m * sizeof *g);
            assert_non_null(g);
            assert_int_equal(ramp_net_get_grad(net, id, kind, g, m), RAMP_OK);
            for (size_t j = 0; j<m; j += m> 9 ? 2 : 1) {
                float h = 1e-2f, w0 = w[j];
                w[j] = w0 + h;
                ramp_net_set_param(net, id, kind, w, m);
                double lp = loss_at(net, X, y, n);
                w[j] = w0 - h;
                ramp_net_set_param(net, id, kind, w, m);
                double lm = loss_at(net, X, y, n);
                w[j] = w0;
                ramp_net_set_param(net, id, kind, w, m);
                double num = (lp - lm) / (2.0 * h), an = g[j];
                double err = fabs(num - an) / (fabs(num) + fabs(an) + 1e-3);
                if (err > 2e-2)
                    fprintf(stderr, "layer %d kind %d [%zu]: numeric %g analytic %g\n", id, kind, j,
                            num, an);
                assert_true(err <= 2e-2);
                tested++;
            }
            free(w);
            free(g);
        }
    assert_true(tested > 20); /* the conv's gradients come through the BN's dx */
    ramp_net_free(net);

    /* oneDNN against the reference, with the BN+ReLU fusion and without */
    for (int relu = 0; relu < 2; relu++) {
        ramp_net *r = fd_net(RAMP_NN_REF, relu), *d = fd_net(RAMP_NN_DNNL, relu);
        double lr_ = loss_at(r, X, y, n), ld = loss_at(d, X, y, n);
        assert_true(fabs(lr_ - ld) < 1e-5 * (1 + fabs(lr_)));
        for (int id = 1; id <= 2; id++)
            for (int kind = 0; kind < 2; kind++) {
                grads_close(r, d, id, kind, "relu", relu);
            }
        ramp_net_free(r);
        ramp_net_free(d);
    }
}

/* --- cut, new head, and the transfer recipe -------------------------------------- */

/* A trained net cut after its trunk keeps the trunk's weights; a new head
   (another class count) trains; layers can be added after a fit without a
   cut too. */
static void test_cut(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof *X), *X1 = malloc(n * 64 * sizeof *X1);
    int32_t y[48], y1[48];
    assert_non_null(X);
    assert_non_null(X1);
    toy_data(X, y, n, 0);
    toy_data(X1, y1, n, 1);
    for (int be = 0; be < 2; be++) {
        ramp_net *net = small(be, 2, 4, 3);
        assert_int_equal(ramp_net_set_name(net, POOL, "trunk"), RAMP_OK);
        ramp_fit_opts fo = {.epochs = 2, .lr = 0.05f, .momentum = 0.9f};
        assert_int_equal(train(net, X, y, n, 3, &fo), RAMP_OK);
        size_t m;
        float *w = param(net, CONV, RAMP__P_WEIGHT, &m), *rv = param(net, BN, RAMP__P_RVAR, &m);
        int t = ramp_net_find(net, "trunk");
        assert_int_equal(ramp_net_cut(net, t), RAMP_OK);
        assert_int_equal(ramp_net_n_layers(net), POOL + 1);
        assert_int_equal(ramp_net_last(net), POOL);
        assert_true(same_param(net, CONV, RAMP__P_WEIGHT, w));
        assert_true(same_param(net, BN, RAMP__P_RVAR, rv));
        ramp_net_flatten(net);
        assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 4}), RAMP_OK);
        double l0, l1, acc;
        assert_int_equal(ramp_net_evaluate(net, X1, y1, n, &l0, &acc), RAMP_OK);
        assert_int_equal(train(net, X1, y1, n, 4, &fo), RAMP_OK);
        assert_int_equal(ramp_net_evaluate(net, X1, y1, n, &l1, &acc), RAMP_OK);
        assert_true(l1 < l0);
        float p[48 * 4];
        assert_int_equal(ramp_net_predict(net, X1, n, p), RAMP_OK);
        assert_true(fabsf(p[0] + p[1] + p[2] + p[3] - 1.f) < 1e-5f);
        /* a softmax added after the fit: the net is rebuilt, the same
           probabilities come out */
        float q[48 * 4];
        assert_int_equal(ramp_net_softmax(net), RAMP_OK);
        assert_int_equal(ramp_net_predict(net, X1, n, q), RAMP_OK);
        for (size_t j = 0; j < n * 4; j++)
            assert_true(fabsf(p[j] - q[j]) < 1e-6f);
        /* a cut at the last layer only makes it current */
        assert_int_equal(ramp_net_cut(net, ramp_net_n_layers(net) - 1), RAMP_OK);
        assert_int_equal(net->finalized, 1);
        free(w);
        free(rv);
        ramp_net_free(net);
    }
    free(X);
    free(X1);
}

/* A rebuild keeps the optimiser state of layers that did not change: a fit,
   a rebuild, a fit is bit for bit a fit and a fit, momentum and Adam. */
static void test_rebuild_keeps_state(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof *X);
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n, 0);
    for (int be = 0; be < 2; be++)
        for (int opt = 0; opt < 2; opt++) {
            ramp_fit_opts fo = {.lr = opt ? 0.01f : 0.05f,
                                .momentum = 0.9f,
                                .optimizer = opt ? RAMP_OPT_ADAM : RAMP_OPT_SGD};
            ramp_net *a = small(be, 6, 4, 3), *b = small(be, 6, 4, 3), *c = small(be, 6, 4, 3);
            for (int r = 0; r < 2; r++) {
                assert_int_equal(train(a, X, y, n, 3, &fo), RAMP_OK);
                assert_int_equal(train(b, X, y, n, 3, &fo), RAMP_OK);
                assert_int_equal(train(c, X, y, n, 3, &fo), RAMP_OK);
                if (r) break;
                /* b: rebuilt (BN mode changed and back); c: the head's
                   learning stopped and restarted, so its state starts over */
                assert_int_equal(ramp_net_freeze_bn_stats(b, -1, 1), RAMP_OK);
                assert_int_equal(b->finalized, 0);
                assert_int_equal(ramp_net_freeze_bn_stats(b, -1, 0), RAMP_OK);
                assert_int_equal(ramp_net_freeze(c, OUT, 1), RAMP_OK);
                assert_int_equal(ramp_net_freeze(c, OUT, 0), RAMP_OK);
            }
            for (int id = 1; id <= OUT; id++)
                for (int k = 0; k < RAMP__P_MAX; k++) {
                    if (!a->nodes[id].p[k].used) continue;
                    size_t m;
                    float *w = param(a, id, k, &m);
                    assert_true(same_param(b, id, k, w));
                    if (id == OUT) assert_false(same_param(c, id, k, w));
                    free(w);
                }
            ramp_net_free(a);
            ramp_net_free(b);
            ramp_net_free(c);
        }
    free(X);
}

/* Optimiser state goes on from one fit to the next, Adam's step count
   included: two fits of one epoch are one fit of two, bit for bit. */
static void test_fits_continue(void **s)
{
    (void)s;
    size_t n = 48;
    float *X = malloc(n * 64 * sizeof *X);
    int32_t y[48];
    assert_non_null(X);
    toy_data(X, y, n, 0);
    int shape[3] = {1, 8, 8};
    for (int be = 0; be < 2; be++)
        for (int opt = 0; opt < 2; opt++) {
            ramp_fit_opts fo = {.lr = 0.01f,
                                .momentum = 0.9f,
                                .weight_decay = 1e-3f,
                                .optimizer = opt ? RAMP_OPT_ADAMW : RAMP_OPT_SGD};
            ramp_net *a = small(be, 6, 4, 3), *b = small(be, 6, 4, 3);
            ramp_gen *ga = NULL, *gb = NULL;
            assert_int_equal(ramp_gen_from_arrays(&ga, X, y, n, 3, shape, 3, 16, 1, 5, NULL),
                             RAMP_OK);
            assert_int_equal(ramp_gen_from_arrays(&gb, X, y, n, 3, shape, 3, 16, 1, 5, NULL),
                             RAMP_OK);
            assert_int_equal(ramp_net_fit_generator(a, ga, n, NULL, 0, &fo), RAMP_OK);
            assert_int_equal(ramp_net_fit_generator(a, ga, n, NULL, 0, &fo), RAMP_OK);
            fo.epochs = 2;
            assert_int_equal(ramp_net_fit_generator(b, gb, n, NULL, 0, &fo), RAMP_OK);
            for (int id = 1; id <= OUT; id++)
                for (int k = 0; k < RAMP__P_MAX; k++) {
                    if (!a->nodes[id].p[k].used) continue;
                    size_t m;
                    float *w = param(a, id, k, &m);
                    assert_true(same_param(b, id, k, w));
                    free(w);
                }
            ramp_gen_free(ga);
            ramp_gen_free(gb);
            ramp_net_free(a);
            ramp_net_free(b);
        }
    free(X);
}

/* The transfer recipe: a net trained on task 0; its head replaced; the
   trunk frozen (statistics too) while the head trains; then everything
   fine-tuned, the trunk at a tenth of the rate. Each phase lowers the loss;
   the trunk moves only in the last. */
static void test_transfer_recipe(void **s)
{
    (void)s;
    size_t n = 96;
    float *X = malloc(n * 64 * sizeof *X), *X1 = malloc(n * 64 * sizeof *X1);
    int32_t y[96], y1[96];
    assert_non_null(X);
    assert_non_null(X1);
    toy_data(X, y, n, 0);
    toy_data(X1, y1, n, 1);
    for (int be = 0; be < 2; be++) {
        ramp_net *net = small(be, 8, 8, 3);
        assert_int_equal(
            train(net, X, y, n, 3, &(ramp_fit_opts){.epochs = 3, .lr = 0.05f, .momentum = 0.9f}),
            RAMP_OK);
        assert_int_equal(ramp_net_cut(net, FLAT), RAMP_OK);
        ramp_net_dense(net, &(ramp_dense){.units = 16});
        ramp_net_relu(net);
        assert_int_equal(ramp_net_dense(net, &(ramp_dense){.units = 4}), RAMP_OK);
        assert_int_equal(ramp_net_freeze_upto(net, FLAT, 1), RAMP_OK);
        assert_int_equal(ramp_net_freeze_bn_stats(net, -1, 1), RAMP_OK);
        size_t m;
        float *w = param(net, CONV, RAMP__P_WEIGHT, &m), *rm = param(net, BN, RAMP__P_RMEAN, &m);
        double l0, l1, l2, acc;
        assert_int_equal(ramp_net_evaluate(net, X1, y1, n, &l0, &acc), RAMP_OK);
        ramp_fit_opts fo = {
            .epochs = 3, .optimizer = RAMP_OPT_ADAM, .lr = 0.01f, .weight_decay = 1e-4f};
        assert_int_equal(train(net, X1, y1, n, 4, &fo), RAMP_OK);
        assert_int_equal(ramp_net_evaluate(net, X1, y1, n, &l1, &acc), RAMP_OK);
        assert_true(same_param(net, CONV, RAMP__P_WEIGHT, w));
        assert_true(same_param(net, BN, RAMP__P_RMEAN, rm));
        assert_true(l1 < l0);
        assert_int_equal(ramp_net_freeze_upto(net, FLAT, 0), RAMP_OK);
        for (int id = 1; id <= FLAT; id++)
            assert_int_equal(ramp_net_set_lr_mult(net, id, 0.1f), RAMP_OK);
        fo.lr = 0.003f;
        assert_int_equal(train(net, X1, y1, n, 4, &fo), RAMP_OK);
        assert_int_equal(ramp_net_evaluate(net, X1, y1, n, &l2, &acc), RAMP_OK);
        assert_false(same_param(net, CONV, RAMP__P_WEIGHT, w));
        assert_true(same_param(net, BN, RAMP__P_RMEAN, rm)); /* statistics still frozen */
        fprintf(stderr, "%s: transfer loss %.4f → head %.4f → fine-tuned %.4f (acc %.2f)\n",
                be_name(be), l0, l1, l2, acc);
        assert_true(l2 < l1);
        free(w);
        free(rm);
        ramp_net_free(net);
    }
    free(X);
    free(X1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_freeze),
        cmocka_unit_test(test_freeze_skips_backward),
        cmocka_unit_test(test_frozen_prefix_grads),
        cmocka_unit_test(test_lr_mult),
        cmocka_unit_test(test_bn_frozen_stats),
        cmocka_unit_test(test_bn_frozen_grad),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_rebuild_keeps_state),
        cmocka_unit_test(test_fits_continue),
        cmocka_unit_test(test_transfer_recipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
