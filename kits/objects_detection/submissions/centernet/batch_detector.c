/* A small CenterNet ("Objects as Points") on ramp's built-in engine:
 *
 *   64×64 → conv 3×3 32, max-pool → conv 3×3 64, max-pool (stride 4)
 *   → conv 3×3 64 → conv 3×3 64 (dilation 2) → conv 1×1 to the head
 *
 * The head has a heat map per class, the object's size (boxes: width and
 * height; circles: radius) and its centre's offset in the cell, at 16×16.
 * The engine renders the training targets from the batches' objects (moved
 * onto the tensor by the preprocessor's geometry) and decodes the peaks of
 * the heat maps into objects (ramp_net_detect). Works for boxes and, with
 * the kit's geometry, circles. Batch normalisation, ReLU, Adam with a
 * cosine schedule. */
#include <stdio.h>
#include <stdlib.h>

#include <ramp/detector.h>
#include <ramp/nn.h>

#define EPOCHS 12
#define BATCH 32
#define MIN_CONF 0.05f

typedef struct model {
    ramp_net *net;
    int quick, max_objects, head_channels;
    int *counts;
    size_t cap;
} model;

static void conv_bn_relu(ramp_net *net, int filters, int dilation)
{
    ramp_net_conv2d(net, &(ramp_conv2d){.filters = filters, .kernel = 3, .padding = dilation,
                                        .dilation = dilation, .no_bias = 1});
    ramp_net_batchnorm(net, 0, 0);
    ramp_net_relu(net);
}

void batch_detector_free(void *self)
{
    model *m = self;
    if (!m) return;
    ramp_net_free(m->net);
    free(m->counts);
    free(m);
}

ramp_status batch_detector_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3) return RAMP_ESHAPE;
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->quick = info->quick_test;
    m->max_objects = info->max_objects;
    int k = info->n_classes;
    ramp_centernet head = {.n_classes = k, .geometry = info->geometry, .offset = 1};
    m->head_channels = k + (info->geometry == 1 ? 1 : 2) + 2;
    ramp_err err;
    ramp_status st = ramp_net_new(&m->net,
                                  &(ramp_net_params){.channels = info->shape[0],
                                                     .height = info->shape[1],
                                                     .width = info->shape[2],
                                                     .seed = info->seed,
                                                     .n_threads = info->n_threads,
                                                     .device = (ramp_device)info->device,
                                                     .math = (ramp_math)info->math,
                                                     .loss = RAMP_LOSS_CENTERNET,
                                                     .centernet = head},
                                  &err);
    if (st) {
        fprintf(stderr, "centernet: %s\n", err.msg);
        free(m);
        return st;
    }
    ramp_net *net = m->net;
    conv_bn_relu(net, 32, 1);
    ramp_net_maxpool(net, 2, 2, 0);
    conv_bn_relu(net, 64, 1);
    ramp_net_maxpool(net, 2, 2, 0);
    conv_bn_relu(net, 64, 1);
    conv_bn_relu(net, 64, 2);
    st = ramp_net_conv2d(net, &(ramp_conv2d){.filters = m->head_channels, .kernel = 1});
    float *bias = calloc((size_t)m->head_channels, sizeof *bias);
    if (!st && !bias) st = RAMP_ENOMEM;
    if (!st) {
        for (int c = 0; c < k; c++) bias[c] = -2.19f; /* heat starts at p = 0.1 */
        st = ramp_net_set_param(net, ramp_net_last(net), 1, bias, (size_t)m->head_channels);
    }
    free(bias);
    if (st) {
        fprintf(stderr, "centernet: %s\n", ramp_net_errmsg(net));
        batch_detector_free(m);
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
        printf("epoch %d/%d: loss %.4f centre hits %.4f  val_loss %.4f  %.0f img/s\n", p->epoch + 1,
               p->epochs, p->loss, p->acc, p->val_loss, p->images_per_s);
    return 0;
}

ramp_status batch_detector_fit(void *self, ramp_gen_builder *gb)
{
    model *m = self;
    ramp_gen *train, *valid;
    size_t nb_train, nb_valid;
    ramp_status st = ramp_get_train_valid_generators(gb, BATCH, 0.1, &train, &valid, &nb_train,
                                                     &nb_valid);
    if (st) return st;
    st = ramp_net_fit_generator(m->net, train, nb_train, valid, nb_valid,
                                &(ramp_fit_opts){.epochs = m->quick ? 2 : EPOCHS,
                                                 .optimizer = RAMP_OPT_ADAM,
                                                 .lr = 2e-3f,
                                                 .schedule = RAMP_SCHED_COSINE,
                                                 .progress = on_epoch});
    if (st) fprintf(stderr, "centernet: %s\n", ramp_net_errmsg(m->net));
    return st;
}

ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *objs,
                                   size_t *n_objs)
{
    model *m = self;
    if (n > m->cap) {
        int *c = realloc(m->counts, n * sizeof *c);
        if (!c) return RAMP_ENOMEM;
        m->counts = c;
        m->cap = n;
    }
    ramp_status st = ramp_net_detect(m->net, X, n, m->max_objects, MIN_CONF, objs, m->counts);
    if (st) {
        fprintf(stderr, "centernet: %s\n", ramp_net_errmsg(m->net));
        return st;
    }
    for (size_t i = 0; i < n; i++) n_objs[i] = (size_t)m->counts[i];
    return RAMP_OK;
}
