/* cuda_misc.c — the CUDA backend's elementwise and shape layers
 * (cudaInt.h): activations and clip, dropout, add, concat, mul, global
 * average pooling, and the copies (input, flatten, a final softmax, which
 * the loss folds in: its output is its input). Kernels in cuda_kernels.cu. */
#include <stdlib.h>

#include "nn/cudaInt.h"

static size_t count(const ramp_net *net, int id, int n)
{
    return (size_t)n * ramp__node_size(&net->nodes[id]);
}

/* the input's gradient buffer, or NULL where it needs none */
static float *dx_of(ramp_net *net, ramp__cuda *c, int in)
{
    return net->nodes[in].needs_grad ? c->nodes[in].dy : NULL;
}

/* --- activations ---------------------------------------------------------- */

static int kind(const ramp__node *nd)
{
    switch (nd->op) {
    case RAMP__OP_RELU: return RAMP__CK_RELU;
    case RAMP__OP_LRELU: return RAMP__CK_LRELU;
    case RAMP__OP_SIGMOID: return RAMP__CK_SIGMOID;
    case RAMP__OP_TANH: return RAMP__CK_TANH;
    default: return RAMP__CK_CLIP;
    }
}

static ramp_status act_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id];
    RAMP__CU(net, ramp__cuda_act_fwd(c->nodes[id].y, c->nodes[nd->in[0]].y, count(net, id, n),
                                     kind(nd), nd->alpha, nd->beta));
    return RAMP_OK;
}

static ramp_status act_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    float *dx = dx_of(net, c, nd->in[0]);
    if (dx)
        RAMP__CU(net, ramp__cuda_act_bwd(dx, c->nodes[id].dy, c->nodes[nd->in[0]].y,
                                         c->nodes[id].y, count(net, id, n), kind(nd), nd->alpha,
                                         nd->beta));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_act = {NULL, NULL, act_fwd, act_bwd};

/* --- copies: input, flatten, final softmax -------------------------------- */

static ramp_status copy_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    RAMP__CU(net, cudaMemcpy(c->nodes[id].y, c->nodes[net->nodes[id].in[0]].y,
                             count(net, id, n) * sizeof(float), cudaMemcpyDeviceToDevice));
    return RAMP_OK;
}

static ramp_status copy_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    if (nd->op == RAMP__OP_SOFTMAX) return RAMP_OK; /* folded into the loss (as the reference) */
    float *dx = dx_of(net, c, nd->in[0]);
    if (dx) RAMP__CU(net, ramp__cuda_acc(dx, c->nodes[id].dy, count(net, id, n)));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_copy = {NULL, NULL, copy_fwd, copy_bwd};

/* --- dropout: the reference backend's mask, drawn on the host ------------- */

static ramp_status drop_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    const ramp__node *nd = &net->nodes[id];
    size_t cnt = count(net, id, n);
    if (!(training && nd->alpha > 0.f)) return copy_fwd(net, c, id, n, training);
    if (c->host_mask_n < cnt) {
        float *m = realloc(c->host_mask, cnt * sizeof(float));
        if (!m) return ramp__net_fail(net, RAMP_ENOMEM, "CUDA backend: out of memory");
        c->host_mask = m;
        c->host_mask_n = cnt;
    }
    ramp_rng rng;
    ramp_rng_seed(&rng, net->prm.seed ^ 0x5eedd509u, ramp_rng_key(net->step, (uint64_t)id));
    ramp__dropout_mask(c->host_mask, cnt, nd->alpha, &rng);
    ramp__cuda_node *r = &c->nodes[id];
    RAMP__CU(net, cudaMemcpy(r->mask, c->host_mask, cnt * sizeof(float), cudaMemcpyHostToDevice));
    RAMP__CU(net, ramp__cuda_mask_fwd(r->y, c->nodes[nd->in[0]].y, r->mask, cnt));
    return RAMP_OK;
}

static ramp_status drop_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    float *dx = dx_of(net, c, nd->in[0]);
    if (!dx) return RAMP_OK;
    if (nd->alpha > 0.f)
        RAMP__CU(net, ramp__cuda_mask_bwd(dx, c->nodes[id].dy, c->nodes[id].mask,
                                          count(net, id, n)));
    else
        RAMP__CU(net, ramp__cuda_acc(dx, c->nodes[id].dy, count(net, id, n)));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_dropout = {NULL, NULL, drop_fwd, drop_bwd};

/* --- add, concat, mul ------------------------------------------------------ */

static ramp_status add_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id];
    RAMP__CU(net, ramp__cuda_add(c->nodes[id].y, c->nodes[nd->in[0]].y, c->nodes[nd->in[1]].y,
                                 count(net, id, n)));
    return RAMP_OK;
}

static ramp_status add_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    for (int k = 0; k < 2; k++) {
        float *dx = dx_of(net, c, nd->in[k]);
        if (dx) RAMP__CU(net, ramp__cuda_acc(dx, c->nodes[id].dy, count(net, id, n)));
    }
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_add = {NULL, NULL, add_fwd, add_bwd};

static ramp_status cat_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id];
    RAMP__CU(net, ramp__cuda_concat_fwd(c->nodes[id].y, c->nodes[nd->in[0]].y,
                                        c->nodes[nd->in[1]].y, n, net->nodes[nd->in[0]].c,
                                        net->nodes[nd->in[1]].c, nd->h * nd->w));
    return RAMP_OK;
}

static ramp_status cat_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    float *da = dx_of(net, c, nd->in[0]), *db = dx_of(net, c, nd->in[1]);
    if (da || db)
        RAMP__CU(net, ramp__cuda_concat_bwd(da, db, c->nodes[id].dy, n, net->nodes[nd->in[0]].c,
                                            net->nodes[nd->in[1]].c, nd->h * nd->w));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_concat = {NULL, NULL, cat_fwd, cat_bwd};

static ramp_status mul_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id], *b = &net->nodes[nd->in[1]];
    RAMP__CU(net, ramp__cuda_mul_fwd(c->nodes[id].y, c->nodes[nd->in[0]].y, c->nodes[nd->in[1]].y,
                                     n, nd->c, nd->h * nd->w, b->h * b->w));
    return RAMP_OK;
}

static ramp_status mul_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id], *b = &net->nodes[nd->in[1]];
    float *da = dx_of(net, c, nd->in[0]), *db = dx_of(net, c, nd->in[1]);
    if (da || db)
        RAMP__CU(net, ramp__cuda_mul_bwd(da, db, c->nodes[id].dy, c->nodes[nd->in[0]].y,
                                         c->nodes[nd->in[1]].y, n, nd->c, nd->h * nd->w,
                                         b->h * b->w));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_mul = {NULL, NULL, mul_fwd, mul_bwd};

/* --- global average pooling ------------------------------------------------ */

static ramp_status gap_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *a = &net->nodes[net->nodes[id].in[0]];
    RAMP__CU(net, ramp__cuda_gap_fwd(c->nodes[id].y, c->nodes[net->nodes[id].in[0]].y, n, a->c,
                                     a->h * a->w));
    return RAMP_OK;
}

static ramp_status gap_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    int in = net->nodes[id].in[0];
    const ramp__node *a = &net->nodes[in];
    float *dx = dx_of(net, c, in);
    if (dx) RAMP__CU(net, ramp__cuda_gap_bwd(dx, c->nodes[id].dy, n, a->c, a->h * a->w));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_gap = {NULL, NULL, gap_fwd, gap_bwd};
