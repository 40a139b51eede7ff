/* backend_cuda.c — the engine on a CUDA GPU: the backend table over the
 * per-op entries of cuda_*.c (cudaInt.h), chosen by ramp_net_params.device
 * and built only with RAMP_CUDA.
 *
 * It mirrors the reference backend (backend_ref.c): per node an output y and
 * its gradient dy on the GPU for up to `cap` samples, N×C×H×W fp32; the
 * forward runs every node in order, the backward the nodes that need a
 * gradient in reverse, each accumulating into its inputs' dy. Parameters,
 * their gradients and the optimiser's state stay on the GPU across steps
 * (optim_step runs the optimiser there); the net's host copies are a cache
 * synchronised lazily, both ways (cudaInt.h). A training step's only copies
 * are the input (staged on a second stream while the step before computes,
 * stage), the logits back and their gradient up. Dropout draws its mask on
 * the host from the reference backend's stream, so both backends drop the
 * same values.
 *
 * A net with a layer the backend has no entry for (ramp__cuda_op_for) is
 * refused at create, naming the layer: never a silent CPU fall-back; so is
 * math bf16 on a GPU without bf16 tensor cores (before compute capability
 * 8.0). Under bf16 the heavy ops' weights are cast to their bf16 copies
 * before the first forward after they changed (cast_weights).
 */
#include <math.h>
#include <stdio.h>
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
    /* the last step's convolutions may still run on it (nothing waits for
       the backward and the optimiser) */
    RAMP__CU(net, cudaDeviceSynchronize());
    cudaFree(c->ws);
    c->ws = NULL;
    c->ws_size = 0;
    RAMP__CU(net, cudaMalloc(&c->ws, bytes));
    c->ws_size = bytes;
    return RAMP_OK;
}

ramp_status ramp__cuda_scratch16(ramp_net *net, ramp__cuda *c, size_t n)
{
    if (n <= c->s16_n) return RAMP_OK;
    RAMP__CU(net, cudaDeviceSynchronize()); /* the last step's casts may still use it */
    cudaFree(c->s16);
    c->s16 = NULL;
    c->s16_n = 0;
    RAMP__CU(net, cudaMalloc((void **)&c->s16, n * sizeof(uint16_t)));
    c->s16_n = n;
    return RAMP_OK;
}

int ramp__cuda_bf16_op(const ramp__cuda *c, ramp__op op)
{
    return c->bf16 && (op == RAMP__OP_CONV || op == RAMP__OP_DECONV || op == RAMP__OP_DENSE);
}

ramp_status ramp__cuda_tensor_type(ramp_net *net, cudnnTensorDescriptor_t *d, cudnnDataType_t t,
                                   int n, int c, int h, int w)
{
    if (!*d) RAMP__DNN(net, cudnnCreateTensorDescriptor(d));
    RAMP__DNN(net, cudnnSetTensor4dDescriptor(*d, CUDNN_TENSOR_NCHW, t, n, c, h, w));
    return RAMP_OK;
}

ramp_status ramp__cuda_tensor(ramp_net *net, cudnnTensorDescriptor_t *d, int n, int c, int h,
                              int w)
{
    return ramp__cuda_tensor_type(net, d, CUDNN_DATA_FLOAT, n, c, h, w);
}

/* An algorithm a pass may use (ramp__cuda_conv_pick). The _v7 queries
   rank every math type's versions whatever cd asks for; in fp32 (ranked 0)
   each pass runs in CUDNN_FMA_MATH whatever its entry said, as before
   bf16. */
static int algo_ok(int ranked, cudnnStatus_t status, cudnnDeterminism_t determinism,
                   cudnnMathType_t math)
{
    if (status != CUDNN_STATUS_SUCCESS || determinism != CUDNN_DETERMINISTIC) return 0;
    return !ranked || math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION; /* no fp16 */
}

/* A failed query: with lowp and cuDNN saying "not supported", no
   algorithm for that pass (the layer then runs fp32); any other failure,
   or any failure in fp32, is the net's error. */
#ifndef CUDNN_STATUS_CATEGORY /* cuDNN 8: one NOT_SUPPORTED code */
#define CUDNN_STATUS_CATEGORY(s) ((s) == CUDNN_STATUS_NOT_SUPPORTED ? CUDNN_STATUS_NOT_SUPPORTED : (s))
#endif
#define PICK_QUERY(call, pass)                                                                   \
    do {                                                                                         \
        cudnnStatus_t q_ = (call);                                                               \
        if (q_ != CUDNN_STATUS_SUCCESS) {                                                        \
            if (lowp && CUDNN_STATUS_CATEGORY(q_) == CUDNN_STATUS_NOT_SUPPORTED) {              \
                *none = (pass);                                                                  \
                return RAMP_OK;                                                                  \
            }                                                                                    \
            return ramp__cudnn_fail(net, q_, #call);                                             \
        }                                                                                        \
    } while (0)

ramp_status ramp__cuda_conv_pick(ramp_net *net, ramp__cuda *c, cudnnConvolutionDescriptor_t cd,
                                 cudnnTensorDescriptor_t xd, cudnnFilterDescriptor_t wd,
                                 cudnnTensorDescriptor_t yd, int lowp, int skip,
                                 ramp__cuda_conv_algos *a, int *none)
{
    /* the per-pass math of a previous batch size may be left on cd */
    cudnnMathType_t ask = lowp ? CUDNN_TENSOR_OP_MATH : c->tf32 ? CUDNN_DEFAULT_MATH
                                                                : CUDNN_FMA_MATH;
    int ranked = lowp || c->tf32; /* each pass then runs in its algorithm's math */
    RAMP__DNN(net, cudnnSetConvolutionMathType(cd, ask));
    *none = -1;
    a->ws = 0;
    enum { M = 16 };
    int got = 0, k;
    cudnnConvolutionFwdAlgoPerf_t fp[M];
    if (skip != 0) {
        PICK_QUERY(cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, xd, wd, cd, yd, M, &got, fp), 0);
        for (k = 0; k < got && !algo_ok(ranked, fp[k].status, fp[k].determinism, fp[k].mathType);)
            k++;
        if (k == got) {
            *none = 0;
            return RAMP_OK;
        }
        a->fwd = fp[k].algo;
        a->fwd_math = ranked ? fp[k].mathType : CUDNN_FMA_MATH;
        if (fp[k].memory > a->ws) a->ws = fp[k].memory;
    }
    cudnnConvolutionBwdDataAlgoPerf_t dp[M];
    if (skip != 1) {
        PICK_QUERY(cudnnGetConvolutionBackwardDataAlgorithm_v7(c->dnn, wd, yd, cd, xd, M, &got, dp),
                   1);
        for (k = 0; k < got && !algo_ok(ranked, dp[k].status, dp[k].determinism, dp[k].mathType);)
            k++;
        if (k == got) {
            *none = 1;
            return RAMP_OK;
        }
        a->bwd_data = dp[k].algo;
        a->bwd_data_math = ranked ? dp[k].mathType : CUDNN_FMA_MATH;
        if (dp[k].memory > a->ws) a->ws = dp[k].memory;
    }
    cudnnConvolutionBwdFilterAlgoPerf_t wp[M];
    PICK_QUERY(cudnnGetConvolutionBackwardFilterAlgorithm_v7(c->dnn, xd, yd, cd, wd, M, &got, wp),
               2);
    for (k = 0; k < got && !algo_ok(ranked, wp[k].status, wp[k].determinism, wp[k].mathType);) k++;
    if (k == got) {
        *none = 2;
        return RAMP_OK;
    }
    a->bwd_filter = wp[k].algo;
    a->bwd_filter_math = ranked ? wp[k].mathType : CUDNN_FMA_MATH;
    if (wp[k].memory > a->ws) a->ws = wp[k].memory;
    return RAMP_OK;
}
#undef PICK_QUERY

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
    cudaFree(r->w16);
    for (int k = 0; k < RAMP__P_MAX; k++) {
        cudaFree(r->pw[k]);
        cudaFree(r->pg[k]);
        cudaFree(r->pm1[k]);
        cudaFree(r->pm2[k]);
    }
    if (r->yd) cudnnDestroyTensorDescriptor(r->yd);
    if (r->yd16) cudnnDestroyTensorDescriptor(r->yd16);
    if (r->bd) cudnnDestroyTensorDescriptor(r->bd);
    if (r->pd) cudnnDestroyPoolingDescriptor(r->pd);
}

static void c_destroy(void *vst)
{
    ramp__cuda *c = vst;
    if (!c) return;
    /* a staged copy may still read its host batch: done before the caller
       frees it; and nothing in flight may use what is freed below */
    if (c->copy) cudaStreamSynchronize(c->copy);
    cudaDeviceSynchronize();
    if (c->nodes) c->nodes[0].y = NULL; /* in[cur].p, freed below */
    for (int i = 0; c->nodes && i < c->n_nodes; i++) free_node(&c->net_nodes[i], &c->nodes[i]);
    free(c->nodes);
    for (int b = 0; b < 2; b++) {
        cudaFree(c->in[b].p);
        if (c->in[b].ready) cudaEventDestroy(c->in[b].ready);
        if (c->in[b].freed) cudaEventDestroy(c->in[b].freed);
    }
    if (c->copy) cudaStreamDestroy(c->copy);
    cudaFree(c->ws);
    cudaFree(c->s16);
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
    c->host_w_ok = c->host_m_ok = 1; /* nothing on the GPU yet */
    c->tf32 = net->prm.math == RAMP_MATH_TF32;
    c->bf16 = net->prm.math == RAMP_MATH_BF16;
    cudaError_t e = cudaSetDevice(0);
    if (e != cudaSuccess) {
        st = ramp__cuda_fail(net, (int)e, "cudaSetDevice(0)");
        goto fail;
    }
    if (c->bf16) {
        struct cudaDeviceProp prop;
        e = cudaGetDeviceProperties(&prop, 0);
        if (e != cudaSuccess) {
            st = ramp__cuda_fail(net, (int)e, "cudaGetDeviceProperties(0)");
            goto fail;
        }
        char why[400];
        prop.name[sizeof prop.name - 1] = '\0';
        if (!ramp__cuda_bf16_ok(prop.major, prop.minor, prop.name, why, sizeof why)) {
            st = ramp__net_fail(net, RAMP_EUNSUPPORTED, "CUDA backend: %s", why);
            goto fail;
        }
    }
    /* non-blocking: the legacy default stream, where everything else runs,
       would otherwise serialise with it */
    e = cudaStreamCreateWithFlags(&c->copy, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
        c->copy = NULL;
        st = ramp__cuda_fail(net, (int)e, "cudaStreamCreateWithFlags(staging stream)");
        goto fail;
    }
    for (int b = 0; b < 2; b++) {
        cudaEvent_t *ev[2] = {&c->in[b].ready, &c->in[b].freed};
        for (int j = 0; j < 2; j++) {
            e = cudaEventCreateWithFlags(ev[j], cudaEventDisableTiming);
            if (e != cudaSuccess) {
                *ev[j] = NULL;
                st = ramp__cuda_fail(net, (int)e, "cudaEventCreateWithFlags(staging event)");
                goto fail;
            }
        }
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
    bs = cublasSetMathMode(c->blas, c->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
    if (bs != CUBLAS_STATUS_SUCCESS) {
        st = ramp__cublas_fail(net, bs, "cublasSetMathMode");
        goto fail;
    }
    *out = c;
    return RAMP_OK;
fail:
    c_destroy(c);
    return st;
}

/* Buffers for n samples, descriptors for batch size n. Node 0's output is
   not among them: it is an input buffer (in[cur], see take_input). */
static ramp_status reserve(ramp_net *net, ramp__cuda *c, size_t n)
{
    if (n > c->cap) {
        /* the last step's backward and optimiser may still read them */
        RAMP__CU(net, cudaDeviceSynchronize());
        c->cap = 0;
        for (int i = 0; i < net->n_nodes; i++) {
            const ramp__node *nd = &net->nodes[i];
            ramp__cuda_node *r = &c->nodes[i];
            size_t bytes = n * ramp__node_size(nd) * sizeof(float);
            if (i > 0) cudaFree(r->y);
            cudaFree(r->dy);
            cudaFree(r->mask);
            r->y = r->dy = r->mask = NULL;
            if (i > 0) RAMP__CU(net, cudaMalloc((void **)&r->y, bytes));
            RAMP__CU(net, cudaMalloc((void **)&r->dy, bytes));
            if (nd->op == RAMP__OP_DROPOUT) RAMP__CU(net, cudaMalloc((void **)&r->mask, bytes));
        }
        c->nodes[0].y = c->in[c->cur].p; /* as take_input leaves it */
        c->cap = n;
    }
    if (c->desc_n != n) {
        c->desc_n = 0;
        for (int i = 0; i < net->n_nodes; i++) {
            const ramp__node *nd = &net->nodes[i];
            ramp_status s = ramp__cuda_tensor(net, &c->nodes[i].yd, (int)n, nd->c, nd->h, nd->w);
            if (!s && c->bf16)
                s = ramp__cuda_tensor_type(net, &c->nodes[i].yd16, CUDNN_DATA_BFLOAT16, (int)n,
                                           nd->c, nd->h, nd->w);
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

/* Device storage of every parameter (weights and gradients, the gradients
   zeroed: "no backward yet" reads zeros, as the reference's), and the
   weights uploaded where the host's copies are newer (dev_w_ok). */
static ramp_status device_params(ramp_net *net, ramp__cuda *c)
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
                c->dev_w_ok = 0;
                RAMP__CU(net, cudaMalloc((void **)&r->pw[k], p->n * sizeof(float)));
                RAMP__CU(net, cudaMalloc((void **)&r->pg[k], p->n * sizeof(float)));
                RAMP__CU(net, cudaMemset(r->pg[k], 0, p->n * sizeof(float)));
            }
            if (k == 0 && !r->w16 && ramp__cuda_bf16_op(c, net->nodes[i].op)) {
                RAMP__CU(net, cudaMalloc((void **)&r->w16, p->n * sizeof(uint16_t)));
                c->w16_ok = 0;
            }
        }
    if (c->dev_w_ok) return RAMP_OK;
    c->w16_ok = 0;
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__param *p = &net->nodes[i].p[k];
            if (!p->used) continue;
            if (!p->w)
                return ramp__net_fail(net, RAMP_EINTERNAL,
                                      "CUDA backend: layer %d kind %d has no host copy to upload",
                                      i, k);
            RAMP__CU(net, cudaMemcpy(c->nodes[i].pw[k], p->w, p->n * sizeof(float),
                                     cudaMemcpyHostToDevice));
        }
    c->dev_w_ok = 1;
    return RAMP_OK;
}

/* bf16: every heavy op's bf16 weights from its fp32 ones, where these
   changed since (an upload, an optimiser step: w16_ok). On the default
   stream, after the optimiser's kernels and before the forward's ops. */
static ramp_status cast_weights(ramp_net *net, ramp__cuda *c)
{
    if (!c->bf16 || c->w16_ok) return RAMP_OK;
    for (int i = 0; i < net->n_nodes; i++) {
        const ramp__cuda_node *r = &c->nodes[i];
        if (!r->w16) continue;
        RAMP__CU(net, ramp__cuda_to_bf16(r->w16, r->pw[0], net->nodes[i].p[0].n));
    }
    c->w16_ok = 1;
    return RAMP_OK;
}

/* Makes node 0's output hold X (n samples): the buffer staged for it (the
   default stream then waits for its copy), else a synchronous copy into the
   current buffer (ordered after every call issued before it). */
static ramp_status take_input(ramp_net *net, ramp__cuda *c, const float *X, size_t n)
{
    size_t bytes = n * ramp__node_size(&net->nodes[0]) * sizeof(float);
    ramp__cuda_in *nx = &c->in[1 - c->cur], *cu = &c->in[c->cur];
    if (nx->pending && nx->X == X && nx->n == n) {
        /* everything issued so far is what reads the old buffer */
        RAMP__CU(net, cudaEventRecord(cu->freed, 0));
        RAMP__CU(net, cudaStreamWaitEvent(0, nx->ready, 0));
        nx->pending = 0;
        c->cur = 1 - c->cur;
    } else {
        if (cu->cap < n) {
            RAMP__CU(net, cudaDeviceSynchronize()); /* the step before may still read it */
            cudaFree(cu->p);
            cu->p = NULL;
            cu->cap = 0;
            c->nodes[0].y = NULL;
            RAMP__CU(net, cudaMalloc((void **)&cu->p, bytes));
            cu->cap = n;
        }
        RAMP__CU(net, cudaMemcpy(cu->p, X, bytes, cudaMemcpyHostToDevice));
    }
    c->nodes[0].y = c->in[c->cur].p;
    return RAMP_OK;
}

static ramp_status c_forward(ramp_net *net, void *vst, const float *X, size_t n, int training,
                             float *logits)
{
    ramp__cuda *c = vst;
    c->n = 0; /* no pass to go back through until this one ends (a failure below included) */
    ramp_status s = reserve(net, c, n);
    if (!s) s = device_params(net, c);
    if (!s) s = cast_weights(net, c);
    if (!s) s = take_input(net, c, X, n);
    if (s) return s;
    for (int i = 1; i < net->n_nodes; i++) {
        s = ramp__cuda_op_for(net->nodes[i].op)->fwd(net, c, i, (int)n, training);
        if (s) return s;
    }
    /* synchronous: the forward's work, the staged copy it waited for included, is done */
    RAMP__CU(net, cudaMemcpy(logits, c->nodes[net->logits_node].y,
                             n * net->out_size * sizeof(float), cudaMemcpyDeviceToHost));
    c->n = n;
    c->training = training;
    return RAMP_OK;
}

/* Leaves the gradients on the GPU (grad_read brings one back on demand) and
   returns without waiting for the work it issued. */
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
    /* from pageable host memory: cudaMemcpy returns once dlogits is read */
    RAMP__CU(net, cudaMemcpy(c->nodes[net->logits_node].dy, dlogits,
                             n * net->out_size * sizeof(float), cudaMemcpyHostToDevice));
    for (int i = net->logits_node; i >= 1; i--) {
        if (!net->nodes[i].needs_grad) continue;
        ramp_status s = ramp__cuda_op_for(net->nodes[i].op)->bwd(net, c, i, (int)n);
        if (s) return s;
    }
    return RAMP_OK;
}

/* One optimiser step on the GPU (the backend table's optim_step; optim.c
   chose the tensors, made their host state and counted Adam's steps). A
   tensor's host state becomes its device state the first time it steps
   here: zeros, or what ramp__net_reopen saved. */
static ramp_status c_optim_step(ramp_net *net, void *vst, const ramp__optim *o,
                                const uint8_t *first)
{
    ramp__cuda *c = vst;
    if (!c->dev_w_ok)
        return ramp__net_fail(net, RAMP_EINTERNAL, "CUDA backend: optimiser step before a forward");
    int adam_like = o->kind != RAMP_OPT_SGD;
    /* from the first tensor stepped on, the host copies are stale, even if a
       later tensor fails (a failed step must not leave them looking current) */
    c->host_w_ok = 0;
    c->host_m_ok = 0;
    c->w16_ok = 0; /* the next forward casts the stepped weights */
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__node *nd = &net->nodes[i];
            const ramp__param *p = &nd->p[k];
            ramp__cuda_node *r = &c->nodes[i];
            if (!p->used || !p->trainable || !p->w || !ramp__node_learns(nd)) continue;
            const float *hm[2] = {p->m1, p->m2};
            float **dm[2] = {&r->pm1[k], &r->pm2[k]};
            for (int j = 0; j < 2; j++)
                if (hm[j] && !*dm[j]) {
                    RAMP__CU(net, cudaMalloc((void **)dm[j], p->n * sizeof(float)));
                    cudaError_t e = cudaMemcpy(*dm[j], hm[j], p->n * sizeof(float),
                                               cudaMemcpyHostToDevice);
                    if (e != cudaSuccess) { /* never a state buffer that holds garbage */
                        cudaFree(*dm[j]);
                        *dm[j] = NULL;
                        return ramp__cuda_fail(net, (int)e, "cudaMemcpy (optimiser state)");
                    }
                }
            float lr = o->lr * nd->lr_mult;
            if (adam_like) {
                if (!r->pm1[k] || !r->pm2[k])
                    return ramp__net_fail(net, RAMP_EINTERNAL, "CUDA backend: layer %d kind %d: "
                                          "no Adam state", i, k);
                double bc1 = 1.0 - pow(o->beta1, (double)p->t),
                       bc2 = 1.0 - pow(o->beta2, (double)p->t);
                int w = o->kind == RAMP_OPT_ADAMW;
                RAMP__CU(net, ramp__cuda_adam(r->pw[k], r->pm1[k], r->pm2[k], r->pg[k], p->n,
                                              (float)(lr / bc1), (float)sqrt(bc2),
                                              w ? 1.f - lr * o->wd : 1.f, w ? 0.f : o->wd,
                                              o->beta1, o->beta2, o->eps));
            } else {
                if (o->momentum != 0.f && !r->pm1[k])
                    return ramp__net_fail(net, RAMP_EINTERNAL, "CUDA backend: layer %d kind %d: "
                                          "no momentum buffer", i, k);
                RAMP__CU(net, ramp__cuda_sgd(r->pw[k], o->momentum != 0.f ? r->pm1[k] : NULL,
                                             r->pg[k], p->n, lr, o->wd, o->momentum, o->nesterov,
                                             first[i * RAMP__P_MAX + k]));
            }
        }
    return RAMP_OK;
}

/* The host's p->m1, p->m2 from the GPU's state (before ramp__net_reopen
   converts them). */
static ramp_status c_state_sync(ramp_net *net, void *vst)
{
    ramp__cuda *c = vst;
    if (c->host_m_ok) return RAMP_OK;
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            ramp__param *p = &net->nodes[i].p[k];
            const ramp__cuda_node *r = &c->nodes[i];
            if (p->m1 && r->pm1[k])
                RAMP__CU(net, cudaMemcpy(p->m1, r->pm1[k], p->n * sizeof(float),
                                         cudaMemcpyDeviceToHost));
            if (p->m2 && r->pm2[k])
                RAMP__CU(net, cudaMemcpy(p->m2, r->pm2[k], p->n * sizeof(float),
                                         cudaMemcpyDeviceToHost));
        }
    c->host_m_ok = 1;
    return RAMP_OK;
}

/* Starts the upload of the next forward's input on the copy stream, into
   the buffer the step in flight does not read (see cudaInt.h); X NULL
   waits for any copy in flight and forgets it. */
static ramp_status c_stage(ramp_net *net, void *vst, const float *X, size_t n)
{
    ramp__cuda *c = vst;
    if (!X) {
        c->in[0].pending = c->in[1].pending = 0;
        RAMP__CU(net, cudaStreamSynchronize(c->copy));
        return RAMP_OK;
    }
    ramp__cuda_in *b = &c->in[1 - c->cur];
    size_t bytes = n * ramp__node_size(&net->nodes[0]) * sizeof(float);
    b->pending = 0;
    if (b->cap < n) {
        RAMP__CU(net, cudaStreamSynchronize(c->copy)); /* an earlier copy into it */
        RAMP__CU(net, cudaEventSynchronize(b->freed)); /* the last step that read it */
        cudaFree(b->p);
        b->p = NULL;
        b->cap = 0;
        RAMP__CU(net, cudaMalloc((void **)&b->p, bytes));
        b->cap = n;
    }
    RAMP__CU(net, cudaStreamWaitEvent(c->copy, b->freed, 0));
    RAMP__CU(net, cudaMemcpyAsync(b->p, X, bytes, cudaMemcpyHostToDevice, c->copy));
    RAMP__CU(net, cudaEventRecord(b->ready, c->copy));
    b->X = X;
    b->n = n;
    b->pending = 1;
    return RAMP_OK;
}

/* The host storage is the plain layout (as the reference backend's): to
   the backend, the plain copies go to p->w and the GPU's copies are stale
   until the next forward uploads them; back, the GPU's newer copies come
   down first. */
static ramp_status c_sync(ramp_net *net, void *vst, int to_backend)
{
    ramp__cuda *c = vst;
    if (!to_backend && !c->host_w_ok) {
        for (int i = 0; i < net->n_nodes; i++)
            for (int k = 0; k < RAMP__P_MAX; k++) {
                ramp__param *p = &net->nodes[i].p[k];
                if (!p->used || !p->w || !c->nodes[i].pw[k]) continue;
                RAMP__CU(net, cudaMemcpy(p->w, c->nodes[i].pw[k], p->n * sizeof(float),
                                         cudaMemcpyDeviceToHost));
            }
        c->host_w_ok = 1;
    }
    ramp_status st = ramp__plain_param_sync(net, to_backend, "CUDA");
    if (st) return st;
    if (to_backend) {
        c->dev_w_ok = 0;
        c->host_w_ok = 1;
    }
    return RAMP_OK;
}

/* A parameter's gradient, from the GPU. */
static ramp_status c_grad_read(ramp_net *net, void *vst, int id, int kind, float *out)
{
    ramp__cuda *c = vst;
    const ramp__param *p = &net->nodes[id].p[kind];
    const float *g = c->nodes[id].pg[kind];
    if (!g) return ramp__net_fail(net, RAMP_EINVAL, "layer %d kind %d: no gradient yet", id, kind);
    RAMP__CU(net, cudaMemcpy(out, g, p->n * sizeof(float), cudaMemcpyDeviceToHost));
    return RAMP_OK;
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

int ramp__cuda_bf16_layers(const ramp_net *net, int *heavy)
{
    *heavy = 0;
    if (!net->finalized || net->be != &ramp__nn_backend_cuda || !net->be_st) return 0;
    const ramp__cuda *c = net->be_st;
    int low = 0;
    for (int i = 0; i < c->n_nodes; i++) {
        if (!ramp__cuda_bf16_op(c, net->nodes[i].op)) continue;
        (*heavy)++;
        low += c->nodes[i].lowp;
    }
    return low;
}

/* The casts of bf16 (cuda_kernels.cu) on host values, for test_nn_cuda:
   y16 = to_bf16(x), back = from_bf16(y16), acc += from_bf16(y16), n values
   each, through device memory. 0, or -1 with the failed call in why. */
int ramp__cuda_bf16_casts(uint16_t *y16, float *back, float *acc, const float *x, size_t n,
                          char *why, size_t len)
{
    float *dx = NULL, *dback = NULL, *dacc = NULL;
    uint16_t *d16 = NULL;
    const char *what = NULL;
    cudaError_t e = cudaSuccess;
#define STEP(call)                                                                               \
    do {                                                                                         \
        e = (cudaError_t)(call);                                                                 \
        if (e != cudaSuccess) {                                                                  \
            what = #call;                                                                        \
            goto fail;                                                                           \
        }                                                                                        \
    } while (0)
    STEP(cudaMalloc((void **)&dx, n * sizeof(float)));
    STEP(cudaMalloc((void **)&dback, n * sizeof(float)));
    STEP(cudaMalloc((void **)&dacc, n * sizeof(float)));
    STEP(cudaMalloc((void **)&d16, n * sizeof(uint16_t)));
    STEP(cudaMemcpy(dx, x, n * sizeof(float), cudaMemcpyHostToDevice));
    STEP(cudaMemcpy(dacc, acc, n * sizeof(float), cudaMemcpyHostToDevice));
    STEP(ramp__cuda_to_bf16(d16, dx, n));
    STEP(ramp__cuda_from_bf16(dback, d16, n, 0));
    STEP(ramp__cuda_from_bf16(dacc, d16, n, 1));
    STEP(cudaMemcpy(y16, d16, n * sizeof(uint16_t), cudaMemcpyDeviceToHost));
    STEP(cudaMemcpy(back, dback, n * sizeof(float), cudaMemcpyDeviceToHost));
    STEP(cudaMemcpy(acc, dacc, n * sizeof(float), cudaMemcpyDeviceToHost));
#undef STEP
fail:
    if (what && why && len) snprintf(why, len, "%s: %s", what, cudaGetErrorString(e));
    cudaFree(dx);
    cudaFree(dback);
    cudaFree(dacc);
    cudaFree(d16);
    return what ? -1 : 0;
}

const ramp__nn_backend ramp__nn_backend_cuda = {
    .api_version = RAMP__NN_BACKEND_API,
    .name = "CUDA",
    .create = c_create,
    .destroy = c_destroy,
    .forward = c_forward,
    .backward = c_backward,
    .param_sync = c_sync,
    .grad_read = c_grad_read,
    .output_read = c_output_read,
    .state_convert = ramp__plain_state_convert,
    .optim_step = c_optim_step,
    .state_sync = c_state_sync,
    .stage = c_stage,
};
