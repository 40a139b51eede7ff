/* onnx_export.c — ramp_net_save_onnx: an engine net as an ONNX model.
 *
 * The net's nodes are already in a topological order, so each layer becomes
 * one ONNX node (a dense layer on an image-shaped input two: a Flatten, then
 * Gemm; a mul or concat whose inputs differ in rank a Flatten or Reshape
 * of its second input, then the op), written in creation order. A layer's
 * ONNX node and its output tensor carry the layer's name; the input is
 * "input" (N×C×H×W, N a symbolic dimension) and the last layer's output is
 * "output". Parameters are
 * initializers named "<layer>.weight", ".bias", ".running_mean" and
 * ".running_var", their plain (public) layout being ONNX's own: conv
 * O×(C/G)×K×K, dense O×I (Gemm with transB = 1), batchnorm vectors.
 *
 * What the graph computes is the engine's evaluation mode: batchnorm with
 * its running statistics, dropout the identity (a Dropout node with its
 * ratio, which runtimes skip in inference and an importer can keep for
 * fine-tuning), average pooling counting padded zeros (count_include_pad).
 * A net without a softmax layer outputs class scores (logits): the engine
 * folds the softmax into its loss, and ramp_net_predict applies it, but the
 * file holds no such node; the model's doc_string says so.
 *
 * The message tree lives in one arena; the weights' bytes are pointed at
 * where they lie (little-endian hosts only: onnxInt.h), and the packed
 * model streams to the file through a ProtobufCBuffer, so a
 * large net is never held twice in memory. The file is written beside its
 * destination under a temporary name, then renamed over it.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"
#include "onnx/onnxInt.h"
#include "ramp/arena.h"
#include "ramp/onnx.h"

enum { IR_VERSION = 8, OPSET = 13, MAX_INPUTS = 5, MAX_ATTRS = 6 };

typedef RampOnnxpb__NodeProto onode;
typedef RampOnnxpb__AttributeProto oattr;
typedef RampOnnxpb__TensorProto otensor;
typedef RampOnnxpb__ValueInfoProto ovalue;

/* The export under way. */
typedef struct ex {
    ramp_net *net;
    ramp_arena *a;
    RampOnnxpb__GraphProto *g;
    size_t cap_nodes, cap_inits;
    const char **out; /* per layer: the ONNX tensor holding its output */
} ex;

static char *xprintf(ex *e, const char *fmt, ...) RAMP__PRINTF(2, 3);
static char *xprintf(ex *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = ramp_arena_alloc(e->a, (size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A layer's name (ramp_net_layer_name: the one set, else "<type><id>"),
   in the arena. */
static char *layer_name(ex *e, int id)
{
    return xprintf(e, "%s", ramp_net_layer_name(e->net, id));
}

/* A node `op` named `name` writing tensor `out`; inputs and attributes are
   appended. NULL when out of memory. */
static onode *node_new(ex *e, const char *op, const char *name, const char *out)
{
    if (e->g->n_node == e->cap_nodes) return NULL; /* two per layer (export_net): never */
    onode *n = ramp_arena_alloc(e->a, sizeof *n);
    char **outs = ramp_arena_alloc(e->a, sizeof *outs);
    char **ins = ramp_arena_calloc(e->a, MAX_INPUTS, sizeof *ins);
    oattr **attrs = ramp_arena_calloc(e->a, MAX_ATTRS, sizeof *attrs);
    if (!n || !outs || !ins || !attrs) return NULL;
    *n = (onode)RAMP__ONNXPB__NODE_PROTO__INIT;
    n->op_type = (char *)op;
    n->name = (char *)name;
    outs[0] = (char *)out;
    n->output = outs;
    n->n_output = 1;
    n->input = ins;
    n->attribute = attrs;
    e->g->node[e->g->n_node++] = n;
    return n;
}

static void node_in(onode *n, const char *tensor)
{
    n->input[n->n_input++] = (char *)tensor;
}

/* An attribute of type t (RAMP__ONNX_ATTR_*) appended to n. */
static oattr *attr_new(ex *e, onode *n, const char *name, int t)
{
    oattr *a = ramp_arena_alloc(e->a, sizeof *a);
    if (!a) return NULL;
    *a = (oattr)RAMP__ONNXPB__ATTRIBUTE_PROTO__INIT;
    a->name = (char *)name;
    a->has_type = 1;
    a->type = (RampOnnxpb__AttributeProto__AttributeType)t;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static int attr_int(ex *e, onode *n, const char *name, int64_t v)
{
    oattr *a = attr_new(e, n, name, RAMP__ONNX_ATTR_INT);
    if (!a) return -1;
    a->has_i = 1;
    a->i = v;
    return 0;
}

static int attr_float(ex *e, onode *n, const char *name, float v)
{
    oattr *a = attr_new(e, n, name, RAMP__ONNX_ATTR_FLOAT);
    if (!a) return -1;
    a->has_f = 1;
    a->f = v;
    return 0;
}

/* An INTS attribute of `count` copies of v. */
static int attr_ints(ex *e, onode *n, const char *name, int64_t v, size_t count)
{
    oattr *a = attr_new(e, n, name, RAMP__ONNX_ATTR_INTS);
    int64_t *vs = ramp_arena_alloc(e->a, count * sizeof *vs);
    if (!a || !vs) return -1;
    for (size_t i = 0; i < count; i++)
        vs[i] = v;
    a->ints = vs;
    a->n_ints = count;
    return 0;
}

/* A float initializer `name` of `ndim` dims holding v[count]; the bytes are
   v's own (v must outlive the packing). */
static const char *init_floats(ex *e, const char *name, int ndim, const int *dims, const float *v,
                               size_t count)
{
    if (!name || e->g->n_initializer == e->cap_inits) return NULL;
    otensor *t = ramp_arena_alloc(e->a, sizeof *t);
    int64_t *d = ramp_arena_alloc(e->a, (size_t)(ndim ? ndim : 1) * sizeof *d);
    if (!t || !d) return NULL;
    *t = (otensor)RAMP__ONNXPB__TENSOR_PROTO__INIT;
    for (int i = 0; i < ndim; i++)
        d[i] = dims[i];
    t->dims = d;
    t->n_dims = (size_t)ndim;
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = RAMP__ONNX_FLOAT;
    t->has_raw_data = 1;
    t->raw_data.len = count * 4;
    t->raw_data.data = (uint8_t *)(uintptr_t)v;
    e->g->initializer[e->g->n_initializer++] = t;
    return name;
}

/* An int64 initializer `name` holding v[count] (1-D), in ONNX's byte order. */
static const char *init_int64s(ex *e, const char *name, const int64_t *v, size_t count)
{
    if (!name || e->g->n_initializer == e->cap_inits) return NULL;
    otensor *t = ramp_arena_alloc(e->a, sizeof *t);
    int64_t *d = ramp_arena_alloc(e->a, sizeof *d);
    uint8_t *b = ramp_arena_alloc(e->a, count * 8 + 1);
    if (!t || !d || !b) return NULL;
    *t = (otensor)RAMP__ONNXPB__TENSOR_PROTO__INIT;
    d[0] = (int64_t)count;
    t->dims = d;
    t->n_dims = 1;
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = RAMP__ONNX_INT64;
    for (size_t i = 0; i < count; i++)
        for (int k = 0; k < 8; k++)
            b[8 * i + (size_t)k] = (uint8_t)((uint64_t)v[i] >> (8 * k));
    t->has_raw_data = 1;
    t->raw_data.len = count * 8;
    t->raw_data.data = b;
    e->g->initializer[e->g->n_initializer++] = t;
    return name;
}

/* Parameter `kind` of layer `id` as initializer "<layer>.<suffix>". */
static const char *init_param(ex *e, int id, const char *layer, int kind, const char *suffix)
{
    const ramp__param *p = &e->net->nodes[id].p[kind];
    return init_floats(e, xprintf(e, "%s.%s", layer, suffix), p->ndim, p->dims, p->plain,
                       p->n_plain);
}

/* A float tensor's type: N (symbolic) × the rest of dims. */
static ovalue *value_new(ex *e, const char *name, int ndim, const int *dims)
{
    ovalue *v = ramp_arena_alloc(e->a, sizeof *v);
    RampOnnxpb__TypeProto *tp = ramp_arena_alloc(e->a, sizeof *tp);
    RampOnnxpb__TypeProto__Tensor *tt = ramp_arena_alloc(e->a, sizeof *tt);
    RampOnnxpb__TensorShapeProto *sh = ramp_arena_alloc(e->a, sizeof *sh);
    RampOnnxpb__TensorShapeProto__Dimension **ds =
        ramp_arena_calloc(e->a, (size_t)ndim + 1, sizeof *ds);
    if (!v || !tp || !tt || !sh || !ds) return NULL;
    for (int i = 0; i <= ndim; i++) {
        if (!(ds[i] = ramp_arena_alloc(e->a, sizeof *ds[i]))) return NULL;
        *ds[i] = (RampOnnxpb__TensorShapeProto__Dimension)
            RAMP__ONNXPB__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
        if (i == 0) {
            ds[i]->value_case = RAMP__ONNXPB__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            ds[i]->dim_param = "N";
        } else {
            ds[i]->value_case = RAMP__ONNXPB__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            ds[i]->dim_value = dims[i - 1];
        }
    }
    *sh = (RampOnnxpb__TensorShapeProto)RAMP__ONNXPB__TENSOR_SHAPE_PROTO__INIT;
    sh->dim = ds;
    sh->n_dim = (size_t)ndim + 1;
    *tt = (RampOnnxpb__TypeProto__Tensor)RAMP__ONNXPB__TYPE_PROTO__TENSOR__INIT;
    tt->has_elem_type = 1;
    tt->elem_type = RAMP__ONNX_FLOAT;
    tt->shape = sh;
    *tp = (RampOnnxpb__TypeProto)RAMP__ONNXPB__TYPE_PROTO__INIT;
    tp->value_case = RAMP__ONNXPB__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    *v = (ovalue)RAMP__ONNXPB__VALUE_INFO_PROTO__INIT;
    v->name = (char *)name;
    v->type = tp;
    return v;
}

static ovalue *value_of_node(ex *e, const char *name, const ramp__node *nd)
{
    int dims[3] = {nd->c, nd->h, nd->w};
    return value_new(e, name, nd->flat ? 1 : 3, dims);
}

/* --- one layer ------------------------------------------------------------ */

#define NOMEM(e, id) ramp__net_fail((e)->net, RAMP_ENOMEM, "layer %d: out of memory", (id))

/* The output of layer `other` as a tensor of the rank of a flat (2-D)
   or image (4-D) tensor, for the second input of mul and concat: as it
   is, behind a Flatten ("<name>.flatten2"), or reshaped to N×C×1×1
   ("<name>.reshape2", its shape "<name>.shape2"). NULL if out of memory. */
static const char *as_rank(ex *e, const char *name, int other, int flat)
{
    const ramp__node *b = &e->net->nodes[other];
    if (b->flat == flat) return e->out[other];
    if (flat) { /* C×1×1 → C */
        const char *t = xprintf(e, "%s.flatten2", name);
        onode *f = t ? node_new(e, "Flatten", t, t) : NULL;
        if (!f || attr_int(e, f, "axis", 1)) return NULL;
        node_in(f, e->out[other]);
        return t;
    }
    const int64_t shape[4] = {-1, b->c, 1, 1}; /* C → C×1×1 */
    const char *t = xprintf(e, "%s.reshape2", name);
    const char *sh = init_int64s(e, xprintf(e, "%s.shape2", name), shape, 4);
    onode *r = t && sh ? node_new(e, "Reshape", t, t) : NULL;
    if (!r) return NULL;
    node_in(r, e->out[other]);
    node_in(r, sh);
    return t;
}

/* Window attributes of a conv or pool: kernel_shape, strides, pads (and
   dilations for a conv). */
static int window_attrs(ex *e, onode *n, const ramp__node *nd, int dilation)
{
    if (attr_ints(e, n, "kernel_shape", nd->k, 2) || attr_ints(e, n, "strides", nd->stride, 2) ||
        attr_ints(e, n, "pads", nd->pad, 4))
        return -1;
    return dilation ? attr_ints(e, n, "dilations", dilation, 2) : 0;
}

static ramp_status export_layer(ex *e, int id, int last)
{
    const ramp__node *nd = &e->net->nodes[id];
    const char *name = layer_name(e, id);
    const char *out = id == last ? "output" : name;
    const char *x = e->out[nd->in[0]];
    onode *n = NULL;
    if (!name) return NOMEM(e, id);
    e->out[id] = out;
    switch (nd->op) {
    case RAMP__OP_INPUT:
        break;
    case RAMP__OP_CONV:
        if (!(n = node_new(e, "Conv", name, out))) return NOMEM(e, id);
        node_in(n, x);
        node_in(n, init_param(e, id, name, RAMP__P_WEIGHT, "weight"));
        if (nd->bias) node_in(n, init_param(e, id, name, RAMP__P_BIAS, "bias"));
        if (window_attrs(e, n, nd, nd->dilation) || attr_int(e, n, "group", nd->groups))
            return NOMEM(e, id);
        break;
    case RAMP__OP_DENSE:
        if (!e->net->nodes[nd->in[0]].flat) { /* Gemm takes N×I: flatten C×H×W first */
            const char *fl = xprintf(e, "%s.flatten", name);
            onode *f = fl ? node_new(e, "Flatten", fl, fl) : NULL;
            if (!f || attr_int(e, f, "axis", 1)) return NOMEM(e, id);
            node_in(f, x);
            x = fl;
        }
        if (!(n = node_new(e, "Gemm", name, out))) return NOMEM(e, id);
        node_in(n, x);
        node_in(n, init_param(e, id, name, RAMP__P_WEIGHT, "weight"));
        if (nd->bias) node_in(n, init_param(e, id, name, RAMP__P_BIAS, "bias"));
        if (attr_int(e, n, "transB", 1)) return NOMEM(e, id);
        break;
    case RAMP__OP_MAXPOOL:
    case RAMP__OP_AVGPOOL:
        if (!(n = node_new(e, nd->op == RAMP__OP_MAXPOOL ? "MaxPool" : "AveragePool", name, out)))
            return NOMEM(e, id);
        node_in(n, x);
        if (window_attrs(e, n, nd, 0)) return NOMEM(e, id);
        /* the engine divides by K×K, padded zeros included */
        if (nd->op == RAMP__OP_AVGPOOL && attr_int(e, n, "count_include_pad", 1))
            return NOMEM(e, id);
        break;
    case RAMP__OP_GAP:
        if (!(n = node_new(e, "GlobalAveragePool", name, out))) return NOMEM(e, id);
        node_in(n, x);
        break;
    case RAMP__OP_RELU:
    case RAMP__OP_SIGMOID:
    case RAMP__OP_TANH:
        if (!(n = node_new(e,
                           nd->op == RAMP__OP_RELU      ? "Relu"
                           : nd->op == RAMP__OP_SIGMOID ? "Sigmoid"
                                                        : "Tanh",
                           name, out)))
            return NOMEM(e, id);
        node_in(n, x);
        break;
    case RAMP__OP_LRELU:
        if (!(n = node_new(e, "LeakyRelu", name, out)) || attr_float(e, n, "alpha", nd->alpha))
            return NOMEM(e, id);
        node_in(n, x);
        break;
    case RAMP__OP_SOFTMAX:
        if (!(n = node_new(e, "Softmax", name, out)) || attr_int(e, n, "axis", 1))
            return NOMEM(e, id);
        node_in(n, x);
        break;
    case RAMP__OP_BN:
        if (!(n = node_new(e, "BatchNormalization", name, out))) return NOMEM(e, id);
        node_in(n, x);
        node_in(n, init_param(e, id, name, RAMP__P_WEIGHT, "weight"));
        node_in(n, init_param(e, id, name, RAMP__P_BIAS, "bias"));
        node_in(n, init_param(e, id, name, RAMP__P_RMEAN, "running_mean"));
        node_in(n, init_param(e, id, name, RAMP__P_RVAR, "running_var"));
        /* ONNX's momentum weighs the old statistics, the engine's the batch */
        if (attr_float(e, n, "epsilon", nd->eps) || attr_float(e, n, "momentum", 1.f - nd->alpha))
            return NOMEM(e, id);
        break;
    case RAMP__OP_DROPOUT: {
        if (!(n = node_new(e, "Dropout", name, out))) return NOMEM(e, id);
        node_in(n, x);
        node_in(n, init_floats(e, xprintf(e, "%s.ratio", name), 0, NULL, &nd->alpha, 1));
        break;
    }
    case RAMP__OP_FLATTEN:
        if (!(n = node_new(e, "Flatten", name, out)) || attr_int(e, n, "axis", 1))
            return NOMEM(e, id);
        node_in(n, x);
        break;
    case RAMP__OP_ADD:
        if (!(n = node_new(e, "Add", name, out))) return NOMEM(e, id);
        node_in(n, x);
        node_in(n, e->out[nd->in[1]]);
        break;
    case RAMP__OP_CLIP: { /* opset 13: the bounds are inputs */
        const char *lo = init_floats(e, xprintf(e, "%s.min", name), 0, NULL, &nd->alpha, 1);
        const char *hi = init_floats(e, xprintf(e, "%s.max", name), 0, NULL, &nd->beta, 1);
        if (!(n = node_new(e, "Clip", name, out))) return NOMEM(e, id);
        node_in(n, x);
        node_in(n, lo);
        node_in(n, hi);
        break;
    }
    case RAMP__OP_MUL:
    case RAMP__OP_CONCAT: {
        /* a per-channel factor C×1×1 broadcasts over H×W as it is; the
           second input is brought to the first's rank where they differ */
        const char *y = as_rank(e, name, nd->in[1], e->net->nodes[nd->in[0]].flat);
        if (!y || !(n = node_new(e, nd->op == RAMP__OP_MUL ? "Mul" : "Concat", name, out)))
            return NOMEM(e, id);
        node_in(n, x);
        node_in(n, y);
        if (nd->op == RAMP__OP_CONCAT && attr_int(e, n, "axis", 1)) return NOMEM(e, id);
        break;
    }
    default:
        return ramp__net_fail(e->net, RAMP_EUNSUPPORTED,
                              "layer %d (%s): ONNX export does not "
                              "know this layer type",
                              id, ramp__op_name(nd->op));
    }
    if (n)
        for (size_t i = 0; i < n->n_input; i++)
            if (!n->input[i]) return NOMEM(e, id);
    return RAMP_OK;
}

/* --- checks and the file ---------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every tensor name once: a layer named like another's tensor fails. */
static ramp_status check_unique(ex *e)
{
    const RampOnnxpb__GraphProto *g = e->g;
    size_t n = 1 + g->n_initializer + g->n_node;
    const char **all = malloc(n * sizeof *all);
    if (!all) return ramp__net_fail(e->net, RAMP_ENOMEM, "ONNX export: out of memory");
    size_t k = 0;
    all[k++] = "input";
    for (size_t i = 0; i < g->n_initializer; i++)
        all[k++] = g->initializer[i]->name;
    for (size_t i = 0; i < g->n_node; i++)
        all[k++] = g->node[i]->output[0];
    qsort(all, n, sizeof *all, cmp_str);
    ramp_status st = RAMP_OK;
    for (size_t i = 1; i < n && !st; i++)
        if (strcmp(all[i - 1], all[i]) == 0)
            st = ramp__net_fail(e->net, RAMP_EINVAL,
                                "ONNX export: two tensors would be named "
                                "'%s' (rename the layer)",
                                all[i]);
    free(all);
    return st;
}

typedef struct file_buf {
    ProtobufCBuffer base;
    FILE *f;
    int bad;
} file_buf;

static void file_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    file_buf *fb = (file_buf *)b;
    if (!fb->bad && len && fwrite(data, 1, len, fb->f) != len) fb->bad = 1;
}

/* Packs m into a fresh file beside `path`, then renames it over `path`. */
static ramp_status write_model(ramp_net *net, const RampOnnxpb__ModelProto *m, const char *path)
{
    size_t len = strlen(path) + 48;
    char *tmp = malloc(len);
    if (!tmp) return ramp__net_fail(net, RAMP_ENOMEM, "%s: out of memory", path);
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        snprintf(tmp, len, "%s.%ld.%d.tmp", path, (long)getpid(), i);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        ramp_status st =
            ramp__net_fail(net, RAMP_EIO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        free(tmp);
        return st;
    }
    file_buf fb = {{file_append}, fdopen(fd, "wb"), 0};
    if (!fb.f) {
        close(fd);
        fb.bad = 1;
    } else {
        ramp__onnxpb__model_proto__pack_to_buffer(m, &fb.base);
        if (fclose(fb.f) != 0) fb.bad = 1;
    }
    ramp_status st = RAMP_OK;
    if (fb.bad) {
        st = ramp__net_fail(net, RAMP_EIO, "%s: write failed", tmp);
        remove(tmp);
    } else if (rename(tmp, path) != 0) {
        st = ramp__net_fail(net, RAMP_EIO, "%s: rename from %s failed: %s", path, tmp,
                            strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return st;
}

static ramp_status export_net(ex *e, const char *path)
{
    ramp_net *net = e->net;
    int last = net->n_nodes - 1;
    /* the graph the engine would train: the last layer is the output and
       every other layer feeds something */
    if (last < 1) return ramp__net_fail(net, RAMP_EINVAL, "ONNX export: the net has no layers");
    if (net->cur != last)
        return ramp__net_fail(net, RAMP_EINVAL,
                              "ONNX export: the current layer (%d) is not the "
                              "last one (%d): the output must be the last layer added",
                              net->cur, last);
    int *used = calloc((size_t)net->n_nodes, sizeof *used);
    if (!used) return ramp__net_fail(net, RAMP_ENOMEM, "ONNX export: out of memory");
    for (int i = 1; i <= last; i++)
        for (int j = 0; j < net->nodes[i].n_in; j++)
            used[net->nodes[i].in[j]] = 1;
    int dead = 0;
    for (int i = 1; i < last && !dead; i++)
        if (!used[i]) dead = i;
    free(used);
    if (dead)
        return ramp__net_fail(net, RAMP_EINVAL,
                              "ONNX export: layer %d (%s) feeds nothing: "
                              "every branch must join the output",
                              dead, ramp__op_name(net->nodes[dead].op));

    RampOnnxpb__GraphProto *g = ramp_arena_alloc(e->a, sizeof *g);
    RampOnnxpb__ModelProto *m = ramp_arena_alloc(e->a, sizeof *m);
    RampOnnxpb__OperatorSetIdProto *ops = ramp_arena_alloc(e->a, sizeof *ops);
    RampOnnxpb__OperatorSetIdProto **opsv = ramp_arena_alloc(e->a, sizeof *opsv);
    ovalue **gin = ramp_arena_alloc(e->a, sizeof *gin);
    ovalue **gout = ramp_arena_alloc(e->a, sizeof *gout);
    e->cap_nodes = 2 * (size_t)net->n_nodes;
    e->cap_inits = RAMP__P_MAX * (size_t)net->n_nodes;
    e->out = ramp_arena_calloc(e->a, (size_t)net->n_nodes, sizeof *e->out);
    if (!g || !m || !ops || !opsv || !gin || !gout || !e->out) return NOMEM(e, 0);
    *g = (RampOnnxpb__GraphProto)RAMP__ONNXPB__GRAPH_PROTO__INIT;
    g->node = ramp_arena_calloc(e->a, e->cap_nodes, sizeof *g->node);
    g->initializer = ramp_arena_calloc(e->a, e->cap_inits, sizeof *g->initializer);
    if (!g->node || !g->initializer) return NOMEM(e, 0);
    g->name = "ramp";
    e->g = g;
    e->out[0] = "input";
    if (!(gin[0] = value_of_node(e, "input", &net->nodes[0]))) return NOMEM(e, 0);
    g->input = gin;
    g->n_input = 1;
    ramp_status st;
    for (int i = 1; i <= last; i++)
        if ((st = export_layer(e, i, last))) return st;
    if (!(gout[0] = value_of_node(e, "output", &net->nodes[last]))) return NOMEM(e, last);
    g->output = gout;
    g->n_output = 1;
    if ((st = check_unique(e))) return st;

    *ops = (RampOnnxpb__OperatorSetIdProto)RAMP__ONNXPB__OPERATOR_SET_ID_PROTO__INIT;
    ops->domain = "";
    ops->has_version = 1;
    ops->version = OPSET;
    opsv[0] = ops;
    *m = (RampOnnxpb__ModelProto)RAMP__ONNXPB__MODEL_PROTO__INIT;
    m->has_ir_version = 1;
    m->ir_version = IR_VERSION;
    m->opset_import = opsv;
    m->n_opset_import = 1;
    m->producer_name = "ramp";
    m->producer_version = RAMP_VERSION;
    m->graph = g;
    m->doc_string = net->nodes[last].op == RAMP__OP_SOFTMAX
                        ? "A ramp engine net (evaluation mode); outputs class probabilities."
                        : "A ramp engine net (evaluation mode); outputs class scores (logits): "
                          "ramp folds the softmax into its loss, apply it for probabilities.";
    return write_model(net, m, path);
}

ramp_status ramp_net_save_onnx(ramp_net *net, const char *path)
{
    if (!net) return RAMP_EINVAL;
    if (!path) return ramp__net_fail(net, RAMP_EINVAL, "ONNX export: path is NULL");
    if (net->build_st) return net->build_st;
    ramp_status st = ramp__net_to_plain(net);
    if (st) return st;
    ex e = {.net = net};
    if (ramp_arena_new(&e.a, NULL))
        return ramp__net_fail(net, RAMP_ENOMEM, "ONNX export: out of memory");
    st = export_net(&e, path);
    ramp_arena_free(e.a);
    return st;
}
