/* coreInt.h — helpers shared by every module, not part of the public API.
 *
 * ramp__err_set() formats a message into an optional ramp_err and returns the
 * code, so a failing path reads `return ramp__err_set(err, RAMP_EIO, ...)`.
 * ramp__read_file() loads a whole file with a size cap, naming the file in
 * every error it reports.
 */
#ifndef RAMP_CORE_INT_H
#define RAMP_CORE_INT_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "ramp/status.h"

#if defined(__GNUC__)
#define RAMP__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RAMP__PRINTF(f, a)
#endif

/* Writes code and message into *err (if err is non-NULL); returns code. */
ramp_status ramp__err_set(ramp_err *err, ramp_status code, const char *fmt, ...)
    RAMP__PRINTF(3, 4);
ramp_status ramp__err_vset(ramp_err *err, ramp_status code, const char *fmt, va_list ap);

/* Clears *err to RAMP_OK and an empty message (NULL is a no-op). */
void ramp__err_clear(ramp_err *err);

/* Reads all of `path` into a malloc'd buffer (NUL-terminated past *len, so
   text parsers may treat it as a string). Files over max_bytes fail with
   RAMP_ETOOBIG; a missing file with RAMP_ENOENT. The caller frees *data. */
ramp_status ramp__read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                            ramp_err *err);

/* Allocator for ramp__read_file_with(): returns n bytes or NULL. */
typedef void *(*ramp__alloc_fn)(void *ctx, size_t n);

/* Same, with the buffer from `alloc` (e.g. an arena); on failure any buffer
   it handed out stays the allocator's to reclaim. */
ramp_status ramp__read_file_with(const char *path, size_t max_bytes, ramp__alloc_fn alloc,
                                 void *ctx, uint8_t **data, size_t *len, ramp_err *err);

/* mkdir -p: creates path and its missing parents (0755); 0 or -1 with errno. */
int ramp__mkdirs(const char *path);

/* rm -rf: removes path and everything below it (best effort, no symlinks
   followed). */
void ramp__rmtree(const char *path);

/* Joins a and b with one '/', into a malloc'd string; NULL when out of memory. */
char *ramp__path_join(const char *a, const char *b);

/* strdup for C11 (which lacks it); NULL when out of memory or s is NULL. */
char *ramp__strdup(const char *s);

/* Monotonic time in seconds. */
double ramp__now(void);

/* numpy's legacy RandomState (MT19937), for sklearn's shuffle splits
   (mt19937.c). A state is ~2.5 KB; not thread-safe on one state. */
typedef struct ramp__mt {
    uint32_t key[624];
    int pos;
} ramp__mt;

/* RandomState(seed): init_genrand. */
void ramp__mt_seed(ramp__mt *m, uint32_t seed);
/* Next 32 bits; next 64 bits (two words, the first one high). */
uint32_t ramp__mt_next32(ramp__mt *m);
uint64_t ramp__mt_next64(ramp__mt *m);
/* numpy's random_interval: uniform in [0, max] by masked rejection. */
uint64_t ramp__mt_interval(ramp__mt *m, uint64_t max);
/* RandomState.shuffle of a[0..n) in place (i = n-1 down to 1). */
void ramp__mt_shuffle(ramp__mt *m, uint32_t *a, size_t n);
/* RandomState.permutation(n) into out[0..n). */
void ramp__mt_permutation(ramp__mt *m, uint32_t *out, size_t n);
/* RandomState.choice(k, size, replace=False): out[0..size) after the call;
   out must hold k entries (numpy permutes all k). */
void ramp__mt_choice(ramp__mt *m, uint32_t *out, size_t k, size_t size);

/* ---- growable text buffer (buf.c) ------------------------------------------ */

typedef struct ramp__buf {
    char *p;
    size_t len, cap;
    int oom; /* set once an allocation failed; later appends are no-ops */
} ramp__buf;

void ramp__buf_put(ramp__buf *b, const void *s, size_t n);
void ramp__buf_puts(ramp__buf *b, const char *s);
void ramp__buf_printf(ramp__buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void ramp__buf_html(ramp__buf *b, const char *s); /* HTML-escaped */
void ramp__buf_json(ramp__buf *b, const char *s); /* a quoted JSON string */
/* Writes s to f as a JSON string literal, quotes included: the same escaper
   as ramp__buf_json (buf.c), the only one in ramp. */
void ramp__json_fputs(FILE *f, const char *s);
/* Writes v to f as a JSON number that reads back to the same double
   (%.17g), or null when it is not finite. */
void ramp__json_fnum(FILE *f, double v);
void ramp__buf_free(ramp__buf *b);

/* ---- a submission's states (state.c) -------------------------------------- */

/* Every state a submission goes through, with its name (in the store, in
   `ramp test --save`'s state.txt, on the web pages) and whether it is a
   failure (its log is the error's). new → training → tested → scored, or one
   of the failures. The one list: no other file spells these names. */
#define RAMP__STATES(X)                                                                   \
    X(NEW, "new", 0)                           /* submitted, waiting for a worker */    \
    X(TRAINING, "training", 0)                 /* claimed by a worker */                \
    X(TESTED, "tested", 0)                     /* every fold ran; not yet blended */    \
    X(SCORED, "scored", 0)                     /* blended into the leaderboard */       \
    X(TRAINING_ERROR, "training_error", 1)     /* failed building or fitting */         \
    X(VALIDATING_ERROR, "validating_error", 1) /* failed predicting the valid rows */   \
    X(TESTING_ERROR, "testing_error", 1)       /* failed predicting the test set */     \
    X(TIMEOUT, "timeout", 1)                   /* ran past the event's limit */         \
    X(WORKER_KILLED, "worker_killed", 1)       /* its workers died max_claims times */

typedef enum ramp__state {
#define RAMP__STATE_ENUM(e, name, failed) RAMP__ST_##e,
    RAMP__STATES(RAMP__STATE_ENUM)
#undef RAMP__STATE_ENUM
    RAMP__ST_N
} ramp__state;

/* The state's name; "?" for a bad value. */
const char *ramp__state_name(ramp__state s);
/* 1 when name is a failed state's, else 0 (NULL and unknown names too). */
int ramp__state_failed(const char *name);

#endif
