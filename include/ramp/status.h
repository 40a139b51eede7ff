/* ramp/status.h — status codes, and the one error convention of the library.
 *
 * One X-macro list makes the enum, ramp_strerror() and ramp_err_name(), so a
 * new code is added in one place, at the end of the list (values are stable:
 * they travel between processes and into stored results).
 *
 * The convention every public header follows:
 *
 * 1. Status. A function that can fail returns a ramp_status; RAMP_OK (0) is
 *    success, so `if (ramp_x(...))` tests for failure. A function that cannot
 *    fail (an accessor, a destructor) returns its value or nothing; asked
 *    for something out of range it returns a documented neutral value
 *    (NULL, 0 or NaN), not an error (e.g. ramp_det_eval_ap()).
 *
 * 2. Message. A failure comes with a message naming the file, line or id at
 *    fault. Where it is kept depends on whether there is a handle:
 *    - a function working on a handle keeps it in that handle, readable with
 *      ramp_<obj>_errmsg(h) until the handle's next call (SQLite's way):
 *          if (ramp_net_fit_generator(net, ...)) puts(ramp_net_errmsg(net));
 *      (a NULL handle is RAMP_EINVAL with no message: there is nowhere to
 *      keep one);
 *    - a function with no handle yet (a constructor, a loader, a function on
 *      plain arrays) takes a `ramp_err *err` as its LAST parameter. err may
 *      be NULL (no message wanted); err->code repeats the status returned.
 *
 * 3. Results. A constructor or another handle-less function returns its
 *    results through out-parameters placed FIRST, before its inputs:
 *        ramp_status ramp_x_new(ramp_x **out, inputs..., ramp_err *err);
 *    On failure *out is NULL (a struct result is zeroed) and nothing leaks;
 *    the caller frees a success's result with the matching _free. A method
 *    takes its handle first (the handle is the subject), then the inputs
 *    that select what it returns, then its out-parameters; a buffer it
 *    fills is followed by its own size or layout (ramp_net_get_param(net,
 *    id, kind, out, n), ramp_img_to_tensor(pp, x, out, flags, mean, std)).
 *
 * 4. Chains. The image operations (image.h) run on a preprocessing handle,
 *    ramp_pp, and return `const ramp_image *` so that a transform reads as a
 *    chain. This is rule 2's handle form with a sticky status: an operation
 *    that fails returns NULL and records its status and message in the pp
 *    handle (ramp_pp_status(), ramp_pp_errmsg()); every later operation on
 *    that handle returns NULL at once, until ramp_pp_reset(). A transform
 *    may thus check only the end of its chain. The network builders of
 *    nn.h keep their first error the same way (ramp_net_errmsg()), so a
 *    chain of builders is checked once. The arena (arena.h) is a
 *    malloc-like allocator: its allocation returns NULL when memory runs out
 *    or its limit would be passed (RAMP_ENOMEM, nothing else can fail), and
 *    its constructor follows rule 3.
 *
 * 5. Many problems at once. A reader that meets many bad rows fails on the
 *    first, naming it in err. Asked to read on past them (dataset.h's
 *    RAMP_INDEX_SKIP_BAD_ROWS), it succeeds and keeps every skipped row's
 *    message in the handle it returns (ramp_index_skipped); a checker
 *    returns them all in its result (ramp_kit_summary's problems) and names
 *    the first, with the count of the others, in err. No callbacks.
 *
 * 6. The other direction. What ramp calls (a callback a caller passes, the
 *    functions a submission defines: classifier.h, preprocess.h) follows the
 *    same rules from the other side: it returns a ramp_status; a callback
 *    takes its user pointer first (the handle it works on), then as above;
 *    a submission's constructor gives its state through its first
 *    parameter (batch_classifier_new(void **self, info)).
 *
 * 7. Threads and ownership. Unless a function's comment says otherwise: a
 *    handle-less function shares nothing and is thread-safe; a handle is
 *    used by one thread at a time (its const accessors may run from several
 *    threads while nothing modifies it); pointer arguments are borrowed for
 *    the call; a returned `const char *` or `const T *` is borrowed from
 *    its handle, valid until the handle's next modifying call or its free;
 *    every _free accepts NULL.
 *
 * Handle-less functions that need no message (pure arithmetic on plain
 * values, e.g. ramp_score_is_better) return their value; there is no third
 * form.
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
    X(ECANCELED, 18, "operation canceled")                                     \
    X(ELEASE, 19, "lease lost to another worker")                              \
    X(ETOOSOON, 20, "too soon; retry later")

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
