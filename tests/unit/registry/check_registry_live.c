/* check_registry_live.c -- registry.c and facts_gather.c against real
 * registries: Debian's docker-registry on 127.0.0.1, anonymous, with
 * htpasswd basic auth over TLS, and with bearer tokens from a token server,
 * holding images the fixture built and pushed with skopeo
 * (tests/support/registry_fixture.sh).  Request counts come from the
 * registries' own access logs.  The last tests go end to end: an
 * AdmissionReview through admission_handle with facts_gather_admission as
 * its gatherer, judged by runAsNonRoot (checkImageUser) and pinnedTags
 * (resolveDigest).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "admission.h"
#include "facts_gather.h"
#include "registry.h"
#include "testutil.h"

static char dir[64];
static char env_text[8192];

static void fixture(const char *cmd, const char *arg)
{
    char line[512];
    snprintf(line, sizeof(line), "bash %s/tests/support/registry_fixture.sh %s %s %s",
             TOLLGATE_SOURCE_DIR, cmd, dir, arg ? arg : "");
    ck_assert_msg(system(line) == 0, "%s failed (see its message above)", line);
}

static void start_registries(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tollgate-registry-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    fixture("start", NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/env", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(env_text, 1, sizeof(env_text) - 1, f);
    env_text[n] = '\0';
    fclose(f);
}

static void stop_registries(void)
{
    char line[256];
    fixture("stop", NULL);
    snprintf(line, sizeof(line), "rm -rf %s", dir);
    ck_assert_int_eq(system(line), 0);
}

/* The value of KEY in DIR/env, in a rotating static buffer. */
static const char *env(const char *key)
{
    static char vals[8][256];
    static int next;
    char *out = vals[next++ % 8];
    size_t klen = strlen(key);
    for (const char *p = env_text; *p; p = strchr(p, '\n') + 1) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t len = strcspn(p + klen + 1, "\n");
            snprintf(out, 256, "%.*s", (int)len, p + klen + 1);
            return out;
        }
        if (!strchr(p, '\n'))
            break;
    }
    ck_abort_msg("%s not in %s/env", key, dir);
    return NULL;
}

/* Requests whose request line contains `needle` in NAME's access log. */
static int count_requests(const char *name, const char *needle)
{
    char path[128], line[4096];
    int n = 0;
    snprintf(path, sizeof(path), "%s/%s.access.log", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* The count once the log has settled: the registry writes a line as its
 * response completes, a moment after the client has it.  Waits (up to 3 s)
 * for at least `least` lines, then a little longer for any extra one. */
static int requests_at_least(const char *name, const char *needle, int least)
{
    struct timespec ts = {0, 50 * 1000000};
    for (int i = 0; i < 60 && count_requests(name, needle) < least; i++)
        nanosleep(&ts, NULL);
    ts.tv_nsec = 150 * 1000000;
    nanosleep(&ts, NULL);
    return count_requests(name, needle);
}

static int requests(const char *name, const char *needle)
{
    return requests_at_least(name, needle, 0);
}

static int count_lines(const char *file)
{
    char path[128], line[1024];
    int n = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f))
        n++;
    fclose(f);
    return n;
}

struct client_opts {
    bool ca, creds;
    const char *platform;
    long timeout_ms;
};

static struct registry *client(struct client_opts o)
{
    const char *insecure[] = {env("PLAIN"), env("DOOMED"), env("TOKEN_SERVER")};
    struct registry_config cfg;
    registry_config_defaults(&cfg);
    cfg.insecure = insecure;
    cfg.n_insecure = ARRAY_LEN(insecure);
    cfg.ca_bundle = o.ca ? env("CA") : NULL;
    cfg.docker_config = o.creds ? env("DOCKERCFG") : NULL;
    if (o.platform)
        cfg.platform = o.platform;
    /* Generous unless a test is about the budget: under valgrind a TLS
     * handshake and a token fetch take seconds, which is not what these
     * tests judge. */
    cfg.timeout_ms = o.timeout_ms ? o.timeout_ms : 20000;
    struct registry *r = NULL;
    struct tg_error err;
    ck_assert_msg(registry_new(&cfg, &r, &err) == TG_OK, "%s", err.text);
    return r;
}

static enum tg_rc lookup(struct registry *r, const char *host_key, const char *repo,
                         const char *tag, unsigned want, struct registry_image *img,
                         struct tg_error *err)
{
    char name[256];
    const char *host = env(host_key);
    snprintf(name, sizeof(name), "%s/%s", host, repo);
    struct imgref ref = {host, repo, name, tag, NULL};
    struct registry_request rq = {&ref, want, registry_now_ms() + 10000};
    return registry_lookup(r, &rq, img, err);
}

#define D REGISTRY_WANT_DIGEST
#define U REGISTRY_WANT_USER

/* Every image of the plain registry: the digest skopeo pushed, the USER
 * its config says ("-" in the env file means unset). */
static const struct {
    const char *image, *platform;
    unsigned want;
    const char *user; /* NULL: from the env file */
} images[] = {
    {"unset", NULL, D | U, NULL}, {"root", NULL, D | U, NULL},
    {"uid", NULL, D | U, NULL},   {"named", NULL, D | U, NULL},
    {"multi", NULL, D | U, NULL}, {"multi", "linux/arm64", U, "0"},
    {"uid", NULL, D, NULL},       {"multi", NULL, D, NULL},
};

START_TEST(plain_images)
{
    struct registry *r = client((struct client_opts){.platform = images[_i].platform});
    struct registry_image img;
    struct tg_error err;
    ck_assert_msg(
        lookup(r, "PLAIN", images[_i].image, "1.0", images[_i].want, &img, &err) == TG_OK,
        "%s", err.text);
    char key[64];
    snprintf(key, sizeof(key), "DIGEST_%s", images[_i].image);
    ck_assert_str_eq(img.digest, env(key)); /* the index's for multi */
    if (images[_i].want & U) {
        snprintf(key, sizeof(key), "USER_%s", images[_i].image);
        const char *want = images[_i].user ? images[_i].user : env(key);
        ck_assert_str_eq(img.config_user, strcmp(want, "-") == 0 ? "" : want);
    } else {
        ck_assert_ptr_null(img.config_user);
    }
    registry_image_cleanup(&img);
    registry_free(r);
}
END_TEST

/* Asking only for the digest costs one HEAD and nothing else. */
START_TEST(digest_is_one_head)
{
    int heads = requests("plain", "\"HEAD /v2/root/manifests/1.0 ");
    int gets = requests("plain", "\"GET /v2/root/");
    struct registry *r = client((struct client_opts){0});
    struct registry_image img;
    ck_assert_int_eq(lookup(r, "PLAIN", "root", "1.0", D, &img, NULL), TG_OK);
    ck_assert_str_eq(img.digest, env("DIGEST_root"));
    registry_image_cleanup(&img);
    registry_free(r);
    ck_assert_int_eq(
        requests_at_least("plain", "\"HEAD /v2/root/manifests/1.0 ", heads + 1),
        heads + 1);
    ck_assert_int_eq(requests("plain", "\"GET /v2/root/"), gets);
}
END_TEST

struct racer {
    pthread_t th;
    struct registry *r;
    const struct imgref
        *ref; /* built before the threads start: env() is not thread-safe */
    enum tg_rc rc;
    char user[32];
};

static void *race(void *arg)
{
    struct racer *x = arg;
    struct registry_image img;
    struct registry_request rq = {x->ref, D | U, registry_now_ms() + 10000};
    x->rc = registry_lookup(x->r, &rq, &img, NULL);
    if (x->rc == TG_OK)
        snprintf(x->user, sizeof(x->user), "%s", img.config_user);
    registry_image_cleanup(&img);
    return NULL;
}

/* Twenty admissions of one image, and eight at once of another: the
 * registry sees one manifest and one config request for each. */
START_TEST(cache_spares_the_registry)
{
    int before = requests("plain", "/v2/uid/");
    int before_named = requests("plain", "/v2/named/");
    struct registry *r = client((struct client_opts){0});
    for (int i = 0; i < 20; i++) {
        struct registry_image img;
        ck_assert_int_eq(lookup(r, "PLAIN", "uid", "1.0", D | U, &img, NULL), TG_OK);
        ck_assert_str_eq(img.config_user, "1000");
        registry_image_cleanup(&img);
    }
    ck_assert_int_eq(requests_at_least("plain", "/v2/uid/", before + 2), before + 2);
    char name[128];
    const char *host = env("PLAIN");
    snprintf(name, sizeof(name), "%s/named", host);
    struct imgref ref = {host, "named", name, "1.0", NULL};
    struct racer rs[8];
    for (size_t i = 0; i < ARRAY_LEN(rs); i++) {
        rs[i] = (struct racer){.r = r, .ref = &ref};
        ck_assert_int_eq(pthread_create(&rs[i].th, NULL, race, &rs[i]), 0);
    }
    for (size_t i = 0; i < ARRAY_LEN(rs); i++) {
        pthread_join(rs[i].th, NULL);
        ck_assert_int_eq(rs[i].rc, TG_OK);
        ck_assert_str_eq(rs[i].user, "appuser");
    }
    ck_assert_int_eq(requests_at_least("plain", "/v2/named/", before_named + 2),
                     before_named + 2);
    struct registry_cache_stats st;
    registry_stats(r, &st);
    ck_assert_uint_eq(st.fetches, 2);
    registry_free(r);
}
END_TEST

/* The auth flows, over TLS with the fixture's CA. */
static const struct {
    const char *host, *repo;
    struct client_opts opts;
    enum tg_rc rc;
    const char *user; /* on success */
    const char *text; /* on failure */
} auths[] = {
    {"BASIC", "uid", {.ca = true, .creds = true}, TG_OK, "1000", NULL},
    {"BASIC",
     "uid",
     {.ca = true},
     TG_EIO,
     NULL,
     "requires authentication; there are no credentials for it"},
    {"BASIC", "uid", {.creds = true}, TG_EIO, NULL, "TLS with registry"},
    {"TOKEN", "named", {.ca = true, .creds = true}, TG_OK, "appuser", NULL},
    {"TOKEN",
     "multi",
     {.ca = true, .creds = true, .platform = "linux/arm64"},
     TG_OK,
     "0",
     NULL},
    {"TOKEN",
     "named",
     {.ca = true},
     TG_EIO,
     NULL,
     "refused a token (401); no credentials for it in the registry auth file"},
    {"TOKEN", "uid", {.ca = true, .creds = true}, TG_ENOTFOUND, NULL, "not found on"},
};

START_TEST(auth_flows)
{
    struct registry *r = client(auths[_i].opts);
    struct registry_image img;
    struct tg_error err = {.text = ""};
    enum tg_rc rc = lookup(r, auths[_i].host, auths[_i].repo, "1.0", D | U, &img, &err);
    ck_assert_msg(rc == auths[_i].rc, "rc %d: %s", rc, err.text);
    if (rc == TG_OK)
        ck_assert_str_eq(img.config_user, auths[_i].user);
    else
        ck_assert_msg(strstr(err.text, auths[_i].text), "%s", err.text);
    ck_assert_ptr_null(strstr(err.text, "s3cret"));
    ck_assert_ptr_null(strstr(err.text, "tokenpass"));
    registry_image_cleanup(&img);
    registry_free(r);
}
END_TEST

/* Two lookups of one repository (different questions, so no cache hit):
 * one token between them. */
START_TEST(token_is_reused)
{
    int tokens = count_lines("tokens.count");
    struct registry *r = client((struct client_opts){.ca = true, .creds = true});
    struct registry_image img;
    struct tg_error err;
    ck_assert_int_eq(lookup(r, "TOKEN", "named", "1.0", D, &img, &err), TG_OK);
    ck_assert_str_eq(img.digest, env("DIGEST_named"));
    registry_image_cleanup(&img);
    ck_assert_int_eq(lookup(r, "TOKEN", "named", "1.0", D | U, &img, &err), TG_OK);
    ck_assert_str_eq(img.config_user, "appuser");
    registry_image_cleanup(&img);
    ck_assert_int_eq(count_lines("tokens.count"), tokens + 1);
    registry_free(r);
}
END_TEST

static const struct {
    const char *repo, *tag;
    enum tg_rc rc;
    const char *text;
} broken[] = {
    {"broken", "1.0", TG_EINVAL, "sent a malformed document for broken"},
    {"numuser", "1.0", TG_EINVAL, "config.User is not a string"},
    {"nosuch", "1.0", TG_ENOTFOUND, "manifest nosuch:1.0 not found on 127.0.0.1:"},
    {"uid", "9.9", TG_ENOTFOUND, "manifest uid:9.9 not found on 127.0.0.1:"},
};

START_TEST(bad_images)
{
    struct registry *r = client((struct client_opts){0});
    struct registry_image img;
    struct tg_error err;
    enum tg_rc rc =
        lookup(r, "PLAIN", broken[_i].repo, broken[_i].tag, D | U, &img, &err);
    ck_assert_msg(rc == broken[_i].rc, "rc %d: %s", rc, err.text);
    ck_assert_msg(strstr(err.text, broken[_i].text), "%s", err.text);
    registry_free(r);
}
END_TEST

/* What the server does with a pod: facts for each distinct image. */
START_TEST(gather_pod_images)
{
    struct registry *r = client((struct client_opts){.ca = true, .creds = true});
    char imgs[5][128];
    snprintf(imgs[0], sizeof(imgs[0]), "%s/unset:1.0", env("PLAIN"));
    snprintf(imgs[1], sizeof(imgs[1]), "%s/root:1.0", env("PLAIN"));
    snprintf(imgs[2], sizeof(imgs[2]), "%s/named:1.0", env("TOKEN"));
    snprintf(imgs[3], sizeof(imgs[3]), "%s/multi@%s", env("PLAIN"), env("DIGEST_multi"));
    snprintf(imgs[4], sizeof(imgs[4]), "%s/uid:1.0", env("BASIC"));
    const char *list[] = {imgs[0], imgs[1], imgs[2], imgs[0], imgs[3], imgs[4]};
    const char *users[] = {"", "0", "appuser", "1000", "1000"};
    struct facts_query q = {list, ARRAY_LEN(list), FACTS_NEED_DIGEST | FACTS_NEED_USER,
                            registry_now_ms() + 5000};
    struct arena a;
    arena_init(&a, 0);
    struct facts f;
    ck_assert_int_eq(facts_gather(r, &q, &a, &f, NULL), TG_OK);
    ck_assert_uint_eq(f.n, 5);
    for (size_t i = 0; i < 5; i++) {
        const struct image_fact *it = facts_find(&f, imgs[i]);
        ck_assert_ptr_nonnull(it);
        ck_assert_msg(it->status == FACT_OK, "%s: %s", imgs[i], it->error);
        ck_assert(it->has_config_user);
        ck_assert_str_eq(it->config_user, users[i]);
    }
    ck_assert_str_eq(facts_find(&f, imgs[3])->digest, env("DIGEST_multi"));
    arena_cleanup(&a);
    registry_free(r);
}
END_TEST

/* End to end: an AdmissionReview whose Pod names a registry image, the
 * facts gathered through admission_options.gather, and runAsNonRoot with
 * checkImageUser judging by the USER the registry's image config says.
 * The images and their USERs: root "0" and unset are root, uid "1000" is
 * not; "nosuch" cannot be looked up. */
static const struct {
    const char *repo;
    bool allow_on_failure;
    bool allowed;
    const char *message; /* substring of the response, when denied or warned */
} admissions[] = {
    {"root", false, false, "runs as root (USER 0 in its config)"},
    {"unset", false, false, "runs as root (USER unset in its config)"},
    {"uid", false, true, NULL},
    {"nosuch", false, false, "cannot check the USER of image"},
    {"nosuch", true, true, "allowed by policy"}, /* a warning, not a denial */
};

START_TEST(facts_reach_the_rules)
{
    struct registry *r = client((struct client_opts){0});
    struct policy *p = policy_new_default();
    ck_assert_ptr_nonnull(p);
    p->probes.common.action = ACTION_OFF;
    p->run_as_non_root.common.action = ACTION_ENFORCE;
    p->run_as_non_root.check_image_user = true;
    p->run_as_non_root.common.allow_on_lookup_failure = admissions[_i].allow_on_failure;
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
             "\"request\":{\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\","
             "\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"namespace\":\"shop\","
             "\"userInfo\":{\"username\":\"alice\"},\"object\":{\"apiVersion\":\"v1\","
             "\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"},"
             "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"%s/%s:1.0\"}]}}}}",
             env("PLAIN"), admissions[_i].repo);
    struct facts_gather_ctx ctx = {r, p, registry_now_ms() + 3000};
    struct admission_options opt = {.endpoint = ENDPOINT_VALIDATE,
                                    .gather = facts_gather_admission,
                                    .gather_ctx = &ctx};
    struct admission_result res;
    struct tg_error err;
    ck_assert_msg(admission_handle(p, body, strlen(body), &opt, &res, &err) == TG_OK,
                  "%s", err.text);
    const char *want = admissions[_i].allowed ? "\"allowed\":true" : "\"allowed\":false";
    ck_assert_msg(strstr(res.response, want), "%s: %s", want, res.response);
    if (admissions[_i].message)
        ck_assert_msg(strstr(res.response, admissions[_i].message), "%s", res.response);
    admission_result_cleanup(&res);
    policy_free(p);
    registry_free(r);
}
END_TEST

/* End to end on /mutate: pinnedTags with resolveDigest pins the tag to the
 * digest the registry names for it (the index's, for a multi-platform
 * image), as a JSONPatch in the AdmissionReview response. */
START_TEST(digest_pins_through_mutate)
{
    const char *repos[] = {"uid", "multi"};
    struct registry *r = client((struct client_opts){0});
    struct policy *p = policy_new_default();
    ck_assert_ptr_nonnull(p);
    p->probes.common.action = ACTION_OFF;
    p->run_as_non_root.common.action = ACTION_OFF;
    p->pinned_tags.common.action = ACTION_MUTATE;
    p->pinned_tags.resolve_digest = true;
    for (size_t k = 0; k < ARRAY_LEN(repos); k++) {
        char body[2048], key[64], patch[1024];
        snprintf(
            body, sizeof(body),
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
            "\"request\":{\"uid\":\"u-2\",\"kind\":{\"group\":\"\",\"version\":"
            "\"v1\",\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"namespace\":"
            "\"shop\",\"userInfo\":{\"username\":\"alice\"},\"object\":{\"apiVersion\":"
            "\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{"
            "\"containers\":[{\"name\":\"app\",\"image\":\"%s/%s:1.0\"}]}}}}",
            env("PLAIN"), repos[k]);
        struct facts_gather_ctx ctx = {r, p, registry_now_ms() + 3000};
        struct admission_options opt = {.endpoint = ENDPOINT_MUTATE,
                                        .gather = facts_gather_admission,
                                        .gather_ctx = &ctx};
        struct admission_result res;
        ck_assert_int_eq(admission_handle(p, body, strlen(body), &opt, &res, NULL),
                         TG_OK);
        const char *b64 = strstr(res.response, "\"patch\":\"");
        ck_assert_msg(b64, "%s", res.response);
        b64 += strlen("\"patch\":\"");
        int n = EVP_DecodeBlock((unsigned char *)patch, (const unsigned char *)b64,
                                (int)strcspn(b64, "\""));
        ck_assert_int_gt(n, 0);
        patch[n] = '\0';
        snprintf(key, sizeof(key), "DIGEST_%s", repos[k]);
        char want[256];
        snprintf(want, sizeof(want), "%s/%s:1.0@%s", env("PLAIN"), repos[k], env(key));
        ck_assert_msg(strstr(patch, want), "want %s in %s", want, patch);
        admission_result_cleanup(&res);
    }
    policy_free(p);
    registry_free(r);
}
END_TEST

/* The registry goes away half-way: what was cached still answers, a new
 * question fails fast with a reason, and facts say so. */
START_TEST(registry_stopped)
{
    struct registry *r = client((struct client_opts){0});
    struct registry_image img;
    struct tg_error err;
    ck_assert_int_eq(lookup(r, "DOOMED", "uid", "1.0", D | U, &img, &err), TG_OK);
    registry_image_cleanup(&img);
    fixture("stop", "doomed");
    ck_assert_int_eq(lookup(r, "DOOMED", "uid", "1.0", D | U, &img, &err), TG_OK);
    ck_assert_str_eq(img.config_user, "1000");
    registry_image_cleanup(&img);
    long long t0 = registry_now_ms();
    ck_assert_int_eq(lookup(r, "DOOMED", "uid", "1.0", D, &img, &err), TG_EIO);
    ck_assert_int_lt(registry_now_ms() - t0, 1000);
    ck_assert_msg(strstr(err.text, "cannot connect to registry 127.0.0.1:"), "%s",
                  err.text);

    char image[128];
    snprintf(image, sizeof(image), "%s/root:1.0", env("DOOMED"));
    const char *list[] = {image};
    struct facts_query q = {list, 1, FACTS_NEED_USER, registry_now_ms() + 2000};
    struct arena a;
    arena_init(&a, 0);
    struct facts f;
    ck_assert_int_eq(facts_gather(r, &q, &a, &f, NULL), TG_OK);
    ck_assert_int_eq(f.items[0].status, FACT_UNAVAILABLE);
    ck_assert_msg(strstr(f.items[0].error, "cannot connect"), "%s", f.items[0].error);
    arena_cleanup(&a);
    registry_free(r);
}
END_TEST

/* Cold lookups (cache misses) against the loopback registries stay far
 * inside a webhook timeout.  Each pass is a new client, so its first lookup
 * also pays for the connection (and, over TLS, the handshake and a token);
 * the times are printed for the benchmark notes. */
static const struct {
    const char *host, *what;
    unsigned want;
    struct client_opts opts;
} passes[] = {
    {"PLAIN", "http digest", D, {0}},
    {"PLAIN", "http digest+user", D | U, {0}},
    {"TOKEN", "https+token digest", D, {.ca = true, .creds = true}},
    {"TOKEN", "https+token digest+user", D | U, {.ca = true, .creds = true}},
};

START_TEST(cold_latency)
{
    const char *repos[] = {"unset", "root", "uid", "named", "multi"};
    struct registry *r = client(passes[_i].opts);
    long long worst = 0, sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(repos); i++) {
        struct registry_image img;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        enum tg_rc rc =
            lookup(r, passes[_i].host, repos[i], "1.0", passes[_i].want, &img, NULL);
        clock_gettime(CLOCK_MONOTONIC, &b);
        registry_image_cleanup(&img);
        if (rc == TG_ENOTFOUND) /* the token registry holds two of them */
            continue;
        ck_assert_int_eq(rc, TG_OK);
        long long us = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
        fprintf(stderr, "cold %s lookup of %s: %lld us%s\n", passes[_i].what, repos[i],
                us, n ? "" : " (first: new connection)");
        worst = us > worst ? us : worst;
        sum += n ? us : 0;
        n++;
    }
    if (n > 1)
        fprintf(stderr, "cold %s: mean of the later lookups %lld us\n", passes[_i].what,
                sum / (long long)(n - 1));
    ck_assert_int_lt(worst, 500000);
    registry_free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("registry_live");
    TCase *tc = tcase_create("live");
    tcase_add_unchecked_fixture(tc, start_registries, stop_registries);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, plain_images, 0, ARRAY_LEN(images));
    tcase_add_test(tc, digest_is_one_head);
    tcase_add_test(tc, cache_spares_the_registry);
    tcase_add_loop_test(tc, auth_flows, 0, ARRAY_LEN(auths));
    tcase_add_test(tc, token_is_reused);
    tcase_add_loop_test(tc, bad_images, 0, ARRAY_LEN(broken));
    tcase_add_test(tc, gather_pod_images);
    tcase_add_loop_test(tc, facts_reach_the_rules, 0, ARRAY_LEN(admissions));
    tcase_add_test(tc, digest_pins_through_mutate);
    tcase_add_test(tc, registry_stopped);
    tcase_add_loop_test(tc, cold_latency, 0, ARRAY_LEN(passes));
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
