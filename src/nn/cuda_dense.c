/* cuda_dense.c — the CUDA backend's dense layer on cuBLAS (cudaInt.h).
 *
 * Row-major N×I inputs and O×I weights read as cuBLAS's column-major
 * transposes, so no copy is made:
 *   forward   yᵀ[O,N] = w[O,I] · xᵀ         gemm(T, N, O, N, I)
 *   dx        dxᵀ[I,N] += wᵀ[I,O] · dyᵀ     gemm(N, N, I, N, O), beta 1
 *   dw        dwᵀ[I,O] = xᵀ[I,N] · dy[N,O]  gemm(N, T, I, O, N), beta 0
 *   db[O]     = Σ_n dy[n,O]                 (cuda_kernels.cu)
 * cuBLAS's default math mode: fp32 FMA, no TF32 (TF32 tensor cores when the net
 * allows them: the handle's math mode, backend_cuda.c).
 *
 * bf16 (RAMP_MATH_BF16): the same three products as cublasGemmEx with A
 * and B bf16 (the node's bf16 weights w16, and x or dy cast into the
 * backend's scratch: x16 | dy16) and C fp32, CUBLAS_COMPUTE_32F (tensor
 * cores, fp32 sums): y and dw are written and dx accumulated in fp32
 * directly, no cast back. The bias and its gradient stay fp32. */
#include "nn/cudaInt.h"

/* bf16: the scratch for x16 and dy16 at batch size n. */
static ramp_status prepare(ramp_net *net, ramp__cuda *c, int id, int n)
{
    if (!c->bf16) return RAMP_OK;
    c->nodes[id].lowp = 1; /* cuBLAS has no fp32 fall-back to take */
    const ramp__node *nd = &net->nodes[id];
    size_t I = ramp__node_size(&net->nodes[nd->in[0]]), O = (size_t)nd->c;
    return ramp__cuda_scratch16(
        net, c, ramp__cuda_s16_len((size_t)n * I) + ramp__cuda_s16_len((size_t)n * O));
}

/* C = alpha·op(A)·op(B) + beta·C, A and B bf16, C fp32, fp32 compute. */
static ramp_status gemm16(ramp_net *net, ramp__cuda *c, cublasOperation_t ta, cublasOperation_t tb,
                          int m, int n, int k, const uint16_t *A, int lda, const uint16_t *B,
                          int ldb, float beta, float *C, int ldc)
{
    const float one = 1.f;
    RAMP__BLAS(net, cublasGemmEx(c->blas, ta, tb, m, n, k, &one, A, CUDA_R_16BF, lda, B,
                                 CUDA_R_16BF, ldb, &beta, C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F,
                                 CUBLAS_GEMM_DEFAULT));
    return RAMP_OK;
}

static ramp_status fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id];
    int I = (int)ramp__node_size(&net->nodes[nd->in[0]]), O = nd->c;
    ramp__cuda_node *r = &c->nodes[id];
    const float one = 1.f, zero = 0.f;
    if (c->bf16) {
        uint16_t *x16 = c->s16;
        RAMP__CU(net, ramp__cuda_to_bf16(x16, c->nodes[nd->in[0]].y, (size_t)n * I));
        ramp_status s =
            gemm16(net, c, CUBLAS_OP_T, CUBLAS_OP_N, O, n, I, r->w16, I, x16, I, 0.f, r->y, O);
        if (s) return s;
    } else {
        RAMP__BLAS(net, cublasSgemm(c->blas, CUBLAS_OP_T, CUBLAS_OP_N, O, n, I, &one, r->pw[0], I,
                                    c->nodes[nd->in[0]].y, I, &zero, r->y, O));
    }
    if (nd->p[1].used) RAMP__CU(net, ramp__cuda_bias_rows(r->y, r->pw[1], n, O));
    return RAMP_OK;
}

static ramp_status bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id], *a = &net->nodes[nd->in[0]];
    int I = (int)ramp__node_size(a), O = nd->c;
    ramp__cuda_node *r = &c->nodes[id];
    const float one = 1.f, zero = 0.f;
    if (c->bf16) {
        uint16_t *x16 = c->s16, *dy16 = x16 + ramp__cuda_s16_len((size_t)n * I);
        RAMP__CU(net, ramp__cuda_to_bf16(dy16, r->dy, (size_t)n * O));
        ramp_status s = RAMP_OK;
        if (a->needs_grad)
            s = gemm16(net, c, CUBLAS_OP_N, CUBLAS_OP_N, I, n, O, r->w16, I, dy16, O, 1.f,
                       c->nodes[nd->in[0]].dy, I);
        if (s) return s;
        RAMP__CU(net, ramp__cuda_to_bf16(x16, c->nodes[nd->in[0]].y, (size_t)n * I));
        s = gemm16(net, c, CUBLAS_OP_N, CUBLAS_OP_T, I, O, n, x16, I, dy16, O, 0.f, r->pg[0], I);
        if (s) return s;
    } else {
        if (a->needs_grad)
            RAMP__BLAS(net, cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_N, I, n, O, &one, r->pw[0],
                                        I, r->dy, O, &one, c->nodes[nd->in[0]].dy, I));
        RAMP__BLAS(net, cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_T, I, O, n, &one,
                                    c->nodes[nd->in[0]].y, I, r->dy, O, &zero, r->pg[0], I));
    }
    if (nd->p[1].used) RAMP__CU(net, ramp__cuda_bias_grad(r->pg[1], r->dy, n, O));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_dense = {prepare, NULL, fwd, bwd};
