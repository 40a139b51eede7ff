/* weights.c — the weight file: ramp_net_save and ramp_net_load. The file
 * is a magic, a version, then each parameter's plain (backend-independent)
 * values in layer order; loading checks every count against the net. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"

static const char MAGIC[8] = { 'R', 'A', 'M', 'P', 'N', 'N', 'W', '\0' };
enum { FILE_VERSION = 1 };

static int put_u32(FILE *f, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return fwrite(b, 1, 4, f) == 4;
}

static uint32_t get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
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
            for (size_t j = 0; ok && j < p->n_plain; j++) {
                uint32_t u;
                memcpy(&u, &p->plain[j], 4);
                ok = put_u32(f, u);
            }
        }
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
    if (ver != FILE_VERSION) {
        st = ramp__net_fail(net, RAMP_EFORMAT, "%s: version %u, this library reads %d", path,
                            ver, FILE_VERSION);
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
