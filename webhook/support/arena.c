/* arena.c -- blocks of memory handed out in order and freed together. */
#include "arena.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define ARENA_MIN_BLOCK 4096

_Static_assert(ARENA_ALIGN % alignof(max_align_t) == 0,
               "ARENA_ALIGN must keep allocations aligned for any type");

/* A block's free space is the arena's next/left while it is the head; the
 * blocks behind it are full (what they had left is not used). */
struct arena_block {
    struct arena_block *next;
    size_t size; /* bytes in data[] */
    alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(struct arena *a, size_t cap)
{
    a->head = NULL;
    a->next = NULL;
    a->left = 0;
    a->used = 0;
    a->cap = cap;
    a->capped = false;
}

void arena_cleanup(struct arena *a)
{
    if (!a)
        return;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        tg_free(b);
        b = next;
    }
    a->head = NULL;
    a->next = NULL;
    a->left = 0;
    a->used = 0;
    a->capped = false;
}

void arena_reset(struct arena *a)
{
    size_t total = 0;
    for (struct arena_block *b = a->head; b; b = b->next)
        total += b->size;
    if (a->head && !a->head->next) { /* one block already: just rewind it */
        a->next = a->head->data;
        a->left = a->head->size;
        a->used = 0;
        a->capped = false;
        return;
    }
    arena_cleanup(a);
    if (total == 0)
        return;
    struct arena_block *b = tg_malloc(sizeof(*b) + total);
    if (!b)
        return;
    b->size = total;
    b->next = NULL;
    a->head = b;
    a->next = b->data;
    a->left = total;
}

bool arena_owns(const struct arena *a, const void *p)
{
    const unsigned char *c = p;
    for (const struct arena_block *b = a->head; b; b = b->next) {
        /* compared as integers: pointers into different objects are not
         * ordered in C */
        uintptr_t lo = (uintptr_t)b->data, at = (uintptr_t)c;
        if (at >= lo && at < lo + b->size)
            return true;
    }
    return false;
}

static size_t align_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static struct arena_block *new_block(struct arena *a, size_t need)
{
    size_t size = ARENA_MIN_BLOCK;
    if (a->head && a->head->size * 2 > size)
        size = a->head->size * 2; /* grow geometrically: few blocks per request */
    if (size < need)
        size = need;
    struct arena_block *b = tg_malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->size = size;
    b->next = a->head;
    a->head = b;
    a->next = b->data;
    a->left = size;
    return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t need = align_up(n ? n : 1);
    if (a->cap && (need > a->cap || a->used > a->cap - need)) {
        a->capped = true;
        return NULL;
    }
    if (a->left < need && !new_block(a, need))
        return NULL;
    void *p = a->next;
    a->next += need;
    a->left -= need;
    a->used += need;
    return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    char *s = arena_alloc(a, (size_t)len + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}
