/* ramp/arena.h — a region allocator for short-lived objects.
 *
 * A preprocessor builds several intermediate images per sample; they all come
 * from one arena that the workflow resets after each call, so user code frees
 * nothing by hand. Blocks are kept across resets, so a steady stream of
 * same-sized samples allocates from the system only during the first few.
 *
 * An arena has a byte limit (default 1 GiB): a request past it fails cleanly
 * instead of growing without bound.
 *
 * Errors (status.h's convention): the constructor returns a status with its
 * message in a ramp_err; allocation is malloc-like, NULL meaning
 * RAMP_ENOMEM (out of memory, or the limit).
 */
#ifndef RAMP_ARENA_H
#define RAMP_ARENA_H

#include <stddef.h>

#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_arena ramp_arena;

/* A new empty arena into *out (NULL on failure: RAMP_ENOMEM, the message in
   err, which may be NULL). The caller frees it with ramp_arena_free(). */
ramp_status ramp_arena_new(ramp_arena **out, ramp_err *err);

/* Frees the arena and everything allocated from it; NULL is a no-op. */
void ramp_arena_free(ramp_arena *a);

/* `size` bytes aligned to 64, valid until the next reset or free. Like
   malloc, it returns NULL on failure, and the only failure is RAMP_ENOMEM:
   memory ran out or the limit would be passed (there is no message; a
   caller that has a handle records one, as the image operations do in
   their ramp_pp). Not thread-safe. */
void *ramp_arena_alloc(ramp_arena *a, size_t size);

/* Like ramp_arena_alloc() but zero-filled; NULL also when n*size overflows. */
void *ramp_arena_calloc(ramp_arena *a, size_t n, size_t size);

/* Releases every allocation at once; blocks are kept for reuse. */
void ramp_arena_reset(ramp_arena *a);

/* Sets the byte limit (0 restores the default). */
void ramp_arena_set_limit(ramp_arena *a, size_t bytes);

/* Bytes currently handed out, and bytes held from the system. */
size_t ramp_arena_used(const ramp_arena *a);
size_t ramp_arena_reserved(const ramp_arena *a);

#ifdef __cplusplus
}
#endif
#endif
