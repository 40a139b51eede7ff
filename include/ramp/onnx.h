/* ramp/onnx.h — engine nets to and from ONNX files.
 *
 * Import builds a ramp_net from an ONNX model (the operators VGG-, ResNet- and
 * MobileNetV2-style networks use; docs/pretrained.md lists them); a model
 * with any other operator is refused with a message naming the operator and
 * its node. Export writes a net's layers and weights as an ONNX model that
 * other runtimes load. Both follow status.h: import is a constructor
 * (result first, `ramp_err` last), export is a function on the net (its
 * message in ramp_net_errmsg). A ramp built without protobuf-c
 * (RAMP_WITH_ONNX=OFF) has these functions, and they fail saying so.
 */
#ifndef RAMP_ONNX_H
#define RAMP_ONNX_H

#include <stddef.h>

#include "ramp/nn.h"
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Builds a net from the ONNX model in file `path`. `p` gives the backend,
   threads and seed as for ramp_net_new; its channels, height and width are
   the input size, used where the model leaves them open (0: the model's
   own). On failure *out is NULL and `err` (may be NULL) says why. */
ramp_status ramp_net_load_onnx(ramp_net **out, const char *path, const ramp_net_params *p,
                               ramp_err *err);

/* The same from `size` bytes at `data` (not kept after the call). */
ramp_status ramp_net_load_onnx_mem(ramp_net **out, const void *data, size_t size,
                                   const ramp_net_params *p, ramp_err *err);

/* Writes the net (layers, names, weights) to `path` as an ONNX model. */
ramp_status ramp_net_save_onnx(ramp_net *net, const char *path);

#ifdef __cplusplus
}
#endif

#endif
