/* Transfer learning on ramp's engine: start from a network pretrained
 * elsewhere, give it a new head, train the head alone, then fine-tune.
 *
 * pretrained.onnx (shipped in this folder, read from the submission's
 * read-only folder in the sandbox) is a small CNN — three conv-BN-ReLU
 * stages, a global average "features", a 5-class "head" — trained by ramp
 * on the Fashion-MNIST training images of classes 0–4 only, then exported
 * (`bench/transfer/run.sh --kit-file` makes it again; it never saw a test
 * image). Here:
 *
 *   1. import it, cut everything after "features", add a dense head with
 *      the kit's classes;
 *   2. freeze the trunk (and the batchnorm statistics) and train the head;
 *   3. unfreeze and fine-tune everything.
 *
 * docs/pretrained.md measures what this buys on 1,000 images. */
#include <stdio.h>
#include <stdlib.h>

#include <ramp/classifier.h>
#include <ramp/nn.h>
#include <ramp/onnx.h>

#define HEAD_EPOCHS 2
#define TUNE_EPOCHS 8
#define BATCH 64

typedef struct model {
    ramp_net *net;
    int features; /* the trunk's last layer */
    int quick;
} model;

ramp_status batch_classifier_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3) return RAMP_ESHAPE;
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->quick = info->quick_test;
    char path[4096];
    snprintf(path, sizeof path, "%s/pretrained.onnx", info->submission_dir);
    ramp_err err;
    ramp_net_params p = {.channels = info->shape[0], .height = info->shape[1],
                         .width = info->shape[2], .seed = info->seed,
                         .n_threads = info->n_threads,
                         .device = (ramp_device)info->device,
                         .math = (ramp_math)info->math};
    ramp_status st = ramp_net_load_onnx(&m->net, path, &p, &err);
    if (st) {
        fprintf(stderr, "transfer: %s\n", err.msg);
        free(m);
        return st;
    }
    m->features = ramp_net_find(m->net, "features");
    if (m->features < 0) {
        fprintf(stderr, "transfer: %s has no layer named 'features'\n", path);
        st = RAMP_EINVAL;
        goto fail;
    }
    (void)((st = ramp_net_cut(m->net, m->features)) ||
           (st = ramp_net_dense(m->net, &(ramp_dense){.units = info->n_classes})) ||
           (st = ramp_net_set_name(m->net, ramp_net_last(m->net), "head")));
    if (st) {
        fprintf(stderr, "transfer: %s\n", ramp_net_errmsg(m->net));
        goto fail;
    }
    ramp_net_summary(m->net, stdout); /* into the fold's log */
    *self = m;
    return RAMP_OK;
fail:
    ramp_net_free(m->net);
    free(m);
    return st;
}

static int on_epoch(const ramp_fit_progress *p, void *user)
{
    if (p->end_of_epoch)
        printf("%s epoch %d/%d: loss %.4f acc %.4f  val_loss %.4f val_acc %.4f\n",
               (const char *)user, p->epoch + 1, p->epochs, p->loss, p->acc, p->val_loss,
               p->val_acc);
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
    /* 2. the head alone: the trunk and every batchnorm's statistics frozen */
    (void)((st = ramp_net_freeze_upto(m->net, m->features, 1)) ||
           (st = ramp_net_freeze_bn_stats(m->net, -1, 1)) ||
           (st = ramp_net_fit_generator(
                m->net, train, nb_train, valid, nb_valid,
                &(ramp_fit_opts){.epochs = m->quick ? 1 : HEAD_EPOCHS,
                                 .optimizer = RAMP_OPT_ADAM, .lr = 2e-3f,
                                 .progress = on_epoch, .user = "head"})));
    /* 3. everything, the batchnorm statistics now following this data (a
       trunk slowed to a tenth of the rate did worse: docs/pretrained.md) */
    (void)(st || (st = ramp_net_freeze_upto(m->net, m->features, 0)) ||
           (st = ramp_net_freeze_bn_stats(m->net, -1, 0)));
    if (!st)
        st = ramp_net_fit_generator(m->net, train, nb_train, valid, nb_valid,
                                    &(ramp_fit_opts){.epochs = m->quick ? 1 : TUNE_EPOCHS,
                                                     .optimizer = RAMP_OPT_ADAM, .lr = 1e-3f,
                                                     .schedule = RAMP_SCHED_COSINE,
                                                     .progress = on_epoch, .user = "fine-tune"});
    if (st) fprintf(stderr, "transfer: %s\n", ramp_net_errmsg(m->net));
    return st;
}

ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    ramp_status st = ramp_net_predict(m->net, X, n, proba);
    if (st) fprintf(stderr, "transfer: %s\n", ramp_net_errmsg(m->net));
    return st;
}

void batch_classifier_free(void *self)
{
    model *m = self;
    if (!m) return;
    ramp_net_free(m->net);
    free(m);
}
