/* test_nn_train.c — the reference CNN (oneDNN backend) learns a small
 * Fashion-MNIST subset: 2000 training images, 500 test images, 4 epochs of
 * batch 64 (128 steps, the last batch of each epoch short), SGD with
 * Nesterov momentum and cosine decay. It must reach 78% test accuracy
 * (≈82–84% is typical; chance is 10%) and its validation history must
 * match ramp_net_evaluate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../bench/train/idx.h"
#include "../bench/train/refcnn.h"
#include "ramp/nn.h"

static void test_fmnist_subset(void **s)
{
    (void)s;
    float *Xtr = NULL, *Xte = NULL;
    int32_t *ytr = NULL, *yte = NULL;
    size_t ntr = idx_load(FMNIST_DIR "/train-images-idx3-ubyte.gz", 2000, &Xtr, NULL);
    assert_int_equal(idx_load(FMNIST_DIR "/train-labels-idx1-ubyte.gz", 2000, NULL, &ytr), ntr);
    size_t nte = idx_load(FMNIST_DIR "/t10k-images-idx3-ubyte.gz", 500, &Xte, NULL);
    assert_int_equal(idx_load(FMNIST_DIR "/t10k-labels-idx1-ubyte.gz", 500, NULL, &yte), nte);
    assert_int_equal(ntr, 2000);
    assert_int_equal(nte, 500);

    ramp_net *net = NULL;
    assert_int_equal(
        ramp_net_new(
            &net,
            &(ramp_net_params){.channels = 1, .height = 28, .width = 28, .seed = 1, .n_threads = 2},
            NULL),
        RAMP_OK);
    assert_int_equal(refcnn_build(net, 10), RAMP_OK);

    int shape[3] = { 1, 28, 28 };
    ramp_gen *tr = NULL, *va = NULL;
    assert_int_equal(ramp_gen_from_arrays(&tr, Xtr, ytr, ntr, 3, shape, 10, 64, 1, 3, NULL), RAMP_OK);
    assert_int_equal(ramp_gen_from_arrays(&va, Xte, yte, nte, 3, shape, 10, 128, 0, 0, NULL), RAMP_OK);
    ramp_status st = ramp_net_fit_generator(net, tr, ntr, va, nte,
                                            &(ramp_fit_opts){ .epochs = 4, .lr = 0.05f,
                                                              .momentum = 0.9f, .nesterov = 1,
                                                              .schedule = RAMP_SCHED_COSINE });
    if (st) fprintf(stderr, "%s\n", ramp_net_errmsg(net));
    assert_int_equal(st, RAMP_OK);
    double loss, acc;
    assert_int_equal(ramp_net_evaluate(net, Xte, yte, nte, &loss, &acc), RAMP_OK);
    size_t nh;
    const ramp_fit_progress *h = ramp_net_history(net, &nh);
    assert_int_equal(nh, 4);
    printf("# fmnist subset: test accuracy %.4f, loss %.4f (epoch 1: %.4f)\n", acc, loss,
           h[0].val_acc);
    assert_true(fabs(h[3].val_acc - acc) < 1e-9);
    assert_true(fabs(h[3].val_loss - loss) < 1e-5);
    assert_true(h[3].loss < h[0].loss);
    assert_true(acc >= 0.78);
    ramp_gen_free(tr);
    ramp_gen_free(va);
    ramp_net_free(net);
    free(Xtr);
    free(Xte);
    free(ytr);
    free(yte);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmnist_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
