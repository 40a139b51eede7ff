/* ramp/nn.h — the built-in deep-learning engine.
 *
 * A network is built layer by layer on an opaque handle, Keras-style; every
 * builder appends one layer that reads the *current* layer (the last one
 * added, or the one chosen with ramp_net_from()), so branches and residual
 * blocks are written without a graph language:
 *
 *     ramp_net *net;
 *     ramp_err err;
 *     if (ramp_net_new(&net, &(ramp_net_params){ .channels = 1, .height = 28,
 *                                                .width = 28, .seed = 42 }, &err))
 *         return err.code;
 *     ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1 });
 *     ramp_net_relu(net);
 *     ramp_net_maxpool(net, 2, 2, 0);
 *     int skip = ramp_net_last(net);                  // residual block
 *     ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1 });
 *     ramp_net_batchnorm(net, 0, 0);
 *     ramp_net_add(net, skip);                        // current + skip
 *     ramp_net_relu(net);
 *     ramp_net_flatten(net);
 *     ramp_net_dense(net, &(ramp_dense){ .units = 10 });
 *     ramp_status st = ramp_net_fit_generator(net, train, nb_train, valid, nb_valid,
 *                          &(ramp_fit_opts){ .epochs = 3, .lr = 0.01f, .momentum = 0.9f });
 *     if (st) fprintf(stderr, "%s\n", ramp_net_errmsg(net));
 *     ramp_net_predict(net, X, n, probs);             // n × 10 probabilities
 *     ramp_net_free(net);
 *
 * Builder errors are sticky: the first one is kept (ramp_net_errmsg()) and
 * returned again by every later builder, fit and predict call, so a chain of
 * builders may be checked once at the end.
 *
 * C++ has no compound literals (`&(ramp_conv2d){...}` does not compile), so
 * for C++ this header adds overloads that take the option structs by
 * reference; a temporary then reads almost as in C (designated initialisers
 * need C++20; in C++17 name the fields in order, or fill a named struct):
 *
 *     ramp_net_new(&net, ramp_net_params{.channels = 1, .height = 28, .width = 28}, &err);
 *     ramp_net_conv2d(net, ramp_conv2d{.filters = 32, .kernel = 3, .padding = 1});  // C++20
 *     ramp_conv2d c{};  c.filters = 32;  c.kernel = 3;                  // any C++
 *     ramp_net_conv2d(net, c);
 *     ramp_fit_opts o{};  o.epochs = 3;  o.lr = 0.01f;
 *     ramp_net_fit_generator(net, train, nb_train, valid, nb_valid, o);
 *
 * Tensors are float32, N×C×H×W at the edges (inputs, probabilities, saved
 * weights: PyTorch's layouts, conv weights O×(I/groups)×KH×KW, dense weights
 * O×I with I in C,H,W order). Inside, the oneDNN backend keeps activations and
 * weights in the layouts oneDNN prefers. The last layer gives the logits; a
 * final softmax layer is folded into the loss (softmax cross-entropy).
 *
 * Threads: compute runs on the calling thread's OpenMP team (oneDNN), of
 * `n_threads` threads (0: the cores). Training is reproducible bit for bit for
 * the same seed, data order, backend and thread count.
 *
 * Thread-safety: one net is used by one thread at a time.
 */
#ifndef RAMP_NN_H
#define RAMP_NN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ramp/gen.h"
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_net ramp_net;

typedef enum ramp_nn_backend {
    RAMP_NN_DNNL = 0, /* oneDNN on the CPU (the fast path; default) */
    RAMP_NN_REF = 1   /* plain C reference: slow, for tests */
} ramp_nn_backend;

typedef enum ramp_init {
    RAMP_INIT_DEFAULT = 0, /* He for conv and dense */
    RAMP_INIT_HE,          /* normal(0, sqrt(2 / fan_in)) */
    RAMP_INIT_GLOROT       /* uniform(±sqrt(6 / (fan_in + fan_out))) */
} ramp_init;

/* Where a net computes. CUDA needs a ramp built with it (CMake
   -DRAMP_CUDA=ON or AUTO with the CUDA toolkit and cuDNN found) and a
   usable GPU at run time (a driver and at least one device): asking for it
   otherwise fails ramp_net_new with RAMP_EUNSUPPORTED saying which of the
   two is missing. There is never a silent fall-back to the CPU: only AUTO
   chooses, and says what it chose (ramp_net_device). On CUDA, `backend`
   and `conv_algo` (CPU choices) are ignored. */
typedef enum ramp_device {
    RAMP_DEVICE_CPU = 0,  /* the CPU, on `backend` (default) */
    RAMP_DEVICE_CUDA = 1, /* the first CUDA GPU, on cuDNN and cuBLAS */
    RAMP_DEVICE_AUTO = 2  /* CUDA when ramp was built with it and a GPU is present, else CPU */
} ramp_device;

/* 1 when this ramp was built with CUDA (whether or not a GPU is present). */
int ramp_cuda_built(void);
/* 1 when CUDA nets can run here: built with CUDA, a driver loads and sees
   at least one GPU. Otherwise 0 and, when why is not NULL, why[len] gets
   the reason and what to do (NUL-terminated, truncated). Thread-safe; asks
   the driver on every call (cheap after the first). */
int ramp_cuda_available(char *why, size_t len);
/* What this build of the engine computes on, one line (static storage):
   "engine: oneDNN and reference backends; CUDA: built (CUDA runtime 13000,
   cuDNN 9.x.y, cuBLAS)" or "...; CUDA: not built". */
const char *ramp_nn_build_info(void);
/* "cpu", "cuda" or "auto" (static storage); NULL for another value. */
const char *ramp_device_name(ramp_device d);
/* Parses "cpu", "cuda" or "auto" into *out; RAMP_EINVAL otherwise. */
ramp_status ramp_device_parse(const char *name, ramp_device *out);

/* The arithmetic a net may compute its convolutions and matrix products
   in. FP32 (the default): IEEE single precision throughout, every backend.
   TF32: allows the GPU's TF32 tensor cores (10-bit mantissas in the
   products' inputs, fp32 sums: about 1e-3 relative error per product, for
   speed on Ampere and later GPUs), as torch's allow_tf32; only
   device CUDA uses it (cuDNN's convolutions, cuBLAS's dense layers).
   BF16: mixed precision as torch's autocast to bfloat16: convolutions,
   transposed convolutions and dense layers take their inputs, weights and
   output gradients rounded to bfloat16 (8-bit significands: at most 4e-3
   relative error per value) on the tensor cores, summing in fp32;
   everything else (batch norm, activations, pooling, the loss, the
   optimiser and the master weights) stays fp32. bf16 has fp32's exponent
   range, so no loss scaling is needed. On CUDA it needs bf16 tensor cores
   (compute capability 8.0, Ampere, or later): an older GPU is
   RAMP_EUNSUPPORTED at the net's first pass, naming it. On the CPU
   backends TF32 and BF16 are accepted and change nothing: they compute in
   fp32 (more than either asks; a net built for either device keeps one
   setting). No fp16 here. */
typedef enum ramp_math {
    RAMP_MATH_FP32 = 0, /* fp32 (default) */
    RAMP_MATH_TF32 = 1, /* TF32 tensor cores allowed where the device has them */
    RAMP_MATH_BF16 = 2  /* bf16 autocast of the heavy ops, fp32 master weights (CUDA) */
} ramp_math;
/* "fp32", "tf32" or "bf16" (static storage); NULL for another value. */
const char *ramp_math_name(ramp_math m);
/* Parses "fp32", "tf32" or "bf16" into *out; RAMP_EINVAL otherwise. */
ramp_status ramp_math_parse(const char *name, ramp_math *out);
/* 1 when CUDA nets in math m can run on this machine's GPU (device 0):
   CUDA available (ramp_cuda_available) and, for bf16, bf16 tensor cores.
   Otherwise 0 and why[len] says why (as ramp_cuda_available). What a
   command checks before its first fold, so that an old GPU is refused
   there rather than in every fold's net. */
int ramp_cuda_math_ok(ramp_math m, char *why, size_t len);

/* How the oneDNN backend computes convolutions. */
typedef enum ramp_conv_algo {
    RAMP_CONV_AUTO = 0, /* per layer and pass: Winograd F(4×4, 3×3) where it is the faster
                           (3×3, stride 1, enough channels: see docs/engine.md), else direct;
                           3×3 convolutions of 16 channels into 16 on ramp's own kernels */
    RAMP_CONV_DIRECT    /* oneDNN's direct convolution everywhere */
} ramp_conv_algo;

/* --- losses ----------------------------------------------------------------
   The last layer gives the logits; the loss reads them against the batch's
   targets (ramp_batch in gen.h):
   - RAMP_LOSS_SOFTMAX: a vector of K class scores per sample, labels y.
   - RAMP_LOSS_PIXEL_SOFTMAX (segmentation): a K×H×W output, one softmax
     cross-entropy per pixel against the batch's mask (n × H × W classes,
     mask_h = H and mask_w = W exactly, else fit fails naming both sizes),
     pixels labelled RAMP_IGNORE_LABEL (255) skipped, the mean over the
     batch's counted pixels (torch's cross_entropy(ignore_index=255)).
     Accuracy is pixel accuracy; ramp_net_predict writes n × K×H×W per-pixel
     probabilities.
   - RAMP_LOSS_CENTERNET (detection, "Objects as Points"): the output holds
     K heat-map channels (one per class, sigmoid), then the size channels
     (boxes: 2, the width and height; circles: 1, the radius), then, with
     `offset`, 2 offset channels (x, y), all at the output's H×W, of stride
     s = input size / output size (per axis). Sizes and offsets are in
     output cells (input pixels / s). Targets come from the batch's objects
     (obj, obj_off; input-tensor pixels, gen.h). Each object puts a Gaussian
     peak on its class's heat map at the cell holding its centre, of radius
     CenterNet's gaussian_radius(w/s, h/s, min_overlap) (a circle's box is
     2r × 2r), σ = (2·radius + 1) / 6, the maximum where peaks overlap. Loss
     = focal + size_weight · L1(size) + offset_weight · L1(offset): the
     penalty-reduced focal loss (α = 2, β = 4) over every heat value summed
     and divided by the batch's peak count (heat targets equal to 1, one per
     object unless two share a cell and class; at least 1), the L1 terms the
     mean over the batch's objects and their channels, read at each object's
     centre cell. Objects whose centre lies outside the input are skipped.
     Accuracy is the share of objects whose centre cell's heat for their
     class is above 0.5. ramp_net_predict writes the maps with the heat
     channels through the sigmoid (the others as they are); ramp_net_detect
     or ramp_centernet_decode turn them into objects. */
typedef enum ramp_loss {
    RAMP_LOSS_AUTO = 0,      /* SOFTMAX (a K×H×W output needs PIXEL_SOFTMAX set: predict
                                then writes K×H×W values a sample, not K) */
    RAMP_LOSS_SOFTMAX,       /* class labels y */
    RAMP_LOSS_PIXEL_SOFTMAX, /* masks */
    RAMP_LOSS_CENTERNET      /* objects */
} ramp_loss;

typedef struct ramp_centernet {
    int n_classes;       /* K heat-map channels (≥ 1) */
    int geometry;        /* 0: boxes (2 size channels: w, h); 1: circles (1: r) */
    int offset;          /* 1: 2 offset channels (sub-cell centre x, y) after the sizes */
    float size_weight;   /* 0 → 0.1 */
    float offset_weight; /* 0 → 1 */
    float min_overlap;   /* Gaussian radius: 0 → 0.7 */
} ramp_centernet;

typedef struct ramp_net_params {
    int channels, height, width; /* one input sample, C×H×W (all ≥ 1) */
    uint64_t seed;               /* weight initialisation and dropout stream */
    ramp_nn_backend backend;
    int n_threads; /* OpenMP threads for compute; 0: the cores */
    ramp_conv_algo conv_algo;
    /* 1: run every ReLU as its own layer instead of fusing it into the conv,
       dense, batchnorm or add before it (and every clip instead of fusing it
       into the conv, dense or add before it); slower, but then every layer's
       own output can be read with ramp_net_get_output() (for debugging) */
    int no_fuse;
    /* 1: every layer keeps its own output gradient after a backward pass,
       for ramp_net_get_output_grad(); 0: layers whose gradients are not
       needed at the same time share buffers (less memory, warmer caches) */
    int keep_grads;
    /* What the net is trained on (see "losses" above); 0 (RAMP_LOSS_AUTO):
       RAMP_LOSS_SOFTMAX, softmax cross-entropy on the batch labels */
    ramp_loss loss;
    ramp_centernet centernet; /* the detection head, when loss = RAMP_LOSS_CENTERNET */
    ramp_device device;       /* 0 (RAMP_DEVICE_CPU): the CPU; see ramp_device */
    /* Class weights of the softmax losses (SOFTMAX, PIXEL_SOFTMAX): K values,
       finite, >= 0, not all 0 (copied by ramp_net_new; K is checked against
       the output when the net is first used). Each sample (pixel) counts
       w[its class] times: the loss is the sum of w[t]·(−log p_t) over the
       sum of w[t], as PyTorch's CrossEntropyLoss(weight=w) (with label
       smoothing, the smoothed cross-entropy of each sample is weighted the
       same way). NULL (n_class_weights 0): every class 1. A background
       that fills most pixels of a segmentation kit trains better down-
       weighted (kits/objects_segmentation's unet: 0.3). */
    const float *class_weights;
    int n_class_weights;
    ramp_math math; /* 0 (RAMP_MATH_FP32): fp32; see ramp_math */
} ramp_net_params;

/* Creates an empty network holding only its input layer (id 0). On failure
   *out is NULL and `err` (may be NULL) has the message. Caller frees with
   ramp_net_free(). */
ramp_status ramp_net_new(ramp_net **out, const ramp_net_params *p, ramp_err *err);

/* Frees the network; NULL is a no-op. */
void ramp_net_free(ramp_net *net);

/* The device the net computes on: CPU or CUDA (AUTO resolved at
   ramp_net_new); -1 for NULL. */
int ramp_net_device(const ramp_net *net);

/* Last error message ("" if none); borrowed, valid until the next call. */
const char *ramp_net_errmsg(const ramp_net *net);

/* Sets the number of compute threads (0: the cores). */
ramp_status ramp_net_set_threads(ramp_net *net, int n_threads);

/* --- building ------------------------------------------------------------
   Every builder appends one layer fed by the current layer and makes it the
   current one. Layers are numbered in order of creation, the input being 0. */

typedef struct ramp_conv2d {
    int filters;     /* output channels (≥ 1) */
    int kernel;      /* square kernel (1 to 1024) */
    int stride;      /* 0 → 1 */
    int padding;     /* zero padding on each side */
    int groups;      /* 0 → 1; must divide input channels and filters */
    int no_bias;     /* 1: no bias term */
    ramp_init init;
    /* 0 → 1, at most 1024; taps `dilation` pixels apart (atrous): output size
       floor((in + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1.
       An architecture attribute: the weights are the same K×K. */
    int dilation;
} ramp_conv2d;

typedef struct ramp_dense {
    int units;   /* outputs (≥ 1); a 3-D input is flattened (C,H,W order) */
    int no_bias;
    ramp_init init;
} ramp_dense;

ramp_status ramp_net_conv2d(ramp_net *net, const ramp_conv2d *o);
ramp_status ramp_net_dense(ramp_net *net, const ramp_dense *o);
/* stride 0 → kernel. Average pooling counts padded zeros (PyTorch's
   count_include_pad=True). */
ramp_status ramp_net_maxpool(ramp_net *net, int kernel, int stride, int padding);
ramp_status ramp_net_avgpool(ramp_net *net, int kernel, int stride, int padding);
/* C×H×W → C×1×1: the mean of each channel's H×W plane (any H and W). */
ramp_status ramp_net_global_avgpool(ramp_net *net);
ramp_status ramp_net_relu(ramp_net *net);
ramp_status ramp_net_leaky_relu(ramp_net *net, float alpha);
ramp_status ramp_net_sigmoid(ramp_net *net);
ramp_status ramp_net_tanh(ramp_net *net);
/* Softmax over classes; allowed only as the last layer (folded into the loss).
   Its input is flat, or (with RAMP_LOSS_PIXEL_SOFTMAX) K×H×W: a softmax over
   the K channels at each pixel. */
ramp_status ramp_net_softmax(ramp_net *net);
/* Batch normalisation over channels. momentum (0 → 0.1) weighs the new batch
   in the running statistics as in PyTorch; eps 0 → 1e-5. Training uses the
   batch statistics, evaluation (validation, predict) the running ones. */
ramp_status ramp_net_batchnorm(ramp_net *net, float momentum, float eps);
/* Zeroes each value with probability `rate` in training (scaling the rest by
   1/(1-rate)); identity in evaluation. 0 ≤ rate < 1. */
ramp_status ramp_net_dropout(ramp_net *net, float rate);
/* C×H×W → (C·H·W)×1×1. */
ramp_status ramp_net_flatten(ramp_net *net);
/* current + layer `other` (same shape). */
ramp_status ramp_net_add(ramp_net *net, int other);
/* y = min(max(x, lo), hi), lo < hi (ReLU6 is clip(0, 6)); the gradient
   passes where lo < x < hi and is zero elsewhere. */
ramp_status ramp_net_clip(ramp_net *net, float lo, float hi);
/* current ⊙ layer `other`, elementwise: `other` has the current layer's
   shape, or holds one value per channel (C×1×1, or a flat vector of C
   features), which scales that channel's whole H×W plane (squeeze-and-
   excitation gates). Gradients flow to both layers. */
ramp_status ramp_net_mul(ramp_net *net, int other);
/* The channels of the current layer, then those of layer `other` (same
   H×W): C1×H×W and C2×H×W give (C1+C2)×H×W; flat vectors join their
   features. The gradient is split back between the two. */
ramp_status ramp_net_concat(ramp_net *net, int other);

/* Upsampling by an integer factor (2 to 8) on each axis: C×H×W →
   C×(H·scale)×(W·scale). NEAREST repeats each value; BILINEAR interpolates
   as torch's interpolate(mode='bilinear', align_corners=False) (source
   coordinate (x + 0.5) / scale − 0.5, clamped at 0 and at the edge). */
typedef enum ramp_upsample_mode {
    RAMP_UPSAMPLE_NEAREST = 0,
    RAMP_UPSAMPLE_BILINEAR = 1
} ramp_upsample_mode;
ramp_status ramp_net_upsample(ramp_net *net, int scale, ramp_upsample_mode mode);

/* Transposed convolution (torch.nn.ConvTranspose2d, groups 1, dilation 1):
   output size (in − 1)·stride − 2·padding + kernel + output_padding.
   Weights I×O×K×K (PyTorch's layout for it), bias O. */
typedef struct ramp_conv_transpose2d {
    int filters;        /* output channels (≥ 1) */
    int kernel;         /* square kernel (1 to 1024) */
    int stride;         /* 0 → 1 */
    int padding;        /* 0 ≤ padding; the output must keep at least one pixel */
    int output_padding; /* 0 ≤ output_padding < stride: extra rows and columns at the end */
    int no_bias;
    ramp_init init;     /* He / Glorot with fan_in = input channels · K² */
} ramp_conv_transpose2d;
ramp_status ramp_net_conv_transpose2d(ramp_net *net, const ramp_conv_transpose2d *o);

/* Id of the current layer. */
int ramp_net_last(const ramp_net *net);
/* Makes layer `id` current, to start a branch from it. */
ramp_status ramp_net_from(ramp_net *net, int id);

/* Number of layers (input included), output shape of layer `id` (C,H,W;
   dense outputs are K×1×1) and trainable parameters in the whole net
   (those of frozen layers, or of lr_mult 0, not counted). */
int ramp_net_n_layers(const ramp_net *net);
ramp_status ramp_net_layer_shape(const ramp_net *net, int id, int shape[3]);
/* Layer `id`'s type as the summary writes it ("Conv2D", "Dense", "Softmax",
   ...; static storage), or NULL for a bad id. */
const char *ramp_net_layer_type(const ramp_net *net, int id);
size_t ramp_net_n_params(const ramp_net *net);

/* Writes a Keras-style summary (layer, name, type with [frozen] / [frozen
   stats] / [lr xM] marks, output shape, parameters, totals) to `f`.
   Nothing else in the library prints. */
ramp_status ramp_net_summary(ramp_net *net, FILE *f);
/* The same into buf (cap bytes, NUL-terminated, truncated if short); returns
   the length the whole summary needs, excluding the NUL. */
size_t ramp_net_summary_str(ramp_net *net, char *buf, size_t cap);

/* --- fine-tuning ---------------------------------------------------------
   Names, frozen layers, per-layer learning rates and frozen batchnorm
   statistics, as a PyTorch fine-tuning script sets them (requires_grad =
   False, param groups with their lr, bn.eval()):

       int trunk = ramp_net_find(net, "pool5");          // a loaded, trained net
       ramp_net_cut(net, trunk);                         // drop the old head
       ramp_net_dense(net, &(ramp_dense){ .units = 3 }); // a new head
       ramp_net_freeze_upto(net, trunk, 1);
       ramp_net_freeze_bn_stats(net, -1, 1);
       ramp_net_fit_generator(net, ...);                 // trains the head only
       ramp_net_freeze_upto(net, trunk, 0);              // then everything,
       ramp_net_set_lr_mult(net, 1, 0.1f);               // the first conv slowly
       ramp_net_fit_generator(net, ...);

   All of these may be called before or after the net was used (fit,
   predict): a change that alters what the engine built (the layers, which
   layers learn, a batchnorm's mode) rebuilds it at the next fit or predict
   from the weights as they are (none is lost). A layer that starts or stops
   learning starts its optimiser state (momentum, Adam moments) afresh; the
   other layers keep theirs. */

/* Names layer `id` (copied). A name is 1 to 63 bytes of printable ASCII
   without spaces, unique in the net (no other layer's name, given or
   default); else RAMP_EINVAL and nothing changes. Names show in the
   summary and survive a cut of later layers. */
ramp_status ramp_net_set_name(ramp_net *net, int id, const char *name);
/* Layer `id`'s name: the one set, else "<type><id>" with the summary's type
   in lower case ("conv2d3", "batchnorm4", "dense7"); NULL for a bad id.
   Borrowed from the net. */
const char *ramp_net_layer_name(const ramp_net *net, int id);
/* Id of the layer with that name (names set are matched before default
   ones), or -1. */
int ramp_net_find(const ramp_net *net, const char *name);

/* frozen = 1: layer `id`'s weights and bias are not trained: no optimiser
   moves them (no step, no weight decay, no momentum), and no gradient is
   computed for them (ramp_net_get_grad fails); layers before the first one
   that learns compute no gradient at all, which is where a frozen trunk
   saves time (docs/engine.md, "Fine-tuning"). frozen = 0 undoes it. A
   layer without parameters is unaffected. A frozen batchnorm still updates
   its running statistics in training unless they are frozen too
   (ramp_net_freeze_bn_stats). */
ramp_status ramp_net_freeze(ramp_net *net, int id, int frozen);
/* The same for every layer 0..id. */
ramp_status ramp_net_freeze_upto(ramp_net *net, int id, int frozen);
/* The optimiser steps layer `id`'s parameters with lr · mult (default 1),
   the schedule and warm-up applied to lr first; with AdamW the decoupled
   decay uses it too, as a PyTorch param group's lr. mult must be finite and
   ≥ 0 (else RAMP_EINVAL); 0 makes the layer behave as frozen. */
ramp_status ramp_net_set_lr_mult(ramp_net *net, int id, float mult);
/* frozen = 1: batchnorm `id` (-1: every batchnorm) normalises with its
   running mean and variance in training too, and leaves them as they are
   (PyTorch's bn.eval() during training); its backward treats them as
   constants (dx = dy·γ/√(var + ε)). γ and β still train unless the layer is
   frozen. RAMP_EINVAL if layer `id` is not a batchnorm. */
ramp_status ramp_net_freeze_bn_stats(ramp_net *net, int id, int frozen);
/* Removes every layer after `id` and makes `id` the current layer, so a new
   head can be built on it; the layers kept keep their parameters (trained
   ones too), names and settings. Works before and after a fit. A bad id is
   a sticky builder error (RAMP_EINVAL), as for ramp_net_from. */
ramp_status ramp_net_cut(ramp_net *net, int id);

/* --- training ------------------------------------------------------------ */

typedef enum ramp_optimizer {
    RAMP_OPT_SGD = 0, /* momentum, Nesterov, L2 weight decay added to the gradient */
    RAMP_OPT_ADAM,    /* L2 weight decay added to the gradient (torch.optim.Adam) */
    RAMP_OPT_ADAMW    /* decoupled weight decay (torch.optim.AdamW) */
} ramp_optimizer;

typedef enum ramp_schedule {
    RAMP_SCHED_CONST = 0,
    RAMP_SCHED_STEP,  /* lr · gamma^(epoch / step_epochs) */
    RAMP_SCHED_COSINE /* lr_min + (lr − lr_min)(1 + cos(π t / T))/2 over all steps */
} ramp_schedule;

/* What the progress callback sees. */
typedef struct ramp_fit_progress {
    int epoch, epochs;   /* 0-based epoch, total */
    size_t step, steps;  /* step within the epoch (1-based), steps per epoch */
    int end_of_epoch;    /* 1 once per epoch, after validation */
    double loss, acc;    /* running mean over the epoch so far (training mode) */
    double val_loss, val_acc; /* at end of epoch, when there is validation data; else NaN */
    double images_per_s; /* training throughput over the epoch so far */
    double lr;           /* learning rate of the last step */
} ramp_fit_progress;

typedef struct ramp_fit_opts {
    int epochs;               /* 0 → 1 */
    ramp_optimizer optimizer;
    float lr;                 /* 0 → 0.01 (SGD), 0.001 (Adam, AdamW) */
    float momentum;           /* SGD */
    int nesterov;             /* SGD, needs momentum */
    float weight_decay;
    float beta1, beta2, eps;  /* Adam: 0 → 0.9, 0.999, 1e-8 */
    ramp_schedule schedule;
    int step_epochs;          /* STEP: 0 → 1 */
    float gamma;              /* STEP: 0 → 0.1 */
    float lr_min;             /* COSINE */
    int warmup_steps;         /* linear warm-up from lr/warmup_steps, then the schedule */
    float label_smoothing;    /* 0 ≤ ls < 1 */
    int patience;             /* early stopping: epochs without val-loss improvement; 0 off */
    float min_delta;          /* improvement below this does not count */
    size_t progress_every;    /* call progress every k steps; 0: only at end of epoch */
    /* Return non-zero to stop training (fit then returns RAMP_ECANCELED). */
    int (*progress)(const ramp_fit_progress *p, void *user);
    void *user;
} ramp_fit_opts;

/* Trains on `train_gen` for opts->epochs epochs of ceil(nb_train / batch)
   steps, evaluating on `valid_gen` (may be NULL or nb_valid 0) after each
   epoch. Generators are borrowed; their batches must match the input shape
   and carry labels in [0, classes). Compute runs on an OpenMP team of the
   net's n_threads, and the calling thread's thread count is its own again
   when fit returns (so for predict and evaluate). Each step and each
   epoch's end (with its validation figures) is also reported to train_gen
   (ramp_gen_progress): a builder's generator passes it to `ramp test`'s
   display, with nothing to wire. On device CUDA the optimiser runs on the
   GPU (parameters and state stay there) and each step's batch after the
   first of an epoch is fetched right after the step before's loss and
   copied to the GPU while that step's backward runs (docs/engine.md, "CUDA
   backend"); a batch-fetch error then surfaces one step earlier. The
   optimiser's state (momentum, Adam's
   moments and step count) goes on from one fit to the next, as one
   torch.optim optimiser kept across calls: two fits of one epoch train as
   one fit of two (with the same batches and a constant learning rate). */
ramp_status ramp_net_fit_generator(ramp_net *net, ramp_gen *train_gen, size_t nb_train,
                                   ramp_gen *valid_gen, size_t nb_valid, const ramp_fit_opts *opts);

/* Per-epoch history of the last fit: n entries (train loss/acc, val loss/acc
   as in the end-of-epoch progress). Borrowed; valid until the next fit. */
const ramp_fit_progress *ramp_net_history(const ramp_net *net, size_t *n);

/* Class probabilities (evaluation mode) for n samples: X is n×C×H×W floats,
   probs n×classes. Both borrowed. Once the net has trained, it computes in
   batches of its largest training batch (the last one padded), on the
   memory training already holds; before, 256 samples at a time. Either way
   ramp_net_get_output() then reads the last of those batches. */
ramp_status ramp_net_predict(ramp_net *net, const float *X, size_t n, float *probs);

/* Objects of n images (X: n×C×H×W) from a RAMP_LOSS_CENTERNET net: for
   each image, ramp_centernet_decode of its predicted maps with the net's
   head and stride. objs holds n × max_objects entries, image i's from
   objs + i·max_objects, counts[i] of them. */
ramp_status ramp_net_detect(ramp_net *net, const float *X, size_t n, int max_objects,
                            float min_conf, ramp_obj *objs, int *counts);

/* Objects of one image from its CenterNet maps (C×H×W, heat channels
   already through the sigmoid: ramp_net_predict's output for the image),
   head `cfg`, stride sx, sy (input pixels per output cell). A peak is a
   heat value no smaller than its 3×3 neighbours on its class's map (3×3
   max pooling, as CenterNet); the max_objects highest peaks of at least
   min_conf over all classes become objects, by decreasing confidence
   (= the heat value). Centre: ((col + off_x)·sx, (row + off_y)·sy) with
   the offset channels, else the cell's centre ((col + 0.5)·sx, ...); box
   w·sx by h·sy around it; circle radius r·(sx + sy)/2. Coordinates are
   input-tensor pixels. Writes *n_out ≤ max_objects objects to out. */
ramp_status ramp_centernet_decode(const float *maps, int c, int h, int w,
                                  const ramp_centernet *cfg, float sx, float sy, int max_objects,
                                  float min_conf, ramp_obj *out, int *n_out);

/* Mean softmax cross-entropy and accuracy (evaluation mode) over n samples. */
ramp_status ramp_net_evaluate(ramp_net *net, const float *X, const int32_t *y, size_t n,
                              double *loss, double *acc);

/* --- weights -------------------------------------------------------------
   File format (little-endian), documented in docs/engine.md:
     "RAMPNNW\0" magic (8 bytes), u32 version (2), u32 tensor count, then per
     tensor: u32 layer id, u32 kind (0 weight, 1 bias, 2 running mean,
     3 running variance), u32 ndim, ndim × u32 dims, prod(dims) float32;
     then (version 2) the graph: every layer's type, inputs, attributes and
     name, so that the file alone rebuilds the net (ramp_net_new_from_file,
     `ramp model export`). Version 1 files (no graph) still load.
   Loading checks every layer id, kind and shape against the network (and
   a version 2 file's layer types): a mismatch fails with RAMP_ESHAPE
   naming the layer, and the network is left unchanged. */
ramp_status ramp_net_save(ramp_net *net, const char *path);
ramp_status ramp_net_load(ramp_net *net, const char *path);
/* A new net built from a weight file alone (version 2: its graph follows
   the tensors, docs/engine.md), with its weights. `p` gives the backend,
   threads and seed as for ramp_net_new; its input size is ignored (the
   file's). On failure *out is NULL and `err` (may be NULL) says why: a
   version 1 file holds no graph. Caller frees with ramp_net_free(). */
ramp_status ramp_net_new_from_file(ramp_net **out, const char *path, const ramp_net_params *p,
                                   ramp_err *err);

/* Direct access to one parameter tensor of layer `id` in its plain layout
   (kind as in the file format); `n` is the count of floats expected. On
   device CUDA the parameters live on the GPU: a get after training steps
   copies them all down once (later gets are free until the next step), a
   set makes the next pass upload them; neither disturbs training. The same
   holds for ramp_net_save and ramp_net_load, and ramp_net_get_grad copies
   the one gradient asked for. */
ramp_status ramp_net_get_param(ramp_net *net, int id, int kind, float *out, size_t n);
ramp_status ramp_net_set_param(ramp_net *net, int id, int kind, const float *in, size_t n);
/* Gradient of the last training step (accumulated over it), plain layout. */
ramp_status ramp_net_get_grad(ramp_net *net, int id, int kind, float *out, size_t n);

/* One forward and backward pass in training mode over a batch, without
   updating the weights: for tests and gradient checks. Writes the mean loss;
   gradients are then readable with ramp_net_get_grad(), and the logits
   (n×classes) with ramp_net_get_output() for any layer. */
ramp_status ramp_net_forward_backward(ramp_net *net, const float *X, const int32_t *y, size_t n,
                                      float label_smoothing, double *loss);
/* The same over a batch as a generator gives it, with whatever targets
   the net's loss reads (labels, masks or objects): for tests and gradient
   checks of every loss. */
ramp_status ramp_net_forward_backward_batch(ramp_net *net, const ramp_batch *b, double *loss);
/* Output of layer `id` from the last forward pass (n × C×H×W plain floats)
   into out[count]; count must be exactly that size, else RAMP_ESHAPE. A
   layer whose ReLU (or clip) was fused into it keeps no output of its own:
   reading it fails with RAMP_EUNSUPPORTED (read the ReLU's, or set
   no_fuse). */
ramp_status ramp_net_get_output(ramp_net *net, int id, float *out, size_t count);
/* Gradient of the loss w.r.t. layer `id`'s output from the last backward pass
   (n × C×H×W plain floats, into out[count], count exactly that size, else
   RAMP_ESHAPE); only for layers whose gradient was computed, and
   with the oneDNN backend only for a net built with keep_grads (else
   RAMP_EUNSUPPORTED). A fused ReLU or clip keeps no output gradient of its
   own (its layer's is there), nor does a batchnorm with a fused ReLU: both
   fail with RAMP_EUNSUPPORTED. */
ramp_status ramp_net_get_output_grad(ramp_net *net, int id, float *out, size_t count);

/* --- profiling -----------------------------------------------------------
   Opt-in timing of the training step by layer type and pass, for benchmarks.
   While on, the backend times every primitive it runs (waiting on the stream
   so each time is the primitive's own) and the training loop times the loss,
   the optimiser, the batch fetch and the whole step. Off (the default), the
   cost is one branch per primitive. A conv or dense with a fused ReLU (or
   clip) counts that layer's forward in its own time.
   FLOPs are counted analytically per call: conv 2·N·K·(C/groups)·KH·KW·OH·OW
   in each of forward, backward-data and backward-weights; dense 2·N·I·O each;
   pooling one per window tap and output; activations, clip, add and dropout
   one per element; mul one per element forward, two backward; concat none;
   batchnorm 5 per element forward, 8 backward. Other entries
   (reorders, gradient sums, loss, optimiser, step) have 0 FLOPs or a rough
   elementwise count. */

typedef enum ramp_prof_pass {
    RAMP_PROF_FWD = 0,     /* forward (training or evaluation) */
    RAMP_PROF_BWD_DATA,    /* backward to the input (batchnorm: its whole backward) */
    RAMP_PROF_BWD_WEIGHTS, /* backward to the weights (conv, dense) */
    RAMP_PROF_N_PASSES
} ramp_prof_pass;

typedef struct ramp_layer_profile {
    const char *type; /* layer type as in the summary ("Conv2D", "Dense", "Clip", "Mul",
                         "Concat", ...), or
                         "Reorder" (layout changes), "GradSum" (adding gradients of
                         branches), "Loss", "Optimizer", "Batch" (generator fetch),
                         "Step" (one whole training step; the total) */
    ramp_prof_pass pass;
    uint64_t calls;
    double seconds; /* wall time summed over the calls */
    double flops;   /* floating-point operations summed over the calls */
} ramp_layer_profile;

/* on = 1: clears the counters and starts accumulating; on = 0: stops (the
   counters are kept for ramp_net_profile_get). */
ramp_status ramp_net_profile(ramp_net *net, int on);
/* Writes up to `max` non-empty (type, pass) entries to out (may be NULL with
   max 0), layer types in a fixed order, "Step" last; returns how many there
   are in all (−1 if net is NULL). */
int ramp_net_profile_get(const ramp_net *net, ramp_layer_profile *out, int max);

#ifdef __cplusplus
} /* extern "C" */

/* C++: the option structs by reference (see the top of this file). These
   are C++ overloads of the C functions above, inline, so nothing changes in
   the library's ABI. */
inline ramp_status ramp_net_new(ramp_net **out, const ramp_net_params &p, ramp_err *err)
{
    return ramp_net_new(out, &p, err);
}
inline ramp_status ramp_net_conv2d(ramp_net *net, const ramp_conv2d &o)
{
    return ramp_net_conv2d(net, &o);
}
inline ramp_status ramp_net_dense(ramp_net *net, const ramp_dense &o)
{
    return ramp_net_dense(net, &o);
}
inline ramp_status ramp_net_conv_transpose2d(ramp_net *net, const ramp_conv_transpose2d &o)
{
    return ramp_net_conv_transpose2d(net, &o);
}
inline ramp_status ramp_net_fit_generator(ramp_net *net, ramp_gen *train_gen, size_t nb_train,
                                          ramp_gen *valid_gen, size_t nb_valid,
                                          const ramp_fit_opts &opts)
{
    return ramp_net_fit_generator(net, train_gen, nb_train, valid_gen, nb_valid, &opts);
}
#endif
#endif
