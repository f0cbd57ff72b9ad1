/* check_snapshot.c -- the current policy is published whole, pinned per
 * request, and freed by whoever drops the last reference.  Use-after-free
 * and leaks are what this suite exists to catch: run it under valgrind
 * (CK_FORK=no), ASan and TSan. */
#include "snapshot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "testutil.h"

static struct snapshot *make(uint64_t gen)
{
    struct policy *p = policy_new_default();
    ck_assert_ptr_nonnull(p);
    struct snapshot *s = snapshot_new(p, gen);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(none_before_publish)
{
    snapshot_clear();
    ck_assert_ptr_null(snapshot_acquire());
    snapshot_release(NULL); /* NULL-safe */
}
END_TEST

START_TEST(publish_then_acquire)
{
    struct snapshot *s = make(1);
    const struct policy *p = snapshot_policy(s);
    snapshot_publish(s);
    struct snapshot *a = snapshot_acquire();
    ck_assert_ptr_eq(a, s);
    ck_assert_ptr_eq(snapshot_policy(a), p);
    ck_assert_uint_eq(snapshot_generation(a), 1);
    snapshot_release(a);
    snapshot_clear();
    ck_assert_ptr_null(snapshot_acquire());
}
END_TEST

/* A request that pinned generation 1 keeps reading it after 2 is
 * published; the last release frees it (valgrind: no leak, no bad read). */
START_TEST(pinned_survives_publish)
{
    snapshot_publish(make(1));
    struct snapshot *pinned = snapshot_acquire();
    snapshot_publish(make(2));
    ck_assert_uint_eq(snapshot_generation(pinned), 1);
    ck_assert_int_eq(snapshot_policy(pinned)->mode, POLICY_ENFORCE);
    struct snapshot *now = snapshot_acquire();
    ck_assert_uint_eq(snapshot_generation(now), 2);
    snapshot_release(pinned);
    snapshot_release(now);
    snapshot_clear();
}
END_TEST

START_TEST(new_takes_policy_on_oom)
{
    struct policy *p = policy_new_default();
    ck_assert_ptr_nonnull(p);
    alloc_fail_after(0);
    struct snapshot *s = snapshot_new(p, 1); /* frees p: valgrind proves it */
    alloc_fail_after(-1);
    ck_assert_ptr_null(s);
}
END_TEST

/* Readers pin and read while a writer publishes; generations a reader sees
 * never go backwards. */
#define READERS 4
#define PUBLISHES 2000

static atomic_bool stop;

static void *reader(void *arg)
{
    atomic_ulong *seen = arg;
    uint64_t last = 0;
    while (!atomic_load(&stop)) {
        struct snapshot *s = snapshot_acquire();
        ck_assert_ptr_nonnull(s);
        uint64_t g = snapshot_generation(s);
        ck_assert_uint_ge(g, last);
        ck_assert_int_eq(snapshot_policy(s)->probes.required,
                         PROBE_LIVENESS | PROBE_READINESS);
        last = g;
        snapshot_release(s);
        atomic_fetch_add(seen, 1);
    }
    return NULL;
}

/* On a loaded machine a reader may not run at all before the publisher is
 * done: wait (bounded) until every reader has read, so the test proves
 * concurrency instead of depending on the scheduler. */
static void wait_until_all_read(atomic_ulong *seen, unsigned long at_least)
{
    for (int spins = 0; spins < 10000; spins++) {
        int all = 1;
        for (int i = 0; i < READERS; i++)
            all &= atomic_load(&seen[i]) >= at_least;
        if (all)
            return;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
}

START_TEST(concurrent_readers_and_publisher)
{
    snapshot_publish(make(1));
    atomic_store(&stop, false);
    pthread_t t[READERS];
    atomic_ulong seen[READERS];
    for (int i = 0; i < READERS; i++) {
        atomic_init(&seen[i], 0);
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &seen[i]), 0);
    }
    wait_until_all_read(seen, 1);
    for (uint64_t g = 2; g <= PUBLISHES; g++)
        snapshot_publish(make(g));
    wait_until_all_read(seen, 1);
    atomic_store(&stop, true);
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_uint_gt(atomic_load(&seen[i]), 0);
    }
    struct snapshot *last = snapshot_acquire();
    ck_assert_uint_eq(snapshot_generation(last), PUBLISHES);
    snapshot_release(last);
    snapshot_clear();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, none_before_publish);
    tcase_add_test(tc, publish_then_acquire);
    tcase_add_test(tc, pinned_survives_publish);
    tcase_add_test(tc, new_takes_policy_on_oom);
    tcase_add_test(tc, concurrent_readers_and_publisher);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
