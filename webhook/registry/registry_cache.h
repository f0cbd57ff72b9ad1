/* registry_cache.h -- what registries said about images, kept for a while.
 *
 * Every admission of a Deployment's pods would otherwise ask the registry the
 * same question again.  The cache maps a key (the image reference plus what
 * was asked, built by registry.c) to the answer of one lookup: a struct
 * registry_image on success, or the failure's code and short reason.
 * Answers live `ttl_ms`, failures `error_ttl_ms` (short, so a registry that
 * is down costs one timeout per image every few seconds instead of one per
 * admission); at most `max_entries` are kept, the least recently used going
 * first.
 *
 * Single flight: when several threads miss on the same key at once, the
 * first one runs the fetch and the others wait on a condition variable for
 * its answer (or until their own deadline).  The mutex is never held while a
 * fetch runs, so a slow registry only delays the requests that need it.
 * Answers are copied out, so nothing the caller holds points into the cache.
 * Thread-safe: every function but new/free may be called from any thread.
 */
#ifndef TOLLGATE_REGISTRY_CACHE_H
#define TOLLGATE_REGISTRY_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* What one lookup found.  Strings are owned (tg_malloc), freed by
 * registry_image_cleanup. */
struct registry_image {
    char *digest;      /* "sha256:<hex>" the reference names, or NULL */
    char *config_user; /* config.User ("" when unset), or NULL when not read */
};

void registry_image_cleanup(struct registry_image *img); /* NULL-safe, may be reused */

/* Deep copy; TG_ENOMEM leaves *dst empty. */
TG_MUST_CHECK enum tg_rc registry_image_copy(struct registry_image *dst,
                                             const struct registry_image *src);

/* Milliseconds on CLOCK_MONOTONIC: the clock of every deadline here. */
long long registry_now_ms(void);

/* One question to the cache.  `fetch` runs the real lookup on a miss, on
 * the calling thread and without the cache's lock: it fills `out` and
 * returns TG_OK, or returns the failure with err->text a short reason
 * (cached as given).  TG_ENOMEM is never cached: it says nothing about the
 * registry. */
struct registry_query {
    const char *key;       /* what is asked, e.g. "1 docker.io/library/nginx:1.25" */
    long long deadline_ms; /* registry_now_ms clock */
    enum tg_rc (*fetch)(void *arg, struct registry_image *out, struct tg_error *err);
    void *arg;
    /* The fetch runs on less than the usual budget (the caller's deadline
     * is near), so a TG_ETIMEDOUT from it is not cached either. */
    bool cut_short;
};

struct registry_cache;

/* A new, empty cache.  max_entries 0 disables caching (every lookup runs its
 * own fetch, but concurrent lookups of one key still share it).  NULL on OOM. */
struct registry_cache *registry_cache_new(size_t max_entries, long long ttl_ms,
                                          long long error_ttl_ms);

/* Frees every entry.  No lookup may be running.  NULL-safe. */
void registry_cache_free(struct registry_cache *c);

/* The answer for q->key: from the cache if fresh, else from a fetch already
 * in flight for the same key, else by running q->fetch.  Waits at most until
 * q->deadline_ms for another thread's fetch, then gives up with TG_ETIMEDOUT
 * (that fetch goes on and its answer is cached).  On TG_OK *out (caller
 * storage, empty) holds a copy of the answer; on failure the fetch's code
 * and reason are returned (TG_ENOMEM if memory ran out here). */
TG_MUST_CHECK enum tg_rc registry_cache_get(struct registry_cache *c,
                                            const struct registry_query *q,
                                            struct registry_image *out,
                                            struct tg_error *err);

/* The fresh answer for `key` if the cache has one, without fetching or
 * waiting: *hit true and the answer's code (TG_OK with *out filled, or the
 * cached failure), or *hit false and TG_OK with *out empty (absent, stale,
 * or still in flight).  Counted as a hit only when *hit. */
TG_MUST_CHECK enum tg_rc registry_cache_peek(struct registry_cache *c, const char *key,
                                             struct registry_image *out, bool *hit,
                                             struct tg_error *err);

struct registry_cache_stats {
    unsigned long hits;    /* answered from a fresh entry */
    unsigned long shared;  /* waited for another thread's fetch */
    unsigned long fetches; /* ran a fetch */
    unsigned long evicted; /* dropped to stay within max_entries */
    size_t entries;        /* entries now, in flight included */
};

/* A consistent snapshot of the counters (tests, metrics). */
void registry_cache_stats(struct registry_cache *c, struct registry_cache_stats *out);

#endif
