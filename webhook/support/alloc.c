/* alloc.c -- malloc wrappers with a fail-after-N switch for tests. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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
