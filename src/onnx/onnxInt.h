/* onnxInt.h — what the ONNX reader (onnx_import.c) and writer
 * (onnx_export.c) share: the generated schema types (onnx_subset.pb-c.h,
 * made by protoc-c from onnx_subset.proto at build time), the data type and
 * attribute type codes under short names, and the layer-name rules both
 * directions apply (an ONNX node name becomes a ramp layer name and back).
 */
#ifndef RAMP_ONNX_INT_H
#define RAMP_ONNX_INT_H

#include <stddef.h>

#include "onnx_subset.pb-c.h"

/* TensorProto.data_type codes ramp reads and writes. */
enum {
    RAMP__ONNX_FLOAT = RAMP__ONNXPB__TENSOR_PROTO__DATA_TYPE__FLOAT,
    RAMP__ONNX_INT64 = RAMP__ONNXPB__TENSOR_PROTO__DATA_TYPE__INT64
};

/* AttributeProto.type codes. */
enum {
    RAMP__ONNX_ATTR_FLOAT = RAMP__ONNXPB__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT,
    RAMP__ONNX_ATTR_INT = RAMP__ONNXPB__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT,
    RAMP__ONNX_ATTR_STRING = RAMP__ONNXPB__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING,
    RAMP__ONNX_ATTR_TENSOR = RAMP__ONNXPB__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR,
    RAMP__ONNX_ATTR_FLOATS = RAMP__ONNXPB__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS,
    RAMP__ONNX_ATTR_INTS = RAMP__ONNXPB__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
};

/* Longest layer name the engine takes (nn.h: 1..63 bytes, printable, no
   spaces), and the largest ONNX file ramp reads (protobuf's own limit). */
#define RAMP__ONNX_NAME_MAX 63
/* ONNX's raw_data is little-endian: import reads it in place and export
   points it at the weights, so a big-endian host would need byte swaps in both */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ONNX reader and writer take raw_data in the host's byte order: little-endian only"
#endif

#define RAMP__ONNX_MAX_BYTES ((size_t)2 << 30)

/* Writes `name` as a valid layer name into out[RAMP__ONNX_NAME_MAX + 1]:
   bytes outside printable ASCII and spaces become '_', the rest is cut to
   RAMP__ONNX_NAME_MAX bytes. Returns the length (0 for an empty or NULL
   name: keep the engine's default). */
size_t ramp__onnx_name_clean(char *out, const char *name);

#endif
