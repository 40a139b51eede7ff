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
 * among the deterministic ones.
 *
 * bf16 (RAMP_MATH_BF16, autocast-like; docs/engine.md "Math"): the
 * activations, their gradients and the master weights stay fp32 as above;
 * the heavy ops (convolution, transposed convolution, dense) cast their
 * operands to bf16 in front of cuDNN or cuBLAS. Each such node keeps a bf16
 * copy of its weights (w16), cast from pw[0] before a forward whenever pw
 * changed (w16_ok: cleared by an upload and by the optimiser step), and the
 * casts of activations go to one shared scratch buffer (s16, bf16 values,
 * grown at prepare to the largest need, carved per call: everything runs on
 * the default stream, so one op's use ends before the next op's begins).
 * cuDNN's bf16 convolutions (PSEUDO_BFLOAT16_CONFIG: x, w, y all bf16,
 * fp32 compute) write bf16, cast back to fp32 (accumulated where the pass
 * accumulates); cuBLAS's cublasGemmEx takes bf16 A and B and writes fp32 C
 * directly (CUBLAS_COMPUTE_32F). */
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
    uint16_t *w16;               /* bf16: the bf16 copy of pw[0] (conv, deconv, dense) */
    int lowp;                    /* bf16: this heavy op runs in bf16 at the batch size
                                    prepared (a convolution may fall back to fp32) */
    cudnnTensorDescriptor_t yd; /* the output, n × C×H×W (the batch size in use) */
    cudnnTensorDescriptor_t yd16; /* bf16: the same shape in bf16 (the heavy ops' casts) */
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
    int bf16;                           /* ... is RAMP_MATH_BF16 */
    int w16_ok;                         /* bf16: every w16 matches its pw[0] */
    uint16_t *s16;                      /* bf16: the casts' scratch (above) */
    size_t s16_n;                       /* its values */
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
/* bf16: makes c->s16 hold at least n values. Parts are carved at offsets
   rounded by ramp__cuda_s16_len (256-byte aligned, as cuDNN's tensor-core
   kernels want). */
ramp_status ramp__cuda_scratch16(ramp_net *net, ramp__cuda *c, size_t n);
static inline size_t ramp__cuda_s16_len(size_t n)
{
    return (n + 127) / 128 * 128;
}
/* test_nn_cuda's look at a bf16 net (backend_cuda.c): how many of its
   heavy layers ran in bf16 at the last batch size, *heavy of how many (0
   and 0 for a net not on CUDA or not finalised). */
int ramp__cuda_bf16_layers(const ramp_net *net, int *heavy);
/* test_nn_cuda's check of the bf16 casts (backend_cuda.c). */
int ramp__cuda_bf16_casts(uint16_t *y16, float *back, float *acc, const float *x, size_t n,
                          char *why, size_t len);
/* Whether node op runs in bf16 under c's math (conv, deconv, dense). */
int ramp__cuda_bf16_op(const ramp__cuda *c, ramp__op op);
/* cuDNN's three passes of one convolution (x --w, cd--> y), as picked by
   ramp__cuda_conv_pick: per pass the algorithm, the math type it runs in
   (set on cd before each call), and the workspace the three need. */
typedef struct ramp__cuda_conv_algos {
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    cudnnMathType_t fwd_math, bwd_data_math, bwd_filter_math;
    size_t ws;
} ramp__cuda_conv_algos;
/* Picks, per pass, the fastest algorithm cuDNN's heuristics (the _v7
   queries) rank among those that succeed, are DETERMINISTIC and do not
   convert to fp16 (CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION). The math asked
   for: CUDNN_FMA_MATH for fp32 (and every pass then runs in it),
   CUDNN_DEFAULT_MATH where TF32 is allowed, CUDNN_TENSOR_OP_MATH for bf16
   descriptors (lowp); with either of the last two each pass runs in the
   math type its algorithm was ranked with. *none: -1, or the pass (0
   forward, 1 backward-data, 2 backward-weights) that has no algorithm
   (a is then incomplete); with lowp a query cuDNN answers "not supported"
   counts as none too (the caller falls back to fp32); any other failure is
   the net's error. `skip` (0 or 1; -1 none) is a pass the layer never runs
   (the gradient of an input that needs none: backward-data for a
   convolution, forward for a transposed one), neither queried nor
   required. */
ramp_status ramp__cuda_conv_pick(ramp_net *net, ramp__cuda *c, cudnnConvolutionDescriptor_t cd,
                                 cudnnTensorDescriptor_t xd, cudnnFilterDescriptor_t wd,
                                 cudnnTensorDescriptor_t yd, int lowp, int skip,
                                 ramp__cuda_conv_algos *a, int *none);
#define RAMP__CONV_MATH(net, cd, math) RAMP__DNN(net, cudnnSetConvolutionMathType(cd, math))
/* A 4-d NCHW fp32 descriptor of n×c×h×w (made on first use); _type: of
   cuDNN data type t (CUDNN_DATA_BFLOAT16 for bf16's casts). */
ramp_status ramp__cuda_tensor(ramp_net *net, cudnnTensorDescriptor_t *d, int n, int c, int h,
                              int w);
ramp_status ramp__cuda_tensor_type(ramp_net *net, cudnnTensorDescriptor_t *d, cudnnDataType_t t,
                                   int n, int c, int h, int w);

#endif
