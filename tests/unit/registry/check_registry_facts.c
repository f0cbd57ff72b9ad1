/* check_registry_facts.c -- facts_gather: image strings to struct facts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc.h"
#include "facts_gather.h"
#include "fake_registry.h"
#include "testutil.h"

static char cfg_body[256], cfg_digest[72], man_body[512], man_digest[72];
static char man_path[128], blob_path[160], man_by_digest[160];
static struct fake_route routes[3];
static struct fake_registry *fake;
static struct registry *reg;
static char host[32], silent_host[32];
static int silent_fd = -1;

static void setup(void)
{
    snprintf(cfg_body, sizeof(cfg_body), "{\"config\":{\"User\":\"appuser\"}}");
    fake_sha256(cfg_body, strlen(cfg_body), cfg_digest);
    snprintf(man_body, sizeof(man_body),
             "{\"schemaVersion\":2,\"mediaType\":"
             "\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{"
             "\"digest\":\"%s\",\"size\":1},\"layers\":[]}",
             cfg_digest);
    fake_sha256(man_body, strlen(man_body), man_digest);
    snprintf(man_path, sizeof(man_path), "/v2/team/app/manifests/1.0");
    snprintf(man_by_digest, sizeof(man_by_digest), "/v2/team/app/manifests/%s",
             man_digest);
    snprintf(blob_path, sizeof(blob_path), "/v2/team/app/blobs/%s", cfg_digest);
    routes[0] = (struct fake_route){
        .path = man_path, .status = 200, .body = man_body, .digest = man_digest};
    routes[1] =
        (struct fake_route){.path = man_by_digest, .status = 200, .body = man_body};
    routes[2] = (struct fake_route){.path = blob_path, .status = 200, .body = cfg_body};
    fake = fake_registry_start(routes, ARRAY_LEN(routes));
    ck_assert_ptr_nonnull(fake);
    snprintf(host, sizeof(host), "%s", fake_registry_host(fake));
    silent_fd = silent_listener_open(silent_host, sizeof(silent_host));
    ck_assert_int_ge(silent_fd, 0);
    const char *insecure[] = {host, silent_host};
    struct registry_config cfg;
    registry_config_defaults(&cfg);
    cfg.insecure = insecure;
    cfg.n_insecure = 2;
    cfg.timeout_ms = 1500; /* above many_images_one_deadline's 1 s deadline */
    ck_assert_int_eq(registry_new(&cfg, &reg, NULL), TG_OK);
}

static void teardown(void)
{
    registry_free(reg);
    fake_registry_stop(fake);
    close(silent_fd);
}

/* Image rows: "%H" is replaced by the fake registry's host, "%S" by the
 * silent one's. */
static const struct {
    const char *image;
    unsigned need;
    enum fact_status status;
    const char *digest; /* "M": the manifest's digest */
    const char *user;   /* NULL: not read */
    const char *error;  /* substring */
} rows[] = {
    {"%H/team/app:1.0", FACTS_NEED_DIGEST, FACT_OK, "M", NULL, NULL},
    {"%H/team/app:1.0", FACTS_NEED_USER, FACT_OK, "M", "appuser", NULL},
    {"%H/team/app:1.0", FACTS_NEED_DIGEST | FACTS_NEED_USER, FACT_OK, "M", "appuser",
     NULL},
    {"%H/team/app@M", FACTS_NEED_USER, FACT_OK, "M", "appuser", NULL},
    {"%H/team/app:2.0", FACTS_NEED_DIGEST, FACT_UNAVAILABLE, NULL, NULL,
     "manifest team/app:2.0 not found on 127.0.0.1:"},
    {"%H/Team/App:1.0", FACTS_NEED_DIGEST, FACT_UNAVAILABLE, NULL, NULL,
     "invalid image reference: "},
    {"%S/team/app:1.0", FACTS_NEED_DIGEST, FACT_UNAVAILABLE, NULL, NULL,
     "did not answer within 1500 ms"},
};

/* Timeouts come late under valgrind (valgrind puts its preload library in
 * LD_PRELOAD). */
static long long valgrind_slack_ms(void)
{
    const char *preload = getenv("LD_PRELOAD");
    return preload && strstr(preload, "vgpreload") ? 3000 : 0;
}

static void expand(const char *tmpl, char *out, size_t len)
{
    size_t w = 0;
    for (const char *p = tmpl; *p && w + 80 < len; p++) {
        if (p[0] == '%' && (p[1] == 'H' || p[1] == 'S')) {
            w += (size_t)snprintf(out + w, len - w, "%s",
                                  p[1] == 'H' ? host : silent_host);
            p++;
        } else if (p[0] == '@' && p[1] == 'M') {
            w += (size_t)snprintf(out + w, len - w, "@%s", man_digest);
            p++;
        } else {
            out[w++] = *p;
        }
    }
    out[w] = '\0';
}

START_TEST(one_image)
{
    char image[256];
    expand(rows[_i].image, image, sizeof(image));
    const char *images[] = {image};
    struct facts_query q = {images, 1, rows[_i].need,
                            registry_now_ms() + 3000 + valgrind_slack_ms()};
    struct arena a;
    arena_init(&a, 0);
    struct facts f;
    ck_assert_int_eq(facts_gather(reg, &q, &a, &f, NULL), TG_OK);
    ck_assert_uint_eq(f.n, 1);
    const struct image_fact *it = facts_find(&f, image);
    ck_assert_ptr_nonnull(it);
    ck_assert_msg(it->status == rows[_i].status, "status %d (want %d): %s", it->status,
                  rows[_i].status, it->error ? it->error : "no error");
    if (it->status == FACT_OK) {
        ck_assert_str_eq(it->digest, man_digest);
        ck_assert_int_eq(it->has_config_user, rows[_i].user != NULL);
        if (rows[_i].user)
            ck_assert_str_eq(it->config_user, rows[_i].user);
        ck_assert_ptr_null(it->error);
    } else {
        ck_assert_msg(strstr(it->error, rows[_i].error), "%s", it->error);
        ck_assert_ptr_null(it->digest);
    }
    arena_cleanup(&a);
}
END_TEST

/* Repeats are gathered once and order is kept; a dead registry cannot take
 * more than the deadline, and the images are looked up side by side, so
 * two silent ones cost one deadline, not two.  The deadline is long enough
 * (1 s) that "one, not two" keeps a wide margin on a loaded machine. */
START_TEST(many_images_one_deadline)
{
    char good[128], silent1[128], silent2[128];
    expand("%H/team/app:1.0", good, sizeof(good));
    expand("%S/a:1", silent1, sizeof(silent1));
    expand("%S/b:1", silent2, sizeof(silent2));
    const char *images[] = {good, silent1, good, silent2, good};
    long long t0 = registry_now_ms();
    struct facts_query q = {images, ARRAY_LEN(images), FACTS_NEED_DIGEST, t0 + 1000};
    struct arena a;
    arena_init(&a, 0);
    struct facts f;
    ck_assert_int_eq(facts_gather(reg, &q, &a, &f, NULL), TG_OK);
    long long took = registry_now_ms() - t0;
    ck_assert_uint_eq(f.n, 3);
    ck_assert_str_eq(f.items[0].image, good);
    ck_assert_str_eq(f.items[1].image, silent1);
    ck_assert_str_eq(f.items[2].image, silent2);
    ck_assert_int_eq(f.items[0].status, FACT_OK);
    for (size_t i = 1; i < 3; i++) {
        ck_assert_int_eq(f.items[i].status, FACT_UNAVAILABLE);
        ck_assert_msg(strstr(f.items[i].error, "did not answer within"), "%s",
                      f.items[i].error);
    }
    ck_assert_int_ge(took, 990);
    ck_assert_int_lt(took, 1800 + valgrind_slack_ms()); /* two deadlines: 2000 */
    ck_assert_uint_eq(routes[0].hits, 1);               /* one HEAD for three mentions */
    arena_cleanup(&a);
}
END_TEST

/* Past the deadline, cached answers are still given (they are free) and
 * the rest is skipped with a reason rather than attempted. */
START_TEST(deadline_already_passed)
{
    char good[128], other[128];
    expand("%H/team/app:1.0", good, sizeof(good));
    expand("%H/team/other:1.0", other, sizeof(other));
    const char *warm[] = {good};
    struct facts_query q = {warm, 1, FACTS_NEED_DIGEST, registry_now_ms() + 3000};
    struct arena a;
    arena_init(&a, 0);
    struct facts f;
    ck_assert_int_eq(facts_gather(reg, &q, &a, &f, NULL), TG_OK);
    ck_assert_int_eq(f.items[0].status, FACT_OK);
    const char *both[] = {good, other};
    q = (struct facts_query){both, 2, FACTS_NEED_DIGEST, registry_now_ms() - 1};
    ck_assert_int_eq(facts_gather(reg, &q, &a, &f, NULL), TG_OK);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_int_eq(f.items[0].status, FACT_OK);
    ck_assert_str_eq(f.items[0].digest, man_digest);
    ck_assert_int_eq(f.items[1].status, FACT_UNAVAILABLE);
    ck_assert_str_eq(f.items[1].error, "registry lookup skipped: deadline exceeded");
    ck_assert_uint_eq(routes[0].hits, 1);
    arena_cleanup(&a);
}
END_TEST

/* Ten distinct images on one registry, all cold: all answered, each
 * fetched once, side by side. */
START_TEST(many_cold_images)
{
    char imgs[10][128];
    const char *list[10];
    for (size_t i = 0; i < 10; i++) {
        /* tags differ, so each is its own cache miss; 1.0 exists, the rest 404 */
        snprintf(imgs[i], sizeof(imgs[i]), "%s/team/app:%zu.0", host, i + 1);
        list[i] = imgs[i];
    }
    struct facts_query q = {list, 10, FACTS_NEED_DIGEST, registry_now_ms() + 3000};
    struct arena a;
    arena_init(&a, 0);
    struct facts f;
    ck_assert_int_eq(facts_gather(reg, &q, &a, &f, NULL), TG_OK);
    ck_assert_uint_eq(f.n, 10);
    ck_assert_int_eq(f.items[0].status, FACT_OK);
    for (size_t i = 1; i < 10; i++) {
        ck_assert_int_eq(f.items[i].status, FACT_UNAVAILABLE);
        ck_assert_msg(strstr(f.items[i].error, "not found on"), "%s", f.items[i].error);
        ck_assert_str_eq(f.items[i].image, imgs[i]);
    }
    struct registry_cache_stats st;
    registry_stats(reg, &st);
    ck_assert_uint_eq(st.fetches, 10);
    arena_cleanup(&a);
}
END_TEST

START_TEST(nothing_to_gather)
{
    const char *images[] = {"nginx:1.25"};
    struct arena a;
    arena_init(&a, 0);
    static const struct image_fact stale = {.image = "stale"};
    struct facts f = {&stale, 99}; /* must be overwritten */
    struct facts_query q = {images, 1, 0, registry_now_ms() + 1000};
    ck_assert_int_eq(facts_gather(reg, &q, &a, &f, NULL), TG_OK);
    ck_assert_uint_eq(f.n, 0);
    q.need = FACTS_NEED_DIGEST;
    ck_assert_int_eq(facts_gather(NULL, &q, &a, &f, NULL), TG_OK);
    ck_assert_uint_eq(f.n, 0);
    ck_assert_ptr_null(facts_find(&f, "nginx:1.25"));
    arena_cleanup(&a);
}
END_TEST

/* A capped arena runs out part-way: TG_ENOMEM, and *out untouched. */
START_TEST(arena_full)
{
    char good[128];
    expand("%H/team/app:1.0", good, sizeof(good));
    const char *images[] = {good};
    struct facts_query q = {images, 1, FACTS_NEED_USER, registry_now_ms() + 3000};
    bool saw_ok = false;
    for (size_t cap = 16; cap < 8192 && !saw_ok; cap += 16) {
        struct arena a;
        arena_init(&a, cap);
        struct facts f = {NULL, 42};
        struct tg_error err;
        enum tg_rc rc = facts_gather(reg, &q, &a, &f, &err);
        if (rc == TG_OK) {
            saw_ok = true;
            ck_assert_str_eq(f.items[0].config_user, "appuser");
        } else {
            ck_assert_int_eq(rc, TG_ENOMEM);
            ck_assert_uint_eq(f.n, 42);
            ck_assert_str_eq(err.text, "out of memory gathering image facts");
        }
        arena_cleanup(&a);
    }
    ck_assert(saw_ok);
}
END_TEST

/* Allocation failures anywhere (jobs, lookups in threads, the cache):
 * facts or TG_ENOMEM, never a crash or a leak (valgrind checks). */
START_TEST(allocation_failures)
{
    char a1[128], a2[128];
    expand("%H/team/app:1.0", a1, sizeof(a1));
    expand("%H/team/app@M", a2, sizeof(a2));
    const char *list[] = {a1, a2, a1};
    for (long n = 0; n < 80; n++) {
        const char *insecure[] = {host};
        struct registry_config cfg;
        registry_config_defaults(&cfg);
        cfg.insecure = insecure;
        cfg.n_insecure = 1;
        struct registry *r = NULL;
        ck_assert_int_eq(registry_new(&cfg, &r, NULL), TG_OK);
        struct arena a;
        arena_init(&a, 0);
        struct facts f = {NULL, 0};
        struct facts_query q = {list, 3, FACTS_NEED_USER, registry_now_ms() + 3000};
        alloc_fail_after(n);
        enum tg_rc rc = facts_gather(r, &q, &a, &f, NULL);
        alloc_fail_after(-1);
        ck_assert(rc == TG_OK || rc == TG_ENOMEM);
        for (size_t i = 0; rc == TG_OK && i < f.n; i++)
            ck_assert(f.items[i].status == FACT_OK || f.items[i].error);
        arena_cleanup(&a);
        registry_free(r);
    }
}
END_TEST

/* What the policy asks for decides what is looked up. */
static const struct {
    bool pin_on, resolve, nonroot_on, image_user;
    unsigned need;
} needs[] = {
    {true, true, true, true, FACTS_NEED_DIGEST | FACTS_NEED_USER},
    {true, true, false, true, FACTS_NEED_DIGEST},
    {false, true, true, true, FACTS_NEED_USER},
    {true, false, true, false, 0},
    {false, true, false, true, 0},
};

START_TEST(policy_needs)
{
    struct policy *p = policy_new_default();
    ck_assert_ptr_nonnull(p);
    p->pinned_tags.common.action = needs[_i].pin_on ? ACTION_ENFORCE : ACTION_OFF;
    p->pinned_tags.resolve_digest = needs[_i].resolve;
    p->run_as_non_root.common.action = needs[_i].nonroot_on ? ACTION_AUDIT : ACTION_OFF;
    p->run_as_non_root.check_image_user = needs[_i].image_user;
    ck_assert_uint_eq(facts_need_of(p), needs[_i].need);

    /* the admission adapter gathers exactly that */
    char good[128];
    expand("%H/team/app:1.0", good, sizeof(good));
    const char *images[] = {good};
    struct facts_gather_ctx ctx = {reg, p, 0};
    struct arena a;
    arena_init(&a, 0);
    struct facts f;
    ck_assert_int_eq(facts_gather_admission(&ctx, images, 1, &a, &f), TG_OK);
    ck_assert_uint_eq(f.n, needs[_i].need ? 1 : 0);
    if (f.n) {
        ck_assert_int_eq(f.items[0].status, FACT_OK);
        ck_assert_int_eq(f.items[0].has_config_user,
                         (needs[_i].need & FACTS_NEED_USER) != 0);
    }
    arena_cleanup(&a);
    policy_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("registry_facts");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, one_image, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, many_images_one_deadline);
    tcase_add_test(tc, deadline_already_passed);
    tcase_add_test(tc, many_cold_images);
    tcase_add_test(tc, nothing_to_gather);
    tcase_add_test(tc, arena_full);
    tcase_add_loop_test(tc, policy_needs, 0, ARRAY_LEN(needs));
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_suite(suite());
    curl_global_cleanup();
    return rc;
}
