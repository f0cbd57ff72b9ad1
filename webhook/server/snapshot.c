/* snapshot.c -- refcounted policy snapshots and the current one. */
#include "snapshot.h"

#include <pthread.h>
#include <stdatomic.h>

#include "alloc.h"

struct snapshot {
    atomic_uint refs;
    struct policy *policy; /* owned; immutable after publish */
    uint64_t generation;
};

static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current; /* guarded by swap_lock */

struct snapshot *snapshot_new(struct policy *policy, uint64_t generation)
{
    struct snapshot *s = tg_malloc(sizeof(*s));
    if (!s) {
        policy_free(policy);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->policy = policy;
    s->generation = generation;
    return s;
}

void snapshot_release(struct snapshot *s)
{
    if (!s)
        return;
    /* acq_rel: the freeing thread must see every reader's use as done. */
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    policy_free(s->policy);
    tg_free(s);
}

struct snapshot *snapshot_acquire(void)
{
    pthread_mutex_lock(&swap_lock);
    struct snapshot *s = current;
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&swap_lock);
    return s;
}

void snapshot_publish(struct snapshot *next)
{
    pthread_mutex_lock(&swap_lock);
    struct snapshot *old = current;
    current = next;
    pthread_mutex_unlock(&swap_lock);
    snapshot_release(old); /* freed now, or by its last request */
}

void snapshot_clear(void)
{
    snapshot_publish(NULL);
}

const struct policy *snapshot_policy(const struct snapshot *s)
{
    return s->policy;
}

uint64_t snapshot_generation(const struct snapshot *s)
{
    return s->generation;
}
