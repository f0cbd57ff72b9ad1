/* registry.c -- bench_registry: what registry-aware rules cost.
 *
 * Two figures the registry issue asks for, against a real registry on
 * loopback (bench/registry.sh starts Debian's docker-registry with test
 * images):
 *   warm  reviews/s of the typical review with the registry rules off, and
 *         with pinnedTags.resolveDigest + runAsNonRoot.checkImageUser on and
 *         every answer in the cache (the steady state of a cluster);
 *   cold  the added latency of a lookup that misses the cache: a new client
 *         each time, digest only and digest + image USER.
 * Prints a table and, with --json FILE, the same figures as JSON.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admission.h"
#include "facts_gather.h"
#include "imgref.h"
#include "policy.h"
#include "registry.h"

#define COLD_ROUNDS 40

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The typical review with its images moved to the loopback registry. */
static char *review_on(const char *fixture, const char *host)
{
    json_t *rv = json_load_file(fixture, 0, NULL);
    if (!rv)
        return NULL;
    json_t *spec = json_object_get(
        json_object_get(json_object_get(rv, "request"), "object"), "spec");
    static const char *const lists[] = {"containers", "initContainers"};
    static const char *const images[] = {"uid", "multi", "named"};
    size_t k = 0;
    for (size_t l = 0; l < 2; l++) {
        json_t *list = json_object_get(spec, lists[l]);
        for (size_t i = 0; i < json_array_size(list); i++) {
            char image[256];
            snprintf(image, sizeof(image), "%s/%s:1.0", host, images[k++ % 3]);
            json_object_set_new(json_array_get(list, i), "image", json_string(image));
        }
    }
    char *text = json_dumps(rv, JSON_COMPACT);
    json_decref(rv);
    return text;
}

/* Reviews per second over `seconds`; NAN-free: 0 when a review fails. */
static double throughput(const struct policy *p, const char *body,
                         struct admission_options *opt, double seconds, const char **dec)
{
    unsigned long n = 0;
    double start = now_s(), end = start + seconds;
    while (now_s() < end) {
        struct admission_result res;
        if (admission_handle(p, body, strlen(body), opt, &res, NULL) != TG_OK)
            return 0;
        *dec = res.decision;
        admission_result_cleanup(&res);
        n++;
    }
    return (double)n / (now_s() - start);
}

struct cold {
    double mean_us, p50_us, p99_us;
};

static int cold_lookups(const char *host, unsigned want, struct cold *out)
{
    double us[COLD_ROUNDS];
    const char *insecure[] = {host};
    struct registry_config cfg;
    registry_config_defaults(&cfg);
    cfg.insecure = insecure;
    cfg.n_insecure = 1;
    char name[256];
    snprintf(name, sizeof(name), "%s/uid", host);
    struct imgref ref = {host, "uid", name, "1.0", NULL};
    double sum = 0;
    for (int i = 0; i < COLD_ROUNDS; i++) {
        struct registry *r = NULL;
        struct registry_image img;
        if (registry_new(&cfg, &r, NULL) != TG_OK)
            return -1;
        struct registry_request rq = {&ref, want, registry_now_ms() + 5000};
        double t0 = now_s();
        enum tg_rc rc = registry_lookup(r, &rq, &img, NULL);
        us[i] = (now_s() - t0) * 1e6;
        registry_free(r);
        if (rc != TG_OK)
            return -1;
        registry_image_cleanup(&img);
        sum += us[i];
    }
    qsort(us, COLD_ROUNDS, sizeof(us[0]), cmp_double);
    out->mean_us = sum / COLD_ROUNDS;
    out->p50_us = us[COLD_ROUNDS / 2];
    out->p99_us = us[COLD_ROUNDS - 1];
    return 0;
}

struct figures {
    double off_per_s, warm_per_s;
    const char *off_decision, *warm_decision;
    struct cold digest, digest_user;
};

static int measure(const char *host, const char *fixture, double seconds,
                   struct figures *f)
{
    char *body = review_on(fixture, host);
    struct policy *off = policy_new_default();
    struct policy *on = policy_new_default();
    const char *insecure[] = {host};
    struct registry_config cfg;
    struct registry *reg = NULL;
    registry_config_defaults(&cfg);
    cfg.insecure = insecure;
    cfg.n_insecure = 1;
    int rc = -1;
    if (!body || !off || !on || registry_new(&cfg, &reg, NULL) != TG_OK)
        goto out;
    on->pinned_tags.resolve_digest = true;
    on->run_as_non_root.check_image_user = true;
    struct facts_gather_ctx ctx = {.registry = reg, .policy = on};
    struct admission_options plain = {.endpoint = ENDPOINT_VALIDATE};
    struct admission_options lookups = {.endpoint = ENDPOINT_VALIDATE,
                                        .gather = facts_gather_admission,
                                        .gather_ctx = &ctx};
    throughput(on, body, &lookups, 0.2, &f->warm_decision); /* fills the cache */
    f->off_per_s = throughput(off, body, &plain, seconds, &f->off_decision);
    f->warm_per_s = throughput(on, body, &lookups, seconds, &f->warm_decision);
    if (cold_lookups(host, REGISTRY_WANT_DIGEST, &f->digest) == 0 &&
        cold_lookups(host, REGISTRY_WANT_DIGEST | REGISTRY_WANT_USER, &f->digest_user) ==
            0)
        rc = 0;
out:
    registry_free(reg);
    policy_free(on);
    policy_free(off);
    free(body);
    return rc;
}

static void print(const struct figures *f)
{
    printf("bench_registry: typical review, one thread, loopback registry\n\n");
    printf("%-40s %12s %s\n", "warm (every answer cached)", "reviews/s", "decision");
    printf("%-40s %12.0f %s\n", "  registry rules off", f->off_per_s, f->off_decision);
    printf("%-40s %12.0f %s\n", "  resolveDigest + checkImageUser on", f->warm_per_s,
           f->warm_decision);
    printf("%-40s %11.1f%%\n", "  cost of the warm lookups",
           100.0 * (1.0 - f->warm_per_s / f->off_per_s));
    printf("\n%-40s %10s %10s %10s\n", "cold lookup (new client, cache empty)", "mean us",
           "p50 us", "max us");
    printf("%-40s %10.0f %10.0f %10.0f\n", "  digest (HEAD manifest)", f->digest.mean_us,
           f->digest.p50_us, f->digest.p99_us);
    printf("%-40s %10.0f %10.0f %10.0f\n", "  digest + USER (manifest, config)",
           f->digest_user.mean_us, f->digest_user.p50_us, f->digest_user.p99_us);
}

static int write_json(const char *path, const struct figures *f)
{
    json_t *j = json_pack(
        "{s:s,s:{s:f,s:f,s:f},s:{s:{s:f,s:f,s:f},s:{s:f,s:f,s:f}}}", "bench", "registry",
        "warm", "off_per_s", f->off_per_s, "on_per_s", f->warm_per_s, "cost_pct",
        100.0 * (1.0 - f->warm_per_s / f->off_per_s), "cold", "digest", "mean_us",
        f->digest.mean_us, "p50_us", f->digest.p50_us, "max_us", f->digest.p99_us,
        "digest_user", "mean_us", f->digest_user.mean_us, "p50_us", f->digest_user.p50_us,
        "max_us", f->digest_user.p99_us);
    int rc = j ? json_dump_file(j, path, JSON_INDENT(2)) : -1;
    json_decref(j);
    return rc;
}

int main(int argc, char **argv)
{
    const char *host = getenv("PLAIN");
    const char *json_path = NULL;
    double seconds = 2.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--json") == 0)
            json_path = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtod(argv[i + 1], NULL);
    }
    if (!host || seconds <= 0) {
        fprintf(stderr,
                "usage: PLAIN=host:port bench_registry [--seconds S] [--json FILE]\n"
                "(bench/registry.sh starts the registry and sets PLAIN)\n");
        return 2;
    }
    struct figures f = {0};
    if (measure(host, TOLLGATE_SOURCE_DIR "/tests/data/reviews/typical-allowed.json",
                seconds, &f) != 0) {
        fprintf(stderr, "bench_registry: a review or a lookup failed\n");
        return 1;
    }
    print(&f);
    if (json_path && write_json(json_path, &f) != 0) {
        fprintf(stderr, "bench_registry: cannot write %s\n", json_path);
        return 1;
    }
    return 0;
}
