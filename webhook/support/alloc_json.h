/* alloc_json.h -- where jansson allocates: the heap through tg_malloc, or
 * a per-thread arena for one decoded request.
 *
 * Split from alloc.h so that the malloc family sits below the arena (arena.c
 * allocates its blocks with tg_malloc) and this, which allocates from an
 * arena, sits above both: no cycle between alloc.c and arena.c.
 * Thread-safe: the arena is per thread.
 */
#ifndef TOLLGATE_ALLOC_JSON_H
#define TOLLGATE_ALLOC_JSON_H

#include <stdbool.h>

/* Make jansson allocate through tg_malloc/tg_free (call before any JSON
 * value exists, once per process). */
void alloc_json_install(void);

struct arena;

/* A per-request JSON arena, for the decoded AdmissionReview: thousands of
 * small jansson values that die together.  After alloc_json_arena_begin(a)
 * jansson's allocations on the calling thread come from `a` (from the heap
 * once `a` is at its cap), and jansson's frees of memory in `a` are
 * ignored, so releasing the tree costs no free().  After
 * alloc_json_arena_pause() allocations come from the heap again (for
 * values that must outlive the request, such as the response text) while
 * frees of `a`'s memory are still ignored.  alloc_json_arena_end() forgets
 * `a`: call it only after every value allocated in `a` was released, then
 * arena_reset(a).  Works only after alloc_json_install(); without it
 * jansson uses the heap and these calls change nothing.  Per thread, so a
 * value from `a` must never be released by another thread or after end;
 * nesting is not supported. */
void alloc_json_arena_begin(struct arena *a);
void alloc_json_arena_pause(void);
void alloc_json_arena_end(void);

/* Did everything jansson allocated since alloc_json_arena_begin() come from
 * the arena (none of it from the heap because the arena was at its cap)?
 * Then a tree built in that time, if nothing was added to it after the
 * pause, is released by arena_reset() alone: no json_decref() walk. */
bool alloc_json_arena_holds_all(void);

#endif
