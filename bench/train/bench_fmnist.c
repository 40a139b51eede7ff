/* bench_fmnist.c — trains the reference CNN on Fashion-MNIST with the
 * built-in engine and prints per-epoch loss/accuracy and the test accuracy.
 *
 *   bench_fmnist [epochs=5] [n_train=60000] [threads=0] [backend=dnnl|ref]
 *
 * Reference CNN (padding 1, "same"): conv 3×3 32 + ReLU + maxpool 2 →
 * conv 3×3 64 + ReLU + maxpool 2 → flatten → dense 128 + ReLU → dense 10.
 * SGD, momentum 0.9, lr 0.05 with cosine decay, batch 64. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "idx.h"
#include "refcnn.h"
#include "ramp/nn.h"

static int progress(const ramp_fit_progress *p, void *user)
{
    (void)user;
    if (p->end_of_epoch)
        printf("epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.0f img/s\n",
               p->epoch + 1, p->epochs, p->loss, p->acc, p->val_loss, p->val_acc,
               p->images_per_s);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int epochs = argc > 1 ? atoi(argv[1]) : 5;
    size_t ntr = argc > 2 ? (size_t)atol(argv[2]) : 60000;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    int ref = argc > 4 && strcmp(argv[4], "ref") == 0;
    float *Xtr = NULL, *Xte = NULL;
    int32_t *ytr = NULL, *yte = NULL;
    size_t n1 = idx_load(FMNIST_DIR "/train-images-idx3-ubyte.gz", ntr, &Xtr, NULL);
    size_t n2 = idx_load(FMNIST_DIR "/train-labels-idx1-ubyte.gz", ntr, NULL, &ytr);
    size_t n3 = idx_load(FMNIST_DIR "/t10k-images-idx3-ubyte.gz", 0, &Xte, NULL);
    size_t n4 = idx_load(FMNIST_DIR "/t10k-labels-idx1-ubyte.gz", 0, NULL, &yte);
    if (!n1 || n1 != n2 || !n3 || n3 != n4) {
        fprintf(stderr, "cannot read Fashion-MNIST from %s\n", FMNIST_DIR);
        return 1;
    }
    ramp_net *net = NULL;
    ramp_err err;
    ramp_status st = ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 1,
                                                     .height = 28,
                                                     .width = 28,
                                                     .seed = 1,
                                                     .n_threads = threads,
                                                     .backend = ref ? RAMP_NN_REF : RAMP_NN_DNNL},
                                  &err);
    if (st) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int shape[3] = { 1, 28, 28 };
    ramp_gen *tr = NULL, *va = NULL;
    if ((st = refcnn_build(net, 10)) ||
        (st = ramp_gen_from_arrays(&tr, Xtr, ytr, n1, 3, shape, 10, 64, 1, 7, NULL)) ||
        (st = ramp_gen_from_arrays(&va, Xte, yte, n3, 3, shape, 10, 500, 0, 0, NULL)))
        goto fail;
    ramp_net_summary(net, stdout);
    double t0 = ramp__now();
    st = ramp_net_fit_generator(net, tr, n1, va, n3,
                                &(ramp_fit_opts){ .epochs = epochs, .lr = 0.05f, .momentum = 0.9f,
                                                  .schedule = RAMP_SCHED_COSINE,
                                                  .progress = progress });
    if (st) goto fail;
    double dt = ramp__now() - t0, loss, acc;
    if ((st = ramp_net_evaluate(net, Xte, yte, n3, &loss, &acc))) goto fail;
    printf("train %zu images x %d epochs in %.1f s (%.0f img/s incl. validation)\n", n1, epochs,
           dt, (double)n1 * epochs / dt);
    printf("TEST accuracy %.4f  loss %.4f\n", acc, loss);
fail:
    if (st) fprintf(stderr, "error: %s: %s\n", ramp_strerror(st), ramp_net_errmsg(net));
    ramp_gen_free(tr);
    ramp_gen_free(va);
    ramp_net_free(net);
    free(Xtr);
    free(Xte);
    free(ytr);
    free(yte);
    return st ? 1 : 0;
}
