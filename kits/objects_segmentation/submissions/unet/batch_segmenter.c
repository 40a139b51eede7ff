/* A small U-Net on ramp's built-in engine:
 *
 *   64×64: conv 3×3 16, conv 3×3 16 ─────────────────────────────┐ (skip)
 *   32×32: max-pool, conv 3×3 32, conv 3×3 32 ───────────┐ (skip)  │
 *   16×16: max-pool, conv 3×3 64, conv 3×3 64             │        │
 *   32×32: transposed conv 2×2/2 32, concat, conv 3×3 32 ─┘        │
 *   64×64: transposed conv 2×2/2 16, concat, conv 3×3 16 ──────────┘
 *   conv 1×1 to the classes (per-pixel softmax in the loss)
 *
 * Batch normalisation after each 3×3 conv, ReLU; Adam with a cosine
 * schedule. The batches carry the masks moved onto the 64×64 tensor
 * (255, the void rims, is skipped by the loss). The background (class 0),
 * most of every image, weighs 0.3 in the loss, the objects 1. */
#include <stdio.h>
#include <stdlib.h>

#include <ramp/detector.h>
#include <ramp/nn.h>

#define EPOCHS 8
#define BATCH 32

typedef struct model {
    ramp_net *net;
    int quick;
} model;

static void conv_bn_relu(ramp_net *net, int filters)
{
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = filters, .kernel = 3, .padding = 1,
                                        .no_bias = 1});
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
}

ramp_status batch_segmenter_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3) return RAMP_ESHAPE;
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->quick = info->quick_test;
    float weights[256];
    int k = info->n_classes > 0 && info->n_classes <= 256 ? info->n_classes : 0;
    for (int c = 0; c < k; c++) weights[c] = c == 0 ? 0.3f : 1.0f;
    ramp_err err;
    ramp_status st = ramp_net_new(&m->net,
                                  &(ramp_net_params){.channels = info->shape[0],
                                                     .height = info->shape[1],
                                                     .width = info->shape[2],
                                                     .seed = info->seed,
                                                     .n_threads = info->n_threads,
                                                     .device = (ramp_device)info->device,
                                                     .math = (ramp_math)info->math,
                                                     .loss = RAMP_LOSS_PIXEL_SOFTMAX,
                                                     .class_weights = k ? weights : NULL,
                                                     .n_class_weights = k},
                                  &err);
    if (st) {
        fprintf(stderr, "unet: %s\n", err.msg);
        free(m);
        return st;
    }
    ramp_net *net = m->net;
    conv_bn_relu(net, 16);
    conv_bn_relu(net, 16);
    int skip1 = ramp_net_last(net);
    ramp_net_maxpool(net, 2, 2, 0);
    conv_bn_relu(net, 32);
    conv_bn_relu(net, 32);
    int skip2 = ramp_net_last(net);
    ramp_net_maxpool(net, 2, 2, 0);
    conv_bn_relu(net, 64);
    conv_bn_relu(net, 64);
    ramp_net_conv_transpose2d(net, &(ramp_conv_transpose2d){.filters = 32, .kernel = 2, .stride = 2});
    ramp_net_relu(net);
    ramp_net_concat(net, skip2);
    conv_bn_relu(net, 32);
    ramp_net_conv_transpose2d(net, &(ramp_conv_transpose2d){.filters = 16, .kernel = 2, .stride = 2});
    ramp_net_relu(net);
    ramp_net_concat(net, skip1);
    conv_bn_relu(net, 16);
    st = ramp_net_conv2d(net, &(ramp_conv2d){.filters = info->n_classes, .kernel = 1});
    if (st) { /* builder errors are sticky: one check covers the chain */
        fprintf(stderr, "unet: %s\n", ramp_net_errmsg(net));
        ramp_net_free(net);
        free(m);
        return st;
    }
    ramp_net_summary(net, stdout); /* into the fold's log */
    *self = m;
    return RAMP_OK;
}

static int on_epoch(const ramp_fit_progress *p, void *user)
{
    (void)user;
    if (p->end_of_epoch)
        printf("epoch %d/%d: loss %.4f pixel acc %.4f  val_loss %.4f val pixel acc %.4f  %.0f img/s\n",
               p->epoch + 1, p->epochs, p->loss, p->acc, p->val_loss, p->val_acc, p->images_per_s);
    return 0;
}

ramp_status batch_segmenter_fit(void *self, ramp_gen_builder *gb)
{
    model *m = self;
    ramp_gen *train, *valid;
    size_t nb_train, nb_valid;
    ramp_status st = ramp_get_train_valid_generators(gb, BATCH, 0.1, &train, &valid, &nb_train,
                                                     &nb_valid);
    if (st) return st;
    st = ramp_net_fit_generator(m->net, train, nb_train, valid, nb_valid,
                                &(ramp_fit_opts){.epochs = m->quick ? 1 : EPOCHS,
                                                 .optimizer = RAMP_OPT_ADAM,
                                                 .lr = 2e-3f,
                                                 .schedule = RAMP_SCHED_COSINE,
                                                 .progress = on_epoch});
    if (st) fprintf(stderr, "unet: %s\n", ramp_net_errmsg(m->net));
    return st;
}

ramp_status batch_segmenter_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    ramp_status st = ramp_net_predict(m->net, X, n, proba);
    if (st) fprintf(stderr, "unet: %s\n", ramp_net_errmsg(m->net));
    return st;
}

void batch_segmenter_free(void *self)
{
    model *m = self;
    if (!m) return;
    ramp_net_free(m->net);
    free(m);
}
