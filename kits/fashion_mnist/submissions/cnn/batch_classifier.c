/* The reference CNN on ramp's built-in engine (oneDNN):
 *
 *   conv 3×3 32 + ReLU + max-pool 2 → conv 3×3 64 + ReLU + max-pool 2
 *   → dense 128 + ReLU → dense n_classes (softmax folded into the loss)
 *
 * Adam with a short linear warm-up and a cosine schedule, batch 64, trained
 * from ramp's streaming generators; the engine's fit reports its progress to
 * `ramp test`'s display by itself, and each epoch goes into the fold's log.
 * (Plain SGD at lr 0.05 without warm-up diverged on one fold in three.) */
#include <stdio.h>
#include <stdlib.h>

#include <ramp/classifier.h>
#include <ramp/nn.h>

#define EPOCHS 10
#define BATCH 64

typedef struct model {
    ramp_net *net;
    int quick;
} model;

ramp_status batch_classifier_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3) return RAMP_ESHAPE;
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->quick = info->quick_test;
    ramp_err err;
    ramp_status st = ramp_net_new(&m->net,
                                  &(ramp_net_params){.channels = info->shape[0],
                                                     .height = info->shape[1],
                                                     .width = info->shape[2],
                                                     .seed = info->seed,
                                                     .n_threads = info->n_threads,
                                                     .device = (ramp_device)info->device,
                                                     .math = (ramp_math)info->math},
                                  &err);
    if (st) {
        fprintf(stderr, "cnn: %s\n", err.msg);
        free(m);
        return st;
    }
    ramp_net_conv2d(m->net, &(ramp_conv2d){.filters = 32, .kernel = 3, .padding = 1});
    ramp_net_relu(m->net);
    ramp_net_maxpool(m->net, 2, 2, 0);
    ramp_net_conv2d(m->net, &(ramp_conv2d){.filters = 64, .kernel = 3, .padding = 1});
    ramp_net_relu(m->net);
    ramp_net_maxpool(m->net, 2, 2, 0);
    ramp_net_dense(m->net, &(ramp_dense){.units = 128});
    ramp_net_relu(m->net);
    st = ramp_net_dense(m->net, &(ramp_dense){.units = info->n_classes});
    if (st) { /* builder errors are sticky: one check covers the chain */
        fprintf(stderr, "cnn: %s\n", ramp_net_errmsg(m->net));
        ramp_net_free(m->net);
        free(m);
        return st;
    }
    ramp_net_summary(m->net, stdout); /* into the fold's log */
    *self = m;
    return RAMP_OK;
}

/* Each epoch into the fold's log (the display has it already). */
static int on_epoch(const ramp_fit_progress *p, void *user)
{
    (void)user;
    if (p->end_of_epoch)
        printf("epoch %d/%d: loss %.4f acc %.4f  val_loss %.4f val_acc %.4f  %.0f img/s\n",
               p->epoch + 1, p->epochs, p->loss, p->acc, p->val_loss, p->val_acc,
               p->images_per_s);
    return 0;
}

ramp_status batch_classifier_fit(void *self, ramp_gen_builder *gb)
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
                                                 .lr = 1e-3f,
                                                 .schedule = RAMP_SCHED_COSINE,
                                                 .warmup_steps = m->quick ? 0 : 200,
                                                 .progress = on_epoch});
    if (st) fprintf(stderr, "cnn: %s\n", ramp_net_errmsg(m->net));
    return st;
}

ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    ramp_status st = ramp_net_predict(m->net, X, n, proba);
    if (st) fprintf(stderr, "cnn: %s\n", ramp_net_errmsg(m->net));
    return st;
}

void batch_classifier_free(void *self)
{
    model *m = self;
    if (!m) return;
    ramp_net_free(m->net);
    free(m);
}
