/* alloc_json.c -- jansson's allocator: the heap, or this thread's arena. */
#include "alloc_json.h"

#include <jansson.h>
#include <stdbool.h>

#include "alloc.h"
#include "arena.h"

/* This thread's JSON arena (alloc_json_arena_begin), and whether jansson
 * allocates from it right now.  Thread-local, not shared: each server
 * thread decodes its own requests. */
static _Thread_local struct arena *json_arena;
static _Thread_local bool json_from_arena;
static _Thread_local bool json_spilled; /* an allocation missed the arena */

static void *json_alloc(size_t n)
{
    if (json_from_arena) {
        void *p = arena_alloc_inline(json_arena, n);
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

void alloc_json_install(void)
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
