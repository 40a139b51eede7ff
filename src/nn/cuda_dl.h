/* cuda_dl.h — cuBLAS and cuDNN, loaded when a net first runs on CUDA.
 *
 * libramp links only the CUDA runtime (statically: it loads the driver on
 * its first call), so a process that never asks for CUDA maps neither
 * cuBLAS nor cuDNN: linked directly they add some 200 MiB of resident
 * memory to every process, a CPU fold's included. ramp__cuda_dl_load
 * dlopens them once (the path CMake found, else the soname) and fills
 * ramp__cudl with the functions the backend calls; below, each name
 * becomes a call through that table, so the backend's code reads as plain
 * cuDNN and cuBLAS. Included by cudaInt.h after the libraries' headers.
 */
#ifndef RAMP_CUDA_DL_H
#define RAMP_CUDA_DL_H

#include <stddef.h>

/* The functions used (cublas_v2.h maps cublasCreate & co. to _v2). */
#define RAMP__CUDA_DL_FNS(X)                                                                     \
    X(blas, cublasCreate_v2)                                                                     \
    X(blas, cublasDestroy_v2)                                                                    \
    X(blas, cublasSgemm_v2)                                                                      \
    X(blas, cublasGemmEx)                                                                        \
    X(blas, cublasSetMathMode)                                                                   \
    X(dnn, cudnnCreate)                                                                          \
    X(dnn, cudnnDestroy)                                                                         \
    X(dnn, cudnnGetErrorString)                                                                  \
    X(dnn, cudnnCreateTensorDescriptor)                                                          \
    X(dnn, cudnnDestroyTensorDescriptor)                                                         \
    X(dnn, cudnnSetTensor4dDescriptor)                                                           \
    X(dnn, cudnnCreateFilterDescriptor)                                                          \
    X(dnn, cudnnDestroyFilterDescriptor)                                                         \
    X(dnn, cudnnSetFilter4dDescriptor)                                                           \
    X(dnn, cudnnCreateConvolutionDescriptor)                                                     \
    X(dnn, cudnnDestroyConvolutionDescriptor)                                                    \
    X(dnn, cudnnSetConvolution2dDescriptor)                                                      \
    X(dnn, cudnnSetConvolutionMathType)                                                          \
    X(dnn, cudnnSetConvolutionGroupCount)                                                        \
    X(dnn, cudnnGetConvolutionForwardAlgorithm_v7)                                               \
    X(dnn, cudnnGetConvolutionBackwardFilterAlgorithm_v7)                                        \
    X(dnn, cudnnGetConvolutionBackwardDataAlgorithm_v7)                                          \
    X(dnn, cudnnConvolutionForward)                                                              \
    X(dnn, cudnnConvolutionBackwardFilter)                                                       \
    X(dnn, cudnnConvolutionBackwardData)                                                         \
    X(dnn, cudnnConvolutionBackwardBias)                                                         \
    X(dnn, cudnnAddTensor)                                                                       \
    X(dnn, cudnnCreatePoolingDescriptor)                                                         \
    X(dnn, cudnnDestroyPoolingDescriptor)                                                        \
    X(dnn, cudnnSetPooling2dDescriptor)                                                          \
    X(dnn, cudnnPoolingForward)                                                                  \
    X(dnn, cudnnPoolingBackward)                                                                 \
    X(dnn, cudnnBatchNormalizationForwardTraining)                                               \
    X(dnn, cudnnBatchNormalizationForwardInference)                                              \
    X(dnn, cudnnBatchNormalizationBackward)

typedef struct ramp__cuda_dl {
#define RAMP__CUDA_DL_FIELD(lib, name) __typeof__(name) *name;
    RAMP__CUDA_DL_FNS(RAMP__CUDA_DL_FIELD)
#undef RAMP__CUDA_DL_FIELD
} ramp__cuda_dl;

extern ramp__cuda_dl ramp__cudl;

/* Loads both libraries and every function (once, thread-safe). 1 when
   they are there; 0 with the reason in why (may be NULL). */
int ramp__cuda_dl_load(char *why, size_t len);

#ifndef RAMP__CUDA_DL_IMPL
#define cublasCreate_v2 (*ramp__cudl.cublasCreate_v2)
#define cublasDestroy_v2 (*ramp__cudl.cublasDestroy_v2)
#define cublasSgemm_v2 (*ramp__cudl.cublasSgemm_v2)
#define cublasGemmEx (*ramp__cudl.cublasGemmEx)
#define cublasSetMathMode (*ramp__cudl.cublasSetMathMode)
#define cudnnCreate (*ramp__cudl.cudnnCreate)
#define cudnnDestroy (*ramp__cudl.cudnnDestroy)
#define cudnnGetErrorString (*ramp__cudl.cudnnGetErrorString)
#define cudnnCreateTensorDescriptor (*ramp__cudl.cudnnCreateTensorDescriptor)
#define cudnnDestroyTensorDescriptor (*ramp__cudl.cudnnDestroyTensorDescriptor)
#define cudnnSetTensor4dDescriptor (*ramp__cudl.cudnnSetTensor4dDescriptor)
#define cudnnCreateFilterDescriptor (*ramp__cudl.cudnnCreateFilterDescriptor)
#define cudnnDestroyFilterDescriptor (*ramp__cudl.cudnnDestroyFilterDescriptor)
#define cudnnSetFilter4dDescriptor (*ramp__cudl.cudnnSetFilter4dDescriptor)
#define cudnnCreateConvolutionDescriptor (*ramp__cudl.cudnnCreateConvolutionDescriptor)
#define cudnnDestroyConvolutionDescriptor (*ramp__cudl.cudnnDestroyConvolutionDescriptor)
#define cudnnSetConvolution2dDescriptor (*ramp__cudl.cudnnSetConvolution2dDescriptor)
#define cudnnSetConvolutionMathType (*ramp__cudl.cudnnSetConvolutionMathType)
#define cudnnSetConvolutionGroupCount (*ramp__cudl.cudnnSetConvolutionGroupCount)
#define cudnnGetConvolutionForwardAlgorithm_v7 (*ramp__cudl.cudnnGetConvolutionForwardAlgorithm_v7)
#define cudnnGetConvolutionBackwardFilterAlgorithm_v7                                           \
    (*ramp__cudl.cudnnGetConvolutionBackwardFilterAlgorithm_v7)
#define cudnnGetConvolutionBackwardDataAlgorithm_v7                                             \
    (*ramp__cudl.cudnnGetConvolutionBackwardDataAlgorithm_v7)
#define cudnnConvolutionForward (*ramp__cudl.cudnnConvolutionForward)
#define cudnnConvolutionBackwardFilter (*ramp__cudl.cudnnConvolutionBackwardFilter)
#define cudnnConvolutionBackwardData (*ramp__cudl.cudnnConvolutionBackwardData)
#define cudnnConvolutionBackwardBias (*ramp__cudl.cudnnConvolutionBackwardBias)
#define cudnnAddTensor (*ramp__cudl.cudnnAddTensor)
#define cudnnCreatePoolingDescriptor (*ramp__cudl.cudnnCreatePoolingDescriptor)
#define cudnnDestroyPoolingDescriptor (*ramp__cudl.cudnnDestroyPoolingDescriptor)
#define cudnnSetPooling2dDescriptor (*ramp__cudl.cudnnSetPooling2dDescriptor)
#define cudnnPoolingForward (*ramp__cudl.cudnnPoolingForward)
#define cudnnPoolingBackward (*ramp__cudl.cudnnPoolingBackward)
#define cudnnBatchNormalizationForwardTraining (*ramp__cudl.cudnnBatchNormalizationForwardTraining)
#define cudnnBatchNormalizationForwardInference                                                 \
    (*ramp__cudl.cudnnBatchNormalizationForwardInference)
#define cudnnBatchNormalizationBackward (*ramp__cudl.cudnnBatchNormalizationBackward)
#endif

#endif
