/* cuda_dense.c — the CUDA backend's dense layer on cuBLAS (cudaInt.h).
 *
 * Row-major N×I inputs and O×I weights read as cuBLAS's column-major
 * transposes, so no copy is made:
 *   forward   yᵀ[O,N] = w[O,I] · xᵀ         gemm(T, N, O, N, I)
 *   dx        dxᵀ[I,N] += wᵀ[I,O] · dyᵀ     gemm(N, N, I, N, O), beta 1
 *   dw        dwᵀ[I,O] = xᵀ[I,N] · dy[N,O]  gemm(N, T, I, O, N), beta 0
 *   db[O]     = Σ_n dy[n,O]                 (cuda_kernels.cu)
 * cuBLAS's default math mode: fp32 FMA, no TF32 (TF32 tensor cores when the net
 * allows them: the handle's math mode, backend_cuda.c). */
#include "nn/cudaInt.h"

static ramp_status fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id];
    int I = (int)ramp__node_size(&net->nodes[nd->in[0]]), O = nd->c;
    ramp__cuda_node *r = &c->nodes[id];
    const float one = 1.f, zero = 0.f;
    RAMP__BLAS(net, cublasSgemm(c->blas, CUBLAS_OP_T, CUBLAS_OP_N, O, n, I, &one, r->pw[0], I,
                                c->nodes[nd->in[0]].y, I, &zero, r->y, O));
    if (nd->p[1].used) RAMP__CU(net, ramp__cuda_bias_rows(r->y, r->pw[1], n, O));
    return RAMP_OK;
}

static ramp_status bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id], *a = &net->nodes[nd->in[0]];
    int I = (int)ramp__node_size(a), O = nd->c;
    ramp__cuda_node *r = &c->nodes[id];
    const float one = 1.f, zero = 0.f;
    if (a->needs_grad)
        RAMP__BLAS(net, cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_N, I, n, O, &one, r->pw[0], I,
                                    r->dy, O, &one, c->nodes[nd->in[0]].dy, I));
    RAMP__BLAS(net, cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_T, I, O, n, &one,
                                c->nodes[nd->in[0]].y, I, r->dy, O, &zero, r->pg[0], I));
    if (nd->p[1].used) RAMP__CU(net, ramp__cuda_bias_grad(r->pg[1], r->dy, n, O));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_dense = {NULL, NULL, fwd, bwd};
