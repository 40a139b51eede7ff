/* test_nn_kernels.c — the oneDNN backend never trains a convolution on
 * oneDNN's reference loop where a kernel exists. With a 1-channel input
 * (a grayscale first layer), the layouts the forward pass picks have no
 * backward-weights kernel on AVX2, and oneDNN silently ran its reference
 * loop: 150–300 ms a step, the reference CNN's training 16 times slower
 * (198 against 3,140 img/s, bench_fmnist). oneDNN's verbose log names the
 * implementation of every primitive run; this test reads it over a training
 * step of first layers of 1 and 3 channels, with and without bias, and of a
 * dilated second layer (whose backward-weights had only the reference loop
 * for the forward's blocked gradient: 0.3 against 44 img/s for a small
 * CenterNet), and fails naming any convolution that ran as "ref". Skipped on a CPU without AVX2,
 * where the reference loop can be all there is. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <dnnl.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "ramp/nn.h"

/* One training step of conv(c → f, 3×3) + ReLU + pool + conv(16, 3×3,
   dilation) + dense on N×c×28×28. */
static void step(int c, int filters, int no_bias, int dilation)
{
    enum { N = 16, K = 4 };
    ramp_net *net = NULL;
    assert_int_equal(ramp_net_new(&net,
                                  &(ramp_net_params){ .channels = c, .height = 28, .width = 28,
                                                      .seed = 3, .n_threads = 1 },
                                  NULL),
                     RAMP_OK);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = filters, .kernel = 3, .padding = 1,
                                         .no_bias = no_bias });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 16, .kernel = 3, .padding = dilation,
                                         .dilation = dilation });
    ramp_net_relu(net);
    assert_int_equal(ramp_net_dense(net, &(ramp_dense){ .units = K }), RAMP_OK);
    float *X = calloc((size_t)N * c * 28 * 28, sizeof *X);
    int32_t y[N];
    assert_non_null(X);
    for (size_t i = 0; i < (size_t)N * c * 28 * 28; i++) X[i] = (float)(i % 17) / 17.0f;
    for (int i = 0; i < N; i++) y[i] = i % K;
    double loss;
    assert_int_equal(ramp_net_forward_backward(net, X, y, N, 0.f, &loss), RAMP_OK);
    free(X);
    ramp_net_free(net);
}

static void no_reference_convolutions(void **state)
{
    (void)state;
    if (!__builtin_cpu_supports("avx2")) skip();
    char path[] = "/tmp/ramp_test_nn_kernels_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(1);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 1) == 1); /* oneDNN writes its log to stdout */
    assert_int_equal(dnnl_set_verbose(1), dnnl_success);
    const int cases[][4] = { { 1, 32, 0, 1 }, { 1, 16, 1, 1 }, { 3, 16, 0, 1 }, { 3, 32, 1, 1 },
                             { 3, 32, 0, 2 } };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        step(cases[i][0], cases[i][1], cases[i][2], cases[i][3]);
    dnnl_set_verbose(0);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int n_conv = 0, n_ref = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "onednn_verbose,exec,cpu,convolution,", 36) != 0) continue;
        n_conv++;
        if (strncmp(line + 36, "ref", 3) == 0) {
            n_ref++;
            print_error("ran on oneDNN's reference loop: %s", line);
        }
    }
    fclose(f);
    unlink(path);
    assert_true(n_conv >= 15); /* the log was read: 5 nets × 2 convs × 3 passes at least */
    assert_int_equal(n_ref, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(no_reference_convolutions) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
