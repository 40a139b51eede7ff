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

/* Builds a net from the ONNX model in file `path` (read through mmap; a
   ResNet-50 of 100 MB loads in about 0.2–0.4 s): one engine layer per
   operator, the file's weights copied in, each layer named after its node.
   `p` (may be NULL: defaults) gives the backend, threads and seed as for
   ramp_net_new; its channels, height and width are the input size, used
   where the model leaves them open (a symbolic dimension) and otherwise
   either 0 or equal to the model's (else RAMP_ESHAPE). The batch dimension
   is free. The net is an ordinary one: predict, fit, add layers after it.
   Errors: RAMP_EUNSUPPORTED names every operator ramp lacks with a node
   using it ("m.onnx: unsupported operators: Resize (node up1), LSTM (node
   l1)"), or a node's unsupported attribute; RAMP_EFORMAT a file that is no
   ONNX model or a node's malformed input; RAMP_ESHAPE weights that do not
   fit; the message names the file and the node. On failure *out is NULL
   and `err` (may be NULL) says why; on success the caller frees *out with
   ramp_net_free(). Thread-safe (shares nothing). docs/pretrained.md lists
   the operators and what each accepts. */
ramp_status ramp_net_load_onnx(ramp_net **out, const char *path, const ramp_net_params *p,
                               ramp_err *err);

/* The same from `size` bytes at `data` (borrowed for the call, not kept);
   messages name the model "ONNX model". */
ramp_status ramp_net_load_onnx_mem(ramp_net **out, const void *data, size_t size,
                                   const ramp_net_params *p, ramp_err *err);

/* Writes the net (layers, names, weights) to `path` as an ONNX model. */
ramp_status ramp_net_save_onnx(ramp_net *net, const char *path);

#ifdef __cplusplus
}
#endif

#endif
