/* arena.h -- a capped bump allocator for memory that dies together.
 *
 * A request's findings, JSON Pointers and messages, a policy's strings and
 * arrays: many small allocations with one owner and one lifetime.  They are
 * taken from blocks and freed all at once by arena_cleanup() (or kept for
 * reuse by arena_reset()).  `cap` bounds the total bytes, so hostile input
 * cannot make one request take all memory: past it every allocation returns
 * NULL and the caller reports TG_ENOMEM.
 * Not thread-safe: one arena belongs to one request or one policy.
 */
#ifndef TOLLGATE_ARENA_H
#define TOLLGATE_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct arena_block;

struct arena {
    struct arena_block *head; /* newest block first */
    unsigned char *next;      /* the unused rest of head: `left` bytes at `next` */
    size_t left;
    size_t used; /* bytes handed out, for the cap */
    size_t cap;  /* 0 = no cap */
    /* An allocation was refused because of the cap (not because malloc
     * failed): the input asked for too much, which callers may answer
     * differently from running out of memory.  Cleared by init, reset and
     * cleanup. */
    bool capped;
};

/* Caller-owned storage; no memory is taken until the first allocation. */
void arena_init(struct arena *a, size_t cap);

/* Free every block.  The arena may be used again afterwards.  NULL-safe. */
void arena_cleanup(struct arena *a);

/* Forget every allocation but keep the memory for reuse: one block as big
 * as all the blocks were together, so an arena reused for requests of a
 * similar size stops calling malloc after the first (if that one malloc
 * fails, the arena is simply empty). */
void arena_reset(struct arena *a);

/* Does `p` point into one of a's blocks?  Costs one comparison per block. */
bool arena_owns(const struct arena *a, const void *p);

/* `n` bytes aligned for any type; NULL on OOM or past the cap.  The memory
 * is not zeroed (arena_zalloc is). */
void *arena_alloc(struct arena *a, size_t n);

#define ARENA_ALIGN 16 /* a multiple of alignof(max_align_t) (arena.c checks) */

/* arena_alloc, with its common case -- room in the newest block, under the
 * cap -- inlined: a decoded review makes ~500 small allocations, and the
 * call cost as much as the allocation. */
static inline void *arena_alloc_inline(struct arena *a, size_t n)
{
    size_t need = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (n - 1 < a->left && need <= a->left && (!a->cap || a->used + need <= a->cap)) {
        void *p = a->next;
        a->next += need;
        a->left -= need;
        a->used += need;
        return p;
    }
    return arena_alloc(a, n);
}
void *arena_zalloc(struct arena *a, size_t n);

/* Copies; NULL on failure (or when `s` is NULL). */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) TG_PRINTF(2, 3);

#endif
