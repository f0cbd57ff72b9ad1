/* alloc.h -- the project's malloc family, with a switch that makes
 * allocations fail on purpose.
 *
 * Every module allocates through these (arena, buf, and jansson once
 * alloc_json_install() ran: alloc_json.h), so a test can call alloc_fail_after(n) and
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

#endif
