/* cudaInt.h — the CUDA backend's shared state and its per-op table
 * (backend_cuda.c walks the graph; one file per op family fills the
 * entries: cuda_conv.c, cuda_dense.c, cuda_pool.c, cuda_bn.c, cuda_misc.c,
 * cuda_resize.c;
 * own kernels in cuda_kernels.cu), mirroring the oneDNN backend's split.
 *
 * Layout and truth: activations and their gradients live on the GPU, N×C×H×W
 * fp32 as the reference backend's (cuDNN's NCHW), so the reference kernels
 * define the results. Parameters: the net's plain copies stay the truth on
 * the host (p->w, p->g in the plain layout, as the optimiser of optim.c
 * steps them there); every forward uploads them and every backward brings
 * the gradients back. Correct, but a copy of the weights each way per step:
 * a device-side optimiser is the next step (docs/engine.md).
 *
 * fp32 only: cuDNN in CUDNN_FMA_MATH (no TF32), cuBLAS in its default
 * (pedantic fp32) math; algorithms chosen among the deterministic ones. */
#ifndef RAMP_CUDA_INT_H
#define RAMP_CUDA_INT_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "nn/cuda_dl.h"
#include "nn/cuda_kernels.h"
#include "nn/nnInt.h"

/* One node's device memory and descriptors. */
typedef struct ramp__cuda_node {
    float *y, *dy;               /* cap × node size each */
    float *mask;                 /* dropout: its mask (uploaded from the host stream) */
    float *mean, *ivar;          /* batch norm: the batch's saved mean and 1/σ */
    float *pw[RAMP__P_MAX];      /* the parameters (device copies) */
    float *pg[RAMP__P_MAX];      /* their gradients */
    cudnnTensorDescriptor_t yd; /* the output, n × C×H×W (the batch size in use) */
    cudnnTensorDescriptor_t bd; /* bias (1×O×1×1), batch norm's parameters (1×C×1×1) */
    cudnnPoolingDescriptor_t pd;
    void *priv; /* the op family's own (cuda_conv.c: descriptors and algorithms) */
} ramp__cuda_node;

typedef struct ramp__cuda {
    cudnnHandle_t dnn;
    cublasHandle_t blas;
    ramp__cuda_node *nodes;
    const ramp__node *net_nodes; /* the net's (the backend is rebuilt when they change) */
    int n_nodes;
    size_t cap;     /* samples the buffers hold */
    size_t n;       /* samples of the last forward */
    size_t desc_n;  /* batch size the descriptors were set for (0: none) */
    int training;   /* of the last forward */
    void *ws;       /* cuDNN's workspace, shared by every op */
    size_t ws_size;
    float *host_mask; /* dropout's mask drawn on the host (the reference's stream) */
    size_t host_mask_n;
} ramp__cuda;

/* One op family's entries. `prepare` (may be NULL) makes descriptors and
   picks algorithms for batch size n (called when n changes); release (may
   be NULL) frees what prepare kept in priv; fwd and bwd
   run node `id` (bwd only for nodes with needs_grad; it accumulates into
   its inputs' dy and overwrites its parameters' pg). */
typedef struct ramp__cuda_op {
    ramp_status (*prepare)(ramp_net *net, ramp__cuda *c, int id, int n);
    void (*release)(ramp__cuda_node *r); /* frees r->priv (NULL: none) */
    ramp_status (*fwd)(ramp_net *net, ramp__cuda *c, int id, int n, int training);
    ramp_status (*bwd)(ramp_net *net, ramp__cuda *c, int id, int n);
} ramp__cuda_op;

/* The entry for op, or NULL where the CUDA backend has none (the net is
   then refused at create, naming the layer). */
const ramp__cuda_op *ramp__cuda_op_for(ramp__op op);
/* Per family: */
extern const ramp__cuda_op ramp__cuda_op_conv, ramp__cuda_op_dense, ramp__cuda_op_maxpool,
    ramp__cuda_op_avgpool, ramp__cuda_op_gap, ramp__cuda_op_bn, ramp__cuda_op_act, ramp__cuda_op_dropout,
    ramp__cuda_op_copy, ramp__cuda_op_add, ramp__cuda_op_concat, ramp__cuda_op_mul,
    ramp__cuda_op_upsample, ramp__cuda_op_deconv;

/* Error helpers: a failed CUDA, cuDNN or cuBLAS call as the net's error
   (RAMP_ENOMEM for out of memory, else RAMP_EIO), naming the call. */
ramp_status ramp__cuda_fail(ramp_net *net, int cuda_err, const char *what);
ramp_status ramp__cudnn_fail(ramp_net *net, cudnnStatus_t s, const char *what);
ramp_status ramp__cublas_fail(ramp_net *net, cublasStatus_t s, const char *what);
#define RAMP__CU(net, call)                                                                      \
    do {                                                                                         \
        int e_ = (int)(call);                                                                    \
        if (e_) return ramp__cuda_fail(net, e_, #call);                                          \
    } while (0)
#define RAMP__DNN(net, call)                                                                     \
    do {                                                                                         \
        cudnnStatus_t s_ = (call);                                                               \
        if (s_ != CUDNN_STATUS_SUCCESS) return ramp__cudnn_fail(net, s_, #call);                 \
    } while (0)
#define RAMP__BLAS(net, call)                                                                    \
    do {                                                                                         \
        cublasStatus_t s_ = (call);                                                              \
        if (s_ != CUBLAS_STATUS_SUCCESS) return ramp__cublas_fail(net, s_, #call);               \
    } while (0)

/* Makes c->ws at least `bytes`. */
ramp_status ramp__cuda_workspace(ramp_net *net, ramp__cuda *c, size_t bytes);
/* A 4-d NCHW fp32 descriptor of n × node id's output (made on first use). */
ramp_status ramp__cuda_tensor(ramp_net *net, cudnnTensorDescriptor_t *d, int n, int c, int h,
                              int w);

#endif
