/* check_registry_cache.c -- TTL, LRU, failures and single flight. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "registry_cache.h"
#include "testutil.h"

/* A fetch that counts its calls, can be slow, and answers with the key. */
struct fake {
    atomic_int calls;
    int delay_ms;
    enum tg_rc rc;
    const char *key;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static enum tg_rc fake_fetch(void *arg, struct registry_image *out, struct tg_error *err)
{
    struct fake *f = arg;
    atomic_fetch_add(&f->calls, 1);
    if (f->delay_ms)
        sleep_ms(f->delay_ms);
    if (f->rc != TG_OK)
        return tg_error_setf(err, f->rc, "registry said no to %s", f->key);
    char user[64];
    snprintf(user, sizeof(user), "user-of-%s", f->key);
    out->digest = tg_strdup("sha256:0123");
    out->config_user = tg_strdup(user);
    if (!out->digest || !out->config_user) {
        registry_image_cleanup(out);
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    }
    return TG_OK;
}

static enum tg_rc get(struct registry_cache *c, struct fake *f, const char *key,
                      struct registry_image *img, struct tg_error *err)
{
    f->key = key;
    struct registry_query q = {key, registry_now_ms() + 5000, fake_fetch, f, false};
    return registry_cache_get(c, &q, img, err);
}

/* Each row: a sequence of keys ("+" before a key sleeps past the TTL first)
 * and the number of fetches the cache must have run afterwards. */
static const struct {
    const char *name;
    size_t max;
    const char *keys[8];
    int fetches;
    unsigned long evicted;
} seqs[] = {
    {"repeat hits", 16, {"a", "a", "a", "a"}, 1, 0},
    {"distinct keys", 16, {"a", "b", "c", "a", "b", "c"}, 3, 0},
    {"ttl expiry refetches", 16, {"a", "a", "+a", "a"}, 2, 0},
    {"lru keeps recent", 2, {"a", "b", "a", "c", "a"}, 3, 1},
    {"lru evicts oldest", 2, {"a", "b", "a", "c", "b"}, 4, 2},
    {"disabled cache", 0, {"a", "a", "a"}, 3, 0},
};

START_TEST(sequences)
{
    struct registry_cache *c = registry_cache_new(seqs[_i].max, 300, 300);
    ck_assert_ptr_nonnull(c);
    struct fake f = {.rc = TG_OK};
    for (size_t k = 0; k < ARRAY_LEN(seqs[_i].keys) && seqs[_i].keys[k]; k++) {
        const char *key = seqs[_i].keys[k];
        if (key[0] == '+') {
            sleep_ms(600);
            key++;
        }
        struct registry_image img;
        struct tg_error err;
        ck_assert_int_eq(get(c, &f, key, &img, &err), TG_OK);
        char want[64];
        snprintf(want, sizeof(want), "user-of-%s", key);
        ck_assert_str_eq(img.config_user, want);
        ck_assert_str_eq(img.digest, "sha256:0123");
        registry_image_cleanup(&img);
    }
    ck_assert_msg(atomic_load(&f.calls) == seqs[_i].fetches, "%s: %d fetches, want %d",
                  seqs[_i].name, atomic_load(&f.calls), seqs[_i].fetches);
    struct registry_cache_stats st;
    registry_cache_stats(c, &st);
    ck_assert_uint_eq(st.evicted, seqs[_i].evicted);
    ck_assert_uint_le(st.entries, seqs[_i].max);
    registry_cache_free(c);
}
END_TEST

START_TEST(failures_are_cached_briefly)
{
    struct registry_cache *c = registry_cache_new(16, 10000, 50);
    struct fake f = {.rc = TG_ETIMEDOUT};
    struct registry_image img;
    struct tg_error err;
    ck_assert_int_eq(get(c, &f, "x", &img, &err), TG_ETIMEDOUT);
    ck_assert_str_eq(err.text, "registry said no to x");
    ck_assert_ptr_null(img.digest);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(get(c, &f, "x", &img, &err), TG_ETIMEDOUT);
    ck_assert_str_eq(err.text, "registry said no to x"); /* the cached reason */
    ck_assert_int_eq(atomic_load(&f.calls), 1);
    sleep_ms(100);
    f.rc = TG_OK; /* the registry is back */
    ck_assert_int_eq(get(c, &f, "x", &img, &err), TG_OK);
    ck_assert_int_eq(atomic_load(&f.calls), 2);
    registry_image_cleanup(&img);
    registry_cache_free(c);
}
END_TEST

/* Which failures say something about the registry, and so are kept. */
static const struct {
    enum tg_rc rc;
    bool cut_short;
    bool kept;
} kept_failures[] = {
    {TG_ETIMEDOUT, false, true}, /* the registry was slow with a full budget */
    {TG_ETIMEDOUT, true, false}, /* the caller's deadline was near */
    {TG_EIO, true, true},        /* refused is refused, budget or not */
    {TG_ENOTFOUND, false, true}, /* no such tag */
    {TG_ENOMEM, false, false},   /* ours, not the registry's */
};

START_TEST(which_failures_are_kept)
{
    struct registry_cache *c = registry_cache_new(16, 10000, 10000);
    struct fake f = {.rc = kept_failures[_i].rc, .key = "x"};
    for (int k = 0; k < 2; k++) {
        struct registry_image img;
        struct registry_query q = {"x", registry_now_ms() + 5000, fake_fetch, &f,
                                   kept_failures[_i].cut_short};
        ck_assert_int_eq(registry_cache_get(c, &q, &img, NULL), kept_failures[_i].rc);
    }
    ck_assert_int_eq(atomic_load(&f.calls), kept_failures[_i].kept ? 1 : 2);
    registry_cache_free(c);
}
END_TEST

struct racer {
    pthread_t th;
    struct registry_cache *c;
    struct fake *f;
    const char *key;
    long long wait_ms;
    enum tg_rc rc;
    long long took_ms;
    struct registry_image img;
    pthread_barrier_t *start; /* NULL: go at once */
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct tg_error err;
    if (r->start)
        pthread_barrier_wait(r->start);
    long long t0 = registry_now_ms();
    struct registry_query q = {r->key, t0 + r->wait_ms, fake_fetch, r->f, false};
    r->rc = registry_cache_get(r->c, &q, &r->img, &err);
    r->took_ms = registry_now_ms() - t0;
    return NULL;
}

static void race_all(struct racer *rs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(pthread_create(&rs[i].th, NULL, race, &rs[i]), 0);
    for (size_t i = 0; i < n; i++)
        pthread_join(rs[i].th, NULL);
}

/* Eight admissions of the same image at once: one registry request. */
static const size_t max_rows[] = {16, 0};

START_TEST(single_flight)
{
    struct registry_cache *c = registry_cache_new(max_rows[_i], 10000, 1000);
    struct fake f = {.delay_ms = 400, .rc = TG_OK, .key = "img"};
    struct racer rs[8];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, ARRAY_LEN(rs));
    memset(rs, 0, sizeof(rs));
    for (size_t i = 0; i < ARRAY_LEN(rs); i++)
        rs[i] = (struct racer){
            .c = c, .f = &f, .key = "img", .wait_ms = 5000, .start = &start};
    race_all(rs, ARRAY_LEN(rs));
    pthread_barrier_destroy(&start);
    ck_assert_int_eq(atomic_load(&f.calls), 1);
    for (size_t i = 0; i < ARRAY_LEN(rs); i++) {
        ck_assert_int_eq(rs[i].rc, TG_OK);
        ck_assert_str_eq(rs[i].img.config_user, "user-of-img");
        registry_image_cleanup(&rs[i].img);
    }
    struct registry_cache_stats st;
    registry_cache_stats(c, &st);
    ck_assert_uint_eq(st.fetches, 1);
    ck_assert_uint_eq(st.shared + st.hits, 7); /* a late thread may find it done */
    ck_assert_uint_eq(st.entries, max_rows[_i] ? 1 : 0);
    registry_cache_free(c);
}
END_TEST

/* A waiter's own deadline holds even while the shared fetch is slow, and
 * the fetch's answer is still cached for the next caller. */
START_TEST(waiter_deadline)
{
    struct registry_cache *c = registry_cache_new(16, 10000, 1000);
    struct fake f = {.delay_ms = 400, .rc = TG_OK, .key = "slow"};
    struct racer rs[2] = {{.c = c, .f = &f, .key = "slow", .wait_ms = 5000},
                          {.c = c, .f = &f, .key = "slow", .wait_ms = 50}};
    ck_assert_int_eq(pthread_create(&rs[0].th, NULL, race, &rs[0]), 0);
    sleep_ms(50); /* let the first thread start the flight */
    race(&rs[1]);
    ck_assert_int_eq(rs[1].rc, TG_ETIMEDOUT);
    ck_assert_int_lt(rs[1].took_ms, 300);
    pthread_join(rs[0].th, NULL);
    ck_assert_int_eq(rs[0].rc, TG_OK);
    registry_image_cleanup(&rs[0].img);
    struct registry_image img;
    struct tg_error err;
    ck_assert_int_eq(get(c, &f, "slow", &img, &err), TG_OK);
    ck_assert_int_eq(atomic_load(&f.calls), 1);
    registry_image_cleanup(&img);
    registry_cache_free(c);
}
END_TEST

/* Every allocation failing in turn: an answer or TG_ENOMEM, never a leak
 * (valgrind checks) or a crash. */
START_TEST(allocation_failures)
{
    for (long n = 0; n < 20; n++) {
        struct registry_cache *c = NULL;
        alloc_fail_after(n);
        c = registry_cache_new(4, 10000, 1000);
        if (!c) {
            alloc_fail_after(-1);
            continue;
        }
        struct fake f = {.rc = TG_OK};
        struct registry_image img;
        struct tg_error err;
        for (int k = 0; k < 3; k++) {
            enum tg_rc rc = get(c, &f, k == 1 ? "b" : "a", &img, &err);
            ck_assert(rc == TG_OK || rc == TG_ENOMEM);
            if (rc == TG_OK)
                ck_assert_str_eq(img.config_user, k == 1 ? "user-of-b" : "user-of-a");
            registry_image_cleanup(&img);
        }
        alloc_fail_after(-1);
        registry_cache_free(c);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("registry_cache");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, sequences, 0, ARRAY_LEN(seqs));
    tcase_add_test(tc, failures_are_cached_briefly);
    tcase_add_loop_test(tc, which_failures_are_kept, 0, ARRAY_LEN(kept_failures));
    tcase_add_loop_test(tc, single_flight, 0, ARRAY_LEN(max_rows));
    tcase_add_test(tc, waiter_deadline);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
