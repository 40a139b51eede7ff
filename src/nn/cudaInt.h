/* cudaInt.h — the CUDA backend's shared state and its per-op table
 * (backend_cuda.c walks the graph; one file per op family fills the
 * entries: cuda_conv.c, cuda_dense.c, cuda_pool.c, cuda_bn.c, cuda_misc.c,
 * cuda_resize.c;
 * own kernels in cuda_kernels.cu), mirroring the oneDNN backend's split.
 *
 * Layout and truth: activations and their gradients live on the GPU, N×C×H×W
 * fp32 as the reference backend's (cuDNN's NCHW), so the reference kernels
 * define the results. Parameters live on the GPU too (pw, pg, and the
 * optimiser's pm1, pm2), stepped there by the backend's optim_step
 * (cuda_kernels.cu); the net's host copies (p->w, p->m1, p->m2, the plain
 * layout) are a cache with a flag per side: dev_w_ok (the GPU's weights are
 * current: else uploaded before the next forward), host_w_ok (the host's
 * are: else downloaded when the host reads them, param_sync to the plain
 * copies) and host_m_ok (the same for the optimiser state, state_sync).
 * Gradients are read from the GPU on demand (grad_read). Batch norm's
 * running statistics change on the GPU in training (host_w_ok = 0).
 *
 * Streams: every compute call runs on the legacy default stream (cuDNN's and
 * cuBLAS's handles, the kernels, the synchronous copies), so the calls are
 * ordered as issued. The second stream `copy` (non-blocking: it never waits
 * for the default one implicitly) only carries the staged input (stage):
 * two device input buffers, in[cur] read by the step in flight, the other
 * filled for the next; `ready` (recorded on copy after the upload) is waited
 * on by the default stream before the forward that takes it, `freed`
 * (recorded on the default stream when a forward moves off a buffer) by the
 * copy stream before it writes that buffer again.
 *
 * Math: fp32 by default, cuDNN in CUDNN_FMA_MATH (no TF32), cuBLAS in its
 * default (pedantic fp32) math; ramp_net_params.math = RAMP_MATH_TF32 lets
 * both use TF32 tensor cores (cuDNN's default math, the type each algorithm
 * asks for; cuBLAS's CUBLAS_TF32_TENSOR_OP_MATH). Algorithms are chosen
 * among the deterministic ones. */
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
    float *pw[RAMP__P_MAX];      /* the parameters (the truth once uploaded) */
    float *pg[RAMP__P_MAX];      /* their gradients */
    float *pm1[RAMP__P_MAX], *pm2[RAMP__P_MAX]; /* optimiser state (allocated on its first step) */
    cudnnTensorDescriptor_t yd; /* the output, n × C×H×W (the batch size in use) */
    cudnnTensorDescriptor_t bd; /* bias (1×O×1×1), batch norm's parameters (1×C×1×1) */
    cudnnPoolingDescriptor_t pd;
    void *priv; /* the op family's own (cuda_conv.c: descriptors and algorithms) */
} ramp__cuda_node;

/* One device input buffer (staging, see above). */
typedef struct ramp__cuda_in {
    float *p;
    size_t cap;         /* samples it holds */
    const float *X;     /* the host batch staged into it, n samples ... */
    size_t n;
    int pending;        /* ... not yet taken by a forward */
    cudaEvent_t ready;  /* on copy: the upload done */
    cudaEvent_t freed;  /* on the default stream: the last step reading it done */
} ramp__cuda_in;

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
    int dev_w_ok, host_w_ok, host_m_ok; /* which side's parameters are current (above) */
    int tf32;                           /* ramp_net_params.math is RAMP_MATH_TF32 */
    cudaStream_t copy;                  /* the staging stream */
    ramp__cuda_in in[2];
    int cur;                            /* in[cur] is node 0's output (the input) */
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
/* The convolution math type asked for before the algorithm queries:
   CUDNN_FMA_MATH (fp32), or CUDNN_DEFAULT_MATH where TF32 is allowed; and
   whether a queried algorithm may run: it succeeded and is deterministic,
   and with TF32 does not convert to fp16
   (CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION). With TF32 each pass then sets the
   math type its algorithm was ranked with (ramp__cuda_conv_set_math). */
cudnnMathType_t ramp__cuda_conv_math(const ramp__cuda *c);
int ramp__cuda_conv_algo_ok(const ramp__cuda *c, cudnnStatus_t status,
                            cudnnDeterminism_t determinism, cudnnMathType_t math);
ramp_status ramp__cuda_conv_set_math(ramp_net *net, const ramp__cuda *c,
                                     cudnnConvolutionDescriptor_t cd, cudnnMathType_t math);
#define RAMP__CONV_MATH(net, c, cd, math)                                                        \
    do {                                                                                         \
        ramp_status m_ = ramp__cuda_conv_set_math(net, c, cd, math);                             \
        if (m_) return m_;                                                                       \
    } while (0)
/* A 4-d NCHW fp32 descriptor of n × node id's output (made on first use). */
ramp_status ramp__cuda_tensor(ramp_net *net, cudnnTensorDescriptor_t *d, int n, int c, int h,
                              int w);

#endif
