/* onnx_import.c — an ONNX model as a ramp_net.
 *
 * The file is read whole (or, for _mem, borrowed), parsed whole by protobuf-c
 * into the schema subset's structs, and its graph walked once in node order
 * (ONNX requires a topological order). A table keyed by tensor name says
 * what each tensor is to ramp: the output of a layer (its id), a constant
 * (an initializer or a Constant node's value, read where an operator needs
 * weights, a shape or a bound), or a "dead" tensor (an extra output ramp
 * does not compute: BatchNormalization's running statistics in a training
 * export, Dropout's mask, MaxPool's indices), which no node may read.
 *
 * Each node becomes one engine layer through the public builders (nn.h),
 * its weights copied with ramp_net_set_param in the engine's plain layouts,
 * which are PyTorch's and so ONNX's (conv O×C/G×K×K; dense O×I, so Gemm
 * without transB and MatMul's I×O are transposed). A MatMul whose only
 * reader is an Add of a constant vector becomes one dense with that bias.
 * Identity, Constant and a Reshape that flattens make no layer of their own
 * (the Reshape makes a flatten). Shape of a layer, and Gather, Unsqueeze,
 * Squeeze, Concat, Slice, Cast and Mul over such shapes and int64
 * constants, are evaluated here (V_INTS, the batch size left open as
 * BATCH), so a Reshape's shape computed as PyTorch writes
 * x.view(x.size(0), -1) with a dynamic batch is known when it is read.
 *
 * Before building anything the whole graph is scanned for operators ramp
 * lacks, so the message names every one of them (with a node that uses
 * it) rather than the first. Every other error names the node and what is
 * wrong with it; the input is untrusted (sizes, types, counts and
 * attribute kinds are checked before use).
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"
#include "onnx/onnxInt.h"
#include "ramp/onnx.h"



typedef RampOnnxpb__ModelProto Model;
typedef RampOnnxpb__GraphProto Graph;
typedef RampOnnxpb__NodeProto Node;
typedef RampOnnxpb__TensorProto Tensor;
typedef RampOnnxpb__AttributeProto Attr;

/* Largest window, stride, padding or dilation taken (the engine's sizes are
   ints; no real network comes near). */
#define WIN_MAX (1 << 16)

enum { V_UNDEF = 0, V_LAYER, V_CONST, V_DEAD, V_INTS };

/* The batch size in an evaluated shape (the engine's nets take any). */
#define BATCH INT64_MIN

/* A small int64 vector evaluated at import: what Shape gives of a layer
   (N, C, H, W), and what Gather, Unsqueeze, Concat... make of it. */
typedef struct ivec {
    int64_t v[8];  /* BATCH: the batch size */
    int n;
    int scalar;    /* 0-D (one value) rather than 1-D */
    unsigned shp;  /* bit i: v[i] comes from a Shape */
} ivec;

/* One tensor name's meaning. */
typedef struct value {
    const char *name; /* borrowed from the parsed model; NULL: free slot */
    int kind;
    int layer;         /* V_LAYER: the layer id */
    int rank;          /* V_LAYER: 2 (N×F) or 4 (N×C×H×W) as ONNX sees it */
    int pad;           /* V_LAYER: zeros a Pad node put around H and W, left to the
                          Conv or AveragePool that reads it */
    const Tensor *t;   /* V_CONST: a tensor, or */
    const Attr *a;     /* a Constant's value_float(s) / value_int(s) */
    int uses;          /* node inputs and graph outputs that read it */
    size_t reader;     /* the index of the last node reading it */
    const Node *maker; /* V_DEAD: the node whose extra output it is */
    ivec iv;           /* V_INTS: its values */
} value;

/* A constant, decoded: n elements of one type, host order. */
typedef struct cten {
    int dtype; /* RAMP__ONNX_FLOAT or RAMP__ONNX_INT64 */
    int ndim;
    int64_t dims[8];
    size_t n;
    const float *f;
    const int64_t *i;
} cten;

typedef struct imp {
    const char *src; /* the file's path, or a stand-in for memory */
    ramp_err *err;
    const Graph *g;
    int64_t opset;
    ramp_net *net;
    value *v;
    size_t cap; /* slots in v, a power of two */
    const Node *node; /* the node being built (for messages) */
    size_t node_ix;
    int pad_ok;          /* the node being built takes a padded input (Conv, AveragePool) */
    unsigned char *done; /* per node: already built (an Add fused into a MatMul) */
    char lbl[2][200];
} imp;

static const char *S(const char *s)
{
    return s ? s : "";
}

/* A printable copy of untrusted text for messages (cut at 60 bytes). */
static const char *clean(char *buf, size_t cap, const char *s)
{
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *)S(s); *p && j + 4 < cap; p++) {
        if (j >= 60) {
            memcpy(buf + j, "...", 3);
            j += 3;
            break;
        }
        buf[j++] = (*p >= 0x20 && *p < 0x7f) ? (char)*p : '?';
    }
    buf[j] = 0;
    return buf;
}

size_t ramp__onnx_name_clean(char *out, const char *name)
{
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *)S(name); *p && j < RAMP__ONNX_NAME_MAX;
         p++)
        out[j++] = (*p > 0x20 && *p < 0x7f) ? (char)*p : '_';
    out[j] = 0;
    return j;
}

/* "node 'conv1' (Conv)", or "node #3 (Conv)" for a node without a name. */
static const char *node_label(imp *im, const Node *nd, size_t ix, int slot)
{
    char nm[80], op[80];
    if (nd->name && nd->name[0])
        snprintf(im->lbl[slot], sizeof im->lbl[slot], "node '%s' (%s)",
                 clean(nm, sizeof nm, nd->name), clean(op, sizeof op, nd->op_type));
    else
        snprintf(im->lbl[slot], sizeof im->lbl[slot], "node #%zu (%s)", ix,
                 clean(op, sizeof op, nd->op_type));
    return im->lbl[slot];
}

/* Error about the current node: "<src>: node 'x' (Op): <message>". */
static ramp_status fail(imp *im, ramp_status st, const char *fmt, ...) RAMP__PRINTF(3, 4);
static ramp_status fail(imp *im, ramp_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (im->node)
        return ramp__err_set(im->err, st, "%s: %s: %s", im->src,
                             node_label(im, im->node, im->node_ix, 0), msg);
    return ramp__err_set(im->err, st, "%s: %s", im->src, msg);
}

/* --- the name table ------------------------------------------------------ */

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The slot of `name`, created (V_UNDEF) if absent; the table never fills
   (sized for every name the graph holds). */
static value *slot(imp *im, const char *name)
{
    size_t m = im->cap - 1, i = (size_t)hash(name) & m;
    while (im->v[i].name && strcmp(im->v[i].name, name)) i = (i + 1) & m;
    if (!im->v[i].name) im->v[i].name = name;
    return &im->v[i];
}

static value *find(imp *im, const char *name)
{
    size_t m = im->cap - 1, i = (size_t)hash(name) & m;
    while (im->v[i].name) {
        if (!strcmp(im->v[i].name, name)) return &im->v[i];
        i = (i + 1) & m;
    }
    return NULL;
}

/* Output `name` means what x means (Identity, Pad, a one-input Concat, the
   Add folded into a MatMul), its own readers kept. */
static value *alias(imp *im, const char *name, const value *x)
{
    value *o = slot(im, name);
    value keep = *o;
    *o = *x;
    o->name = keep.name, o->uses = keep.uses, o->reader = keep.reader;
    return o;
}

/* --- constants ----------------------------------------------------------- */

static ramp_status tensor_view(imp *im, const Tensor *t, cten *c)
{
    char nm[80];
    const char *tn = clean(nm, sizeof nm, t->name);
    memset(c, 0, sizeof *c);
    if ((t->has_data_location &&
         t->data_location == RAMP__ONNXPB__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        t->n_external_data)
        return fail(im, RAMP_EUNSUPPORTED, "tensor '%s' keeps its data in an external file, "
                    "which ramp does not read: save the model with its weights inside "
                    "(onnx.save(model, path, save_as_external_data=False))", tn);
    int dt = t->has_data_type ? t->data_type : 0;
    if (dt != RAMP__ONNX_FLOAT && dt != RAMP__ONNX_INT64)
        return fail(im, RAMP_EUNSUPPORTED, "tensor '%s' has data type %d; ramp reads float32 "
                    "(1) and int64 (7) tensors", tn, dt);
    if (t->n_dims > 8)
        return fail(im, RAMP_EUNSUPPORTED, "tensor '%s' has %zu dimensions", tn, t->n_dims);
    size_t n = 1;
    for (size_t d = 0; d < t->n_dims; d++) {
        int64_t k = t->dims[d];
        if (k < 0 || (k > 0 && n > (SIZE_MAX / 8) / (uint64_t)k))
            return fail(im, RAMP_EFORMAT, "tensor '%s': bad dimension %lld", tn, (long long)k);
        n *= (size_t)k;
        c->dims[d] = k;
    }
    c->ndim = (int)t->n_dims;
    c->n = n;
    c->dtype = dt;
    size_t esz = dt == RAMP__ONNX_FLOAT ? 4 : 8;
    if (t->has_raw_data) {
        if (t->raw_data.len != n * esz)
            return fail(im, RAMP_EFORMAT, "tensor '%s': %zu bytes of data for %zu elements", tn,
                        t->raw_data.len, n);
        /* protobuf-c gives each bytes field its own malloc'd block */
        if (n && ((uintptr_t)t->raw_data.data % esz))
            return fail(im, RAMP_EINTERNAL, "tensor '%s': misaligned data", tn);
        if (dt == RAMP__ONNX_FLOAT) c->f = (const float *)(const void *)t->raw_data.data;
        else c->i = (const int64_t *)(const void *)t->raw_data.data;
    } else if (dt == RAMP__ONNX_FLOAT) {
        if (t->n_float_data != n)
            return fail(im, RAMP_EFORMAT, "tensor '%s': %zu values for %zu elements", tn,
                        t->n_float_data, n);
        c->f = t->float_data;
    } else {
        if (t->n_int64_data != n)
            return fail(im, RAMP_EFORMAT, "tensor '%s': %zu values for %zu elements", tn,
                        t->n_int64_data, n);
        c->i = t->int64_data;
    }
    return RAMP_OK;
}

static ramp_status const_view(imp *im, const value *v, cten *c)
{
    if (v->t) return tensor_view(im, v->t, c);
    const Attr *a = v->a;
    memset(c, 0, sizeof *c);
    int ty = (int)a->type;
    if (ty == RAMP__ONNX_ATTR_FLOAT) {
        c->dtype = RAMP__ONNX_FLOAT, c->n = 1, c->f = &a->f;
    } else if (ty == RAMP__ONNX_ATTR_INT) {
        c->dtype = RAMP__ONNX_INT64, c->n = 1, c->i = &a->i;
    } else if (ty == RAMP__ONNX_ATTR_FLOATS) {
        c->dtype = RAMP__ONNX_FLOAT, c->n = a->n_floats, c->f = a->floats;
        c->ndim = 1, c->dims[0] = (int64_t)a->n_floats;
    } else {
        c->dtype = RAMP__ONNX_INT64, c->n = a->n_ints, c->i = a->ints;
        c->ndim = 1, c->dims[0] = (int64_t)a->n_ints;
    }
    return RAMP_OK;
}

/* --- node inputs and attributes ------------------------------------------ */

static int has_input(const Node *nd, size_t k)
{
    return k < nd->n_input && nd->input[k] && nd->input[k][0];
}

/* Input k of the current node as a layer. */
static ramp_status in_layer(imp *im, size_t k, const value **out)
{
    const Node *nd = im->node;
    char nm[80];
    if (!has_input(nd, k)) return fail(im, RAMP_EFORMAT, "input %zu is missing", k + 1);
    const value *v = find(im, nd->input[k]);
    const char *tn = clean(nm, sizeof nm, nd->input[k]);
    if (!v || v->kind == V_UNDEF)
        return fail(im, RAMP_EFORMAT, "input '%s' is not the graph input, an initializer nor "
                    "the output of an earlier node", tn);
    if (v->kind == V_CONST)
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' is a constant; ramp takes a layer's "
                    "output there", tn);
    if (v->kind == V_DEAD)
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' is an extra output of %s, which ramp "
                    "does not compute", tn, node_label(im, v->maker, 0, 1));
    if (v->kind == V_INTS)
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' is a shape evaluated at import; ramp "
                    "reads such values only as a Reshape's shape", tn);
    if (v->pad && !im->pad_ok)
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' comes from a Pad; ramp takes a Pad "
                    "only before a Conv or an AveragePool", tn);
    *out = v;
    return RAMP_OK;
}

/* Input k of the current node as a constant of type dtype (`what` says what
   it is for in messages). */
static ramp_status in_const(imp *im, size_t k, int dtype, const char *what, cten *c)
{
    const Node *nd = im->node;
    char nm[80];
    if (!has_input(nd, k)) return fail(im, RAMP_EFORMAT, "no %s (input %zu)", what, k + 1);
    const value *v = find(im, nd->input[k]);
    const char *tn = clean(nm, sizeof nm, nd->input[k]);
    if (!v || v->kind == V_UNDEF)
        return fail(im, RAMP_EFORMAT, "%s '%s' is not an initializer, a Constant nor the "
                    "output of an earlier node", what, tn);
    if (v->kind != V_CONST)
        return fail(im, RAMP_EUNSUPPORTED, "%s '%s' is computed in the graph; ramp takes it "
                    "only from an initializer or a Constant node", what, tn);
    ramp_status st = const_view(im, v, c);
    if (st) return st;
    if (c->dtype != dtype)
        return fail(im, RAMP_EFORMAT, "%s '%s' is %s, not %s", what, tn,
                    c->dtype == RAMP__ONNX_FLOAT ? "float" : "int64",
                    dtype == RAMP__ONNX_FLOAT ? "float" : "int64");
    return RAMP_OK;
}

/* A scalar float constant input (an absent optional input gives def). */
static ramp_status in_scalar(imp *im, size_t k, const char *what, float def, float *out)
{
    if (!has_input(im->node, k)) {
        *out = def;
        return RAMP_OK;
    }
    cten c;
    ramp_status st = in_const(im, k, RAMP__ONNX_FLOAT, what, &c);
    if (st) return st;
    if (c.n != 1) return fail(im, RAMP_EFORMAT, "%s has %zu values, not one", what, c.n);
    *out = c.f[0];
    return RAMP_OK;
}

static const Attr *attr(const Node *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i] && nd->attribute[i]->name && !strcmp(nd->attribute[i]->name, name))
            return nd->attribute[i];
    return NULL;
}

/* Whether attribute a is of type `ty`: its declared type, or (for files
   that leave the type out) the field that is set. */
static int attr_is(const Attr *a, int ty)
{
    if (a->has_type && a->type) return (int)a->type == ty;
    switch (ty) {
    case RAMP__ONNX_ATTR_FLOAT: return a->has_f;
    case RAMP__ONNX_ATTR_INT: return a->has_i;
    case RAMP__ONNX_ATTR_STRING: return a->has_s;
    case RAMP__ONNX_ATTR_FLOATS: return a->n_floats > 0;
    case RAMP__ONNX_ATTR_INTS: return a->n_ints > 0;
    default: return 0;
    }
}

static ramp_status attr_int(imp *im, const char *name, int64_t def, int64_t *out)
{
    const Attr *a = attr(im->node, name);
    *out = def;
    if (!a) return RAMP_OK;
    if (!attr_is(a, RAMP__ONNX_ATTR_INT))
        return fail(im, RAMP_EFORMAT, "attribute '%s' is not an integer", name);
    *out = a->i;
    return RAMP_OK;
}

static ramp_status attr_float(imp *im, const char *name, float def, float *out)
{
    const Attr *a = attr(im->node, name);
    *out = def;
    if (!a) return RAMP_OK;
    if (!attr_is(a, RAMP__ONNX_ATTR_FLOAT))
        return fail(im, RAMP_EFORMAT, "attribute '%s' is not a float", name);
    *out = a->f;
    return RAMP_OK;
}

/* An ints attribute; absent: *n = 0. */
static ramp_status attr_ints(imp *im, const char *name, const int64_t **v, size_t *n)
{
    const Attr *a = attr(im->node, name);
    *v = NULL, *n = 0;
    if (!a) return RAMP_OK;
    if (!attr_is(a, RAMP__ONNX_ATTR_INTS))
        return fail(im, RAMP_EFORMAT, "attribute '%s' is not a list of integers", name);
    *v = a->ints, *n = a->n_ints;
    return RAMP_OK;
}

/* A string attribute into buf (cut to cap), "" when absent. */
static ramp_status attr_str(imp *im, const char *name, char *buf, size_t cap)
{
    const Attr *a = attr(im->node, name);
    buf[0] = 0;
    if (!a) return RAMP_OK;
    if (!attr_is(a, RAMP__ONNX_ATTR_STRING))
        return fail(im, RAMP_EFORMAT, "attribute '%s' is not a string", name);
    size_t n = a->s.len < cap - 1 ? a->s.len : cap - 1;
    if (n) memcpy(buf, a->s.data, n);
    buf[n] = 0;
    return RAMP_OK;
}

/* --- layers --------------------------------------------------------------- */

/* Checks a builder's status; on failure the engine's message, by node. */
static ramp_status built(imp *im, ramp_status st)
{
    if (st) return fail(im, st, "%s", ramp_net_errmsg(im->net));
    return RAMP_OK;
}

/* Makes `v` the current layer (the builders read the current one). */
static ramp_status from(imp *im, const value *v)
{
    return built(im, ramp_net_from(im->net, v->layer));
}

/* Output 0 of the current node is the net's newest layer, of rank `rank`. */
static ramp_status def_out(imp *im, int rank)
{
    const Node *nd = im->node;
    value *o = slot(im, nd->output[0]);
    o->kind = V_LAYER;
    o->layer = ramp_net_last(im->net);
    o->rank = rank;
    char nm[RAMP__ONNX_NAME_MAX + 1];
    if (ramp__onnx_name_clean(nm, nd->name) && ramp_net_find(im->net, nm) < 0)
        return built(im, ramp_net_set_name(im->net, o->layer, nm));
    return RAMP_OK;
}

static ramp_status set_param(imp *im, int kind, const float *x, size_t n)
{
    return built(im, ramp_net_set_param(im->net, ramp_net_last(im->net), kind, x, n));
}

/* The layer's C, H, W and its per-sample size. */
static void shape_of(imp *im, const value *v, int shp[3], size_t *size)
{
    ramp_net_layer_shape(im->net, v->layer, shp);
    *size = (size_t)shp[0] * (size_t)shp[1] * (size_t)shp[2];
}

/* A square window's kernel, stride, symmetric padding and dilation from
   kernel_shape (k0 > 0: the kernel the weights give), strides, pads,
   dilations and auto_pad, over an input of h×w. */
typedef struct win {
    int k, s, p, d;
} win;

static ramp_status pair(imp *im, const char *name, int def, int *out)
{
    const int64_t *v;
    size_t n;
    ramp_status st = attr_ints(im, name, &v, &n);
    if (st) return st;
    *out = def;
    if (!n) return RAMP_OK;
    if (n != 2)
        return fail(im, RAMP_EUNSUPPORTED, "%s has %zu values; ramp takes 2-D windows", name, n);
    if (v[0] != v[1])
        return fail(im, RAMP_EUNSUPPORTED, "%s (%lld, %lld) differ; ramp takes square windows",
                    name, (long long)v[0], (long long)v[1]);
    if (v[0] < 1 || v[0] > WIN_MAX)
        return fail(im, RAMP_EFORMAT, "bad %s %lld", name, (long long)v[0]);
    *out = (int)v[0];
    return RAMP_OK;
}

static ramp_status window(imp *im, int k0, int h, int w, win *o)
{
    ramp_status st;
    if ((st = pair(im, "kernel_shape", k0, &o->k)) || (st = pair(im, "strides", 1, &o->s)) ||
        (st = pair(im, "dilations", 1, &o->d)))
        return st;
    if (o->k < 1) return fail(im, RAMP_EFORMAT, "no kernel_shape");
    if (k0 > 0 && o->k != k0)
        return fail(im, RAMP_ESHAPE, "kernel_shape %d but the weights' kernel is %d", o->k, k0);
    char ap[32];
    if ((st = attr_str(im, "auto_pad", ap, sizeof ap))) return st;
    const int64_t *pads;
    size_t np;
    if ((st = attr_ints(im, "pads", &pads, &np))) return st;
    o->p = 0;
    if (!ap[0] || !strcmp(ap, "NOTSET")) {
        if (np && np != 4)
            return fail(im, RAMP_EUNSUPPORTED, "pads has %zu values; ramp takes 2-D windows", np);
        if (np) {
            if (pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3])
                return fail(im, RAMP_EUNSUPPORTED, "pads (%lld, %lld, %lld, %lld) are not the "
                            "same on every side; ramp pads symmetrically", (long long)pads[0],
                            (long long)pads[1], (long long)pads[2], (long long)pads[3]);
            if (pads[0] < 0 || pads[0] > WIN_MAX)
                return fail(im, RAMP_EFORMAT, "bad pads %lld", (long long)pads[0]);
            o->p = (int)pads[0];
        }
    } else if (!strcmp(ap, "VALID")) {
        o->p = 0;
    } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        /* total padding so that out = ceil(in / s), split evenly or refused */
        int tot[2];
        for (int i = 0; i < 2; i++) {
            long in = i ? w : h, ext = (long)(o->k - 1) * o->d + 1;
            long out = (in + o->s - 1) / o->s, t = (out - 1) * o->s + ext - in;
            tot[i] = t > 0 ? (int)t : 0;
        }
        if (tot[0] != tot[1] || tot[0] % 2)
            return fail(im, RAMP_EUNSUPPORTED, "auto_pad %s needs padding %d and %d, not the "
                        "same on every side; ramp pads symmetrically", ap, tot[0], tot[1]);
        o->p = tot[0] / 2;
    } else {
        char c[40];
        return fail(im, RAMP_EFORMAT, "bad auto_pad '%s'", clean(c, sizeof c, ap));
    }
    return RAMP_OK;
}

/* Pools: ceil_mode only where it gives the floor's size. */
static ramp_status pool_ceil(imp *im, const win *o, int h, int w)
{
    int64_t ceil_mode;
    ramp_status st = attr_int(im, "ceil_mode", 0, &ceil_mode);
    if (st || !ceil_mode) return st;
    for (int i = 0; i < 2; i++) {
        long in = i ? w : h, span = in + 2L * o->p - ((long)(o->k - 1) * o->d + 1);
        if (span < 0) continue; /* the engine reports the window larger than its input */
        if (span % o->s)
            return fail(im, RAMP_EUNSUPPORTED, "ceil_mode=1 changes the output size here "
                        "(%ld, not %ld); ramp pools with floor", span / o->s + 2,
                        span / o->s + 1);
    }
    return RAMP_OK;
}

static ramp_status op_conv(imp *im)
{
    const value *x;
    cten wt, b = { 0 };
    ramp_status st;
    im->pad_ok = 1;
    if ((st = in_layer(im, 0, &x)) || (st = in_const(im, 1, RAMP__ONNX_FLOAT, "weights", &wt)))
        return st;
    if (x->rank != 4) return fail(im, RAMP_ESHAPE, "input is not 4-D (N×C×H×W)");
    if (wt.ndim != 4)
        return fail(im, RAMP_EUNSUPPORTED, "weights are %d-D; ramp convolves 2-D images "
                    "(O×C/G×K×K)", wt.ndim);
    if (wt.dims[2] != wt.dims[3])
        return fail(im, RAMP_EUNSUPPORTED, "kernel %lld×%lld is not square",
                    (long long)wt.dims[2], (long long)wt.dims[3]);
    if (wt.dims[0] < 1 || wt.dims[0] > INT32_MAX || wt.dims[1] < 1 || wt.dims[1] > INT32_MAX ||
        wt.dims[2] < 1 || wt.dims[2] > WIN_MAX)
        return fail(im, RAMP_EFORMAT, "bad weight shape");
    int O = (int)wt.dims[0], Cg = (int)wt.dims[1], K = (int)wt.dims[2];
    if (has_input(im->node, 2)) {
        if ((st = in_const(im, 2, RAMP__ONNX_FLOAT, "bias", &b))) return st;
        if (b.n != (size_t)O)
            return fail(im, RAMP_ESHAPE, "bias has %zu values for %d filters", b.n, O);
    }
    int shp[3];
    size_t sz;
    shape_of(im, x, shp, &sz);
    shp[1] += 2 * x->pad, shp[2] += 2 * x->pad; /* a Pad's zeros count as input */
    win w;
    int64_t g;
    if ((st = window(im, K, shp[1], shp[2], &w)) || (st = attr_int(im, "group", 1, &g)))
        return st;
    if (g < 1 || g > shp[0] || (long)Cg * g != shp[0])
        return fail(im, RAMP_ESHAPE, "weights take %d input channels per group in %lld "
                    "groups, but the input has %d channels", Cg, (long long)g, shp[0]);
    ramp_conv2d o = { .filters = O, .kernel = K, .stride = w.s, .padding = w.p + x->pad,
                      .groups = (int)g, .no_bias = !b.f };
    o.dilation = w.d;
    if ((st = from(im, x)) || (st = built(im, ramp_net_conv2d(im->net, &o))) ||
        (st = set_param(im, RAMP__P_WEIGHT, wt.f, wt.n)) ||
        (b.f && (st = set_param(im, RAMP__P_BIAS, b.f, b.n))))
        return st;
    return def_out(im, 4);
}

static ramp_status op_bn(imp *im)
{
    const value *x;
    cten c[4];
    static const char *what[4] = { "scale", "bias", "mean", "variance" };
    ramp_status st;
    if ((st = in_layer(im, 0, &x))) return st;
    int shp[3];
    size_t sz;
    shape_of(im, x, shp, &sz);
    for (int i = 0; i < 4; i++) {
        if ((st = in_const(im, (size_t)i + 1, RAMP__ONNX_FLOAT, what[i], &c[i]))) return st;
        if (c[i].n != (size_t)shp[0])
            return fail(im, RAMP_ESHAPE, "%s has %zu values for %d channels", what[i], c[i].n,
                        shp[0]);
    }
    float eps, mom;
    int64_t spatial;
    if ((st = attr_float(im, "epsilon", 1e-5f, &eps)) ||
        (st = attr_float(im, "momentum", 0.9f, &mom)) ||
        (st = attr_int(im, "spatial", 1, &spatial)))
        return st;
    if (!spatial) return fail(im, RAMP_EUNSUPPORTED, "spatial=0 (per-position statistics)");
    if (!(eps > 0.f && eps < 1.f)) return fail(im, RAMP_EFORMAT, "bad epsilon %g", eps);
    /* ONNX keeps momentum·running + (1 − momentum)·batch; ramp weighs the
       batch by its momentum, as PyTorch does */
    if (!(mom >= 0.f && mom < 1.f)) return fail(im, RAMP_EFORMAT, "bad momentum %g", mom);
    if ((st = from(im, x)) || (st = built(im, ramp_net_batchnorm(im->net, 1.f - mom, eps))))
        return st;
    static const int kind[4] = { RAMP__P_WEIGHT, RAMP__P_BIAS, RAMP__P_RMEAN, RAMP__P_RVAR };
    for (int i = 0; i < 4; i++)
        if ((st = set_param(im, kind[i], c[i].f, c[i].n))) return st;
    return def_out(im, x->rank);
}

/* A dense layer of units × I weights w (already in ramp's O×I layout) and
   bias (may be NULL). */
static ramp_status dense(imp *im, const value *x, int units, const float *w, size_t nw,
                         const float *bias)
{
    ramp_status st;
    if ((st = from(im, x)) ||
        (st = built(im, ramp_net_dense(im->net, &(ramp_dense){ .units = units,
                                                               .no_bias = !bias }))) ||
        (st = set_param(im, RAMP__P_WEIGHT, w, nw)) ||
        (bias && (st = set_param(im, RAMP__P_BIAS, bias, (size_t)units))))
        return st;
    return def_out(im, 2);
}

/* Transposed, scaled copy: out[O][I] = alpha · in[I][O]. */
static float *transpose(const float *in, size_t I, size_t O, float alpha)
{
    float *out = malloc(I * O * sizeof *out + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < I; i++)
        for (size_t o = 0; o < O; o++) out[o * I + i] = alpha * in[i * O + o];
    return out;
}

/* A bias vector of `units` from a constant of units values (or one, broadcast),
   scaled by beta, into a fresh buffer. */
static ramp_status bias_of(imp *im, const cten *c, int units, float beta, float **out)
{
    *out = NULL;
    if (c->n != (size_t)units && c->n != 1)
        return fail(im, RAMP_ESHAPE, "bias has %zu values for %d units", c->n, units);
    if (c->ndim > 2)
        return fail(im, RAMP_EUNSUPPORTED, "a %d-D bias; ramp takes (%d) or (1, %d)", c->ndim,
                    units, units);
    float *b = malloc((size_t)units * sizeof *b);
    if (!b) return fail(im, RAMP_ENOMEM, "out of memory");
    for (int o = 0; o < units; o++) b[o] = beta * c->f[c->n == 1 ? 0 : o];
    *out = b;
    return RAMP_OK;
}

static ramp_status op_gemm(imp *im)
{
    const value *x;
    cten B, C = { 0 };
    ramp_status st;
    float alpha, beta;
    int64_t ta, tb;
    if ((st = in_layer(im, 0, &x)) || (st = in_const(im, 1, RAMP__ONNX_FLOAT, "weights", &B)) ||
        (st = attr_float(im, "alpha", 1.f, &alpha)) || (st = attr_float(im, "beta", 1.f, &beta)) ||
        (st = attr_int(im, "transA", 0, &ta)) || (st = attr_int(im, "transB", 0, &tb)))
        return st;
    if (ta) return fail(im, RAMP_EUNSUPPORTED, "transA=1 (the input transposed)");
    if (x->rank != 2) return fail(im, RAMP_ESHAPE, "Gemm of a 4-D input (ONNX's Gemm takes N×F)");
    if (has_input(im->node, 2) && (st = in_const(im, 2, RAMP__ONNX_FLOAT, "bias", &C)))
        return st;
    if (B.ndim != 2) return fail(im, RAMP_ESHAPE, "weights are %d-D, not 2-D", B.ndim);
    int shp[3];
    size_t I;
    shape_of(im, x, shp, &I);
    int64_t bi = tb ? B.dims[1] : B.dims[0], bo = tb ? B.dims[0] : B.dims[1];
    if (bi != (int64_t)I)
        return fail(im, RAMP_ESHAPE, "weights take %lld inputs, the input has %zu",
                    (long long)bi, I);
    if (bo < 1 || bo > INT32_MAX) return fail(im, RAMP_EFORMAT, "bad weight shape");
    int units = (int)bo;
    float *w = NULL, *b = NULL;
    if (!tb || alpha != 1.f) {
        if (tb) { /* O×I already: scale only */
            w = malloc(B.n * sizeof *w + 1);
            if (w)
                for (size_t i = 0; i < B.n; i++) w[i] = alpha * B.f[i];
        } else {
            w = transpose(B.f, I, (size_t)units, alpha);
        }
        if (!w) return fail(im, RAMP_ENOMEM, "out of memory for %zu weights", B.n);
    }
    if (C.f && beta != 0.f) st = bias_of(im, &C, units, beta, &b);
    if (!st) st = dense(im, x, units, w ? w : B.f, B.n, b);
    free(w);
    free(b);
    return st;
}

/* MatMul by a 2-D constant; `bias_node`: the Add it absorbs (or NULL). */
static ramp_status op_matmul(imp *im, const Node *bias_node, const cten *bias)
{
    const value *x;
    cten B;
    ramp_status st;
    if ((st = in_layer(im, 0, &x)) || (st = in_const(im, 1, RAMP__ONNX_FLOAT, "weights", &B)))
        return st;
    if (B.ndim != 2)
        return fail(im, RAMP_EUNSUPPORTED, "MatMul by a %d-D constant; ramp takes a 2-D one "
                    "(I×O)", B.ndim);
    if (x->rank != 2) return fail(im, RAMP_EUNSUPPORTED, "MatMul of a 4-D input");
    int shp[3];
    size_t I;
    shape_of(im, x, shp, &I);
    if (B.dims[0] != (int64_t)I)
        return fail(im, RAMP_ESHAPE, "weights take %lld inputs, the input has %zu",
                    (long long)B.dims[0], I);
    if (B.dims[1] < 1 || B.dims[1] > INT32_MAX) return fail(im, RAMP_EFORMAT, "bad weight shape");
    int units = (int)B.dims[1];
    float *w = transpose(B.f, I, (size_t)units, 1.f), *b = NULL;
    if (!w) return fail(im, RAMP_ENOMEM, "out of memory for %zu weights", B.n);
    if (bias_node) st = bias_of(im, bias, units, 1.f, &b);
    if (!st) st = dense(im, x, units, w, B.n, b);
    free(w);
    free(b);
    if (!st && bias_node) /* the Add's output is the dense's */
        alias(im, bias_node->output[0], find(im, im->node->output[0]));
    return st;
}

/* The index of the Add that reads MatMul node ix's output, if it is that
   output's only reader and adds a constant float vector to it; else
   n_node. */
static size_t matmul_bias(imp *im, size_t ix, cten *bias)
{
    const Node *nd = im->g->node[ix];
    size_t none = im->g->n_node;
    if (nd->n_output < 1 || !nd->output[0][0]) return none;
    const value *mo = find(im, nd->output[0]);
    /* one reader, a node (a graph output counts as a use but not a reader) */
    if (!mo || mo->uses != 1 || mo->reader <= ix || mo->reader >= none) return none;
    size_t j = mo->reader;
    const Node *a = im->g->node[j];
    if (strcmp(S(a->op_type), "Add") || (a->domain && a->domain[0]) || a->n_input != 2 ||
        a->n_output < 1 || !a->output[0][0])
        return none;
    const char *other = strcmp(S(a->input[0]), nd->output[0]) ? a->input[0] : a->input[1];
    if (!strcmp(S(a->input[0]), S(a->input[1]))) return none;
    const value *c = find(im, S(other));
    if (!c || c->kind != V_CONST) return none;
    /* the Add's output must be new, as every node's is (checked in build) */
    const value *ao = find(im, a->output[0]);
    if (ao && ao->kind != V_UNDEF) return none;
    /* quietly: a constant that does not decode stays an Add, which then
       fails with its own message */
    ramp_err *keep = im->err;
    im->err = NULL;
    ramp_status st = const_view(im, c, bias);
    im->err = keep;
    if (st || bias->dtype != RAMP__ONNX_FLOAT || bias->ndim > 2) return none;
    const value *w = nd->n_input > 1 ? find(im, S(nd->input[1])) : NULL;
    cten W;
    im->err = NULL;
    st = w && w->kind == V_CONST ? const_view(im, w, &W) : RAMP_EFORMAT;
    im->err = keep;
    /* a bias of one value, or of one per unit (a units×units matrix is no bias) */
    if (st || W.ndim != 2 || (bias->n != 1 && bias->n != (size_t)W.dims[1])) return none;
    return j;
}

static ramp_status op_act(imp *im)
{
    const value *x;
    ramp_status st;
    const char *op = im->node->op_type;
    if ((st = in_layer(im, 0, &x)) || (st = from(im, x))) return st;
    if (!strcmp(op, "Relu")) st = ramp_net_relu(im->net);
    else if (!strcmp(op, "Sigmoid")) st = ramp_net_sigmoid(im->net);
    else if (!strcmp(op, "Tanh")) st = ramp_net_tanh(im->net);
    else { /* LeakyRelu */
        float alpha;
        if ((st = attr_float(im, "alpha", 0.01f, &alpha))) return st;
        if (!isfinite(alpha)) return fail(im, RAMP_EFORMAT, "bad alpha");
        st = ramp_net_leaky_relu(im->net, alpha);
    }
    if ((st = built(im, st))) return st;
    return def_out(im, x->rank);
}

static ramp_status op_clip(imp *im)
{
    const value *x;
    ramp_status st;
    float lo, hi;
    if ((st = in_layer(im, 0, &x))) return st;
    if (im->node->n_input > 1 || (im->opset >= 11 && !attr(im->node, "min") &&
                                  !attr(im->node, "max"))) {
        if ((st = in_scalar(im, 1, "min", -INFINITY, &lo)) ||
            (st = in_scalar(im, 2, "max", INFINITY, &hi)))
            return st;
    } else if ((st = attr_float(im, "min", -FLT_MAX, &lo)) ||
               (st = attr_float(im, "max", FLT_MAX, &hi))) {
        return st;
    }
    if (isnan(lo) || isnan(hi) || lo > hi) return fail(im, RAMP_EFORMAT, "bad bounds");
    if ((st = from(im, x))) return st;
    if (lo == 0.f && hi >= FLT_MAX) {
        st = ramp_net_relu(im->net);
    } else {
        st = ramp_net_clip(im->net, lo, hi);
    }
    if ((st = built(im, st))) return st;
    return def_out(im, x->rank);
}

static ramp_status op_pool(imp *im)
{
    const value *x;
    ramp_status st;
    int max = !strcmp(im->node->op_type, "MaxPool");
    im->pad_ok = !max;
    if ((st = in_layer(im, 0, &x))) return st;
    if (x->rank != 4) return fail(im, RAMP_ESHAPE, "input is not 4-D (N×C×H×W)");
    int shp[3];
    size_t sz;
    shape_of(im, x, shp, &sz);
    shp[1] += 2 * x->pad, shp[2] += 2 * x->pad; /* a Pad's zeros count as input */
    win w;
    if ((st = window(im, 0, shp[1], shp[2], &w)) || (st = pool_ceil(im, &w, shp[1], shp[2])))
        return st;
    if (w.d != 1) return fail(im, RAMP_EUNSUPPORTED, "dilated pooling (dilations %d)", w.d);
    if (max) {
        int64_t so;
        if ((st = attr_int(im, "storage_order", 0, &so))) return st;
        st = from(im, x);
        if (!st) st = built(im, ramp_net_maxpool(im->net, w.k, w.s, w.p));
    } else {
        int64_t cip;
        if ((st = attr_int(im, "count_include_pad", 0, &cip))) return st;
        if (!cip && w.p)
            return fail(im, RAMP_EUNSUPPORTED, "count_include_pad=0 with padding %d: ramp's "
                        "average counts the padded zeros (count_include_pad=1)", w.p);
        st = from(im, x);
        /* a Pad's zeros are values, counted whatever count_include_pad says */
        if (!st) st = built(im, ramp_net_avgpool(im->net, w.k, w.s, w.p + x->pad));
    }
    return st ? st : def_out(im, 4);
}

static ramp_status op_gap(imp *im)
{
    const value *x;
    ramp_status st;
    if ((st = in_layer(im, 0, &x))) return st;
    if (x->rank != 4) return fail(im, RAMP_ESHAPE, "input is not 4-D (N×C×H×W)");
    if ((st = from(im, x)) || (st = built(im, ramp_net_global_avgpool(im->net)))) return st;
    return def_out(im, 4);
}

/* --- shapes evaluated at import ---------------------------------------------
   PyTorch writes x.view(x.size(0), -1) with a dynamic batch as Shape →
   Gather → Unsqueeze → Concat → Reshape. Shape of a layer is known but for
   its batch size (BATCH), so such chains are evaluated here and the Reshape
   reads the result; anything else on them is refused by node. */

/* Input k of the current node as a small int vector: evaluated, or an int64
   constant of at most 8 values. */
static ramp_status in_ints(imp *im, size_t k, ivec *out)
{
    const Node *nd = im->node;
    char nm[80];
    if (!has_input(nd, k)) return fail(im, RAMP_EFORMAT, "input %zu is missing", k + 1);
    const value *v = find(im, nd->input[k]);
    const char *tn = clean(nm, sizeof nm, nd->input[k]);
    if (v && v->kind == V_INTS) {
        *out = v->iv;
        return RAMP_OK;
    }
    if (!v || v->kind != V_CONST)
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' is not a shape ramp evaluates at import "
                    "(the Shape of a layer, int64 constants, and Gather, Unsqueeze, Squeeze, "
                    "Concat, Slice, Cast and Mul of them)", tn);
    cten c;
    ramp_status st = const_view(im, v, &c);
    if (st) return st;
    if (c.dtype != RAMP__ONNX_INT64 || c.ndim > 1 || c.n > 8)
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' is not an int64 scalar or vector of at "
                    "most 8 values", tn);
    memset(out, 0, sizeof *out);
    out->n = (int)c.n, out->scalar = c.ndim == 0;
    if (c.n) memcpy(out->v, c.i, c.n * sizeof *c.i);
    return RAMP_OK;
}

static ramp_status def_ints(imp *im, const ivec *r)
{
    value *o = slot(im, im->node->output[0]);
    o->kind = V_INTS;
    o->iv = *r;
    return RAMP_OK;
}

/* An axis attribute of a 1-D vector: 0 or -1 only. */
static ramp_status axis0(imp *im, int64_t axis)
{
    if (axis != 0 && axis != -1)
        return fail(im, RAMP_EUNSUPPORTED, "axis %lld of a shape vector", (long long)axis);
    return RAMP_OK;
}

static ramp_status op_shape(imp *im)
{
    const value *x;
    ramp_status st;
    int64_t start, end;
    if ((st = in_layer(im, 0, &x)) || (st = attr_int(im, "start", 0, &start)) ||
        (st = attr_int(im, "end", INT64_MAX, &end)))
        return st;
    int shp[3];
    size_t sz;
    shape_of(im, x, shp, &sz);
    int64_t all[4] = { BATCH, shp[0], shp[1], shp[2] };
    if (x->rank == 2) all[1] = (int64_t)sz;
    int64_t r = x->rank;
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < start ? start : end > r ? r : end;
    ivec o = { .n = (int)(end - start) };
    for (int i = 0; i < o.n; i++) o.v[i] = all[start + i], o.shp |= 1u << i;
    return def_ints(im, &o);
}

static ramp_status op_gather(imp *im)
{
    ivec d, ix;
    ramp_status st;
    int64_t axis;
    if ((st = in_ints(im, 0, &d)) || (st = in_ints(im, 1, &ix)) ||
        (st = attr_int(im, "axis", 0, &axis)) || (st = axis0(im, axis)))
        return st;
    if (d.scalar) return fail(im, RAMP_EUNSUPPORTED, "Gather from a scalar");
    ivec o = { .n = ix.n, .scalar = ix.scalar };
    for (int i = 0; i < ix.n; i++) {
        int64_t k = ix.v[i];
        if (k < 0 && k != BATCH) k += d.n;
        if (k < 0 || k >= d.n)
            return fail(im, RAMP_EFORMAT, "index %lld out of a vector of %d",
                        ix.v[i] == BATCH ? -1LL : (long long)ix.v[i], d.n);
        o.v[i] = d.v[k];
        if (d.shp >> k & 1u) o.shp |= 1u << i;
    }
    return def_ints(im, &o);
}

/* Unsqueeze a scalar to 1-D; Squeeze a 1-D vector of one value to a scalar. */
static ramp_status op_squeeze(imp *im)
{
    int un = !strcmp(im->node->op_type, "Unsqueeze");
    ivec d, ax = { 0 };
    ramp_status st;
    if ((st = in_ints(im, 0, &d))) return st;
    if (has_input(im->node, 1)) {
        st = in_ints(im, 1, &ax);
    } else {
        const int64_t *a;
        size_t na;
        st = attr_ints(im, "axes", &a, &na);
        if (!st && na <= 8) {
            ax.n = (int)na;
            if (na) memcpy(ax.v, a, na * sizeof *a);
        }
        if (!st && na > 8) st = fail(im, RAMP_EUNSUPPORTED, "%zu axes", na);
    }
    if (st) return st;
    if (un ? !d.scalar : (d.scalar || d.n != 1))
        return fail(im, RAMP_EUNSUPPORTED, "%s of a shape other than %s", im->node->op_type,
                    un ? "a scalar" : "a vector of one value");
    if ((un && ax.n != 1) || ax.n > 1 || (ax.n && ax.v[0] != 0 && ax.v[0] != -1))
        return fail(im, RAMP_EUNSUPPORTED, "axes other than (0)");
    d.scalar = !un;
    return def_ints(im, &d);
}

static ramp_status op_cast(imp *im)
{
    ivec d;
    ramp_status st;
    int64_t to;
    if ((st = in_ints(im, 0, &d)) || (st = attr_int(im, "to", 0, &to))) return st;
    if (to != RAMP__ONNX_INT64)
        return fail(im, RAMP_EUNSUPPORTED, "Cast of a shape to type %lld; ramp casts shapes to "
                    "int64 (7) only", (long long)to);
    return def_ints(im, &d);
}

static ramp_status op_slice(imp *im)
{
    ivec d, s[4] = { { .n = 0 } };
    ramp_status st;
    if ((st = in_ints(im, 0, &d))) return st;
    if (d.scalar) return fail(im, RAMP_EUNSUPPORTED, "Slice of a scalar");
    static const char *nm[4] = { "starts", "ends", "axes", "steps" };
    for (int k = 0; k < 4; k++) {
        if (im->opset >= 10) {
            if (has_input(im->node, (size_t)k + 1)) st = in_ints(im, (size_t)k + 1, &s[k]);
        } else if (k < 3) {
            const int64_t *a;
            size_t na;
            st = attr_ints(im, nm[k], &a, &na);
            if (!st && na == 1) s[k].n = 1, s[k].v[0] = a[0];
            else if (!st && na) st = fail(im, RAMP_EUNSUPPORTED, "%zu %s", na, nm[k]);
        }
        if (st) return st;
    }
    if (s[0].n != 1 || s[1].n != 1 || s[2].n > 1 || s[3].n > 1 ||
        (s[2].n && s[2].v[0] != 0 && s[2].v[0] != -1) || (s[3].n && s[3].v[0] != 1))
        return fail(im, RAMP_EUNSUPPORTED, "a slice other than one range, step 1, of a shape "
                    "vector");
    int64_t b = s[0].v[0], e = s[1].v[0];
    if (b == BATCH || e == BATCH) return fail(im, RAMP_EUNSUPPORTED, "a slice by the batch size");
    if (b < 0) b += d.n;
    if (e < 0) e += d.n;
    b = b < 0 ? 0 : b > d.n ? d.n : b;
    e = e < b ? b : e > d.n ? d.n : e;
    ivec o = { .n = (int)(e - b) };
    for (int i = 0; i < o.n; i++) {
        o.v[i] = d.v[b + i];
        if (d.shp >> (b + i) & 1u) o.shp |= 1u << i;
    }
    return def_ints(im, &o);
}

static ramp_status concat_ints(imp *im)
{
    ramp_status st;
    int64_t axis;
    if ((st = attr_int(im, "axis", 0, &axis)) || (st = axis0(im, axis))) return st;
    ivec o = { .n = 0 };
    for (size_t k = 0; k < im->node->n_input; k++) {
        ivec d;
        if ((st = in_ints(im, k, &d))) return st;
        if (d.scalar) return fail(im, RAMP_EFORMAT, "Concat of a scalar");
        if (o.n + d.n > 8) return fail(im, RAMP_EUNSUPPORTED, "a shape of over 8 values");
        memcpy(o.v + o.n, d.v, (size_t)d.n * sizeof *d.v);
        o.shp |= d.shp << o.n;
        o.n += d.n;
    }
    return def_ints(im, &o);
}

/* Mul of two shape values, one of them a single value (C·H·W). */
static ramp_status mul_ints(imp *im)
{
    ivec a, b;
    ramp_status st;
    if ((st = in_ints(im, 0, &a)) || (st = in_ints(im, 1, &b))) return st;
    if (a.n != 1 && b.n != 1 && a.n != b.n)
        return fail(im, RAMP_EUNSUPPORTED, "Mul of shapes of %d and %d values", a.n, b.n);
    ivec o = { .n = a.n > b.n ? a.n : b.n, .scalar = a.scalar && b.scalar };
    for (int i = 0; i < o.n; i++) {
        int64_t x = a.v[a.n == 1 ? 0 : i], y = b.v[b.n == 1 ? 0 : i];
        if (x == BATCH || y == BATCH)
            return fail(im, RAMP_EUNSUPPORTED, "a product with the batch size");
        if (x < 0 || y < 0 || (x && y > INT32_MAX / x))
            return fail(im, RAMP_EUNSUPPORTED, "a product of %lld and %lld", (long long)x,
                        (long long)y);
        o.v[i] = x * y;
        if ((a.shp >> (a.n == 1 ? 0 : i) & 1u) || (b.shp >> (b.n == 1 ? 0 : i) & 1u))
            o.shp |= 1u << i;
    }
    return def_ints(im, &o);
}

/* Whether input k of the current node is a shape value or an int64 constant
   (a Concat or Mul then works on shapes). */
static int ints_input(imp *im, size_t k)
{
    if (!has_input(im->node, k)) return 0;
    const value *v = find(im, im->node->input[k]);
    if (!v) return 0;
    if (v->kind == V_INTS) return 1;
    if (v->kind != V_CONST) return 0;
    if (v->a)
        return (int)v->a->type == RAMP__ONNX_ATTR_INT || (int)v->a->type == RAMP__ONNX_ATTR_INTS;
    return v->t->has_data_type && v->t->data_type == RAMP__ONNX_INT64;
}

static ramp_status op_flatten(imp *im)
{
    const value *x;
    ramp_status st;
    int64_t axis;
    if ((st = in_layer(im, 0, &x)) || (st = attr_int(im, "axis", 1, &axis))) return st;
    if (axis != 1 && axis != 1 - x->rank)
        return fail(im, RAMP_EUNSUPPORTED, "axis %lld; ramp flattens from axis 1 (N, C·H·W)",
                    (long long)axis);
    if ((st = from(im, x)) || (st = built(im, ramp_net_flatten(im->net)))) return st;
    return def_out(im, 2);
}

static ramp_status op_reshape(imp *im)
{
    const value *x;
    cten c;
    ivec s = { .n = 0 };
    ramp_status st;
    int64_t allowzero;
    if ((st = in_layer(im, 0, &x)) || (st = attr_int(im, "allowzero", 0, &allowzero))) return st;
    const value *sv = has_input(im->node, 1) ? find(im, im->node->input[1]) : NULL;
    if (sv && sv->kind == V_INTS) { /* evaluated from a Shape */
        s = sv->iv;
    } else {
        if ((st = in_const(im, 1, RAMP__ONNX_INT64, "shape", &c))) return st;
        s.n = c.n > 8 ? 8 : (int)c.n;
        if (s.n) memcpy(s.v, c.i, (size_t)s.n * sizeof *c.i);
        if (c.n > 8) s.n = 9; /* more than 8: refused below */
    }
    int shp[3];
    size_t sz;
    shape_of(im, x, shp, &sz);
    /* (0 | -1 | the batch, -1 | C·H·W): a flatten; the batch is the
       evaluated one, or a number the exporter wrote (not one of x's sizes) */
    int ok = s.n == 2 && (s.v[1] == -1 || s.v[1] == (int64_t)sz) &&
             ((s.v[0] == 0 && !allowzero) || s.v[0] == BATCH ||
              (s.v[0] >= 1 && !(s.shp & 1u)) || (s.v[0] == -1 && s.v[1] == (int64_t)sz));
    if (!ok) {
        char dims[96] = "";
        for (int i = 0, j = 0; i < s.n && i < 6 && j < (int)sizeof dims - 24; i++)
            j += s.v[i] == BATCH ? snprintf(dims + j, sizeof dims - j, "%sN", i ? ", " : "")
                                 : snprintf(dims + j, sizeof dims - j, "%s%lld", i ? ", " : "",
                                            (long long)s.v[i]);
        return fail(im, RAMP_EUNSUPPORTED, "reshape to (%s%s)%s; ramp reshapes only as a "
                    "flatten to (N, -1) or (N, %zu)", dims, s.n > 6 ? ", ..." : "",
                    s.n == 2 && (s.shp & 1u) && s.v[0] >= 1 ? " whose first size is not the "
                    "batch size" : "", sz);
    }
    if ((st = from(im, x)) || (st = built(im, ramp_net_flatten(im->net)))) return st;
    return def_out(im, 2);
}

static ramp_status op_dropout(imp *im)
{
    const value *x;
    ramp_status st;
    float rate;
    if ((st = in_layer(im, 0, &x))) return st;
    if (has_input(im->node, 1)) st = in_scalar(im, 1, "ratio", 0.5f, &rate);
    else st = attr_float(im, "ratio", 0.5f, &rate);
    if (st) return st;
    if (!(rate >= 0.f && rate < 1.f)) return fail(im, RAMP_EFORMAT, "ratio %g not in [0, 1)", rate);
    if ((st = from(im, x)) || (st = built(im, ramp_net_dropout(im->net, rate)))) return st;
    return def_out(im, x->rank);
}

static ramp_status op_softmax(imp *im)
{
    const value *x;
    ramp_status st;
    int64_t axis;
    if ((st = in_layer(im, 0, &x)) || (st = attr_int(im, "axis", im->opset >= 13 ? -1 : 1, &axis)))
        return st;
    if (x->rank != 2 || (axis != 1 && axis != -1))
        return fail(im, RAMP_EUNSUPPORTED, "softmax over axis %lld of a %d-D tensor; ramp's "
                    "softmax is over the classes of an N×K output", (long long)axis, x->rank);
    if ((st = from(im, x)) || (st = built(im, ramp_net_softmax(im->net)))) return st;
    return def_out(im, 2);
}

/* Add, Mul, Concat: layers combined two at a time. */
static ramp_status op_join(imp *im)
{
    const char *op = im->node->op_type;
    ramp_status st;
    size_t n = im->node->n_input;
    if (ints_input(im, 0) || ints_input(im, 1))
        return !strcmp(op, "Concat") ? concat_ints(im)
               : !strcmp(op, "Mul")  ? mul_ints(im)
                                     : fail(im, RAMP_EUNSUPPORTED, "Add of shapes");
    if (!strcmp(op, "Concat")) {
        int64_t axis;
        const value *first;
        if ((st = in_layer(im, 0, &first)) || (st = attr_int(im, "axis", 1, &axis))) return st;
        if (!attr(im->node, "axis")) return fail(im, RAMP_EFORMAT, "no axis");
        if (axis != 1 && axis != 1 - first->rank)
            return fail(im, RAMP_EUNSUPPORTED, "axis %lld; ramp concatenates channels (axis 1)",
                        (long long)axis);
        if ((st = from(im, first))) return st;
        for (size_t k = 1; k < n; k++) {
            const value *b;
            if ((st = in_layer(im, k, &b)) || (st = built(im, ramp_net_concat(im->net, b->layer))))
                return st;
        }
        if (n == 1) { /* one input: the same tensor */
            alias(im, im->node->output[0], first);
            return RAMP_OK;
        }
        return def_out(im, first->rank);
    }
    if (n != 2) return fail(im, RAMP_EUNSUPPORTED, "%zu inputs; ramp takes two", n);
    const value *a, *b;
    if ((st = in_layer(im, 0, &a)) || (st = in_layer(im, 1, &b))) return st;
    if (!strcmp(op, "Add")) {
        if ((st = from(im, a)) || (st = built(im, ramp_net_add(im->net, b->layer)))) return st;
    } else { /* Mul: the broadcast (C×1×1) side is the other */
        int sa[3], sb[3];
        size_t na, nb;
        shape_of(im, a, sa, &na);
        shape_of(im, b, sb, &nb);
        if (na < nb) {
            const value *t = a;
            a = b, b = t;
        }
        if ((st = from(im, a)) || (st = built(im, ramp_net_mul(im->net, b->layer)))) return st;
    }
    return def_out(im, a->rank > b->rank ? a->rank : b->rank);
}

/* Pad with zeros, the same on every side of H and W: handed to the Conv or
   AveragePool reading it (PyTorch exports an average pool with
   count_include_pad=True as such a Pad then the pool). */
static ramp_status op_pad(imp *im)
{
    const value *x;
    ramp_status st;
    char mode[32];
    cten pc = { 0 };
    const int64_t *pads;
    size_t np;
    float fill = 0.f;
    if ((st = in_layer(im, 0, &x)) || (st = attr_str(im, "mode", mode, sizeof mode))) return st;
    if (mode[0] && strcmp(mode, "constant"))
        return fail(im, RAMP_EUNSUPPORTED, "mode '%s'; ramp pads with zeros (constant)",
                    clean(im->lbl[1], sizeof im->lbl[1], mode));
    if (has_input(im->node, 1)) {
        if ((st = in_const(im, 1, RAMP__ONNX_INT64, "pads", &pc)) ||
            (st = in_scalar(im, 2, "constant_value", 0.f, &fill)))
            return st;
        pads = pc.i, np = pc.n;
    } else if ((st = attr_ints(im, "pads", &pads, &np)) ||
               (st = attr_float(im, "value", 0.f, &fill))) {
        return st;
    }
    if (has_input(im->node, 3)) return fail(im, RAMP_EUNSUPPORTED, "padding chosen axes");
    if (fill != 0.f) return fail(im, RAMP_EUNSUPPORTED, "padding with %g; ramp pads zeros", fill);
    int p = np == 8 ? (int)(pads[2] >= 0 && pads[2] <= WIN_MAX ? pads[2] : -1) : -1;
    if (np != 8 || pads[0] || pads[1] || pads[4] || pads[5] || p < 0 || pads[3] != p ||
        pads[6] != p || pads[7] != p)
        return fail(im, RAMP_EUNSUPPORTED, "pads other than the same zeros on every side of "
                    "H and W of a 4-D tensor");
    alias(im, im->node->output[0], x)->pad += p;
    return RAMP_OK;
}

static ramp_status op_identity(imp *im)
{
    const Node *nd = im->node;
    char nm[80];
    if (!has_input(nd, 0)) return fail(im, RAMP_EFORMAT, "input 1 is missing");
    const value *x = find(im, nd->input[0]);
    if (!x || x->kind == V_UNDEF)
        return fail(im, RAMP_EFORMAT, "input '%s' is not defined before it",
                    clean(nm, sizeof nm, nd->input[0]));
    alias(im, nd->output[0], x);
    return RAMP_OK;
}

static ramp_status op_constant(imp *im)
{
    const Node *nd = im->node;
    const Attr *a = NULL;
    for (size_t i = 0; i < nd->n_attribute && !a; i++) a = nd->attribute[i];
    if (nd->n_attribute != 1 || !a || !a->name)
        return fail(im, RAMP_EFORMAT, "a Constant has exactly one attribute");
    value *o = slot(im, nd->output[0]);
    o->kind = V_CONST;
    if (!strcmp(a->name, "value") && attr_is(a, RAMP__ONNX_ATTR_TENSOR) && a->t) {
        o->t = a->t;
        cten c;
        return tensor_view(im, a->t, &c); /* checked now, read later */
    }
    static const struct {
        const char *name;
        int type;
    } forms[4] = { { "value_float", RAMP__ONNX_ATTR_FLOAT },
                   { "value_floats", RAMP__ONNX_ATTR_FLOATS },
                   { "value_int", RAMP__ONNX_ATTR_INT },
                   { "value_ints", RAMP__ONNX_ATTR_INTS } };
    for (int i = 0; i < 4; i++)
        if (!strcmp(a->name, forms[i].name)) {
            if (!a->has_type || (int)a->type != forms[i].type)
                return fail(im, RAMP_EFORMAT, "attribute '%s' has the wrong type", a->name);
            o->a = a;
            return RAMP_OK;
        }
    char c[40];
    return fail(im, RAMP_EUNSUPPORTED, "a Constant's '%s'; ramp reads value, value_float(s) "
                "and value_int(s)", clean(c, sizeof c, a->name));
}

typedef struct op_entry {
    const char *name;
    ramp_status (*build)(imp *im);
} op_entry;

static ramp_status op_matmul_plain(imp *im)
{
    return op_matmul(im, NULL, NULL);
}

static const op_entry OPS[] = {
    { "Conv", op_conv },
    { "BatchNormalization", op_bn },
    { "Relu", op_act },
    { "LeakyRelu", op_act },
    { "Sigmoid", op_act },
    { "Tanh", op_act },
    { "Clip", op_clip },
    { "MaxPool", op_pool },
    { "AveragePool", op_pool },
    { "GlobalAveragePool", op_gap },
    { "Gemm", op_gemm },
    { "MatMul", op_matmul_plain },
    { "Add", op_join },
    { "Mul", op_join },
    { "Concat", op_join },
    { "Flatten", op_flatten },
    { "Reshape", op_reshape },
    { "Dropout", op_dropout },
    { "Softmax", op_softmax },
    { "Identity", op_identity },
    { "Pad", op_pad },
    { "Constant", op_constant },
    { "Shape", op_shape },
    { "Gather", op_gather },
    { "Unsqueeze", op_squeeze },
    { "Squeeze", op_squeeze },
    { "Cast", op_cast },
    { "Slice", op_slice },
};

static const op_entry *op_find(const Node *nd)
{
    if (nd->domain && nd->domain[0] && strcmp(nd->domain, "ai.onnx")) return NULL;
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (!strcmp(S(nd->op_type), OPS[i].name)) return &OPS[i];
    return NULL;
}

/* --- the graph ------------------------------------------------------------ */

/* Every operator ramp lacks, each with the first node using it, in one
   message. */
static ramp_status check_ops(imp *im)
{
    const Graph *g = im->g;
    char msg[900] = "";
    size_t len = 0, shown = 0, n_rep = 0;
    size_t rep[32]; /* a node of each operator named so far */
    int more = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        const Node *nd = g->node[i];
        if (!nd) continue; /* index_graph reports it */
        if (op_find(nd)) continue;
        int seen = 0; /* the same operator named already? */
        for (size_t j = 0; j < n_rep && !seen; j++) {
            const Node *e = g->node[rep[j]];
            seen = !strcmp(S(e->op_type), S(nd->op_type)) && !strcmp(S(e->domain), S(nd->domain));
        }
        if (seen) continue;
        char op[80], dom[80], nm[80], item[280];
        if (nd->domain && nd->domain[0])
            snprintf(item, sizeof item, "%s.%s", clean(dom, sizeof dom, nd->domain),
                     clean(op, sizeof op, nd->op_type));
        else
            snprintf(item, sizeof item, "%s", clean(op, sizeof op, nd->op_type));
        size_t il = strlen(item);
        if (nd->name && nd->name[0])
            snprintf(item + il, sizeof item - il, " (node %s)", clean(nm, sizeof nm, nd->name));
        else
            snprintf(item + il, sizeof item - il, " (node #%zu)", i);
        if (n_rep == sizeof rep / sizeof rep[0] || len + strlen(item) + 2 >= 700) {
            more = 1; /* the message is full; the same kind may come again, uncounted */
            continue;
        }
        rep[n_rep++] = i;
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", shown ? ", " : "", item);
        shown++;
    }
    if (!shown && !more) return RAMP_OK;
    if (more) snprintf(msg + len, sizeof msg - len, " and others");
    return ramp__err_set(im->err, RAMP_EUNSUPPORTED, "%s: unsupported operators: %s", im->src,
                         msg);
}

/* The graph's one real input (not an initializer): its C, H, W from the
   model, or from p where the model leaves a dimension open. */
static ramp_status input_shape(imp *im, const ramp_net_params *p, ramp_net_params *prm,
                               const char **name, int *rank)
{
    const Graph *g = im->g;
    const RampOnnxpb__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        const RampOnnxpb__ValueInfoProto *vi = g->input[i];
        if (!vi || !vi->name || !vi->name[0]) return fail(im, RAMP_EFORMAT, "a graph input has no name");
        const value *v = find(im, vi->name);
        if (v && v->kind == V_CONST) continue; /* an initializer listed as input (IR < 4) */
        if (in)
            return fail(im, RAMP_EUNSUPPORTED, "the graph has more than one input; ramp nets "
                        "take one image tensor");
        in = vi;
    }
    if (!in) return fail(im, RAMP_EFORMAT, "the graph has no input");
    char nm[80];
    const char *iname = clean(nm, sizeof nm, in->name);
    const RampOnnxpb__TypeProto__Tensor *tt =
        in->type && in->type->value_case == RAMP__ONNXPB__TYPE_PROTO__VALUE_TENSOR_TYPE
            ? in->type->tensor_type
            : NULL;
    if (!tt) return fail(im, RAMP_EFORMAT, "input '%s' is not a tensor", iname);
    if (tt->has_elem_type && tt->elem_type != RAMP__ONNX_FLOAT)
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' has element type %d; ramp takes float32",
                    iname, (int)tt->elem_type);
    size_t nd = tt->shape ? tt->shape->n_dim : 0;
    if (!tt->shape || (nd != 4 && nd != 2))
        return fail(im, RAMP_EUNSUPPORTED, "input '%s' has %zu dimensions; ramp takes N×C×H×W "
                    "images (or N×F vectors)", iname, nd);
    int want[3] = { p ? p->channels : 0, p ? p->height : 0, p ? p->width : 0 };
    static const char *dname[3] = { "channels", "height", "width" };
    int got[3] = { 1, 1, 1 };
    for (size_t d = 1; d < nd; d++) {
        const RampOnnxpb__TensorShapeProto__Dimension *dm = tt->shape->dim[d];
        int64_t v = dm && dm->value_case == RAMP__ONNXPB__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                        ? dm->dim_value
                        : 0;
        int w = want[d - 1];
        if (v > 0 && v <= INT32_MAX) {
            if (w > 0 && w != v)
                return fail(im, RAMP_ESHAPE, "input '%s' has %s %lld but the parameters ask "
                            "for %d", iname, dname[d - 1], (long long)v, w);
            got[d - 1] = (int)v;
        } else if (v < 0 || v > INT32_MAX) {
            return fail(im, RAMP_EFORMAT, "input '%s': bad %s %lld", iname, dname[d - 1],
                        (long long)v);
        } else if (w > 0) {
            got[d - 1] = w;
        } else {
            return fail(im, RAMP_EINVAL, "input '%s' leaves its %s open: give it in the "
                        "parameters (ramp_net_params.%s)", iname, dname[d - 1], dname[d - 1]);
        }
    }
    prm->channels = got[0], prm->height = got[1], prm->width = got[2];
    *name = in->name;
    *rank = (int)nd;
    return RAMP_OK;
}

/* Sizes the name table and records initializers and readers. */
static ramp_status index_graph(imp *im)
{
    const Graph *g = im->g;
    size_t n = g->n_initializer + g->n_input + g->n_output + 1;
    for (size_t i = 0; i < g->n_node; i++) {
        if (!g->node[i]) return fail(im, RAMP_EFORMAT, "an empty node");
        n += g->node[i]->n_input + g->node[i]->n_output;
    }
    size_t cap = 16;
    while (cap < 2 * n) {
        if (cap > SIZE_MAX / 4 / sizeof(value)) return fail(im, RAMP_ETOOBIG, "too many tensors");
        cap *= 2;
    }
    im->v = calloc(cap, sizeof *im->v);
    im->done = calloc(g->n_node + 1, 1);
    if (!im->v || !im->done) return fail(im, RAMP_ENOMEM, "out of memory");
    im->cap = cap;
    char nm[80];
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Tensor *t = g->initializer[i];
        if (!t || !t->name || !t->name[0]) return fail(im, RAMP_EFORMAT, "an initializer has no name");
        value *v = slot(im, t->name);
        if (v->kind)
            return fail(im, RAMP_EFORMAT, "initializer '%s' is defined twice",
                        clean(nm, sizeof nm, t->name));
        v->kind = V_CONST;
        v->t = t;
    }
    for (size_t i = 0; i < g->n_node; i++) {
        const Node *nd = g->node[i];
        for (size_t k = 0; k < nd->n_input; k++)
            if (nd->input[k] && nd->input[k][0]) {
                value *v = slot(im, nd->input[k]);
                v->uses++;
                v->reader = i;
            }
    }
    for (size_t i = 0; i < g->n_output; i++)
        if (g->output[i] && g->output[i]->name && g->output[i]->name[0])
            slot(im, g->output[i]->name)->uses++;
    return RAMP_OK;
}

static ramp_status build(imp *im, const ramp_net_params *p)
{
    const Graph *g = im->g;
    ramp_status st;
    if ((st = check_ops(im)) || (st = index_graph(im))) return st;
    ramp_net_params prm = p ? *p : (ramp_net_params){ 0 };
    const char *in_name = NULL;
    int in_rank = 0;
    if ((st = input_shape(im, p, &prm, &in_name, &in_rank))) return st;
    ramp_err e;
    if ((st = ramp_net_new(&im->net, &prm, &e))) return fail(im, st, "%s", e.msg);
    im->net->no_init = 1; /* every conv and dense gets the file's weights */
    value *in = slot(im, in_name);
    in->kind = V_LAYER, in->layer = 0, in->rank = in_rank;

    for (size_t i = 0; i < g->n_node; i++) {
        const Node *nd = g->node[i];
        im->node = nd, im->node_ix = i, im->pad_ok = 0;
        if (im->done[i]) continue; /* an Add made the bias of the MatMul before it */
        if (nd->n_output < 1 || !nd->output[0] || !nd->output[0][0])
            return fail(im, RAMP_EFORMAT, "no output");
        for (size_t k = 0; k < nd->n_output; k++) {
            if (!nd->output[k][0]) continue;
            value *o = slot(im, nd->output[k]);
            if (o->kind)
                return fail(im, RAMP_EFORMAT, "output '%s' is defined twice",
                            clean(im->lbl[1], sizeof im->lbl[1], nd->output[k]));
            if (k) o->kind = V_DEAD, o->maker = nd;
        }
        const op_entry *op = op_find(nd);
        if (op->build == op_matmul_plain) {
            cten bias;
            size_t add = matmul_bias(im, i, &bias);
            st = op_matmul(im, add < g->n_node ? g->node[add] : NULL, &bias);
            if (!st && add < g->n_node) im->done[add] = 1;
        } else {
            st = op->build(im);
        }
        if (st) return st;
        const value *o = find(im, nd->output[0]);
        if (o->kind == V_UNDEF) return fail(im, RAMP_EINTERNAL, "output not defined");
    }
    im->node = NULL;

    if (g->n_output != 1)
        return fail(im, RAMP_EUNSUPPORTED, "the graph has %zu outputs; ramp nets have one",
                    g->n_output);
    const char *oname = g->output[0] && g->output[0]->name ? g->output[0]->name : "";
    const value *o = find(im, oname);
    char nm[80];
    if (!o || o->kind != V_LAYER)
        return fail(im, RAMP_EFORMAT, "the graph output '%s' is not computed by a layer",
                    clean(nm, sizeof nm, oname));
    if (o->layer == 0)
        return fail(im, RAMP_EUNSUPPORTED, "the graph computes nothing (its output is its "
                    "input)");
    if (o->layer != ramp_net_n_layers(im->net) - 1)
        return fail(im, RAMP_EUNSUPPORTED, "the graph output '%s' is not the last layer: "
                    "nodes after it compute what nothing reads", clean(nm, sizeof nm, oname));
    im->net->no_init = 0; /* layers added later (fine-tuning) draw theirs */
    return built(im, ramp_net_from(im->net, o->layer));
}

/* --- entry points ---------------------------------------------------------- */

static ramp_status load(ramp_net **out, const uint8_t *data, size_t size, const char *src,
                        const ramp_net_params *p, ramp_err *err)
{
    imp im = { .src = src, .err = err };
    Model *m = NULL;
    ramp_status st;
    if (size > RAMP__ONNX_MAX_BYTES) {
        st = ramp__err_set(err, RAMP_ETOOBIG, "%s: %zu bytes; ONNX files end at 2 GiB", src, size);
        goto fail;
    }
    m = ramp__onnxpb__model_proto__unpack(NULL, size, data);
    if (!m) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: not an ONNX model (the protobuf does not "
                           "parse: truncated or not ONNX)", src);
        goto fail;
    }
    if (!m->graph || !m->graph->n_node) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: not an ONNX model (no graph)", src);
        goto fail;
    }
    im.g = m->graph;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const RampOnnxpb__OperatorSetIdProto *o = m->opset_import[i];
        if (o && (!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) && o->has_version)
            im.opset = o->version;
    }
    if ((st = build(&im, p))) goto fail;
    free(im.v);
    free(im.done);
    ramp__onnxpb__model_proto__free_unpacked(m, NULL);
    *out = im.net;
    return RAMP_OK;
fail:
    ramp_net_free(im.net);
    free(im.v);
    free(im.done);
    if (m) ramp__onnxpb__model_proto__free_unpacked(m, NULL);
    return st;
}

ramp_status ramp_net_load_onnx_mem(ramp_net **out, const void *data, size_t size,
                                   const ramp_net_params *p, ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_net_load_onnx_mem: out is NULL");
    *out = NULL;
    if (!data && size) return ramp__err_set(err, RAMP_EINVAL, "ramp_net_load_onnx_mem: no data");
    return load(out, data ? data : (const void *)"", size, "ONNX model", p, err);
}

ramp_status ramp_net_load_onnx(ramp_net **out, const char *path, const ramp_net_params *p,
                               ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_net_load_onnx: out is NULL");
    *out = NULL;
    if (!path) return ramp__err_set(err, RAMP_EINVAL, "ramp_net_load_onnx: path is NULL");
    /* read, not mapped: protobuf-c copies every tensor out anyway, and a
       mapped file shortened while it is parsed would kill the process (SIGBUS) */
    uint8_t *data = NULL;
    size_t size = 0;
    ramp_status st = ramp__read_file(path, RAMP__ONNX_MAX_BYTES, &data, &size, err);
    if (st) return st;
    st = load(out, data, size, path, p, err);
    free(data);
    return st;
}
