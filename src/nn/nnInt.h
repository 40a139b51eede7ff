/* nnInt.h — the engine's internals: the layer graph, parameters, the backend
 * table and the plain C reference kernels.
 *
 * The network is a list of nodes in creation order (a topological order: a
 * node only reads earlier nodes). The graph, the shapes and the plain copies
 * of the parameters belong to the net (net.c); all compute goes through a
 * backend table (oneDNN in backend_dnnl.c and its per-family dnnl_*.c, the
 * reference in backend_ref.c and ref_*.c), which owns the activations and the
 * parameters in its own layouts. A third backend (cuDNN) only has to fill the
 * same table, and can mirror the oneDNN backend's per-op entries (dnnlInt.h).
 *
 * Where the parameters' truth lies: `plain_valid` says the plain copies are
 * current, `backend_valid` that the backend's are; each side refreshes from
 * the other on demand (param_sync).
 *
 * Reference kernels (ref_*.c) are plain functions: outputs first, then
 * inputs, then sizes; shapes in comments; tensors N×C×H×W. Their backward
 * functions ACCUMULATE into every gradient they write (+=), so a caller
 * zeroes gradients once per step and branches sum for free.
 */
#ifndef RAMP_NN_INT_H
#define RAMP_NN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/nn.h"
#include "ramp/rng.h"

typedef enum ramp__op {
    RAMP__OP_INPUT,
    RAMP__OP_CONV,
    RAMP__OP_DENSE,
    RAMP__OP_MAXPOOL,
    RAMP__OP_AVGPOOL,
    RAMP__OP_GAP,
    RAMP__OP_RELU,
    RAMP__OP_LRELU,
    RAMP__OP_SIGMOID,
    RAMP__OP_TANH,
    RAMP__OP_SOFTMAX,
    RAMP__OP_BN,
    RAMP__OP_DROPOUT,
    RAMP__OP_FLATTEN,
    RAMP__OP_ADD,
    RAMP__OP_CLIP,  /* min(max(x, alpha), beta) */
    RAMP__OP_MUL,   /* in[0] ⊙ in[1]; in[1] same shape or C×1×1, broadcast over H×W */
    RAMP__OP_CONCAT, /* channels (flat: features) of in[0], then of in[1] */
    RAMP__OP_UPSAMPLE, /* k = scale factor, pad = ramp_upsample_mode */
    RAMP__OP_DECONV    /* transposed conv: k, stride, pad, opad; weights I×O×K×K */
} ramp__op;

enum { RAMP__P_WEIGHT = 0, RAMP__P_BIAS = 1, RAMP__P_RMEAN = 2, RAMP__P_RVAR = 3, RAMP__P_MAX = 4 };

/* One parameter tensor. `plain` is in the public layout (see nn.h);
   w/g/m1/m2 are the backend's storage (n floats each, the backend's layout,
   padding included), g the gradient of the last step, m1/m2 optimiser state. */
typedef struct ramp__param {
    int used;
    int trainable; /* 0 for running statistics */
    int ndim;
    int dims[5];
    size_t n_plain;
    float *plain;
    float *w, *g; /* allocated by the backend (malloc family), freed by the net */
    size_t n;
    float *m1, *m2; /* owned by the net (optim.c) */
    float *s1, *s2; /* m1, m2 in the plain layout while the backend is rebuilt
                       (ramp__net_reopen); optim.c takes them back on its next step */
    uint64_t t;     /* Adam steps this state has taken (its bias correction) */
} ramp__param;

#define RAMP__NAME_MAX 63 /* bytes of a layer name (ramp_net_set_name) */

typedef struct ramp__node {
    ramp__op op;
    int in[2], n_in;
    int c, h, w;   /* output shape of one sample */
    int flat;      /* output is a feature vector (dense, flatten, GAP-free dense input) */
    int k, stride, pad, groups, bias; /* conv, pools; dense: k = units */
    float alpha;   /* leaky slope, dropout rate, BN momentum */
    float eps;     /* BN */
    ramp_init init;
    ramp__param p[RAMP__P_MAX];
    int n_consumers;
    int needs_grad; /* a parameter that learns (ramp__node_learns) lies at or before it:
                       its output gradient is computed */
    /* Fine-tuning (net.c: ramp_net_set_name, _freeze, _set_lr_mult, _freeze_bn_stats): */
    char name[RAMP__NAME_MAX + 1]; /* the default "<type><id>" until set */
    int name_set;  /* name was given by ramp_net_set_name */
    int frozen;    /* its parameters are not trained */
    float lr_mult; /* the optimiser's step for its parameters is lr · lr_mult (push sets 1) */
    int bn_frozen; /* BN: training normalises with the running statistics, and keeps them */
    /* Set by the backend as it builds: */
    int fused_relu; /* its only consumer, a ReLU (or a clip), runs inside it (no output of
                       its own) */
    int overwritten; /* its only consumer, an add, sums in place over its output */
    unsigned wino;  /* conv passes (bit 1 << ramp_prof_pass) run as Winograd */
    int own_fwd;    /* conv forward runs ramp__conv3x3c16_fwd, not oneDNN's primitive
                       (in the plan built last) */
    int own_bww;    /* and backward-weights runs ramp__conv3x3c16_bwd_weights */
    int dilation;   /* conv: taps dilation pixels apart (≥ 1) */
    float beta;     /* clip: upper bound (alpha the lower) */
    int opad;       /* transposed conv: output padding (0 ≤ opad < stride) */
} ramp__node;

/* Does node nd train its parameters (not frozen, lr_mult > 0)? Those that do
   not get no gradient, and needs_grad stops before them. */
static inline int ramp__node_learns(const ramp__node *nd)
{
    return !nd->frozen && nd->lr_mult > 0.f;
}

/* Profiling (ramp_net_profile): entries are the ops above, then these. */
enum {
    RAMP__PK_REORDER = RAMP__OP_DECONV + 1,
    RAMP__PK_GRADSUM,
    RAMP__PK_LOSS,
    RAMP__PK_OPTIM,
    RAMP__PK_BATCH,
    RAMP__PK_STEP,
    RAMP__PK_N
};

typedef struct ramp__prof_cell {
    uint64_t calls;
    double s, flops;
} ramp__prof_cell;

#define RAMP__NN_BACKEND_API 4

struct ramp__optim; /* below */

/* The backend table. `st` is the backend's state for one net. */
typedef struct ramp__nn_backend {
    int api_version; /* RAMP__NN_BACKEND_API */
    const char *name;
    ramp_status (*create)(ramp_net *net, void **st);
    void (*destroy)(void *st);
    /* Forward over n samples. X: n×C×H×W plain; logits: n×K plain, the
       output of the logits node (the last one, or the one before a final
       softmax). `training` selects batch statistics and dropout. */
    ramp_status (*forward)(ramp_net *net, void *st, const float *X, size_t n, int training,
                           float *logits);
    /* Backward through the last forward. dlogits: n×K plain. OVERWRITES the
       gradient g of every trainable parameter. */
    ramp_status (*backward)(ramp_net *net, void *st, const float *dlogits, size_t n);
    /* Copies parameters plain → backend (to_backend = 1) or back; the
       backend allocates its storage (p->w, p->g, p->n) on the first call. */
    ramp_status (*param_sync)(ramp_net *net, void *st, int to_backend);
    /* Gradient of one parameter in its plain layout. */
    ramp_status (*grad_read)(ramp_net *net, void *st, int id, int kind, float *out);
    /* Output (grad = 0) or output gradient (grad = 1) of node `id` from the last
       pass, n×C×H×W plain, into out[count]; RAMP_ESHAPE unless count is that size. */
    ramp_status (*output_read)(ramp_net *net, void *st, int id, int grad, float *out,
                               size_t count);
    /* Converts a buffer laid out as parameter (id, kind)'s storage (p->n
       floats: optimiser state) to its plain layout (to_backend = 0) or back,
       once that parameter has storage. */
    ramp_status (*state_convert)(ramp_net *net, void *st, int id, int kind, const float *src,
                                 float *dst, int to_backend);
    /* The three below are optional (NULL in the CPU backends, whose storage
       is host memory that optim.c and fit.c use as it is). */
    /* One optimiser step (optim.c's formulas) on the backend's own copies of
       the parameters, gradients and optimiser state (a device's), for every
       parameter optim.c would step: used, trainable, with storage, of a node
       that learns. ramp__optim_step has already allocated p->m1, p->m2 on
       the host (zeros, or state taken back after a rebuild) and counted p->t;
       the backend takes a host m1/m2 in as its state the first time it sees
       it. first[i·RAMP__P_MAX + k]: this step starts (i, k)'s momentum
       buffer (buf = d). NULL: optim.c steps p->w on the host. */
    ramp_status (*optim_step)(ramp_net *net, void *st, const struct ramp__optim *o,
                              const uint8_t *first);
    /* Makes the host's p->m1, p->m2 current (from the backend's own state)
       before something reads them (ramp__net_reopen). NULL: they are. */
    ramp_status (*state_sync)(ramp_net *net, void *st);
    /* Starts copying the input of the next training forward, X (n samples,
       plain), while the current step computes; a forward called next with
       the same X and n takes it. X must stay valid and unchanged until that
       forward returns, or until stage(net, st, NULL, 0), which waits for
       any copy in flight and forgets it (a caller that stops before the
       forward must call it before X dies). NULL: no staging. */
    ramp_status (*stage)(ramp_net *net, void *st, const float *X, size_t n);
} ramp__nn_backend;

extern const ramp__nn_backend ramp__nn_backend_ref;
/* Parameters kept in their plain layout (backend_ref.c; the CUDA backend's
   host copies too): allocation and copies, gradient reads, state
   conversion (a copy). `who` names the backend in a message. */
ramp_status ramp__plain_param_sync(ramp_net *net, int to_backend, const char *who);
ramp_status ramp__plain_grad_read(ramp_net *net, void *vst, int id, int kind, float *out);
ramp_status ramp__plain_state_convert(ramp_net *net, void *vst, int id, int kind,
                                      const float *src, float *dst, int to_backend);
extern const ramp__nn_backend ramp__nn_backend_dnnl;
#ifdef RAMP_HAVE_CUDA
extern const ramp__nn_backend ramp__nn_backend_cuda; /* backend_cuda.c */
/* Loads cuBLAS and cuDNN once (cuda_dl.h); 0 with the reason in why. */
int ramp__cuda_dl_load(char *why, size_t len);
#endif

/* Whether a GPU of compute capability major.minor (its name gpu) runs
   RAMP_MATH_BF16 (device.c: 8.0 or later, bf16 tensor cores); 0 with the
   refusal, naming the GPU, in why. The CUDA backend asks it at create. */
int ramp__cuda_bf16_ok(int major, int minor, const char *gpu, char *why, size_t len);

/* The device a net asking for `asked` computes on (device.c): CPU or CUDA
   in *out; RAMP_EUNSUPPORTED, saying why and what to do, when CUDA is asked
   for and cannot run here; RAMP_EINVAL for an unknown value. */
ramp_status ramp__device_resolve(ramp_device asked, ramp_device *out, ramp_err *err);

struct ramp_net {
    ramp_net_params prm;
    ramp__node *nodes;
    int n_nodes, cap_nodes;
    int cur;
    ramp_status build_st;
    char errmsg[512];
    const ramp__nn_backend *be;
    void *be_st;
    int plain_valid, backend_valid;
    int logits_node; /* set by ramp__net_finalize */
    int n_classes;   /* channels of the logits node (K) */
    float *class_w;  /* K class weights of the softmax losses (a copy), or NULL */
    size_t out_size; /* floats per sample of the logits node (K, or C×H×W) */
    ramp_loss loss;  /* the loss in use (never AUTO once finalized) */
    int finalized;
    uint64_t step; /* optimiser steps taken; keys the dropout streams */
    float *logits, *dlogits, *probs;
    size_t cap_n;
    size_t train_n; /* the largest training batch so far (0: none): evaluation runs in
                       batches of it, through its plan (fit.c, eval_rows) */
    ramp_fit_progress *hist;
    size_t n_hist;
    int prof_on; /* ramp_net_profile */
    ramp__prof_cell prof[RAMP__PK_N][RAMP_PROF_N_PASSES];
    /* 1: builders leave conv and dense weights at zero instead of drawing
       them (the ONNX importer, which sets every one: drawing ResNet-50's
       25 M normal values took 3 of its 3.3 s) */
    int no_init;
};

/* Profiling: start time if on (else 0), and the sum of one timed section. */
double ramp__now(void);
static inline double ramp__prof_t0(const ramp_net *net)
{
    return net->prof_on ? ramp__now() : 0.0;
}
static inline void ramp__prof_add(ramp_net *net, int kind, int pass, double t0, double flops)
{
    ramp__prof_cell *c = &net->prof[kind][pass];
    c->calls++;
    c->s += ramp__now() - t0;
    c->flops += flops;
}

/* Denormal floats flushed to zero (FTZ) and read as zero (DAZ) while the
   engine computes, on the calling thread and on every thread of its OpenMP
   team: gradients and optimiser state drift into the denormal range, where
   x86 arithmetic is up to 100× slower (an SGD step of the reference CNN went
   from 0.5 to 3 ms). ramp__ftz_enter saves each thread's mode, and
   ramp__ftz_leave puts it back, so code around the engine never sees the
   change. No-op off x86. */
#define RAMP__FTZ_MAX_THREADS 256
typedef struct ramp__ftz {
    unsigned old[RAMP__FTZ_MAX_THREADS];
} ramp__ftz;
void ramp__ftz_enter(ramp__ftz *f);
void ramp__ftz_leave(ramp__ftz *f);

/* A layer's name in messages ("conv2d", "dense", ...). */
const char *ramp__op_name(ramp__op op);

/* Formats the net's error message; returns st. */
ramp_status ramp__net_fail(ramp_net *net, ramp_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Checks the graph can be trained (a logits node, consumer counts,
   needs_grad) and creates the backend; idempotent. */
ramp_status ramp__net_finalize(ramp_net *net);
/* Takes the backend down (parameters and optimiser state saved to their plain
   copies first) so that the graph, freezing or batchnorm modes may change
   after the net was used; the next finalize builds a new one. No-op before
   finalize. */
ramp_status ramp__net_reopen(ramp_net *net);
/* Makes the backend's parameters current. */
ramp_status ramp__net_to_backend(ramp_net *net);
/* Makes the plain parameters current. */
ramp_status ramp__net_to_plain(ramp_net *net);
/* Applies the thread count to the calling thread's OpenMP team. */
void ramp__nn_set_omp_threads(int n);
/* The calling thread's team size (omp_get_max_threads); 0 without a runtime. */
int ramp__nn_omp_threads(void);
/* Runs fn(user, tid, n) on each of the n threads of the calling thread's
   OpenMP team (libgomp, the runtime libdnnl brings), or once as (0, 1)
   where there is none. */
void ramp__nn_parallel(void (*fn)(void *user, int tid, int n), void *user);
/* Thread tid's share [*a, *b) of n work items, cut into nth contiguous
   ranges of near-equal size. */
static inline void ramp__nn_share(long n, int tid, int nth, long *a, long *b)
{
    *a = n * tid / nth;
    *b = n * (tid + 1) / nth;
}
/* 3×3 convolution, stride 1, padding 1, of a 16-channel input, forward
   (conv3x3c16.c): y[N][O/16][H][W][16] = x[N][H][W][16] ⊛ w[O/16][3][3][16][16]
   + b[O] (b may be NULL), then ReLU if relu; O a multiple of 16. Winograd
   F(4×4, 3×3) from 8×8 images on (normalised error about 1e-12 against the
   direct sum), direct below. Runs on the calling thread's OpenMP team. Only
   where ramp__conv3x3c16_available() (the CPU has AVX-512). */
int ramp__conv3x3c16_available(void);
void ramp__conv3x3c16_fwd(float *y, const float *x, const float *w, const float *b, int N, int O,
                          int H, int W, int relu);
/* Its backward-data for 16 output channels: dx[N][H][W][16] = add (may be
   NULL, or dx itself: accumulates) + the input gradient from dy[N][H][W][16],
   with wt the filters ramp__conv3x3c16_flip made from w[3][3][16][16]. */
void ramp__conv3x3c16_flip(float *wt, const float *w);
void ramp__conv3x3c16_bwd_data(float *dx, const float *dy, const float *wt, const float *add,
                               int N, int H, int W);
/* Its backward-weights for 16 output channels, Winograd: dw[3][3][16][16]
   (the weights' layout) and db[16] (if db) from x[N][H][W][16] and
   dy[N][H][W][16], overwritten. scratch: 64-byte aligned, of the floats
   ramp__conv3x3c16_bwd_weights_scratch gives, which is 0 where the kernel
   does not apply (images under 8×8, no AVX-512). The result does not depend
   on the thread count. */
size_t ramp__conv3x3c16_bwd_weights_scratch(int N, int H, int W);
void ramp__conv3x3c16_bwd_weights(float *dw, float *db, const float *x, const float *dy,
                                  float *scratch, int N, int H, int W);
/* A batchnorm's batch statistics in one pass (bn_stats.c): mean[C] and the
   biased var[C] of x[N][C/16][HW][16], C a multiple of 16; part: scratch of
   N·C·2 doubles. Runs on the calling thread's OpenMP team; the result does
   not depend on the thread count. Only where ramp__bn_stats_available()
   (the CPU has AVX-512). */
int ramp__bn_stats_available(void);
void ramp__bn_stats(float *mean, float *var, const float *x, int N, int C, int HW, double *part);
/* Floats per sample of node `id`'s output. */
size_t ramp__node_size(const ramp__node *nd);
/* RAMP_ESHAPE with a message unless count = rows × node `id`'s size. */
ramp_status ramp__net_check_count(ramp_net *net, int id, size_t rows, size_t count);

/* Mean softmax cross-entropy over n rows of k logits, with label smoothing
   ls (target = (1-ls)·onehot + ls/k). Writes probs (n×k, may be NULL),
   dlogits (n×k, d mean loss / d logits; may be NULL), and counts correct
   argmax predictions in *correct (may be NULL). Returns the mean loss.
   w (k class weights, or NULL): row i counts w[y[i]] times, the mean is
   over the sum of those weights. */
double ramp__softmax_xent(float *probs, float *dlogits, size_t *correct, const float *logits,
                          const int32_t *y, size_t n, int k, float ls, const float *w);

/* The losses of segmentation and detection (loss_dense.c), over n samples
   of the logits node's output (k channels of h×w, plain N×C×H×W). Each
   writes dlogits (d mean loss / d logits; may be NULL) and the transformed
   output (probs, may be NULL), and returns the loss; *num and *den (may be
   NULL) get the accuracy's counts (correct and counted pixels, or objects
   found and objects). */
/* Per-pixel softmax cross-entropy against mask (n×h×w), RAMP_IGNORE_LABEL
   skipped, the mean over counted pixels; with class weights cw (k values,
   or NULL) a pixel of class t counts cw[t] times and the mean is over the
   sum of the counted pixels' weights. */
double ramp__pixel_xent(float *probs, float *dlogits, size_t *num, size_t *den,
                        const float *logits, const int32_t *mask, size_t n, int k, int h, int w,
                        const float *cw);
/* CenterNet loss (nn.h) for head cfg (its defaults applied), input size
   in_h × in_w, objects obj[obj_off[i] .. obj_off[i+1]) of sample i (obj
   NULL: no targets, only probs). Fails (RAMP_ERANGE, message in err) on an
   object of a class outside [0, K). */
ramp_status ramp__centernet_loss(double *loss, float *probs, float *dlogits, size_t *num,
                                 size_t *den, const float *logits, const ramp_obj *obj,
                                 const size_t *obj_off, size_t n, int c, int h, int w,
                                 const ramp_centernet *cfg, int in_h, int in_w, ramp_err *err);
/* Channels a CenterNet head of cfg has. */
int ramp__centernet_channels(const ramp_centernet *cfg);

/* Optimiser step over every trainable parameter (optim.c). */
typedef struct ramp__optim {
    ramp_optimizer kind;
    float lr, momentum, wd, beta1, beta2, eps;
    int nesterov; /* (Adam's bias correction counts each parameter's own steps: ramp__param.t) */
} ramp__optim;
ramp_status ramp__optim_step(ramp_net *net, ramp__optim *o);
/* Learning rate at global step `t` (0-based) of `total`, epoch `epoch`. */
double ramp__lr_at(const ramp_fit_opts *o, double base, uint64_t t, uint64_t total, int epoch);

/* --- reference kernels (ref_*.c) ------------------------------------------ */

/* Output size of a window op: floor((in + 2p - k) / s) + 1. */
int ramp__out_size(int in, int k, int s, int p);
/* The same for taps d apart: floor((in + 2p - d(k-1) - 1) / s) + 1. */
int ramp__out_size_dil(int in, int k, int s, int p, int d);

/* y[N,O,OH,OW] = conv(x[N,C,H,W], w[O,C/G,K,K]) + b[O] (b may be NULL),
   stride S, padding P, groups G, dilation D. */
void ramp__ref_conv_fwd(float *y, const float *x, const float *w, const float *b, int N, int C,
                        int H, int W, int O, int K, int S, int P, int G, int D);
/* Accumulates dx[N,C,H,W] (may be NULL), dw[O,C/G,K,K], db[O] (may be NULL). */
void ramp__ref_conv_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, int N, int C, int H, int W, int O, int K, int S, int P,
                        int G, int D);
/* y[N,O] = x[N,I] · w[O,I]ᵀ + b[O] (b may be NULL). */
void ramp__ref_dense_fwd(float *y, const float *x, const float *w, const float *b, int N, int I,
                         int O);
/* Accumulates dx[N,I] (may be NULL), dw[O,I], db[O] (may be NULL). */
void ramp__ref_dense_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                         const float *w, int N, int I, int O);
/* Max pooling; arg[N,C,OH,OW] keeps the flat H·W index of each max (−1 if
   the window is all padding). */
void ramp__ref_maxpool_fwd(float *y, int32_t *arg, const float *x, int N, int C, int H, int W,
                           int K, int S, int P);
void ramp__ref_maxpool_bwd(float *dx, const float *dy, const int32_t *arg, int N, int C, int H,
                           int W, int K, int S, int P);
/* Average pooling over K×K windows, padded zeros counted. */
void ramp__ref_avgpool_fwd(float *y, const float *x, int N, int C, int H, int W, int K, int S,
                           int P);
void ramp__ref_avgpool_bwd(float *dx, const float *dy, int N, int C, int H, int W, int K, int S,
                           int P);
void ramp__ref_gap_fwd(float *y, const float *x, int N, int C, int HW);
void ramp__ref_gap_bwd(float *dx, const float *dy, int N, int C, int HW);
/* Elementwise activation (op RELU, LRELU, SIGMOID, TANH) over n values. */
void ramp__ref_act_fwd(float *y, const float *x, size_t n, ramp__op op, float alpha);
/* Accumulates dx from dy and the forward's output y (x for leaky ReLU's sign). */
void ramp__ref_act_bwd(float *dx, const float *dy, const float *x, const float *y, size_t n,
                       ramp__op op, float alpha);
/* Batch norm, training: batch mean/var (biased) over N,H,W per channel are
   written to mean[C], var[C]. */
void ramp__ref_bn_fwd_train(float *y, float *mean, float *var, const float *x,
                            const float *gamma, const float *beta, int N, int C, int HW,
                            float eps);
void ramp__ref_bn_fwd_infer(float *y, const float *x, const float *gamma, const float *beta,
                            const float *mean, const float *var, int N, int C, int HW, float eps);
/* Backward when the statistics are constants (frozen: the running ones),
   y = γ(x − mean)/√(var + ε) + β: accumulates dx = dy·γ/√(var + ε) (dx may
   be NULL), dgamma = Σ dy·x̂, dbeta = Σ dy. */
void ramp__ref_bn_bwd_global(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *x, const float *gamma, const float *mean,
                             const float *var, int N, int C, int HW, float eps);
/* Accumulates dx (may be NULL), dgamma[C], dbeta[C]. */
void ramp__ref_bn_bwd(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                      const float *gamma, const float *mean, const float *var, int N, int C,
                      int HW, float eps);
/* y = min(max(x, lo), hi) over n values; backward accumulates dx += dy
   where lo < y < hi (where the forward passed x through). */
void ramp__ref_clip_fwd(float *y, const float *x, size_t n, float lo, float hi);
void ramp__ref_clip_bwd(float *dx, const float *dy, const float *y, size_t n, float lo, float hi);
/* y[N,C,HW] = a[N,C,HW] · b[N,C,HB] with HB = HW (elementwise) or 1 (b
   broadcast over the plane). Backward accumulates da (may be NULL) += dy·b
   and db (may be NULL) += dy·a, summed over the plane when HB = 1. */
void ramp__ref_mul_fwd(float *y, const float *a, const float *b, int N, int C, int HW, int HB);
void ramp__ref_mul_bwd(float *da, float *db, const float *dy, const float *a, const float *b,
                       int N, int C, int HW, int HB);
/* y[N, CA+CB, HW] = a[N,CA,HW] then b[N,CB,HW] per sample; backward
   accumulates each part of dy into da, db (either may be NULL). */
void ramp__ref_concat_fwd(float *y, const float *a, const float *b, int N, int CA, int CB, int HW);
void ramp__ref_concat_bwd(float *da, float *db, const float *dy, int N, int CA, int CB, int HW);
/* Upsampling by S (ref_resize.c): y[N,C,H·S,W·S] from x[N,C,H,W], mode
   ramp_upsample_mode; backward accumulates dx. */
void ramp__ref_upsample_fwd(float *y, const float *x, int N, int C, int H, int W, int S,
                            int mode);
void ramp__ref_upsample_bwd(float *dx, const float *dy, int N, int C, int H, int W, int S,
                            int mode);
/* Transposed convolution (ref_resize.c): y[N,O,OH,OW] from x[N,C,H,W],
   w[C,O,K,K], b[O] (may be NULL), stride S, padding P, OH = (H−1)S − 2P + K
   + opad (passed as OH, OW). Backward accumulates dx (may be NULL), dw, db
   (may be NULL). */
void ramp__ref_deconv_fwd(float *y, const float *x, const float *w, const float *b, int N, int C,
                          int H, int W, int O, int OH, int OW, int K, int S, int P);
void ramp__ref_deconv_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                          const float *w, int N, int C, int H, int W, int O, int OH, int OW,
                          int K, int S, int P);
/* Dropout mask (0 or 1/(1-rate)) for n values, drawn from r. */
void ramp__dropout_mask(float *mask, size_t n, float rate, ramp_rng *r);

#endif
