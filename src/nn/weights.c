/* weights.c — the weight file: ramp_net_save, ramp_net_load and
 * ramp_net_new_from_file. The file is a magic, a version, then each
 * parameter's plain (backend-independent) values in layer order; loading
 * checks every count against the net. Since version 2 the graph follows
 * (each layer's type, inputs, attributes and name), so a file alone
 * rebuilds its net: the layers are replayed through nn.h's builders, which
 * check every attribute and shape as when a program builds the net. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"

static const char MAGIC[8] = { 'R', 'A', 'M', 'P', 'N', 'N', 'W', '\0' };
static const char GRAPH_MAGIC[8] = { 'R', 'A', 'M', 'P', 'N', 'N', 'G', '\0' };
enum { FILE_VERSION = 2, N_INTS = 8, N_FLOATS = 3, MAX_LAYERS = 1 << 20 };
/* a layer record's smallest size: two empty strings' length bytes, then the numbers */
enum { MIN_REC = 2 + 4 * (2 + N_INTS + N_FLOATS) };

/* One layer of the graph section. */
typedef struct layer_rec {
    char type[32];        /* as the summary writes it: "Conv2D", "Dense", ... */
    int32_t in[2];        /* inputs; in[1] -1 when there is one */
    int32_t v[N_INTS];    /* filters/units, kernel, stride, padding, groups, bias, init, dilation */
    float f[N_FLOATS];    /* alpha (leaky slope, dropout rate, BN momentum, clip low), beta
                             (clip high), eps */
    char name[64];        /* "" for the default */
} layer_rec;

static int put_u32(FILE *f, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return fwrite(b, 1, 4, f) == 4;
}

/* n floats, little-endian, through a block buffer (one fwrite per 4 KiB:
   a ResNet-50's 100 MB took 0.4–1.9 s one float per call) */
static int put_floats(FILE *f, const float *x, size_t n)
{
    uint8_t b[4096];
    while (n) {
        size_t m = n < sizeof b / 4 ? n : sizeof b / 4;
        for (size_t j = 0; j < m; j++) {
            uint32_t v;
            memcpy(&v, &x[j], 4);
            b[4 * j] = (uint8_t)v, b[4 * j + 1] = (uint8_t)(v >> 8);
            b[4 * j + 2] = (uint8_t)(v >> 16), b[4 * j + 3] = (uint8_t)(v >> 24);
        }
        if (fwrite(b, 1, 4 * m, f) != 4 * m) return 0;
        x += m, n -= m;
    }
    return 1;
}

static uint32_t get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int put_f32(FILE *f, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return put_u32(f, u);
}

static int put_str(FILE *f, const char *s)
{
    size_t n = strlen(s);
    return n < 256 && fputc((int)n, f) != EOF && fwrite(s, 1, n, f) == n;
}

/* The graph section: magic, layer count, input C, H, W, then per layer
   after the input its record (type, inputs, ints, floats, name). */
static int write_graph(FILE *f, const ramp_net *net)
{
    const ramp__node *in = &net->nodes[0];
    int ok = fwrite(GRAPH_MAGIC, 1, 8, f) == 8 && put_u32(f, (uint32_t)net->n_nodes) &&
             put_u32(f, (uint32_t)in->c) && put_u32(f, (uint32_t)in->h) &&
             put_u32(f, (uint32_t)in->w);
    for (int i = 1; ok && i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i];
        int32_t v[N_INTS] = { nd->c, nd->k, nd->stride, nd->pad, nd->groups, nd->bias,
                              (int32_t)nd->init,
                              nd->op == RAMP__OP_DECONV ? nd->opad : nd->dilation };
        float fl[N_FLOATS] = { nd->alpha, nd->beta, nd->eps };
        ok = put_str(f, ramp__op_name(nd->op)) && put_u32(f, (uint32_t)nd->in[0]) &&
             put_u32(f, (uint32_t)(nd->n_in > 1 ? nd->in[1] : -1));
        for (int k = 0; ok && k < N_INTS; k++) ok = put_u32(f, (uint32_t)v[k]);
        for (int k = 0; ok && k < N_FLOATS; k++) ok = put_f32(f, fl[k]);
        ok = ok && put_str(f, nd->name_set ? nd->name : "");
    }
    return ok;
}

/* A length-prefixed string into out[cap]; 0 when it does not fit. */
static int get_str(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
    if (end - *p < 1) return 0;
    size_t n = **p;
    if ((size_t)(end - *p - 1) < n || n >= cap) return 0;
    memcpy(out, *p + 1, n);
    out[n] = '\0';
    *p += 1 + n;
    return 1;
}

/* Parses the graph section at p (up to end, which it must reach) into a
   malloc'd *recs of *n layers (recs[0] unused) and the input size. */
static ramp_status read_graph(ramp_net *net, const char *path, const uint8_t *p,
                              const uint8_t *end, layer_rec **recs, int *n, int chw[3],
                              ramp_err *err)
{
    *recs = NULL;
    *n = 0;
    if (end - p < 24 || memcmp(p, GRAPH_MAGIC, 8) != 0) goto bad;
    uint32_t count = get_u32(p + 8);
    for (int d = 0; d < 3; d++) chw[d] = (int)get_u32(p + 12 + 4 * d);
    p += 24;
    /* a record takes at least MIN_REC bytes: no allocation a short file cannot back */
    if (count < 1 || count > MAX_LAYERS || (uint64_t)(count - 1) * MIN_REC > (uint64_t)(end - p))
        goto bad;
    layer_rec *r = calloc(count, sizeof *r);
    if (!r) {
        ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %u layers", path, count);
        if (net) ramp__net_fail(net, RAMP_ENOMEM, "%s", err->msg);
        return RAMP_ENOMEM;
    }
    for (uint32_t i = 1; i < count; i++) {
        layer_rec *l = &r[i];
        if (!get_str(&p, end, l->type, sizeof l->type) ||
            end - p < 4 * (2 + N_INTS + N_FLOATS)) {
            free(r);
            goto bad;
        }
        l->in[0] = (int32_t)get_u32(p);
        l->in[1] = (int32_t)get_u32(p + 4);
        p += 8;
        for (int k = 0; k < N_INTS; k++, p += 4) l->v[k] = (int32_t)get_u32(p);
        for (int k = 0; k < N_FLOATS; k++, p += 4) {
            uint32_t u = get_u32(p);
            memcpy(&l->f[k], &u, 4);
        }
        if (!get_str(&p, end, l->name, sizeof l->name)) {
            free(r);
            goto bad;
        }
    }
    if (p != end) {
        free(r);
        goto bad;
    }
    *recs = r;
    *n = (int)count;
    return RAMP_OK;
bad:
    ramp__err_set(err, RAMP_EFORMAT, "%s: the graph after the weights is damaged", path);
    if (net) ramp__net_fail(net, RAMP_EFORMAT, "%s", err->msg);
    return RAMP_EFORMAT;
}

ramp_status ramp_net_save(ramp_net *net, const char *path)
{
    if (!net || !path) return RAMP_EINVAL;
    if (net->build_st) return net->build_st;
    ramp_status st = ramp__net_to_plain(net);
    if (st) return st;
    uint32_t count = 0;
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) count += (uint32_t)net->nodes[i].p[k].used;
    FILE *f = fopen(path, "wb");
    if (!f) return ramp__net_fail(net, RAMP_EIO, "%s: cannot open for writing", path);
    int ok = fwrite(MAGIC, 1, 8, f) == 8 && put_u32(f, FILE_VERSION) && put_u32(f, count);
    for (int i = 0; ok && i < net->n_nodes; i++)
        for (int k = 0; ok && k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[i].p[k];
            if (!p->used) continue;
            ok = put_u32(f, (uint32_t)i) && put_u32(f, (uint32_t)k) && put_u32(f, (uint32_t)p->ndim);
            for (int d = 0; ok && d < p->ndim; d++) ok = put_u32(f, (uint32_t)p->dims[d]);
            ok = ok && put_floats(f, p->plain, p->n_plain);
        }
    ok = ok && write_graph(f, net);
    if (fclose(f) != 0) ok = 0;
    return ok ? RAMP_OK : ramp__net_fail(net, RAMP_EIO, "%s: write failed", path);
}

ramp_status ramp_net_load(ramp_net *net, const char *path)
{
    if (!net || !path) return RAMP_EINVAL;
    if (net->build_st) return net->build_st;
    ramp_err e;
    uint8_t *data = NULL;
    size_t len = 0;
    ramp_status st = ramp__read_file(path, (size_t)1 << 32, &data, &len, &e);
    if (st) return ramp__net_fail(net, st, "%s", e.msg);
    const uint8_t *p = data, *end = data + len;
    int n_slots = net->n_nodes * RAMP__P_MAX;
    const uint8_t **src = calloc((size_t)n_slots, sizeof *src);
    if (!src) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (len < 16 || memcmp(p, MAGIC, 8) != 0) {
        st = ramp__net_fail(net, RAMP_EFORMAT, "%s: not a ramp weight file (bad magic)", path);
        goto done;
    }
    uint32_t ver = get_u32(p + 8), count = get_u32(p + 12);
    p += 16;
    if (ver < 1 || ver > FILE_VERSION) {
        st = ramp__net_fail(net, RAMP_EFORMAT, "%s: version %u, this library reads 1 to %d",
                            path, ver, FILE_VERSION);
        goto done;
    }
    for (uint32_t t = 0; t < count; t++) {
        if (end - p < 12) goto trunc;
        uint32_t id = get_u32(p), kind = get_u32(p + 4), ndim = get_u32(p + 8);
        p += 12;
        if (id >= (uint32_t)net->n_nodes || kind >= RAMP__P_MAX || !net->nodes[id].p[kind].used) {
            st = ramp__net_fail(net, RAMP_ESHAPE, "%s: tensor %u is for layer %u kind %u, which "
                                "this network does not have", path, t, id, kind);
            goto done;
        }
        const ramp__param *q = &net->nodes[id].p[kind];
        if (ndim > 5 || end - p < (ptrdiff_t)(4 * ndim)) goto trunc;
        int same = (int)ndim == q->ndim;
        char got[96] = "", want[96] = "";
        for (uint32_t d = 0; d < ndim; d++) {
            uint32_t v = get_u32(p + 4 * d);
            same = same && (int)d < q->ndim && v == (uint32_t)q->dims[d];
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%u", d ? "x" : "", v);
        }
        for (int d = 0; d < q->ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? "x" : "",
                     q->dims[d]);
        p += 4 * ndim;
        if (!same) {
            st = ramp__net_fail(net, RAMP_ESHAPE, "%s: layer %u (%s) kind %u has shape %s in the "
                                "file but %s in the network", path, id,
                                ramp__op_name(net->nodes[id].op), kind, got, want);
            goto done;
        }
        if ((size_t)(end - p) / 4 < q->n_plain) goto trunc;
        src[id * RAMP__P_MAX + kind] = p;
        p += 4 * q->n_plain;
    }
    if (ver >= 2) { /* the graph: its layer types must be the net's */
        layer_rec *recs;
        int n, chw[3];
        ramp_err e2;
        if ((st = read_graph(net, path, p, end, &recs, &n, chw, &e2))) goto done;
        int same = n == net->n_nodes;
        for (int i = 1; same && i < n; i++)
            if (strcmp(recs[i].type, ramp__op_name(net->nodes[i].op)) != 0) same = 0;
        free(recs);
        if (!same) {
            st = ramp__net_fail(net, RAMP_ESHAPE, "%s: the file's graph (%d layers) is not this "
                                "network's (%d layers, or other types)", path, n, net->n_nodes);
            goto done;
        }
        p = end;
    }
    if (p != end) {
        st = ramp__net_fail(net, RAMP_EFORMAT, "%s: %zu trailing bytes", path, (size_t)(end - p));
        goto done;
    }
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++)
            if (net->nodes[i].p[k].used && !src[i * RAMP__P_MAX + k]) {
                st = ramp__net_fail(net, RAMP_ESHAPE, "%s: no tensor for layer %d (%s) kind %d",
                                    path, i, ramp__op_name(net->nodes[i].op), k);
                goto done;
            }
    if ((st = ramp__net_to_plain(net))) goto done;
    for (int i = 0; i < n_slots; i++) {
        if (!src[i]) continue;
        ramp__param *q = &net->nodes[i / RAMP__P_MAX].p[i % RAMP__P_MAX];
        for (size_t j = 0; j < q->n_plain; j++) {
            uint32_t u = get_u32(src[i] + 4 * j);
            memcpy(&q->plain[j], &u, 4);
        }
    }
    net->backend_valid = 0;
    st = RAMP_OK;
    goto done;
trunc:
    st = ramp__net_fail(net, RAMP_EFORMAT, "%s: truncated", path);
done:
    free(src);
    free(data);
    return st;
}

/* --- a net from its file ---------------------------------------------------- */

/* Appends layer `id` as rec describes, through the builders. */
static ramp_status replay(ramp_net *net, int id, const layer_rec *r)
{
    const char *t = r->type;
    if (r->in[0] < 0 || r->in[0] >= id)
        return ramp__net_fail(net, RAMP_EFORMAT, "layer %d (%s): input %d is not an earlier "
                              "layer", id, t, r->in[0]);
    ramp_status st = RAMP_OK;
    if (r->in[0] != ramp_net_last(net) && (st = ramp_net_from(net, r->in[0]))) return st;
    if (strcmp(t, "Conv2D") == 0)
        st = ramp_net_conv2d(net, &(ramp_conv2d){ .filters = r->v[0], .kernel = r->v[1],
                                                  .stride = r->v[2], .padding = r->v[3],
                                                  .groups = r->v[4], .no_bias = !r->v[5],
                                                  .init = (ramp_init)r->v[6],
                                                  .dilation = r->v[7] });
    else if (strcmp(t, "Dense") == 0)
        st = ramp_net_dense(net, &(ramp_dense){ .units = r->v[0], .no_bias = !r->v[5],
                                                .init = (ramp_init)r->v[6] });
    else if (strcmp(t, "MaxPool2D") == 0)
        st = ramp_net_maxpool(net, r->v[1], r->v[2], r->v[3]);
    else if (strcmp(t, "AvgPool2D") == 0)
        st = ramp_net_avgpool(net, r->v[1], r->v[2], r->v[3]);
    else if (strcmp(t, "GlobalAvgPool") == 0)
        st = ramp_net_global_avgpool(net);
    else if (strcmp(t, "ReLU") == 0)
        st = ramp_net_relu(net);
    else if (strcmp(t, "LeakyReLU") == 0)
        st = ramp_net_leaky_relu(net, r->f[0]);
    else if (strcmp(t, "Sigmoid") == 0)
        st = ramp_net_sigmoid(net);
    else if (strcmp(t, "Tanh") == 0)
        st = ramp_net_tanh(net);
    else if (strcmp(t, "Softmax") == 0)
        st = ramp_net_softmax(net);
    else if (strcmp(t, "BatchNorm") == 0)
        st = ramp_net_batchnorm(net, r->f[0], r->f[2]);
    else if (strcmp(t, "Dropout") == 0)
        st = ramp_net_dropout(net, r->f[0]);
    else if (strcmp(t, "Flatten") == 0)
        st = ramp_net_flatten(net);
    else if (strcmp(t, "Add") == 0)
        st = ramp_net_add(net, r->in[1]);
    else if (strcmp(t, "Mul") == 0)
        st = ramp_net_mul(net, r->in[1]);
    else if (strcmp(t, "Concat") == 0)
        st = ramp_net_concat(net, r->in[1]);
    else if (strcmp(t, "Upsample") == 0)
        st = ramp_net_upsample(net, r->v[1], (ramp_upsample_mode)r->v[3]);
    else if (strcmp(t, "ConvTranspose2D") == 0)
        st = ramp_net_conv_transpose2d(
            net, &(ramp_conv_transpose2d){ .filters = r->v[0], .kernel = r->v[1],
                                           .stride = r->v[2], .padding = r->v[3],
                                           .output_padding = r->v[7], .no_bias = !r->v[5],
                                           .init = (ramp_init)r->v[6] });
    else if (strcmp(t, "Clip") == 0)
        st = ramp_net_clip(net, r->f[0], r->f[1]);
    else
        return ramp__net_fail(net, RAMP_EFORMAT, "layer %d: unknown layer type '%s'", id, t);
    if (st) return st;
    if (ramp_net_last(net) != id)
        return ramp__net_fail(net, RAMP_EFORMAT, "layer %d (%s): built as layer %d", id, t,
                              ramp_net_last(net));
    return r->name[0] ? ramp_net_set_name(net, id, r->name) : RAMP_OK;
}

ramp_status ramp_net_new_from_file(ramp_net **out, const char *path, const ramp_net_params *p,
                                   ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new_from_file: out is NULL");
    *out = NULL;
    if (!path || !p)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_net_new_from_file: NULL path or params");
    uint8_t *data = NULL;
    size_t len = 0;
    layer_rec *recs = NULL;
    ramp_net *net = NULL;
    ramp_status st = ramp__read_file(path, (size_t)1 << 32, &data, &len, err);
    if (st) return st;
    const uint8_t *q = data, *end = data + len;
    if (len < 16 || memcmp(q, MAGIC, 8) != 0) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: not a ramp weight file (bad magic)", path);
        goto done;
    }
    uint32_t ver = get_u32(q + 8), count = get_u32(q + 12);
    if (ver < 2) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: a version %u weight file holds no graph "
                           "(save it again with this ramp, or load it into a net built in "
                           "code with ramp_net_load)", path, ver);
        goto done;
    }
    if (ver > FILE_VERSION) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: version %u, this library reads 1 to %d", path,
                           ver, FILE_VERSION);
        goto done;
    }
    q += 16;
    for (uint32_t t = 0; t < count; t++) { /* to the graph, past the tensors */
        if (end - q < 12) goto trunc;
        uint32_t ndim = get_u32(q + 8);
        q += 12;
        if (ndim > 5 || end - q < (ptrdiff_t)(4 * ndim)) goto trunc;
        uint64_t n = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            uint32_t dim = get_u32(q + 4 * d);
            if (dim && n > UINT64_MAX / dim) goto trunc;
            n *= dim;
        }
        q += 4 * ndim;
        if ((uint64_t)(end - q) / 4 < n) goto trunc;
        q += 4 * n;
    }
    int n, chw[3];
    if ((st = read_graph(NULL, path, q, end, &recs, &n, chw, err))) goto done;
    ramp_net_params prm = *p;
    prm.channels = chw[0];
    prm.height = chw[1];
    prm.width = chw[2];
    free(data); /* ramp_net_load reads the tensors again */
    data = NULL;
    if ((st = ramp_net_new(&net, &prm, err))) goto done;
    net->no_init = 1; /* every weight comes from the file: draw none */
    for (int i = 1; i < n && !st; i++) st = replay(net, i, &recs[i]);
    net->no_init = 0;
    if (st)
        ramp__err_set(err, st, "%s: %s", path, ramp_net_errmsg(net));
    else if ((st = ramp_net_load(net, path))) /* its messages name the file */
        ramp__err_set(err, st, "%s", ramp_net_errmsg(net));
    if (st) {
        ramp_net_free(net);
        net = NULL;
    }
    goto done;
trunc:
    st = ramp__err_set(err, RAMP_EFORMAT, "%s: truncated", path);
done:
    free(recs);
    free(data);
    *out = net;
    return st;
}
