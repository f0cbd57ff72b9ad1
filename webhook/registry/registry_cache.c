/* registry_cache.c -- TTL + LRU cache of lookups with single flight.
 *
 * A chained hash table (fixed bucket count, sized from max_entries) for the
 * look-up, and a doubly linked list in recency order for eviction.  An entry
 * is "pinned" while its fetch runs or threads wait on it: pinned entries are
 * never freed, so a waiter can sleep on the condition variable and find its
 * entry still there when it wakes.  One condition variable serves every key:
 * flights are rare (misses only) and a waiter re-checks its own entry.
 */
#include "registry_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

struct entry {
    char *key;
    unsigned hash;
    struct entry *chain;       /* next in the bucket */
    struct entry *prev, *next; /* recency list, most recent first */
    bool pending;              /* a fetch is running for it */
    unsigned waiters;          /* threads sleeping until it completes */
    long long expires_ms;
    enum tg_rc rc;
    char reason[sizeof(((struct tg_error *)0)->text)];
    struct registry_image img;
};

struct registry_cache {
    pthread_mutex_t lock;
    pthread_cond_t done; /* broadcast when any flight completes */
    struct entry **buckets;
    size_t n_buckets; /* a power of two */
    struct entry *head, *tail;
    size_t max_entries;
    long long ttl_ms, error_ttl_ms;
    struct registry_cache_stats stats; /* stats.entries is the live count */
};

void registry_image_cleanup(struct registry_image *img)
{
    if (!img)
        return;
    tg_free(img->digest);
    tg_free(img->config_user);
    img->digest = NULL;
    img->config_user = NULL;
}

enum tg_rc registry_image_copy(struct registry_image *dst,
                               const struct registry_image *src)
{
    dst->digest = NULL;
    dst->config_user = NULL;
    if (src->digest && !(dst->digest = tg_strdup(src->digest)))
        return TG_ENOMEM;
    if (src->config_user && !(dst->config_user = tg_strdup(src->config_user))) {
        registry_image_cleanup(dst);
        return TG_ENOMEM;
    }
    return TG_OK;
}

long long registry_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned hash_key(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

struct registry_cache *registry_cache_new(size_t max_entries, long long ttl_ms,
                                          long long error_ttl_ms)
{
    struct registry_cache *c = tg_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    size_t n = 16;
    while (n < max_entries && n < ((size_t)1 << 20))
        n *= 2;
    c->buckets = tg_calloc(n, sizeof(*c->buckets));
    if (!c->buckets) {
        tg_free(c);
        return NULL;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    /* deadlines are monotonic: a wall-clock step must not cut a wait short */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->done, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&c->lock, NULL);
    c->n_buckets = n;
    c->max_entries = max_entries;
    c->ttl_ms = ttl_ms;
    c->error_ttl_ms = error_ttl_ms;
    return c;
}

static void entry_free(struct entry *e)
{
    registry_image_cleanup(&e->img);
    tg_free(e->key);
    tg_free(e);
}

void registry_cache_free(struct registry_cache *c)
{
    if (!c)
        return;
    struct entry *e = c->head;
    while (e) {
        struct entry *next = e->next;
        entry_free(e);
        e = next;
    }
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->lock);
    tg_free(c->buckets);
    tg_free(c);
}

static struct entry *find(const struct registry_cache *c, const char *key, unsigned h)
{
    for (struct entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->chain) {
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

static void list_unlink(struct registry_cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push_front(struct registry_cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void remove_entry(struct registry_cache *c, struct entry *e)
{
    struct entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    list_unlink(c, e);
    c->stats.entries--;
    entry_free(e);
}

static bool is_pinned(const struct entry *e)
{
    return e->pending || e->waiters > 0;
}

/* Drop least recently used entries until there is room for `room` more.
 * Pinned entries stay, so the count may exceed the maximum while many
 * flights run at once; it comes back down as they complete. */
static void make_room(struct registry_cache *c, size_t room)
{
    struct entry *e = c->tail;
    while (e && c->stats.entries + room > c->max_entries) {
        struct entry *prev = e->prev;
        if (!is_pinned(e)) {
            remove_entry(c, e);
            c->stats.evicted++;
        }
        e = prev;
    }
}

static struct entry *insert_pending(struct registry_cache *c, const char *key, unsigned h)
{
    struct entry *e = tg_calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->key = tg_strdup(key);
    if (!e->key) {
        tg_free(e);
        return NULL;
    }
    make_room(c, 1);
    e->hash = h;
    e->pending = true;
    size_t b = h & (c->n_buckets - 1);
    e->chain = c->buckets[b];
    c->buckets[b] = e;
    list_push_front(c, e);
    c->stats.entries++;
    return e;
}

/* The entry's answer for the caller; called with the lock held. */
static enum tg_rc answer(const struct entry *e, struct registry_image *out,
                         struct tg_error *err)
{
    if (e->rc != TG_OK)
        return tg_error_setf(err, e->rc, "%s", e->reason);
    if (registry_image_copy(out, &e->img) != TG_OK)
        return tg_error_setf(err, TG_ENOMEM, "out of memory copying a cached answer");
    return TG_OK;
}

static bool wait_until(struct registry_cache *c, long long deadline_ms)
{
    struct timespec ts = {.tv_sec = deadline_ms / 1000,
                          .tv_nsec = (deadline_ms % 1000) * 1000000};
    return pthread_cond_timedwait(&c->done, &c->lock, &ts) != ETIMEDOUT;
}

/* Sleep until another thread's flight for `e` lands; lock held. */
static enum tg_rc wait_flight(struct registry_cache *c, struct entry *e,
                              long long deadline_ms, struct registry_image *out,
                              struct tg_error *err)
{
    enum tg_rc rc;
    e->waiters++;
    c->stats.shared++;
    while (e->pending) {
        if (registry_now_ms() >= deadline_ms || !wait_until(c, deadline_ms)) {
            if (!e->pending)
                break;
            rc = tg_error_setf(err, TG_ETIMEDOUT,
                               "timed out waiting for the registry (lookup shared with "
                               "another request)");
            goto out;
        }
    }
    rc = answer(e, out, err);
out:
    e->waiters--;
    if (!is_pinned(e) && (e->expires_ms <= registry_now_ms() || c->max_entries == 0))
        remove_entry(c, e);
    return rc;
}

/* Run the fetch for `e` (pending, so nobody frees it) without the lock, then
 * publish the answer and wake the waiters.  Called and returns locked. */
static enum tg_rc run_flight(struct registry_cache *c, struct entry *e,
                             const struct registry_query *q, struct registry_image *out,
                             struct tg_error *err)
{
    struct registry_image img = {NULL, NULL};
    struct tg_error ferr = {.text = ""};
    c->stats.fetches++;
    pthread_mutex_unlock(&c->lock);
    enum tg_rc frc = q->fetch(q->arg, &img, &ferr);
    pthread_mutex_lock(&c->lock);
    e->pending = false;
    e->rc = frc;
    if (frc == TG_OK) {
        e->img = img;
    } else {
        registry_image_cleanup(&img);
        snprintf(e->reason, sizeof(e->reason), "%s", ferr.text);
    }
    long long ttl = frc == TG_OK ? c->ttl_ms : c->error_ttl_ms;
    if (frc == TG_ENOMEM || (frc == TG_ETIMEDOUT && q->cut_short))
        ttl = 0; /* our failure, not the registry's: the next caller tries again */
    e->expires_ms = registry_now_ms() + ttl;
    pthread_cond_broadcast(&c->done);
    enum tg_rc rc = answer(e, out, err);
    if (c->max_entries == 0 || ttl <= 0) {
        if (!is_pinned(e))
            remove_entry(c, e);
    } else {
        make_room(c, 0);
    }
    return rc;
}

/* No entry could be allocated: answer this caller alone. */
static enum tg_rc fetch_uncached(struct registry_cache *c, const struct registry_query *q,
                                 struct registry_image *out, struct tg_error *err)
{
    c->stats.fetches++;
    pthread_mutex_unlock(&c->lock);
    enum tg_rc rc = q->fetch(q->arg, out, err);
    pthread_mutex_lock(&c->lock);
    return rc;
}

enum tg_rc registry_cache_get(struct registry_cache *c, const struct registry_query *q,
                              struct registry_image *out, struct tg_error *err)
{
    enum tg_rc rc;
    unsigned h = hash_key(q->key);
    out->digest = NULL;
    out->config_user = NULL;
    pthread_mutex_lock(&c->lock);
    struct entry *e = find(c, q->key, h);
    if (e && e->pending) {
        rc = wait_flight(c, e, q->deadline_ms, out, err);
    } else if (e && e->expires_ms > registry_now_ms()) {
        c->stats.hits++;
        list_unlink(c, e);
        list_push_front(c, e);
        rc = answer(e, out, err);
    } else {
        if (e && !is_pinned(e))
            remove_entry(c, e); /* stale */
        e = insert_pending(c, q->key, h);
        rc = e ? run_flight(c, e, q, out, err) : fetch_uncached(c, q, out, err);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

enum tg_rc registry_cache_peek(struct registry_cache *c, const char *key,
                               struct registry_image *out, bool *hit,
                               struct tg_error *err)
{
    enum tg_rc rc = TG_OK;
    out->digest = NULL;
    out->config_user = NULL;
    pthread_mutex_lock(&c->lock);
    struct entry *e = find(c, key, hash_key(key));
    *hit = e && !e->pending && e->expires_ms > registry_now_ms();
    if (*hit) {
        c->stats.hits++;
        list_unlink(c, e);
        list_push_front(c, e);
        rc = answer(e, out, err);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void registry_cache_stats(struct registry_cache *c, struct registry_cache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}
