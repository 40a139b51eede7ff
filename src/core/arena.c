/* arena.c — a chain of blocks; allocation bumps a pointer in the current
 * block and moves to the next (or a new, larger) block when it is full.
 * Reset rewinds to the first block without returning memory, so a loader
 * thread that processes samples of similar size settles into zero mallocs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "ramp/arena.h"

#define ARENA_ALIGN 64
#define ARENA_MIN_BLOCK ((size_t)1 << 16)
#define ARENA_DEFAULT_LIMIT ((size_t)1 << 30)

typedef struct block {
    struct block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
} block;

struct ramp_arena {
    block *head; /* first block */
    block *cur;  /* block currently allocated from */
    size_t used; /* bytes handed out since the last reset */
    size_t reserved;
    size_t limit;
};

static size_t header_size(void)
{
    return (sizeof(block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

ramp_status ramp_arena_new(ramp_arena **out, ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_arena_new: out is NULL");
    ramp_arena *a = calloc(1, sizeof *a);
    *out = a;
    if (!a) return ramp__err_set(err, RAMP_ENOMEM, "arena: out of memory");
    a->limit = ARENA_DEFAULT_LIMIT;
    return RAMP_OK;
}

void ramp_arena_free(ramp_arena *a)
{
    if (!a) return;
    block *b = a->head;
    while (b) {
        block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

static void *block_take(block *b, size_t size)
{
    size_t off = (b->used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (off > b->size || b->size - off < size) return NULL;
    b->used = off + size;
    return (char *)b + header_size() + off;
}

void *ramp_arena_alloc(ramp_arena *a, size_t size)
{
    if (!a) return NULL;
    if (size == 0) size = 1;
    if (size > a->limit || a->used > a->limit - size) return NULL;
    /* Try the current block, then the blocks after it (kept from before a reset). */
    for (block *b = a->cur; b; b = b->next) {
        void *p = block_take(b, size);
        if (p) {
            a->cur = b;
            a->used += size;
            return p;
        }
    }
    size_t want = a->reserved > ARENA_MIN_BLOCK ? a->reserved : ARENA_MIN_BLOCK;
    if (want < size + ARENA_ALIGN) want = size + ARENA_ALIGN;
    if (want > SIZE_MAX - header_size() - ARENA_ALIGN) return NULL;
    /* aligned_alloc keeps the header, and so every offset, 64-byte aligned */
    size_t total = (header_size() + want + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    block *nb = aligned_alloc(ARENA_ALIGN, total);
    if (!nb) return NULL;
    nb->next = NULL;
    nb->size = total - header_size();
    nb->used = 0;
    a->reserved += nb->size;
    /* append at the end of the chain so reuse order stays stable */
    if (!a->head) {
        a->head = nb;
    } else {
        block *t = a->cur ? a->cur : a->head;
        while (t->next) t = t->next;
        t->next = nb;
    }
    a->cur = nb;
    void *p = block_take(nb, size);
    a->used += size;
    return p;
}

void *ramp_arena_calloc(ramp_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = ramp_arena_alloc(a, n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void ramp_arena_reset(ramp_arena *a)
{
    if (!a) return;
    for (block *b = a->head; b; b = b->next) b->used = 0;
    a->cur = a->head;
    a->used = 0;
}

void ramp_arena_set_limit(ramp_arena *a, size_t bytes)
{
    if (a) a->limit = bytes ? bytes : ARENA_DEFAULT_LIMIT;
}

size_t ramp_arena_used(const ramp_arena *a)
{
    return a ? a->used : 0;
}

size_t ramp_arena_reserved(const ramp_arena *a)
{
    return a ? a->reserved : 0;
}
