/* fit.c — training loop, evaluation and prediction.
 *
 * fit_generator pulls batches from the generators on the calling thread and
 * runs every compute step there, on its OpenMP team (loader threads only
 * fill batches). Per step: forward (training) → logits → softmax
 * cross-entropy in plain C → backward → optimiser. A backend with a stage
 * entry (CUDA) gets batch s + 1 once step s's backward and optimiser are
 * queued, to copy it to the device while step s computes (and to wait for
 * the loader, if it must, while the GPU works); the CPU backends have none,
 * and their loop is the same calls in the same order as ever (their
 * backward may read the batch in place, which the next fetch may free).
 * Each step and each epoch's end (with its validation figures) is reported to the training
 * generator (ramp_gen_progress), so a builder's listener sees the fit
 * without the caller wiring anything. The backend builds its
 * primitives once per batch size, so a short last batch costs one extra set
 * for the whole run. Every public entry computes with denormals flushed to
 * zero (ramp__ftz_enter), the progress callback included, on the net's
 * OpenMP thread count; both are the caller's again when it returns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"

/* Grows the plain logits/probs buffers to n rows. */
static ramp_status reserve(ramp_net *net, size_t n)
{
    if (n <= net->cap_n) return RAMP_OK;
    size_t k = net->out_size;
    float *a = realloc(net->logits, n * k * sizeof(float));
    if (a) net->logits = a;
    float *b = realloc(net->dlogits, n * k * sizeof(float));
    if (b) net->dlogits = b;
    float *c = realloc(net->probs, n * k * sizeof(float));
    if (c) net->probs = c;
    if (!a || !b || !c) return ramp__net_fail(net, RAMP_ENOMEM, "out of memory for %zu rows", n);
    net->cap_n = n;
    return RAMP_OK;
}

static ramp_status prepare(ramp_net *net)
{
    ramp_status st = ramp__net_finalize(net);
    if (st) return st;
    net->errmsg[0] = '\0';
    return ramp__net_to_backend(net);
}

/* What a public call that computes changes on the caller's thread, and puts
   back when it returns: the OpenMP thread count, then denormals flushed on
   all its threads (ramp__ftz_enter) until ramp__ftz_leave. */
typedef struct compute_scope {
    int old_threads;
    ramp__ftz ftz;
} compute_scope;

static void compute_begin(ramp_net *net, compute_scope *cs)
{
    cs->old_threads = ramp__nn_omp_threads();
    ramp__nn_set_omp_threads(net->prm.n_threads);
    ramp__ftz_enter(&cs->ftz);
}

static void compute_end(compute_scope *cs)
{
    ramp__ftz_leave(&cs->ftz);
    ramp__nn_set_omp_threads(cs->old_threads);
}

static ramp_status check_labels(ramp_net *net, const int32_t *y, size_t n)
{
    if (!y) return ramp__net_fail(net, RAMP_EINVAL, "labels are missing");
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= net->n_classes)
            return ramp__net_fail(net, RAMP_ERANGE, "label %d of sample %zu not in [0, %d)",
                                  (int)y[i], i, net->n_classes);
    return RAMP_OK;
}

/* The targets the loss reads, for rows [0, n) (see tgt_at). */
typedef struct tgt {
    const int32_t *y;
    const int32_t *mask;
    const ramp_obj *obj;
    const size_t *obj_off;
} tgt;

static tgt tgt_of(const ramp_batch *b)
{
    return (tgt){ b->y, b->mask, b->obj, b->obj_off };
}

/* The targets of rows from `i` on. */
static tgt tgt_at(const ramp_net *net, const tgt *t, size_t i)
{
    const ramp__node *L = &net->nodes[net->logits_node];
    tgt r = *t;
    if (r.y) r.y += i;
    if (r.mask) r.mask += i * (size_t)L->h * L->w;
    if (r.obj_off) r.obj_off += i;
    return r;
}

static ramp_status check_mask(ramp_net *net, const int32_t *mask, size_t n, int mh, int mw,
                              const char *which)
{
    const ramp__node *L = &net->nodes[net->logits_node];
    if (!mask)
        return ramp__net_fail(net, RAMP_EINVAL, "%s batch: per-pixel softmax needs masks (the "
                              "output is %dx%dx%d; a classifier ends with flatten and dense)",
                              which, L->c, L->h, L->w);
    if (mh != L->h || mw != L->w)
        return ramp__net_fail(net, RAMP_ESHAPE, "%s batch: masks are %dx%d, the net's output "
                              "(layer %d) is %dx%d: they must be the same size", which, mh, mw,
                              net->logits_node, L->h, L->w);
    size_t hw = (size_t)mh * mw;
    for (size_t i = 0; i < n * hw; i++)
        if (mask[i] != RAMP_IGNORE_LABEL && (mask[i] < 0 || mask[i] >= net->n_classes))
            return ramp__net_fail(net, RAMP_ERANGE, "%s batch: mask of sample %zu has class %d "
                                  "at row %zu, column %zu, not in [0, %d) nor %d", which, i / hw,
                                  (int)mask[i], i % hw / (size_t)mw, i % (size_t)mw,
                                  net->n_classes, RAMP_IGNORE_LABEL);
    return RAMP_OK;
}

static ramp_status check_objs(ramp_net *net, const ramp_obj *obj, const size_t *off, size_t n,
                              const char *which)
{
    if (!off)
        return ramp__net_fail(net, RAMP_EINVAL, "%s batch: the CenterNet loss needs objects "
                              "(obj, obj_off)", which);
    if (off[n] > off[0] && !obj)
        return ramp__net_fail(net, RAMP_EINVAL, "%s batch: obj is NULL", which);
    for (size_t i = 0; i < n; i++)
        if (off[i + 1] < off[i])
            return ramp__net_fail(net, RAMP_EINVAL, "%s batch: obj_off decreases at sample %zu",
                                  which, i);
    return RAMP_OK;
}

static ramp_status check_batch(ramp_net *net, const ramp_batch *b, const char *which)
{
    const ramp__node *in = &net->nodes[0];
    if (b->sample_size != ramp__node_size(in))
        return ramp__net_fail(net, RAMP_ESHAPE, "%s batch: %zu floats per sample, the net takes "
                              "%dx%dx%d", which, b->sample_size, in->c, in->h, in->w);
    if (b->n == 0) return ramp__net_fail(net, RAMP_EINVAL, "%s batch is empty", which);
    if (net->loss == RAMP_LOSS_PIXEL_SOFTMAX)
        return check_mask(net, b->mask, b->n, b->mask_h, b->mask_w, which);
    if (net->loss == RAMP_LOSS_CENTERNET) return check_objs(net, b->obj, b->obj_off, b->n, which);
    return check_labels(net, b->y, b->n);
}

/* The net's loss over m rows of net->logits against targets t (NULL: none,
   for predict): probs and dlogits (either may be NULL) as the loss functions
   write them; *loss the mean, *weight what it is a mean over (rows, or
   counted pixels), *num / *den the accuracy's counts. */
static ramp_status net_loss(ramp_net *net, const tgt *t, size_t m, float *probs, float *dlogits,
                            float ls, double *loss, double *weight, size_t *num, size_t *den)
{
    const ramp__node *L = &net->nodes[net->logits_node];
    double l = 0;
    size_t a = 0, b = 0;
    switch (net->loss) {
    case RAMP_LOSS_PIXEL_SOFTMAX:
        l = ramp__pixel_xent(probs, dlogits, &a, &b, net->logits, t ? t->mask : NULL, m, L->c,
                             L->h, L->w, net->class_w);
        if (weight) *weight = (double)b;
        break;
    case RAMP_LOSS_CENTERNET: {
        ramp_err e = { 0 };
        const ramp__node *in = &net->nodes[0];
        ramp_status st = ramp__centernet_loss(&l, probs, dlogits, &a, &b, net->logits,
                                              t ? t->obj : NULL, t ? t->obj_off : NULL, m, L->c,
                                              L->h, L->w, &net->prm.centernet, in->h, in->w, &e);
        if (st) return ramp__net_fail(net, st, "%s", e.msg);
        if (weight) *weight = (double)m;
        break;
    }
    default:
        l = ramp__softmax_xent(probs, dlogits, &a, net->logits, t ? t->y : NULL, m,
                               net->n_classes, ls, net->class_w);
        b = t && t->y ? m : 0;
        if (weight) *weight = (double)m;
        break;
    }
    if (loss) *loss = l;
    if (num) *num = a;
    if (den) *den = b;
    return RAMP_OK;
}

static ramp_status forward_backward(ramp_net *net, const ramp_batch *b, float label_smoothing,
                                    double *loss)
{
    ramp_status st = prepare(net);
    if (st || (st = check_batch(net, b, "forward_backward")) || (st = reserve(net, b->n)))
        return st;
    if ((st = net->be->forward(net, net->be_st, b->X, b->n, 1, net->logits))) return st;
    if (b->n > net->train_n) net->train_n = b->n;
    tgt t = tgt_of(b);
    if ((st = net_loss(net, &t, b->n, NULL, net->dlogits, label_smoothing, loss, NULL, NULL,
                       NULL)))
        return st;
    return net->be->backward(net, net->be_st, net->dlogits, b->n);
}

/* A batch of n samples of the net's input shape. */
static ramp_batch batch_of(const ramp_net *net, const float *X, const int32_t *y, size_t n)
{
    const ramp__node *in = &net->nodes[0];
    return (ramp_batch){ .X = X, .y = y, .n = n, .sample_size = ramp__node_size(in), .ndim = 3,
                         .shape = { in->c, in->h, in->w } };
}

ramp_status ramp_net_forward_backward(ramp_net *net, const float *X, const int32_t *y, size_t n,
                                      float label_smoothing, double *loss)
{
    if (!net || !X || !y || n == 0) return RAMP_EINVAL;
    compute_scope cs;
    compute_begin(net, &cs);
    ramp_batch b = batch_of(net, X, y, n);
    ramp_status st = prepare(net);
    if (!st && net->loss != RAMP_LOSS_SOFTMAX)
        st = ramp__net_fail(net, RAMP_EUNSUPPORTED, "forward_backward: the net's loss reads "
                            "masks or objects: use ramp_net_forward_backward_batch");
    if (!st) st = forward_backward(net, &b, label_smoothing, loss);
    compute_end(&cs);
    return st;
}

ramp_status ramp_net_forward_backward_batch(ramp_net *net, const ramp_batch *b, double *loss)
{
    if (!net || !b || !b->X || b->n == 0) return RAMP_EINVAL;
    compute_scope cs;
    compute_begin(net, &cs);
    ramp_status st = forward_backward(net, b, 0.f, loss);
    compute_end(&cs);
    return st;
}

ramp_status ramp_net_get_output(ramp_net *net, int id, float *out, size_t count)
{
    if (!net || !out || !net->finalized || id < 0 || id >= net->n_nodes) return RAMP_EINVAL;
    return net->be->output_read(net, net->be_st, id, 0, out, count);
}

ramp_status ramp_net_get_output_grad(ramp_net *net, int id, float *out, size_t count)
{
    if (!net || !out || !net->finalized || id < 0 || id >= net->n_nodes) return RAMP_EINVAL;
    if (!net->nodes[id].needs_grad && id != 0)
        return ramp__net_fail(net, RAMP_EINVAL, "layer %d: its gradient is not computed", id);
    return net->be->output_read(net, net->be_st, id, 1, out, count);
}

/* Forward in evaluation mode in chunks of `chunk` rows. Once the net has
   trained, a chunk is its largest training batch, and a shorter last chunk
   is padded with zero rows (whose logits are dropped; rows are independent
   in evaluation): the backend's plan for that batch serves every
   evaluation, as a plan for another size would hold a whole second set of
   activations, gradients and scratch (a 256-row plan of a small CNN is
   four times its 64-row training plan). Before any training: 256 rows. */
static ramp_status eval_rows(ramp_net *net, const float *X, const tgt *t, size_t n,
                             float *probs, double *loss_sum, double *weight_sum, size_t *correct,
                             size_t *counted)
{
    size_t chunk = net->train_n ? net->train_n : 256, ss = ramp__node_size(&net->nodes[0]),
           k = net->out_size;
    ramp_status st = reserve(net, net->train_n ? chunk : n < chunk ? n : chunk);
    if (st) return st;
    float *pad = NULL;
    for (size_t i = 0; i < n && !st; i += chunk) {
        size_t m = n - i < chunk ? n - i : chunk, rows = m, ok = 0;
        const float *x = X + i * ss;
        if (m < chunk && net->train_n) {
            if (!(pad = calloc(chunk * ss, sizeof *pad))) {
                st = ramp__net_fail(net, RAMP_ENOMEM, "out of memory for %zu rows", chunk);
                break;
            }
            memcpy(pad, x, m * ss * sizeof *pad);
            x = pad;
            rows = chunk;
        }
        if ((st = net->be->forward(net, net->be_st, x, rows, 0, net->logits))) break;
        tgt ti = t ? tgt_at(net, t, i) : (tgt){ 0 };
        double l = 0, wt = 0;
        size_t cnt = 0;
        if ((st = net_loss(net, t ? &ti : NULL, m, probs ? probs + i * k : NULL, NULL, 0.f, &l,
                           &wt, &ok, &cnt)))
            break;
        if (loss_sum) *loss_sum += l * wt;
        if (weight_sum) *weight_sum += wt;
        if (correct) *correct += ok;
        if (counted) *counted += cnt;
    }
    free(pad);
    return st;
}

ramp_status ramp_net_predict(ramp_net *net, const float *X, size_t n, float *probs)
{
    if (!net || !X || !probs) return RAMP_EINVAL;
    compute_scope cs;
    compute_begin(net, &cs);
    ramp_status st = prepare(net);
    if (!st && n > 0) st = eval_rows(net, X, NULL, n, probs, NULL, NULL, NULL, NULL);
    compute_end(&cs);
    return st;
}

ramp_status ramp_net_detect(ramp_net *net, const float *X, size_t n, int max_objects,
                            float min_conf, ramp_obj *objs, int *counts)
{
    if (!net || !X || !counts || max_objects < 0 || (max_objects > 0 && !objs))
        return RAMP_EINVAL;
    compute_scope cs;
    compute_begin(net, &cs);
    ramp_status st = prepare(net);
    float *maps = NULL;
    if (!st && net->loss != RAMP_LOSS_CENTERNET)
        st = ramp__net_fail(net, RAMP_EINVAL, "detect: the net's loss is not RAMP_LOSS_CENTERNET");
    size_t per = st ? 0 : net->out_size, chunk = 64, ss = ramp__node_size(&net->nodes[0]);
    if (!st && !(maps = malloc(chunk * per * sizeof *maps)))
        st = ramp__net_fail(net, RAMP_ENOMEM, "detect: out of memory");
    for (size_t i = 0; !st && i < n; i += chunk) {
        size_t m = n - i < chunk ? n - i : chunk;
        if ((st = eval_rows(net, X + i * ss, NULL, m, maps, NULL, NULL, NULL, NULL))) break;
        const ramp__node *L = &net->nodes[net->logits_node], *in = &net->nodes[0];
        for (size_t j = 0; j < m && !st; j++) {
            st = ramp_centernet_decode(maps + j * per, L->c, L->h, L->w, &net->prm.centernet,
                                       (float)in->w / (float)L->w, (float)in->h / (float)L->h,
                                       max_objects, min_conf, objs + (i + j) * (size_t)max_objects,
                                       &counts[i + j]);
            if (st) ramp__net_fail(net, st, "detect: decoding image %zu", i + j);
        }
    }
    free(maps);
    compute_end(&cs);
    return st;
}

ramp_status ramp_net_evaluate(ramp_net *net, const float *X, const int32_t *y, size_t n,
                              double *loss, double *acc)
{
    if (!net || !X || !y || n == 0) return RAMP_EINVAL;
    double ls = 0;
    size_t ok = 0;
    compute_scope cs;
    compute_begin(net, &cs);
    ramp_status st = prepare(net);
    tgt t = { y, NULL, NULL, NULL };
    if (!st && net->loss != RAMP_LOSS_SOFTMAX)
        st = ramp__net_fail(net, RAMP_EUNSUPPORTED, "evaluate: the net's loss reads masks or "
                            "objects, not labels (fit reports its validation figures)");
    if (!st && !(st = check_labels(net, y, n)))
        st = eval_rows(net, X, &t, n, NULL, &ls, NULL, &ok, NULL);
    compute_end(&cs);
    if (st) return st;
    if (loss) *loss = ls / (double)n;
    if (acc) *acc = (double)ok / (double)n;
    return RAMP_OK;
}

const ramp_fit_progress *ramp_net_history(const ramp_net *net, size_t *n)
{
    if (n) *n = net ? net->n_hist : 0;
    return net ? net->hist : NULL;
}

/* The training generator's next batch, its wait profiled as the batch fetch. */
static ramp_status next_batch(ramp_net *net, ramp_gen *g, ramp_batch *b)
{
    double t0 = ramp__prof_t0(net);
    ramp_status st = ramp_gen_next(g, b);
    if (st) return ramp__net_fail(net, st, "training generator: %s", ramp_gen_errmsg(g));
    if (net->prof_on) ramp__prof_add(net, RAMP__PK_BATCH, RAMP_PROF_FWD, t0, 0);
    return RAMP_OK;
}

/* Validation over ceil(nb / batch) batches of `g`. */
static ramp_status validate(ramp_net *net, ramp_gen *g, size_t nb, double *loss, double *acc)
{
    size_t bs = ramp_gen_batch_size(g), steps = (nb + bs - 1) / bs, seen = 0, ok = 0;
    double ls = 0, wsum = 0;
    ramp_status st;
    for (size_t s = 0; s < steps; s++) {
        ramp_batch b;
        if ((st = ramp_gen_next(g, &b)))
            return ramp__net_fail(net, st, "validation generator: %s", ramp_gen_errmsg(g));
        if ((st = check_batch(net, &b, "validation"))) return st;
        tgt t = tgt_of(&b);
        if ((st = eval_rows(net, b.X, &t, b.n, NULL, &ls, &wsum, &ok, &seen))) return st;
    }
    *loss = wsum > 0 ? ls / wsum : 0;
    *acc = seen ? (double)ok / (double)seen : 0;
    return RAMP_OK;
}

/* The step or epoch's end to whoever listens to the training generator (a
   builder's progress callback: `ramp test`'s display). */
static void report(ramp_gen *g, const ramp_fit_progress *pr)
{
    ramp_progress p = { .epoch = pr->epoch,
                        .n_epochs = pr->epochs,
                        .batch = pr->step,
                        .n_batches = pr->steps,
                        .loss = pr->loss,
                        .accuracy = pr->acc,
                        .val_loss = pr->val_loss, /* NaN without validation */
                        .val_accuracy = pr->val_acc };
    ramp_gen_progress(g, &p);
}

static ramp_status fit(ramp_net *net, ramp_gen *train_gen, size_t nb_train, ramp_gen *valid_gen,
                       size_t nb_valid, const ramp_fit_opts *opts)
{
    if (!train_gen || !opts || nb_train == 0)
        return ramp__net_fail(net, RAMP_EINVAL, "fit: needs a training generator, samples and "
                              "options");
    ramp_status st = prepare(net);
    if (st) return st;
    ramp_fit_opts o = *opts;
    int adam = o.optimizer != RAMP_OPT_SGD;
    if (o.optimizer < RAMP_OPT_SGD || o.optimizer > RAMP_OPT_ADAMW)
        return ramp__net_fail(net, RAMP_EINVAL, "fit: unknown optimizer %d", (int)o.optimizer);
    if (o.epochs <= 0) o.epochs = 1;
    if (o.lr == 0.f) o.lr = adam ? 1e-3f : 1e-2f;
    if (o.beta1 == 0.f) o.beta1 = 0.9f;
    if (o.beta2 == 0.f) o.beta2 = 0.999f;
    if (o.eps == 0.f) o.eps = 1e-8f;
    if (!(o.lr > 0) || o.momentum < 0 || o.weight_decay < 0 || !(o.label_smoothing >= 0.f &&
        o.label_smoothing < 1.f) || (o.nesterov && o.momentum == 0.f) || o.patience < 0)
        return ramp__net_fail(net, RAMP_EINVAL, "fit: bad lr, momentum, weight decay, label "
                              "smoothing, nesterov or patience");
    size_t bs = ramp_gen_batch_size(train_gen), steps = (nb_train + bs - 1) / bs;
    if (valid_gen && nb_valid == 0) valid_gen = NULL;
    ramp__optim opt = { o.optimizer, o.lr, o.momentum, o.weight_decay, o.beta1, o.beta2, o.eps,
                        o.nesterov };
    free(net->hist);
    net->hist = calloc((size_t)o.epochs, sizeof *net->hist);
    net->n_hist = 0;
    if (!net->hist) return ramp__net_fail(net, RAMP_ENOMEM, "fit: out of memory");
    if ((st = reserve(net, bs))) return st;
    double best = INFINITY;
    int bad_epochs = 0;
    uint64_t t = 0, total = (uint64_t)steps * (uint64_t)o.epochs;
    for (int ep = 0; ep < o.epochs; ep++) {
        double t0 = ramp__now(), lsum = 0, wsum = 0;
        size_t seen = 0, ok = 0, imgs = 0;
        ramp_fit_progress pr = { 0 };
        pr.epoch = ep;
        pr.epochs = o.epochs;
        pr.steps = steps;
        pr.val_loss = pr.val_acc = NAN;
        ramp_batch next; /* batch s + 1, fetched and staged during step s (staging only) */
        int have_next = 0;
        for (size_t s = 0; s < steps; s++, t++) {
            ramp_batch b;
            double ts = ramp__prof_t0(net);
            if (have_next) {
                b = next;
                have_next = 0;
            } else if ((st = next_batch(net, train_gen, &b))) {
                return st;
            }
            if ((st = check_batch(net, &b, "training"))) return st;
            if ((st = reserve(net, b.n))) return st;
            if ((st = net->be->forward(net, net->be_st, b.X, b.n, 1, net->logits))) return st;
            if (b.n > net->train_n) net->train_n = b.n;
            size_t c = 0, cnt = 0;
            double tp = ramp__prof_t0(net), l = 0, wt = 0;
            tgt tg = tgt_of(&b);
            if ((st = net_loss(net, &tg, b.n, NULL, net->dlogits, o.label_smoothing, &l, &wt, &c,
                               &cnt)))
                return st;
            if (net->prof_on)
                ramp__prof_add(net, RAMP__PK_LOSS, RAMP_PROF_FWD, tp, 0);
            if (!isfinite(l))
                return ramp__net_fail(net, RAMP_ERANGE, "fit: loss is %g at epoch %d step %zu "
                                      "(learning rate too high?)", l, ep, s + 1);
            if ((st = net->be->backward(net, net->be_st, net->dlogits, b.n))) return st;
            opt.lr = (float)ramp__lr_at(&o, o.lr, t, total, ep);
            tp = ramp__prof_t0(net);
            if ((st = ramp__optim_step(net, &opt))) return st;
            if (net->prof_on) {
                ramp__prof_add(net, RAMP__PK_OPTIM, RAMP_PROF_FWD, tp, 0);
                ramp__prof_add(net, RAMP__PK_STEP, RAMP_PROF_FWD, ts, 0);
            }
            /* Staging: batch s + 1 now, with this step's backward and
               optimiser queued on the GPU (neither reads the host batch nor
               waits for the device), so a wait for the loader here overlaps
               GPU work and the upload overlaps it too. b's memory may die
               with this fetch: the loss has read it, and a staging backend
               holds its input on the device; next's lives until the fetch
               of step s + 1, after the forward that waits for its copy. */
            if (net->be->stage && s + 1 < steps) {
                if ((st = next_batch(net, train_gen, &next))) return st;
                have_next = 1;
                if (next.X && next.n > 0 && next.sample_size == ramp__node_size(&net->nodes[0]) &&
                    (st = net->be->stage(net, net->be_st, next.X, next.n)))
                    return st;
            }
            net->step++;
            lsum += l * wt;
            wsum += wt;
            seen += cnt;
            ok += c;
            imgs += b.n;
            pr.step = s + 1;
            pr.loss = wsum > 0 ? lsum / wsum : 0;
            pr.acc = seen ? (double)ok / (double)seen : 0;
            pr.lr = opt.lr;
            double dt = ramp__now() - t0;
            pr.images_per_s = dt > 0 ? (double)imgs / dt : 0;
            if (s + 1 < steps) report(train_gen, &pr);
            if (o.progress && o.progress_every && (s + 1) % o.progress_every == 0 && s + 1 < steps &&
                o.progress(&pr, o.user))
                return ramp__net_fail(net, RAMP_ECANCELED, "fit: stopped by the progress callback");
        }
        if (valid_gen && (st = validate(net, valid_gen, nb_valid, &pr.val_loss, &pr.val_acc)))
            return st;
        pr.end_of_epoch = 1;
        net->hist[net->n_hist++] = pr;
        report(train_gen, &pr);
        if (o.progress && o.progress(&pr, o.user))
            return ramp__net_fail(net, RAMP_ECANCELED, "fit: stopped by the progress callback");
        if (o.patience > 0 && valid_gen) {
            if (pr.val_loss < best - o.min_delta) {
                best = pr.val_loss;
                bad_epochs = 0;
            } else if (++bad_epochs >= o.patience) {
                break;
            }
        }
    }
    return RAMP_OK;
}

ramp_status ramp_net_fit_generator(ramp_net *net, ramp_gen *train_gen, size_t nb_train,
                                   ramp_gen *valid_gen, size_t nb_valid, const ramp_fit_opts *opts)
{
    if (!net) return RAMP_EINVAL;
    compute_scope cs;
    compute_begin(net, &cs);
    ramp_status st = fit(net, train_gen, nb_train, valid_gen, nb_valid, opts);
    if (net->be_st && net->be->stage) { /* a fit that stopped early may leave a copy in flight,
                                           reading the generator's memory: done before it dies */
        ramp_status cs_st = net->be->stage(net, net->be_st, NULL, 0);
        if (!st) st = cs_st;
    }
    compute_end(&cs);
    return st;
}
