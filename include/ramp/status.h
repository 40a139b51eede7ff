/* ramp/status.h — status codes shared by the whole library.
 *
 * Every fallible function returns a ramp_status; 0 (RAMP_OK) is success.
 * One X-macro list makes the enum, ramp_strerror() and ramp_err_name(), so a
 * new code is added in one place.
 *
 * Functions that work on a handle keep the last error message in the handle
 * (e.g. ramp_pp_errmsg()). Functions that have no handle yet take a
 * `ramp_err *` (which may be NULL) and write the message there. Messages name
 * the file, line or id at fault.
 */
#ifndef RAMP_STATUS_H
#define RAMP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, description) */
#define RAMP_STATUS_MAP(X)                                                     \
    X(OK, 0, "success")                                                        \
    X(ENOMEM, 1, "out of memory")                                              \
    X(EINVAL, 2, "invalid argument")                                           \
    X(EIO, 3, "input/output error")                                            \
    X(ENOENT, 4, "no such file or directory")                                  \
    X(EFORMAT, 5, "unrecognised or corrupt data")                              \
    X(ETOOBIG, 6, "exceeds a size limit")                                      \
    X(EPARSE, 7, "syntax error")                                               \
    X(ERANGE, 8, "value out of range")                                         \
    X(EDUP, 9, "duplicate entry")                                              \
    X(ESHAPE, 10, "shape mismatch")                                            \
    X(EUNSUPPORTED, 11, "not supported")                                       \
    X(EINTERNAL, 12, "internal error")                                         \
    X(ECOMPILE, 13, "submission does not compile")                             \
    X(ESYMBOL, 14, "missing or incompatible symbol")                           \
    X(ECRASH, 15, "submission crashed")                                        \
    X(ETIMEOUT, 16, "timed out")                                               \
    X(EBADOUTPUT, 17, "invalid output from submission")                        \
    X(ECANCELED, 18, "operation canceled")

typedef enum ramp_status {
#define RAMP__STATUS_ENUM(name, value, text) RAMP_##name = value,
    RAMP_STATUS_MAP(RAMP__STATUS_ENUM)
#undef RAMP__STATUS_ENUM
} ramp_status;

/* A message buffer for functions that have no handle to keep it in.
   `code` repeats the status returned; `msg` is NUL-terminated. */
typedef struct ramp_err {
    ramp_status code;
    char msg[1024];
} ramp_err;

/* Text for a status ("out of memory"); never NULL; thread-safe. */
const char *ramp_strerror(ramp_status st);

/* Name of a status ("ENOMEM"); never NULL; thread-safe. */
const char *ramp_err_name(ramp_status st);

#ifdef __cplusplus
}
#endif
#endif
