/* fuzz_onnx.c — libFuzzer target: arbitrary bytes through the ONNX importer
 * (ramp_net_load_onnx_mem) on the reference backend. Any crash, sanitizer
 * report, hang or leak is a bug; an error status with a message is the
 * expected outcome for most inputs. An accepted model must be a usable net:
 * its input layer and output shape are read back and its summary written.
 * Seeds: small models from tests/fixtures/onnx (tests/fuzz/corpus/onnx).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/nn.h"
#include "ramp/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ramp_err err;
    ramp_net *net = (ramp_net *)&err; /* must come back NULL on failure */
    ramp_net_params p = {.backend = RAMP_NN_REF, .n_threads = 1};
    ramp_status st = ramp_net_load_onnx_mem(&net, data, size, &p, &err);
    if (st) {
        if (net || err.code != st || !err.msg[0] || strlen(err.msg) >= sizeof err.msg) abort();
        return 0;
    }
    if (!net || ramp_net_n_layers(net) < 2) abort();
    int shp[3];
    if (ramp_net_layer_shape(net, 0, shp) || shp[0] < 1 || shp[1] < 1 || shp[2] < 1) abort();
    if (ramp_net_layer_shape(net, ramp_net_last(net), shp)) abort();
    char buf[256];
    (void)ramp_net_summary_str(net, buf, sizeof buf);
    ramp_net_free(net);
    return 0;
}
