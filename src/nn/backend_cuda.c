/* backend_cuda.c — the engine on a CUDA GPU: the backend table over the
 * per-op entries of cuda_*.c (cudaInt.h), chosen by ramp_net_params.device
 * and built only with RAMP_CUDA.
 *
 * It mirrors the reference backend (backend_ref.c): per node an output y and
 * its gradient dy on the GPU for up to `cap` samples, N×C×H×W fp32; the
 * forward runs every node in order, the backward the nodes that need a
 * gradient in reverse, each accumulating into its inputs' dy. Parameters
 * keep their truth in the net's plain host copies (see cudaInt.h): uploaded
 * before each forward, gradients brought back after each backward. Dropout
 * draws its mask on the host from the reference backend's stream, so both
 * backends drop the same values.
 *
 * A net with a layer the backend has no entry for (ramp__cuda_op_for) is
 * refused at create, naming the layer: never a silent CPU fall-back.
 */
#include <stdlib.h>
#include <string.h>

#include "nn/cudaInt.h"

ramp_status ramp__cuda_fail(ramp_net *net, int cuda_err, const char *what)
{
    cudaError_t e = (cudaError_t)cuda_err;
    return ramp__net_fail(net, e == cudaErrorMemoryAllocation ? RAMP_ENOMEM : RAMP_EIO,
                          "CUDA backend: %s: %s (%s)", what, cudaGetErrorString(e),
                          cudaGetErrorName(e));
}

ramp_status ramp__cudnn_fail(ramp_net *net, cudnnStatus_t s, const char *what)
{
    return ramp__net_fail(net, s == CUDNN_STATUS_ALLOC_FAILED ? RAMP_ENOMEM : RAMP_EIO,
                          "CUDA backend: %s: %s", what, cudnnGetErrorString(s));
}

ramp_status ramp__cublas_fail(ramp_net *net, cublasStatus_t s, const char *what)
{
    return ramp__net_fail(net, s == CUBLAS_STATUS_ALLOC_FAILED ? RAMP_ENOMEM : RAMP_EIO,
                          "CUDA backend: %s: cuBLAS status %d", what, (int)s);
}

ramp_status ramp__cuda_workspace(ramp_net *net, ramp__cuda *c, size_t bytes)
{
    if (bytes <= c->ws_size) return RAMP_OK;
    cudaFree(c->ws);
    c->ws = NULL;
    c->ws_size = 0;
    RAMP__CU(net, cudaMalloc(&c->ws, bytes));
    c->ws_size = bytes;
    return RAMP_OK;
}

ramp_status ramp__cuda_tensor(ramp_net *net, cudnnTensorDescriptor_t *d, int n, int c, int h,
                              int w)
{
    if (!*d) RAMP__DNN(net, cudnnCreateTensorDescriptor(d));
    RAMP__DNN(net, cudnnSetTensor4dDescriptor(*d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
    return RAMP_OK;
}

const ramp__cuda_op *ramp__cuda_op_for(ramp__op op)
{
    switch (op) {
    case RAMP__OP_CONV: return &ramp__cuda_op_conv;
    case RAMP__OP_DENSE: return &ramp__cuda_op_dense;
    case RAMP__OP_MAXPOOL: return &ramp__cuda_op_maxpool;
    case RAMP__OP_AVGPOOL: return &ramp__cuda_op_avgpool;
    case RAMP__OP_GAP: return &ramp__cuda_op_gap;
    case RAMP__OP_BN: return &ramp__cuda_op_bn;
    case RAMP__OP_RELU:
    case RAMP__OP_LRELU:
    case RAMP__OP_SIGMOID:
    case RAMP__OP_TANH:
    case RAMP__OP_CLIP: return &ramp__cuda_op_act;
    case RAMP__OP_DROPOUT: return &ramp__cuda_op_dropout;
    case RAMP__OP_INPUT:
    case RAMP__OP_FLATTEN:
    case RAMP__OP_SOFTMAX: return &ramp__cuda_op_copy;
    case RAMP__OP_ADD: return &ramp__cuda_op_add;
    case RAMP__OP_CONCAT: return &ramp__cuda_op_concat;
    case RAMP__OP_MUL: return &ramp__cuda_op_mul;
    case RAMP__OP_UPSAMPLE: return &ramp__cuda_op_upsample;
    case RAMP__OP_DECONV: return &ramp__cuda_op_deconv;
    }
    return NULL;
}

static void free_node(const ramp__node *nd, ramp__cuda_node *r)
{
    const ramp__cuda_op *op = ramp__cuda_op_for(nd->op);
    if (op && op->release) op->release(r);
    cudaFree(r->y);
    cudaFree(r->dy);
    cudaFree(r->mask);
    cudaFree(r->mean);
    cudaFree(r->ivar);
    for (int k = 0; k < RAMP__P_MAX; k++) {
        cudaFree(r->pw[k]);
        cudaFree(r->pg[k]);
    }
    if (r->yd) cudnnDestroyTensorDescriptor(r->yd);
    if (r->bd) cudnnDestroyTensorDescriptor(r->bd);
    if (r->pd) cudnnDestroyPoolingDescriptor(r->pd);
}

static void c_destroy(void *vst)
{
    ramp__cuda *c = vst;
    if (!c) return;
    for (int i = 0; c->nodes && i < c->n_nodes; i++) free_node(&c->net_nodes[i], &c->nodes[i]);
    free(c->nodes);
    cudaFree(c->ws);
    free(c->host_mask);
    if (c->blas) cublasDestroy(c->blas);
    if (c->dnn) cudnnDestroy(c->dnn);
    free(c);
}

static ramp_status c_create(ramp_net *net, void **out)
{
    *out = NULL;
    for (int i = 0; i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i];
        if (!ramp__cuda_op_for(nd->op))
            return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                                  "layer %d (%s, %s): the CUDA backend has no %s yet: use device "
                                  "cpu for this net",
                                  i, nd->name, ramp__op_name(nd->op), ramp__op_name(nd->op));
        if (nd->op == RAMP__OP_BN && nd->eps < (float)CUDNN_BN_MIN_EPSILON)
            return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                                  "layer %d (%s): batch norm eps %g is below cuDNN's least (%g)",
                                  i, nd->name, (double)nd->eps, CUDNN_BN_MIN_EPSILON);
    }
    ramp__cuda *c = calloc(1, sizeof *c);
    if (!c) return ramp__net_fail(net, RAMP_ENOMEM, "CUDA backend: out of memory");
    c->nodes = calloc((size_t)net->n_nodes, sizeof *c->nodes);
    ramp_status st = RAMP_OK;
    if (!c->nodes) {
        st = ramp__net_fail(net, RAMP_ENOMEM, "CUDA backend: out of memory");
        goto fail;
    }
    c->n_nodes = net->n_nodes;
    c->net_nodes = net->nodes;
    cudaError_t e = cudaSetDevice(0);
    if (e != cudaSuccess) {
        st = ramp__cuda_fail(net, (int)e, "cudaSetDevice(0)");
        goto fail;
    }
    cudnnStatus_t ds = cudnnCreate(&c->dnn);
    if (ds != CUDNN_STATUS_SUCCESS) {
        c->dnn = NULL;
        st = ramp__cudnn_fail(net, ds, "cudnnCreate");
        goto fail;
    }
    cublasStatus_t bs = cublasCreate(&c->blas);
    if (bs != CUBLAS_STATUS_SUCCESS) {
        c->blas = NULL;
        st = ramp__cublas_fail(net, bs, "cublasCreate");
        goto fail;
    }
    *out = c;
    return RAMP_OK;
fail:
    c_destroy(c);
    return st;
}

/* Buffers for n samples, descriptors for batch size n. */
static ramp_status reserve(ramp_net *net, ramp__cuda *c, size_t n)
{
    if (n > c->cap) {
        c->cap = 0;
        for (int i = 0; i < net->n_nodes; i++) {
            const ramp__node *nd = &net->nodes[i];
            ramp__cuda_node *r = &c->nodes[i];
            size_t bytes = n * ramp__node_size(nd) * sizeof(float);
            cudaFree(r->y);
            cudaFree(r->dy);
            cudaFree(r->mask);
            r->y = r->dy = r->mask = NULL;
            RAMP__CU(net, cudaMalloc((void **)&r->y, bytes));
            RAMP__CU(net, cudaMalloc((void **)&r->dy, bytes));
            if (nd->op == RAMP__OP_DROPOUT) RAMP__CU(net, cudaMalloc((void **)&r->mask, bytes));
        }
        c->cap = n;
    }
    if (c->desc_n != n) {
        c->desc_n = 0;
        for (int i = 0; i < net->n_nodes; i++) {
            const ramp__node *nd = &net->nodes[i];
            ramp_status s = ramp__cuda_tensor(net, &c->nodes[i].yd, (int)n, nd->c, nd->h, nd->w);
            if (s) return s;
        }
        for (int i = 1; i < net->n_nodes; i++) {
            const ramp__cuda_op *op = ramp__cuda_op_for(net->nodes[i].op);
            if (op->prepare) {
                ramp_status s = op->prepare(net, c, i, (int)n);
                if (s) return s;
            }
        }
        c->desc_n = n;
    }
    return RAMP_OK;
}

/* Device copies of every parameter, current with the host's. */
static ramp_status upload_params(ramp_net *net, ramp__cuda *c)
{
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[i].p[k];
            ramp__cuda_node *r = &c->nodes[i];
            if (!p->used) continue;
            if (!r->pw[k] || !r->pg[k]) { /* both, even after a failed first try */
                cudaFree(r->pw[k]);
                cudaFree(r->pg[k]);
                r->pw[k] = r->pg[k] = NULL;
                RAMP__CU(net, cudaMalloc((void **)&r->pw[k], p->n * sizeof(float)));
                RAMP__CU(net, cudaMalloc((void **)&r->pg[k], p->n * sizeof(float)));
            }
            RAMP__CU(net, cudaMemcpy(r->pw[k], p->w, p->n * sizeof(float), cudaMemcpyHostToDevice));
        }
    return RAMP_OK;
}

static ramp_status c_forward(ramp_net *net, void *vst, const float *X, size_t n, int training,
                             float *logits)
{
    ramp__cuda *c = vst;
    ramp_status s = reserve(net, c, n);
    if (!s) s = upload_params(net, c);
    if (s) return s;
    c->n = 0;
    RAMP__CU(net, cudaMemcpy(c->nodes[0].y, X, n * ramp__node_size(&net->nodes[0]) * sizeof(float),
                             cudaMemcpyHostToDevice));
    for (int i = 1; i < net->n_nodes; i++) {
        s = ramp__cuda_op_for(net->nodes[i].op)->fwd(net, c, i, (int)n, training);
        if (s) return s;
    }
    RAMP__CU(net, cudaMemcpy(logits, c->nodes[net->logits_node].y,
                             n * net->out_size * sizeof(float), cudaMemcpyDeviceToHost));
    c->n = n;
    c->training = training;
    return RAMP_OK;
}

static ramp_status c_backward(ramp_net *net, void *vst, const float *dlogits, size_t n)
{
    ramp__cuda *c = vst;
    if (n != c->n || !c->training)
        return ramp__net_fail(net, RAMP_EINVAL, "backward without a training forward of %zu", n);
    for (int i = 0; i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i];
        ramp__cuda_node *r = &c->nodes[i];
        if (nd->needs_grad)
            RAMP__CU(net, cudaMemset(r->dy, 0, n * ramp__node_size(nd) * sizeof(float)));
        for (int k = 0; k < RAMP__P_MAX; k++)
            if (nd->p[k].used && nd->p[k].trainable)
                RAMP__CU(net, cudaMemset(r->pg[k], 0, nd->p[k].n * sizeof(float)));
    }
    RAMP__CU(net, cudaMemcpy(c->nodes[net->logits_node].dy, dlogits,
                             n * net->out_size * sizeof(float), cudaMemcpyHostToDevice));
    for (int i = net->logits_node; i >= 1; i--) {
        if (!net->nodes[i].needs_grad) continue;
        ramp_status s = ramp__cuda_op_for(net->nodes[i].op)->bwd(net, c, i, (int)n);
        if (s) return s;
    }
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            ramp__param *p = &net->nodes[i].p[k];
            if (p->used && p->trainable)
                RAMP__CU(net, cudaMemcpy(p->g, c->nodes[i].pg[k], p->n * sizeof(float),
                                         cudaMemcpyDeviceToHost));
        }
    return RAMP_OK;
}

/* The host storage is the plain layout (as the reference backend's). */
static ramp_status c_sync(ramp_net *net, void *vst, int to_backend)
{
    (void)vst;
    return ramp__plain_param_sync(net, to_backend, "CUDA");
}

static ramp_status c_output_read(ramp_net *net, void *vst, int id, int grad, float *out,
                                 size_t count)
{
    ramp__cuda *c = vst;
    if (!c->n) return ramp__net_fail(net, RAMP_EINVAL, "no forward pass yet");
    ramp_status s = ramp__net_check_count(net, id, c->n, count);
    if (s) return s;
    const float *src = grad ? c->nodes[id].dy : c->nodes[id].y;
    RAMP__CU(net, cudaMemcpy(out, src, count * sizeof(float), cudaMemcpyDeviceToHost));
    return RAMP_OK;
}

const ramp__nn_backend ramp__nn_backend_cuda = {
    .api_version = RAMP__NN_BACKEND_API,
    .name = "CUDA",
    .create = c_create,
    .destroy = c_destroy,
    .forward = c_forward,
    .backward = c_backward,
    .param_sync = c_sync,
    .grad_read = ramp__plain_grad_read,
    .output_read = c_output_read,
    .state_convert = ramp__plain_state_convert,
};
