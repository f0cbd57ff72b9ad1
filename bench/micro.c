/* micro.c -- bench_micro: how many AdmissionReviews one core decides.
 *
 * Runs admission_handle() -- decode, find pod specs, evaluate, decide,
 * encode -- on each review fixture in a loop for a fixed time after a
 * warm-up, in one thread, and reports reviews/s and the latency
 * distribution per review.  No TLS, no HTTP: this is the floor the server
 * adds its own costs to.  Pin it to a core with `taskset -c N` for stable
 * numbers; build Release without sanitizers (the JSON says how it was built).
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admission.h"
#include "alloc.h"
#include "alloc_json.h"
#include "error.h"
#include "policy.h"
#include "policy_load.h"

#define DEFAULT_SECONDS 2.0
#define DEFAULT_WARMUP 0.5

struct options {
    double seconds;
    double warmup;
    const char *json_path;   /* NULL: no JSON file */
    const char *policy_path; /* file or directory */
    const char *data_dir;    /* holds <fixture>.json */
    bool heap;               /* no scratch arena */
    bool full_tree;          /* admission_options.build_all */
    unsigned long count;     /* --count: exactly this many decisions, no warm-up */
};

struct result {
    const char *fixture;
    size_t bytes;
    const char *decision; /* static, from admission_result */
    unsigned long n;
    double elapsed_s;
    double per_sec;
    double mean_us, p50_us, p99_us, max_us;
};

struct samples {
    double *us;
    size_t n, alloc;
};

static const char *const fixtures[] = {"typical-allowed", "typical-denied", "large"};

/* What each fixture should get from the shipped or default policy; a
 * different answer means the numbers measure the wrong path. */
static const char *const expected[] = {"allow", "deny", "allow"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bench_micro [--seconds N] [--warmup N] [--json FILE]\n"
            "                   [--policy PATH] [--data DIR] [--heap] [--full-tree]\n"
            "                   [--count N]\n"
            "\n"
            "Decide each review fixture in a loop on one core and print\n"
            "reviews/s and microseconds per review.\n"
            "  --seconds N   measured time per fixture (default %.1f)\n"
            "  --warmup N    unmeasured time first (default %.1f)\n"
            "  --json FILE   also write the results as JSON\n"
            "  --policy PATH policy file or directory (default the shipped\n"
            "                policies/; built-in defaults if it fails to load)\n"
            "  --data DIR    fixture directory (default tests/data/reviews)\n"
            "  --heap        decode on the heap, not in a reused scratch arena\n"
            "                (as the server did before it had one)\n"
            "  --full-tree   build every member of the request into the tree,\n"
            "                also those no rule reads (kept as raw text otherwise)\n"
            "  --count N     exactly N decisions per fixture and no warm-up, instead\n"
            "                of --seconds (bench/instructions.sh counts with it)\n",
            DEFAULT_SECONDS, DEFAULT_WARMUP);
}

static int parse_seconds(const char *flag, const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || end == s || *end || !(v >= 0 && v <= 3600)) {
        fprintf(stderr, "bench_micro: %s wants seconds from 0 to 3600, got '%s'\n", flag,
                s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_count(const char *s, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = s ? strtoul(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v == 0 || v > 100000000) {
        fprintf(stderr, "bench_micro: --count wants 1 to 100000000, got '%s'\n",
                s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* 0 on success, 1 after --help, -1 on a usage error (printed). */
static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--heap") == 0) {
            o->heap = true;
            continue; /* takes no value */
        } else if (strcmp(a, "--full-tree") == 0) {
            o->full_tree = true;
            continue;
        } else if (strcmp(a, "--seconds") == 0) {
            rc = parse_seconds(a, v, &o->seconds);
        } else if (strcmp(a, "--warmup") == 0) {
            rc = parse_seconds(a, v, &o->warmup);
        } else if (strcmp(a, "--count") == 0) {
            rc = parse_count(v, &o->count);
        } else if (v && strcmp(a, "--json") == 0) {
            o->json_path = v;
        } else if (v && strcmp(a, "--policy") == 0) {
            o->policy_path = v;
        } else if (v && strcmp(a, "--data") == 0) {
            o->data_dir = v;
        } else {
            fprintf(stderr, "bench_micro: unknown or incomplete option '%s'\n\n", a);
            usage(stderr);
            return -1;
        }
        if (rc != 0)
            return -1;
        i++; /* every other option takes a value */
    }
    if (o->seconds <= 0) {
        fprintf(stderr, "bench_micro: --seconds must be more than 0\n");
        return -1;
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    char *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        goto out;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    data = tg_malloc((size_t)size + 1);
    if (!data)
        goto out;
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        tg_free(data);
        data = NULL;
        goto out;
    }
    data[size] = '\0';
    *len = (size_t)size;
out:
    if (f)
        fclose(f);
    return data;
}

static struct policy *load_policy(const char *path)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    if (policy_load_path(path, &p, &err) == TG_OK)
        return p;
    char msg[1024];
    tg_error_format(&err, msg, sizeof(msg));
    fprintf(stderr, "bench_micro: %s; using the built-in default policy\n", msg);
    return policy_new_default();
}

static int samples_add(struct samples *s, double us)
{
    if (s->n == s->alloc) {
        size_t alloc = s->alloc ? s->alloc * 2 : 1 << 16;
        double *us_new = tg_realloc(s->us, alloc * sizeof(*us_new));
        if (!us_new)
            return -1;
        s->us = us_new;
        s->alloc = alloc;
    }
    s->us[s->n++] = us;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One decision; the result is released at once, as the server does once
 * the response is queued. */
/* The server's per-thread scratch arena (admission_options.scratch); NULL
 * with --heap, to measure decoding on the heap. */
static struct arena *scratch;
static bool full_tree;           /* --full-tree */
static unsigned long count_only; /* --count */

static int decide_once(const struct policy *p, const char *body, size_t len,
                       const char **decision)
{
    struct admission_options opt = {
        .endpoint = ENDPOINT_VALIDATE, .scratch = scratch, .build_all = full_tree};
    struct admission_result res;
    struct tg_error err = {0};
    enum tg_rc rc = admission_handle(p, body, len, &opt, &res, &err);
    if (rc == TG_OK)
        *decision = res.decision;
    admission_result_cleanup(&res);
    if (rc != TG_OK) {
        char msg[1024];
        tg_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "bench_micro: admission_handle: %s: %s\n", tg_rc_str(rc), msg);
        return -1;
    }
    return 0;
}

/* Decide at least once, then until `until` (monotonic seconds) or, with
 * --count, until `s` holds that many, recording each decision's time when
 * `s` is not NULL. */
static int run_until(const struct policy *p, const char *body, size_t len, double until,
                     struct samples *s, struct result *r)
{
    double t = now_s();
    for (;;) {
        double t0 = t;
        if (decide_once(p, body, len, &r->decision) != 0)
            return -1;
        t = now_s();
        if (s && samples_add(s, (t - t0) * 1e6) != 0) {
            fprintf(stderr, "bench_micro: out of memory recording samples\n");
            return -1;
        }
        if (count_only ? s && s->n >= count_only : t >= until)
            return 0;
    }
}

static void summarise(struct samples *s, double elapsed, struct result *r)
{
    double sum = 0;
    qsort(s->us, s->n, sizeof(*s->us), cmp_double);
    for (size_t i = 0; i < s->n; i++)
        sum += s->us[i];
    r->n = (unsigned long)s->n;
    r->elapsed_s = elapsed;
    r->per_sec = (double)s->n / elapsed;
    r->mean_us = sum / (double)s->n;
    r->p50_us = s->us[s->n / 2];
    r->p99_us = s->us[(size_t)((double)(s->n - 1) * 0.99)];
    r->max_us = s->us[s->n - 1];
}

static int bench_fixture(const struct policy *p, const struct options *o, size_t idx,
                         struct result *r)
{
    int ret = -1;
    char path[4096];
    size_t len = 0;
    struct samples s = {0};
    snprintf(path, sizeof(path), "%s/%s.json", o->data_dir, fixtures[idx]);
    char *body = read_file(path, &len);
    if (!body) {
        fprintf(stderr, "bench_micro: cannot read %s: %s\n", path, strerror(errno));
        goto out;
    }
    r->fixture = fixtures[idx];
    r->bytes = len;
    if (!o->count && run_until(p, body, len, now_s() + o->warmup, NULL, r) != 0)
        goto out;
    double start = now_s();
    if (run_until(p, body, len, start + o->seconds, &s, r) != 0)
        goto out;
    if (strcmp(r->decision, expected[idx]) != 0)
        fprintf(stderr, "bench_micro: warning: %s was answered \"%s\", expected \"%s\"\n",
                fixtures[idx], r->decision, expected[idx]);
    summarise(&s, now_s() - start, r);
    ret = 0;
out:
    tg_free(s.us);
    tg_free(body);
    return ret;
}

static void print_table(const struct result *r, size_t n, const struct options *o)
{
    printf("bench_micro: admission_handle, 1 thread, %.1f s per fixture "
           "(build %s%s)\n\n",
           o->seconds, BENCH_BUILD_TYPE, BENCH_SANITIZE ? ", sanitizers ON" : "");
    printf("%-16s %8s %-8s %12s %10s %9s %9s %9s\n", "fixture", "bytes", "decision",
           "reviews/s", "us/review", "p50 us", "p99 us", "max us");
    for (size_t i = 0; i < n; i++)
        printf("%-16s %8zu %-8s %12.0f %10.2f %9.2f %9.2f %9.1f\n", r[i].fixture,
               r[i].bytes, r[i].decision, r[i].per_sec, r[i].mean_us, r[i].p50_us,
               r[i].p99_us, r[i].max_us);
}

static int write_json(const struct result *r, size_t n, const struct options *o)
{
    json_t *doc = json_pack("{s:s, s:s, s:s, s:b, s:s, s:f, s:f, s:i, s:b, s:b, s:[]}",
                            "benchmark", "bench_micro", "version", TOLLGATE_VERSION,
                            "build_type", BENCH_BUILD_TYPE, "sanitizers", BENCH_SANITIZE,
                            "policy", o->policy_path, "seconds", o->seconds,
                            "warmup_seconds", o->warmup, "threads", 1, "scratch_arena",
                            !o->heap, "full_tree", o->full_tree, "results");
    json_t *list = doc ? json_object_get(doc, "results") : NULL;
    int ret = list ? 0 : -1;
    for (size_t i = 0; ret == 0 && i < n; i++) {
        json_t *row = json_pack(
            "{s:s, s:I, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "fixture", r[i].fixture,
            "bytes", (json_int_t)r[i].bytes, "decision", r[i].decision, "reviews",
            (json_int_t)r[i].n, "elapsed_s", r[i].elapsed_s, "reviews_per_s",
            r[i].per_sec, "us_per_review", r[i].mean_us, "p50_us", r[i].p50_us, "p99_us",
            r[i].p99_us, "max_us", r[i].max_us);
        ret = json_array_append_new(list, row); /* steals row, NULL fails */
    }
    if (ret == 0)
        ret = json_dump_file(doc, o->json_path, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (ret != 0)
        fprintf(stderr, "bench_micro: cannot write %s\n", o->json_path);
    json_decref(doc);
    return ret;
}

int main(int argc, char **argv)
{
    struct options o = {
        .seconds = DEFAULT_SECONDS,
        .warmup = DEFAULT_WARMUP,
        .policy_path = TOLLGATE_SOURCE_DIR "/policies",
        .data_dir = TOLLGATE_SOURCE_DIR "/tests/data/reviews",
    };
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    alloc_json_install(); /* as serve does: the scratch arena needs it */
    json_object_seed(0);
    struct arena scratch_arena;
    arena_init(&scratch_arena, 2u << 20); /* server.c's SCRATCH_CAP */
    scratch = o.heap ? NULL : &scratch_arena;
    full_tree = o.full_tree;
    count_only = o.count;
    struct policy *p = load_policy(o.policy_path);
    if (!p) {
        fprintf(stderr, "bench_micro: out of memory building the default policy\n");
        return 1;
    }
    struct result results[ARRAY_LEN(fixtures)] = {0};
    int status = 0;
    for (size_t i = 0; status == 0 && i < ARRAY_LEN(fixtures); i++)
        status = bench_fixture(p, &o, i, &results[i]);
    if (status == 0) {
        print_table(results, ARRAY_LEN(fixtures), &o);
        if (o.json_path)
            status = write_json(results, ARRAY_LEN(fixtures), &o);
    }
    policy_free(p);
    arena_cleanup(&scratch_arena);
    return status == 0 ? 0 : 1;
}
