/* onnx_none.c — stands in for the ONNX reader and writer in a ramp
 * configured with -DRAMP_WITH_ONNX=OFF (CMakeLists.txt compiles either it or
 * the rest of src/onnx/): every function fails saying so. */
#include "core/coreInt.h"
#include "nn/nnInt.h"
#include "ramp/onnx.h"

#define RAMP__NO_ONNX                                                                            \
    "ramp was built without ONNX support (RAMP_WITH_ONNX=OFF): rebuild with "                    \
    "-DRAMP_WITH_ONNX=ON (libprotobuf-c-dev, protobuf-c-compiler)"

ramp_status ramp_net_load_onnx(ramp_net **out, const char *path, const ramp_net_params *p,
                               ramp_err *err)
{
    (void)path, (void)p;
    if (out) *out = NULL;
    return ramp__err_set(err, RAMP_EUNSUPPORTED, RAMP__NO_ONNX);
}

ramp_status ramp_net_load_onnx_mem(ramp_net **out, const void *data, size_t size,
                                   const ramp_net_params *p, ramp_err *err)
{
    (void)data, (void)size, (void)p;
    if (out) *out = NULL;
    return ramp__err_set(err, RAMP_EUNSUPPORTED, RAMP__NO_ONNX);
}

ramp_status ramp_net_save_onnx(ramp_net *net, const char *path)
{
    (void)path;
    if (!net) return RAMP_EINVAL;
    return ramp__net_fail(net, RAMP_EUNSUPPORTED, RAMP__NO_ONNX);
}
