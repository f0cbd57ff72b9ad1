/* alloc.h -- the project's malloc family, with a switch that makes
 * allocations fail on purpose.
 *
 * Every module allocates through these (arena, buf, and jansson once
 * alloc_install_jansson() ran), so a test can call alloc_fail_after(n) and
 * walk every `out:` path, as curl's torture mode does.  In production the
 * switch is never set and each call costs one relaxed atomic load.
 * Thread-safe.
 */
#ifndef TOLLGATE_ALLOC_H
#define TOLLGATE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

void *tg_malloc(size_t n);
void *tg_calloc(size_t count, size_t n);
void *tg_realloc(void *p, size_t n);
void tg_free(void *p);
char *tg_strdup(const char *s); /* NULL if s is NULL or on failure */

/* Let the next `n` allocations succeed and fail every one after them;
 * n < 0 turns the switch off.  For tests only. */
void alloc_fail_after(long n);

/* Make jansson allocate through tg_malloc/tg_free (call before any JSON
 * value exists, once per process). */
void alloc_install_jansson(void);

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
 * arena_reset(a).  Works only after alloc_install_jansson(); without it
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
