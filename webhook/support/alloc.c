/* alloc.c -- malloc wrappers with a fail-after-N switch for tests. */
#include "alloc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* -1: never fail.  Otherwise the number of allocations still allowed. */
static atomic_long allowance = -1;

static int should_fail(void)
{
    long left = atomic_load_explicit(&allowance, memory_order_relaxed);
    if (left < 0)
        return 0;
    if (left == 0)
        return 1;
    atomic_fetch_sub_explicit(&allowance, 1, memory_order_relaxed);
    return 0;
}

void *tg_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *tg_calloc(size_t count, size_t n)
{
    return should_fail() ? NULL : calloc(count ? count : 1, n ? n : 1);
}

void *tg_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void tg_free(void *p)
{
    free(p);
}

char *tg_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s) + 1;
    char *d = tg_malloc(len);
    if (d)
        memcpy(d, s, len);
    return d;
}

void alloc_fail_after(long n)
{
    atomic_store_explicit(&allowance, n, memory_order_relaxed);
}

/* This thread's JSON arena (alloc_json_arena_begin), and whether jansson
 * allocates from it right now.  Thread-local, not shared: each server
 * thread decodes its own requests. */
static _Thread_local struct arena *json_arena;
static _Thread_local bool json_from_arena;
static _Thread_local bool json_spilled; /* an allocation missed the arena */

static void *json_alloc(size_t n)
{
    if (json_from_arena) {
        void *p = arena_alloc(json_arena, n);
        if (p)
            return p;
        json_spilled = true;
    }
    return tg_malloc(n); /* no arena, or past its cap */
}

static void json_release(void *p)
{
    if (json_arena && arena_owns(json_arena, p))
        return; /* goes with the arena */
    tg_free(p);
}

void alloc_install_jansson(void)
{
    json_set_alloc_funcs(json_alloc, json_release);
}

void alloc_json_arena_begin(struct arena *a)
{
    json_arena = a;
    json_from_arena = a != NULL;
    json_spilled = false;
}

bool alloc_json_arena_holds_all(void)
{
    return json_arena && !json_spilled;
}

void alloc_json_arena_pause(void)
{
    json_from_arena = false;
}

void alloc_json_arena_end(void)
{
    json_arena = NULL;
    json_from_arena = false;
    json_spilled = false;
}
