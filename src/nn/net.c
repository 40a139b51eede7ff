/* net.c — building the layer graph, shapes, parameters and their plain
 * copies, and the summary (the weight file is weights.c, the OpenMP helpers
 * omp.c).
 *
 * Builders append nodes in creation order and compute each output shape at
 * once, so a shape error names the layer that caused it. Parameters are
 * initialised here, in the plain layout, from a stream keyed by (seed, layer,
 * kind): initial weights do not depend on the backend or the thread count.
 * The first builder error sticks in build_st. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"

ramp_status ramp__net_fail(ramp_net *net, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(net->errmsg, sizeof net->errmsg, fmt, ap);
    va_end(ap);
    return st;
}


size_t ramp__node_size(const ramp__node *nd)
{
    return (size_t)nd->c * nd->h * nd->w;
}

ramp_status ramp__net_check_count(ramp_net *net, int id, size_t rows, size_t count)
{
    const ramp__node *nd = &net->nodes[id];
    size_t need = rows * ramp__node_size(nd);
    if (count == need) return RAMP_OK;
    return ramp__net_fail(net, RAMP_ESHAPE, "layer %d: the last pass's output holds %zu values "
                          "(%zu rows of %dx%dx%d), not %zu", id, need, rows, nd->c, nd->h,
                          nd->w, count);
}

const char *ramp__op_name(ramp__op op)
{
    switch (op) {
    case RAMP__OP_INPUT: return "Input";
    case RAMP__OP_CONV: return "Conv2D";
    case RAMP__OP_DENSE: return "Dense";
    case RAMP__OP_MAXPOOL: return "MaxPool2D";
    case RAMP__OP_AVGPOOL: return "AvgPool2D";
    case RAMP__OP_GAP: return "GlobalAvgPool";
    case RAMP__OP_RELU: return "ReLU";
    case RAMP__OP_LRELU: return "LeakyReLU";
    case RAMP__OP_SIGMOID: return "Sigmoid";
    case RAMP__OP_TANH: return "Tanh";
    case RAMP__OP_SOFTMAX: return "Softmax";
    case RAMP__OP_BN: return "BatchNorm";
    case RAMP__OP_DROPOUT: return "Dropout";
    case RAMP__OP_FLATTEN: return "Flatten";
    case RAMP__OP_ADD: return "Add";
    case RAMP__OP_CLIP: return "Clip";
    case RAMP__OP_MUL: return "Mul";
    case RAMP__OP_CONCAT: return "Concat";
    case RAMP__OP_UPSAMPLE: return "Upsample";
    case RAMP__OP_DECONV: return "ConvTranspose2D";
    }
    return "?";
}

/* A layer's default name, "<type in lower case><id>" ("conv2d3"). */
static void default_name(ramp__node *nd, int id)
{
    const char *t = ramp__op_name(nd->op);
    size_t j = 0;
    for (; t[j] && j < 40; j++)
        nd->name[j] = (char)(t[j] >= 'A' && t[j] <= 'Z' ? t[j] - 'A' + 'a' : t[j]);
    snprintf(nd->name + j, sizeof nd->name - j, "%d", id);
    nd->name_set = 0;
}

ramp_status ramp_net_new(ramp_net **out, const ramp_net_params *p, ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: out is NULL");
    *out = NULL;
    if (!p) return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: params are NULL");
    if (p->channels < 1 || p->height < 1 || p->width < 1 || p->channels > (1 << 20) ||
        p->height > (1 << 16) || p->width > (1 << 16))
        return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: bad input shape %dx%dx%d",
                             p->channels, p->height, p->width);
    if (p->backend != RAMP_NN_DNNL && p->backend != RAMP_NN_REF)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: unknown backend %d", (int)p->backend);
    if (p->n_threads < 0)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: n_threads %d < 0", p->n_threads);
    if (p->conv_algo != RAMP_CONV_AUTO && p->conv_algo != RAMP_CONV_DIRECT)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: unknown conv_algo %d",
                             (int)p->conv_algo);
    if (p->math != RAMP_MATH_FP32 && p->math != RAMP_MATH_TF32 && p->math != RAMP_MATH_BF16)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: unknown math %d (RAMP_MATH_FP32, "
                             "RAMP_MATH_TF32 or RAMP_MATH_BF16)", (int)p->math);
    if (p->loss < RAMP_LOSS_AUTO || p->loss > RAMP_LOSS_CENTERNET)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: unknown loss %d", (int)p->loss);
    if (p->n_class_weights < 0 || (p->n_class_weights > 0) != (p->class_weights != NULL))
        return ramp__err_set(err, RAMP_EINVAL,
                             "ramp_net_new: class_weights and n_class_weights (%d) disagree",
                             p->n_class_weights);
    if (p->n_class_weights > 0) {
        double sum = 0;
        for (int k = 0; k < p->n_class_weights; k++) {
            float v = p->class_weights[k];
            if (!isfinite(v) || v < 0)
                return ramp__err_set(err, RAMP_EINVAL,
                                     "ramp_net_new: class_weights[%d] = %g (finite, >= 0 needed)",
                                     k, (double)v);
            sum += v;
        }
        if (!(sum > 0))
            return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new: class_weights are all 0");
    }
    ramp_device dev;
    ramp_status dst = ramp__device_resolve(p->device, &dev, err);
    if (dst) return dst;
    ramp_net *net = calloc(1, sizeof *net);
    if (!net) goto nomem;
    net->prm = *p;
    net->prm.device = dev;
    net->prm.class_weights = NULL; /* the caller's array is not kept: net->class_w */
    if (p->n_class_weights > 0) {
        net->class_w = malloc((size_t)p->n_class_weights * sizeof *net->class_w);
        if (!net->class_w) goto nomem;
        memcpy(net->class_w, p->class_weights, (size_t)p->n_class_weights * sizeof *net->class_w);
    }
    net->be = p->backend == RAMP_NN_REF ? &ramp__nn_backend_ref : &ramp__nn_backend_dnnl;
#ifdef RAMP_HAVE_CUDA
    if (dev == RAMP_DEVICE_CUDA) net->be = &ramp__nn_backend_cuda;
#endif
    if (net->be->api_version != RAMP__NN_BACKEND_API) {
        const char *name = net->be->name;
        free(net->class_w);
        free(net);
        return ramp__err_set(err, RAMP_EINTERNAL, "backend %s: API version mismatch", name);
    }
    net->cap_nodes = 16;
    net->nodes = calloc((size_t)net->cap_nodes, sizeof *net->nodes);
    if (!net->nodes) goto nomem;
    ramp__node *in = &net->nodes[0];
    in->op = RAMP__OP_INPUT;
    in->c = p->channels;
    in->h = p->height;
    in->w = p->width;
    in->lr_mult = 1.f;
    default_name(in, 0);
    net->n_nodes = 1;
    net->plain_valid = 1;
    *out = net;
    return RAMP_OK;
nomem:
    if (net) {
        free(net->nodes);
        free(net->class_w);
    }
    free(net);
    return ramp__err_set(err, RAMP_ENOMEM, "ramp_net_new: out of memory");
}

void ramp_net_free(ramp_net *net)
{
    if (!net) return;
    if (net->be_st) net->be->destroy(net->be_st);
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            free(net->nodes[i].p[k].plain);
            free(net->nodes[i].p[k].w); /* backends allocate w, g with malloc */
            free(net->nodes[i].p[k].g);
            free(net->nodes[i].p[k].m1);
            free(net->nodes[i].p[k].m2);
            free(net->nodes[i].p[k].s1);
            free(net->nodes[i].p[k].s2);
        }
    free(net->nodes);
    free(net->logits);
    free(net->dlogits);
    free(net->probs);
    free(net->hist);
    free(net->class_w);
    free(net);
}

const char *ramp_net_errmsg(const ramp_net *net)
{
    return net ? net->errmsg : "no net";
}

int ramp_net_device(const ramp_net *net)
{
    return net ? (int)net->prm.device : -1;
}

ramp_status ramp_net_set_threads(ramp_net *net, int n_threads)
{
    if (!net) return RAMP_EINVAL;
    if (n_threads < 0) return ramp__net_fail(net, RAMP_EINVAL, "n_threads %d < 0", n_threads);
    net->prm.n_threads = n_threads;
    return RAMP_OK;
}

ramp_status ramp_net_profile(ramp_net *net, int on)
{
    if (!net) return RAMP_EINVAL;
    if (on) memset(net->prof, 0, sizeof net->prof);
    net->prof_on = on != 0;
    return RAMP_OK;
}

int ramp_net_profile_get(const ramp_net *net, ramp_layer_profile *out, int max)
{
    static const char *extra[RAMP__PK_N - RAMP__PK_REORDER] = { "Reorder", "GradSum", "Loss",
                                                                "Optimizer", "Batch", "Step" };
    if (!net) return -1;
    int n = 0;
    for (int k = 0; k < RAMP__PK_N; k++)
        for (int p = 0; p < RAMP_PROF_N_PASSES; p++) {
            const ramp__prof_cell *c = &net->prof[k][p];
            if (!c->calls) continue;
            if (out && n < max)
                out[n] = (ramp_layer_profile){ k < RAMP__PK_REORDER ? ramp__op_name((ramp__op)k)
                                                                    : extra[k - RAMP__PK_REORDER],
                                               (ramp_prof_pass)p, c->calls, c->s, c->flops };
            n++;
        }
    return n;
}

/* --- building ------------------------------------------------------------ */

/* Appends a node fed by the current one; NULL (with build_st set) on error. */
static ramp__node *push(ramp_net *net, ramp__op op, const char *who)
{
    if (net->build_st) return NULL;
    ramp_status rst = ramp__net_reopen(net); /* a layer added after fit or predict */
    if (rst) {
        net->build_st = rst;
        return NULL;
    }
    if (net->n_nodes == net->cap_nodes) {
        ramp__node *nn = realloc(net->nodes, 2 * (size_t)net->cap_nodes * sizeof *nn);
        if (!nn) {
            net->build_st = ramp__net_fail(net, RAMP_ENOMEM, "%s: out of memory", who);
            return NULL;
        }
        memset(nn + net->cap_nodes, 0, (size_t)net->cap_nodes * sizeof *nn);
        net->nodes = nn;
        net->cap_nodes *= 2;
    }
    const ramp__node *src = &net->nodes[net->cur];
    if (src->op == RAMP__OP_SOFTMAX) {
        net->build_st = ramp__net_fail(net, RAMP_EUNSUPPORTED,
                                       "%s (layer %d): softmax must be the last layer", who,
                                       net->n_nodes);
        return NULL;
    }
    ramp__node *nd = &net->nodes[net->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->in[0] = net->cur;
    nd->n_in = 1;
    nd->c = src->c;
    nd->h = src->h;
    nd->w = src->w;
    nd->flat = src->flat;
    nd->lr_mult = 1.f;
    default_name(nd, net->n_nodes);
    return nd;
}

/* Makes the pushed node current. */
static ramp_status commit(ramp_net *net)
{
    net->cur = net->n_nodes++;
    return RAMP_OK;
}

static ramp_status bad(ramp_net *net, ramp_status st, const char *fmt, ...) RAMP__PRINTF(3, 4);
static ramp_status bad(ramp_net *net, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(net->errmsg, sizeof net->errmsg, fmt, ap);
    va_end(ap);
    net->build_st = st;
    return st;
}

static double rng_normal(ramp_rng *r)
{
    double u1 = ramp_rng_uniform(r), u2 = ramp_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

/* Allocates plain storage for parameter `kind` of node id with dims, filled
   with `fill`. */
static ramp_status param_new(ramp_net *net, int id, int kind, int ndim, const int *dims,
                             float fill, int trainable)
{
    ramp__param *p = &net->nodes[id].p[kind];
    size_t n = 1;
    for (int d = 0; d < ndim; d++) {
        p->dims[d] = dims[d];
        n *= (size_t)dims[d];
    }
    p->ndim = ndim;
    p->n_plain = n;
    p->plain = malloc(n * sizeof(float));
    if (!p->plain) return bad(net, RAMP_ENOMEM, "layer %d: out of memory for %zu weights", id, n);
    for (size_t i = 0; i < n; i++) p->plain[i] = fill;
    p->used = 1;
    p->trainable = trainable;
    return RAMP_OK;
}

static void init_weights(ramp_net *net, int id, ramp_init init, double fan_in, double fan_out)
{
    ramp__param *p = &net->nodes[id].p[RAMP__P_WEIGHT];
    if (net->no_init) return;
    ramp_rng r;
    ramp_rng_seed(&r, net->prm.seed, ramp_rng_key((uint64_t)id, RAMP__P_WEIGHT));
    if (init == RAMP_INIT_GLOROT) {
        double a = sqrt(6.0 / (fan_in + fan_out));
        for (size_t i = 0; i < p->n_plain; i++)
            p->plain[i] = (float)((2.0 * ramp_rng_uniform(&r) - 1.0) * a);
    } else {
        double sd = sqrt(2.0 / fan_in);
        for (size_t i = 0; i < p->n_plain; i++) p->plain[i] = (float)(rng_normal(&r) * sd);
    }
}

ramp_status ramp_net_conv2d(ramp_net *net, const ramp_conv2d *o)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_CONV, "conv2d");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    if (!o) return bad(net, RAMP_EINVAL, "conv2d (layer %d): options are NULL", id);
    int S = o->stride ? o->stride : 1, G = o->groups ? o->groups : 1;
    int D = o->dilation ? o->dilation : 1;
    if (nd->flat)
        return bad(net, RAMP_ESHAPE, "conv2d (layer %d): input is flat (%d features)", id, nd->c);
    /* kernel and dilation up to 1024 keep the span arithmetic inside int */
    if (o->filters < 1 || o->kernel < 1 || o->kernel > 1024 || S < 1 || o->padding < 0 ||
        G < 1 || D < 1 || D > 1024 || o->padding >= D * (o->kernel - 1) + 1)
        return bad(net, RAMP_EINVAL,
                   "conv2d (layer %d): bad filters %d, kernel %d, stride %d, padding %d, "
                   "groups %d or dilation %d", id, o->filters, o->kernel, S, o->padding, G,
                   o->dilation);
    if (nd->c % G || o->filters % G)
        return bad(net, RAMP_ESHAPE, "conv2d (layer %d): groups %d must divide input channels "
                   "%d and filters %d", id, G, nd->c, o->filters);
    int span = D * (o->kernel - 1) + 1; /* the kernel's extent on the input */
    if (nd->h + 2 * o->padding < span || nd->w + 2 * o->padding < span)
        return bad(net, RAMP_ESHAPE, "conv2d (layer %d): kernel %d (dilation %d) larger than "
                   "padded input %dx%d", id, o->kernel, D, nd->h, nd->w);
    int C = nd->c;
    nd->k = o->kernel;
    nd->stride = S;
    nd->pad = o->padding;
    nd->groups = G;
    nd->dilation = D;
    nd->bias = !o->no_bias;
    nd->init = o->init;
    nd->c = o->filters;
    nd->h = ramp__out_size_dil(nd->h, o->kernel, S, o->padding, D);
    nd->w = ramp__out_size_dil(nd->w, o->kernel, S, o->padding, D);
    int wd[4] = { o->filters, C / G, o->kernel, o->kernel };
    if (param_new(net, id, RAMP__P_WEIGHT, 4, wd, 0.f, 1)) return net->build_st;
    init_weights(net, id, o->init, (double)C / G * o->kernel * o->kernel,
                 (double)o->filters * o->kernel * o->kernel);
    if (nd->bias && param_new(net, id, RAMP__P_BIAS, 1, wd, 0.f, 1)) return net->build_st;
    return commit(net);
}

ramp_status ramp_net_conv_transpose2d(ramp_net *net, const ramp_conv_transpose2d *o)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_DECONV, "conv_transpose2d");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    if (!o) return bad(net, RAMP_EINVAL, "conv_transpose2d (layer %d): options are NULL", id);
    int S = o->stride ? o->stride : 1;
    if (nd->flat)
        return bad(net, RAMP_ESHAPE, "conv_transpose2d (layer %d): input is flat (%d features)",
                   id, nd->c);
    if (o->filters < 1 || o->kernel < 1 || o->kernel > 1024 || S > 1024 || S < 1 ||
        o->padding < 0 || o->padding >= o->kernel || o->output_padding < 0 ||
        o->output_padding >= S)
        return bad(net, RAMP_EINVAL,
                   "conv_transpose2d (layer %d): bad filters %d, kernel %d, stride %d, padding "
                   "%d or output_padding %d (0 <= padding < kernel, 0 <= output_padding < "
                   "stride)", id, o->filters, o->kernel, S, o->padding, o->output_padding);
    long oh = (long)(nd->h - 1) * S - 2L * o->padding + o->kernel + o->output_padding;
    long ow = (long)(nd->w - 1) * S - 2L * o->padding + o->kernel + o->output_padding;
    if (oh < 1 || ow < 1 || oh > (1 << 16) || ow > (1 << 16))
        return bad(net, RAMP_ESHAPE, "conv_transpose2d (layer %d): output %ldx%ld from input "
                   "%dx%d (1 to 65536 allowed)", id, oh, ow, nd->h, nd->w);
    int C = nd->c;
    nd->k = o->kernel;
    nd->stride = S;
    nd->pad = o->padding;
    nd->opad = o->output_padding;
    nd->groups = 1;
    nd->dilation = 1;
    nd->bias = !o->no_bias;
    nd->init = o->init;
    nd->c = o->filters;
    nd->h = (int)oh;
    nd->w = (int)ow;
    int wd[4] = { C, o->filters, o->kernel, o->kernel };
    if (param_new(net, id, RAMP__P_WEIGHT, 4, wd, 0.f, 1)) return net->build_st;
    init_weights(net, id, o->init, (double)C * o->kernel * o->kernel,
                 (double)o->filters * o->kernel * o->kernel);
    int bd[1] = { o->filters };
    if (nd->bias && param_new(net, id, RAMP__P_BIAS, 1, bd, 0.f, 1)) return net->build_st;
    return commit(net);
}

ramp_status ramp_net_upsample(ramp_net *net, int scale, ramp_upsample_mode mode)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_UPSAMPLE, "upsample");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    if (nd->flat)
        return bad(net, RAMP_ESHAPE, "upsample (layer %d): input is flat (%d features)", id,
                   nd->c);
    if (scale < 2 || scale > 8 || (mode != RAMP_UPSAMPLE_NEAREST && mode != RAMP_UPSAMPLE_BILINEAR))
        return bad(net, RAMP_EINVAL, "upsample (layer %d): scale %d (2 to 8) or mode %d "
                   "(0 nearest, 1 bilinear)", id, scale, (int)mode);
    if ((long)nd->h * scale > (1 << 16) || (long)nd->w * scale > (1 << 16))
        return bad(net, RAMP_ESHAPE, "upsample (layer %d): %dx%d times %d is over 65536", id,
                   nd->h, nd->w, scale);
    nd->k = nd->stride = scale;
    nd->pad = (int)mode;
    nd->h *= scale;
    nd->w *= scale;
    return commit(net);
}

ramp_status ramp_net_dense(ramp_net *net, const ramp_dense *o)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_DENSE, "dense");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    if (!o) return bad(net, RAMP_EINVAL, "dense (layer %d): options are NULL", id);
    if (o->units < 1) return bad(net, RAMP_EINVAL, "dense (layer %d): units %d < 1", id, o->units);
    int I = (int)ramp__node_size(nd);
    nd->k = o->units;
    nd->bias = !o->no_bias;
    nd->init = o->init;
    nd->c = o->units;
    nd->h = nd->w = 1;
    nd->flat = 1;
    int wd[2] = { o->units, I };
    if (param_new(net, id, RAMP__P_WEIGHT, 2, wd, 0.f, 1)) return net->build_st;
    init_weights(net, id, o->init, I, o->units);
    if (nd->bias && param_new(net, id, RAMP__P_BIAS, 1, wd, 0.f, 1)) return net->build_st;
    return commit(net);
}

static ramp_status pool(ramp_net *net, ramp__op op, int k, int s, int p, const char *who)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, op, who);
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    if (nd->flat) return bad(net, RAMP_ESHAPE, "%s (layer %d): input is flat", who, id);
    if (op == RAMP__OP_GAP) { /* the whole H×W plane, square or not: no kernel */
        nd->k = 0;
        nd->stride = 1;
        nd->pad = 0;
        nd->h = nd->w = 1;
        return commit(net);
    }
    if (s == 0) s = k;
    if (k < 1 || s < 1 || p < 0 || 2 * p > k)
        return bad(net, RAMP_EINVAL, "%s (layer %d): bad kernel %d, stride %d or padding %d",
                   who, id, k, s, p);
    if (nd->h + 2 * p < k || nd->w + 2 * p < k)
        return bad(net, RAMP_ESHAPE, "%s (layer %d): kernel %d larger than input %dx%d", who, id,
                   k, nd->h, nd->w);
    nd->k = k;
    nd->stride = s;
    nd->pad = p;
    nd->h = ramp__out_size(nd->h, k, s, p);
    nd->w = ramp__out_size(nd->w, k, s, p);
    return commit(net);
}

ramp_status ramp_net_maxpool(ramp_net *net, int kernel, int stride, int padding)
{
    return pool(net, RAMP__OP_MAXPOOL, kernel, stride, padding, "maxpool");
}

ramp_status ramp_net_avgpool(ramp_net *net, int kernel, int stride, int padding)
{
    return pool(net, RAMP__OP_AVGPOOL, kernel, stride, padding, "avgpool");
}

ramp_status ramp_net_global_avgpool(ramp_net *net)
{
    return pool(net, RAMP__OP_GAP, 0, 0, 0, "global_avgpool");
}

static ramp_status simple(ramp_net *net, ramp__op op, float alpha, const char *who)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, op, who);
    if (!nd) return net->build_st;
    nd->alpha = alpha;
    return commit(net);
}

ramp_status ramp_net_relu(ramp_net *net)
{
    return simple(net, RAMP__OP_RELU, 0.f, "relu");
}

ramp_status ramp_net_leaky_relu(ramp_net *net, float alpha)
{
    if (net && !net->build_st && !(alpha > 0.f && alpha < 1.f))
        return bad(net, RAMP_EINVAL, "leaky_relu (layer %d): alpha %g not in (0, 1)",
                   net->n_nodes, alpha);
    return simple(net, RAMP__OP_LRELU, alpha, "leaky_relu");
}

ramp_status ramp_net_sigmoid(ramp_net *net)
{
    return simple(net, RAMP__OP_SIGMOID, 0.f, "sigmoid");
}

ramp_status ramp_net_tanh(ramp_net *net)
{
    return simple(net, RAMP__OP_TANH, 0.f, "tanh");
}

ramp_status ramp_net_softmax(ramp_net *net)
{
    /* over the features of a flat input, or over the channels at each pixel
       (a per-pixel softmax net's last layer) */
    const ramp__node *in = net && !net->build_st ? &net->nodes[net->cur] : NULL;
    if (in && !in->flat && net->prm.loss != RAMP_LOSS_PIXEL_SOFTMAX)
        return bad(net, RAMP_ESHAPE, "softmax (layer %d): input must be flat (add flatten), "
                   "or the net's loss RAMP_LOSS_PIXEL_SOFTMAX", net->n_nodes);
    return simple(net, RAMP__OP_SOFTMAX, 0.f, "softmax");
}

ramp_status ramp_net_dropout(ramp_net *net, float rate)
{
    if (net && !net->build_st && !(rate >= 0.f && rate < 1.f))
        return bad(net, RAMP_EINVAL, "dropout (layer %d): rate %g not in [0, 1)", net->n_nodes,
                   rate);
    return simple(net, RAMP__OP_DROPOUT, rate, "dropout");
}

ramp_status ramp_net_flatten(ramp_net *net)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_FLATTEN, "flatten");
    if (!nd) return net->build_st;
    nd->c = (int)ramp__node_size(nd);
    nd->h = nd->w = 1;
    nd->flat = 1;
    return commit(net);
}

ramp_status ramp_net_batchnorm(ramp_net *net, float momentum, float eps)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_BN, "batchnorm");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    if (momentum == 0.f) momentum = 0.1f;
    if (eps == 0.f) eps = 1e-5f;
    if (!(momentum > 0.f && momentum <= 1.f) || !(eps > 0.f))
        return bad(net, RAMP_EINVAL, "batchnorm (layer %d): bad momentum %g or eps %g", id,
                   momentum, eps);
    nd->alpha = momentum;
    nd->eps = eps;
    int d[1] = { nd->c };
    if (param_new(net, id, RAMP__P_WEIGHT, 1, d, 1.f, 1) ||
        param_new(net, id, RAMP__P_BIAS, 1, d, 0.f, 1) ||
        param_new(net, id, RAMP__P_RMEAN, 1, d, 0.f, 0) ||
        param_new(net, id, RAMP__P_RVAR, 1, d, 1.f, 0))
        return net->build_st;
    return commit(net);
}

ramp_status ramp_net_add(ramp_net *net, int other)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_ADD, "add");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    if (other < 0 || other >= id)
        return bad(net, RAMP_EINVAL, "add (layer %d): no layer %d", id, other);
    if (other == nd->in[0])
        return bad(net, RAMP_EINVAL, "add (layer %d): adds layer %d to itself", id, other);
    const ramp__node *b = &net->nodes[other];
    if (b->c != nd->c || b->h != nd->h || b->w != nd->w || b->flat != nd->flat)
        return bad(net, RAMP_ESHAPE, "add (layer %d): shapes %dx%dx%d (layer %d) and %dx%dx%d "
                   "(layer %d) differ", id, nd->c, nd->h, nd->w, nd->in[0], b->c, b->h, b->w,
                   other);
    if (b->op == RAMP__OP_SOFTMAX)
        return bad(net, RAMP_EUNSUPPORTED, "add (layer %d): softmax must be the last layer", id);
    nd->in[1] = other;
    nd->n_in = 2;
    return commit(net);
}

ramp_status ramp_net_clip(ramp_net *net, float lo, float hi)
{
    if (net && !net->build_st && !(lo < hi))
        return bad(net, RAMP_EINVAL, "clip (layer %d): bounds %g, %g: need lo < hi",
                   net->n_nodes, lo, hi);
    ramp_status st = simple(net, RAMP__OP_CLIP, lo, "clip");
    if (!st) net->nodes[net->cur].beta = hi;
    return st;
}

/* The second input of mul or concat: an earlier layer, not the first input,
   not a softmax; NULL (with build_st set) otherwise. */
static const ramp__node *second(ramp_net *net, const ramp__node *nd, int other, const char *who)
{
    int id = net->n_nodes;
    if (other < 0 || other >= id) {
        bad(net, RAMP_EINVAL, "%s (layer %d): no layer %d", who, id, other);
        return NULL;
    }
    if (other == nd->in[0]) {
        bad(net, RAMP_EINVAL, "%s (layer %d): takes layer %d twice", who, id, other);
        return NULL;
    }
    if (net->nodes[other].op == RAMP__OP_SOFTMAX) {
        bad(net, RAMP_EUNSUPPORTED, "%s (layer %d): softmax must be the last layer", who, id);
        return NULL;
    }
    return &net->nodes[other];
}

ramp_status ramp_net_mul(ramp_net *net, int other)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_MUL, "mul");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    const ramp__node *b = second(net, nd, other, "mul");
    if (!b) return net->build_st;
    /* same shape, or b holds one value per channel (C×1×1 or C flat) */
    if (b->c != nd->c || !((b->h == nd->h && b->w == nd->w) || (b->h == 1 && b->w == 1)))
        return bad(net, RAMP_ESHAPE, "mul (layer %d): layer %d (%dx%dx%d) is neither the shape "
                   "of layer %d (%dx%dx%d) nor one value per channel", id, other, b->c, b->h,
                   b->w, nd->in[0], nd->c, nd->h, nd->w);
    nd->in[1] = other;
    nd->n_in = 2;
    return commit(net);
}

ramp_status ramp_net_concat(ramp_net *net, int other)
{
    if (!net) return RAMP_EINVAL;
    ramp__node *nd = push(net, RAMP__OP_CONCAT, "concat");
    if (!nd) return net->build_st;
    int id = net->n_nodes;
    const ramp__node *b = second(net, nd, other, "concat");
    if (!b) return net->build_st;
    if (b->h != nd->h || b->w != nd->w)
        return bad(net, RAMP_ESHAPE, "concat (layer %d): layer %d (%dx%dx%d) and layer %d "
                   "(%dx%dx%d) differ in H×W", id, nd->in[0], nd->c, nd->h, nd->w, other, b->c,
                   b->h, b->w);
    nd->c += b->c;
    nd->in[1] = other;
    nd->n_in = 2;
    return commit(net);
}

int ramp_net_last(const ramp_net *net)
{
    return net ? net->cur : -1;
}

ramp_status ramp_net_from(ramp_net *net, int id)
{
    if (!net) return RAMP_EINVAL;
    if (net->build_st) return net->build_st;
    if (id < 0 || id >= net->n_nodes) return bad(net, RAMP_EINVAL, "from: no layer %d", id);
    net->cur = id;
    return RAMP_OK;
}

int ramp_net_n_layers(const ramp_net *net)
{
    return net ? net->n_nodes : 0;
}

ramp_status ramp_net_layer_shape(const ramp_net *net, int id, int shape[3])
{
    if (!net || !shape || id < 0 || id >= net->n_nodes) return RAMP_EINVAL;
    shape[0] = net->nodes[id].c;
    shape[1] = net->nodes[id].h;
    shape[2] = net->nodes[id].w;
    return RAMP_OK;
}

const char *ramp_net_layer_type(const ramp_net *net, int id)
{
    if (!net || id < 0 || id >= net->n_nodes) return NULL;
    return ramp__op_name(net->nodes[id].op);
}

static size_t node_params(const ramp__node *nd)
{
    size_t n = 0;
    for (int k = 0; k < RAMP__P_MAX; k++)
        if (nd->p[k].used) n += nd->p[k].n_plain;
    return n;
}

size_t ramp_net_n_params(const ramp_net *net)
{
    size_t n = 0;
    if (!net) return 0;
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++)
            if (net->nodes[i].p[k].used && net->nodes[i].p[k].trainable &&
                ramp__node_learns(&net->nodes[i]))
                n += net->nodes[i].p[k].n_plain;
    return n;
}

/* --- finalize ------------------------------------------------------------- */

ramp_status ramp__net_finalize(ramp_net *net)
{
    if (net->build_st) return net->build_st;
    if (net->finalized) return RAMP_OK;
    int last = net->n_nodes - 1;
    if (net->cur != last)
        return ramp__net_fail(net, RAMP_EINVAL, "the current layer (%d) is not the last one "
                              "(%d): the output must be the last layer added", net->cur, last);
    int lg = net->nodes[last].op == RAMP__OP_SOFTMAX ? net->nodes[last].in[0] : last;
    if (lg == 0) return ramp__net_fail(net, RAMP_EINVAL, "the net has no layers");
    const ramp__node *L = &net->nodes[lg];
    int vec = L->flat || (L->h == 1 && L->w == 1);
    ramp_loss loss = net->prm.loss;
    if (loss == RAMP_LOSS_AUTO) loss = RAMP_LOSS_SOFTMAX;
    switch (loss) {
    case RAMP_LOSS_SOFTMAX:
        if (!vec)
            return ramp__net_fail(net, RAMP_ESHAPE, "the output (layer %d, %dx%dx%d) must be a "
                                  "vector of class scores: add flatten and dense (or, for one "
                                  "class per pixel, set loss = RAMP_LOSS_PIXEL_SOFTMAX)", lg,
                                  L->c, L->h, L->w);
        break;
    case RAMP_LOSS_PIXEL_SOFTMAX:
        if (L->flat)
            return ramp__net_fail(net, RAMP_ESHAPE, "per-pixel softmax: the output (layer %d) "
                                  "is flat (%d features), not KxHxW", lg, L->c);
        break;
    case RAMP_LOSS_CENTERNET: {
        const ramp_centernet *cn = &net->prm.centernet;
        if (cn->n_classes < 1 || (cn->geometry != 0 && cn->geometry != 1) ||
            cn->size_weight < 0 || cn->offset_weight < 0 || cn->min_overlap < 0 ||
            cn->min_overlap >= 1)
            return ramp__net_fail(net, RAMP_EINVAL, "CenterNet head: bad n_classes %d, "
                                  "geometry %d, weights or min_overlap", cn->n_classes,
                                  cn->geometry);
        if (L->flat || L->c != ramp__centernet_channels(cn))
            return ramp__net_fail(net, RAMP_ESHAPE, "CenterNet head: the output (layer %d, "
                                  "%dx%dx%d) must have %d channels (%d classes + %d size + %d "
                                  "offset)", lg, L->c, L->h, L->w, ramp__centernet_channels(cn),
                                  cn->n_classes, cn->geometry ? 1 : 2, cn->offset ? 2 : 0);
        if (net->nodes[last].op == RAMP__OP_SOFTMAX)
            return ramp__net_fail(net, RAMP_EINVAL, "CenterNet head: no softmax layer at the end "
                                  "(the heat maps go through a sigmoid in the loss)");
        break;
    }
    default:
        return ramp__net_fail(net, RAMP_EINVAL, "unknown loss %d", (int)loss);
    }
    if (net->prm.n_class_weights > 0 && loss == RAMP_LOSS_CENTERNET)
        return ramp__net_fail(net, RAMP_EINVAL,
                              "class_weights are for the softmax losses, not CenterNet's");
    if (net->prm.n_class_weights > 0 && net->prm.n_class_weights != L->c)
        return ramp__net_fail(net, RAMP_ESHAPE,
                              "%d class_weights for an output of %d classes (layer %d)",
                              net->prm.n_class_weights, L->c, lg);
    net->loss = loss;
    net->logits_node = lg;
    net->n_classes = L->c;
    net->out_size = ramp__node_size(L);
    for (int i = 0; i < net->n_nodes; i++) {
        ramp__node *nd = &net->nodes[i];
        nd->n_consumers = 0;
        int ng = 0;
        for (int k = 0; k < RAMP__P_MAX; k++)
            if (nd->p[k].used && nd->p[k].trainable && ramp__node_learns(nd)) ng = 1;
        for (int j = 0; j < nd->n_in; j++) ng |= net->nodes[nd->in[j]].needs_grad;
        nd->needs_grad = ng;
    }
    for (int i = 1; i < net->n_nodes; i++)
        for (int j = 0; j < net->nodes[i].n_in; j++) net->nodes[net->nodes[i].in[j]].n_consumers++;
    for (int i = 0; i < last; i++)
        if (net->nodes[i].n_consumers == 0 && i != 0)
            return ramp__net_fail(net, RAMP_EINVAL, "layer %d (%s) feeds nothing: every branch "
                                  "must join the output", i, ramp__op_name(net->nodes[i].op));
    ramp_status st = net->be->create(net, &net->be_st);
    if (st) {
        net->be_st = NULL;
        if (!net->errmsg[0]) ramp__net_fail(net, st, "backend %s: %s", net->be->name,
                                            ramp_strerror(st));
        return st;
    }
    net->finalized = 1;
    net->backend_valid = 0;
    return RAMP_OK;
}

ramp_status ramp__net_to_backend(ramp_net *net)
{
    if (net->backend_valid) return RAMP_OK;
    ramp_status st = net->be->param_sync(net, net->be_st, 1);
    if (st) return st;
    net->backend_valid = 1;
    return RAMP_OK;
}

ramp_status ramp__net_to_plain(ramp_net *net)
{
    if (net->plain_valid) return RAMP_OK;
    ramp_status st = net->be->param_sync(net, net->be_st, 0);
    if (st) return st;
    net->plain_valid = 1;
    return RAMP_OK;
}

/* --- summary ---------------------------------------------------------------- */

typedef struct sbuf {
    char *buf;
    size_t cap, len;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) RAMP__PRINTF(2, 3);
static void sb_printf(sbuf *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = s->len < s->cap ? s->buf + s->len : NULL;
    int n = vsnprintf(dst, dst ? s->cap - s->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) s->len += (size_t)n;
}

static void summary(const ramp_net *net, sbuf *s)
{
    const char *rule = "================================================================="
                       "========================\n"; /* 89: the columns below */
    sb_printf(s, "%-5s %-16s %-36s %-18s %10s\n", "Layer", "Name", "Type (inputs)",
              "Output shape", "Param #");
    sb_printf(s, "%s", rule);
    size_t total = 0, trainable = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i];
        char type[96], attr[48] = "", shape[48];
        if (nd->op == RAMP__OP_CONV && nd->dilation > 1)
            snprintf(attr, sizeof attr, " dilation %d", nd->dilation);
        else if (nd->op == RAMP__OP_CLIP)
            snprintf(attr, sizeof attr, " [%g, %g]", nd->alpha, nd->beta);
        else if (nd->op == RAMP__OP_UPSAMPLE)
            snprintf(attr, sizeof attr, " x%d %s", nd->k, nd->pad ? "bilinear" : "nearest");
        else if (nd->op == RAMP__OP_DECONV)
            snprintf(attr, sizeof attr, " k%d s%d", nd->k, nd->stride);
        if (nd->n_in == 2)
            snprintf(type, sizeof type, "%s%s (%d, %d)", ramp__op_name(nd->op), attr, nd->in[0],
                     nd->in[1]);
        else if (i > 0 && nd->in[0] != i - 1)
            snprintf(type, sizeof type, "%s%s (%d)", ramp__op_name(nd->op), attr, nd->in[0]);
        else
            snprintf(type, sizeof type, "%s%s", ramp__op_name(nd->op), attr);
        if (nd->flat)
            snprintf(shape, sizeof shape, "(N, %d)", nd->c);
        else
            snprintf(shape, sizeof shape, "(N, %d, %d, %d)", nd->c, nd->h, nd->w);
        /* fine-tuning marks after the type */
        int has_p = node_params(nd) > 0;
        size_t tl = strlen(type);
        if (has_p && !ramp__node_learns(nd))
            snprintf(type + tl, sizeof type - tl, " [frozen%s]",
                     nd->bn_frozen ? ", frozen stats" : "");
        else if (nd->bn_frozen)
            snprintf(type + tl, sizeof type - tl, " [frozen stats]");
        tl = strlen(type);
        if (has_p && ramp__node_learns(nd) && nd->lr_mult != 1.f)
            snprintf(type + tl, sizeof type - tl, " [lr x%g]", (double)nd->lr_mult);
        size_t np = node_params(nd);
        total += np;
        for (int k = 0; k < RAMP__P_MAX; k++)
            if (nd->p[k].used && nd->p[k].trainable && ramp__node_learns(nd))
                trainable += nd->p[k].n_plain;
        sb_printf(s, "%-5d %-16s %-36s %-18s %10zu\n", i, nd->name, type, shape, np);
    }
    sb_printf(s, "%s", rule);
    sb_printf(s, "Total params: %zu\nTrainable params: %zu\nNon-trainable params: %zu\n", total,
              trainable, total - trainable);
}

ramp_status ramp_net_summary(ramp_net *net, FILE *f)
{
    if (!net || !f) return RAMP_EINVAL;
    size_t n = ramp_net_summary_str(net, NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf) return ramp__net_fail(net, RAMP_ENOMEM, "summary: out of memory");
    ramp_net_summary_str(net, buf, n + 1);
    int ok = fputs(buf, f) >= 0;
    free(buf);
    return ok ? RAMP_OK : ramp__net_fail(net, RAMP_EIO, "summary: write failed");
}

size_t ramp_net_summary_str(ramp_net *net, char *buf, size_t cap)
{
    if (!net) return 0;
    sbuf s = { buf, buf ? cap : 0, 0 };
    summary(net, &s);
    if (buf && cap) buf[s.len < cap ? s.len : cap - 1] = '\0';
    return s.len;
}

/* --- parameter access ----------------------------------------------------- */

static ramp_status param_lookup(ramp_net *net, int id, int kind, size_t n, ramp__param **out)
{
    if (id < 0 || id >= net->n_nodes)
        return ramp__net_fail(net, RAMP_EINVAL, "no layer %d", id);
    if (kind < 0 || kind >= RAMP__P_MAX || !net->nodes[id].p[kind].used)
        return ramp__net_fail(net, RAMP_EINVAL, "layer %d (%s) has no parameter of kind %d", id,
                              ramp__op_name(net->nodes[id].op), kind);
    ramp__param *p = &net->nodes[id].p[kind];
    if (n != p->n_plain)
        return ramp__net_fail(net, RAMP_ESHAPE, "layer %d kind %d holds %zu values, not %zu", id,
                              kind, p->n_plain, n);
    *out = p;
    return RAMP_OK;
}

ramp_status ramp_net_get_param(ramp_net *net, int id, int kind, float *out, size_t n)
{
    if (!net || !out) return RAMP_EINVAL;
    ramp__param *p;
    ramp_status st = param_lookup(net, id, kind, n, &p);
    if (st || (st = ramp__net_to_plain(net))) return st;
    memcpy(out, p->plain, n * sizeof(float));
    return RAMP_OK;
}

ramp_status ramp_net_set_param(ramp_net *net, int id, int kind, const float *in, size_t n)
{
    if (!net || !in) return RAMP_EINVAL;
    ramp__param *p;
    ramp_status st = param_lookup(net, id, kind, n, &p);
    if (st || (st = ramp__net_to_plain(net))) return st;
    memcpy(p->plain, in, n * sizeof(float));
    net->backend_valid = 0;
    return RAMP_OK;
}

ramp_status ramp_net_get_grad(ramp_net *net, int id, int kind, float *out, size_t n)
{
    if (!net || !out) return RAMP_EINVAL;
    ramp__param *p;
    ramp_status st = param_lookup(net, id, kind, n, &p);
    if (st) return st;
    if (!ramp__node_learns(&net->nodes[id]))
        return ramp__net_fail(net, RAMP_EINVAL, "layer %d (%s) is frozen (or its lr_mult is 0): "
                              "no gradient is computed for it", id, net->nodes[id].name);
    if (!net->finalized || !p->g || !p->trainable)
        return ramp__net_fail(net, RAMP_EINVAL, "layer %d kind %d: no gradient yet", id, kind);
    return net->be->grad_read(net, net->be_st, id, kind, out);
}

/* --- fine-tuning: names, freezing, learning-rate multipliers, cut ----------
   Every change that alters what the backend built (the graph, which layers
   learn and so where gradients stop, a batchnorm's statistics mode) takes
   the backend down when the net was already used (ramp__net_reopen): the
   parameters and the optimiser state go to their plain copies first, and
   the next fit or predict builds a new backend from them. A layer whose
   learning starts or stops loses its optimiser state (momentum, Adam
   moments), as a new torch.optim param group would start; the others keep
   theirs. Changing a non-zero lr_mult to another needs no rebuild. */

static void state_free(ramp__param *p)
{
    free(p->m1);
    free(p->m2);
    free(p->s1);
    free(p->s2);
    p->m1 = p->m2 = p->s1 = p->s2 = NULL;
    p->t = 0;
}

ramp_status ramp__net_reopen(ramp_net *net)
{
    if (!net->finalized) return RAMP_OK;
    ramp_status st = ramp__net_to_plain(net);
    if (!st && net->be->state_sync) st = net->be->state_sync(net, net->be_st); /* a GPU's m1, m2 */
    if (st) return st;
    for (int i = 0; i < net->n_nodes && !st; i++)
        for (int k = 0; k < RAMP__P_MAX && !st; k++) {
            ramp__param *p = &net->nodes[i].p[k];
            float **m[2] = { &p->m1, &p->m2 }, **sv[2] = { &p->s1, &p->s2 };
            for (int j = 0; j < 2 && !st; j++) {
                if (!*m[j]) continue;
                if (!(*sv[j] = malloc(p->n_plain * sizeof(float))))
                    st = ramp__net_fail(net, RAMP_ENOMEM, "layer %d: out of memory", i);
                else
                    st = net->be->state_convert(net, net->be_st, i, k, *m[j], *sv[j], 0);
            }
        }
    if (st) { /* nothing changed: the backend and its state stay as they were */
        for (int i = 0; i < net->n_nodes; i++)
            for (int k = 0; k < RAMP__P_MAX; k++) {
                ramp__param *p = &net->nodes[i].p[k];
                if (p->m1) {
                    free(p->s1);
                    p->s1 = NULL;
                }
                if (p->m2) {
                    free(p->s2);
                    p->s2 = NULL;
                }
            }
        return st;
    }
    net->be->destroy(net->be_st);
    net->be_st = NULL;
    for (int i = 0; i < net->n_nodes; i++) {
        ramp__node *nd = &net->nodes[i];
        for (int k = 0; k < RAMP__P_MAX; k++) {
            ramp__param *p = &nd->p[k];
            free(p->w);
            free(p->g);
            free(p->m1);
            free(p->m2);
            p->w = p->g = p->m1 = p->m2 = NULL;
            p->n = 0;
        }
        nd->fused_relu = nd->overwritten = nd->own_fwd = nd->own_bww = 0;
        nd->wino = 0;
    }
    free(net->logits);
    free(net->dlogits);
    free(net->probs);
    net->logits = net->dlogits = net->probs = NULL;
    net->cap_n = 0; /* the class count may change */
    net->finalized = 0;
    net->backend_valid = 0;
    net->plain_valid = 1;
    return RAMP_OK;
}

static ramp_status check_id(ramp_net *net, int id, const char *who)
{
    if (id < 0 || id >= net->n_nodes)
        return ramp__net_fail(net, RAMP_EINVAL, "%s: no layer %d (the net has %d)", who, id,
                              net->n_nodes);
    return RAMP_OK;
}

ramp_status ramp_net_set_name(ramp_net *net, int id, const char *name)
{
    if (!net) return RAMP_EINVAL;
    ramp_status st = check_id(net, id, "set_name");
    if (st) return st;
    if (!name) return ramp__net_fail(net, RAMP_EINVAL, "set_name (layer %d): name is NULL", id);
    size_t len = strlen(name);
    if (len < 1 || len > RAMP__NAME_MAX)
        return ramp__net_fail(net, RAMP_EINVAL, "set_name (layer %d): a name has 1 to %d bytes, "
                              "not %zu", id, RAMP__NAME_MAX, len);
    for (size_t i = 0; i < len; i++)
        if (name[i] <= ' ' || name[i] > '~')
            return ramp__net_fail(net, RAMP_EINVAL, "set_name (layer %d): byte %zu of the name "
                                  "is not printable ASCII (spaces are not allowed)", id, i);
    for (int i = 0; i < net->n_nodes; i++)
        if (i != id && !strcmp(net->nodes[i].name, name))
            return ramp__net_fail(net, RAMP_EINVAL, "set_name (layer %d): layer %d is already "
                                  "named '%s'", id, i, name);
    memcpy(net->nodes[id].name, name, len + 1);
    net->nodes[id].name_set = 1;
    return RAMP_OK;
}

const char *ramp_net_layer_name(const ramp_net *net, int id)
{
    if (!net || id < 0 || id >= net->n_nodes) return NULL;
    return net->nodes[id].name;
}

int ramp_net_find(const ramp_net *net, const char *name)
{
    if (!net || !name) return -1;
    for (int pass = 1; pass >= 0; pass--) /* names set first, then the default ones */
        for (int i = 0; i < net->n_nodes; i++)
            if (net->nodes[i].name_set == pass && !strcmp(net->nodes[i].name, name)) return i;
    return -1;
}

/* Does node nd have parameters an optimiser trains? */
static int has_trainable(const ramp__node *nd)
{
    for (int k = 0; k < RAMP__P_MAX; k++)
        if (nd->p[k].used && nd->p[k].trainable) return 1;
    return 0;
}

/* Sets layers a..b's frozen flag and lr_mult (mult < 0: kept); a layer that
   starts or stops learning loses its optimiser state, and the backend is
   rebuilt if one did. */
static ramp_status set_learning(ramp_net *net, int a, int b, int frozen, float mult)
{
    int change = 0;
    for (int i = a; i <= b; i++) {
        const ramp__node *nd = &net->nodes[i];
        int now = !frozen && (mult < 0.f ? nd->lr_mult : mult) > 0.f;
        if (has_trainable(nd) && now != ramp__node_learns(nd)) change = 1;
    }
    ramp_status st = change ? ramp__net_reopen(net) : RAMP_OK;
    if (st) return st;
    for (int i = a; i <= b; i++) {
        ramp__node *nd = &net->nodes[i];
        int was = ramp__node_learns(nd);
        nd->frozen = frozen;
        if (mult >= 0.f) nd->lr_mult = mult;
        if (was != ramp__node_learns(nd))
            for (int k = 0; k < RAMP__P_MAX; k++) state_free(&nd->p[k]);
    }
    return RAMP_OK;
}

ramp_status ramp_net_freeze(ramp_net *net, int id, int frozen)
{
    if (!net) return RAMP_EINVAL;
    ramp_status st = check_id(net, id, "freeze");
    return st ? st : set_learning(net, id, id, frozen != 0, -1.f);
}

ramp_status ramp_net_freeze_upto(ramp_net *net, int id, int frozen)
{
    if (!net) return RAMP_EINVAL;
    ramp_status st = check_id(net, id, "freeze_upto");
    return st ? st : set_learning(net, 0, id, frozen != 0, -1.f);
}

ramp_status ramp_net_set_lr_mult(ramp_net *net, int id, float mult)
{
    if (!net) return RAMP_EINVAL;
    ramp_status st = check_id(net, id, "set_lr_mult");
    if (st) return st;
    if (!(mult >= 0.f) || !isfinite(mult))
        return ramp__net_fail(net, RAMP_EINVAL, "set_lr_mult (layer %d): multiplier %g is not "
                              "a finite number >= 0", id, (double)mult);
    return set_learning(net, id, id, net->nodes[id].frozen, mult);
}

ramp_status ramp_net_freeze_bn_stats(ramp_net *net, int id, int frozen)
{
    if (!net) return RAMP_EINVAL;
    frozen = frozen != 0;
    if (id != -1) {
        ramp_status st = check_id(net, id, "freeze_bn_stats");
        if (st) return st;
        if (net->nodes[id].op != RAMP__OP_BN)
            return ramp__net_fail(net, RAMP_EINVAL, "freeze_bn_stats: layer %d (%s) is not a "
                                  "batchnorm", id, net->nodes[id].name);
    }
    int a = id == -1 ? 0 : id, b = id == -1 ? net->n_nodes - 1 : id, change = 0;
    for (int i = a; i <= b; i++)
        if (net->nodes[i].op == RAMP__OP_BN && net->nodes[i].bn_frozen != frozen) change = 1;
    ramp_status st = change ? ramp__net_reopen(net) : RAMP_OK;
    if (st) return st;
    for (int i = a; i <= b; i++)
        if (net->nodes[i].op == RAMP__OP_BN) net->nodes[i].bn_frozen = frozen;
    return RAMP_OK;
}

ramp_status ramp_net_cut(ramp_net *net, int id)
{
    if (!net) return RAMP_EINVAL;
    if (net->build_st) return net->build_st;
    if (id < 0 || id >= net->n_nodes) return bad(net, RAMP_EINVAL, "cut: no layer %d", id);
    if (id < net->n_nodes - 1) {
        ramp_status st = ramp__net_reopen(net);
        if (st) return st;
        for (int i = id + 1; i < net->n_nodes; i++) {
            for (int k = 0; k < RAMP__P_MAX; k++) {
                free(net->nodes[i].p[k].plain); /* w, g, m1, m2: freed by the reopen */
                state_free(&net->nodes[i].p[k]);
            }
            memset(&net->nodes[i], 0, sizeof net->nodes[i]);
        }
        net->n_nodes = id + 1;
    }
    net->cur = id;
    return RAMP_OK;
}
