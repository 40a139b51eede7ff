/* status.c — texts and names for ramp_status, and the ramp_err helpers.
 * Both tables come from RAMP_STATUS_MAP so they cannot drift apart. */
#include <stdio.h>
#include <string.h>

#include "coreInt.h"

const char *ramp_strerror(ramp_status st)
{
    switch (st) {
#define RAMP__CASE(name, value, text)                                                              \
    case RAMP_##name:                                                                              \
        return text;
        RAMP_STATUS_MAP(RAMP__CASE)
#undef RAMP__CASE
    }
    return "unknown status";
}

const char *ramp_err_name(ramp_status st)
{
    switch (st) {
#define RAMP__CASE(name, value, text)                                                              \
    case RAMP_##name:                                                                              \
        return #name;
        RAMP_STATUS_MAP(RAMP__CASE)
#undef RAMP__CASE
    }
    return "UNKNOWN";
}

ramp_status ramp__err_vset(ramp_err *err, ramp_status code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

ramp_status ramp__err_set(ramp_err *err, ramp_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ramp__err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void ramp__err_clear(ramp_err *err)
{
    if (err) {
        err->code = RAMP_OK;
        err->msg[0] = '\0';
    }
}
