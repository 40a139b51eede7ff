/* test_nn_device.c — choosing the device a net computes on: CPU by
 * default; CUDA asked for where it cannot run (a build without CUDA, or no
 * usable GPU) fails ramp_net_new with RAMP_EUNSUPPORTED and a message that
 * says which and how to fix it, never a quiet CPU net; AUTO takes the CPU
 * there and says so; unknown values are refused; names parse both ways; the
 * build's description says whether CUDA is in, as CMake configured it
 * (RAMP_TEST_CUDA_BUILT). On a machine with a GPU the CUDA cases check that
 * the net is on CUDA instead. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/nn.h"

#ifndef RAMP_TEST_CUDA_BUILT
#error "tests/CMakeLists.txt passes RAMP_TEST_CUDA_BUILT (0 or 1)"
#endif

static ramp_status make(ramp_net **net, ramp_device d, ramp_err *err)
{
    return ramp_net_new(net,
                        &(ramp_net_params){.channels = 1, .height = 4, .width = 4, .seed = 1,
                                           .backend = RAMP_NN_REF, .device = d},
                        err);
}

static void test_default_cpu(void **s)
{
    (void)s;
    ramp_net *net = NULL;
    assert_int_equal(make(&net, RAMP_DEVICE_CPU, NULL), RAMP_OK);
    assert_int_equal(ramp_net_device(net), RAMP_DEVICE_CPU);
    ramp_net_free(net);
    /* a params struct that never names the device is on the CPU */
    assert_int_equal(ramp_net_new(&net, &(ramp_net_params){.channels = 1, .height = 4, .width = 4},
                                  NULL),
                     RAMP_OK);
    assert_int_equal(ramp_net_device(net), RAMP_DEVICE_CPU);
    ramp_net_free(net);
    assert_int_equal(ramp_net_device(NULL), -1);
}

static void test_build_matches_cmake(void **s)
{
    (void)s;
    assert_int_equal(ramp_cuda_built(), RAMP_TEST_CUDA_BUILT);
    const char *info = ramp_nn_build_info();
    assert_non_null(info);
    assert_non_null(strstr(info, RAMP_TEST_CUDA_BUILT ? "CUDA: built (" : "CUDA: not built"));
}

/* cuBLAS and cuDNN are not linked (a CPU process does not map them, some
   200 MiB): they are dlopened on first use. Here, without a GPU, the
   loading itself is checked: both libraries CMake found load and every
   function the backend calls resolves (cuda_dl.h's list). */
#if RAMP_TEST_CUDA_BUILT
int ramp__cuda_dl_load(char *why, size_t len);
static void test_cuda_libraries_load(void **s)
{
    (void)s;
    char why[600] = "";
    int ok = ramp__cuda_dl_load(why, sizeof why);
    if (!ok) fprintf(stderr, "cuda_dl: %s\n", why);
    assert_int_equal(ok, 1);
    assert_int_equal(ramp__cuda_dl_load(NULL, 0), 1); /* once */
}
#endif

static void test_cuda_refused_here(void **s)
{
    (void)s;
    char why[512] = "unset";
    int avail = ramp_cuda_available(why, sizeof why);
    if (avail) return; /* a GPU: test_cuda_on_gpu's case (--gpu) checks that one */
    /* why CUDA cannot run here, and what to do */
    if (!RAMP_TEST_CUDA_BUILT) {
        assert_non_null(strstr(why, "built without CUDA"));
        assert_non_null(strstr(why, "-DRAMP_CUDA=ON"));
    } else {
        assert_true(strstr(why, "driver") || strstr(why, "no CUDA GPU"));
    }
    assert_non_null(strstr(why, "device cpu"));
    ramp_net *net = (ramp_net *)&net; /* not NULL: the failure must clear it */
    ramp_err err = {RAMP_OK, ""};
    assert_int_equal(make(&net, RAMP_DEVICE_CUDA, &err), RAMP_EUNSUPPORTED);
    assert_null(net);
    assert_int_equal(err.code, RAMP_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "device cuda"));
    assert_non_null(strstr(err.msg, why));
    /* a truncated reason stays a string */
    char small[8];
    assert_int_equal(ramp_cuda_available(small, sizeof small), 0);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(ramp_cuda_available(NULL, 0), 0);
    /* every math is refused with the same reason (what ramp test checks
       before its first fold) */
    for (int m = RAMP_MATH_FP32; m <= RAMP_MATH_BF16; m++) {
        char mwhy[512] = "unset";
        assert_int_equal(ramp_cuda_math_ok((ramp_math)m, mwhy, sizeof mwhy), 0);
        assert_string_equal(mwhy, why);
    }
    /* AUTO falls to the CPU here, and says so */
    assert_int_equal(make(&net, RAMP_DEVICE_AUTO, NULL), RAMP_OK);
    assert_int_equal(ramp_net_device(net), RAMP_DEVICE_CPU);
    ramp_net_free(net);
}

static void test_cuda_on_gpu(void **s)
{
    (void)s;
    if (!ramp_cuda_available(NULL, 0)) skip(); /* no GPU here: never counted as passed */
    ramp_net *net = NULL;
    assert_int_equal(make(&net, RAMP_DEVICE_CUDA, NULL), RAMP_OK);
    assert_int_equal(ramp_net_device(net), RAMP_DEVICE_CUDA);
    ramp_net_free(net);
    assert_int_equal(make(&net, RAMP_DEVICE_AUTO, NULL), RAMP_OK);
    assert_int_equal(ramp_net_device(net), RAMP_DEVICE_CUDA);
    ramp_net_free(net);
    /* fp32 and tf32 run on any GPU; bf16 where the net accepts it too */
    char why[512];
    assert_int_equal(ramp_cuda_math_ok(RAMP_MATH_FP32, why, sizeof why), 1);
    assert_int_equal(ramp_cuda_math_ok(RAMP_MATH_TF32, why, sizeof why), 1);
    int bf16 = ramp_cuda_math_ok(RAMP_MATH_BF16, why, sizeof why);
    ramp_err err = {RAMP_OK, ""};
    ramp_status st = ramp_net_new(&net,
                                  &(ramp_net_params){.channels = 1, .height = 4, .width = 4,
                                                     .seed = 1, .device = RAMP_DEVICE_CUDA,
                                                     .math = RAMP_MATH_BF16},
                                  &err);
    if (!st) {
        ramp_net_dense(net, &(ramp_dense){.units = 2});
        float x[16] = {0}, out[2];
        st = ramp_net_predict(net, x, 1, out);
        ramp_net_free(net);
    }
    if (!bf16) fprintf(stderr, "bf16 refused up front: %s\n", why);
    assert_int_equal(st == RAMP_OK, bf16);
}

static void test_bad_values(void **s)
{
    (void)s;
    ramp_net *net = NULL;
    ramp_err err = {RAMP_OK, ""};
    assert_int_equal(make(&net, (ramp_device)7, &err), RAMP_EINVAL);
    assert_null(net);
    assert_non_null(strstr(err.msg, "unknown device 7"));
    assert_int_equal(make(&net, (ramp_device)-1, &err), RAMP_EINVAL);
    ramp_device d = RAMP_DEVICE_AUTO;
    assert_int_equal(ramp_device_parse("cuda", &d), RAMP_OK);
    assert_int_equal(d, RAMP_DEVICE_CUDA);
    assert_int_equal(ramp_device_parse("cpu", &d), RAMP_OK);
    assert_int_equal(d, RAMP_DEVICE_CPU);
    assert_int_equal(ramp_device_parse("auto", &d), RAMP_OK);
    assert_int_equal(d, RAMP_DEVICE_AUTO);
    assert_int_equal(ramp_device_parse("gpu", &d), RAMP_EINVAL);
    assert_int_equal(ramp_device_parse("CUDA", &d), RAMP_EINVAL);
    assert_int_equal(ramp_device_parse(NULL, &d), RAMP_EINVAL);
    assert_string_equal(ramp_device_name(RAMP_DEVICE_CUDA), "cuda");
    assert_null(ramp_device_name((ramp_device)9));
}

/* With --gpu only the GPU's case (ctest's test_nn_device_gpu: skipped
   where no GPU answers); without, the others, which run everywhere. */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_cpu),
        cmocka_unit_test(test_build_matches_cmake),
#if RAMP_TEST_CUDA_BUILT
        cmocka_unit_test(test_cuda_libraries_load), /* a build without CUDA: nothing to load */
#endif
        cmocka_unit_test(test_cuda_refused_here),
        cmocka_unit_test(test_bad_values),
    };
    const struct CMUnitTest gpu[] = {
        cmocka_unit_test(test_cuda_on_gpu),
    };
    if (argc > 1 && strcmp(argv[1], "--gpu") == 0) return cmocka_run_group_tests(gpu, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
